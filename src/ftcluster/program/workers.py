"""Fleet workers: tasks placed on the fleet's instances, so the fleet does real work.

`awsvpc` networking in both fleet modes: each task gets its own network interface in the same
subnets and security group as the Fargate tasks, so the training port works the same way between
any two tasks, and no host ports can collide. With an Auto Scaling group the service places through
its capacity provider, so the task count drives the instances (managed scaling); a Spot Fleet is no
capacity provider, so there the service uses the EC2 launch type on whatever the fleet runs.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from . import names as logical
from .containers import worker_container
from .context import Context
from .distributed import Discovery
from .fleet import Fleet
from .iam import Roles
from .network import Network
from .service import container_definitions
from .storage import Checkpoints

PLACEMENT = [
    {"type": "spread", "field": "attribute:ecs.availability-zone"},  # lose an AZ, keep the rest
    {"type": "spread", "field": "instanceId"},  # lose an instance, lose as few tasks as possible
]


def build_workers(
    ctx: Context,
    cluster: aws.ecs.Cluster,
    providers: aws.ecs.ClusterCapacityProviders | None,
    network: Network,
    security_group: aws.ec2.SecurityGroup,
    roles: Roles,
    log_group: aws.cloudwatch.LogGroup,
    checkpoints: Checkpoints,
    fleet: Fleet | None,
    discovery: Discovery | None,
) -> aws.ecs.Service | None:
    """`providers`: the cluster's capacity providers once the fleet's own is attached (Auto Scaling
    group); None for a Spot Fleet, whose workers do not wait for them (see cluster.py)."""
    fleet_spec = ctx.spec.fleet
    if fleet is None or fleet_spec is None or fleet_spec.workers is None or ctx.counts.workers is None:
        return None
    containers = container_definitions(
        ctx.spec, lambda spec, **resolved: worker_container(spec, ctx.names, **resolved), log_group, checkpoints
    )
    task_definition = aws.ecs.TaskDefinition(
        logical.WORKERS_TASK,
        family=ctx.names.workers_family,
        requires_compatibilities=["EC2"],
        network_mode="awsvpc",
        execution_role_arn=roles.execution.arn,
        task_role_arn=roles.task.arn,
        container_definitions=containers,
        opts=ctx.opts(),
    )
    placement: dict[str, Any]
    waits_for: list[pulumi.Resource]
    if fleet.capacity_provider is not None:
        assert providers is not None
        # Through the provider (no launch type: it conflicts with a strategy). The provider must be
        # attached to the cluster before a service can use it.
        placement = {
            "capacity_provider_strategies": [
                {"capacity_provider": fleet.capacity_provider.name, "base": 0, "weight": 1}
            ]
        }
        waits_for = [providers]
    else:
        assert fleet.request is not None
        placement = {"launch_type": "EC2"}
        waits_for = [fleet.request]  # deleted before the fleet: tasks stop before their instances go
    if discovery is not None:
        # each worker's address as an A record of workers.<namespace>
        placement["service_registries"] = {"registry_arn": discovery.workers.arn}
    return aws.ecs.Service(
        logical.WORKERS_SERVICE,
        name=ctx.names.workers_service,
        cluster=cluster.arn,
        task_definition=task_definition.arn,
        desired_count=ctx.counts.workers,
        network_configuration={"subnets": network.subnet_ids, "security_groups": [security_group.id]},
        ordered_placement_strategies=PLACEMENT,
        # Never more workers than asked for: a new copy of each task would need an instance of its
        # own (a second set of GPU instances), and under torchrun it would join the running job. A
        # deployment stops the old tasks first (each gets stop_timeout to checkpoint), then starts
        # the new ones; an elastic job restarts all ranks at a membership change anyway.
        deployment_minimum_healthy_percent=0,
        deployment_maximum_percent=100,
        deployment_circuit_breaker={"enable": True, "rollback": True},
        # Rebalancing stops a running rank to start it in another AZ: a restart of the whole job (see
        # service.py). The placement strategy spreads over AZs when tasks start.
        availability_zone_rebalancing="DISABLED",
        propagate_tags="SERVICE",
        enable_ecs_managed_tags=True,
        wait_for_steady_state=False,
        **placement,
        opts=ctx.opts(
            # Before the network paths on destroy, so the instances can still report to ECS while they
            # drain.
            depends_on=[*waits_for, *network.paths],
            # A change of fleet type replaces this service (launch type and strategy are ForceNew in
            # terraform-provider-aws internal/service/ecs/service.go); ECS refuses a second service
            # of the same name while the first is still active or draining, so the old one goes first.
            delete_before_replace=True,
        ),
    )
