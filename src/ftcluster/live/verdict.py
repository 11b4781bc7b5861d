"""The verdict rules of `ftcluster status`: pure functions from gathered data to HEALTHY/DEGRADED/DOWN.

DOWN: the training service is gone or runs no task although it should; or an elastic job
(fleet.workers.distributed) runs fewer workers than its minimum, or has no rendezvous to meet at.
DEGRADED: it runs, but with less than it should have (tasks, AZs, fleet or group capacity, a capacity
provider that cannot scale, a failed or rolled-back deployment, scaling that cannot act).
COMPLETED: every job of the cluster (the training service, and the fleet workers when there are any)
completed: one of its tasks exited 0 and the job-completed state machine recorded it and stopped the job
(program/completion.py). Nothing is meant to run; a completed job that still asks for tasks is DEGRADED.
Findings of level "info" never change the state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

from ..program.options import INSTANCE_WARMUP_SECONDS, TRAINING_JOB, WORKERS_JOB
from .status_model import ClusterStatus, Finding, FleetInstance, GroupInstance, ServiceState, Verdict, VerdictState

# time a new fleet or group instance gets to boot and register with ECS: the group's warm-up period
JOIN_GRACE = timedelta(seconds=INSTANCE_WARMUP_SECONDS)
ROLLBACK_EVENT = "rolling back to deployment"  # ECS service event text when the circuit breaker rolls back
ROLLBACK_CLOCK_SLACK = timedelta(minutes=2)
FAILED_STOP_CODES = ("TaskFailedToStart", "EssentialContainerExited")
RUNNING_FLEET_STATES = ("submitted", "active", "modifying")
# botocore ecs CapacityProviderUpdateStatus: the failed outcomes of a create, update or delete
FAILED_PROVIDER_UPDATES = ("CREATE_FAILED", "UPDATE_FAILED", "DELETE_FAILED")


def judge(status: ClusterStatus) -> Verdict:
    findings = [
        *_completions(status),
        *_training(status.training),
        *_az_spread(status),
        *_deployments(status.training),
        *_workers(status),
        *_elastic_job(status),
        *_fleet(status),
        *_group(status),
        *_capacity_provider(status),
        *_container_instances(status),
        *_scaling(status),
        *_stopped_tasks(status),
    ]
    levels = {f.level for f in findings}
    state: VerdictState = "DOWN" if "down" in levels else "DEGRADED" if "degraded" in levels else "HEALTHY"
    if state == "HEALTHY" and status.completed:
        state = "COMPLETED"
    return Verdict(state=state, findings=findings)


def _completions(status: ClusterStatus) -> Iterator[Finding]:
    """When each job completed, and the newest checkpoint; a completed job whose service still asks for tasks
    was not stopped (the state machine failed, or something scaled it up again)."""
    services = {TRAINING_JOB: status.training, WORKERS_JOB: status.workers}
    checkpoint = status.newest_checkpoint
    for job, completion in sorted(status.completions.items()):
        when = completion.completed_at.isoformat(timespec="seconds") if completion.completed_at else "an unknown time"
        task = f" (task {completion.task.rsplit('/', 1)[-1]} exited 0)" if completion.task else ""
        newest = f"; newest checkpoint {checkpoint.uri}" if checkpoint else "; no checkpoint found"
        yield Finding("info", f"the {job} job completed at {when}{task}{newest}")
        service = services.get(job)
        if service is not None and service.exists and service.desired > 0:
            yield Finding(
                "degraded",
                f"the {job} job completed, but service {service.name} still asks for {service.desired} task(s): "
                "`ftcluster up SPEC` holds it at 0",
            )


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
        yield Finding("degraded", f"no training task running in {empty} although the cluster spans {len(azs)} AZs")


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
        yield Finding("info", f"deployment {primary.id} is rolling out ({primary.running} of {primary.desired} tasks)")


def _workers(status: ClusterStatus) -> Iterator[Finding]:
    workers = status.workers
    if workers is None or status.distributed_min_nodes is not None:
        return  # an elastic job's workers are judged by _elastic_job
    if not workers.exists:
        yield Finding("degraded", f"fleet worker service {workers.name} is {workers.status.lower()}")
    elif workers.desired and workers.running < workers.desired:
        yield Finding("degraded", f"{workers.running} of {workers.desired} fleet worker tasks running")


def _elastic_job(status: ClusterStatus) -> Iterator[Finding]:
    """torchrun waits at the rendezvous until min_nodes workers have joined: below that the job does
    not train at all; above it but below the desired count it trains on fewer workers."""
    minimum = status.distributed_min_nodes
    if minimum is None:
        return
    workers, rendezvous = status.workers, status.rendezvous
    if workers is None:
        yield Finding("down", "the stack names no worker service for the elastic job")
    elif not workers.exists:
        yield Finding("down", f"worker service {workers.name} of the elastic job is {workers.status.lower()}")
    elif workers.desired == 0:
        yield Finding("info", "the elastic job is scaled to zero workers")
    elif workers.running < minimum:
        yield Finding(
            "down",
            f"{workers.running} worker(s) running, below the elastic job's minimum of {minimum}: "
            "torchrun waits for more before training",
        )
    elif workers.running < workers.desired:
        yield Finding(
            "degraded",
            f"{workers.running} of {workers.desired} workers of the elastic job running "
            f"(it trains with at least {minimum})",
        )
    if rendezvous is None or WORKERS_JOB in status.completions:
        return  # a completed job needs no rendezvous
    if not rendezvous.exists:
        yield Finding(
            "down",
            f"rendezvous service {rendezvous.name} is {rendezvous.status.lower()}: the workers have nowhere to meet",
        )
    elif rendezvous.running < 1:
        yield Finding(
            "down",
            f"the rendezvous service {rendezvous.name} runs no task: the workers cannot meet "
            "(torchrun restarts them until it is back)",
        )


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


def _group(status: ClusterStatus) -> Iterator[Finding]:
    group = status.group
    if group is None:
        return
    if group.status == "MISSING":
        yield Finding("degraded", f"Auto Scaling group {group.name} not found")
        return
    if group.status != "ACTIVE":
        yield Finding("degraded", f"Auto Scaling group {group.name} is being deleted ({group.status})")
    if group.desired == 0:
        yield Finding("info", "the Auto Scaling group runs no instance (no worker task needs one)")
        return
    short = group.desired - group.in_service
    if short <= 0:
        return
    # managed scaling raised the desired count a moment ago: instances that are still starting are not a fault
    starting = [i for i in group.instances if i.lifecycle_state.startswith("Pending") and _fresh(status, i.launched_at)]
    unhealthy = sum(1 for i in group.instances if i.lifecycle_state == "InService" and i.health != "Healthy")
    if len(starting) >= short:
        yield Finding(
            "info",
            f"the Auto Scaling group is starting {len(starting)} instance(s) "
            f"({group.in_service} of {group.desired} in service)",
        )
        return
    detail = f", {unhealthy} unhealthy" if unhealthy else ""
    yield Finding(
        "degraded",
        f"Auto Scaling group {group.name} has {group.in_service} of {group.desired} instances in service{detail}",
    )


def _capacity_provider(status: ClusterStatus) -> Iterator[Finding]:
    provider = status.capacity_provider
    if provider is None:
        return
    if provider.status == "MISSING":
        yield Finding("degraded", f"capacity provider {provider.name} not found: the worker tasks cannot be placed")
        return
    if provider.status != "ACTIVE":
        yield Finding("degraded", f"capacity provider {provider.name} is {provider.status}")
    if provider.update_status in FAILED_PROVIDER_UPDATES:
        yield Finding(
            "degraded",
            f"the last change of capacity provider {provider.name} failed "
            f"({provider.update_status}): {provider.update_status_reason or 'no reason given'}",
        )
    if provider.managed_scaling == "DISABLED":
        yield Finding(
            "degraded",
            f"managed scaling of capacity provider {provider.name} is off: worker tasks do not start instances",
        )
    if provider.status == "ACTIVE" and status.capacity_providers and provider.name not in status.capacity_providers:
        yield Finding("degraded", f"capacity provider {provider.name} is not attached to cluster {status.cluster_name}")


def _container_instances(status: ClusterStatus) -> Iterator[Finding]:
    registered = {c.ec2_instance_id for c in status.container_instances}
    running: list[FleetInstance | GroupInstance] = (
        [i for i in status.fleet.instances if i.state == "running"] if status.fleet else []
    )
    if status.group:  # a launch time is known only when EC2 was read; without it, no blame
        running += [
            i
            for i in status.group.instances
            if i.lifecycle_state == "InService" and i.state == "running" and i.launched_at is not None
        ]
    strays = [i.id for i in running if not _fresh(status, i.launched_at) and i.id not in registered]
    if strays:
        what = "fleet" if status.fleet else "group"
        yield Finding(
            "degraded",
            f"{len(strays)} running {what} instance(s) have not joined the ECS cluster: {', '.join(strays[:5])}",
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


def _fresh(status: ClusterStatus, launched_at: datetime | None) -> bool:
    """Launched within JOIN_GRACE (an instance without a launch time counts as settled)."""
    return launched_at is not None and status.gathered_at - launched_at <= JOIN_GRACE


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
