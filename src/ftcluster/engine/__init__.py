"""Drive clusters through the Pulumi Automation API: stacks, preview/up/scale/destroy, Ctrl-C, errors.

Importing this package is cheap (it imports nothing): pulumi, pulumi_aws and boto3 load when an operation
runs, and `ftcluster --help` never imports the engine (tests/cli/test_startup_imports.py).
"""
