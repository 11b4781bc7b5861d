"""Watch AWS after a fault until the cluster is back and training made progress, or the time is up.

Each round reads the services, the target, the group or fleet (instance faults) and, once the loss is
seen, the checkpoint versions. Times are AWS's own where AWS gives one (a task's stoppedAt and
startedAt, a checkpoint's LastModified), else the time the drill first saw the change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..aws import AwsSession
from ..ledger.checkpoints import checkpoint_times
from . import model as m
from .state import GONE_INSTANCE_STATES, Snapshot, snapshot

Check = Callable[[], str | None]  # an extra look each round (the FIS experiment); a text ends the wait as failed


@dataclass
class _Seen:
    detected: datetime | None = None
    replacement: datetime | None = None
    back: datetime | None = None
    resumed: datetime | None = None
    timeline: list[tuple[datetime, str]] = field(default_factory=list)

    def note(self, at: datetime, what: str) -> None:
        self.timeline.append((at, what))


def watch_recovery(
    session: AwsSession,
    outputs: Mapping[str, Any],
    plan: m.DrillPlan,
    before: Snapshot,
    *,
    poll_seconds: float,
    progress: Callable[[str], None],
    check: Check | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> m.Recovery:
    target = plan.target
    known = {t.id for t in before.tasks} | {i.id for i in before.instances}
    services = _affected(outputs, plan)
    deadline = time.monotonic() + plan.timeout_seconds
    seen = _Seen()
    failure: str | None = None
    while True:
        now = _look(session, outputs, plan)
        if seen.detected is None and _gone(now, target):
            stopped = now.task(target.id)
            seen.detected = (stopped.stopped_at if stopped and stopped.stopped_at else None) or now.at
            seen.note(seen.detected, f"{target.description} gone")
        if seen.replacement is None:
            _replacement(now, target, known, seen)
        short = _short(now, services, target)
        if seen.detected and seen.replacement and not short:
            if seen.back is None:
                seen.back = now.at
                seen.note(now.at, "desired count running again")
        else:
            seen.back = None  # it dipped again: back only counts once it holds
        if seen.detected and seen.resumed is None and outputs.get("checkpoint_uri"):
            newer = checkpoint_times(session, str(outputs["checkpoint_uri"])).newer_than(seen.detected)
            if newer is not None:
                seen.resumed = newer
                seen.note(newer, "checkpoint written: training made progress")
        failure = check() if check else None
        missing = _missing(seen, short, target, failure)
        if not missing or failure or time.monotonic() >= deadline:
            return m.Recovery(
                seen.detected, seen.replacement, seen.back, seen.resumed, not missing, missing, sorted(seen.timeline)
            )
        progress("waiting for " + "; ".join(missing))
        sleep(max(0.0, min(poll_seconds, deadline - time.monotonic())))


def _replacement(now: Snapshot, target: m.Target, known: set[str], seen: _Seen) -> None:
    """A task: a new task of its service running. An instance: a new instance in service (its tasks,
    if it had any, come back through the service, which `_short` checks)."""
    if target.kind == "task":
        fresh = [t for t in now.running(target.service) if t.id not in known]
        if fresh:
            first = min(fresh, key=lambda t: t.started_at or now.at)
            seen.replacement = first.started_at or now.at
            seen.note(seen.replacement, f"replacement task {first.id[:8]} of {first.service} running")
        return
    new = [i for i in now.instances if i.in_service and i.id not in known]
    if new:
        seen.replacement = now.at
        seen.note(now.at, f"replacement instance {new[0].id} in service")


def _look(session: AwsSession, outputs: Mapping[str, Any], plan: m.DrillPlan) -> Snapshot:
    target = plan.target
    if target.kind == "task":
        return snapshot(session, outputs, task_arns=(target.arn,))
    return snapshot(session, outputs, instance_ids=(target.id,), with_instances=True)


def _affected(outputs: Mapping[str, Any], plan: m.DrillPlan) -> list[str]:
    services = [plan.target.service] if plan.target.service else []
    if plan.fault == m.RENDEZVOUS and outputs.get("workers_service_name"):
        services.append(str(outputs["workers_service_name"]))  # the elastic job back at its size
    return services


def _gone(now: Snapshot, target: m.Target) -> bool:
    if target.kind == "task":
        task = now.task(target.id)
        return task is None or task.last_status == "STOPPED"
    instance = now.instance(target.id)
    return instance is None or instance.state in GONE_INSTANCE_STATES


def _short(now: Snapshot, services: list[str], target: m.Target) -> list[str]:
    """What is below its desired size now."""
    short = [
        f"{service} {len(now.running(service))}/{now.desired.get(service, 0)} running"
        for service in services
        if len(now.running(service)) < now.desired.get(service, 0)
    ]
    if target.kind == "instance" and now.capacity is not None:
        serving = sum(1 for i in now.instances if i.in_service and i.id != target.id)
        if serving < now.capacity:
            short.append(f"{serving}/{now.capacity} instances in service")
    return short


def _missing(seen: _Seen, short: list[str], target: m.Target, failure: str | None) -> list[str]:
    missing = [failure] if failure else []
    if seen.detected is None:
        missing.append(f"{target.description} to go (it still runs)")
    if seen.replacement is None:
        missing.append(
            f"a new task of {target.service or 'its service'} to run"
            if target.kind == "task"
            else "a replacement instance in service"
        )
    missing += short
    if seen.resumed is None:
        missing.append("a checkpoint newer than the fault (training has not made progress yet)")
    return missing
