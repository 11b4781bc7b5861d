"""Commands that read a cluster's live state from AWS: status, preflight."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from ..errors import FtclusterError, UsageError
from .output import examples, print_json, stderr, stdout

JSON_OPTION = typer.Option(False, "--json", help="Print JSON on stdout instead of tables.")
QUIET_OPTION = typer.Option(False, "--quiet", "-q", help="No progress spinner on stderr.")


def status(
    spec_path: Path = typer.Argument(
        None, help="Spec of the cluster \\[default: the active cluster].", show_default=False
    ),
    cluster: str = typer.Option(None, "--cluster", "-c", help="Name of a deployed cluster, instead of a SPEC."),
    as_json: bool = JSON_OPTION,
    watch: int = typer.Option(
        None, "--watch", "-w", min=1, metavar="SECONDS",
        help="Refresh in place every SECONDS until Ctrl-C (which exits with 0).",
    ),
    quiet: bool = QUIET_OPTION,
) -> None:
    """Show the live health of a cluster: HEALTHY, DEGRADED or DOWN, and why.

    Reads the ids from the stack outputs, then ECS (service, deployments, tasks per AZ and
    capacity provider, recently stopped tasks and Spot interruptions), the Spot Fleet, container
    instances and auto scaling. Read-only. The exit code is 0 whatever the verdict; scripts read
    `verdict.state` from --json.
    """
    if spec_path is not None and cluster:
        raise UsageError("give a SPEC or --cluster, not both")
    if watch is not None and as_json:
        raise UsageError("--watch refreshes a table; it cannot be combined with --json",
                         hint="run `ftcluster status --json` in a loop instead")
    endpoint_url = None
    if spec_path is not None:
        from ..spec import load_spec

        endpoint_url = load_spec(spec_path).endpoint_url  # a bad spec stops here with exit code 2
    from ..engine import cluster_outputs  # the stack outputs (issue 4's engine)

    resolved = cluster_outputs(spec_path, cluster, os.environ)
    outputs = dict(resolved.outputs)
    outputs["region"] = outputs.get("region") or resolved.region
    outputs["cluster_name"] = outputs.get("cluster_name") or resolved.name

    from ..aws import AwsSession
    from ..live.status import status_report

    # one session for every refresh of --watch; without a region status_report says what is wrong
    session = AwsSession(str(outputs["region"]), endpoint_url) if outputs.get("region") else None

    def read() -> Any:
        with _progress(f"reading cluster {outputs['cluster_name']} from AWS", quiet or as_json):
            return status_report(outputs, session=session)

    if watch is not None:
        _watch(read, watch)
        return
    report = read()
    if as_json:
        print_json(report.to_dict())
        return
    from ..live.render import render_status

    stdout().print(render_status(report))


def _watch(read: Callable[[], Any], seconds: int) -> None:
    from rich.console import Group
    from rich.live import Live
    from rich.text import Text

    from ..live.render import render_status

    console = stdout()
    try:
        with Live(console=console, auto_refresh=False, transient=False) as live:
            while True:
                report = read()
                footer = Text(
                    f"refreshed {datetime.now().strftime('%H:%M:%S')} · every {seconds}s · Ctrl-C to stop",
                    style="dim",
                )
                live.update(Group(render_status(report), footer), refresh=True)
                time.sleep(seconds)
    except KeyboardInterrupt:
        return  # stopping the watch is the normal way out: exit code 0


def preflight(
    spec_path: Path = typer.Argument(..., help="Path of the YAML cluster spec.", show_default=False),
    as_json: bool = JSON_OPTION,
    quiet: bool = QUIET_OPTION,
) -> None:
    """Check that a spec can be deployed: credentials, region, AZs, network, instance types, Spot prices.

    Each check passes, warns or fails with what to do about it; read-only. Exit code 1 when any
    check fails. `ftcluster up` runs the same checks first unless --skip-preflight.
    """
    from ..live.preflight import run_preflight
    from ..spec import load_spec

    spec = load_spec(spec_path)
    with _progress(f"checking {spec.name} in {spec.region}", quiet or as_json):
        report = run_preflight(spec)
    if as_json:
        print_json(report.to_dict())
    else:
        from ..live.render import render_preflight

        stdout().print(render_preflight(report))
    if not report.ok:
        failed = ", ".join(c.title for c in report.failures)
        raise FtclusterError(f"preflight failed: {failed}", hint="see `fix:` above for each failed check")


@contextmanager
def _progress(message: str, quiet: bool) -> Iterator[None]:
    console = stderr()
    if quiet or not console.is_terminal:
        yield
        return
    with console.status(message):
        yield


def register(app: typer.Typer) -> None:
    app.command(
        epilog=examples(
            "ftcluster status configs/us-east-1.yaml",
            "ftcluster status --cluster llm-pretrain --watch 10",
            "ftcluster status --json | jq .verdict",
        )
    )(status)
    app.command(
        epilog=examples(
            "ftcluster preflight configs/us-east-1.yaml", "ftcluster preflight configs/us-east-1.yaml --json"
        )
    )(preflight)
