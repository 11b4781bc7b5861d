"""`ftcluster status` and `ftcluster preflight` through Typer's CliRunner, against moto server.

`status` resolves stack outputs through the engine (issue 4); the `engine_outputs` fixture answers
for it, so these tests exercise the CLI and the AWS reads, not Pulumi.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from live_seed import Seeder, healthy_cluster
from typer.testing import CliRunner

from ftcluster.cli import app
from ftcluster.errors import FtclusterError
from ftcluster.live.preflight import CHECK_TITLES

SPEC = """\
name: demo
region: {region}
training:
  image: trainer:1
fleet:
  max_instances: 2
  instance_types: [{types}]
"""


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "160"})


def spec_file(tmp_path: Path, region: str = "us-east-1", types: str = "g5.xlarge") -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(SPEC.format(region=region, types=types), encoding="utf-8")
    return path


# --- status --------------------------------------------------------------------------------------


def test_status_healthy_in_rich(live_aws: str, engine_outputs: Any, tmp_path: Path) -> None:
    calls = engine_outputs(healthy_cluster().outputs())
    spec = spec_file(tmp_path)
    result = run("status", str(spec))
    assert result.exit_code == 0, result.output
    assert "HEALTHY" in result.stdout
    assert "us-east-1a" in result.stdout and "FARGATE_SPOT" in result.stdout
    assert calls == [(spec, None)]
    assert "Run-rate (what runs now)" in result.stdout and "Total" in result.stdout


def test_status_degraded_json(live_aws: str, engine_outputs: Any) -> None:
    seeder = Seeder().network().cluster().service(desired=4)
    seeder.tasks("us-east-1a", count=2)
    seeder.tasks("us-east-1b", count=2)
    calls = engine_outputs(seeder.outputs())
    result = run("status", "--cluster", "demo", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # JSON only on stdout
    assert (data["cluster"], data["region"]) == ("demo", "us-east-1")
    assert data["verdict"]["state"] == "DEGRADED"
    assert data["verdict"]["findings"][0]["message"].startswith("no training task running in us-east-1c")
    assert calls == [(None, "demo")]
    assert data["run_rate"]["kind"] == "run_rate" and data["run_rate"]["region"] == "us-east-1"
    assert data["scale"]["tasks"]["effective"] == seeder.outputs().get("desired_tasks")


def test_status_fleet_under_fulfilled_in_rich(live_aws: str, engine_outputs: Any) -> None:
    seeder = healthy_cluster()
    instances = seeder.fleet(3)
    seeder.join(instances)
    seeder.ec2.terminate_instances(InstanceIds=instances[:1])
    engine_outputs(seeder.outputs())
    result = run("status", "--cluster", "demo")
    assert result.exit_code == 0, result.output
    assert "DEGRADED" in result.stdout and "Spot Fleet fulfilled 2 of 3" in result.stdout


def test_status_down_still_exits_zero(live_aws: str, engine_outputs: Any) -> None:
    engine_outputs(Seeder().network().cluster().service(desired=2, settle=False).outputs())
    result = run("status", "--cluster", "demo", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["verdict"]["state"] == "DOWN"


def test_status_no_such_cluster_in_aws(live_aws: str, engine_outputs: Any) -> None:
    engine_outputs(Seeder().outputs())  # the stack names a cluster that is not in ECS
    result = run("status", "--cluster", "demo")
    assert result.exit_code == 1
    assert "error: no ECS cluster named demo in us-east-1" in result.stderr
    assert "Traceback" not in result.output


def test_status_no_such_stack(live_aws: str, engine_outputs: Any) -> None:
    engine_outputs(error=FtclusterError("no cluster named nope", hint="see `ftcluster list`"))
    result = run("status", "--cluster", "nope")
    assert result.exit_code == 1
    assert "error: no cluster named nope" in result.stderr


def test_status_bad_spec_is_exit_2_before_anything_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the real engine: the spec is checked before any state or AWS is touched."""
    monkeypatch.setenv("FTCLUSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no pulumi, no aws: neither may be needed
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: demo\nregion: us-east-1\ntraining: {image: t:1, tasks: many}\n", encoding="utf-8")
    result = run("status", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:3:31: training.tasks: expected an integer" in result.stderr
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status", "x.yaml", "--cluster", "demo"], "give a SPEC or --cluster, not both"),
        (["status", "--cluster", "demo", "--json", "--watch", "5"], "--watch refreshes a table"),
    ],
)
def test_status_usage_errors(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_status_watch_refreshes_until_ctrl_c(
    live_aws: str, engine_outputs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine_outputs(healthy_cluster().outputs())
    naps: list[float] = []

    def sleep(seconds: float) -> None:  # the second nap is where the user presses Ctrl-C
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", sleep)
    result = run("status", "--cluster", "demo", "--watch", "7")
    assert result.exit_code == 0, result.output
    assert naps == [7, 7]
    assert "every 7s · Ctrl-C to stop" in result.stdout and "HEALTHY" in result.stdout


# --- preflight -----------------------------------------------------------------------------------


def test_preflight_passes_in_rich(live_aws: str, tmp_path: Path) -> None:
    result = run("preflight", str(spec_file(tmp_path)))
    assert result.exit_code == 0, result.output
    for title in (
        "AWS credentials",
        "Region enabled",
        "Availability Zones",
        "Network",
        "Fleet instance types",
        "Spot prices",
    ):
        assert title in result.stdout
    assert "PASS" in result.stdout and "FAIL" not in result.stdout
    assert "Current prices, USD per instance-hour" in result.stdout
    assert "ready to deploy" in result.stdout


def test_preflight_failure_in_rich_exits_1_with_the_fix(live_aws: str, tmp_path: Path) -> None:
    result = run("preflight", str(spec_file(tmp_path, types="g5.xlarge, zz9.large")))
    assert result.exit_code == 1
    assert "FAIL" in result.stdout and "zz9.large is not offered anywhere in us-east-1" in result.stdout
    assert "fix:" in result.stdout
    assert "error: preflight failed: Fleet instance types" in result.stderr


def test_preflight_json(live_aws: str, tmp_path: Path) -> None:
    result = run("preflight", str(spec_file(tmp_path, region="ap-east-1")), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert {c["id"]: c["level"] for c in data["checks"]}["region"] == "fail"


def test_preflight_without_credentials(live_aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = run("preflight", str(spec_file(tmp_path)))
    assert result.exit_code == 1
    assert "no AWS credentials found" in result.stdout
    assert result.stdout.count("SKIP") == len(CHECK_TITLES) - 1  # all but the credentials


def test_preflight_bad_spec_is_exit_2(tmp_path: Path) -> None:
    result = run("preflight", str(spec_file(tmp_path, types="not-a-type")))
    assert result.exit_code == 2
    assert "fleet.instance_types" in result.stderr
    assert "Traceback" not in result.output


def test_preflight_missing_spec_is_exit_2(tmp_path: Path) -> None:
    result = run("preflight", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr


# --- no value is cut (issue 18, item 12) ----------------------------------------------------------

LONG_REASON = (
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/llm-trainer:2.4.1: not found"
)


def _stopped_task_cluster(engine_outputs: Any) -> None:
    seeder = healthy_cluster()
    (task,) = seeder.tasks("us-east-1a")
    seeder.stop(task, LONG_REASON)
    engine_outputs(seeder.outputs())


def test_piped_status_keeps_stop_reasons_and_notes_whole(live_aws: str, engine_outputs: Any) -> None:
    _stopped_task_cluster(engine_outputs)
    result = CliRunner().invoke(app, ["status", "--cluster", "demo"], env={"COLUMNS": "60"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "…" not in result.stdout
    assert any(LONG_REASON in line and "FARGATE" in line and "us-east-1a" in line for line in lines)
    assert any(
        line.endswith("Step Functions transitions when a task stops by itself (a few cents per thousand)")
        for line in lines
    )


def test_narrow_terminal_status_folds_reasons_and_findings(live_aws: str, engine_outputs: Any) -> None:
    from rich.text import Text

    _stopped_task_cluster(engine_outputs)
    terminal = {"TTY_COMPATIBLE": "1", "COLUMNS": "60", "NO_COLOR": "1"}
    result = CliRunner().invoke(app, ["status", "--cluster", "demo", "--quiet"], env=terminal)
    assert result.exit_code == 0, result.output
    text = Text.from_ansi(result.stdout).plain
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 60
    stopped = text[text.index("Stopped recently") : text.index("scale:")].splitlines()
    reason = "".join("".join(line.split("│")[6].split()) for line in stopped if line.count("│") == 7)
    assert reason == "".join(LONG_REASON.split())  # folded in its column, every character still there
