"""No phantom clusters: a command that never deployed leaves no stack behind, and a stack that was never
deployed is not taken for a cluster (a refused `up` touches nothing at all)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from engine_helpers import EU_WEST, Stand
from standin_harness import BIN, process_env

STACK = "finetune-eu-west-1"


def test_a_refused_up_touches_nothing(stand: Stand) -> None:
    refused = stand.run("up", str(EU_WEST), "--skip-preflight")  # no --yes, and CliRunner is no terminal
    assert refused.exit_code == 2, refused.output
    assert "--yes" in refused.stderr and "Traceback" not in refused.output
    assert stand.state.calls() == [] and stand.state.downloads() == []  # no Pulumi call, no plugin install
    assert not stand.state.has_stack(STACK) and not (stand.home / "passphrase").exists()
    assert not (stand.home / "workspaces").exists()


def test_an_online_preview_of_a_new_cluster_leaves_no_stack(stand: Stand) -> None:
    previewed = stand.run("preview", str(EU_WEST), "--json")
    assert previewed.exit_code == 0, previewed.output
    assert json.loads(previewed.stdout)["changes"] == {"create": 28}
    assert not stand.state.has_stack(STACK)
    assert json.loads(stand.run("list", "--json").stdout)["clusters"] == []
    assert not list((stand.home / "workspaces").glob(f"{STACK}-*"))
    used = stand.run("use", "finetune")
    assert used.exit_code == 1 and "no cluster named finetune" in used.stderr
    assert stand.run("preview", str(EU_WEST), "--json").exit_code == 0  # and again, the same


def test_a_stack_that_was_never_deployed_is_marked_and_refused(stand: Stand, tmp_path: Path) -> None:
    """A stack an older ftcluster's preview (or `pulumi stack init`) left: it exists, with no deployment."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "Pulumi.yaml").write_text(
        f"name: ftcluster\nruntime: python\nbackend:\n  url: file://{stand.home / 'state'}\n"
    )
    env = process_env({**stand.env, "PULUMI_CONFIG_PASSPHRASE": "old"})
    subprocess.run([str(BIN / "pulumi"), "stack", "init", STACK, "--non-interactive"], cwd=work, env=env, check=True)

    listed = json.loads(stand.run("list", "--json").stdout)["clusters"]
    assert [(c["stack"], c["deployed"]) for c in listed] == [(STACK, False)]
    assert "not deployed" in stand.run("list").stdout
    old = {"PULUMI_CONFIG_PASSPHRASE": "old"}
    for command in (["use", "finetune"], ["status", "--cluster", STACK], ["outputs", "--cluster", STACK]):
        refused = stand.run(*command, extra_env=old)
        assert refused.exit_code == 1, (command, refused.output)
        text = " ".join(refused.stderr.split())
        assert "finetune (eu-west-1) is not deployed" in text and "ftcluster up SPEC" in text, command
        assert "outside ftcluster" not in text
    assert not (stand.home / "active.json").exists()
    removed = stand.run("destroy", "--cluster", STACK, "--yes", extra_env=old)
    assert removed.exit_code == 0, removed.output
    assert not stand.state.has_stack(STACK)
