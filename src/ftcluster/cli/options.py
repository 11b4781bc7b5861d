"""Arguments and options shared by several commands, defined once so they read the same everywhere."""

from __future__ import annotations

import typer

SPEC_ARGUMENT = typer.Argument(..., help="Path of the YAML cluster spec.", show_default=False)
SPEC_OPTIONAL = typer.Argument(None, help="Spec of the cluster \\[default: the active cluster].", show_default=False)
CLUSTER_OPTION = typer.Option(
    None, "--cluster", "-c", help="A deployed cluster (name or stack name) instead of a SPEC."
)
YES_OPTION = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")
QUIET_OPTION = typer.Option(False, "--quiet", "-q", help="No progress on stderr.")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON on stdout instead of tables.")
