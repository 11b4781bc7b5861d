"""The interruption ledger as plain data: recorded events, the interruptions made of them, a summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..cost.model import Cost

# Event kinds, as `events --json` spells them.
SPOT_NOTICE = "spot_notice"  # EC2's two-minute warning, or Fargate Spot's (a task state change)
REBALANCE = "rebalance_recommendation"
TASK_STARTED = "task_started"
TASK_STOPPED = "task_stopped"
JOB_COMPLETED = "job_completed"  # the essential container exited with 0
INSTANCE_LAUNCHED = "instance_launched"
INSTANCE_TERMINATED = "instance_terminated"
INSTANCE_FAILED = "instance_change_failed"  # a launch or termination the group could not do
DRILL_STARTED = "drill_started"
DRILL_FINISHED = "drill_finished"

# Why a task stopped, from its ECS stop code and reason (Task.stopCode in the ECS API).
STOP_SPOT = "spot_interruption"  # SpotInterruption: Fargate Spot reclaimed the capacity
STOP_NOTICE = "termination_notice"  # TerminationNotice: its instance got a Spot notice or is going away
STOP_EXIT = "container_exited"  # EssentialContainerExited with a non-zero exit code
STOP_SCHEDULER = "scale_in_or_deployment"  # ServiceSchedulerInitiated: ECS gives both the same reason
STOP_USER = "user"  # UserInitiated: StopTask (a drill's, or anyone's)
STOP_FAILED_START = "failed_to_start"
STOP_INFRASTRUCTURE = "infrastructure"  # InfrastructureHealth, or the host instance went away
STOP_OTHER = "other"

# What an interruption was.
CAUSE_SPOT = "spot"  # a Spot notice or reclaim
CAUSE_LOST = "instance_lost"  # an instance or its host gone without notice
CAUSE_FAILURE = "failure"  # a container exited non-zero, a task failed to start
CAUSE_DRILL = "drill"


@dataclass(frozen=True)
class LedgerEvent:
    time: datetime
    kind: str
    subject: str  # task id, instance id or drill id
    summary: str  # one line for people
    service: str | None = None  # the ECS service of a task (group "service:NAME")
    reason: str | None = None  # STOP_* for a stopped task; the Auto Scaling cause class for an instance
    exit_code: int | None = None
    instance_id: str | None = None  # the instance a task stop names, or the instance itself
    drill_id: str | None = None  # a drill's id; on other events, the drill that caused them
    details: dict[str, Any] = field(default_factory=dict)  # what AWS said, trimmed (stopCode, Cause, ...)


@dataclass(frozen=True)
class Interruption:
    """One unplanned loss of work: its notice, the stop, the replacement, training resuming.

    `lost_from`..`lost_until` is the time no progress counts (see docs/drills-and-ledger.md): from
    the newest checkpoint before the work stopped until the first checkpoint after it.
    """

    cause: str
    subject: str
    service: str | None
    description: str
    notice: datetime  # the first sign: a notice, a drill's fault, or the stop itself
    stopped: datetime | None  # the work stopped (task stopped, instance terminated)
    replacement_running: datetime | None
    training_resumed: datetime | None  # the first checkpoint written after the stop
    last_checkpoint: datetime | None  # the newest checkpoint at or before the stop
    work_lost_seconds: float | None  # stop - last checkpoint: work to do again
    lost_from: datetime | None  # the last checkpoint (else the notice); None: no checkpoint seen at all
    lost_until: datetime | None  # training resumed, else the end of the ledger
    lost_seconds: float | None  # lost_from..lost_until: capacity held while no progress counted
    cost: Cost | None  # lost_seconds at the job's hourly price
    resumed: bool  # False: no checkpoint since (lost_seconds runs to the end of the ledger)
    drill_id: str | None = None
    events: tuple[str, ...] = ()  # the kinds of the events it was made of, in order


@dataclass(frozen=True)
class Summary:
    wall_seconds: float | None  # the ledger's window (see docs: from --since or the first record to now)
    interruptions: int
    by_cause: dict[str, int]
    per_day: float | None
    goodput: float | None  # (wall time - time without progress) / wall time; None: no checkpoints seen
    money_lost: Cost | None  # None when some interruption could not be priced
    unpriced: int  # interruptions without a price (no price table entry, no spec)


@dataclass(frozen=True)
class Ledger:
    cluster: str
    region: str
    log_group: str
    since: datetime
    until: datetime
    events: list[LedgerEvent]
    interruptions: list[Interruption]
    summary: Summary
    checkpoints_seen: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from ..plain import to_plain

        return to_plain(self)

    @property
    def last_interruption(self) -> Interruption | None:
        return self.interruptions[-1] if self.interruptions else None
