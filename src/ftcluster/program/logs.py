"""CloudWatch log groups: the containers' own, and the one Container Insights writes to."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi_aws as aws

from . import names as logical
from .context import Context


@dataclass(frozen=True)
class LogGroups:
    containers: aws.cloudwatch.LogGroup  # awslogs driver of every task
    insights: aws.cloudwatch.LogGroup  # Container Insights performance events


def build_log_groups(ctx: Context) -> LogGroups:
    retention = ctx.spec.logs.retention_days
    containers = aws.cloudwatch.LogGroup(
        logical.LOG_GROUP, name=ctx.names.log_group, retention_in_days=retention, opts=ctx.opts()
    )
    # Container Insights writes to /aws/ecs/containerinsights/<cluster>/performance and creates
    # that group itself when missing: untagged, never expiring, and left behind by `destroy`.
    # Created here, it carries the cluster's tags and retention and goes with the stack.
    adopt = {}
    if ctx.options.adopt_insights_log_group:
        # An import must match what exists (never-expiring, untagged): ignored for this one run, the
        # next `up` then sets the retention and tags.
        adopt = {"import_": ctx.names.insights_log_group, "ignore_changes": ["retentionInDays", "tags"]}
    insights = aws.cloudwatch.LogGroup(
        logical.INSIGHTS_LOG_GROUP,
        name=ctx.names.insights_log_group,
        retention_in_days=retention,
        opts=ctx.opts(**adopt),
    )
    return LogGroups(containers, insights)
