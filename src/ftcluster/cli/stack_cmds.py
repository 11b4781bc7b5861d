"""Commands that change or read a cluster's Pulumi stack: up, scale, destroy, refresh, cancel, outputs, list, use,
install-pulumi. Each parses, calls one function of the engine, and renders what it returns."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from .. import api
from .hooks import CliHooks
from .options import CLUSTER_OPTION, JSON_OPTION, QUIET_OPTION, SPEC_ARGUMENT, SPEC_OPTIONAL, YES_OPTION
from .output import DEPLOY_PANEL, INSPECT_PANEL, RECOVER_PANEL, examples, print_json, stderr, stdout


def _identity(stack: str) -> dict[str, str | None]:
    """`cluster`, `region` and `stack`, as every command's JSON names them; a stack is named CLUSTER-REGION
    (engine/stacks.py), so both come back from it."""
    from ..engine.stacks import split_stack_name

    cluster, region = split_stack_name(stack)
    return {"cluster": cluster, "region": region, "stack": stack}


def _print_outputs(outputs: dict[str, Any], title: str) -> None:
    from .progress_view import outputs_text

    console = stdout()
    console.print(f"[bold]{escape(title)}[/bold]")
    console.print(outputs_text(outputs), markup=False, highlight=False, soft_wrap=True)  # ids and URIs: copied whole


def up(
    spec_path: Path = SPEC_ARGUMENT,
    yes: bool = YES_OPTION,
    skip_preflight: bool = typer.Option(False, "--skip-preflight", help="Skip the read-only AWS checks."),
    no_wait: bool = typer.Option(False, "--no-wait", help="Do not wait for the services to reach a steady state."),
    wait_timeout: int = typer.Option(
        20,
        "--wait-timeout",
        min=1,
        metavar="MINUTES",
        help="How long to wait for the services to reach a steady state.",
    ),
    restart: bool = typer.Option(
        False, "--restart", help="Start the jobs that completed (a task exited 0) again, at the spec's counts."
    ),
    quiet: bool = QUIET_OPTION,
    as_json: bool = typer.Option(
        False, "--json", help="Print {cluster, region, stack, changes, outputs} as JSON on stdout."
    ),
) -> None:
    """Create or update a cluster: preflight checks, preview, cost, confirm, apply with live progress, outputs.

    Then, changes or not, it waits until the ECS services have rolled out (exit 1 when a deployment
    failed, a service is missing or did not settle within --wait-timeout; Ctrl-C stops only the wait).
    The cluster becomes the active one (used by scale, destroy, outputs... when no SPEC is given).
    Values set by `ftcluster scale` stay in force until the spec's own value changes. A job that
    completed (one of its tasks exited 0) stays stopped; --restart starts it again.
    """
    result = api.up(
        spec_path,
        os.environ,
        CliHooks(yes=yes, quiet=quiet),
        skip_preflight=skip_preflight,
        wait_timeout=None if no_wait else wait_timeout * 60,
        restart=restart,
    )
    if as_json:  # the `done:` / `no changes:` line came before the wait (CliHooks.applied)
        changes = result.planned if result.applied is None else result.applied
        print_json({**_identity(result.stack), "changes": changes, "outputs": result.outputs})
    else:
        _print_outputs(result.outputs, f"outputs of {result.cluster}")


def scale(
    spec_path: Path = SPEC_OPTIONAL,
    cluster: str = CLUSTER_OPTION,
    tasks: int = typer.Option(None, "--tasks", "-t", min=0, metavar="N", help="Desired number of training tasks."),
    # no -w: that is `status --watch`; a short flag means one thing in every command
    workers: int = typer.Option(None, "--workers", min=0, metavar="N", help="Worker tasks on the fleet's instances."),
    instances: int = typer.Option(
        None,
        "--instances",
        "-i",
        min=0,
        metavar="N",
        help="Fleet instances (Spot Fleet: its size; Auto Scaling group: its maximum).",
    ),
    adjust_limits: bool = typer.Option(
        False, "--adjust-limits", help="Move the auto scaling limits to include --tasks."
    ),
    reset: bool = typer.Option(False, "--reset", help="Drop earlier `scale` values: back to the spec's."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before scaling down."),
    quiet: bool = QUIET_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Resize a running cluster: training tasks, fleet worker tasks and/or fleet instances (a targeted update).

    Only the training service, its scaling target, the worker service and the fleet are updated. The new values are
    kept in the stack, so a later `up` does not undo them; changing the number in the spec
    (or `--reset`) hands control back to the spec. Scaling down asks first (tasks that stop lose
    their work since the last checkpoint), unless --yes. A job that completed starts again when it
    is given a count above 0 (--tasks for training, --workers for the fleet workers).
    """
    from ..engine.events import describe_changes

    hooks = CliHooks(yes=yes, quiet=quiet or as_json)
    request = api.scale_request(
        tasks=tasks, instances=instances, adjust_limits=adjust_limits, reset=reset, workers=workers
    )
    result = api.scale(spec_path, cluster, os.environ, hooks, request)
    if as_json:
        print_json(
            {
                **_identity(result.stack),
                "before": result.before,
                "after": result.after,
                "changes": result.changes,
            }
        )
        return
    console = stdout()
    for key, after in result.after.items():
        if after is not None:
            marker = "" if after == result.before[key] else f" [dim](was {result.before[key]})[/dim]"
            console.print(f"{key}: [bold]{after}[/bold]{marker}")
    stderr().print(f"[green]done[/green]: {describe_changes(result.changes, done=True)}")


