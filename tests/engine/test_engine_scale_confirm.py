"""`ftcluster scale` asks before it stops running work, takes --yes like the other commands, and keeps its
settings in one table that every view reads."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from engine_helpers import EU_WEST, make_stand
from starting_points import DeployedCopy

from ftcluster.engine.scale import SCALE_SETTINGS, Overrides, deployed_values, scale_view
from ftcluster.program.exports import EXPORT_NAMES
from ftcluster.spec import load_spec

STACK = "finetune-eu-west-1"


def test_scaling_down_asks_first_and_yes_answers(deployed_copy: DeployedCopy) -> None:
    stand, _ = deployed_copy(EU_WEST)
    before = stand.state.resources(STACK)
    updates = stand.state.commands().count("up")

    refused = stand.run("scale", "--tasks", "1")  # CliRunner's stdin is no terminal
    assert refused.exit_code == 2, refused.output
    assert "refusing to scale down finetune (eu-west-1)" in refused.stderr and "--yes" in refused.stderr
    assert stand.state.resources(STACK) == before and stand.state.commands().count("up") == updates

    down = stand.run("scale", "--tasks", "1", "--yes", "--json")
    assert down.exit_code == 0, down.output
    assert json.loads(down.stdout)["after"]["tasks"] == 1

    up = stand.run("scale", "--tasks", "3", "--json")  # more tasks stop nothing: no question
    assert up.exit_code == 0, up.output
    assert json.loads(up.stdout)["before"]["tasks"] == 1 and json.loads(up.stdout)["after"]["tasks"] == 3

    # destroy says what becomes of the checkpoints before it asks (here: refuses, with no terminal)
    refused = stand.run("destroy")
    assert refused.exit_code == 2 and stand.state.has_stack(STACK)
    assert "checkpoints: the bucket example-finetune-checkpoints is the spec's own; destroy never touches it" in [
        " ".join(line.split()) for line in refused.stderr.splitlines()
    ]


def test_one_table_names_every_scale_setting_everywhere() -> None:
    assert [s.name for s in SCALE_SETTINGS] == [f.name for f in fields(Overrides)]
    assert {s.output for s in SCALE_SETTINGS} <= set(EXPORT_NAMES)
    assert len({s.config_key for s in SCALE_SETTINGS}) == len(SCALE_SETTINGS)
    spec = load_spec(Path(__file__).parents[2] / "configs" / "us-east-1.yaml")
    assert deployed_values(spec, Overrides(tasks=8, workers=2)) == {
        "tasks": 8,
        "instances": 4,
        "workers": 2,
        "min_tasks": 8,
        "max_tasks": 8,
    }
    view = scale_view(spec, {"desired_tasks": 8, "fleet_target_capacity": 4, "autoscaling_min": 8})
    assert view["tasks"] == {"spec": 6, "effective": 8} and view["max_tasks"] == {"spec": 12, "effective": None}


FLEET = """
fleet:
  max_instances: 4
  gpu: true
  instance_types: [g5.xlarge]
  workers:
    tasks: 2
    gpus: 1
    distributed:
      min_nodes: 1
      max_nodes: 4
"""


def test_scale_workers_changes_the_worker_service_within_the_elastic_bounds(tmp_path: Path, moto_server: str) -> None:
    spec = tmp_path / "workers.yaml"
    spec.write_text(EU_WEST.read_text() + FLEET)
    stand = make_stand(tmp_path, moto_server)
    assert stand.run("up", str(spec), "--yes", "--skip-preflight").exit_code == 0

    more = stand.run("scale", "--workers", "3", "--json")
    assert more.exit_code == 0, more.output
    assert (json.loads(more.stdout)["before"]["workers"], json.loads(more.stdout)["after"]["workers"]) == (2, 3)
    assert stand.state.resources(STACK)["workers-service"]["inputs"]["desiredCount"] == 3

    assert stand.run("scale", "--workers", "1").exit_code == 2  # fewer workers: asks first
    beyond = stand.run("scale", "--workers", "5")
    assert beyond.exit_code == 2 and "an elastic job runs 1..4 workers" in " ".join(beyond.stderr.split())
    assert stand.state.resources(STACK)["workers-service"]["inputs"]["desiredCount"] == 3
    shown = json.loads(stand.run("outputs", "--json").stdout)
    assert shown["scale"]["workers"] == {"spec": 2, "effective": 3} and shown["overrides"] == {"workers": 3}

    # named as the flag names it, in what it prints and in its JSON
    bigger = stand.run("scale", "--instances", "5")
    assert bigger.exit_code == 0, bigger.output
    assert "instances: 5 (was 4)" in bigger.stdout and "fleet_capacity" not in bigger.output
    shown = json.loads(stand.run("outputs", "--json").stdout)
    assert shown["overrides"] == {"workers": 3, "instances": 5} and shown["scale"]["instances"]["effective"] == 5
