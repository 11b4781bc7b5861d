"""The interruption ledger's recording: EventBridge rules that deliver the cluster's events into a
CloudWatch Logs group of its own, kept as long as the other logs.

ECS forgets a stopped task after about an hour; these rules keep every task start and stop, Spot
notice, rebalance recommendation, instance launch and termination, and drill, for `ftcluster events`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from . import event_patterns as patterns
from . import names as logical
from .context import Context
from .fleet import Fleet

TARGET_ID = "ftcluster-ledger"
DESCRIPTIONS = {
    patterns.TASKS: "task starts and stops (Spot reclaims, exits, scale-in, deployments)",
    patterns.SPOT: "Spot interruption notices and rebalance recommendations (the region's: EC2 cannot filter by cluster)",
    patterns.INSTANCES: "GPU instances launched and terminated",
    patterns.DRILLS: "ftcluster drills",
}


@dataclass(frozen=True)
class Recording:
    log_group: aws.cloudwatch.LogGroup
    rules: dict[str, aws.cloudwatch.EventRule]  # by source (event_patterns.RULE_SOURCES)


def build_recording(ctx: Context, cluster: aws.ecs.Cluster, fleet: Fleet | None) -> Recording:
    names = ctx.names
    log_group = aws.cloudwatch.LogGroup(
        logical.EVENT_LOG_GROUP,
        name=names.event_log_group,
        retention_in_days=ctx.spec.logs.retention_days,
        opts=ctx.opts(),
    )
    # Account-scoped (a policy name): the form the EventBridge guide documents for CloudWatch Logs
    # targets. CloudWatch Logs allows 10 such policies per region (PutResourcePolicy, botocore logs
    # model); preflight counts them.
    policy = aws.cloudwatch.LogResourcePolicy(
        logical.EVENT_LOG_POLICY,
        policy_name=names.event_log_policy,
        policy_document=log_group.arn.apply(lambda arn: json.dumps(patterns.delivery_policy(arn))),
        opts=ctx.opts(),
    )
    rules = {}
    for source, pattern in _patterns(ctx, cluster, fleet).items():
        rule = aws.cloudwatch.EventRule(
            logical.event_rule(source),
            name=names.event_rule(source),
            description=f"ftcluster {ctx.spec.name}: {DESCRIPTIONS[source]}",
            event_pattern=pulumi.Output.from_input(pattern).apply(json.dumps),
            # the policy first: events a rule matched before EventBridge may write are lost
            opts=ctx.opts(depends_on=[policy]),
        )
        aws.cloudwatch.EventTarget(
            logical.event_target(source),
            rule=rule.name,
            target_id=TARGET_ID,
            arn=log_group.arn,  # no role: CloudWatch Logs targets go by the resource policy only
            opts=ctx.opts(),
        )
        rules[source] = rule
    return Recording(log_group, rules)


def _patterns(ctx: Context, cluster: aws.ecs.Cluster, fleet: Fleet | None) -> dict[str, Any]:
    found: dict[str, Any] = {patterns.TASKS: cluster.arn.apply(patterns.task_pattern)}
    if fleet is not None:
        found[patterns.SPOT] = patterns.spot_pattern()
        if fleet.group is not None:
            found[patterns.INSTANCES] = fleet.group.name.apply(patterns.group_pattern)
        elif fleet.request is not None:
            found[patterns.INSTANCES] = fleet.request.id.apply(
                lambda request_id: patterns.fleet_pattern(
                    patterns.fleet_request_arn(ctx.partition, ctx.spec.region, ctx.account_id, request_id)
                )
            )
    found[patterns.DRILLS] = patterns.drill_pattern(ctx.spec.name)
    return found
