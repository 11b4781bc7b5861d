"""The deployed starting points of the engine tests (starting_points.py): each copy is the cluster as `up`
left it, on a machine of its own."""

from __future__ import annotations

import json

from engine_helpers import TINY
from starting_points import DeployedCopy

STACK = "tiny-eu-west-1"


def test_a_copy_is_the_deployed_cluster_on_a_machine_of_its_own(deployed_copy: DeployedCopy) -> None:
    first, spec = deployed_copy(TINY)
    second, second_spec = deployed_copy(TINY)
    assert spec.read_text() == TINY and spec.is_relative_to(first.root) and second_spec.is_relative_to(second.root)
    # as `up` left it: the stack and its history, the active cluster, the calls that made it
    assert [(h["kind"], h["result"]) for h in first.state.history(STACK)] == [("update", "succeeded")]
    assert "up" in first.state.commands() and len(first.state.downloads()) == 1
    active = json.loads((first.home / "active.json").read_text())
    assert (active["stack"], active["backend"], active["spec"]) == (STACK, f"file://{first.home / 'state'}", str(spec))
    plugins = first.home / "pulumi" / "plugins"
    assert plugins.is_symlink() and plugins.resolve() == (first.root / "user" / ".pulumi" / "plugins").resolve()

    again = first.run("up", str(spec), "--yes", "--skip-preflight")
    assert again.exit_code == 0, again.output
    assert "no changes" in again.stderr and "passphrase" not in again.stderr  # its passphrase, its stack config
    assert len(first.state.downloads()) == 1  # the plugin was found in its own Pulumi home
    assert len(list((first.home / "workspaces").iterdir())) == 1  # the work dir `up` made, not a new one

    # a change to one copy stays in that copy
    scaled = first.run("scale", "--tasks", "3", "--json")
    assert scaled.exit_code == 0, scaled.output
    assert json.loads(first.run("outputs", "--json").stdout)["outputs"]["desired_tasks"] == 3
    assert json.loads(second.run("outputs", "--json").stdout)["outputs"]["desired_tasks"] == 1
    third, _ = deployed_copy(TINY)
    assert json.loads(third.run("outputs", "--json").stdout)["outputs"]["desired_tasks"] == 1
