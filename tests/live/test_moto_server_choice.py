"""The moto_server fixture runs the moto that belongs to the test interpreter, not whatever PATH finds first."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest


def _root_conftest():
    """tests/conftest.py itself (`import conftest` could find tests/live/conftest.py instead)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("root_conftest", Path(__file__).parents[1] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


moto_server_executable = _root_conftest().moto_server_executable


def test_the_moto_server_beside_the_interpreter_wins_over_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    beside = Path(sys.executable).with_name("moto_server")
    if not beside.exists():
        pytest.skip(f"no moto_server beside {sys.executable}")
    elsewhere = tmp_path / "moto_server"  # e.g. a pyenv shim of another Python's moto
    elsewhere.write_text("#!/bin/sh\nexit 1\n")
    elsewhere.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    assert moto_server_executable() == str(beside)


def test_path_is_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = tmp_path / "moto_server"
    on_path.write_text("#!/bin/sh\nexit 1\n")
    on_path.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert moto_server_executable(interpreter=tmp_path / "elsewhere" / "python") == str(on_path)
