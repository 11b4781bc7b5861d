"""What a drill looks at in AWS, read in one pass: the services' desired counts and tasks, the GPU
instances, the fault's target. Read-only; the Auto Scaling group and Spot Fleet readers are status's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..aws import AwsError, AwsSession, aws_call, chunks, pages
from ..errors import FtclusterError
from ..live.status_capacity import read_fleet, read_group

TASKS_PER_CALL = 100  # DescribeTasks takes at most 100 tasks
GONE_INSTANCE_STATES = ("shutting-down", "terminated", "stopping", "stopped")


@dataclass(frozen=True)
class TaskState:
    id: str
    arn: str
    service: str | None
    last_status: str
    capacity_provider: str
    availability_zone: str | None
    created_at: datetime | None
    started_at: datetime | None
    stopped_at: datetime | None


@dataclass(frozen=True)
class InstanceState:
    id: str
    lifecycle: str  # spot | on-demand | unknown
    state: str  # EC2: running | shutting-down | terminated | ... | unknown
    in_service: bool  # the group counts it (InService and Healthy), or the fleet holds it running
    instance_type: str
    availability_zone: str | None


@dataclass(frozen=True)
class Snapshot:
    at: datetime
    desired: dict[str, int]  # service name -> its desired count now
    tasks: list[TaskState]  # the services' running tasks, and the target task whatever its state
    instances: list[InstanceState] = field(default_factory=list)
    capacity: int | None = None  # the group's desired capacity or the fleet's target; None: no fleet

    def running(self, service: str | None) -> list[TaskState]:
        return [t for t in self.tasks if t.service == service and t.last_status == "RUNNING"]

    def task(self, task_id: str) -> TaskState | None:
        return next((t for t in self.tasks if t.id == task_id), None)

    def instance(self, instance_id: str) -> InstanceState | None:
        return next((i for i in self.instances if i.id == instance_id), None)


def services_of(outputs: Mapping[str, Any]) -> list[str]:
    return [
        str(outputs[k]) for k in ("service_name", "workers_service_name", "rendezvous_service_name") if outputs.get(k)
    ]


def snapshot(
    session: AwsSession,
    outputs: Mapping[str, Any],
    *,
    task_arns: tuple[str, ...] = (),
    instance_ids: tuple[str, ...] = (),
    with_instances: bool = False,
) -> Snapshot:
    """The cluster now; `task_arns` and `instance_ids` are read whatever their state (a fault's target)."""
    cluster = str(outputs["cluster_name"])
    services = services_of(outputs)
    ecs = session.client("ecs")
    try:
        with aws_call(f"describing the services of cluster {cluster}"):
            described = (
                ecs.describe_services(cluster=cluster, services=services).get("services", []) if services else []
            )
    except AwsError as err:
        if err.code != "ClusterNotFoundException":
            raise
        raise FtclusterError(
            f"no ECS cluster named {cluster} in {outputs['region']}",
            hint="it may have been deleted outside ftcluster; `ftcluster status` and `ftcluster destroy --verify-only` "
            "show what is left of it",
        ) from None
    desired = {s["serviceName"]: int(s.get("desiredCount", 0)) for s in described if s.get("status") == "ACTIVE"}
    with aws_call(f"listing the tasks of cluster {cluster}"):
        arns = pages(ecs, "list_tasks", "taskArns", cluster=cluster, desiredStatus="RUNNING")
        tasks: list[dict[str, Any]] = []
        for batch in chunks(list(dict.fromkeys([*arns, *task_arns])), TASKS_PER_CALL):
            tasks += ecs.describe_tasks(cluster=cluster, tasks=batch).get("tasks", [])
    instances: list[InstanceState] = []
    capacity = None
    if with_instances or instance_ids:
        instances, capacity = _instances(session, outputs)
        missing = [i for i in instance_ids if i not in {x.id for x in instances}]
        instances += _loose_instances(session, missing)
    return Snapshot(datetime.now(timezone.utc), desired, [_task(t) for t in tasks], instances, capacity)


def _task(task: dict[str, Any]) -> TaskState:
    group = str(task.get("group") or "")
    az = task.get("availabilityZone")
    return TaskState(
        id=str(task["taskArn"]).rsplit("/", 1)[-1],
        arn=str(task["taskArn"]),
        service=group.removeprefix("service:") if group.startswith("service:") else None,
        last_status=str(task.get("lastStatus", "UNKNOWN")),
        capacity_provider=str(task.get("capacityProviderName") or task.get("launchType") or "unknown"),
        availability_zone=str(az) if az else None,
        created_at=task.get("createdAt"),
        started_at=task.get("startedAt"),
        stopped_at=task.get("stoppedAt"),
    )


def _instances(session: AwsSession, outputs: Mapping[str, Any]) -> tuple[list[InstanceState], int | None]:
    if outputs.get("auto_scaling_group_name"):
        group = read_group(session, str(outputs["auto_scaling_group_name"]), lambda _what, read: read())
        return [
            InstanceState(i.id, i.lifecycle, i.state, i.in_service, i.instance_type, i.availability_zone)
            for i in group.instances
        ], group.desired
    if outputs.get("spot_fleet_request_id"):
        fleet = read_fleet(session, str(outputs["spot_fleet_request_id"]))
        return [
            InstanceState(i.id, i.lifecycle, i.state, i.state == "running", i.instance_type, i.availability_zone)
            for i in fleet.instances
        ], fleet.target
    return [], None


def _loose_instances(session: AwsSession, ids: list[str]) -> list[InstanceState]:
    """Instances the group or fleet no longer lists (a terminated target), as EC2 still shows them."""
    if not ids:
        return []
    with aws_call(f"describing instance(s) {', '.join(ids)}"):
        reservations = pages(
            session.client("ec2"),
            "describe_instances",
            "Reservations",
            Filters=[{"Name": "instance-id", "Values": ids}],
        )
    found = {i["InstanceId"]: i for r in reservations for i in r.get("Instances", [])}
    return [
        InstanceState(
            id=i,
            lifecycle="spot" if found.get(i, {}).get("InstanceLifecycle") == "spot" else "unknown",
            state=str((found.get(i, {}).get("State") or {}).get("Name", "terminated")),  # EC2 forgets it in time
            in_service=False,
            instance_type=str(found.get(i, {}).get("InstanceType", "?")),
            availability_zone=None,
        )
        for i in ids
    ]
