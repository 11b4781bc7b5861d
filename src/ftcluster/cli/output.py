"""Where and how the CLI writes: data to stdout, messages and progress to stderr."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape

from ..errors import Declined, FtclusterError, SpecError

# Panels that group the commands in `ftcluster --help`, in workflow order.
SPEC_PANEL = "Write and check a spec"
DEPLOY_PANEL = "Plan, deploy, resize, tear down"
INSPECT_PANEL = "Look at clusters"
FAULT_PANEL = "Drill faults, count what they cost"
RECOVER_PANEL = "Recover and set up"


# Piped or redirected, a line is never folded or cut: tables get all the width their values need (grep, files, CI
# logs read whole lines). Nothing we print expands to the console's width (tables fit their content, the status
# panel is not expanded), so this width is never filled with padding.
PIPED_WIDTH = 100_000


def _console(*, stderr: bool, soft_wrap: bool) -> Console:
    console = Console(stderr=stderr, soft_wrap=soft_wrap)
    return console if console.is_terminal else Console(stderr=stderr, soft_wrap=soft_wrap, width=PIPED_WIDTH)


def stdout() -> Console:
    """Data for people: in a terminal, text wraps and tables fit its width (long values fold, see tables.py);
    piped, every line stays whole."""
    return _console(stderr=False, soft_wrap=False)


def stderr() -> Console:
    # soft_wrap: a message keeps its file:line:col prefix on one line, whatever the terminal width
    return _console(stderr=True, soft_wrap=True)


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
    elif isinstance(err, Declined):
        console.print(escape(err.message))  # the user's own answer, not an error
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
