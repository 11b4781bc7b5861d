"""Each recorded event, as AWS shapes it, becomes the ledger event it means."""

from __future__ import annotations

import pytest
from ledger_events import (
    HEALTH_CHECK_CAUSE,
    MANAGED_SCALING_CAUSE,
    T0,
    at,
    drill_event,
    fargate_spot_warning,
    fleet_event,
    group_event,
    rebalance,
    spot_warning,
    task_event,
    task_started,
    task_stopped,
)

from ftcluster.ledger import model as m
from ftcluster.ledger.parse import drill_reason, parse_event


def parsed(event: dict) -> m.LedgerEvent:
    found = parse_event(event, T0)
    assert found is not None
    return found


def test_fargate_spot_warning_is_a_notice_while_the_task_still_runs() -> None:
    event = parsed(fargate_spot_warning("abc123", at(5)))
    assert (event.kind, event.subject, event.service, event.time) == (m.SPOT_NOTICE, "abc123", "demo-train", at(5))
    assert event.instance_id is None  # a task's notice: no instance to filter by


@pytest.mark.parametrize(
    ("code", "reason", "exit_code", "why"),
    [
        ("SpotInterruption", "Your Spot Task was interrupted.", 143, m.STOP_SPOT),
        ("TerminationNotice", "Task stopped because the host is being terminated", None, m.STOP_NOTICE),
        ("ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ecs-svc/8646900195280463695)", 0, m.STOP_SCHEDULER),
        ("UserInitiated", "Task stopped by user", 143, m.STOP_USER),
        ("TaskFailedToStart", "CannotPullContainerError: pull image manifest has been retried 1 time(s)", None, m.STOP_FAILED_START),
        ("EssentialContainerExited", "Essential container in task exited", 137, m.STOP_EXIT),
        ("InfrastructureHealth", "Task stopped due to infrastructure health", None, m.STOP_INFRASTRUCTURE),
    ],
)  # fmt: skip
def test_a_stopped_task_says_why_from_its_stop_code(code: str, reason: str, exit_code: int | None, why: str) -> None:
    event = parsed(task_stopped("abc123", at(90), code, reason, exit_code=exit_code))
    assert (event.kind, event.reason, event.time) == (m.TASK_STOPPED, why, at(90))
    assert reason in event.summary
    if why == m.STOP_EXIT:
        assert "exit code 137" in event.summary and event.exit_code == 137


def test_an_essential_container_that_exits_0_is_the_job_completing() -> None:
    event = parsed(
        task_stopped("abc123", at(90), "EssentialContainerExited", "Essential container in task exited", exit_code=0)
    )
    assert (event.kind, event.exit_code) == (m.JOB_COMPLETED, 0)


def test_a_task_stopped_with_its_host_names_the_instance() -> None:
    event = parsed(task_stopped("abc123", at(3), "", "Host EC2 (instance i-0b662ef9931388ba0) stopped/terminated"))
    assert (event.reason, event.instance_id) == (m.STOP_INFRASTRUCTURE, "i-0b662ef9931388ba0")


def test_a_drill_stop_names_its_drill() -> None:
    event = parsed(task_stopped("abc123", at(3), "UserInitiated", drill_reason("d-20260302-1200", "stop-task")))
    assert (event.reason, event.drill_id) == (m.STOP_USER, "d-20260302-1200")


def test_a_running_task_is_a_start_and_the_states_between_are_left_out() -> None:
    assert parsed(task_started("abc123", at(150))).kind == m.TASK_STARTED
    assert parse_event(task_event("abc123", at(1), last="DEPROVISIONING", desired="STOPPED"), T0) is None


def test_ec2_notices_carry_the_instance() -> None:
    notice = parsed(spot_warning("i-0b662ef9931388ba0", at(0)))
    assert (notice.kind, notice.instance_id, notice.subject) == (
        m.SPOT_NOTICE,
        "i-0b662ef9931388ba0",
        "i-0b662ef9931388ba0",
    )
    assert parsed(rebalance("i-0b662ef9931388ba0", at(0))).kind == m.REBALANCE


@pytest.mark.parametrize(
    ("kind", "cause", "expected_kind", "why"),
    [
        ("Terminate", HEALTH_CHECK_CAUSE, m.INSTANCE_TERMINATED, "health_check"),
        ("Launch", MANAGED_SCALING_CAUSE, m.INSTANCE_LAUNCHED, "managed_scaling"),
        ("Terminate", "At 2026-03-02T12:00:00Z an instance was taken out of service in response to an EC2 instance rebalance recommendation.", m.INSTANCE_TERMINATED, "capacity_rebalancing"),
        ("Launch", "At 2026-03-02T12:00:00Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 1 to 2.", m.INSTANCE_LAUNCHED, "capacity_change"),
    ],
)  # fmt: skip
def test_group_activities_are_classed_by_their_cause(kind: str, cause: str, expected_kind: str, why: str) -> None:
    event = parsed(group_event(kind, "i-0123456789abcdef0", at(10), cause))
    assert (event.kind, event.reason, event.instance_id) == (expected_kind, why, "i-0123456789abcdef0")


def test_spot_fleet_instance_changes() -> None:
    assert parsed(fleet_event("launched", "i-08b90df1e09c30c9b", at(0))).kind == m.INSTANCE_LAUNCHED
    assert parsed(fleet_event("terminated", "i-08b90df1e09c30c9b", at(0))).kind == m.INSTANCE_TERMINATED


def test_drill_events_and_malformed_ones() -> None:
    started = parsed(drill_event("d-1", at(0), fault="stop-task", kind="task", target="abc123", service="demo-train"))
    assert (started.kind, started.drill_id, started.service) == (m.DRILL_STARTED, "d-1", "demo-train")
    finished = parsed(
        drill_event(
            "d-1",
            at(300),
            fault="stop-task",
            kind="task",
            target="abc123",
            service=None,
            phase="finished",
            recovered=True,
        )
    )
    assert finished.kind == m.DRILL_FINISHED and "recovered" in finished.summary
    broken = fargate_spot_warning("abc123", at(0))
    del broken["detail"]["taskArn"]
    assert parse_event(broken, T0) is None
    assert parse_event({"detail-type": "Something Else", "detail": {}}, T0) is None
