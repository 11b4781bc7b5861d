"""Interruptions made of recorded events and checkpoint times, measured and priced: pure functions."""

from __future__ import annotations

from datetime import datetime

import pytest
from ledger_events import (
    HEALTH_CHECK_CAUSE,
    T0,
    at,
    drill_event,
    fargate_spot_warning,
    group_event,
    spot_warning,
    task_started,
    task_stopped,
)

from ftcluster.cost.model import Cost
from ftcluster.ledger import model as m
from ftcluster.ledger.correlate import interruptions_of, summarize
from ftcluster.ledger.parse import drill_reason, parse_event

END = at(3600)
HOURLY = {"demo-train": Cost(3.6, 3.6), "demo-fleet-workers": Cost(36.0, 72.0)}


def events(*raw: dict) -> list[m.LedgerEvent]:
    parsed = [parse_event(r, T0) for r in raw]
    assert all(parsed)
    return [e for e in parsed if e is not None]


def measure(recorded: list[m.LedgerEvent], checkpoints: list[datetime], until: datetime = END) -> list[m.Interruption]:
    return interruptions_of(recorded, checkpoints, until=until, prices=HOURLY, instance_service="demo-fleet-workers")


def test_a_fargate_spot_reclaim_from_notice_to_training_resumed() -> None:
    recorded = events(
        task_started("old", at(-3000)),
        fargate_spot_warning("old", at(0)),
        task_stopped("old", at(90), "SpotInterruption", "Your Spot Task was interrupted.", exit_code=143),
        task_started("new", at(150)),
    )
    # a save every 10 minutes, one on SIGTERM at +60 s, the next after the replacement's restart
    (one,) = measure(recorded, [at(-1200), at(-600), at(60), at(700)])
    assert (one.cause, one.subject, one.service) == (m.CAUSE_SPOT, "old", "demo-train")
    assert (one.notice, one.stopped, one.replacement_running, one.training_resumed) == (at(0), at(90), at(150), at(700))
    # the checkpoint saved on SIGTERM counts: only the 30 s after it are lost, not the 10 minutes
    assert one.last_checkpoint == at(60) and one.work_lost_seconds == 30
    assert one.lost_seconds == 640 and one.resumed
    assert one.cost == Cost(3.6 * 640 / 3600, 3.6 * 640 / 3600)
    assert one.events == (m.SPOT_NOTICE, m.TASK_STOPPED)


def test_an_instance_notice_gathers_its_tasks_and_its_termination() -> None:
    recorded = events(
        spot_warning("i-0aaaaaaaaaaaaaaaa", at(0)),
        task_stopped("w1", at(100), "TerminationNotice", "Task stopped: its instance got a Spot interruption notice", service="demo-fleet-workers"),
        group_event("Terminate", "i-0aaaaaaaaaaaaaaaa", at(120), "At ... an instance was taken out of service in response to a spot instance interruption."),
        task_started("w2", at(400), service="demo-fleet-workers"),
    )  # fmt: skip
    (one,) = measure(recorded, [at(-900), at(1000)])
    assert (one.cause, one.subject, one.service) == (m.CAUSE_SPOT, "i-0aaaaaaaaaaaaaaaa", "demo-fleet-workers")
    assert one.stopped == at(100)  # the work stopped with the first task, before the instance went
    assert one.events == (m.SPOT_NOTICE, m.TASK_STOPPED, m.INSTANCE_TERMINATED)
    assert one.replacement_running == at(400)
    assert one.work_lost_seconds == 1000 and one.lost_seconds == 1900
    assert one.cost == Cost(36.0 * 1900 / 3600, 72.0 * 1900 / 3600)  # a range: Spot priced without live prices


def test_a_drill_is_one_interruption_with_the_stop_it_caused() -> None:
    recorded = events(
        drill_event("d-1", at(0), fault="stop-task", kind="task", target="t1", service="demo-train"),
        task_stopped("t1", at(40), "UserInitiated", drill_reason("d-1", "stop-task"), exit_code=143),
        task_started("t2", at(70)),
    )
    (one,) = measure(recorded, [at(-100), at(200)])
    assert (one.cause, one.drill_id, one.stopped, one.replacement_running) == (m.CAUSE_DRILL, "d-1", at(40), at(70))
    assert one.work_lost_seconds == 140


def test_planned_stops_and_a_finished_job_are_no_interruptions() -> None:
    recorded = events(
        task_stopped("t1", at(10), "ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ecs-svc/1)"),
        task_stopped("t2", at(20), "UserInitiated", "Task stopped by user"),
        task_stopped("t3", at(30), "EssentialContainerExited", "Essential container in task exited", exit_code=0),
    )
    assert measure(recorded, [at(0)]) == []
    assert [e.kind for e in recorded] == [m.TASK_STOPPED, m.TASK_STOPPED, m.JOB_COMPLETED]


