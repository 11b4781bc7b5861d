"""The stack outputs: every name other layers read (status, cost, destroy), None or [] where it
does not apply."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from .cluster import Cluster
from .completion import Completion
from .context import Context
from .distributed import Discovery, Rendezvous
from .fleet import Fleet
from .network import Network
from .recording import Recording
from .service import TrainingService
from .storage import Checkpoints

EXPORT_NAMES = (
    "region",
    "cluster_name",
    "cluster_arn",
    "service_name",
    "task_definition_arn",
    "workers_service_name",
    "spot_fleet_request_id",
    "vpc_id",
    "subnet_ids",
    "checkpoint_bucket",
    "checkpoint_uri",
    "log_group",
    "autoscaling_min",
    "autoscaling_max",
    "desired_tasks",
    "fleet_target_capacity",
    "fleet_type",  # auto_scaling_group, spot_fleet, or None (no fleet)
    "auto_scaling_group_name",
    "capacity_provider_name",
    "rendezvous_service_name",
    "rendezvous_endpoint",  # host:port the elastic job's workers meet at
    "distributed_min_nodes",
    "workers_desired",  # the worker task count deployed
    "event_log_group",  # the interruption ledger: what EventBridge recorded (`ftcluster events`)
    "completion_parameters",  # job -> SSM parameter that records its completion
    "completed_jobs",  # the jobs this deployment holds at 0 because they completed
)


def collect_exports(
    ctx: Context,
    *,
    network: Network,
    cluster: Cluster,
    training: TrainingService,
    checkpoints: Checkpoints,
    log_group: aws.cloudwatch.LogGroup,
    fleet: Fleet | None,
    workers: aws.ecs.Service | None,
    discovery: Discovery | None,
    rendezvous: Rendezvous | None,
    recording: Recording,
    completion: Completion,
) -> dict[str, Any]:
    counts = ctx.counts
    exports: dict[str, Any] = {
        "region": ctx.spec.region,
        "cluster_name": cluster.cluster.name,
        "cluster_arn": cluster.cluster.arn,
        "service_name": training.service.name,
        "task_definition_arn": training.task_definition.arn,
        "workers_service_name": workers.name if workers is not None else None,
        "spot_fleet_request_id": fleet.request.id if fleet is not None and fleet.request is not None else None,
        "vpc_id": network.vpc_id,
        "subnet_ids": pulumi.Output.all(*network.subnet_ids),  # where tasks and instances run
        "checkpoint_bucket": checkpoints.bucket,
        "checkpoint_uri": checkpoints.uri,
        "log_group": log_group.name,
        # The scaling target's current bounds (pinned to the count while `tasks` is overridden).
        "autoscaling_min": counts.scaling_min if counts.autoscaling else None,
        "autoscaling_max": counts.scaling_max if counts.autoscaling else None,
        "desired_tasks": counts.tasks,
        # Spot Fleet: its target capacity; Auto Scaling group: its max size (the `instances` setting)
        "fleet_target_capacity": counts.fleet_capacity,
        "fleet_type": fleet.spec.type if fleet is not None else None,
        "auto_scaling_group_name": fleet.group.name if fleet is not None and fleet.group is not None else None,
        "capacity_provider_name": (
            fleet.capacity_provider.name if fleet is not None and fleet.capacity_provider is not None else None
        ),
        "rendezvous_service_name": rendezvous.service.name if rendezvous is not None else None,
        "rendezvous_endpoint": discovery.endpoint if discovery is not None else None,
        "distributed_min_nodes": _min_nodes(ctx),
        "workers_desired": counts.workers if workers is not None else None,
        "event_log_group": recording.log_group.name,
        "completion_parameters": completion.parameters,
        "completed_jobs": sorted(counts.completed & set(completion.parameters)),
    }
    assert tuple(exports) == EXPORT_NAMES
    return exports


def _min_nodes(ctx: Context) -> int | None:
    fleet = ctx.spec.fleet
    workers = fleet.workers if fleet is not None and fleet.enabled else None
    return workers.distributed.min_nodes if workers is not None and workers.distributed is not None else None
