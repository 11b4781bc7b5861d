"""`ftcluster drill` on tasks (stop-task, rendezvous) against moto server: the fault's calls change AWS as
the fault says, and the recovery is measured from moto's state and the checkpoint objects."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import boto3
import pytest
from drill_helpers import SPEC, Background, drill
from live_seed import Seeder, group_cluster, healthy_cluster
from typer.testing import CliRunner

from ftcluster.aws import AwsSession
from ftcluster.cli import app
from ftcluster.drill.model import DrillPlan
from ftcluster.errors import FtclusterError, UsageError
from ftcluster.ledger import model as m
from ftcluster.ledger.read import read_ledger


def task(seeder: Seeder, arn: str) -> dict[str, Any]:
    return seeder.ecs.describe_tasks(cluster=seeder.name, tasks=[arn])["tasks"][0]


def running(seeder: Seeder, service: str) -> list[dict[str, Any]]:
    arns = seeder.ecs.list_tasks(cluster=seeder.name, desiredStatus="RUNNING")["taskArns"]
    described = seeder.ecs.describe_tasks(cluster=seeder.name, tasks=arns)["tasks"] if arns else []
    return [t for t in described if t.get("group") == f"service:{service}" and t["lastStatus"] == "RUNNING"]


def test_stop_task_stops_the_task_and_measures_the_recovery(live_aws: str) -> None:
    seeder = healthy_cluster().recording().checkpoints()
    before = seeder.save_checkpoint()
    run = Background(seeder.outputs(), "stop-task")
    run.wait_for(run.hooks.detected, "the drill seeing the stop")
    (plan,) = run.hooks.plans
    stopped = task(seeder, plan.target.arn)
    # what ECS StopTask does: the task stops, with the drill named in its reason
    assert stopped["lastStatus"] == "STOPPED" and stopped["stoppedReason"].startswith("ftcluster drill d-")
    assert plan.target.service == "demo-train" and len(running(seeder, "demo-train")) == 2
    # AWS's part: the service scheduler starts a replacement, the restarted trainer saves a checkpoint
    seeder.tasks("us-east-1a", provider="FARGATE_SPOT")
    time.sleep(1.1)  # S3 keeps whole seconds: the new checkpoint must be newer than the stop
    after = seeder.save_checkpoint()
    report = run.report()
    assert report.recovered and report.recovery.missing == []
    recovery = report.recovery
    assert recovery.detected_at and recovery.replacement_at and recovery.back_at
    assert report.fault_at <= recovery.detected_at <= recovery.replacement_at <= recovery.back_at
    assert recovery.resumed_at == after and report.last_checkpoint == before
    assert report.work_lost_seconds == (recovery.detected_at - before).total_seconds()
    assert report.cost is not None and report.cost.low > 0  # the training job's price over the lost time
    # the ledger holds the drill with the stop it caused, as one interruption
    ledger = read_ledger(
        seeder.outputs(), None, session=AwsSession("us-east-1"), since=report.fault_at - timedelta(minutes=5)
    )
    drills = [e for e in ledger.events if e.kind in (m.DRILL_STARTED, m.DRILL_FINISHED)]
    assert [e.kind for e in drills] == [m.DRILL_STARTED, m.DRILL_FINISHED]
    assert drills[1].details["report"]["recovered"] is True
    (interruption,) = ledger.interruptions
    assert (interruption.cause, interruption.drill_id) == (m.CAUSE_DRILL, report.drill_id)


def test_not_recovered_within_the_timeout_says_what_is_missing(live_aws: str) -> None:
    seeder = healthy_cluster().checkpoints()
    seeder.save_checkpoint()
    report = drill(seeder.outputs(), "stop-task", timeout=1.5)
    assert not report.recovered
    assert report.recovery.detected_at is not None  # it saw the stop; nothing replaced it
    missing = " | ".join(report.recovery.missing)
    assert "a new task of demo-train to run" in missing and "demo-train 2/3 running" in missing
    assert "checkpoint newer than the fault" in missing
    assert any("not in the event ledger" in note for note in report.notes)  # no recording: said, not fatal


def test_rendezvous_stops_the_store_and_waits_for_the_job_at_its_size(live_aws: str) -> None:
    seeder, _ = group_cluster(workers=3, min_nodes=2)
    seeder.recording().checkpoints()
    seeder.save_checkpoint()
    (store,) = running(seeder, "demo-rendezvous")
    run = Background(seeder.outputs(), "rendezvous")
    run.wait_for(run.hooks.detected, "the drill seeing the stop")
    assert task(seeder, store["taskArn"])["lastStatus"] == "STOPPED"
    assert "the elastic job back at its size (demo-fleet-workers)" in run.hooks.plans[0].recovery
    seeder.tasks("us-east-1a", provider="FARGATE", service="demo-rendezvous")
    time.sleep(1.1)
    seeder.save_checkpoint()
    report = run.report()
    assert report.recovered, report.recovery.missing
    assert report.plan.target.id == store["taskArn"].rsplit("/", 1)[-1]


def test_default_target_is_named_and_a_given_one_must_exist(live_aws: str) -> None:
    seeder, _ = group_cluster(workers=2, min_nodes=1)
    plan = drill(seeder.outputs(), "stop-task", dry_run=True)
    assert isinstance(plan, DrillPlan)
    assert plan.target.service == "demo-fleet-workers"  # an elastic job's worker first
    assert "ecs:StopTask" in plan.iam_actions and "ecs:DescribeTasks" in plan.iam_actions
    with pytest.raises(UsageError) as caught:
        drill(seeder.outputs(), "stop-task", target="nosuchtask", dry_run=True)
    assert "no running task" in caught.value.message and plan.target.id in caught.value.message


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("spot-interruption", "has no GPU instances (no fleet)"),
        ("terminate-instance", "has no GPU instances (no fleet)"),
        ("rendezvous", "runs no elastic job"),
    ],
)
def test_a_fault_the_cluster_cannot_take_is_bad_usage_before_anything_is_touched(
    live_aws: str, fault: str, message: str
) -> None:
    seeder = healthy_cluster()
    with pytest.raises(UsageError) as caught:
        drill(seeder.outputs(), fault)
    assert message in caught.value.message
    assert len(running(seeder, "demo-train")) == 3


def test_a_cluster_missing_in_ecs_is_an_error(live_aws: str) -> None:
    seeder = Seeder().network()  # the stack names a cluster ECS does not have
    with pytest.raises(FtclusterError) as caught:
        drill(seeder.outputs(), "stop-task")
    assert caught.value.message == "no ECS cluster named demo in us-east-1"


# --- through the command line --------------------------------------------------------------------


def run_cli(*args: str, **env: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **env})


def test_dry_run_prints_the_plan_and_its_permissions_and_touches_nothing(live_aws: str, engine_outputs: Any) -> None:
    seeder = healthy_cluster().recording()
    engine_outputs(seeder.outputs())
    result = run_cli("drill", str(SPEC), "--fault", "stop-task", "--dry-run")
    assert result.exit_code == 0, result.output
    assert (
        "target: task" in result.stdout and "ecs:StopTask" in result.stdout and "SIGKILL after 120 s" in result.stdout
    )
    assert "dry run: nothing was changed" in result.stderr
    assert len(running(seeder, "demo-train")) == 3
    group = seeder.outputs()["event_log_group"]
    assert boto3.client("logs", region_name="us-east-1").filter_log_events(logGroupName=group)["events"] == []
    plan = json.loads(run_cli("drill", str(SPEC), "--fault", "stop-task", "--dry-run", "--json").stdout)
    assert plan["dry_run"] is True and plan["target"]["kind"] == "task"


def test_without_a_terminal_and_without_yes_it_refuses(live_aws: str, engine_outputs: Any) -> None:
    seeder = healthy_cluster()
    engine_outputs(seeder.outputs())
    result = run_cli("drill", str(SPEC), "--fault", "stop-task")
    assert result.exit_code == 2
    assert "target: task" in result.stderr  # named before it refused
    assert "refusing to break cluster demo" in result.stderr and "--yes" in result.stderr
    assert len(running(seeder, "demo-train")) == 3


def test_not_recovered_exits_1_and_the_json_says_why(live_aws: str, engine_outputs: Any) -> None:
    seeder = healthy_cluster().checkpoints()
    engine_outputs(seeder.outputs())
    result = run_cli("drill", str(SPEC), "--fault", "stop-task", "--yes", "--timeout", "0.03", "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["recovered"] is False and data["time_to_detection_seconds"] is not None
    assert "did not recover from stop-task within 0.03 min" in result.stderr
    assert "a new task of demo-train to run" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fault", "stop-task", "--timeout", "0"], "--timeout 0"),
        (["--fault", "melt-down"], "melt-down"),
        (["--fault", "stop-task", "--cluster", "demo"], "not both"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = run_cli("drill", str(SPEC), *args)
    assert result.exit_code == 2 and message in result.output


def test_no_cluster_in_the_state_backend(tmp_path: Any, moto_server: str) -> None:
    """Through the real engine and the stand-in pulumi: nothing deployed, nothing to drill or read."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))
    from engine_helpers import make_stand

    stand = make_stand(tmp_path, moto_server)
    for args in (["drill", "--cluster", "ghost", "--fault", "stop-task", "--yes"], ["events", "--cluster", "ghost"]):
        result = stand.run(*args)
        assert result.exit_code == 1, result.output
        assert "no cluster named ghost" in result.output and "ftcluster up" in result.output
