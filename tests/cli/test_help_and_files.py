"""Help that reads right (no `<bool>`, SPEC, one meaning per short flag) and spec files that are refused at once with
the usual one-line error: unreadable, in a folder that cannot be searched, a FIFO, a device."""

from __future__ import annotations

import ctypes
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from ftcluster.cli import app

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "configs" / "eu-west-1.yaml"
runner = CliRunner()
COMMANDS: dict[str, Any] = typer.main.get_command(app).commands  # type: ignore[attr-defined]
SPEC_COMMANDS = ("validate", "preview", "preflight", "up", "scale", "destroy", "status", "refresh", "cancel", "outputs")


def help_text(*args: str) -> str:
    result = runner.invoke(app, [*args, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("command", [None, *COMMANDS], ids=lambda c: c or "ftcluster")
def test_flags_show_no_type_placeholder(command: str | None) -> None:
    text = help_text(*([command] if command else []))
    assert "<bool>" not in text and "--help" in text


@pytest.mark.parametrize("command", SPEC_COMMANDS)
def test_the_spec_argument_reads_spec(command: str) -> None:
    text = help_text(command)
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "SPEC" in usage and "spec_path" not in text


def test_a_missing_spec_is_named_spec_in_the_error() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2
    assert "Missing argument 'SPEC'" in result.stderr and "spec_path" not in result.stderr


def test_each_short_flag_means_one_thing_in_every_command() -> None:
    meanings: dict[str, set[str]] = {}
    for command in COMMANDS.values():
        for param in command.params:
            longs = [o for o in param.opts if o.startswith("--")]
            for short in (o for o in param.opts if not o.startswith("--")):
                meanings.setdefault(short, set()).update(longs)
    assert meanings["-c"] == {"--cluster"} and meanings["-y"] == {"--yes"}  # the walk found them
    assert {short: longs for short, longs in meanings.items() if len(longs) > 1} == {}


# --- files that are not readable specs ------------------------------------------------------------


def _meet_file_modes_as_root() -> None:
    """In the child, before exec: drop the capabilities that let root ignore file modes (capabilities(7):
    CAP_DAC_OVERRIDE = 1, CAP_DAC_READ_SEARCH = 2) from the bounding set (prctl(2): PR_CAPBSET_DROP = 24).
    After exec, root's permitted set is the bounding set, so the command meets file modes as any user does."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def validate_without_privileges(spec: Path) -> subprocess.CompletedProcess[str]:
    """`ftcluster validate SPEC` as a process that file modes apply to (tests may run as root)."""
    return subprocess.run(
        [sys.executable, "-m", "ftcluster", "validate", str(spec)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_meet_file_modes_as_root if os.geteuid() == 0 else None,
    )


def test_an_unreadable_spec_gets_the_usual_one_line_error(tmp_path: Path) -> None:
    spec = tmp_path / "secret.yaml"
    shutil.copy(EXAMPLE, spec)
    spec.chmod(0)
    result = validate_without_privileges(spec)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[0] == f"error {spec}: cannot read the file: Permission denied"
    assert "Usage:" not in result.stderr and "Traceback" not in result.stderr


def test_a_spec_in_a_folder_that_cannot_be_searched_gets_the_same_error(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.mkdir()
    shutil.copy(EXAMPLE, closed / "spec.yaml")
    closed.chmod(0)
    try:
        result = validate_without_privileges(closed / "spec.yaml")
    finally:
        closed.chmod(0o700)  # so that pytest can clean up
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[0] == f"error {closed / 'spec.yaml'}: cannot read the file: Permission denied"
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_fifo_or_device_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        spec = tmp_path / "spec.yaml"
        os.mkfifo(spec)  # opening it for reading waits for a writer that never comes
        what = "a FIFO (named pipe)"
    else:
        spec, what = Path("/dev/zero"), "a device"
    # a subprocess with a timeout: if ftcluster blocked on the FIFO, the test would fail instead of hanging
    result = subprocess.run(
        [sys.executable, "-m", "ftcluster", "validate", str(spec)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[0] == f"error {spec}: is {what}, not a file; give the path of a YAML spec file"
    assert stat.S_ISFIFO(spec.stat().st_mode) or kind == "device"
