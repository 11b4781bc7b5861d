"""AWS credentials check before any engine command: STS GetCallerIdentity in the cluster's region."""

from __future__ import annotations


def check_aws_credentials(region: str, endpoint_url: str | None = None) -> str:
    """The caller's ARN; an AwsError (exit 1) saying what to do when there are no usable credentials."""
    from ..aws import AwsSession, aws_call

    with aws_call(f"checking AWS credentials for region {region}"):
        return str(AwsSession(region, endpoint_url).client("sts").get_caller_identity()["Arn"])
