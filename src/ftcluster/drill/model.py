"""A drill as plain data: what it breaks (the plan) and how the cluster came back (the report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ..cost.model import Cost

SPOT_INTERRUPTION, STOP_TASK, TERMINATE_INSTANCE, RENDEZVOUS = (
    "spot-interruption",
    "stop-task",
    "terminate-instance",
    "rendezvous",
)
FAULTS = (SPOT_INTERRUPTION, STOP_TASK, TERMINATE_INSTANCE, RENDEZVOUS)

# What each fault needs beyond the reads every drill makes (READ_ACTIONS), for --dry-run and the docs.
READ_ACTIONS = (
    "ecs:DescribeServices",
    "ecs:ListTasks",
    "ecs:DescribeTasks",
    "s3:ListBucketVersions",  # checkpoint times (s3:ListBucket as a fallback: current objects only)
    "events:DescribeRule",  # is the cluster's drill rule there to record it?
    "events:PutEvents",  # the drill's own ledger events
)
INSTANCE_READS = ("autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances", "ec2:DescribeSpotFleetInstances")
FAULT_ACTIONS: dict[str, tuple[str, ...]] = {
    STOP_TASK: ("ecs:StopTask",),
    RENDEZVOUS: ("ecs:StopTask",),
    TERMINATE_INSTANCE: (*INSTANCE_READS, "ec2:TerminateInstances"),
    SPOT_INTERRUPTION: (
        *INSTANCE_READS,
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:PassRole",
        "iam:DeleteRolePolicy",
        "iam:DeleteRole",
        "fis:CreateExperimentTemplate",
        "fis:TagResource",
        "fis:StartExperiment",
        "fis:GetExperiment",
        "fis:StopExperiment",
        "fis:DeleteExperimentTemplate",
    ),
}


def iam_actions(fault: str) -> list[str]:
    return [*READ_ACTIONS, *FAULT_ACTIONS[fault]]


@dataclass(frozen=True)
class Target:
    kind: Literal["task", "instance"]
    id: str  # task id or instance id
    arn: str
    service: str | None  # the ECS service whose work it carries (an instance: the workers')
    description: str  # "task 1a2b3c4d of demo-train (FARGATE_SPOT, us-east-1b)"
    job: str  # "training" or "workers": whose capacity is held while it recovers

    def to_event(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "service": self.service}


@dataclass(frozen=True)
class DrillPlan:
    cluster: str
    region: str
    fault: str
    target: Target
    actions: list[str]  # what the drill will do, in order
    recovery: list[str]  # what it waits for
    iam_actions: list[str]
    timeout_seconds: float


@dataclass(frozen=True)
class Recovery:
    """What watching AWS saw; every time is AWS's own when AWS gives one, else when the drill first saw it."""

    detected_at: datetime | None  # the loss visible in AWS: the task STOPPED, the instance gone
    replacement_at: datetime | None  # a new task of the service running
    back_at: datetime | None  # the desired count running again (and the group or job at its size)
    resumed_at: datetime | None  # a checkpoint written after the stop
    recovered: bool
    missing: list[str]  # what was still missing when the wait ended
    timeline: list[tuple[datetime, str]] = field(default_factory=list)


@dataclass(frozen=True)
class DrillReport:
    drill_id: str
    plan: DrillPlan
    fault_at: datetime
    recovery: Recovery
    last_checkpoint: datetime | None
    work_lost_seconds: float | None
    lost_seconds: float | None
    cost: Cost | None
    notes: list[str] = field(default_factory=list)

    @property
    def recovered(self) -> bool:
        return self.recovery.recovered

    def seconds_after_fault(self, moment: datetime | None) -> float | None:
        return (moment - self.fault_at).total_seconds() if moment else None

    def to_dict(self) -> dict[str, Any]:
        from ..plain import to_plain

        recovery = self.recovery
        return {
            "cluster": self.plan.cluster,
            "region": self.plan.region,
            "drill_id": self.drill_id,
            "recovered": self.recovered,
            "plan": to_plain(self.plan),
            "fault_at": self.fault_at.isoformat(),
            "time_to_detection_seconds": self.seconds_after_fault(recovery.detected_at),
            "time_to_replacement_running_seconds": self.seconds_after_fault(recovery.replacement_at),
            "time_to_desired_count_seconds": self.seconds_after_fault(recovery.back_at),
            "time_to_training_resumed_seconds": self.seconds_after_fault(recovery.resumed_at),
            "last_checkpoint": self.last_checkpoint.isoformat() if self.last_checkpoint else None,
            "work_lost_seconds": self.work_lost_seconds,
            "lost_seconds": self.lost_seconds,
            "cost": to_plain(self.cost),
            "missing": recovery.missing,
            "timeline": [{"at": at.isoformat(), "what": what} for at, what in recovery.timeline],
            "notes": self.notes,
        }
