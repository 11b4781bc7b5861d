"""Pulumi engine events as plain data: rows per resource step, change counts and what a preview would change.

No rich here: cli/progress_view.py renders these.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..program.names import STACK_TYPE
from .urns import type_and_name

RowState = Literal["running", "done", "failed"]

QUIET_OPS = {"same", "read", "refresh"}  # steps that change nothing are not worth a row
PAST = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "replace": "replaced",
    "create-replacement": "created replacement",
    "delete-replaced": "deleted old",
    "import": "imported",
    "discard": "forgotten",
    "retain": "kept in AWS",  # a delete of a retainOnDelete resource: out of the state, still in AWS
}
SYMBOL = {
    "create": "+",
    "update": "~",
    "delete": "-",
    "replace": "+-",
    "create-replacement": "++",
    "delete-replaced": "--",
    "import": "=",
    "discard": "-",
}
ORDER = ("create", "update", "replace", "delete", "same")
# pkg/resource/deploy/step.go Logical(): the halves of a replacement and other bookkeeping steps are not
# logical; the engine leaves `logical` out of their events when false (apitype/events.go `omitempty`)
NOT_LOGICAL = {
    "create-replacement",
    "delete-replaced",
    "discard-replaced",
    "remove-pending-replace",
    "read-replacement",
    "import-replacement",
    "refresh",
}


def op_of(metadata: Any) -> str:
    """The step's operation; a delete that keeps its resource in AWS (retainOnDelete: step.go DeleteStep.Apply
    never calls the provider's Delete, yet the engine reports and counts a `delete`) is `retain`."""
    op = str(getattr(metadata.op, "value", metadata.op))
    if op == "delete" and metadata.old is not None and metadata.old.retain_on_delete:
        return "retain"
    return op


class RetainedDeletes:
    """Tells apart, in a destroy's summary, the finished deletes that kept their resource in AWS and those of
    Pulumi's own resources (the stack, the provider). The summary counts both as deletes (pkg/engine/update.go
    counts every logical step but a default provider's); the question before destroy counts AWS resources only."""

    def __init__(self) -> None:
        self.urns: set[str] = set()  # kept in AWS
        self.internal: set[str] = set()  # Pulumi's own
        self._lock = threading.Lock()

    def __call__(self, event: Any) -> None:
        done = event.res_outputs_event
        if not done:
            return
        op = op_of(done.metadata)
        with self._lock:
            if op == "retain":
                self.urns.add(done.metadata.urn)
            elif op == "delete" and str(done.metadata.type).startswith("pulumi:"):
                self.internal.add(done.metadata.urn)

    def split(self, changes: Mapping[str, int]) -> dict[str, int]:
        """`changes` with the kept resources moved from `delete` to `retain`, and Pulumi's own left out."""
        result = dict(changes)
        deleted = max(result.get("delete", 0) - len(self.urns) - len(self.internal), 0)
        if self.urns:
            result["retain"] = len(self.urns)
        if deleted:
            result["delete"] = deleted
        else:
            result.pop("delete", None)
        return result


@dataclass
class Row:
    urn: str
    type: str
    name: str
    op: str
    started: float
    state: RowState = "running"
    finished: float | None = None
    message: str = ""

    def elapsed(self, now: float) -> float:
        return (self.finished if self.finished is not None else now) - self.started


@dataclass
class ProgressState:
    """Rows keyed by URN: running on resource_pre, done on res_outputs, failed on res_op_failed."""

    clock: Callable[[], float] = time.monotonic
    rows: dict[str, Row] = field(default_factory=dict)
    summary: dict[str, int] | None = None
    finished_rows: list[Row] = field(default_factory=list)  # in completion order, for line output
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, event: Any) -> None:
        with self.lock:
            if event.resource_pre_event:
                metadata = event.resource_pre_event.metadata
                if metadata.op not in QUIET_OPS and metadata.type != STACK_TYPE:
                    type_, name = type_and_name(metadata.urn)
                    self.rows[metadata.urn] = Row(
                        metadata.urn, type_ or metadata.type, name, op_of(metadata), self.clock()
                    )
            elif event.res_outputs_event:
                self._finish(event.res_outputs_event.metadata.urn, "done")
            elif event.res_op_failed_event:
                self._finish(event.res_op_failed_event.metadata.urn, "failed")
            elif event.diagnostic_event and event.diagnostic_event.severity == "error":
                row = self.rows.get(event.diagnostic_event.urn or "")
                if row is not None:
                    row.message = (
                        event.diagnostic_event.message.strip().splitlines()[0]
                        if event.diagnostic_event.message.strip()
                        else ""
                    )
            elif event.summary_event:
                changes = event.summary_event.resource_changes or {}
                self.summary = {getattr(op, "value", op): n for op, n in changes.items()}

    def _finish(self, urn: str, state: RowState) -> None:
        row = self.rows.get(urn)
        if row is not None and row.state == "running":
            row.state, row.finished = state, self.clock()
            self.finished_rows.append(row)

    def snapshot(self) -> list[Row]:
        with self.lock:
            return list(self.rows.values())

    def take_finished(self) -> list[Row]:
        with self.lock:
            done, self.finished_rows = self.finished_rows, []
            return done


def describe_changes(changes: Mapping[str, int], *, done: bool = False) -> str:
    """`3 to create, 1 to update, 40 unchanged` for a preview; `3 created, ...` when `done`."""

    def phrase(op: str, count: int) -> str:
        return f"{count} {PAST.get(op, op)}" if done else f"{count} to {op}"

    parts = [phrase(op, changes[op]) for op in ORDER[:-1] if changes.get(op)]
    parts += [phrase(op, n) for op, n in changes.items() if n and op not in ORDER]
    if changes.get("same"):
        parts.append(f"{changes['same']} unchanged")
    return ", ".join(parts) if parts else "nothing"


def has_changes(changes: Mapping[str, int]) -> bool:
    return any(n for op, n in changes.items() if op != "same")


@dataclass(frozen=True)
class PlannedChange:
    op: str
    type: str
    name: str
    properties: tuple[str, ...]


class ChangeCollector:
    """Remembers what a preview would do, resource by resource (for `preview --diff`)."""

    def __init__(self) -> None:
        self.changes: list[PlannedChange] = []
        self._lock = threading.Lock()

    def __call__(self, event: Any) -> None:
        pre = event.resource_pre_event
        if not pre or pre.metadata.type == STACK_TYPE:
            return
        op = op_of(pre.metadata)
        # a replacement's create and delete halves are not logical steps: its `replace` row says it all
        if op in QUIET_OPS or op in NOT_LOGICAL:
            return
        type_, name = type_and_name(pre.metadata.urn)
        with self._lock:
            self.changes.append(PlannedChange(op, type_, name, tuple(pre.metadata.diffs or ())))
