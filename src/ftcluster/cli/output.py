"""Where and how the CLI writes: data to stdout, messages and progress to stderr."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape

from ..errors import FtclusterError, SpecError

# Panels that group the commands in `ftcluster --help`, in workflow order.
SPEC_PANEL = "Write and check a spec"
DEPLOY_PANEL = "Plan, deploy, resize, tear down"
INSPECT_PANEL = "Look at clusters"
RECOVER_PANEL = "Recover and set up"


def stdout() -> Console:
    return Console(soft_wrap=True)


def stderr() -> Console:
    # soft_wrap: a message keeps its file:line:col prefix on one line, whatever the terminal width
    return Console(stderr=True, soft_wrap=True)


def print_json(data: Any) -> None:
    """Machine output: plain JSON on stdout, nothing else."""
    print(json.dumps(data, indent=2, sort_keys=False, default=str))


def print_error(err: FtclusterError) -> None:
    console = stderr()
    if isinstance(err, SpecError):
        for problem in err.problems:
            console.print(f"[red]error[/red] {escape(problem.render(err.file))}")
        count = len(err.problems)
        console.print(
            f"[red]{count} problem{'s' if count != 1 else ''}[/red] in {escape(err.file)}; nothing was changed."
        )
    else:
        console.print(f"[red]error:[/red] {escape(err.message)}")
    if err.hint:
        console.print(f"[dim]hint:[/dim] {escape(err.hint)}")


def examples(*lines: str) -> str:
    """An epilog for --help listing example command lines."""
    return "[bold]Examples[/bold]\n\n" + "\n\n".join(f"  [cyan]$ {escape(line)}[/cyan]" for line in lines)


@contextmanager
def spinner(message: str, quiet: bool) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr while slow work runs; nothing when quiet or not on a terminal.

    Yields a function that replaces the spinner's text (e.g. with how far a wait has come)."""
    console = stderr()
    if quiet or not console.is_terminal:
        yield lambda text: None
        return
    with console.status(escape(message)) as status:
        yield lambda text: status.update(escape(text))
