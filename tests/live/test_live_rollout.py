"""The wait after `up`: every service's primary deployment COMPLETED, or a clear failure."""

from __future__ import annotations

import boto3
import pytest

from ftcluster.aws import AwsSession
from ftcluster.live.rollout import Rollout, read_rollouts, rollout_of, wait_for_rollout


def deployment(state: str | None, running: int = 0, desired: int = 2, status: str = "PRIMARY", **extra: object):
    entry = {"status": status, "runningCount": running, "desiredCount": desired, "failedTasks": 0, **extra}
    if state is not None:
        entry["rolloutState"] = state
    return entry


def test_the_primary_deployment_decides() -> None:
    service = {
        "status": "ACTIVE",
        "deployments": [
            deployment("COMPLETED", 2, status="ACTIVE"),
            deployment(
                "FAILED", 0, failedTasks=3, rolloutStateReason="ECS deployment circuit breaker: tasks failed to start."
            ),
        ],
    }
    service["deployments"][1]["status"] = "PRIMARY"
    rollout = rollout_of("train", service)
    assert (rollout.state, rollout.failed_tasks) == ("FAILED", 3)
    assert "circuit breaker" in (rollout.reason or "")
    assert rollout.describe() == "train: 0 of 2 tasks running, 3 failed to start"


def test_missing_and_deleted_services_and_answers_without_a_rollout_state() -> None:
    assert rollout_of("train", None).state == "MISSING"
    assert rollout_of("train", {"status": "INACTIVE", "deployments": []}).state == "MISSING"
    assert rollout_of("train", {"status": "ACTIVE", "deployments": [deployment(None, 2)]}).state == "COMPLETED"
    assert rollout_of("train", {"status": "ACTIVE", "deployments": [deployment(None, 1)]}).state == "IN_PROGRESS"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_waits_until_every_service_completed_and_reports_progress() -> None:
    answers = iter(
        [
            [Rollout("a", "IN_PROGRESS", 0, 2), Rollout("b", "COMPLETED")],
            [Rollout("a", "IN_PROGRESS", 1, 2), Rollout("b", "COMPLETED")],
            [Rollout("a", "COMPLETED", 2, 2), Rollout("b", "COMPLETED")],
        ]
    )
    seen: list[list[Rollout]] = []
    clock = Clock()
    result = wait_for_rollout(
        lambda: next(answers), timeout=600, interval=15, on_progress=seen.append, clock=clock, sleep=clock.sleep
    )
    assert not result.timed_out and not result.failed and len(seen) == 3 and clock.now == 30


@pytest.mark.parametrize("bad", ["FAILED", "MISSING"])
def test_a_failure_stops_the_wait_at_once(bad: str) -> None:
    clock = Clock()
    result = wait_for_rollout(lambda: [Rollout("a", "IN_PROGRESS"), Rollout("b", bad)], clock=clock, sleep=clock.sleep)
    assert [r.service for r in result.failed] == ["b"] and not result.timed_out and clock.now == 0


def test_gives_up_after_the_timeout() -> None:
    clock = Clock()
    result = wait_for_rollout(
        lambda: [Rollout("a", "IN_PROGRESS", 0, 2)], timeout=100, interval=15, clock=clock, sleep=clock.sleep
    )
    assert result.timed_out and not result.failed and clock.now == 100


def test_reads_every_service_in_one_call_on_moto(aws: str) -> None:
    ecs = boto3.client("ecs", region_name="eu-west-1")
    ecs.create_cluster(clusterName="finetune")
    ecs.register_task_definition(family="t", containerDefinitions=[{"name": "c", "image": "i", "memory": 512}])
    ecs.create_service(cluster="finetune", serviceName="idle", taskDefinition="t", desiredCount=0)
    ecs.create_service(cluster="finetune", serviceName="busy", taskDefinition="t", desiredCount=2)
    found = read_rollouts(AwsSession("eu-west-1"), "finetune", ["idle", "busy", "gone"])
    assert [(r.service, r.state) for r in found] == [
        ("idle", "COMPLETED"),
        ("busy", "IN_PROGRESS"),
        ("gone", "MISSING"),
    ]


def test_a_cluster_that_is_not_there_makes_every_service_missing(aws: str) -> None:
    found = read_rollouts(AwsSession("eu-west-1"), "nowhere", ["a", "b"])
    assert [(r.state, r.reason) for r in found] == [("MISSING", "no ECS cluster nowhere")] * 2
