"""The drill: ftcluster's elastic job run here with real torch (examples/rendezvous/local_job.py), faults
injected as ECS and EC2 deliver them, recovery measured. Each file runs one job through a sequence of
faults, in file order; every test starts from a job at full size and leaves it so."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "examples" / "rendezvous"))

from local_job import LocalJob, free_port  # noqa: E402

from ftcluster.spec import load_spec  # noqa: E402

TRAINER = ROOT / "examples" / "trainer"
HERE = Path(__file__).parent
# Generous: only stops a job that never recovers from hanging the suite. Nothing is asserted about speed
# (bench/drill.py measures it).
DEADLINE = 300


def deadline() -> float:
    return time.monotonic() + DEADLINE


def checkpoint_every(name: str) -> int:
    """K: the steps between two periodic checkpoints of tests/drill/<name>.yaml's trainer."""
    return int(yaml.safe_load((HERE / f"{name}.yaml").read_text())["training"]["environment"]["TRAIN_CHECKPOINT_EVERY"])


def drill_spec(name: str, folder: Path) -> Path:
    """tests/drill/<name>.yaml with a free rendezvous port (through the spec, like every drill setting)."""
    data = yaml.safe_load((HERE / f"{name}.yaml").read_text())
    data["fleet"]["workers"]["distributed"]["rendezvous_port"] = free_port()
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def start_job(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], LocalJob]]:
    jobs: list[LocalJob] = []

    def start(name: str, nodes: int = 3) -> LocalJob:
        folder = tmp_path_factory.mktemp(name)
        job = LocalJob(load_spec(drill_spec(name, folder)), folder, TRAINER, nodes=nodes)
        jobs.append(job)
        job.start()
        return job

    yield start
    for job in jobs:
        job.close()  # every process it started, by PID
