"""Drill, faults of a node (tests/drill/faults.yaml): one job of three workers survives, in order, an ECS
stop, a lost rank 0 and a frozen worker, and grows back to full size after each. (A lost worker that is not
rank 0: test_drill_rendezvous.py.)"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from conftest import checkpoint_every, deadline
from local_job import RESTART, LocalJob, Process

K = checkpoint_every("faults")  # a lost node costs at most K steps
PROGRESS_BEFORE_A_FAULT = 12  # steps, so the fault lands past a periodic checkpoint


@pytest.fixture(scope="module")
def job(start_job: Callable[..., LocalJob]) -> LocalJob:
    return start_job("faults")


def another(job: LocalJob) -> Process:
    first = job.rank_0()
    return next(node for node in job.nodes if node is not first and node.running)


def back_to_full_size(job: LocalJob, node: Process) -> None:
    """ECS starts a replacement task: the job re-forms with it, from a checkpoint saved on the way."""
    mark = job.mark()
    job.start_node(node)
    grown = job.recovery(mark, deadline(), world=3)
    assert grown.redone == 0, grown  # torchrun stops the group with SIGTERM: the trainer saves first


def test_three_workers_meet_as_one_job_and_train(job: LocalJob) -> None:
    started = job.recovery(job.mark_at_start(), deadline())
    assert (started.world, started.resumed_from) == (3, 0)
    job.progress(PROGRESS_BEFORE_A_FAULT, deadline())


def test_an_ecs_stop_saves_on_sigterm_and_the_others_resume_with_no_step_redone(job: LocalJob) -> None:
    victim = another(job)
    mark = job.mark()
    job.ecs_stop(victim)  # SIGTERM to torchrun, SIGKILL after the stop timeout
    resumed = job.recovery(mark, deadline())
    assert resumed.world == 2 and resumed.redone == 0, resumed
    assert re.search(r"SIGTERM: stopped after step \d+", "\n".join(line.text for line in job.lines[mark.index :]))
    # LOGLEVEL=INFO: the survivors' restarts are in their logs (CloudWatch, on ECS)
    assert {line.source for line, _ in job.since(mark, RESTART)} >= {n.name for n in job.nodes if n is not victim}
    back_to_full_size(job, victim)


def test_a_lost_rank_0_costs_at_most_k_steps(job: LocalJob) -> None:
    job.progress(PROGRESS_BEFORE_A_FAULT, deadline())
    victim = job.rank_0()
    mark = job.mark()
    victim.kill()
    resumed = job.recovery(mark, deadline())
    assert resumed.world == 2 and resumed.redone <= K and resumed.rank_0 != victim.name, resumed
    back_to_full_size(job, victim)


def test_a_frozen_worker_holds_the_others_only_for_the_process_group_timeout(job: LocalJob) -> None:
    job.progress(PROGRESS_BEFORE_A_FAULT, deadline())
    victim = another(job)
    mark = job.mark()
    job.freeze(victim)  # SIGSTOP: no FIN, no RST, as an instance that vanished
    resumed = job.recovery(mark, deadline())
    assert resumed.world == 2 and resumed.redone <= K, resumed
    # It wakes up: its collectives fail, torchrun restarts it and it joins the job again.
    mark = job.mark()
    job.thaw(victim)
    grown = job.recovery(mark, deadline(), world=3)
    assert grown.redone == 0, grown
    job.progress(5, deadline())
