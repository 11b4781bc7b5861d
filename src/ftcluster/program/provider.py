"""The one explicit AWS provider: the spec's region, default tags, optional emulator endpoint."""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws

from ..spec import Spec
from . import names as logical

# Provider `endpoints` keys (canonical names, pulumi_aws 7 / Terraform AWS provider 6) of every
# service the program calls, resources and lookups alike.
ENDPOINT_SERVICES = (
    "appautoscaling",
    "autoscaling",
    "ec2",
    "ecs",
    "events",  # EventBridge (cloudwatchevents is the alias)
    "iam",
    "logs",
    "s3",
    "servicediscovery",
    "sfn",  # Step Functions (stepfunctions is the alias)
    "ssm",
    "sts",
)


def provider_args(spec: Spec) -> dict[str, Any]:
    """Keyword arguments of `aws.Provider` for this spec (a plain dict, easy to test)."""
    args: dict[str, Any] = {
        "region": spec.region,
        # Every taggable resource gets these through the provider, so no resource can miss them.
        "default_tags": {"tags": {"ftcluster:cluster": spec.name, **spec.tags}},
    }
    if spec.endpoint_url:
        args.update(
            endpoints=[dict.fromkeys(ENDPOINT_SERVICES, spec.endpoint_url)],
            # What LocalStack-style emulators need (Terraform AWS provider custom endpoint guide):
            # no real STS check of the keys, no EC2 metadata lookup, path-style S3 addressing.
            skip_credentials_validation=True,
            skip_metadata_api_check=True,
            skip_requesting_account_id=True,
            s3_use_path_style=True,
        )
    return args


def make_provider(spec: Spec) -> aws.Provider:
    return aws.Provider(logical.provider(spec.region), **provider_args(spec))
