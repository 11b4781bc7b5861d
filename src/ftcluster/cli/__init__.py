"""The `ftcluster` command line: one Typer app, commands in one module per group.

Every command module keeps heavy imports (pulumi, pulumi_aws, boto3, even pydantic) inside the
command functions, so `--help` stays as fast as a bare Typer app.
"""

from __future__ import annotations

import inspect
import os
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from ..errors import FtclusterError
from . import ledger_cmds, live_cmds, preview_cmd, spec_cmds, stack_cmds
from .output import print_error


def _reflow(text: str | None) -> str | None:
    """Join the lines of each docstring paragraph (Typer's rich help keeps single line breaks);
    indented paragraphs (examples) stay as written."""
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(p if p.startswith(" ") else " ".join(p.split("\n")) for p in paragraphs)


def _hide_flag_types(command: Any, ctx: Any) -> None:
    """A flag takes no value, so its help shows none. Typer 0.29's rich help prints every option's type, `<bool>` for
    a flag (typer/rich_utils.py `_print_options_panel` shows `TyperOption.display_type_rich`, typer/core.py, which
    returns the metavar when one is set): an empty metavar leaves the column blank. Click never shows a flag's
    metavar anywhere else (usage, errors), so nothing else changes."""
    for param in command.get_params(ctx):
        if getattr(param, "is_flag", False):
            param.metavar = ""


class _Command(TyperCommand):
    """Every ftcluster command: help without `<bool>` placeholders."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _hide_flag_types(self, ctx)
        super().format_help(ctx, formatter)


class _Group(TyperGroup):
    """Maps ftcluster's errors to messages and exit codes in one place (docs/architecture.md, "Conventions")."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for command in self.commands.values():
            command.help = _reflow(command.help)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _hide_flag_types(self, ctx)
        super().format_help(ctx, formatter)

    def invoke(self, ctx: Any) -> Any:  # click's Context, vendored by Typer
        try:
            return super().invoke(ctx)
        except (typer.TyperException, typer.Exit, typer.Abort):
            raise  # usage errors (exit 2), --help and explicit exits keep Typer's own handling
        except FtclusterError as err:
            print_error(err)
            raise typer.Exit(err.exit_code) from None
        except KeyboardInterrupt:
            print_error(FtclusterError("interrupted"))
            raise typer.Exit(130) from None
        except Exception as err:
            if _debug(ctx):
                raise
            print_error(
                FtclusterError(
                    f"internal error: {type(err).__name__}: {err}",
                    hint="run again with --debug (or FTCLUSTER_DEBUG=1) for the traceback, and please report it",
                )
            )
            raise typer.Exit(1) from None


def _debug(ctx: typer.Context) -> bool:
    return bool(ctx.params.get("debug")) or os.environ.get("FTCLUSTER_DEBUG", "") not in ("", "0")


app = typer.Typer(
    cls=_Group,
    name="ftcluster",
    help="Stand up fault-tolerant ML training clusters on AWS from one YAML spec per region.",
    epilog=(
        "Start with [bold]ftcluster init[/bold], check with [bold]ftcluster validate SPEC[/bold], "
        "look with [bold]ftcluster preview SPEC --offline[/bold]. Exit codes: 0 ok, 1 operation failed, "
        "2 bad usage or spec, 130 interrupted."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,  # errors are mapped in _Group; --debug shows a plain traceback
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"ftcluster {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of internal errors (also FTCLUSTER_DEBUG=1)."),
) -> None:
    pass


# Registration order is the order of `ftcluster --help` (panels in workflow order).
spec_cmds.register(app)
preview_cmd.register(app)
live_cmds.register(app)
ledger_cmds.register(app)
stack_cmds.register(app)
for _info in app.registered_commands:  # app.command() registers Typer's own class unless told otherwise
    if _info.cls in (None, TyperCommand):
        _info.cls = _Command


def main() -> None:
    """Console-script entry point."""
    app(prog_name="ftcluster")
