"""A completed job stays stopped through `up`, and starts again only when asked (`up --restart`, `scale`).

The stand-in creates nothing in AWS, so each test writes what the job-completed state machine writes when a
training task exits 0 (its SSM record) into the emulator the engine reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from engine_helpers import EU_WEST, Stand
from starting_points import DeployedCopy

STACK = "finished-eu-west-1"
PARAMETER = "/ftcluster/finished/completed/training"
COMPLETED_AT = "2026-12-04T10:11:12Z"


def _deployed(deployed_copy: DeployedCopy, moto_server: str) -> tuple[Stand, Path, Any]:
    """The eu-west-1 example (2 training tasks, no auto scaling) as cluster `finished`, deployed, with its
    training job recorded as completed."""
    stand, spec = deployed_copy(EU_WEST.read_text().replace("name: finetune", "name: finished"))
    assert _target(stand) == (2, 2)
    ssm = boto3.client(
        "ssm", region_name="eu-west-1", endpoint_url=moto_server, aws_access_key_id="t", aws_secret_access_key="t"
    )
    record = {"completed": True, "job": "training", "completedAt": COMPLETED_AT, "taskArn": "arn:x/task/t1"}
    ssm.put_parameter(Name=PARAMETER, Value=json.dumps(record), Type="String", Overwrite=True)
    return stand, spec, ssm


def _target(stand: Stand) -> tuple[int, int]:
    """The training count as the stack holds it: its Application Auto Scaling target's bounds."""
    inputs = stand.state.resources(STACK)["training-scaling"]["inputs"]
    return inputs["minCapacity"], inputs["maxCapacity"]


def _recorded(ssm: Any) -> dict[str, Any]:
    return json.loads(ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"])


def test_up_keeps_a_completed_job_stopped_and_restart_starts_it(deployed_copy: DeployedCopy, moto_server: str) -> None:
    stand, spec, ssm = _deployed(deployed_copy, moto_server)

    held = stand.run("up", str(spec), "--yes", "--skip-preflight", "--json")
    assert held.exit_code == 0, held.output
    assert (
        "the training job completed at 2026-12-04T10:11:12+00:00: it stays stopped; "
        "`ftcluster up SPEC --restart` or `ftcluster scale --tasks N` starts it again"
    ) in " ".join(held.stderr.split())
    outputs = json.loads(held.stdout)["outputs"]
    assert (outputs["desired_tasks"], outputs["completed_jobs"]) == (0, ["training"])
    assert _target(stand) == (0, 0)  # its policies and its minimum cannot start it either

    again = stand.run("up", str(spec), "--yes", "--skip-preflight", "--json")
    assert again.exit_code == 0, again.output
    assert "no changes" in again.stderr and _target(stand) == (0, 0)

    restarted = stand.run("up", str(spec), "--yes", "--skip-preflight", "--restart", "--json")
    assert restarted.exit_code == 0, restarted.output
    assert "starting the completed training job again (--restart)" in restarted.stderr
    assert _target(stand) == (2, 2) and json.loads(restarted.stdout)["outputs"]["completed_jobs"] == []
    assert _recorded(ssm) == {"completed": False}

    plain = stand.run("up", str(spec), "--yes", "--skip-preflight", "--restart")
    assert plain.exit_code == 0 and "nothing to start again" in plain.stderr


def test_scale_starts_a_completed_job_even_before_an_up_held_it(deployed_copy: DeployedCopy, moto_server: str) -> None:
    """No `up` since the job completed: the stack still says 2 tasks, as does the request. Without holding
    the job at 0 first, the targeted update would find nothing to change and AWS would stay at 0."""
    stand, _, ssm = _deployed(deployed_copy, moto_server)
    ups = stand.state.commands().count("up")

    scaled = stand.run("scale", "--tasks", "2", "--json")
    assert scaled.exit_code == 0, scaled.output
    report = json.loads(scaled.stdout)
    assert (report["before"]["tasks"], report["after"]["tasks"]) == (0, 2)
    assert "the training job had completed; this scale starts it again" in scaled.stderr
    assert stand.state.commands().count("up") == ups + 2  # the hold at 0, then the scale
    newest, hold = stand.state.history(STACK)[:2]
    assert hold["resourceChanges"].get("update") == 1 and newest["resourceChanges"].get("update") == 1
    assert _target(stand) == (2, 2) and _recorded(ssm) == {"completed": False}


def test_scaling_another_setting_leaves_a_completed_job_stopped(deployed_copy: DeployedCopy, moto_server: str) -> None:
    stand, _, ssm = _deployed(deployed_copy, moto_server)
    zero = stand.run("scale", "--tasks", "0", "--yes", "--json")
    assert zero.exit_code == 0, zero.output
    assert _target(stand) == (0, 0) and _recorded(ssm)["completed"] is True  # 0 starts nothing
