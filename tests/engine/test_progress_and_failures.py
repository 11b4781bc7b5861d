"""Engine events -> progress rows and readable failures (no Pulumi run needed: events from JSON)."""

from __future__ import annotations

import io
import json
import os
import socket
from pathlib import Path

from pulumi.automation import EngineEvent
from pulumi.automation._cmd import CommandResult
from pulumi.automation.errors import CommandError, ConcurrentUpdateError, StackNotFoundError
from rich.console import Console

from ftcluster.cli.progress_view import ProgressView
from ftcluster.engine.events import ChangeCollector, ProgressState, describe_changes, has_changes
from ftcluster.engine.failures import Diagnostics, StackContext, command_error_message, lock_holder, translate

SERVICE = "urn:pulumi:s::ftcluster::aws:ecs/service:Service::training-service"
BUCKET = "urn:pulumi:s::ftcluster::parent:comp:Comp$aws:s3/bucket:Bucket::checkpoint-bucket"


def event(sequence: int, **payload: object) -> EngineEvent:
    return EngineEvent.from_json({"sequence": sequence, "timestamp": 0, **payload})


def step(kind: str, op: str, urn: str, diffs: list[str] | None = None) -> dict:
    metadata = {"op": op, "urn": urn, "type": urn.split("::")[2].split("$")[-1], "provider": "", "diffs": diffs or []}
    return {kind: {"metadata": metadata}}


def run_of_events() -> list[EngineEvent]:
    stack = "urn:pulumi:s::ftcluster::pulumi:pulumi:Stack::ftcluster-s"
    return [
        event(1, **step("resourcePreEvent", "same", stack)),
        event(2, **step("resourcePreEvent", "create", BUCKET)),
        event(3, **step("resourcePreEvent", "update", SERVICE, ["desiredCount"])),
        event(4, **step("resOutputsEvent", "create", BUCKET)),
        event(
            5,
            diagnosticEvent={
                "urn": SERVICE,
                "message": "InvalidParameterException: bad\nmore",
                "severity": "error",
                "color": "never",
            },
        ),
        event(6, resOpFailedEvent={**step("x", "update", SERVICE)["x"], "status": 1, "steps": 1}),
        event(7, summaryEvent={"resourceChanges": {"create": 1, "same": 1}, "durationSeconds": 2}),
    ]


def test_rows_follow_pre_outputs_and_failed_events_and_skip_unchanged_ones() -> None:
    now = iter(range(100))
    state = ProgressState(clock=lambda: float(next(now)))
    for item in run_of_events():
        state.handle(item)
    rows = {row.name: row for row in state.snapshot()}
    assert set(rows) == {"checkpoint-bucket", "training-service"}  # the unchanged stack has no row
    bucket, service = rows["checkpoint-bucket"], rows["training-service"]
    assert (bucket.type, bucket.op, bucket.state, bucket.elapsed(99)) == ("aws:s3/bucket:Bucket", "create", "done", 2)
    assert (service.op, service.state, service.message) == ("update", "failed", "InvalidParameterException: bad")
    assert state.summary == {"create": 1, "same": 1}
    assert [r.name for r in state.take_finished()] == ["checkpoint-bucket", "training-service"]
    assert state.take_finished() == []


def test_the_line_view_prints_each_finished_step_once_when_stderr_is_not_a_terminal() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=False, width=200)
    with ProgressView(console, "updating x") as view:
        for item in run_of_events():
            view.handle(item)
    text = buffer.getvalue()
    assert text.splitlines()[0] == "updating x"
    assert "created aws:s3/bucket:Bucket checkpoint-bucket" in text
    assert "failed update aws:ecs/service:Service training-service: InvalidParameterException: bad" in text
    quiet = io.StringIO()
    with ProgressView(Console(file=quiet), "x", quiet=True) as view:
        for item in run_of_events():
            view.handle(item)
    assert quiet.getvalue() == ""


def test_change_summaries_and_the_diff_collector() -> None:
    assert describe_changes({"create": 3, "update": 1, "same": 40}) == "3 to create, 1 to update, 40 unchanged"
    assert describe_changes({"delete": 2}, done=True) == "2 deleted"
    assert describe_changes({}) == "nothing"
    assert not has_changes({"same": 4}) and has_changes({"same": 4, "replace": 1})
    collector = ChangeCollector()
    for item in run_of_events():
        collector(item)
    assert [(c.op, c.name, c.properties) for c in collector.changes] == [
        ("create", "checkpoint-bucket", ()),
        ("update", "training-service", ("desiredCount",)),
    ]