def destroy(
    spec_path: Path = SPEC_OPTIONAL,
    cluster: str = CLUSTER_OPTION,
    yes: bool = YES_OPTION,
    delete_checkpoints: bool = typer.Option(
        False, "--delete-checkpoints", help="Also delete the checkpoint bucket and every checkpoint in it."
    ),
    keep_stack: bool = typer.Option(False, "--keep-stack", help="Keep the empty stack (and its history) afterwards."),
    verify_only: bool = typer.Option(
        False, "--verify-only", help="Destroy nothing: only look in AWS for what is left of the cluster."
    ),
    quiet: bool = QUIET_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Tear a cluster down. The checkpoint bucket is kept unless --delete-checkpoints.

    Asks you to type the cluster name (or pass --yes; without a terminal --yes is required).
    Afterwards the stack is removed from the backend (unless --keep-stack), the cluster stops
    being the active one, and AWS is checked for leftovers.
    """
    hooks = CliHooks(yes=yes, quiet=quiet or as_json)
    if verify_only:
        verified = api.verify(spec_path, cluster, os.environ, hooks)
        if as_json:
            print_json(verified.result.to_dict())
        else:
            _render_leftovers(verified.result)
        _end(verified.failure)
        return
    outcome = api.destroy(
        spec_path, cluster, os.environ, hooks, delete_checkpoints=delete_checkpoints, keep_stack=keep_stack
    )
    result = outcome.result
    from ..engine.events import describe_changes

    console = stderr()
    console.print(f"[green]destroyed[/green] {escape(result.cluster)}: {describe_changes(result.changes, done=True)}")
    if result.kept_bucket:
        bucket = escape(result.kept_bucket)
        console.print(
            f"kept the checkpoint bucket [bold]{bucket}[/bold] and its checkpoints; to train on from them, "
            f"set `training.checkpoints.bucket: {bucket}` in the spec before the next `up` (delete the "
            "bucket in S3 once you no longer need it)"
        )
    if result.stack_removed:
        console.print(f"removed stack {escape(result.stack)} from {escape(result.backend)}")
    report = result.leftovers
    if as_json:
        print_json(
            {
                **_identity(result.stack),
                "changes": result.changes,
                "kept_bucket": result.kept_bucket,
                "stack_removed": result.stack_removed,
                "leftovers": report.to_dict() if report is not None else None,
                "leftover_check_error": result.leftover_error.message if result.leftover_error else None,
            }
        )
    if report is not None and not as_json:
        _render_leftovers(report)
    _end(outcome.failure)


def _render_leftovers(report: Any) -> None:
    from .live_view import render_leftovers

    stdout().print(render_leftovers(report))


def _end(failure: Exception | None) -> None:
    """A command whose result is shown still fails (exit 1) when the façade says so."""
    if failure is not None:
        raise failure


def refresh(
    spec_path: Path = SPEC_OPTIONAL,
    cluster: str = CLUSTER_OPTION,
    clear_pending_creates: bool = typer.Option(
        False,
        "--clear-pending-creates",
        help="Forget creations an interrupted run left unfinished (check AWS for orphans afterwards).",
    ),
    quiet: bool = QUIET_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Bring the stack's state in line with what really exists in AWS (after an interruption or manual changes)."""
    from ..engine.events import describe_changes

    result = api.refresh(
        spec_path, cluster, os.environ, CliHooks(quiet=quiet or as_json), clear_pending_creates=clear_pending_creates
    )
    if as_json:
        print_json({**_identity(result.stack), "changes": result.changes})
    else:
        stderr().print(
            f"[green]refreshed[/green] {escape(result.cluster)}: {describe_changes(result.changes, done=True)}"
        )


def cancel(spec_path: Path = SPEC_OPTIONAL, cluster: str = CLUSTER_OPTION, yes: bool = YES_OPTION) -> None:
    """Release the lock an interrupted update left behind (then run `ftcluster refresh`).

    Only for runs that are gone: cancelling a live update can leave resources half changed.
    """
    result = api.cancel(spec_path, cluster, os.environ, CliHooks(yes=yes))
    if result.released:
        stderr().print(
            f"[green]released[/green] the lock of {escape(result.cluster)}; next: "
            f"[bold]ftcluster refresh --cluster {escape(result.stack)}[/bold]"
        )
    else:
        stderr().print(f"no lock: no update of {escape(result.cluster)} is in progress; nothing to cancel")


def outputs(spec_path: Path = SPEC_OPTIONAL, cluster: str = CLUSTER_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Show a cluster's stack outputs, and its scale as the spec says and as deployed."""
    result = api.outputs(spec_path, cluster, os.environ, CliHooks())
    if as_json:
        print_json(result.to_dict())
        return
    from .tables import Table

    console = stdout()
    console.print(f"[bold]{escape(result.name)}[/bold] in {result.region} (stack {escape(result.stack)})")
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("scale", "spec", "effective", "set by scale"):
        table.add_column(column)
    for key, values in result.scale.items():
        if values["spec"] is not None or values["effective"] is not None:
            table.add_row(key, str(values["spec"]), str(values["effective"]), str(result.overrides.get(key, "")))
    console.print(table)
    _print_outputs(result.outputs, "outputs")


def list_(
    backend: str = typer.Option(
        None,
        "--backend",
        metavar="URL",
        help="State backend URL \\[default: $PULUMI_BACKEND_URL, else the ftcluster home].",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """List every ftcluster cluster in the state backend: region, last update, resource count."""
    url, clusters = api.list_clusters(os.environ, CliHooks(), backend)
    if as_json:
        print_json({"backend": url, "clusters": [c.to_dict() for c in clusters]})
        return
    from .tables import Table

    table = Table(title=f"clusters in {escape(url)}", box=None, pad_edge=False, header_style="bold")
    for column in ("", "stack", "name", "region", "last update"):
        table.add_column(column)  # a name folds only in a terminal too narrow for it
    table.add_column("resources", justify="right")
    for c in clusters:
        when = c.last_update.strftime("%Y-%m-%d %H:%M UTC") if c.last_update else "never"
        if not c.deployed:
            when = "[dim]not deployed[/dim]" + (f" (last run {when})" if c.last_update else "")
        if c.update_in_progress:
            when += " [yellow](locked: running, or see `ftcluster cancel`)[/yellow]"
        table.add_row("*" if c.active else "", c.stack, c.name, c.region or "?", when, str(c.resource_count or 0))
    stdout().print(table if clusters else f"no clusters in {escape(url)}")
    if any(c.update_in_progress is None for c in clusters):
        stdout().print("[dim]locked: unknown (this backend does not say whether an update is running)[/dim]")


def use(
    cluster: str = typer.Argument(
        ..., metavar="CLUSTER", help="Cluster name, stack name or spec path.", show_default=False
    ),
) -> None:
    """Make a deployed cluster the active one (used when a command gets no SPEC or --cluster)."""
    result = api.use(cluster, os.environ, CliHooks())
    stderr().print(f"active cluster: [bold]{escape(result.cluster)}[/bold] (stack {escape(result.stack)})")


def install_pulumi(
    version: str = typer.Option(
        None, "--version", metavar="VERSION", help="CLI version \\[default: the pulumi SDK's]."
    ),
) -> None:
    """Install the Pulumi CLI into the ftcluster home (used from then on, whatever PATH says)."""
    path, installed = api.install_pulumi(os.environ, CliHooks(), version)
    stderr().print(f"[green]ready[/green]: Pulumi {installed} at {escape(str(path))}")


def register(app: typer.Typer) -> None:
    deploy: dict[str, Any] = {"rich_help_panel": DEPLOY_PANEL}
    inspect: dict[str, Any] = {"rich_help_panel": INSPECT_PANEL}
    recover: dict[str, Any] = {"rich_help_panel": RECOVER_PANEL}
    app.command(
        **deploy,
        epilog=examples(
            "ftcluster up configs/us-east-1.yaml",
            "ftcluster up configs/us-east-1.yaml --yes --quiet",
            "ftcluster up configs/us-east-1.yaml --wait-timeout 45",
        ),
    )(up)
    app.command(
        **deploy,
        epilog=examples(
            "ftcluster scale --tasks 8",
            "ftcluster scale --instances 6 --cluster llm-pretrain",
            "ftcluster scale --tasks 20 --adjust-limits",
            "ftcluster scale --reset",
            "ftcluster scale --workers 6",
            "ftcluster scale --tasks 2 --yes",
        ),
    )(scale)
    app.command(
        **deploy,
        epilog=examples(
            "ftcluster destroy",
            "ftcluster destroy configs/us-east-1.yaml --yes",
            "ftcluster destroy --verify-only --cluster llm-pretrain-us-east-1",
        ),
    )(destroy)
    app.command(
        **inspect, epilog=examples("ftcluster outputs", "ftcluster outputs --json | jq .outputs.checkpoint_uri")
    )(outputs)
    app.command("list", **inspect, epilog=examples("ftcluster list", "ftcluster list --json"))(list_)
    app.command(**inspect, epilog=examples("ftcluster use llm-pretrain", "ftcluster use configs/eu-west-1.yaml"))(use)
    app.command(**recover, epilog=examples("ftcluster refresh", "ftcluster refresh --clear-pending-creates"))(refresh)
    app.command(**recover, epilog=examples("ftcluster cancel --cluster llm-pretrain-us-east-1"))(cancel)
    app.command("install-pulumi", **recover, epilog=examples("ftcluster install-pulumi"))(install_pulumi)
