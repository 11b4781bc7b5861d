"""What each fault costs an elastic job: the drill's faults (tests/drill) on ftcluster's program run here with
real torch, printing per fault the time until training resumes, the steps redone and the restarts used.

    python bench/drill.py                # the drill's specs (tests/drill/*.yaml): short timeouts
    python bench/drill.py --production   # node faults with ftcluster's default heartbeat and last call

Needs torch (pip install torch==2.13.0, the CPU build). Times include torch's start-up on this machine
(several seconds per process); `uptime` at the end says how busy it was.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "rendezvous"))

from local_job import DONE, LocalJob, Process, free_port  # noqa: E402

from ftcluster.spec import load_spec  # noqa: E402

DRILL = ROOT / "tests" / "drill"
DEADLINE = 600
REOPENED = re.compile(r"reopened as round")
TIMED_OUT = re.compile(r"RendezvousTimeoutError")
PRODUCTION = {"last_call_timeout": 15, "keep_alive_interval": 5, "keep_alive_max_attempt": 3, "join_timeout": 1800}


def deadline() -> float:
    return time.monotonic() + DEADLINE


def start(name: str, folder: Path, changes: dict[str, int]) -> LocalJob:
    folder.mkdir(parents=True)
    data = yaml.safe_load((DRILL / f"{name}.yaml").read_text())
    data["fleet"]["workers"]["distributed"] |= {**changes, "rendezvous_port": free_port()}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    job = LocalJob(load_spec(path), folder, ROOT / "examples" / "trainer", nodes=3)
    job.start()
    job.recovery(job.mark_at_start(), deadline())
    job.progress(1, deadline())  # rank 0 is known from its first step line
    return job


def others(job: LocalJob) -> list[Process]:
    first = job.rank_0()
    return [node for node in job.nodes if node is not first and node.running]


class Table:
    def __init__(self) -> None:
        print(f"{'fault':58} {'resumed after':>13} {'redone':>6} {'torchrun':>8} {'ECS':>4} {'nodes':>5}")
        print(f"{'':58} {'(s)':>13} {'(steps)':>6} {'restarts':>8} {'':>4}")

    def measure(self, job: LocalJob, fault: str, inject: Callable[[], None], world: int | None = None) -> None:
        job.progress(12, deadline())
        exits = sum(len(node.exits) for node in job.nodes)
        mark = job.mark()
        inject()
        found = job.recovery(mark, deadline(), world)
        ecs = sum(len(node.exits) for node in job.nodes) - exits
        print(
            f"{fault:58} {found.seconds:13.1f} {found.redone:6d} {found.restarts:8d} {ecs:4d} {found.world:5d}",
            flush=True,
        )

    def regrow(self, job: LocalJob, node: Process) -> None:
        self.measure(job, "  a replacement joins: back to full size", lambda: job.start_node(node), world=3)


def node_faults(table: Table, folder: Path, changes: dict[str, int]) -> None:
    job = start("faults", folder / "faults", changes)
    try:
        victim = others(job)[0]
        table.measure(job, "ECS stops a worker (SIGTERM, SIGKILL after stop_timeout)", lambda: job.ecs_stop(victim))
        table.regrow(job, victim)
        victim = others(job)[0]
        table.measure(job, "a worker is lost (SIGKILL of every process)", victim.kill)
        table.regrow(job, victim)
        victim = job.rank_0()
        table.measure(job, "the rank-0 worker is lost", victim.kill)
        table.regrow(job, victim)
        victim = others(job)[0]
        table.measure(job, "a worker freezes (SIGSTOP)", lambda: job.freeze(victim))
        table.measure(job, "  it wakes up (SIGCONT) and joins again", lambda: job.thaw(victim), world=3)
    finally:
        job.close()


def rendezvous_faults(table: Table, folder: Path) -> None:
    job = start("rendezvous", folder / "rendezvous", {})

    def replace_store() -> None:
        job.store.kill()
        time.sleep(3)
        job.start_store()

    try:
        table.measure(job, "the store is replaced (killed, a new one 3 s later)", replace_store, world=3)
        for loss in ("first", "second"):
            victim = others(job)[0]
            table.measure(job, f"a worker is lost, the {loss} time (restart budget 1)", victim.kill)
            table.regrow(job, victim)
        lost = job.nodes[1:]

        def below_min_nodes() -> None:
            mark = job.mark()
            for node in lost:
                node.kill()
            (line, _), *_ = job.wait_for(mark, TIMED_OUT, deadline(), source=job.nodes[0].name)
            job.wait_for(job.mark_at(line), REOPENED, deadline(), source="store")
            for node in lost:
                job.start_node(node)

        table.measure(job, "2 of 3 lost, replaced after the 20 s join timeout", below_min_nodes, world=3)
    finally:
        job.close()


def finish(folder: Path) -> None:
    job = start("finish", folder / "finish", {})
    try:
        victim = job.rank_0()
        mark = job.mark()
        job.ecs_stop(victim)
        found = job.recovery(mark, deadline())
        print(
            f"ECS stops rank 0, whose checkpoint takes 35 s: resumed after {found.seconds:.1f} s, {found.redone} redone"
        )
        job.ecs = False
        job.wait_for(job.mark_at_start(), DONE, deadline())
        codes = [node.wait(DEADLINE) for node in job.nodes if node.running]
        started = time.monotonic()
        job.start_node(victim)
        code = victim.wait(DEADLINE)
        seconds = time.monotonic() - started
        print(f"the job finishes: exit codes {codes}; a worker started again exits {code} after {seconds:.1f} s")
    finally:
        job.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--production", action="store_true", help="node faults with the default heartbeat and last call"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ftcluster-drill-") as name:
        folder = Path(name)
        table = Table()
        node_faults(table, folder, PRODUCTION if args.production else {})
        if not args.production:
            rendezvous_faults(table, folder)
            finish(folder)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
