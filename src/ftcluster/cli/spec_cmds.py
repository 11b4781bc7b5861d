"""Commands that only read or write spec files: validate, schema, init."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from rich.markup import escape

from .options import SPEC_ARGUMENT
from .output import SPEC_PANEL, examples, print_json, stderr, stdout


def validate(
    spec_path: Path = SPEC_ARGUMENT,
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print {file, valid, cluster, region, spec, sources, problems, warnings} on stdout, also when the spec is bad.",
    ),
) -> None:
    """Check a spec file and print the effective spec, every default filled in.

    Problems are listed as FILE:LINE:COLUMN: KEY: MESSAGE, all at once; the exit code is 2. Warnings
    (a valid spec that may not run as meant on AWS, such as instance types that hold no worker) go to
    stderr, and the exit code stays 0.
    """
    from .. import api

    checked = api.validate(spec_path)
    if as_json:
        print_json(checked.to_dict())
        if checked.error is not None:
            raise typer.Exit(checked.error.exit_code)
        return
    if checked.error is not None:
        raise checked.error
    spec = checked.spec
    assert spec is not None
    from .tables import Table

    table = Table(title=f"{escape(str(spec_path))}: cluster {spec.name} in {spec.region}")
    table.add_column("key", style="bold")
    table.add_column("value")
    table.add_column("from", style="dim")
    for path, value, explicit in checked.rows():
        table.add_row(path, escape(value), "file" if explicit else "default")
    console = stdout()
    console.print(table)
    console.print(f"[green]valid[/green]: {escape(str(spec_path))}")
    for key, message in checked.warnings:  # valid, but AWS may not run it as meant
        stderr().print(f"[yellow bold]warning:[/yellow bold] {escape(key)}: {escape(message)}")


def schema() -> None:
    """Print the JSON Schema of the spec, for editors and CI checks.

    Save it and point the yaml-language-server modeline of your spec at it for completion and
    inline errors in VS Code, Neovim and others:

        # yaml-language-server: $schema=./ftcluster.schema.json
    """
    from .. import api

    print_json(api.schema())


def init(
    path: Path = typer.Argument(
        None,
        metavar="PATH",
        help="Where to write the spec, `-` for stdout \\[default: REGION.yaml].",
        show_default=False,
    ),
    region: str = typer.Option(
        None,
        "--region",
        "-r",
        metavar="REGION",
        help="AWS region of the cluster \\[default: $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1].",
        show_default=False,
    ),
    name: str = typer.Option("my-training", "--name", "-n", metavar="NAME", help="Cluster name."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite an existing file."),
) -> None:
    """Write a commented starter spec that validates as it is."""
    from .. import api

    starter = api.init(path, os.environ, region=region, name=name, force=force)
    target = starter.path
    if target is None:
        sys.stdout.write(starter.text)
        return
    console = stderr()
    console.print(f"[green]wrote[/green] {escape(str(target))}")
    console.print(
        f"next: [bold]ftcluster validate {escape(str(target))}[/bold], then "
        f"[bold]ftcluster preview {escape(str(target))} --offline[/bold]"
    )


def register(app: typer.Typer) -> None:
    app.command(
        rich_help_panel=SPEC_PANEL,
        epilog=examples(
            "ftcluster init",
            "ftcluster init configs/eu-west-1.yaml --region eu-west-1 --name finetune",
            "ftcluster init - --region eu-west-1 | less",
        ),
    )(init)
    app.command(
        rich_help_panel=SPEC_PANEL,
        epilog=examples(
            "ftcluster validate configs/us-east-1.yaml", "ftcluster validate configs/us-east-1.yaml --json"
        ),
    )(validate)
    app.command(rich_help_panel=SPEC_PANEL, epilog=examples("ftcluster schema > ftcluster.schema.json"))(schema)
