"""The EC2 Spot Fleet: a launch template whose instances join the ECS cluster, and the fleet itself.

A Spot Fleet cannot be an ECS capacity provider (that needs an Auto Scaling group), so its
instances register through the ECS agent settings in their user data, and work reaches them
through a service with the EC2 launch type (workers.py).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..spec import Fleet
from ..spec.aws_rules import instance_architecture
from . import names as logical
from .cluster import Cluster
from .context import Context
from .iam import Roles
from .network import Network

AMI_PARAMETER_ROOT = "/aws/service/ecs/optimized-ami/amazon-linux-2023"
ROOT_DEVICE = "/dev/xvda"  # root device name of the Amazon Linux 2023 ECS-optimized AMIs


@dataclass(frozen=True)
class Fleet:
    launch_template: aws.ec2.LaunchTemplate
    request: aws.ec2.SpotFleetRequest


def ami_parameter(fleet: Fleet) -> str:
    """The public SSM parameter holding the recommended ECS-optimized AMI for these instances."""
    if fleet.gpu:
        return f"{AMI_PARAMETER_ROOT}/gpu/recommended/image_id"  # x86_64 only (checked by the spec)
    if instance_architecture(fleet.instance_types[0]) == "ARM64":  # one architecture per fleet (spec)
        return f"{AMI_PARAMETER_ROOT}/arm64/recommended/image_id"
    return f"{AMI_PARAMETER_ROOT}/recommended/image_id"


def ecs_agent_settings(cluster_name: str, stop_timeout: int, gpu: bool) -> dict[str, str]:
    settings = {
        "ECS_CLUSTER": cluster_name,  # else the instance joins the `default` cluster
        # On the 2-minute Spot notice the agent drains the instance: tasks move elsewhere.
        "ECS_ENABLE_SPOT_INSTANCE_DRAINING": "true",
        "ECS_CONTAINER_STOP_TIMEOUT": f"{stop_timeout}s",  # time to save a checkpoint
        "ECS_AWSVPC_BLOCK_IMDS": "true",  # tasks use their task role, never the instance's
    }
    if gpu:
        settings["ECS_ENABLE_GPU_SUPPORT"] = "true"
    return settings


def user_data_script(settings: dict[str, str]) -> str:
    lines = "\n".join(f"{key}={value}" for key, value in settings.items())
    return f"#!/bin/bash\ncat >> /etc/ecs/ecs.config <<'EOF'\n{lines}\nEOF\n"


def fleet_overrides(instance_types: list[str], subnet_ids: list[pulumi.Input[str]]) -> list[dict[str, object]]:
    """Every instance type in every subnet (AZ): the more pools, the fewer interruptions."""
    return [
        {"instance_type": instance_type, "subnet_id": subnet_id}
        for instance_type in instance_types
        for subnet_id in subnet_ids
    ]


def build_fleet(
    ctx: Context,
    cluster: Cluster,
    network: Network,
    security_group: aws.ec2.SecurityGroup,
    roles: Roles,
) -> Fleet | None:
    fleet = ctx.spec.fleet
    if fleet is None or not fleet.enabled:
        return None
    assert roles.instance_profile is not None and roles.fleet is not None
    ami = aws.ssm.get_parameter_output(name=ami_parameter(fleet), opts=ctx.invoke_opts())
    settings = cluster.cluster.name.apply(
        lambda name: ecs_agent_settings(name, ctx.spec.training.stop_timeout, fleet.gpu)
    )
    tags = ctx.cluster_tags(Name=f"{ctx.spec.name}-fleet")
    launch_template = aws.ec2.LaunchTemplate(
        logical.LAUNCH_TEMPLATE,
        name=ctx.names.launch_template,
        description=f"ftcluster {ctx.spec.name}: ECS container instances of the Spot Fleet",
        image_id=ami.insecure_value,  # `value` is marked secret by the provider; an AMI id is not
        iam_instance_profile={"arn": roles.instance_profile.arn},
        user_data=settings.apply(lambda s: base64.b64encode(user_data_script(s).encode()).decode()),
        vpc_security_group_ids=[security_group.id],
        metadata_options={
            "http_endpoint": "enabled",
            "http_tokens": "required",  # IMDSv2 only
            # One hop: the host and the ECS agent (host network namespace, AWS knowledge center
            # "ecs-container-ec2-metadata") reach IMDS; a container behind a bridge never gets a
            # token. awsvpc tasks are blocked by ECS_AWSVPC_BLOCK_IMDS as well.
            "http_put_response_hop_limit": 1,
            "instance_metadata_tags": "disabled",
        },
        block_device_mappings=[
            {
                "device_name": ROOT_DEVICE,
                "ebs": {
                    "volume_size": fleet.root_volume_gib,
                    "volume_type": "gp3",
                    "encrypted": "true",
                    "delete_on_termination": "true",
                },
            }
        ],
        # The provider's default tags do not reach what the fleet launches; tag it here.
        tag_specifications=[
            {"resource_type": "instance", "tags": tags},
            {"resource_type": "volume", "tags": tags},
        ],
        update_default_version=True,
        opts=ctx.opts(
            # AWS publishes a new AMI every few weeks; following it on every `up` would replace
            # the fleet and all its instances. A newer AMI is taken when the template is replaced.
            ignore_changes=["image_id"],
            depends_on=network.paths,  # instances boot only once they can reach ECS (network.py)
        ),
    )
    overrides = fleet_overrides(list(fleet.instance_types), network.subnet_ids)
    request_args: dict[str, object] = {}
    if fleet.max_price is not None:
        # Only on request: AWS advises against a bid price (it raises interruptions).
        request_args["spot_price"] = str(fleet.max_price)
    request = aws.ec2.SpotFleetRequest(
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
                    "id": launch_template.id,
                    # Spot Fleet takes no `$Latest`: pin the number, so template changes roll out.
                    "version": launch_template.latest_version.apply(str),
                },
                "overrides": overrides,
            }
        ],
        **request_args,
        opts=ctx.opts(depends_on=[roles.fleet_policy, roles.instance_policy, *network.paths]),
    )
    return Fleet(launch_template, request)
