"""Commands that read a cluster's live state from AWS: status, preflight."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .. import api
from ..errors import UsageError
from .hooks import CliHooks
from .options import CLUSTER_OPTION, JSON_OPTION, QUIET_OPTION, SPEC_ARGUMENT, SPEC_OPTIONAL
from .output import DEPLOY_PANEL, INSPECT_PANEL, examples, print_json, stdout

if TYPE_CHECKING:
    from ..live.preflight import PreflightReport


def status(
    spec_path: Path = SPEC_OPTIONAL,
    cluster: str = CLUSTER_OPTION,
    as_json: bool = JSON_OPTION,
    watch: int = typer.Option(
        None,
        "--watch",
        "-w",
        min=1,
        metavar="SECONDS",
        help="Refresh in place every SECONDS until Ctrl-C (which exits with 0).",
    ),
    quiet: bool = QUIET_OPTION,
) -> None:
    """Show the live health of a cluster: HEALTHY, DEGRADED, DOWN or COMPLETED, and why, and what it costs now.

    Reads the ids from the stack outputs, then ECS (service, deployments, tasks per AZ and
    capacity provider, recently stopped tasks and Spot interruptions), the GPU fleet (Auto Scaling group
    and its capacity provider, or Spot Fleet), an elastic job's rendezvous, container
    instances and auto scaling. Shows the scale as the spec says and as deployed, and the run-rate
    of what actually runs (live Spot prices when AWS gives them). Read-only. The exit code is 0
    whatever the verdict; scripts read `verdict.state` from --json.
    """
    if watch is not None and as_json:
        raise UsageError(
            "--watch refreshes a table; it cannot be combined with --json",
            hint="run `ftcluster status --json` in a loop instead",
        )
    reads = api.status(spec_path, cluster, os.environ, CliHooks(quiet=quiet or as_json), every=watch)
    if watch is not None:
        _watch(reads, watch)
        return
    read = next(reads)
    if as_json:
        from .cost_view import estimate_json

        print_json({**read.report.to_dict(), "scale": read.scale, "run_rate": estimate_json(read.run_rate)})
        return
    from .cost_view import render
    from .live_view import render_status

    console = stdout()
    console.print(render_status(read.report))
    console.print(scale_line(read.scale))
    render(console, read.run_rate)


def scale_line(scale: dict[str, dict[str, int | None]]) -> str:
    """Spec vs effective for each scale setting that exists, e.g. "tasks 6 (spec 4)"."""
    parts = []
    for key, values in scale.items():
        spec_value, effective = values.get("spec"), values.get("effective")
        if spec_value is None and effective is None:
            continue
        label = key.replace("_", " ")
        if effective is not None and spec_value is not None and effective != spec_value:
            parts.append(f"{label} [bold]{effective}[/bold] (spec {spec_value}, set by `ftcluster scale`)")
        else:
            parts.append(f"{label} {effective if effective is not None else spec_value}")
    return "scale: " + ", ".join(parts) if parts else "scale: unknown"


def _watch(reads: Iterator[api.Status], seconds: int) -> None:
    from rich.console import Group
    from rich.live import Live
    from rich.text import Text

    from .cost_view import summary
    from .live_view import render_status

    console = stdout()
    try:
        with Live(console=console, auto_refresh=False, transient=False) as live:
            for read in reads:
                footer = Text(
                    f"refreshed {datetime.now().strftime('%H:%M:%S')} · every {seconds}s · Ctrl-C to stop",
                    style="dim",
                )
                live.update(
                    Group(
                        render_status(read.report),
                        Text.from_markup(scale_line(read.scale)),
                        Text(f"run-rate: {summary(read.run_rate)}"),
                        footer,
                    ),
                    refresh=True,
                )
    except KeyboardInterrupt:
        return  # stopping the watch is the normal way out: exit code 0


def preflight(
    spec_path: Path = SPEC_ARGUMENT,
    as_json: bool = JSON_OPTION,
    quiet: bool = QUIET_OPTION,
) -> None:
    """Check that a spec can be deployed: credentials, region, AZs, network, instance types, Spot prices.

    Each check passes, warns or fails with what to do about it; read-only. Exit code 1 when any
    check fails. `ftcluster up` runs the same checks first unless --skip-preflight.
    """
    api.preflight(spec_path, os.environ, PreflightHooks(quiet=quiet or as_json, as_json=as_json))


class PreflightHooks(CliHooks):
    """`ftcluster preflight` shows the whole report on stdout (or its JSON), also when every check passed."""

    def __init__(self, *, quiet: bool, as_json: bool) -> None:
        super().__init__(quiet=quiet)
        self.as_json = as_json

    def preflight(self, report: PreflightReport) -> None:
        if self.as_json:
            print_json(report.to_dict())
            return
        from .live_view import render_preflight

        stdout().print(render_preflight(report))


def register(app: typer.Typer) -> None:
    app.command(
        rich_help_panel=INSPECT_PANEL,
        epilog=examples(
            "ftcluster status configs/us-east-1.yaml",
            "ftcluster status --cluster llm-pretrain --watch 10",
            "ftcluster status --json | jq .verdict",
        ),
    )(status)
    app.command(
        rich_help_panel=DEPLOY_PANEL,
        epilog=examples(
            "ftcluster preflight configs/us-east-1.yaml", "ftcluster preflight configs/us-east-1.yaml --json"
        ),
    )(preflight)
