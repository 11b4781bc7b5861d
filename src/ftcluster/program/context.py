"""What every concern module needs while declaring resources: the spec, names, counts, provider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ..spec import Spec
from .names import CLUSTER_TAG, Names
from .options import Counts, ProgramOptions


@dataclass(frozen=True)
class Context:
    spec: Spec
    options: ProgramOptions
    names: Names
    counts: Counts
    provider: aws.Provider
    partition: str  # "aws", "aws-cn", "aws-us-gov", ...: part of every ARN we write
    reverse_dns_prefix: str  # "com.amazonaws" (VPC endpoint service names)
    account_id: str

    def opts(self, **options: Any) -> pulumi.ResourceOptions:
        """Resource options with our explicit provider (never the ambient one)."""
        return pulumi.ResourceOptions(provider=self.provider, **options)

    def invoke_opts(self) -> pulumi.InvokeOptions:
        return pulumi.InvokeOptions(provider=self.provider)

    def cluster_tags(self, **extra: str) -> dict[str, str]:
        """Tags for places the provider's default tags do not reach (launch template tag specs)."""
        return {CLUSTER_TAG: self.spec.name, **self.spec.tags, **extra}

    def managed_policy(self, path: str) -> str:
        return f"arn:{self.partition}:iam::aws:policy/{path}"
