"""The fleet's EC2 capacity: a launch template whose instances join the ECS cluster, and what launches
them, either an Auto Scaling group behind an ECS capacity provider (auto_scaling_group.py, the
default) or a Spot Fleet (spot_fleet.py, kept for clusters that chose it).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pulumi_aws as aws

from ..spec import Fleet as FleetSpec
from ..spec import SpotFleet
from ..spec.aws_rules import instance_architecture
from . import names as logical
from .auto_scaling_group import build_instance_group
from .context import Context
from .iam import Roles
from .network import Network
from .spot_fleet import build_spot_fleet

AMI_PARAMETER_ROOT = "/aws/service/ecs/optimized-ami/amazon-linux-2023"
ROOT_DEVICE = "/dev/xvda"  # root device name of the Amazon Linux 2023 ECS-optimized AMIs


@dataclass(frozen=True)
class Fleet:
    spec: FleetSpec
    launch_template: aws.ec2.LaunchTemplate
    request: aws.ec2.SpotFleetRequest | None = None  # type spot_fleet
    group: aws.autoscaling.Group | None = None  # type auto_scaling_group
    capacity_provider: aws.ecs.CapacityProvider | None = None  # ... and its ECS capacity provider


def ami_parameter(fleet: FleetSpec) -> str:
    """The public SSM parameter holding the recommended ECS-optimized AMI for these instances."""
    if fleet.gpu:
        return f"{AMI_PARAMETER_ROOT}/gpu/recommended/image_id"  # x86_64 only (checked by the spec)
    if instance_architecture(fleet.instance_types[0]) == "ARM64":  # one architecture per fleet (spec)
        return f"{AMI_PARAMETER_ROOT}/arm64/recommended/image_id"
    return f"{AMI_PARAMETER_ROOT}/recommended/image_id"


def ecs_agent_settings(cluster_name: str, stop_timeout: int, gpu: bool, *, spot_draining: bool) -> dict[str, str]:
    settings = {"ECS_CLUSTER": cluster_name}  # else the instance joins the `default` cluster
    if spot_draining:
        # On the 2-minute Spot notice the agent drains the instance: tasks move elsewhere. Not for an
        # Auto Scaling group provider: its managed draining covers Spot notices and rebalancing too
        # ("ECS_ENABLE_SPOT_INSTANCE_DRAINING in Auto Scaling group user data is redundant", ECS
        # Developer Guide, managed instance draining).
        settings["ECS_ENABLE_SPOT_INSTANCE_DRAINING"] = "true"
    settings["ECS_CONTAINER_STOP_TIMEOUT"] = f"{stop_timeout}s"  # time to save a checkpoint
    settings["ECS_AWSVPC_BLOCK_IMDS"] = "true"  # tasks use their task role, never the instance's
    if gpu:
        settings["ECS_ENABLE_GPU_SUPPORT"] = "true"
    return settings


def user_data_script(settings: dict[str, str]) -> str:
    lines = "\n".join(f"{key}={value}" for key, value in settings.items())
    return f"#!/bin/bash\ncat >> /etc/ecs/ecs.config <<'EOF'\n{lines}\nEOF\n"


def build_fleet(
    ctx: Context,
    cluster: aws.ecs.Cluster,
    network: Network,
    security_group: aws.ec2.SecurityGroup,
    roles: Roles,
) -> Fleet | None:
    fleet = ctx.spec.fleet
    if fleet is None or not fleet.enabled:
        return None
    template = _launch_template(ctx, fleet, cluster, network, security_group, roles)
    if isinstance(fleet, SpotFleet):
        return Fleet(fleet, template, request=build_spot_fleet(ctx, fleet, template, network, roles))
    group, provider = build_instance_group(ctx, fleet, template, network, roles)
    return Fleet(fleet, template, group=group, capacity_provider=provider)


def _launch_template(
    ctx: Context,
    fleet: FleetSpec,
    cluster: aws.ecs.Cluster,
    network: Network,
    security_group: aws.ec2.SecurityGroup,
    roles: Roles,
) -> aws.ec2.LaunchTemplate:
    assert roles.instance_profile is not None
    spot_fleet = isinstance(fleet, SpotFleet)
    ami = aws.ssm.get_parameter_output(name=ami_parameter(fleet), opts=ctx.invoke_opts())
    settings = cluster.name.apply(
        lambda name: ecs_agent_settings(name, ctx.spec.training.stop_timeout, fleet.gpu, spot_draining=spot_fleet)
    )
    tags = ctx.cluster_tags(Name=f"{ctx.spec.name}-fleet" if spot_fleet else ctx.names.auto_scaling_group)
    launcher = "the Spot Fleet" if spot_fleet else "the Auto Scaling group"
    return aws.ec2.LaunchTemplate(
        logical.LAUNCH_TEMPLATE,
        name=ctx.names.launch_template,
        description=f"ftcluster {ctx.spec.name}: ECS container instances of {launcher}",
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