def test_a_crash_and_a_lost_instance_count_with_their_tasks() -> None:
    recorded = events(
        task_stopped("t1", at(10), "EssentialContainerExited", "Essential container in task exited", exit_code=137),
        group_event("Terminate", "i-0bbbbbbbbbbbbbbbb", at(500), HEALTH_CHECK_CAUSE),
        task_stopped(
            "w1",
            at(510),
            "",
            "Host EC2 (instance i-0bbbbbbbbbbbbbbbb) stopped/terminated",
            service="demo-fleet-workers",
        ),
    )
    crash, lost = measure(recorded, [at(0)])
    assert (crash.cause, crash.subject) == (m.CAUSE_FAILURE, "t1")
    assert (lost.cause, lost.subject, lost.stopped) == (m.CAUSE_LOST, "i-0bbbbbbbbbbbbbbbb", at(500))
    assert lost.events == (m.INSTANCE_TERMINATED, m.TASK_STOPPED)
    assert not lost.resumed and lost.lost_until == at(3600)  # no checkpoint since: lost until the ledger's end


def test_each_lost_task_gets_its_own_replacement() -> None:
    recorded = events(
        fargate_spot_warning("a", at(0)),
        fargate_spot_warning("b", at(5)),
        task_started("c", at(60)),
        task_started("d", at(90)),
    )
    first, second = measure(recorded, [at(-10)])
    assert (first.replacement_running, second.replacement_running) == (at(60), at(90))


def test_without_checkpoints_nothing_is_measured_or_priced() -> None:
    (one,) = measure(events(fargate_spot_warning("a", at(0))), [])
    assert (one.work_lost_seconds, one.lost_seconds, one.cost, one.training_resumed) == (None, None, None, None)
    summary = summarize([one], start=T0, end=at(86400), checkpoints_seen=0, prices=HOURLY)
    assert summary.goodput is None and summary.money_lost is None and summary.unpriced == 1


def test_the_summary_counts_overlapping_losses_once() -> None:
    recorded = events(fargate_spot_warning("a", at(0)), fargate_spot_warning("b", at(100)))
    checkpoints = [at(-200), at(1000)]
    first, second = measure(recorded, checkpoints, until=at(7200))
    assert (first.lost_from, first.lost_until, second.lost_until) == (at(-200), at(1000), at(1000))
    summary = summarize([first, second], start=at(-3600), end=at(7200), checkpoints_seen=2, prices=HOURLY)
    # both losses run from the checkpoint at -200 s to the one at 1000 s: 1200 s of 10800 s
    assert summary.goodput == pytest.approx(1 - 1200 / 10800)
    assert summary.interruptions == 2 and summary.by_cause == {m.CAUSE_SPOT: 2}
    assert summary.per_day == pytest.approx(2 / (10800 / 86400))
    # each row prices its own loss; the total prices the shared 1200 s once
    assert first.cost == second.cost == Cost(3.6 * 1200 / 3600, 3.6 * 1200 / 3600)
    assert summary.money_lost == Cost(3.6 * 1200 / 3600, 3.6 * 1200 / 3600)


def test_a_drills_own_measurement_fills_what_no_recorded_event_says() -> None:
    report = {"time_to_detection_seconds": 2.0, "time_to_replacement_running_seconds": 40.0}
    recorded = events(
        drill_event("d-1", at(0), fault="stop-task", kind="task", target="t1", service="demo-train"),
        drill_event("d-1", at(90), fault="stop-task", kind="task", target="t1", service="demo-train", phase="finished", recovered=True, report=report),
    )  # fmt: skip
    (one,) = measure(recorded, [at(-60), at(80)])
    assert (one.stopped, one.replacement_running, one.training_resumed) == (at(2), at(40), at(80))
    assert one.events == (m.DRILL_STARTED, m.DRILL_FINISHED)


def test_a_finished_job_ends_the_window_unless_training_started_again() -> None:
    from ftcluster.ledger.read import _finished

    done = task_stopped("t1", at(100), "EssentialContainerExited", "Essential container in task exited", exit_code=0)
    scaled_down = task_stopped(
        "t2", at(110), "ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ecs-svc/1)"
    )
    assert _finished(events(done, scaled_down)) == at(100)  # the job's other tasks stopping does not reopen it
    assert _finished(events(done, scaled_down, task_started("t3", at(500)))) is None  # restarted: training again
