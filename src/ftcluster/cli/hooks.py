"""How the command line answers the lifecycle's hooks: notes and progress on stderr, questions on the terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from ..errors import Declined, UsageError
from .output import spinner, stderr

if TYPE_CHECKING:
    from ..engine.lifecycle import Confirmation
    from ..live.preflight import PreflightReport

REFUSAL = {"apply": "apply changes to", "scale": "scale down", "destroy": "destroy", "cancel": "release the lock of"}
CANCELLED = "cancelled, nothing changed"
OP_STYLE = {"replace": "magenta", "delete": "red"}


def _interactive() -> bool:
    """Whether a question can be answered: stdin is a terminal."""
    return sys.stdin.isatty()


class CliHooks:
    """`yes`: every confirmation is given; `quiet`: no spinners, progress or success chatter (notes stay)."""

    def __init__(self, *, yes: bool = False, quiet: bool = False) -> None:
        self.yes = yes
        self.quiet = quiet
        self.console = stderr()

    def notify(self, message: str) -> None:
        # shown even with --quiet: a new passphrase file or a kept scale value matters once
        self.console.print(f"[cyan]note:[/cyan] {escape(message)}")

    def stage(self, message: str) -> AbstractContextManager[Callable[[str], None]]:
        return spinner(message, self.quiet)

    @contextmanager
    def progress(self, title: str) -> Iterator[Callable[[Any], None]]:
        from .progress_view import ProgressView

        with ProgressView(self.console, title, quiet=self.quiet) as view:
            yield view.handle

    def preflight(self, report: PreflightReport) -> None:
        if report.ok and not any(check.level == "warn" for check in report.checks):
            if not self.quiet:
                self.console.print(f"[green]preflight passed[/green]: {len(report.checks)} checks")
            return
        from .live_view import render_preflight

        self.console.print(render_preflight(report))

    def ensure_can_confirm(self, action: str, cluster: str) -> None:
        if self.yes or _interactive():
            return
        raise UsageError(
            f"refusing to {REFUSAL.get(action, action)} {cluster} without confirmation in a non-interactive shell",
            hint="pass --yes to confirm"
            + (" (`ftcluster preview SPEC` shows what would change)" if action == "apply" else ""),
        )

    def applied(self, cluster: str, changes: Mapping[str, int] | None) -> None:
        from ..engine.events import describe_changes

        if changes is None:
            self.console.print(f"[green]no changes[/green]: nothing to update in cluster {escape(cluster)}")
        else:
            self.console.print(f"[green]done[/green]: {describe_changes(changes, done=True)}")

    def confirm(self, request: Confirmation) -> None:
        from ..engine.events import describe_changes

        console = self.console
        if request.changes is not None:
            console.print(f"cluster {escape(request.cluster)}: {describe_changes(request.changes)}")
        for change in request.resources:  # what is lost: each replacement and deletion by name
            properties = f" ({escape(', '.join(change.properties))})" if change.properties else ""
            style = OP_STYLE.get(change.op, "yellow")
            console.print(f"  [{style}]{change.op:<8}[/{style}]{change.type} {escape(change.name)}{properties}")
        for detail in request.details:
            console.print(escape(detail))
        if request.warning:
            console.print(f"[red bold]warning:[/red bold] {escape(request.warning)}")
        if request.cost is not None:
            from .cost_view import summary

            console.print(f"estimated cost: {escape(summary(request.cost))}")
        if self.yes:
            return
        self.ensure_can_confirm(request.action, request.cluster)
        try:
            if request.type_to_confirm is not None:
                typed = typer.prompt(request.question, err=True, default="", show_default=False)
                if typed.strip() != request.type_to_confirm:
                    raise Declined(f"the name did not match: {CANCELLED}")
            elif not typer.confirm(request.question, default=False, err=True):
                raise Declined(CANCELLED)
        except typer.Abort:  # Ctrl-C or end of input at the prompt (click turns both into Abort)
            raise Declined(CANCELLED) from None
