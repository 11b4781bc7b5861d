"""The verdict rules of `ftcluster status`: pure functions from gathered data to HEALTHY/DEGRADED/DOWN.

DOWN: the training service is gone or runs no task although it should.
DEGRADED: it runs, but with less than it should have (tasks, AZs, fleet capacity, a failed or
rolled-back deployment, scaling that cannot act). Findings of level "info" never change the state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

from .status_model import ClusterStatus, Finding, ServiceState, Verdict

JOIN_GRACE = timedelta(minutes=5)  # time a new fleet instance gets to boot and register with ECS
ROLLBACK_EVENT = "rolling back to deployment"  # ECS service event text when the circuit breaker rolls back
ROLLBACK_CLOCK_SLACK = timedelta(minutes=2)
FAILED_STOP_CODES = ("TaskFailedToStart", "EssentialContainerExited")
RUNNING_FLEET_STATES = ("submitted", "active", "modifying")


def judge(status: ClusterStatus) -> Verdict:
    findings = [
        *_training(status.training),
        *_az_spread(status),
        *_deployments(status.training),
        *_workers(status),
        *_fleet(status),
        *_container_instances(status),
        *_scaling(status),
        *_stopped_tasks(status),
    ]
    levels = {f.level for f in findings}
    state = "DOWN" if "down" in levels else "DEGRADED" if "degraded" in levels else "HEALTHY"
    return Verdict(state=state, findings=findings)


def _training(service: ServiceState) -> Iterator[Finding]:
    if not service.exists:
        yield Finding("down", f"training service {service.name} is {service.status.lower()}")
        return
    if service.status == "DRAINING":
        yield Finding("down", f"training service {service.name} is being deleted (DRAINING)")
    if service.desired == 0:
        yield Finding("info", "the training service is scaled to zero tasks")
    elif service.running == 0:
        yield Finding("down", f"no training task is running (0 of {service.desired})")
    elif service.running < service.desired:
        pending = f", {service.pending} pending" if service.pending else ""
        yield Finding("degraded", f"{service.running} of {service.desired} training tasks running{pending}")


def _az_spread(status: ClusterStatus) -> Iterator[Finding]:
    running = status.running_tasks(status.training.name)
    azs = status.expected_azs
    by_az = Counter(t.availability_zone for t in running if t.availability_zone)
    used = [az for az in azs if by_az.get(az)]
    if len(azs) < 2 or len(running) < 2 or not used:
        return  # nothing to spread, or no AZ known for the tasks
    if len(used) == 1:
        yield Finding("degraded", f"all {len(running)} running training tasks are in one AZ ({used[0]})")
    elif len(running) >= len(azs) and len(used) < len(azs):
        empty = ", ".join(az for az in azs if not by_az.get(az))
        yield Finding(
            "degraded", f"no training task running in {empty} although the cluster spans {len(azs)} AZs"
        )


def _deployments(service: ServiceState) -> Iterator[Finding]:
    if not service.exists or not service.deployments:
        return
    primary = next((d for d in service.deployments if d.status == "PRIMARY"), service.deployments[0])
    failed = [d for d in service.deployments if d.rollout_state == "FAILED"]
    rollback = next((e for e in service.events if ROLLBACK_EVENT in e.message.lower()), None)
    rolled_back = bool(failed and primary not in failed) or bool(
        rollback
        and rollback.created_at
        and primary.created_at
        and rollback.created_at >= primary.created_at - ROLLBACK_CLOCK_SLACK
    )
    reason = next((d.rollout_state_reason for d in failed if d.rollout_state_reason), None)
    if rolled_back:
        because = f": {reason}" if reason else ""
        yield Finding("degraded", f"the circuit breaker rolled back the last deployment{because}")
    elif primary in failed:
        yield Finding("degraded", f"deployment {primary.id} failed: {reason or 'no reason given'}")
    if primary.rollout_state == "IN_PROGRESS":
        yield Finding(
            "info", f"deployment {primary.id} is rolling out ({primary.running} of {primary.desired} tasks)"
        )


def _workers(status: ClusterStatus) -> Iterator[Finding]:
    workers = status.workers
    if workers is None:
        return
    if not workers.exists:
        yield Finding("degraded", f"fleet worker service {workers.name} is {workers.status.lower()}")
    elif workers.desired and workers.running < workers.desired:
        yield Finding("degraded", f"{workers.running} of {workers.desired} fleet worker tasks running")


def _fleet(status: ClusterStatus) -> Iterator[Finding]:
    fleet = status.fleet
    if fleet is None:
        return
    if fleet.state == "MISSING":
        yield Finding("degraded", f"Spot Fleet request {fleet.request_id} not found")
        return
    if fleet.state not in RUNNING_FLEET_STATES:
        yield Finding("degraded", f"Spot Fleet request {fleet.request_id} is {fleet.state}")
    if fleet.activity_status == "error":
        yield Finding("degraded", "the Spot Fleet reports an error; its request history in EC2 says why")
    if fleet.target == 0:
        yield Finding("info", "the Spot Fleet's target capacity is 0")
        return
    # Capacity units are instances (ftcluster sets no weights); count what really runs as well,
    # since the fleet's own figure lags behind an interruption.
    capacity = min(fleet.fulfilled, fleet.running_instances)
    if capacity < fleet.target:
        detail = ""
        if fleet.fulfilled != fleet.running_instances:
            detail = f" (the fleet reports {_number(fleet.fulfilled)}, {fleet.running_instances} instances running)"
        yield Finding("degraded", f"Spot Fleet fulfilled {_number(capacity)} of {fleet.target}{detail}")


def _container_instances(status: ClusterStatus) -> Iterator[Finding]:
    registered = {c.ec2_instance_id for c in status.container_instances}
    if status.fleet:
        settled = [
            i for i in status.fleet.instances
            if i.state == "running" and (i.launched_at is None or status.gathered_at - i.launched_at > JOIN_GRACE)
        ]
        strays = [i.id for i in settled if i.id not in registered]
        if strays:
            yield Finding(
                "degraded",
                f"{len(strays)} running fleet instance(s) have not joined the ECS cluster: {', '.join(strays[:5])}",
            )
    lost = [
        c.ec2_instance_id or c.id for c in status.container_instances if c.status == "ACTIVE" and not c.agent_connected
    ]
    if lost:
        yield Finding(
            "degraded", f"{len(lost)} container instance(s) lost their ECS agent connection: {', '.join(lost[:5])}"
        )
    draining = [c for c in status.container_instances if c.status == "DRAINING"]
    if draining:
        yield Finding("info", f"{len(draining)} container instance(s) draining (for example after a Spot notice)")


def _scaling(status: ClusterStatus) -> Iterator[Finding]:
    scaling = status.scaling
    if scaling is None:
        return
    if not scaling.registered:
        yield Finding("degraded", f"no auto scaling target is registered for {scaling.resource_id}")
        return
    if scaling.suspended:
        yield Finding("info", "auto scaling is suspended for the training service")
    if scaling.activities and scaling.activities[0].status == "Failed":
        latest = scaling.activities[0]
        yield Finding("degraded", f"the last auto scaling activity failed: {latest.message or latest.description}")
    desired = status.training.desired
    if scaling.max is not None and status.training.exists and desired >= scaling.max:
        yield Finding("info", f"the training service is at its auto scaling ceiling ({scaling.max} tasks)")


def _stopped_tasks(status: ClusterStatus) -> Iterator[Finding]:
    interrupted = status.spot_interruptions()
    if interrupted:
        yield Finding("info", f"{len(interrupted)} task(s) stopped by a Spot interruption recently; ECS replaces them")
    failed = [t for t in status.stopped_tasks() if not t.spot_interrupted and t.stop_code in FAILED_STOP_CODES]
    if failed:
        latest = failed[0]
        yield Finding(
            "info",
            f"{len(failed)} task(s) stopped with an error recently; "
            f"latest: {latest.stopped_reason or latest.stop_code}",
        )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
