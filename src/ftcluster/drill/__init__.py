"""`ftcluster drill`: break a running cluster on purpose (a Spot interruption through AWS FIS, a stopped
task, a terminated instance, the elastic job's rendezvous), watch it recover, and report what it cost.

boto3 is only imported when a drill runs.
"""
