"""fleet.type spot_fleet: an EC2 Spot Fleet of a fixed size (a legacy API AWS discourages, kept for
clusters that chose it).

A Spot Fleet cannot be an ECS capacity provider (that needs an Auto Scaling group), so its
instances register through the ECS agent settings in their user data, and work reaches them
through a service with the EC2 launch type (workers.py).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..spec import SpotFleet
from . import names as logical
from .context import Context
from .iam import Roles
from .network import Network


def fleet_overrides(instance_types: list[str], subnet_ids: list[pulumi.Input[str]]) -> list[dict[str, object]]:
    """Every instance type in every subnet (AZ): the more pools, the fewer interruptions."""
    return [
        {"instance_type": instance_type, "subnet_id": subnet_id}
        for instance_type in instance_types
        for subnet_id in subnet_ids
    ]


def build_spot_fleet(
    ctx: Context, fleet: SpotFleet, template: aws.ec2.LaunchTemplate, network: Network, roles: Roles
) -> aws.ec2.SpotFleetRequest:
    assert roles.fleet is not None
    overrides = fleet_overrides(list(fleet.instance_types), network.subnet_ids)
    request_args: dict[str, object] = {}
    if fleet.max_price is not None:
        # Only on request: AWS advises against a bid price (it raises interruptions).
        request_args["spot_price"] = str(fleet.max_price)
    return aws.ec2.SpotFleetRequest(
        logical.SPOT_FLEET,
        iam_fleet_role=roles.fleet.arn,
        fleet_type="maintain",  # replace whatever is interrupted or lost
        target_capacity=ctx.counts.fleet_capacity,
        on_demand_target_capacity=ctx.counts.fleet_on_demand,
        allocation_strategy=fleet.allocation_strategy,
        replace_unhealthy_instances=True,
        # No spot_maintenance_strategies: capacity rebalancing with `launch` starts a replacement
        # but never terminates the at-risk instance (EC2 API SpotCapacityRebalance), so GPU
        # instances pile up and bill. Interrupted instances are still replaced (`maintain`).
        instance_interruption_behaviour="terminate",  # Spot draining does not work with hibernate
        terminate_instances_on_delete="true",  # a string in pulumi_aws 7
        # A lower target terminates nothing by itself: `ftcluster scale` drains the instances it picks
        # and terminates exactly those (engine/drain.py), instead of the fleet killing busy ones.
        excess_capacity_termination_policy="NoTermination",
        wait_for_fulfillment=False,
        launch_template_configs=[
            {
                "launch_template_specification": {
                    "id": template.id,
                    # Spot Fleet takes no `$Latest`: pin the number, so template changes roll out.
                    "version": template.latest_version.apply(str),
                },
                "overrides": overrides,
            }
        ],
        **request_args,
        opts=ctx.opts(depends_on=[roles.fleet_policy, roles.instance_policy, *network.paths]),
    )
