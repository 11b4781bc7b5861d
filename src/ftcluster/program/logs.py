"""Container logs: one CloudWatch log group per cluster, retention from the spec."""

from __future__ import annotations

import pulumi_aws as aws

from .context import Context


def build_log_group(ctx: Context) -> aws.cloudwatch.LogGroup:
    return aws.cloudwatch.LogGroup(
        "log-group",
        name=ctx.names.log_group,
        retention_in_days=ctx.spec.logs.retention_days,
        opts=ctx.opts(),
    )
