"""What a question shows before it is asked, and what a no does: the replacements and deletions an `up` makes,
what `destroy` removes and keeps, the limits `scale --tasks` pins, `cancel` with no lock; declining changes nothing.

CliRunner's stdin is no terminal; `interactive` makes ftcluster's terminal check say yes, and the answers come
from the runner's input, read by the real prompts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_helpers import TINY, Stand, make_stand

from ftcluster.cli import hooks

STACK = "tiny-eu-west-1"
AUTOSCALING = """
autoscaling:
  min_tasks: 1
  max_tasks: 4
"""


@pytest.fixture
def interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hooks, "_interactive", lambda: True)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, moto_server: str) -> Iterator[tuple[Stand, Path]]:
    """One small cluster with auto scaling for the whole module: every question here is declined or changes
    only what the next test expects (the tests run in file order)."""
    root = tmp_path_factory.mktemp("prompts")
    spec = root / "tiny.yaml"
    spec.write_text(TINY + AUTOSCALING)
    stand = make_stand(root / "machine", moto_server)
    deployed = stand.run("up", str(spec), "--yes", "--skip-preflight")
    assert deployed.exit_code == 0, deployed.output
    yield stand, spec
    assert not stand.state.unsupported()


def lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines()]


def test_up_names_each_replacement_and_deletion_before_asking_and_no_changes_nothing(
    deployed: tuple[Stand, Path], tmp_path: Path, interactive: None
) -> None:
    stand, _ = deployed
    changed = tmp_path / "changed.yaml"  # a new image replaces the task definition; no autoscaling drops the policy
    changed.write_text(TINY.replace("trainer:1.0", "trainer:1.1"))
    before = stand.state.resources(STACK)

    declined = stand.run("up", str(changed), "--skip-preflight", input="n\n")
    assert declined.exit_code == 1, declined.output
    shown = lines(declined.stderr)
    question = next(i for i, line in enumerate(shown) if "apply these changes?" in line)
    replaced = shown.index("replace aws:ecs/taskDefinition:TaskDefinition training-task (containerDefinitions)")
    deleted = shown.index("delete aws:appautoscaling/policy:Policy training-scaling-cpu")
    assert replaced < question and deleted < question
    assert not [line for line in shown if line.startswith(("update ", "create ", "create-replacement", "delete-"))]
    # CliRunner does not echo the answer: the message follows the question on its line
    assert shown[-1].endswith("[y/N]:cancelled, nothing changed") and "error" not in declined.stderr
    assert stand.state.resources(STACK) == before


def test_destroy_names_region_resource_count_and_the_checkpoints_before_asking(
    deployed: tuple[Stand, Path], interactive: None
) -> None:
    stand, _ = deployed
    resources = stand.state.resources(STACK)
    aws = [name for name, r in resources.items() if not r["type"].startswith("pulumi:")]
    kept = [name for name in aws if resources[name].get("retainOnDelete")]
    bucket = resources["checkpoint-bucket"]["outputs"]["bucket"]

    declined = stand.run("destroy", input="tiny-typo\n")
    assert declined.exit_code == 1, declined.output
    shown = lines(declined.stderr)
    question = next(i for i, line in enumerate(shown) if "Type the cluster name (tiny)" in line)
    summary = shown.index(
        f"destroy deletes {len(aws) - len(kept)} resources of cluster tiny in region eu-west-1 "
        f"and keeps {len(kept)} (the checkpoint bucket and its settings)"
    )
    checkpoints = shown.index(
        f"checkpoints: the bucket {bucket} and every checkpoint in it stay (--delete-checkpoints deletes them)"
    )
    assert summary < question and checkpoints < question
    assert "the name did not match: cancelled, nothing changed" in shown[-1]
    assert stand.state.has_stack(STACK) and stand.state.resources(STACK) == resources


def test_scale_tasks_says_it_pins_the_auto_scaling_limits_before_asking(
    deployed: tuple[Stand, Path], interactive: None
) -> None:
    stand, _ = deployed
    pinned = "auto scaling's limits become 3..3 (now 1..4): the service stays at 3 tasks whatever the load, until `ftcluster scale --reset`"
    up = stand.run("scale", "--tasks", "3")  # more tasks: no question, but the note comes before the update
    assert up.exit_code == 0, up.output
    shown = lines(up.stderr)
    assert shown.index(f"note: {pinned}") < next(i for i, line in enumerate(shown) if line.startswith("done:"))

    before = stand.state.resources(STACK)
    down = stand.run("scale", "--tasks", "2", input="n\n")
    assert down.exit_code == 1, down.output
    shown = lines(down.stderr)
    question = next(i for i, line in enumerate(shown) if "scale tiny (eu-west-1) down (tasks 3 -> 2)?" in line)
    assert shown.index(pinned.replace("3..3 (now 1..4)", "2..2 (now 3..3)").replace("at 3", "at 2")) < question
    assert shown[-1].endswith("cancelled, nothing changed")
    assert stand.state.resources(STACK) == before


def test_cancel_without_a_lock_says_so_and_asks_nothing(deployed: tuple[Stand, Path]) -> None:
    stand, _ = deployed
    result = stand.run("cancel")  # no terminal and no --yes: it would refuse if it asked
    assert result.exit_code == 0, result.output
    assert "no lock" in result.stderr and "release the update lock" not in result.output
    assert "cancel" not in stand.state.commands()


def test_cancel_with_a_lock_asks_and_no_keeps_it(deployed: tuple[Stand, Path], interactive: None) -> None:
    stand, _ = deployed
    locks = stand.home / "state" / ".pulumi" / "locks" / "organization" / "ftcluster" / STACK
    locks.mkdir(parents=True, exist_ok=True)
    (locks / "held.json").write_text(json.dumps({"pid": 1, "username": "x", "hostname": "gone", "timestamp": "t"}))
    declined = stand.run("cancel", input="n\n")
    assert declined.exit_code == 1, declined.output
    assert "release the update lock of tiny (eu-west-1)?" in declined.stderr
    assert lines(declined.stderr)[-1].endswith("cancelled, nothing changed")
    assert (locks / "held.json").exists()
    (locks / "held.json").unlink()
