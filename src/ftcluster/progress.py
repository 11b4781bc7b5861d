"""Show Pulumi engine events as they happen: a live table on a terminal, one line per step otherwise.

`ProgressState` (no rich) turns events into rows; `ProgressView` renders them on stderr.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .engine.urns import type_and_name

STACK_TYPE = "pulumi:pulumi:Stack"
QUIET_OPS = {"same", "read", "refresh"}  # steps that change nothing are not worth a row
PAST = {"create": "created", "update": "updated", "delete": "deleted", "replace": "replaced",
        "create-replacement": "created replacement", "delete-replaced": "deleted old", "import": "imported",
        "discard": "forgotten"}
SYMBOL = {"create": "+", "update": "~", "delete": "-", "replace": "+-", "create-replacement": "++",
          "delete-replaced": "--", "import": "=", "discard": "-"}
ORDER = ("create", "update", "replace", "delete", "same")


@dataclass
class Row:
    urn: str
    type: str
    name: str
    op: str
    started: float
    state: str = "running"  # running | done | failed
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
                    op = getattr(metadata.op, "value", metadata.op)
                    self.rows[metadata.urn] = Row(metadata.urn, type_ or metadata.type, name, op, self.clock())
            elif event.res_outputs_event:
                self._finish(event.res_outputs_event.metadata.urn, "done")
            elif event.res_op_failed_event:
                self._finish(event.res_op_failed_event.metadata.urn, "failed")
            elif event.diagnostic_event and event.diagnostic_event.severity == "error":
                row = self.rows.get(event.diagnostic_event.urn or "")
                if row is not None:
                    row.message = event.diagnostic_event.message.strip().splitlines()[0] if \
                        event.diagnostic_event.message.strip() else ""
            elif event.summary_event:
                changes = event.summary_event.resource_changes or {}
                self.summary = {getattr(op, "value", op): n for op, n in changes.items()}

    def _finish(self, urn: str, state: str) -> None:
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
        # a replacement's create and delete halves are not logical steps: its `replace` row says it all
        if (pre and pre.metadata.op not in QUIET_OPS and pre.metadata.type != STACK_TYPE
                and pre.metadata.logical is not False):
            type_, name = type_and_name(pre.metadata.urn)
            op = getattr(pre.metadata.op, "value", pre.metadata.op)
            with self._lock:
                self.changes.append(PlannedChange(op, type_, name, tuple(pre.metadata.diffs or ())))


# --- rendering (rich) -------------------------------------------------------------------------------


def changes_table(changes: Iterable[PlannedChange]) -> Any:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    for column in ("", "type", "name", "changed properties"):
        table.add_column(column)
    style = {"create": "green", "update": "yellow", "delete": "red", "replace": "magenta"}
    for change in changes:
        table.add_row(f"[{style.get(change.op, 'cyan')}]{SYMBOL.get(change.op, change.op)}[/]", change.type,
                      change.name, ", ".join(change.properties))
    return table


def outputs_text(outputs: Mapping[str, Any]) -> str:
    """One `key  value` line per output, never wrapped: ids and URIs are for copying."""
    width = max((len(key) for key in outputs), default=0)
    lines = []
    for key, value in sorted(outputs.items()):
        shown = ", ".join(map(str, value)) if isinstance(value, list) else ("-" if value is None else str(value))
        lines.append(f"{key.ljust(width)}  {shown}")
    return "\n".join(lines)


class ProgressView:
    """Context manager: `with ProgressView(console, title) as view: run(on_event=view.handle)`."""

    def __init__(self, console: Any, title: str, *, quiet: bool = False) -> None:
        self.console = console
        self.title = title
        self.quiet = quiet
        self.state = ProgressState()
        self._live: Any = None
        self._stop = threading.Event()
        self._printer: threading.Thread | None = None
        self._titled = False

    def handle(self, event: Any) -> None:
        self.state.handle(event)

    def __enter__(self) -> ProgressView:
        if self.quiet:
            return self
        if self.console.is_terminal:
            from rich.live import Live

            self._live = Live(get_renderable=self._render, console=self.console, refresh_per_second=4,
                              transient=True)
            self._live.start()
        else:
            self._printer = threading.Thread(target=self._print_lines, daemon=True)
            self._printer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()  # transient: the table goes; failures stay on screen, the caller prints totals
            self._print_rows([row for row in self.state.take_finished() if row.state == "failed"])
        if self._printer is not None:
            self._stop.set()
            self._printer.join()
            self._print_rows(self.state.take_finished())

    def _print_lines(self) -> None:
        while not self._stop.wait(0.25):
            self._print_rows(self.state.take_finished())

    def _print_rows(self, rows: list[Row]) -> None:
        from rich.markup import escape

        if rows and self._live is None and not self._titled:
            self.console.print(escape(self.title))  # only once there is something to show under it
            self._titled = True
        now = self.state.clock()
        for row in rows:
            if row.state == "failed":
                reason = f": {escape(row.message)}" if row.message else ""
                self.console.print(f"  [red]failed[/red] {row.op} {row.type} {escape(row.name)}{reason}")
            else:
                self.console.print(f"  [green]{PAST.get(row.op, row.op)}[/green] {row.type} {escape(row.name)} "
                                   f"[dim]({row.elapsed(now):.0f}s)[/dim]")

    def _render(self) -> Any:
        from rich.table import Table

        now = self.state.clock()
        rows = self.state.snapshot()
        table = Table(title=self.title, title_justify="left", box=None, pad_edge=False)
        for column in ("resource", "type", "operation", "state", "elapsed"):
            table.add_column(column, justify="right" if column == "elapsed" else "left")
        running = [r for r in rows if r.state == "running"]
        recent = [r for r in rows if r.state != "running"][-8:]
        for row in recent + running:
            state = {"running": "[yellow]running[/]", "done": "[green]done[/]", "failed": "[red]failed[/]"}[row.state]
            table.add_row(row.name, row.type, row.op, state, f"{row.elapsed(now):.0f}s")
        done = sum(1 for r in rows if r.state == "done")
        table.caption = f"{done} done, {len(running)} running" + (
            f", {len(rows) - done - len(running)} failed" if len(rows) - done - len(running) else "")
        return table
