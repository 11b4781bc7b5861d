"""An elastic job of ftcluster's program on this machine: the rendezvous store's exact command and each
worker's exact environment and command, taken from the offline plan of a spec, with real torch.

Only what cannot exist off AWS is made local: the store's host name becomes 127.0.0.1, Gloo and NCCL use
the loopback interface, torchrun's local address is 127.0.0.1, and checkpoints go to a local folder (the
bucket's name is only known after deploy). Nothing else of this machine's environment reaches them but
what any process needs (`HOST_VARIABLES`). Faults are injected as ECS and EC2 deliver them, to the
processes this module started (a node's whole process tree, as a container's), by PID.

Used by check.py, tests/drill and bench/drill.py. Linux only (it reads /proc).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftcluster.offline import run_offline
from ftcluster.spec import Spec

# The only keys of the planned worker environment a local job changes (and the one it adds).
LOCAL_OVERRIDES = ("PET_RDZV_ENDPOINT", "NCCL_SOCKET_IFNAME", "GLOO_SOCKET_IFNAME", "PET_LOCAL_ADDR", "CHECKPOINT_URI")
# What the processes take from this machine's environment, as a container takes from its image.
HOST_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")

RESUMED = re.compile(r"(?:resumed from step (\d+)|starting fresh) at world size (\d+)")
PROGRESS = re.compile(r"^step (\d+) world (\d+)")
RESTART = re.compile(r"Worker group (?:FAILED|UNHEALTHY)\. (\d+)/(\d+) attempts left")
DONE = re.compile(r"^done: (\d+) steps")


@dataclass(frozen=True)
class Line:
    at: float  # time.monotonic()
    source: str  # "store" or a node's name
    text: str


def planned_containers(spec: Spec) -> tuple[dict[str, Any], dict[str, Any]]:
    """(rendezvous store, worker) container definitions, exactly as the program registers them."""
    plan = run_offline(spec)

    def only(task: str) -> dict[str, Any]:
        (container,) = json.loads(plan.by_name(task).inputs["containerDefinitions"])
        return container

    return only("rendezvous-task"), only("workers-task")


def free_port() -> int:
    """A loopback port nothing listens on now, for a job's rendezvous store."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def host_environment() -> dict[str, str]:
    return {name: os.environ[name] for name in HOST_VARIABLES if name in os.environ}


def local_environment(worker: dict[str, Any], port: int, checkpoints: Path) -> dict[str, str]:
    planned = {item["name"]: item["value"] for item in worker["environment"]}
    local = {
        "PET_RDZV_ENDPOINT": f"127.0.0.1:{port}",
        "NCCL_SOCKET_IFNAME": "lo",
        "GLOO_SOCKET_IFNAME": "lo",
        "PET_LOCAL_ADDR": "127.0.0.1",
        "CHECKPOINT_URI": checkpoints.resolve().as_uri() + "/",
    }
    assert set(local) <= set(LOCAL_OVERRIDES)
    return {**planned, **local}


class Process:
    """The store or a node: a process and its descendants, its output collected line by line with the time."""

    def __init__(self, job: LocalJob, name: str) -> None:
        self.job, self.name = job, name
        self.popen: subprocess.Popen[str] | None = None
        self.held = False  # True: lost or stopped on purpose; nothing starts it again until start()
        self.exits: list[int] = []

    def start(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.held = False
        log = (self.job.folder / f"{self.name}.log").open("a")
        self.popen = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: a fault reaches torchrun and its workers only
        )
        threading.Thread(target=self._read, args=(self.popen, log), daemon=True).start()

    def _read(self, popen: subprocess.Popen[str], log: Any) -> None:
        assert popen.stdout is not None
        for text in popen.stdout:
            line = Line(time.monotonic(), self.name, text.rstrip("\n"))
            self.job.lines.append(line)
            log.write(f"{line.at:.2f} {line.text}\n")
            log.flush()
        log.close()

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal_all(self, signum: int) -> None:
        """`signum` to every process of this node, as a container's are: torchrun starts each worker in a
        session of its own (torch/distributed/elastic/multiprocessing/subprocess_handler), so a process
        group would miss them. The tree is stopped first, so none can start a child in between."""
        if self.popen is None:
            return
        stopped: set[int] = set()
        while tree := [pid for pid in _tree(self.popen.pid) if pid not in stopped]:
            for pid in tree:
                _signal(pid, signal.SIGSTOP)
            stopped.update(tree)
        for pid in stopped:
            _signal(pid, signum)
            if signum != signal.SIGSTOP:
                _signal(pid, signal.SIGCONT)

    def signal_leader(self, signum: int) -> None:
        if self.running:
            assert self.popen is not None
            self.popen.send_signal(signum)

    def wait(self, timeout: float) -> int | None:
        try:
            return self.popen.wait(timeout) if self.popen is not None else None
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """SIGKILL to every process of the node: the instance is gone."""
        self.held = True
        self.signal_all(signal.SIGKILL)
        self.wait(30)


