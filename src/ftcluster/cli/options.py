"""Arguments and options shared by several commands, defined once so they read the same everywhere."""

from __future__ import annotations

import typer

# readable=False: the loader reports an unreadable spec like every other file problem (one line, exit 2), instead
# of click's Path check printing a usage box first
SPEC_ARGUMENT = typer.Argument(
    ..., metavar="SPEC", help="Path of the YAML cluster spec.", show_default=False, readable=False
)
SPEC_OPTIONAL = typer.Argument(
    None,
    metavar="SPEC",
    help="Spec of the cluster \\[default: the active cluster].",
    show_default=False,
    readable=False,
)
CLUSTER_OPTION = typer.Option(
    None, "--cluster", "-c", metavar="NAME", help="A deployed cluster (name or stack name) instead of a SPEC."
)
YES_OPTION = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")
QUIET_OPTION = typer.Option(False, "--quiet", "-q", help="No progress on stderr.")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON on stdout instead of tables.")