def test_diagnostics_describe_each_failing_resource() -> None:
    diagnostics = Diagnostics()
    for item in run_of_events():
        diagnostics(item)
    assert diagnostics.describe() == [
        "aws:ecs/service:Service training-service: InvalidParameterException: bad\n    more"
    ]


def command_error(stderr: str, kind: type = CommandError) -> Exception:
    return kind(CommandResult(stdout="Updating (s):\n", stderr=stderr, code=255))


def test_command_errors_lose_the_dump_and_keep_the_message() -> None:
    err = command_error("warning: something\nerror: the stack is broken\n  because of this")
    assert command_error_message(err) == "the stack is broken\n  because of this"
    assert command_error_message(command_error("plain failure")) == "plain failure"


def test_a_concurrent_update_names_the_lock_holder_and_the_recovery(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(
        json.dumps({"pid": os.getpid(), "username": "bob", "hostname": socket.gethostname(), "timestamp": "T"})
    )
    assert lock_holder(tmp_path) == f"bob@{socket.gethostname()}, pid {os.getpid()}, still running, since T"
    context = StackContext("x (eu-west-1)", "x-eu-west-1", "update", tmp_path, "ftcluster up x.yaml")
    err = translate(
        command_error("error: the stack is currently locked by 1 lock(s)", ConcurrentUpdateError), context, None
    )
    assert err.exit_code == 1 and "cluster x (eu-west-1) is being changed by another" in err.message
    assert "ftcluster cancel --cluster x-eu-west-1" in err.hint
    assert lock_holder(tmp_path / "missing") is None


def test_the_run_level_update_failed_line_is_dropped_when_a_resource_says_more() -> None:
    diagnostics = Diagnostics()
    for item in [
        *run_of_events(),
        event(8, diagnosticEvent={"urn": "", "message": "update failed\n", "severity": "error", "color": "never"}),
    ]:
        diagnostics(item)
    assert diagnostics.describe() == [
        "aws:ecs/service:Service training-service: InvalidParameterException: bad\n    more"
    ]
    alone = Diagnostics()
    alone(event(1, diagnosticEvent={"urn": "", "message": "update failed", "severity": "error", "color": "never"}))
    assert alone.describe() == ["update failed"]  # nothing better to say


def test_without_diagnostic_events_the_errors_come_from_the_diagnostics_on_stdout() -> None:
    # the shape of pkg/backend/display/progress.go printDiagnostics (a failed run prints nothing on stderr)
    stdout = (
        "Updating (s):\n\n"
        "Diagnostics:\n"
        "  aws:ecs:Service (training-service):\n"
        "    error: 1 error occurred:\n"
        "    \t* creating ECS Service (x): InvalidParameterException: no capacity provider\n\n"
        "  pulumi:pulumi:Stack (ftcluster-s):\n"
        "    error: update failed\n\n"
        "    [Pulumi Neo] Would you like help with these diagnostics?\n\n"
        "Resources:\n    5 unchanged\n"
    )
    err = CommandError(CommandResult(stdout=stdout, stderr="", code=255))
    assert command_error_message(err) == "unknown error"  # what stderr alone would give
    context = StackContext("x (eu-west-1)", "x-eu-west-1", "update", None, "ftcluster up x.yaml")
    assert translate(err, context, Diagnostics()).message == (
        "the update of cluster x (eu-west-1) failed:\n  aws:ecs:Service training-service: 1 error occurred:\n"
        "    * creating ECS Service (x): InvalidParameterException: no capacity provider"
    )


def test_stack_errors_carry_the_stack_and_the_failed_resources(tmp_path: Path) -> None:
    from ftcluster.errors import ResourceFailure, StackError, StackLocked, StackNotFound

    context = StackContext("x (eu-west-1)", "x-eu-west-1", "update", tmp_path, "ftcluster up x.yaml")
    (tmp_path / "a.json").write_text(
        json.dumps({"pid": 1, "username": "bob", "hostname": "elsewhere", "timestamp": "T"})
    )
    locked = translate(
        command_error("error: the stack is currently locked by 1 lock(s)", ConcurrentUpdateError), context, None
    )
    assert isinstance(locked, StackLocked) and locked.stack == "x-eu-west-1" and locked.holder.startswith("bob@")
    missing = translate(command_error("error: no stack named 'x-eu-west-1' found", StackNotFoundError), context, None)
    assert isinstance(missing, StackNotFound) and (missing.cluster, missing.operation) == ("x (eu-west-1)", "update")
    diagnostics = Diagnostics()
    for item in run_of_events():
        diagnostics(item)
    failed = translate(command_error("error: update failed"), context, diagnostics)
    assert isinstance(failed, StackError) and failed.failures == (
        ResourceFailure("aws:ecs/service:Service", "training-service", ("InvalidParameterException: bad\nmore",)),
    )