def _tree(root: int) -> list[int]:
    """`root` and its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


class LocalJob:
    """The store and `nodes` workers of `spec`'s elastic job, run here. ECS's service keeps restarting a node
    whose torchrun exits on its own (after `restart_delay` seconds), as it does a task that stops."""

    def __init__(
        self,
        spec: Spec,
        folder: Path,
        trainer_dir: Path,
        nodes: int,
        restart_delay: float = 5.0,
        script: Path | None = None,
    ) -> None:
        """`trainer_dir` is where the worker command runs (the image's working directory); `script`, if
        given, replaces the command's arguments after `torchrun`."""
        store, worker = planned_containers(spec)
        elastic = spec.fleet.workers.distributed if spec.fleet and spec.fleet.workers else None
        assert elastic is not None, "not an elastic job"
        self.spec, self.folder, self.trainer_dir = spec, folder, trainer_dir
        self.stop_timeout: int = worker["stopTimeout"]
        self.store_command = [sys.executable, *store["command"][1:]]  # the image's `python` is this one
        assert store["command"][0] == "python"
        torchrun = Path(sys.executable).with_name("torchrun")
        assert worker["command"][0] == "torchrun", worker["command"]
        self.node_command = [str(torchrun), *([str(script)] if script else worker["command"][1:])]
        self.environment = {
            **host_environment(),
            **local_environment(worker, elastic.rendezvous_port, folder / "checkpoints"),
        }
        self.lines: list[Line] = []
        self.store = Process(self, "store")
        self.nodes = [Process(self, f"node-{i}") for i in range(1, nodes + 1)]
        self.restart_delay = restart_delay
        self.ecs = True  # False: exited nodes stay down (the service's desired count is 0)
        self.started_at = 0.0
        self._closing = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)

    # --- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.start_store()
        time.sleep(1)
        for node in self.nodes:
            self.start_node(node)
        self._supervisor.start()

    def start_store(self) -> None:
        self.store.start(self.store_command, host_environment(), self.folder)

    def start_node(self, node: Process) -> None:
        node.start(self.node_command, self.environment, self.trainer_dir)

    def add_node(self) -> Process:
        node = Process(self, f"node-{len(self.nodes) + 1}")
        self.nodes.append(node)
        self.start_node(node)
        return node

    def close(self) -> None:
        self._closing.set()
        for process in [*self.nodes, self.store]:
            process.held = True
            process.signal_all(signal.SIGKILL)
        for process in [*self.nodes, self.store]:
            process.wait(30)

    def _supervise(self) -> None:
        exited_at: dict[str, float] = {}
        while not self._closing.wait(0.2):
            for node in self.nodes:
                if node.popen is None or node.running or node.held:
                    exited_at.pop(node.name, None)
                    continue
                if node.name not in exited_at:
                    exited_at[node.name] = time.monotonic()
                    node.exits.append(node.popen.returncode)
                elif self.ecs and time.monotonic() - exited_at[node.name] >= self.restart_delay:
                    exited_at.pop(node.name)
                    self.start_node(node)

    # --- faults, as ECS and EC2 deliver them --------------------------------------------------------------

    def ecs_stop(self, node: Process) -> int | None:
        """ECS stops the task: SIGTERM to the container's PID 1 (torchrun), SIGKILL to everything left after
        the stop timeout. Returns torchrun's exit code, None if it needed the SIGKILL."""
        node.held = True
        node.signal_leader(signal.SIGTERM)
        code = node.wait(self.stop_timeout)
        if code is None:
            node.signal_all(signal.SIGKILL)
            node.wait(30)
        return code

    def freeze(self, node: Process) -> None:
        """The instance stops answering without closing a socket (no FIN, no RST)."""
        node.signal_all(signal.SIGSTOP)

    def thaw(self, node: Process) -> None:
        node.signal_all(signal.SIGCONT)

    # --- reading what happened ------------------------------------------------------------------------------

    def mark_at_start(self) -> Mark:
        return Mark(0, self.started_at)

    def mark_at(self, line: Line) -> Mark:
        """Just after `line`."""
        return Mark(self.lines.index(line) + 1, line.at)

    def mark(self) -> Mark:
        """Where the output stands now: faults are measured from here."""
        return Mark(len(self.lines), time.monotonic())

    def since(
        self, mark: Mark, pattern: re.Pattern[str], source: str | None = None
    ) -> list[tuple[Line, re.Match[str]]]:
        found = []
        for line in self.lines[mark.index :]:
            if source is None or line.source == source:
                match = pattern.search(line.text)
                if match:
                    found.append((line, match))
        return found

    def wait_for(
        self, mark: Mark, pattern: re.Pattern[str], deadline: float, source: str | None = None, count: int = 1
    ) -> list[tuple[Line, re.Match[str]]]:
        """The first `count` matches after `mark`; AssertionError with the recent output if `deadline` (a
        time.monotonic() value) passes first."""
        while time.monotonic() < deadline:
            found = self.since(mark, pattern, source)
            if len(found) >= count:
                return found[:count]
            time.sleep(0.2)
        raise AssertionError(f"no {count} x /{pattern.pattern}/ in time; the last lines:\n{self.tail()}")

    def tail(self, count: int = 80) -> str:
        return "\n".join(f"{line.source}: {line.text}" for line in self.lines[-count:])

    def rank_0(self) -> Process:
        """The node whose worker is rank 0 now: only rank 0 reports steps."""
        (line, _), *_ = reversed(self.since(self.mark_at_start(), PROGRESS))
        return next(node for node in self.nodes if node.name == line.source)

    def step(self) -> int:
        """The newest step rank 0 reported finished (0 before any)."""
        for line in reversed(self.lines):
            match = PROGRESS.search(line.text)
            if match:
                return int(match.group(1))
        return 0

    def progress(self, steps: int, deadline: float) -> int:
        """Waits until training has gone `steps` steps past where it stands now; returns the step reached."""
        target = self.step() + steps
        while time.monotonic() < deadline:
            if self.step() >= target:
                return self.step()
            time.sleep(0.2)
        raise AssertionError(f"training did not reach step {target} in time; the last lines:\n{self.tail()}")

    def recovery(self, mark: Mark, deadline: float, world: int | None = None) -> Recovery:
        """The first resume after `mark` (at `world` nodes, if given) and what it cost."""
        while time.monotonic() < deadline:
            resumes = [(ln, m) for ln, m in self.since(mark, RESUMED) if world is None or int(m.group(2)) == world]
            if resumes:
                line, match = resumes[0]
                resumed_from = int(match.group(1) or 0)
                # the highest step since the resume before this one: steps go back at every resume
                start = max((ln.at for ln, _ in self.since(Mark(0, 0), RESUMED) if ln.at < line.at), default=0.0)
                done = self.since(Mark(0, 0), PROGRESS)
                reached = max((int(m.group(1)) for ln, m in done if start < ln.at < line.at), default=resumed_from)
                return Recovery(
                    rank_0=line.source,
                    resumed_from=resumed_from,
                    world=int(match.group(2)),
                    reached=reached,
                    seconds=line.at - mark.at,
                    restarts=sum(1 for ln, _ in self.since(mark, RESTART) if ln.at <= line.at),
                )
            time.sleep(0.2)
        raise AssertionError(f"the job did not resume (world {world or 'any'}) in time; the last lines:\n{self.tail()}")


@dataclass(frozen=True)
class Mark:
    index: int  # into LocalJob.lines
    at: float  # time.monotonic()


@dataclass(frozen=True)
class Recovery:
    rank_0: str  # the node whose worker is rank 0 now
    resumed_from: int  # the checkpoint's step
    world: int  # nodes in the resumed job
    reached: int  # the highest step finished before it resumed
    seconds: float  # from the fault to the resume
    restarts: int  # torchrun restarts spent on it, summed over the nodes

    @property
    def redone(self) -> int:
        return max(0, self.reached - self.resumed_from)
