"""Fleet workers: tasks placed on the Spot Fleet's instances, so the fleet does real work.

EC2 launch type (a Spot Fleet is no capacity provider) and `awsvpc` networking: each task gets
its own network interface in the same subnets and security group as the Fargate tasks, so the
training port works the same way between any two tasks, and no host ports can collide.
"""

from __future__ import annotations

import pulumi_aws as aws

from . import names as logical
from .cluster import Cluster
from .containers import worker_container
from .context import Context
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
    cluster: Cluster,
    network: Network,
    security_group: aws.ec2.SecurityGroup,
    roles: Roles,
    log_group: aws.cloudwatch.LogGroup,
    checkpoints: Checkpoints,
    fleet: Fleet | None,
) -> aws.ecs.Service | None:
    fleet_spec = ctx.spec.fleet
    if fleet is None or fleet_spec is None or fleet_spec.workers is None:
        return None
    containers = container_definitions(ctx.spec, worker_container, log_group, checkpoints)
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
    return aws.ecs.Service(
        logical.WORKERS_SERVICE,
        name=ctx.names.workers_service,
        cluster=cluster.cluster.arn,
        task_definition=task_definition.arn,
        desired_count=ctx.counts.workers,
        launch_type="EC2",
        network_configuration={"subnets": network.subnet_ids, "security_groups": [security_group.id]},
        ordered_placement_strategies=PLACEMENT,
        # The fleet has no spare instance for a second copy of each task: a deployment stops old
        # tasks first (they get stop_timeout to checkpoint), then starts the new ones.
        deployment_minimum_healthy_percent=0,
        deployment_maximum_percent=100,
        deployment_circuit_breaker={"enable": True, "rollback": True},
        propagate_tags="SERVICE",
        enable_ecs_managed_tags=True,
        wait_for_steady_state=False,
        # Deleted before the fleet, so its tasks stop before their instances are terminated, and
        # before the network paths, so the instances can still report to ECS while they drain.
        opts=ctx.opts(depends_on=[fleet.request, *network.paths]),
    )
