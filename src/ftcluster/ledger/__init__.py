"""The interruption ledger: what the cluster's EventBridge rules recorded, made into interruptions with
their lost work, time and money (`ftcluster events`), and the drill event `ftcluster drill` records.

boto3 is only imported when a ledger is read; `correlate` and `parse` are pure.
"""
