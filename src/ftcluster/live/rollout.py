"""After `up`: wait until the cluster's ECS services settle, so a deployment that never starts a task is a failure.

Pulumi's service resource returns as soon as ECS accepted the change (ftcluster sets
wait_for_steady_state off, so a slow GPU fleet does not hold the whole update for 20 minutes); the
deployment itself may still fail: no capacity, an image that does not pull, a container that
exits. ECS reports each deployment's `rolloutState` (IN_PROGRESS, COMPLETED, FAILED; the circuit
breaker sets FAILED and rolls back), which is what we wait on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..aws import AwsError, AwsSession, aws_call

DEFAULT_TIMEOUT_SECONDS = 20 * 60  # the provider's own default wait for an ECS service
POLL_SECONDS = 15


@dataclass(frozen=True)
class Rollout:
    """Where one service's newest (PRIMARY) deployment stands."""

    service: str
    state: str  # COMPLETED | IN_PROGRESS | FAILED | MISSING (no such service in ECS)
    running: int = 0
    desired: int = 0
    failed_tasks: int = 0
    reason: str | None = None

    def describe(self) -> str:
        if self.state == "MISSING":
            return f"{self.service}: not found in ECS"
        text = f"{self.service}: {self.running} of {self.desired} tasks running"
        if self.failed_tasks:
            text += f", {self.failed_tasks} failed to start"
        return text


def rollout_of(name: str, service: dict[str, Any] | None) -> Rollout:
    """The rollout of one service from its DescribeServices entry (None: ECS does not know it)."""
    if service is None or service.get("status") == "INACTIVE":
        return Rollout(name, "MISSING")
    deployments = service.get("deployments") or []
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), deployments[0] if deployments else None)
    if primary is None:
        return Rollout(name, "IN_PROGRESS", int(service.get("runningCount", 0)), int(service.get("desiredCount", 0)))
    # a deployment without a rolloutState (older API answers) is done once it runs what it wants
    state = primary.get("rolloutState") or (
        "COMPLETED" if primary.get("runningCount", 0) >= primary.get("desiredCount", 0) else "IN_PROGRESS"
    )
    return Rollout(
        name,
        str(state),
        int(primary.get("runningCount", 0)),
        int(primary.get("desiredCount", 0)),
        int(primary.get("failedTasks", 0)),
        primary.get("rolloutStateReason"),
    )


def read_rollouts(aws: AwsSession, cluster: str, services: Sequence[str]) -> list[Rollout]:
    try:
        with aws_call(f"describing the services of cluster {cluster}"):
            answer = aws.client("ecs").describe_services(cluster=cluster, services=list(services))
    except AwsError as err:
        if err.kind != "not_found":
            raise
        return [Rollout(name, "MISSING", reason=f"no ECS cluster {cluster}") for name in services]
    found = {s["serviceName"]: s for s in answer.get("services", [])}
    return [rollout_of(name, found.get(name)) for name in services]


@dataclass(frozen=True)
class RolloutResult:
    rollouts: list[Rollout]
    timed_out: bool

    @property
    def failed(self) -> list[Rollout]:
        return [r for r in self.rollouts if r.state in ("FAILED", "MISSING")]


def wait_for_rollout(
    read: Callable[[], list[Rollout]],
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    interval: float = POLL_SECONDS,
    on_progress: Callable[[list[Rollout]], None] = lambda rollouts: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> RolloutResult:
    """Poll until every service COMPLETED, one FAILED or is MISSING, or `timeout` seconds went by."""
    deadline = clock() + timeout
    while True:
        rollouts = read()
        on_progress(rollouts)
        if any(r.state in ("FAILED", "MISSING") for r in rollouts) or all(r.state == "COMPLETED" for r in rollouts):
            return RolloutResult(rollouts, timed_out=False)
        if clock() >= deadline:
            return RolloutResult(rollouts, timed_out=True)
        sleep(min(interval, max(deadline - clock(), 0)))
