"""Ctrl-C: the first cancels cleanly (exit 130, state saved, lock released); the second stops at once."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from engine_helpers import CONSOLE_SCRIPT, EU_WEST, Stand, wait_for
from standin_harness import process_env

from ftcluster.engine.interrupts import run_interruptible
from ftcluster.errors import Interrupted

STACK = "finetune-eu-west-1"


class FakeCommand:
    def __init__(self, on_interrupt=lambda: None) -> None:
        self.interrupts = 0
        self.on_interrupt = on_interrupt

    def interrupt(self) -> int:
        self.interrupts += 1
        self.on_interrupt()
        return 1


def _press_ctrl_c_later(times: int, gap: float = 0.2) -> None:
    def press() -> None:
        for _ in range(times):
            time.sleep(gap)
            os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=press, daemon=True).start()


def test_first_ctrl_c_forwards_once_and_waits_for_pulumi_to_finish() -> None:
    released = threading.Event()
    command = FakeCommand(on_interrupt=lambda: threading.Timer(0.3, released.set).start())
    notes: list[str] = []

    def operation() -> str:
        released.wait(30)  # "pulumi" winds down a while after it got the SIGINT
        raise RuntimeError("update canceled")

    _press_ctrl_c_later(1)
    with pytest.raises(Interrupted) as caught:
        run_interruptible(
            operation,
            command,
            what="the update of x",
            recovery="later",
            on_first_interrupt=lambda: notes.append("cancelling"),
        )
    assert command.interrupts == 1 and notes == ["cancelling"]
    assert caught.value.exit_code == 130 and "cancelled the update of x" in caught.value.message
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # our handler is gone again


def test_second_ctrl_c_stops_at_once_and_asks_for_next_steps_once_pulumi_stopped() -> None:
    command = FakeCommand()
    never = threading.Event()
    asked: list[int] = []

    def recovery() -> str:
        asked.append(command.interrupts)
        return "run `ftcluster refresh`"

    _press_ctrl_c_later(2)
    with pytest.raises(Interrupted) as caught:
        run_interruptible(
            lambda: never.wait(30), command, what="the update of x", recovery=recovery, hard_stop_grace=0.1
        )
    never.set()
    assert command.interrupts == 2 and asked == [2]  # found out after the second SIGINT went to pulumi
    assert "stopped the update of x immediately" in caught.value.message
    assert caught.value.hint == "run `ftcluster refresh`"


def test_an_operation_that_finishes_despite_nothing_pressed_returns_its_value() -> None:
    assert run_interruptible(lambda: 42, FakeCommand(), what="x", recovery="y") == 42


def _start_up(stand: Stand, hang_until: str) -> tuple[subprocess.Popen, Path, Path]:
    ready, errors = stand.root / "ready", stand.root / "stderr.txt"
    env = process_env(
        {
            **stand.env,
            "PULUMI_STANDIN_HANG": "training-service",
            "PULUMI_STANDIN_HANG_UNTIL": hang_until,
            "PULUMI_STANDIN_READY_FILE": str(ready),
        }
    )
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "up", str(EU_WEST), "--yes", "--skip-preflight"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=errors.open("w"),
    )
    wait_for(lambda: ready.exists() or process.poll() is not None, "the stand-in to reach the hanging resource")
    assert process.poll() is None, errors.read_text()
    return process, ready, errors


def test_ctrl_c_on_the_real_console_script_cancels_cleanly(stand: Stand) -> None:
    process, _, errors = _start_up(stand, "cancel")
    process.send_signal(signal.SIGINT)  # to ftcluster only, as `kill -INT` would
    assert process.wait(60) == 130
    text = errors.read_text()
    assert "cancelling the update of finetune (eu-west-1)" in text
    assert "cancelled the update of finetune (eu-west-1)" in text and "Traceback" not in text
    assert not stand.state.locks(STACK)
    checkpoint = stand.state.checkpoint(STACK)["checkpoint"]["latest"]
    assert checkpoint["pending_operations"] == []
    assert "training-service" in stand.state.resources(STACK)  # the operation in flight was finished


def test_second_ctrl_c_stops_and_names_the_pending_create_and_its_recovery(stand: Stand) -> None:
    process, _, errors = _start_up(stand, "kill")
    process.send_signal(signal.SIGINT)
    wait_for(lambda: "cancelling" in errors.read_text(), "the first Ctrl-C to be taken")
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 130
    text = " ".join(errors.read_text().split())  # rich wraps long lines
    assert "stopped the update of finetune (eu-west-1) immediately" in text and "Traceback" not in text
    # Pulumi's deferred unlock ran, so no `ftcluster cancel`; the create in flight stayed pending
    assert not stand.state.locks(STACK) and "ftcluster cancel" not in text
    assert "aws:ecs/service:Service training-service (interrupted while creating)" in text
    assert f"ftcluster refresh --clear-pending-creates --cluster {STACK}" in text  # the way on: test_engine_pending.py
    pending = stand.state.checkpoint(STACK)["checkpoint"]["latest"]["pending_operations"]
    assert [(op["resource"]["urn"].split("::")[-1], op["type"]) for op in pending] == [("training-service", "creating")]
