"""A file backend in Pulumi's legacy layout (no .pulumi/meta.yaml, stacks of every project side by side).

pkg/backend/diy/meta.go keeps such a backend in the legacy layout; its stacks, history and locks have
no project in their paths (pkg/backend/diy/store.go legacyReferenceStore, lock.go stackLockDir), and
`pulumi stack ls` lists every stack in it, whatever its project.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from engine_helpers import CONSOLE_SCRIPT, EU_WEST, Stand, spec_copy, wait_for, write_lock
from standin_harness import process_env

STACK = "finetune-eu-west-1"


def other_projects_stack(meta: Path, stack: str, project: str) -> None:
    """A stack another Pulumi project keeps in the same backend (as the stand-in stores checkpoints)."""
    urn = f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"
    checkpoint = {
        "version": 3,
        "checkpoint": {
            "stack": stack,
            "latest": {
                "manifest": {"time": "2024-01-01T00:00:00.000000Z", "version": "v3.100.0"},
                "secrets_providers": {"type": "passphrase", "state": {"salt": "x", "check": "y"}},
                "resources": [{"urn": urn, "type": "pulumi:pulumi:Stack", "custom": False}],
                "pending_operations": [],
            },
        },
    }
    (meta / "stacks").mkdir(parents=True, exist_ok=True)
    (meta / "stacks" / f"{stack}.json").write_text(json.dumps(checkpoint))


@pytest.fixture
def legacy(stand: Stand, tmp_path: Path) -> tuple[Stand, Path, Path]:
    root = tmp_path / "team-state"
    other_projects_stack(root / ".pulumi", "webapp-prod", "webapp")
    other_projects_stack(root / ".pulumi", "api-us-east-1", "api")  # named like a cluster, but not ftcluster's
    spec = spec_copy(
        tmp_path, EU_WEST, "team.yaml", {"region: eu-west-1": f"region: eu-west-1\nstate:\n  backend: file://{root}"}
    )
    return stand, root, spec


def lock_of(root: Path) -> Path:
    """lock.go stackLockDir: `.pulumi/locks/<fully qualified name>`, the bare stack name in this layout."""
    return root / ".pulumi" / "locks" / STACK / "5b6c.json"


def hold_lock(root: Path) -> Path:
    return write_lock(lock_of(root))


def test_list_lock_state_and_cancel_follow_the_legacy_layout(legacy) -> None:
    stand, root, spec = legacy
    assert stand.run("up", str(spec), "--yes", "--skip-preflight", "--quiet").exit_code == 0
    assert (root / ".pulumi" / "stacks" / f"{STACK}.json").exists() and not (root / ".pulumi" / "meta.yaml").exists()
    backend = f"file://{root}"

    listed = json.loads(stand.run("list", "--backend", backend, "--json").stdout)["clusters"]
    assert [(c["stack"], c["update_in_progress"]) for c in listed] == [(STACK, False)]  # not the other projects'

    lock = hold_lock(root)
    listed = json.loads(stand.run("list", "--backend", backend, "--json").stdout)["clusters"]
    assert [(c["stack"], c["update_in_progress"]) for c in listed] == [(STACK, True)]
    blocked = stand.run("refresh", str(spec))  # a run that takes the lock
    assert blocked.exit_code == 1 and f"lock held by alice@{socket.gethostname()}" in blocked.stderr

    released = stand.run("cancel", "--cluster", STACK, "--yes")
    assert released.exit_code == 0 and "released" in released.stderr and not lock.exists()
    again = stand.run("cancel", "--cluster", STACK, "--yes")
    assert again.exit_code == 0 and "nothing to cancel" in again.stderr


def test_a_cli_that_refuses_the_legacy_layout_gets_the_way_out(legacy) -> None:
    stand, root, _ = legacy
    newer = {"PULUMI_STANDIN_VERSION": "3.257.0"}
    refused = stand.run("list", "--backend", f"file://{root}", extra_env=newer)
    assert refused.exit_code == 1, refused.output
    text = " ".join(refused.stderr.split())
    assert "Legacy DIY state is deprecated" in text and "=====" not in text
    assert "pulumi state upgrade" in text and "PULUMI_DIY_BACKEND_IGNORE_DEPRECATION_ERROR=1" in text
    allowed = {**newer, "PULUMI_DIY_BACKEND_IGNORE_DEPRECATION_ERROR": "1"}
    assert stand.run("list", "--backend", f"file://{root}", "--json", extra_env=allowed).exit_code == 0


def test_ctrl_c_before_pulumi_handles_it_is_a_hard_stop_that_names_the_lock_left_behind(legacy) -> None:
    """A SIGINT before the CLI's cancellation scope exists (pkg/backend/cancellation_scope.go, created after
    b.Lock) ends the CLI at once: its deferred unlock never runs."""
    stand, root, spec = legacy
    ready, errors = stand.root / "ready", stand.root / "stderr.txt"
    env = process_env({**stand.env, "PULUMI_STANDIN_STALL_AFTER_LOCK": "60", "PULUMI_STANDIN_READY_FILE": str(ready)})
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "up", str(spec), "--yes", "--skip-preflight"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=errors.open("w"),
    )
    wait_for(lambda: ready.exists() or process.poll() is not None, "the stand-in to take the lock")
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 130
    text = " ".join(errors.read_text().split())
    assert lock_of(root).parent.is_dir() and list(lock_of(root).parent.glob("*.json"))  # the lock stayed
    assert "released the lock" not in text and "Traceback" not in text
    assert f"ftcluster cancel --cluster {STACK}" in text
