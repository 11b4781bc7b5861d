"""A recorded spec that cannot be read stops up, scale and destroy with its cause and fix; nothing runs.

The record is the spec in the config of the stack's last successful update (its update history), which the
config file on this machine does not change.

Before, such a record counted as none: `scale` said the cluster was never deployed, `up` took it for a
first deployment, `destroy` could report the user's own bucket as kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_helpers import TINY, Stand
from starting_points import DeployedCopy

from ftcluster.engine.recorded import FORMAT, SPEC_KEY

STACK = "tiny-eu-west-1"


@pytest.fixture
def deployed(deployed_copy: DeployedCopy) -> Stand:
    stand, _ = deployed_copy(TINY)
    return stand


def history_files(stand: Stand) -> list[Path]:
    return sorted((stand.state.backend / "history" / "ftcluster").glob(f"{STACK}/*.history.json"))


def set_record(stand: Stand, value: str) -> None:
    """Rewrite the record in the history of every successful update, as an update by a newer ftcluster (or a
    damaged backend) would leave it."""
    edited = 0
    for path in history_files(stand):
        entry = json.loads(path.read_text())
        if entry["kind"] == "update" and entry["result"] == "succeeded":
            recorded = entry["config"][SPEC_KEY]
            entry["config"][SPEC_KEY] = {**recorded, "value": value} if isinstance(recorded, dict) else value
            path.write_text(json.dumps(entry))
            edited += 1
    assert edited, "no successful update to edit"


def runs(stand: Stand) -> list[list[str]]:
    """The Pulumi runs that change a stack or its config."""
    changing = {"up", "destroy", "refresh", "set-all", "rm-all"}
    return [call["argv"] for call in stand.state.calls() if changing & set(call["argv"])]


def assert_stopped_on_the_record(stand: Stand, result, before: list[list[str]]) -> None:
    assert result.exit_code == 1, result.output
    assert "cannot read the spec the last `up` of cluster" in result.stderr
    assert "it is not JSON" in result.stderr  # the cause
    assert "please report it" in " ".join(result.stderr.split())  # no file to edit: the history is the record
    assert runs(stand) == before, "nothing may run on a cluster whose recorded spec cannot be read"
    assert stand.state.has_stack(STACK) and stand.state.resources(STACK)


@pytest.mark.parametrize(
    "command",
    [
        ("up", "SPEC", "--yes", "--skip-preflight"),
        ("scale", "--tasks", "3", "--yes"),
        ("destroy", "--yes"),
    ],
    ids=["up", "scale", "destroy"],
)
def test_an_unreadable_record_stops_the_command_before_anything_runs(
    deployed_copy: DeployedCopy, command: tuple[str, ...]
) -> None:
    deployed, spec_file = deployed_copy(TINY)
    set_record(deployed, "{not json")
    before = runs(deployed)
    result = deployed.run(*(str(spec_file) if arg == "SPEC" else arg for arg in command))
    assert_stopped_on_the_record(deployed, result, before)


def test_a_record_from_a_newer_ftcluster_asks_for_an_upgrade(deployed: Stand) -> None:
    newer = json.dumps({"format": FORMAT + 1, "ftcluster": "9.0.0", "spec": {}})
    set_record(deployed, newer)
    before = runs(deployed)
    result = deployed.run("scale", "--tasks", "3", "--yes")
    assert result.exit_code == 1 and runs(deployed) == before
    assert f"spec format {FORMAT + 1}, written by ftcluster 9.0.0" in result.stderr
    assert "upgrade ftcluster to ftcluster 9.0.0 or later" in result.stderr


def test_outputs_still_show_the_cluster_and_say_the_record_is_unreadable(deployed: Stand) -> None:
    set_record(deployed, "{not json")
    result = deployed.run("outputs", "--cluster", STACK, "--json")
    assert result.exit_code == 0, result.output
    scale = json.loads(result.stdout)["scale"]["tasks"]
    assert scale["spec"] is None and isinstance(scale["effective"], int)
    assert "cannot be read (it is not JSON" in result.stderr
