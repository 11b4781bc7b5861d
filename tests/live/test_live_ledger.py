"""`ftcluster events` against moto server: the program's rules match AWS-shaped events, EventBridge
delivers them into the event log group, and the ledger reads them back with the checkpoint versions."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
from live_seed import Seeder, group_cluster, healthy_cluster
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "ledger"))

from ledger_events import fargate_spot_warning, group_event, spot_warning, task_started, task_stopped

from ftcluster.aws import AwsSession
from ftcluster.cli import app
from ftcluster.errors import FtclusterError
from ftcluster.ledger import model as m
from ftcluster.ledger.read import read_ledger
from ftcluster.spec import load_spec

ROOT = Path(__file__).parents[2]
SPEC = ROOT / "configs" / "us-east-1.yaml"


def now() -> datetime:
    return datetime.now(timezone.utc)


def tick() -> None:
    """S3 and the recorded events keep whole seconds: one is enough to put an event between two saves."""
    time.sleep(1.1)


def ledger_of(seeder: Seeder, since: timedelta = timedelta(hours=1), **kwargs) -> m.Ledger:
    session = AwsSession("us-east-1")
    return read_ledger(seeder.outputs(), load_spec(SPEC), session=session, since=now() - since, **kwargs)


def test_a_fargate_spot_reclaim_is_recorded_read_back_and_measured(live_aws: str) -> None:
    seeder = healthy_cluster().recording().checkpoints()
    before = seeder.save_checkpoint()
    moment = now().replace(microsecond=0)  # the stop comes a second later: after `before`
    seeder.record(
        fargate_spot_warning("old-task", moment, service="demo-train"),
        task_stopped("old-task", moment + timedelta(seconds=1), "SpotInterruption", "Your Spot Task was interrupted."),
        task_started("new-task", moment + timedelta(seconds=1)),
        # another cluster's task: its rule does not match, so nothing of it is recorded
        {**task_stopped("x", moment, "SpotInterruption", "Your Spot Task was interrupted."), "detail": {
            **task_stopped("x", moment, "SpotInterruption", "Your Spot Task was interrupted.")["detail"],
            "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/other"}},
    )  # fmt: skip
    tick()
    tick()
    after = seeder.save_checkpoint()
    ledger = ledger_of(seeder)
    assert [e.kind for e in ledger.events] == [m.SPOT_NOTICE, m.TASK_STOPPED, m.TASK_STARTED]
    assert {e.subject for e in ledger.events} == {"old-task", "new-task"}
    (one,) = ledger.interruptions
    assert (one.cause, one.service, one.notice) == (m.CAUSE_SPOT, "demo-train", moment)
    assert one.last_checkpoint == before and one.training_resumed == after  # both from S3's own versions
    assert one.replacement_running == moment + timedelta(seconds=1)
    assert one.cost is not None and one.cost.low > 0  # priced at the training job's rate (us-east-1 spec)
    assert ledger.summary.interruptions == 1 and ledger.summary.goodput is not None
    assert ledger.checkpoints_seen == 2  # one key written twice: two versions


def test_spot_notices_of_other_instances_in_the_region_are_left_out(live_aws: str) -> None:
    seeder, instances = group_cluster()
    seeder.recording().checkpoints()
    moment = now().replace(microsecond=0)
    seeder.record(
        spot_warning(instances[1], moment),
        spot_warning("i-0ffffffffffffffff", moment),  # someone else's instance: the rule takes the region's
        group_event("Terminate", instances[1], moment + timedelta(seconds=1), "At ... in response to a spot instance interruption."),
        group_event("Terminate", "i-0eeeeeeeeeeeeeeee", moment, "...", group="another-gpu"),  # not the cluster's group
    )  # fmt: skip
    ledger = ledger_of(seeder)
    recorded = boto3.client("logs", region_name="us-east-1").filter_log_events(logGroupName=ledger.log_group)["events"]
    assert len(recorded) == 3  # the rule recorded both notices, and the group's termination only
    assert [(e.kind, e.subject) for e in ledger.events] == [
        (m.SPOT_NOTICE, instances[1]),
        (m.INSTANCE_TERMINATED, instances[1]),
    ]
    (one,) = ledger.interruptions
    assert (one.subject, one.service, one.events) == (
        instances[1],
        "demo-fleet-workers",
        (m.SPOT_NOTICE, m.INSTANCE_TERMINATED),
    )


def test_reading_is_bounded_and_says_so(live_aws: str) -> None:
    seeder = healthy_cluster().recording().checkpoints()
    moment = now().replace(microsecond=0)
    seeder.record(*(task_started(f"t{i}", moment) for i in range(5)))
    ledger = ledger_of(seeder, event_limit=3)
    assert len(ledger.events) == 3
    assert any("first 3 recorded events" in note for note in ledger.notes)
    assert any("no checkpoints found" in note for note in ledger.notes) and ledger.summary.goodput is None


def test_a_cluster_without_recording_is_a_clear_error(live_aws: str) -> None:
    seeder = healthy_cluster()
    with pytest.raises(FtclusterError) as caught:  # the stack made the group; AWS does not have it
        ledger_of(seeder)
    assert "is not in AWS, though the stack made it" in caught.value.message
    assert "ftcluster refresh" in (caught.value.hint or "")
    older = {**seeder.outputs(), "event_log_group": None}  # a stack from before the recording
    with pytest.raises(FtclusterError) as caught:
        read_ledger(older, None, session=AwsSession("us-east-1"), since=now() - timedelta(hours=1))
    assert "records no events" in caught.value.message and "ftcluster up" in (caught.value.hint or "")


def test_events_command_json_and_table(live_aws: str, engine_outputs) -> None:
    seeder = healthy_cluster().recording().checkpoints()
    seeder.save_checkpoint()
    moment = now().replace(microsecond=0)
    seeder.record(
        task_stopped("t1", moment, "EssentialContainerExited", "Essential container in task exited", exit_code=137)
    )
    engine_outputs(seeder.outputs())
    runner = CliRunner()
    result = runner.invoke(app, ["events", str(SPEC), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["interruptions"] == 1 and data["interruptions"][0]["cause"] == m.CAUSE_FAILURE
    assert data["events"][0]["exit_code"] == 137
    table = runner.invoke(app, ["events", str(SPEC)], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "exit code 137" in table.stdout and "1 interruption(s)" in table.stdout
    bad = runner.invoke(app, ["events", str(SPEC), "--since", "yesterday"])
    assert bad.exit_code == 2 and "neither a duration nor a time" in bad.output


def test_status_shows_the_last_interruption_and_the_newest_checkpoint(live_aws: str) -> None:
    import io

    from rich.console import Console

    from ftcluster.cli.ledger_view import ago
    from ftcluster.cli.live_view import render_status
    from ftcluster.live.status import status_report

    def shown(seeder: Seeder) -> tuple[object, str]:
        report = status_report(seeder.outputs())
        out = io.StringIO()
        Console(file=out, width=200, color_system=None).print(render_status(report))
        return report.status, out.getvalue()

    bare, text = shown(healthy_cluster())  # deployed before the recording, no checkpoint bucket
    assert bare.recording is False and "Last interruption: not recorded" in text and "no checkpoint found" in text
    boto3.client("ecs", region_name="us-east-1").delete_cluster(cluster="demo")

    seeder = healthy_cluster().recording().checkpoints()
    saved = seeder.save_checkpoint()
    moment = now().replace(microsecond=0) - timedelta(minutes=3)
    seeder.record(fargate_spot_warning("old-task", moment), task_started("new-task", moment + timedelta(seconds=40)))
    status, text = shown(seeder)
    assert status.recording is True and status.newest_checkpoint.last_modified == saved
    assert status.last_interruption.notice == moment and status.last_interruption.subject == "old-task"
    # its age as of the read: "3 min ago" at exactly 180 s, "3m 02s ago" a moment later
    assert 180 <= (status.gathered_at - moment).total_seconds() < 300
    assert f"Last interruption: {ago(moment, status.gathered_at)}" in text
    assert "Fargate Spot notice for task old-task" in text
    assert "newest checkpoint" in text and "ago" in text
