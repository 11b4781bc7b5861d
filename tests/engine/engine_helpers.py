"""Engine test helpers: an isolated machine (env + stand-in state) and a way to run ftcluster on it."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).parents[1] / "standin"))

from standin_harness import StandinState, standin_env

from ftcluster.cli import app

ROOT = Path(__file__).parents[2]
CONSOLE_SCRIPT = Path(sys.executable).with_name("ftcluster")  # the real entry point, for tests that send signals
US_EAST = ROOT / "configs" / "us-east-1.yaml"  # 78 resources: VPC over 3 AZs, GPU Auto Scaling group, auto scaling
EU_WEST = ROOT / "configs" / "eu-west-1.yaml"
# the smallest cluster with a VPC of its own: 2 AZs, no NAT, no fleet, one task
TINY = """\
name: tiny
region: eu-west-1
network:
  availability_zones: 2
  nat: none
training:
  image: ghcr.io/example/trainer:1.0
  tasks: 1
"""  # 27 resources: existing VPC, no fleet, no auto scaling


@dataclass
class Stand:
    """One isolated machine: its environment, the stand-in's files, and a way to run ftcluster."""

    root: Path
    env: dict[str, str | None]
    state: StandinState = field(init=False)

    def __post_init__(self) -> None:
        self.state = StandinState(self.root)

    def run(
        self,
        *args: str,
        extra_env: dict[str, str | None] | None = None,
        input: str | None = None,
        wait: bool | None = None,
    ) -> Result:
        """`ftcluster ARGS` on this machine. With canned AWS answers (the default) the stand-in creates
        nothing in AWS, so there is no rollout to wait for: `up` gets --no-wait unless `wait` (a test of
        the wait seeds the services itself). A stand emulating AWS waits, as a user's `up` does."""
        if wait is None:
            wait = self.emulates_aws
        if args[:1] == ("up",) and not wait:
            args = (*args, "--no-wait")
        runner = CliRunner()
        return runner.invoke(
            app, list(args), env={**self.env, **(extra_env or {})}, input=input, catch_exceptions=False
        )

    @property
    def emulates_aws(self) -> bool:
        """The stand-in's AWS provider works in the emulator (standin_env's `emulate_aws`)."""
        return self.env.get("PULUMI_STANDIN_AWS") is None

    @property
    def home(self) -> Path:
        return self.root / "home"


def make_stand(root: Path, moto_url: str | None, **kwargs: Any) -> Stand:
    return Stand(root, standin_env(root, moto_url, **kwargs))


def spec_copy(tmp_path: Path, source: Path, name: str, replacements: dict[str, str]) -> Path:
    """A copy of an example spec with text replaced (e.g. a different task count)."""
    text = source.read_text()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Poll `condition` until it holds (a process reached a point, a file appeared); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def write_lock(lock: Path) -> Path:
    """Another live run's lock file (this process's pid, this host), as Pulumi's file backend writes it."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    info = {
        "pid": os.getpid(),
        "username": "alice",
        "hostname": socket.gethostname(),
        "timestamp": "2030-01-01T00:00:00Z",
    }
    lock.write_text(json.dumps(info))
    return lock
