"""fleet.type auto_scaling_group (the default): the GPU instances as an EC2 Auto Scaling group behind
an ECS capacity provider.

The workers service places its tasks through the provider (workers.py), and ECS managed scaling
starts and stops instances for them: the worker task count drives the instances, up to
`fleet.instances` (the group's max size). Managed termination protection keeps the group from
terminating an instance that still runs tasks; managed draining drains an instance the group does
terminate (scale-in, Spot interruption, capacity rebalancing) before it goes.
"""

from __future__ import annotations

import pulumi_aws as aws

from ..spec import Fleet as FleetSpec
from . import names as logical
from .context import Context
from .iam import Roles
from .network import Network
from .options import GROUP_SPOT_ALLOCATION, INSTANCE_WARMUP_SECONDS

# ECS adds this tag when it associates the group with a capacity provider and manages only groups
# that carry it; declared here so `up` never removes it, and propagated so instances carry it too
# (pulumi_aws ecs/capacity_provider.py and autoscaling GroupTagArgs notes).
ECS_MANAGED_TAG = "AmazonECSManaged"


def group_tags(ctx: Context) -> list[dict[str, object]]:
    """The group's tags. The provider's default tags do not reach an Auto Scaling group (its `tag`
    blocks are no tags map), so the cluster's tags are given here; the launch template already tags
    the instances, so only ECS's own tag propagates to them."""
    tags = ctx.cluster_tags(Name=ctx.names.auto_scaling_group)
    listed: list[dict[str, object]] = [
        {"key": key, "value": value, "propagate_at_launch": False} for key, value in tags.items()
    ]
    listed.append({"key": ECS_MANAGED_TAG, "value": "true", "propagate_at_launch": True})
    return listed


def build_instance_group(
    ctx: Context, fleet: FleetSpec, template: aws.ec2.LaunchTemplate, network: Network, roles: Roles
) -> tuple[aws.autoscaling.Group, aws.ecs.CapacityProvider]:
    distribution: dict[str, object] = {
        "on_demand_base_capacity": ctx.counts.fleet_on_demand,  # the first N instances, never interrupted
        "on_demand_percentage_above_base_capacity": 0,  # everything above the base is Spot
        "spot_allocation_strategy": GROUP_SPOT_ALLOCATION[fleet.allocation_strategy],
    }
    if fleet.max_price is not None:
        # Only on request: AWS advises against a price cap (it raises interruptions).
        distribution["spot_max_price"] = str(fleet.max_price)
    group = aws.autoscaling.Group(
        logical.GPU_INSTANCES,
        name=ctx.names.auto_scaling_group,
        min_size=0,  # managed scaling starts instances only for tasks that wait for one
        max_size=ctx.counts.fleet_capacity,
        vpc_zone_identifiers=network.subnet_ids,  # every instance type in every AZ: the more pools, the better
        mixed_instances_policy={
            "instances_distribution": distribution,
            "launch_template": {
                "launch_template_specification": {
                    "launch_template_id": template.id,
                    # the number, not `$Latest`: a template change shows as a change of the group
                    "version": template.latest_version.apply(str),
                },
                # No weights: ECS capacity providers do not support instance weighting (ECS
                # Developer Guide, cluster auto scaling considerations).
                "overrides": [{"instance_type": instance_type} for instance_type in fleet.instance_types],
            },
        },
        # Replace a Spot instance at raised risk before its interruption; unlike the Spot Fleet's
        # rebalancing, the group terminates the old one once the new one runs, and managed draining
        # moves its tasks first.
        capacity_rebalance=True,
        # Managed termination protection needs new instances protected from scale-in (ECS Developer
        # Guide, managed termination protection); ECS lifts the protection once an instance is empty.
        protect_from_scale_in=True,
        # Destroy: delete the group with its instances and outstanding lifecycle actions at once
        # (DeleteAutoScalingGroup ForceDelete); the workers service is already gone by then. Without
        # it terraform-provider-aws (internal/service/autoscaling/group.go drainGroup) waits for
        # every instance to terminate first.
        force_delete=True,
        wait_for_capacity_timeout="0",  # the capacity follows the tasks; there is nothing to wait for
        tags=group_tags(ctx),
        opts=ctx.opts(
            # ECS managed scaling sets the desired capacity; `up` must never reset it.
            ignore_changes=["desiredCapacity"],
            depends_on=[roles.instance_policy, *network.paths],
        ),
    )
    provider = aws.ecs.CapacityProvider(
        logical.GPU_CAPACITY_PROVIDER,
        name=ctx.names.capacity_provider,
        auto_scaling_group_provider={
            "auto_scaling_group_arn": group.arn,
            # target 100 %: no idle GPU instance is kept waiting for a task
            "managed_scaling": {
                "status": "ENABLED",
                "target_capacity": 100,
                "instance_warmup_period": INSTANCE_WARMUP_SECONDS,
            },
            "managed_termination_protection": "ENABLED",
            "managed_draining": "ENABLED",
        },
        opts=ctx.opts(),
    )
    return group, provider
