"""Before a Spot Fleet shrinks: drain the container instances that will go, then terminate exactly those.

Left to itself a Spot Fleet picks which instances to terminate when its target drops and kills
them with their tasks running. ftcluster's fleet is set to NoTermination (program/fleet.py), so
`scale` chooses the instances itself, sets them DRAINING in ECS (their tasks get their stop timeout
to checkpoint and ECS starts replacements elsewhere), waits until they run no task, lowers the
target, and then terminates them. This is the one place where ftcluster changes AWS outside Pulumi.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..aws import AwsSession, aws_call, chunks, pages

DRAIN_TIMEOUT_SECONDS = 10 * 60  # stop timeouts are at most 2 minutes; ECS needs a while to place replacements
POLL_SECONDS = 10


@dataclass(frozen=True)
class FleetMember:
    instance_id: str
    spot: bool
    container_instance: str | None  # its ECS container instance ARN; None: it never joined the cluster
    running_tasks: int


def fleet_members(aws: AwsSession, cluster: str, fleet_id: str) -> list[FleetMember]:
    """The fleet's running instances, each with its ECS container instance (if it joined) and task count."""
    ec2, ecs = aws.client("ec2"), aws.client("ecs")
    with aws_call(f"listing the instances of Spot Fleet request {fleet_id}"):
        active = pages(ec2, "describe_spot_fleet_instances", "ActiveInstances", SpotFleetRequestId=fleet_id)
    with aws_call(f"listing the container instances of cluster {cluster}"):
        arns = pages(ecs, "list_container_instances", "containerInstanceArns", cluster=cluster)
        joined = {}
        for batch in chunks(arns, 100):
            for item in ecs.describe_container_instances(cluster=cluster, containerInstances=batch)[
                "containerInstances"
            ]:
                joined[item.get("ec2InstanceId")] = item
    members = []
    for instance in active:
        found = joined.get(instance["InstanceId"])
        members.append(
            FleetMember(
                instance["InstanceId"],
                spot=bool(instance.get("SpotInstanceRequestId")),  # on-demand members have no Spot request
                container_instance=found["containerInstanceArn"] if found else None,
                running_tasks=int(found.get("runningTasksCount", 0)) + int(found.get("pendingTasksCount", 0))
                if found
                else 0,
            )
        )
    return members


def choose_leavers(members: Sequence[FleetMember], count: int, on_demand_target: int) -> list[FleetMember]:
    """`count` instances to remove: first those that never joined ECS (no work on them), then Spot ones with the
    fewest tasks; on-demand ones only beyond the fleet's on-demand part, which the fleet would replace."""
    spare_on_demand = max(sum(1 for m in members if not m.spot) - on_demand_target, 0)
    spot = [m for m in members if m.spot]
    on_demand = [m for m in members if not m.spot]
    ranked = sorted(spot, key=lambda m: (m.container_instance is not None, m.running_tasks, m.instance_id))
    ranked += sorted(on_demand, key=lambda m: (m.container_instance is not None, m.running_tasks, m.instance_id))[
        :spare_on_demand
    ]
    return ranked[:count]


def start_draining(aws: AwsSession, cluster: str, leavers: Sequence[FleetMember]) -> None:
    arns = [m.container_instance for m in leavers if m.container_instance]
    ecs = aws.client("ecs")
    with aws_call(f"draining container instances of cluster {cluster}"):
        for batch in chunks(arns, 10):  # UpdateContainerInstancesState takes at most 10
            ecs.update_container_instances_state(cluster=cluster, containerInstances=batch, status="DRAINING")


def tasks_left(aws: AwsSession, cluster: str, leavers: Sequence[FleetMember]) -> int:
    arns = [m.container_instance for m in leavers if m.container_instance]
    if not arns:
        return 0
    ecs = aws.client("ecs")
    with aws_call(f"describing the draining container instances of cluster {cluster}"):
        found = ecs.describe_container_instances(cluster=cluster, containerInstances=arns)["containerInstances"]
    return sum(int(i.get("runningTasksCount", 0)) + int(i.get("pendingTasksCount", 0)) for i in found)


def wait_until_idle(
    count_tasks: Callable[[], int],
    *,
    timeout: float = DRAIN_TIMEOUT_SECONDS,
    interval: float = POLL_SECONDS,
    on_progress: Callable[[int], None] = lambda left: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Poll until the draining instances run no task; returns the tasks still left (0: drained)."""
    deadline = clock() + timeout
    while True:
        left = count_tasks()
        on_progress(left)
        if left == 0 or clock() >= deadline:
            return left
        sleep(min(interval, max(deadline - clock(), 0)))


def terminate(aws: AwsSession, leavers: Sequence[FleetMember]) -> None:
    ids = [m.instance_id for m in leavers]
    if not ids:
        return
    with aws_call("terminating the drained fleet instances"):
        for batch in chunks(ids, 1000):
            aws.client("ec2").terminate_instances(InstanceIds=batch)


def drain_for_smaller_fleet(
    aws: AwsSession,
    cluster: str,
    fleet_id: str,
    capacity: int,
    on_demand_target: int,
    *,
    on_progress: Callable[[int], None] = lambda left: None,
    timeout: float = DRAIN_TIMEOUT_SECONDS,
) -> tuple[list[FleetMember], int]:
    """Drain as many instances as a target of `capacity` leaves over; (those instances, tasks still on them)."""
    members = fleet_members(aws, cluster, fleet_id)
    leaving = choose_leavers(members, len(members) - capacity, on_demand_target)
    if not leaving:
        return [], 0
    start_draining(aws, cluster, leaving)
    left = wait_until_idle(lambda: tasks_left(aws, cluster, leaving), on_progress=on_progress, timeout=timeout)
    return leaving, left
