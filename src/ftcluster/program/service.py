"""The training service: a Fargate task definition and an ECS service over Fargate and Fargate Spot."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ..spec import Spec
from . import names as logical
from .cluster import Cluster
from .containers import training_container
from .context import Context
from .iam import Roles
from .network import Network
from .options import capacity_strategy
from .storage import Checkpoints


@dataclass(frozen=True)
class TrainingService:
    task_definition: aws.ecs.TaskDefinition
    service: aws.ecs.Service


def container_definitions(
    spec: Spec,
    make_container: Callable[..., dict[str, Any]],
    log_group: aws.cloudwatch.LogGroup,
    checkpoints: Checkpoints,
) -> pulumi.Output[str]:
    """The task's container list as JSON, once the log group name and checkpoint URI are known."""
    return pulumi.Output.all(log_group.name, checkpoints.uri).apply(
        lambda resolved: json.dumps([make_container(spec, log_group=resolved[0], checkpoint_uri=resolved[1])])
    )


def build_training_service(
    ctx: Context,
    cluster: Cluster,
    network: Network,
    security_group: aws.ec2.SecurityGroup,
    roles: Roles,
    log_group: aws.cloudwatch.LogGroup,
    checkpoints: Checkpoints,
) -> TrainingService:
    training = ctx.spec.training
    containers = container_definitions(ctx.spec, training_container, log_group, checkpoints)
    task_definition = aws.ecs.TaskDefinition(
        logical.TRAINING_TASK,
        family=ctx.names.training_family,
        requires_compatibilities=["FARGATE"],
        network_mode="awsvpc",
        cpu=str(training.cpu),
        memory=str(training.memory),
        runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": training.cpu_architecture},
        ephemeral_storage={"size_in_gib": training.ephemeral_storage_gib},
        execution_role_arn=roles.execution.arn,
        task_role_arn=roles.task.arn,
        container_definitions=containers,
        opts=ctx.opts(),
    )
    service = aws.ecs.Service(
        logical.TRAINING_SERVICE,
        name=ctx.names.training_service,
        cluster=cluster.cluster.arn,
        task_definition=task_definition.arn,
        # Only the starting count: from then on the scaling target owns it (see scaling.py).
        desired_count=ctx.counts.tasks,
        capacity_provider_strategies=capacity_strategy(training.capacity),
        # Only for the run that changes the strategy (AWS takes a new strategy only with a new
        # deployment); on any other update it would restart every task. See options.py.
        force_new_deployment=ctx.options.force_new_deployment,
        network_configuration={
            "subnets": network.subnet_ids,
            "security_groups": [security_group.id],
            "assign_public_ip": network.assign_public_ip,
        },
        # The ranks form one job of `desired` members: a deployment must never run more (the
        # default 200 % would start a second full set beside the first). Maximum 100 % leaves
        # ECS no room to start a new task first, so it may stop old ones first (minimum 0 %):
        # the whole job restarts, each task with its stop timeout to checkpoint.
        deployment_maximum_percent=100,
        deployment_minimum_healthy_percent=0,
        deployment_circuit_breaker={"enable": True, "rollback": True},
        # Rebalancing stops running tasks in an over-full AZ to start them elsewhere: a running
        # rank killed for placement's sake. Spreading happens at placement time anyway. Every service
        # says so: a create request that does not gets ENABLED (botocore ECS model, CreateService
        # availabilityZoneRebalancing).
        availability_zone_rebalancing="DISABLED",
        propagate_tags="SERVICE",
        enable_ecs_managed_tags=True,
        wait_for_steady_state=False,
        opts=ctx.opts(
            # FARGATE_SPOT must be attached to the cluster before a service can use it; the
            # network paths must exist before tasks pull images and outlive them on destroy.
            depends_on=[cluster.capacity_providers, *network.paths],
            # Application Auto Scaling sets the live count; `up` must not undo it. A count change
            # thus never goes through UpdateService (no deployment, no restarted task).
            ignore_changes=["desired_count"],
        ),
    )
    return TrainingService(task_definition, service)
