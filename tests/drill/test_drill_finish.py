"""Drill, the end of a job (tests/drill/finish.yaml): a checkpoint on SIGTERM that takes longer than torch's
default 30 s, then the job finishing: every node exits 0 and a node ECS starts afterwards does not train.
Also examples/rendezvous/check.py, the same harness as a command."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DEADLINE, ROOT, deadline, drill_spec
from local_job import DONE, PROGRESS, RESUMED, LocalJob

FINISHED = re.compile(r"rendezvous store: the job finished in round \d+: the rendezvous stays closed")
CLOSED = re.compile(r"RendezvousClosedError")


@pytest.fixture(scope="module")
def job(start_job: Callable[..., LocalJob]) -> LocalJob:
    job = start_job("finish")
    assert job.recovery(job.mark_at_start(), deadline()).world == 3
    return job


def test_check_py_meets_two_nodes_with_the_specs_exact_environment(tmp_path: Path) -> None:
    check = ROOT / "examples" / "rendezvous" / "check.py"
    spec = drill_spec("finish", tmp_path)
    result = subprocess.run([sys.executable, str(check), str(spec)], capture_output=True, text=True, timeout=DEADLINE)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == ["rank 0 of 2: all_reduce sum 3", "rank 1 of 2: all_reduce sum 3"]


def test_an_ecs_stop_of_rank_0_keeps_a_checkpoint_that_takes_longer_than_30_s(job: LocalJob) -> None:
    job.progress(10, deadline())
    victim = job.rank_0()
    mark = job.mark()
    # SIGTERM; the save takes 35 s (TRAIN_SECONDS_PER_SAVE); ECS's SIGKILL comes after stop_timeout (50 s).
    # torchrun gives its worker TORCH_ELASTIC_SHUTDOWN_TIMEOUT = 45 s, not its default 30.
    job.ecs_stop(victim)
    resumed = job.recovery(mark, deadline())
    # no periodic checkpoint in this job: without the SIGTERM one it would start again from step 0
    assert resumed.world == 2 and resumed.resumed_from > 0 and resumed.redone == 0, resumed


def test_a_finished_job_exits_0_everywhere_and_a_node_started_again_does_not_train(job: LocalJob) -> None:
    job.ecs = False  # from here the drill plays ECS by hand
    running = [node for node in job.nodes if node.running]
    job.wait_for(job.mark_at_start(), DONE, deadline())
    assert [node.wait(DEADLINE) for node in running] == [0] * len(running)
    job.wait_for(job.mark_at_start(), FINISHED, deadline(), source="store")
    mark = job.mark()
    for node in job.nodes:  # ECS starts every task again, as a service does with tasks that stopped
        job.start_node(node)
    for node in job.nodes:
        assert node.wait(DEADLINE) not in (None, 0)  # torchrun exits at once: the rendezvous stays closed
    assert len(job.since(mark, CLOSED)) >= len(job.nodes)
    assert not job.since(mark, RESUMED) and not job.since(mark, PROGRESS)  # nothing trained
