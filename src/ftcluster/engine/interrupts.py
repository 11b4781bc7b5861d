"""Ctrl-C during a Pulumi run: the first asks Pulumi to cancel cleanly and keeps waiting; the second stops.

The operation runs in a worker thread so the main thread stays free to receive SIGINT (Python runs
signal handlers only there); the pulumi child runs in its own session (process.py), so it sees
exactly the SIGINTs we forward. The CLI handles SIGINT only while a run's cancellation scope exists
(pkg/backend/cancellation_scope.go NewScope, created after the stack lock is taken: pkg/backend/diy/
backend.go); before or after it, a SIGINT kills the CLI outright (Go's default), and the lock it
may hold stays: that is a hard stop too.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import TypeVar

from ..errors import Interrupted
from .process import ManagedPulumiCommand

T = TypeVar("T")
HARD_STOP_GRACE_SECONDS = 10.0  # after the second Ctrl-C, how long the pulumi child may take to exit


def run_interruptible(
    operation: Callable[[], T],
    command: ManagedPulumiCommand,
    *,
    what: str,
    recovery: str | Callable[[], str],
    on_first_interrupt: Callable[[], None] = lambda: None,
    hard_stop_grace: float = HARD_STOP_GRACE_SECONDS,
) -> T:
    """Run `operation`; raise Interrupted (exit 130) when the user pressed Ctrl-C during it.

    `what` names the run in messages ("the update of llm-pretrain"); `recovery` is what to do after a
    hard stop, or a function that finds it out once Pulumi has stopped (pending.hard_stop_advice).
    """
    if threading.current_thread() is not threading.main_thread():
        return operation()  # signals are delivered to the main thread only: nothing to arrange here
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["value"] = operation()
        except BaseException as err:
            outcome["error"] = err

    presses: list[int] = []
    wake = threading.Event()

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        presses.append(signum)
        wake.set()

    worker = threading.Thread(target=work, name="ftcluster-pulumi", daemon=True)
    previous = signal.signal(signal.SIGINT, on_sigint)
    handled = 0
    try:
        worker.start()
        while worker.is_alive():
            wake.wait(0.2)
            wake.clear()
            while handled < len(presses):
                handled += 1
                command.interrupt()
                if handled == 1:
                    on_first_interrupt()
                else:
                    worker.join(hard_stop_grace)
                    raise Interrupted(
                        f"stopped {what} immediately: Pulumi abandoned the operations in flight, which stay in "
                        "the state as pending operations",
                        hint=recovery() if callable(recovery) else recovery,
                    )
        if presses and getattr(outcome.get("error"), "killed_by_signal", None):
            raise Interrupted(
                f"stopped {what}: Pulumi ended at the Ctrl-C before it could cancel cleanly (its run had not "
                "started yet or was closing)",
                hint=recovery() if callable(recovery) else recovery,
                hard=True,
            )
        if presses and "error" in outcome:
            raise Interrupted(
                f"cancelled {what}: Pulumi finished the operations in flight, saved the state and released the lock",
                hint="nothing is broken; run the same command again to carry on",
            )
    finally:
        signal.signal(signal.SIGINT, previous)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
