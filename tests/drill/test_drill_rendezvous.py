"""Drill, faults of the rendezvous (tests/drill/rendezvous.yaml: a restart budget of 1, a join timeout of 20 s):
one job survives, in order, its store being replaced, more losses than its restart budget, and a wait below
min_nodes longer than the join timeout. torchrun closes the rendezvous in the last two (launcher/api.py); the
store reopens it and the workers ECS starts again meet there."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from conftest import checkpoint_every, deadline
from local_job import RESTART, LocalJob, Process

K = checkpoint_every("rendezvous")  # a lost node costs at most K steps
PROGRESS_BEFORE_A_FAULT = 12
TIMED_OUT = re.compile(r"RendezvousTimeoutError")  # torchrun's join timeout (dynamic_rendezvous.py)
REOPENED = re.compile(r"rendezvous store: the rendezvous was closed by a failure in round \d+: reopened")


@pytest.fixture(scope="module")
def job(start_job: Callable[..., LocalJob]) -> LocalJob:
    job = start_job("rendezvous")
    assert job.recovery(job.mark_at_start(), deadline()).world == 3
    return job


def not_rank_0(job: LocalJob) -> list[Process]:
    rank_0 = job.rank_0()
    return [node for node in job.nodes if node is not rank_0 and node.running]


def test_a_replaced_store_restarts_the_job_from_its_checkpoint(job: LocalJob) -> None:
    job.progress(PROGRESS_BEFORE_A_FAULT, deadline())
    mark = job.mark()
    job.store.kill()  # the store's task is gone...
    time.sleep(3)
    job.start_store()  # ...and ECS starts another: an empty store
    # Every torchrun loses the store and exits (its workers save on the way out); ECS starts them again.
    resumed = job.recovery(mark, deadline(), world=3)
    assert resumed.redone <= K, resumed
    assert all(node.exits for node in job.nodes)


def test_more_losses_than_the_restart_budget_do_not_end_the_job(job: LocalJob) -> None:
    """Workers lost in turn (never rank 0; rank 0: test_drill_nodes.py), each replaced, until a survivor had no
    restart left: its torchrun exits and closes the rendezvous, the store reopens it, and the job goes on.

    Which survivor spends which restart depends on torch's timing, and so does when the budget runs out: at a
    later loss, or at the restart for the replacement (the node that restarts first stops its workers; the
    trainer on another node sees the stop and exits 75, a failure to its torchrun, which spends a restart it may
    no longer have). So each loss is followed through its replacement before the store's log is read."""
    reopened = False
    for loss in (1, 2, 3):
        job.progress(PROGRESS_BEFORE_A_FAULT, deadline())
        victim = not_rank_0(job)[0]
        lost = job.mark()
        victim.kill()
        resumed = job.recovery(lost, deadline())
        assert resumed.world == 2 and resumed.redone <= K, (loss, resumed)
        if loss == 1:
            # the survivors spend their one restart (PET_MAX_RESTARTS from the spec)
            assert ("1", "1") in {m.group(1, 2) for _, m in job.since(lost, RESTART)}
        mark = job.mark()
        job.start_node(victim)
        assert job.recovery(mark, deadline(), world=3).redone == 0
        # a survivor with none left exited and closed the rendezvous: the job is whole again only because the
        # store reopened it
        reopened = bool(job.since(lost, REOPENED, source="store"))
        if reopened:
            break
    assert reopened, "no loss used up a restart budget: the store never had a closed rendezvous to reopen"


def test_a_wait_below_min_nodes_longer_than_the_join_timeout_ends_in_a_fresh_rendezvous(job: LocalJob) -> None:
    job.progress(PROGRESS_BEFORE_A_FAULT, deadline())
    survivor = job.nodes[0]
    lost = [node for node in job.nodes if node is not survivor]
    mark = job.mark()
    for node in lost:
        node.kill()
    # Alone below min_nodes, the survivor's torchrun gives up after the join timeout and closes the rendezvous;
    # the store reopens it and ECS starts the survivor again, which waits in the fresh one.
    (timeout, _), *_ = job.wait_for(mark, TIMED_OUT, deadline(), source=survivor.name)
    job.wait_for(job.mark_at(timeout), REOPENED, deadline(), source="store")
    for node in lost:
        job.start_node(node)  # capacity is back
    resumed = job.recovery(mark, deadline(), world=3)
    assert resumed.redone <= K, resumed
