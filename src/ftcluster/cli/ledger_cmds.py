"""Commands about interruptions: `events` (the ledger) and `drill` (break a cluster on purpose)."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import typer

from ..errors import UsageError
from .options import CLUSTER_OPTION, JSON_OPTION, QUIET_OPTION, SPEC_OPTIONAL
from .output import INSPECT_PANEL, examples, print_json, spinner, stdout


def events(
    spec_path: Path = SPEC_OPTIONAL,
    cluster: str = CLUSTER_OPTION,
    since: str = typer.Option(
        "24h", "--since", metavar="WINDOW", help="How far back: a duration (90m, 24h, 7d, 2w) or a UTC time."
    ),
    as_json: bool = JSON_OPTION,
    quiet: bool = QUIET_OPTION,
) -> None:
    """Show the cluster's interruption ledger: every recorded event, oldest first, and what each interruption cost.

    The cluster's EventBridge rules record task starts and stops (with ECS's stop code and reason), Spot
    notices and rebalance recommendations, instances launched and terminated by the group, the fleet or
    ECS managed scaling, drills and job completions. For each interruption: notice, replacement running,
    training resumed (the first checkpoint after the stop), the work lost since the last checkpoint and
    what the lost time cost at the cluster's prices. The last line sums it up: interruptions per day,
    goodput (time training progressed / wall time) and the money lost. Read-only.
    """
    if spec_path is not None and cluster:
        raise UsageError("give a SPEC or --cluster, not both")
    from ..ledger.window import since_time

    now = datetime.now(timezone.utc)
    start = since_time(since, now)  # a bad window stops here: nothing is read
    from ..engine.views import status_view

    view = status_view(spec_path, cluster, os.environ)
    with spinner(f"reading the events of {view.name}", quiet or as_json):
        ledger = view.ledger(start, now)
    if as_json:
        print_json(ledger.to_dict())
        return
    from .ledger_view import render_ledger

    stdout().print(render_ledger(ledger))


def register(app: typer.Typer) -> None:
    app.command(
        rich_help_panel=INSPECT_PANEL,
        epilog=examples(
            "ftcluster events configs/us-east-1.yaml",
            "ftcluster events --cluster llm-pretrain --since 7d",
            "ftcluster events --json | jq .summary",
        ),
    )(events)
