"""Commands about interruptions: `events` (the ledger) and `drill` (break a cluster on purpose)."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from .. import api
from ..errors import Declined, UsageError
from .hooks import CANCELLED, CliHooks
from .options import CLUSTER_OPTION, JSON_OPTION, QUIET_OPTION, SPEC_OPTIONAL, YES_OPTION
from .output import FAULT_PANEL, examples, print_json, stderr, stdout

if TYPE_CHECKING:
    from ..drill.model import DrillPlan


class Fault(str, Enum):  # the values of ftcluster.drill.model.FAULTS (kept import-free for --help)
    spot_interruption = "spot-interruption"
    stop_task = "stop-task"
    terminate_instance = "terminate-instance"
    rendezvous = "rendezvous"


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
    ledger = api.events(spec_path, cluster, os.environ, CliHooks(quiet=quiet or as_json), since=since)
    if as_json:
        print_json(ledger.to_dict())
        return
    from .ledger_view import render_ledger

    stdout().print(render_ledger(ledger))


def drill(
    spec_path: Path = SPEC_OPTIONAL,
    cluster: str = CLUSTER_OPTION,
    fault: Fault = typer.Option(..., "--fault", help="What to break.", show_default=False),
    target: str = typer.Option(
        None, "--target", metavar="ID", help="Task or instance id; default: one chosen and named before asking."
    ),
    yes: bool = YES_OPTION,
    timeout: float = typer.Option(
        30.0, "--timeout", metavar="MIN", help="Minutes to wait for the recovery \\[default: 30].", show_default=False
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print what it would do and the IAM actions it needs; touch nothing."
    ),
    as_json: bool = JSON_OPTION,
    quiet: bool = QUIET_OPTION,
) -> None:
    """Break a running cluster on purpose, watch it recover, and report what the interruption cost.

    spot-interruption: a Spot instance of the group or fleet gets the real two-minute notice through AWS
    FIS (the experiment template and its role are made for the drill and deleted after it, also on
    Ctrl-C); stop-task: a training or worker task is stopped as a Fargate Spot reclaim or a drain stops
    it (SIGTERM, SIGKILL after stop_timeout); terminate-instance: a GPU instance dies without notice;
    rendezvous: the elastic job's store task is stopped.

    It names the target and asks first. Then it watches AWS until the desired count runs again (and the
    group or elastic job is back at its size) and a checkpoint newer than the fault exists, and reports
    the fault's time, time to detection, to the replacement running, to training resumed, the work lost
    and its cost. Exit code 0: recovered within --timeout; 1: not (it says what is missing); 2: bad usage.
    """
    with DrillHooks(yes=yes, quiet=quiet or as_json, message="reading the cluster") as hooks:
        outcome = api.drill(
            spec_path,
            cluster,
            os.environ,
            hooks,
            fault=fault.value,
            target=target,
            timeout_minutes=timeout,
            dry_run=dry_run,
        )
    result = outcome.result
    from ..drill.model import DrillPlan
    from .drill_view import render_plan, render_report

    if isinstance(result, DrillPlan):
        if as_json:
            from ..plain import to_plain

            print_json({"dry_run": True, **to_plain(result)})
        else:
            stdout().print(render_plan(result, with_permissions=True))
            stderr().print("dry run: nothing was changed")
        return
    if as_json:
        print_json(result.to_dict())
    else:
        stdout().print(render_report(result))
    if outcome.failure is not None:
        raise outcome.failure


class DrillHooks:
    """The drill's questions and progress on the terminal (stderr): a spinner that steps aside to ask."""

    def __init__(self, *, yes: bool, quiet: bool, message: str) -> None:
        self.yes = yes
        self.console = stderr()
        self.status = None if quiet or not self.console.is_terminal else self.console.status(escape(message))

    def __enter__(self) -> DrillHooks:
        if self.status is not None:
            self.status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.stop()

    def confirm(self, plan: DrillPlan) -> None:
        from .drill_view import render_plan

        if self.status is not None:
            self.status.stop()
        self.console.print(render_plan(plan))
        if not self.yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    f"refusing to break cluster {plan.cluster} without confirmation in a non-interactive shell",
                    hint="pass --yes to confirm, or --dry-run to see the plan only",
                )
            try:
                if not typer.confirm(f"Run this drill on {plan.cluster} now?", default=False, err=True):
                    raise Declined(CANCELLED)
            except typer.Abort:  # Ctrl-C or end of input at the prompt
                raise Declined(CANCELLED) from None
        if self.status is not None:
            self.status.start()

    def progress(self, text: str) -> None:
        if self.status is not None:
            self.status.update(escape(text))


def register(app: typer.Typer) -> None:
    app.command(
        rich_help_panel=FAULT_PANEL,
        epilog=examples(
            "ftcluster drill configs/us-east-1.yaml --fault stop-task --dry-run",
            "ftcluster drill --cluster llm-pretrain --fault spot-interruption",
            "ftcluster drill --cluster llm-pretrain --fault terminate-instance --target i-0abc123 --yes --json",
        ),
    )(drill)
    app.command(
        rich_help_panel=FAULT_PANEL,
        epilog=examples(
            "ftcluster events configs/us-east-1.yaml",
            "ftcluster events --cluster llm-pretrain --since 7d",
            "ftcluster events --json | jq .summary",
        ),
    )(events)
