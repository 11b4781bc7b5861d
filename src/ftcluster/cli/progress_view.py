"""Engine events on screen: a live table on a terminal, one line per finished step otherwise; change tables."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from ..engine.events import PAST, SYMBOL, PlannedChange, ProgressState, Row


def changes_table(changes: Iterable[PlannedChange]) -> Any:
    from .tables import Table

    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    for column in ("", "type", "name", "changed properties"):
        table.add_column(column)
    style = {"create": "green", "update": "yellow", "delete": "red", "replace": "magenta"}
    for change in changes:
        table.add_row(
            f"[{style.get(change.op, 'cyan')}]{SYMBOL.get(change.op, change.op)}[/]",
            change.type,
            change.name,
            ", ".join(change.properties),
        )
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

            self._live = Live(get_renderable=self._render, console=self.console, refresh_per_second=4, transient=True)
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
                self.console.print(
                    f"  [green]{PAST.get(row.op, row.op)}[/green] {row.type} {escape(row.name)} "
                    f"[dim]({row.elapsed(now):.0f}s)[/dim]"
                )

    def _render(self) -> Any:
        from .tables import Table

        now = self.state.clock()
        rows = self.state.snapshot()
        table = Table(title=self.title, box=None, pad_edge=False)
        for column in ("resource", "type", "operation", "state", "elapsed"):
            table.add_column(column, justify="right" if column == "elapsed" else "left")
        running = [r for r in rows if r.state == "running"]
        recent = [r for r in rows if r.state != "running"][-8:]
        for row in recent + running:
            state = {"running": "[yellow]running[/]", "done": "[green]done[/]", "failed": "[red]failed[/]"}[row.state]
            table.add_row(row.name, row.type, row.op, state, f"{row.elapsed(now):.0f}s")
        done = sum(1 for r in rows if r.state == "done")
        table.caption = f"{done} done, {len(running)} running" + (
            f", {len(rows) - done - len(running)} failed" if len(rows) - done - len(running) else ""
        )
        return table
