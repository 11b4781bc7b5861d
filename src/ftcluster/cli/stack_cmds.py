"""Commands that change or read a cluster's Pulumi stack: up, scale, destroy, refresh, cancel, outputs, list, use.

Also `preview_online` (the online branch of `preview`) and `install-pulumi`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from ..errors import FtclusterError, UsageError
from .output import DEPLOY_PANEL, INSPECT_PANEL, RECOVER_PANEL, examples, print_json, spinner, stderr, stdout

SPEC_OPTIONAL = typer.Argument(None, help="Spec of the cluster \\[default: the active cluster].", show_default=False)
CLUSTER_OPTION = typer.Option(None, "--cluster", "-c", help="A deployed cluster (name or stack name) instead of a SPEC.")
YES_OPTION = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")
QUIET_OPTION = typer.Option(False, "--quiet", "-q", help="No progress on stderr.")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON on stdout instead of tables.")


def _notify() -> Callable[[str], None]:
    """Notes (a new passphrase file, kept scale values...) are shown even with --quiet: they matter once."""
    console = stderr()
    return lambda message: console.print(f"[cyan]note:[/cyan] {escape(message)}")


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError("refusing to continue without confirmation in a non-interactive shell",
                         hint="pass --yes to confirm")
    if not typer.confirm(question, default=False, err=True):
        raise FtclusterError("cancelled; nothing was changed")


def _target(spec_path: Path | None, cluster: str | None) -> Any:
    from ..engine.stacks import resolve_target

    return resolve_target(spec_path, cluster, os.environ)  # a bad spec stops here (exit 2)


def _open(target: Any, *, engine: bool, create: bool = False, credentials: bool | None = None) -> Any:
    from ..engine.session import open_session, select_stack

    session = open_session(target, os.environ, engine=engine, notify=_notify(), credentials=credentials)
    select_stack(session, create=create)
    return session


def _live_preflight(spec: Any, quiet: bool) -> None:
    """The read-only AWS checks before the engine starts: a failure stops `up`; warnings are shown."""
    from ..live.preflight import run_preflight

    with spinner(f"preflight checks for {spec.name} in {spec.region}", quiet):
        report = run_preflight(spec)
    warnings = [check for check in report.checks if check.level == "warn"]
    if report.ok and not warnings:
        if not quiet:
            stderr().print(f"[green]preflight passed[/green]: {len(report.checks)} checks")
        return
    from ..live.render import render_preflight

    stderr().print(render_preflight(report))
    if not report.ok:
        failed = ", ".join(check.title for check in report.failures)
        raise FtclusterError(f"preflight failed: {failed}", hint="fix what is listed above, or pass --skip-preflight")


def _estimate(spec: Any, overrides: dict[str, int]) -> Any:
    """What the cluster costs at the scale `up` would deploy, with live Spot prices when AWS gives them."""
    from ..cost import estimate
    from ..cost.spot_live import spot_prices_for_spec

    live, why_not = spot_prices_for_spec(spec)
    return estimate(spec, tasks=overrides.get("tasks"), fleet_capacity=overrides.get("fleet_capacity"),
                    live_spot=live, live_unavailable=why_not)


def _print_outputs(outputs: dict[str, Any], as_json: bool, title: str) -> None:
    if as_json:
        print_json(outputs)
        return
    from ..progress import outputs_text

    console = stdout()
    console.print(f"[bold]{escape(title)}[/bold]")
    console.print(outputs_text(outputs), markup=False, highlight=False)


def up(
    spec_path: Path = typer.Argument(..., help="Path of the YAML cluster spec.", show_default=False),
    yes: bool = YES_OPTION,
    skip_preflight: bool = typer.Option(False, "--skip-preflight", help="Skip the read-only AWS checks."),
    quiet: bool = QUIET_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the stack outputs as JSON on stdout."),
) -> None:
    """Create or update a cluster: preflight checks, preview, cost, confirm, apply with live progress, outputs.

    The cluster becomes the active one (used by scale, destroy, outputs... when no SPEC is given).
    Values set by `ftcluster scale` stay in force until the spec's own value changes.
    """
    from ..engine import operations as ops
    from ..engine.stacks import target_from_spec, write_active
    from ..progress import ProgressView, describe_changes, has_changes

    target = target_from_spec(spec_path)
    spec = target.spec
    if not skip_preflight:
        _live_preflight(spec, quiet)
    session = _open(target, engine=True, create=True, credentials=skip_preflight)
    notify = _notify()
    up_plan = ops.plan(session, spec)
    for note in up_plan.notes:
        notify(note)
    with spinner(f"previewing {session.label}", quiet):
        changes = ops.preview(session, spec, up_plan, on_event=None, notify=notify)
    console = stderr()
    if not has_changes(changes):
        ops.record_applied(session, spec, up_plan)
        console.print(f"[green]no changes[/green]: cluster {escape(session.label)} is up to date")
        outputs = ops.outputs(session)
    else:
        console.print(f"cluster {escape(session.label)}: {describe_changes(changes)}")
        from .cost_view import summary

        console.print(f"estimated cost: {escape(summary(_estimate(spec, up_plan.overrides.items())))}")
        _confirm("apply these changes?", yes)
        write_active(session.settings.home, session.target, session.settings.backend_url)  # recovery commands need no name
        with ProgressView(console, f"updating {session.label}", quiet=quiet) as view:
            outputs = ops.up(session, spec, up_plan, on_event=view.handle, notify=notify,
                             retry=f"ftcluster up {spec_path}")
        console.print(f"[green]done[/green]: {describe_changes(view.state.summary or changes, done=True)}")
    write_active(session.settings.home, session.target, session.settings.backend_url)
    _print_outputs(outputs, as_json, f"outputs of {session.label}")


def preview_online(spec_path: Path, *, diff: bool, expect_no_changes: bool, as_json: bool, quiet: bool) -> None:
    """The online `preview`: what `up` would change, from a real Pulumi preview against the stack."""
    from ..engine import operations as ops
    from ..engine.stacks import target_from_spec
    from ..progress import ChangeCollector, changes_table, describe_changes, has_changes

    target = target_from_spec(spec_path)
    spec = target.spec
    session = _open(target, engine=True, create=True)
    up_plan = ops.plan(session, spec)
    collector = ChangeCollector()
    with spinner(f"previewing {session.label}", quiet or as_json):
        changes = ops.preview(session, spec, up_plan, on_event=collector, notify=_notify())
    cost = _estimate(spec, up_plan.overrides.items())
    if as_json:
        from .cost_view import estimate_json

        data: dict[str, Any] = {"cluster": spec.name, "region": spec.region, "stack": session.stack_name,
                                "changes": changes, "notes": list(up_plan.notes)}
        if diff:
            data["resources"] = [vars(change) for change in collector.changes]
        data["cost"] = estimate_json(cost)
        print_json(data)
    else:
        from .cost_view import render

        for note in up_plan.notes:
            _notify()(note)
        console = stdout()
        console.print(f"cluster {escape(session.label)}: {describe_changes(changes)}")
        if diff and collector.changes:
            console.print(changes_table(collector.changes))
        render(console, cost)
    if expect_no_changes and has_changes(changes):
        raise FtclusterError(f"cluster {session.label} has changes pending: {describe_changes(changes)}",
                             hint=f"run `ftcluster preview {spec_path} --diff` to see them")


def scale(
    spec_path: Path = SPEC_OPTIONAL,
    cluster: str = CLUSTER_OPTION,
    tasks: int = typer.Option(None, "--tasks", "-t", min=0, help="Desired number of training tasks."),
    instances: int = typer.Option(None, "--instances", "-i", min=0, help="Target capacity of the Spot Fleet."),
    adjust_limits: bool = typer.Option(False, "--adjust-limits", help="Move the auto scaling limits to include --tasks."),
    reset: bool = typer.Option(False, "--reset", help="Drop earlier `scale` values: back to the spec's."),
    quiet: bool = QUIET_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Resize a running cluster: training tasks and/or Spot Fleet instances (a targeted update).

    Only the training service, its scaling target and the fleet are updated. The new values are
    kept in the stack, so a later `up` does not undo them; changing the number in the spec
    (or `--reset`) hands control back to the spec.
    """
    from ..engine import operations as ops
    from ..progress import ProgressView, describe_changes

    if reset and (tasks is not None or instances is not None or adjust_limits):
        raise UsageError("--reset goes back to the spec's values; it takes no other option")
    if not reset and tasks is None and instances is None:
        raise UsageError("nothing to scale", hint="pass --tasks N and/or --instances M, or --reset")
    session = _open(_target(spec_path, cluster), engine=True)
    with ProgressView(stderr(), f"scaling {session.label}", quiet=quiet or as_json) as view:
        result = ops.scale(session, tasks=tasks, instances=instances, adjust_limits=adjust_limits, reset=reset,
                           on_event=view.handle, notify=_notify())
    if as_json:
        print_json({"cluster": session.target.name, "stack": session.stack_name, "before": result.before,
                    "after": result.after, "changes": result.changes})
        return
    console = stdout()
    for key, after in result.after.items():
        if after is not None:
            marker = "" if after == result.before[key] else f" [dim](was {result.before[key]})[/dim]"
            console.print(f"{key}: [bold]{after}[/bold]{marker}")
    stderr().print(f"[green]done[/green]: {describe_changes(result.changes, done=True)}")
    if result.pinned:
        _notify()(f"auto scaling now holds the service at {result.after['tasks']} tasks; "
                       "`ftcluster scale --reset` hands the count back to auto scaling and the spec")


def destroy(
    spec_path: Path = SPEC_OPTIONAL,
    cluster: str = CLUSTER_OPTION,
    yes: bool = YES_OPTION,
    delete_checkpoints: bool = typer.Option(False, "--delete-checkpoints",
                                            help="Also delete the checkpoint bucket and every checkpoint in it."),
    keep_stack: bool = typer.Option(False, "--keep-stack", help="Keep the empty stack (and its history) afterwards."),
    verify_only: bool = typer.Option(False, "--verify-only",
                                     help="Destroy nothing: only look in AWS for what is left of the cluster."),
    quiet: bool = QUIET_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Tear a cluster down. The checkpoint bucket is kept unless --delete-checkpoints.

    Asks you to type the cluster name (or pass --yes; without a terminal --yes is required).
    Afterwards the stack is removed from the backend (unless --keep-stack), the cluster stops
    being the active one, and AWS is checked for leftovers.
    """
    from ..engine import operations as ops
    from ..engine.stacks import clear_active
    from ..progress import ProgressView, describe_changes

    if verify_only:
        _verify(spec_path, cluster, None, as_json=as_json, quiet=quiet, kept=True)
        return
    session = _open(_target(spec_path, cluster), engine=True)
    name = session.target.name
    console = stderr()
    if delete_checkpoints:
        console.print("[red bold]warning:[/red bold] --delete-checkpoints deletes the checkpoint bucket and "
                      "every checkpoint in it, with all versions; this cannot be undone.")
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(f"refusing to destroy cluster {name} without confirmation in a non-interactive shell",
                             hint="pass --yes to confirm")
        typed = typer.prompt(f"Type the cluster name ({name}) to destroy it", err=True, default="", show_default=False)
        if typed.strip() != name:
            raise FtclusterError("the name did not match; nothing was destroyed")
    with ProgressView(console, f"destroying {session.label}", quiet=quiet) as view:
        result = ops.destroy(session, delete_checkpoints=delete_checkpoints, keep_stack=keep_stack,
                             on_event=view.handle, notify=_notify())
    clear_active(session.settings.home, session.stack_name)
    bucket = result.outputs_before.get("checkpoint_bucket")
    console.print(f"[green]destroyed[/green] {escape(session.label)}: {describe_changes(result.changes, done=True)}")
    if bucket and not delete_checkpoints:
        console.print(f"kept the checkpoint bucket [bold]{escape(str(bucket))}[/bold] and its checkpoints; to train "
                      f"on from them, set `training.checkpoints.bucket: {escape(str(bucket))}` in the spec before the "
                      "next `up` (delete the bucket in S3 once you no longer need it)")
    if result.stack_removed:
        console.print(f"removed stack {escape(session.stack_name)} from {escape(session.settings.backend_url)}")
    _verify(spec_path, cluster, session, as_json=as_json, quiet=quiet, kept=not delete_checkpoints,
            outputs=result.outputs_before)


def _verify(spec_path: Path | None, cluster: str | None, session: Any, *, as_json: bool, quiet: bool, kept: bool,
            outputs: dict[str, Any] | None = None) -> None:
    """The leftover check of `ftcluster.live`: what of the cluster is still in AWS."""
    from ..live.leftovers import find_leftovers

    target = session.target if session is not None else _target(spec_path, cluster)
    spec = target.spec
    region = target.region or (spec.region if spec else None)
    if region is None:
        raise UsageError("name the cluster with its region (e.g. --cluster NAME-REGION) or give its SPEC")
    outputs = outputs or {}
    with spinner(f"looking for leftovers of {target.name} in {region}", quiet or as_json):
        report = find_leftovers(target.name, region, outputs.get("vpc_id"),
                                endpoint_url=spec.endpoint_url if spec else None,
                                checkpoint_bucket=outputs.get("checkpoint_bucket"), checkpoints_kept=kept)
    if as_json:
        print_json(report.to_dict())
    else:
        from ..live.render import render_leftovers

        stdout().print(render_leftovers(report))
    if not report.clean:
        raise FtclusterError(f"{len(report.unexpected)} resource(s) of cluster {target.name} are still in AWS",
                             hint="delete them (see above), or run `ftcluster destroy` again if the stack still exists")


def refresh(
    spec_path: Path = SPEC_OPTIONAL,
    cluster: str = CLUSTER_OPTION,
    clear_pending_creates: bool = typer.Option(
        False, "--clear-pending-creates",
        help="Forget creations an interrupted run left unfinished (check AWS for orphans afterwards)."),
    quiet: bool = QUIET_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Bring the stack's state in line with what really exists in AWS (after an interruption or manual changes)."""
    from ..engine import operations as ops
    from ..progress import ProgressView, describe_changes

    session = _open(_target(spec_path, cluster), engine=True)
    with ProgressView(stderr(), f"refreshing {session.label}", quiet=quiet or as_json) as view:
        changes = ops.refresh(session, clear_pending_creates=clear_pending_creates, on_event=view.handle,
                              notify=_notify())
    if as_json:
        print_json({"cluster": session.target.name, "stack": session.stack_name, "changes": changes})
    else:
        stderr().print(f"[green]refreshed[/green] {escape(session.label)}: {describe_changes(changes, done=True)}")


def cancel(spec_path: Path = SPEC_OPTIONAL, cluster: str = CLUSTER_OPTION, yes: bool = YES_OPTION) -> None:
    """Release the lock an interrupted update left behind (then run `ftcluster refresh`).

    Only for runs that are gone: cancelling a live update can leave resources half changed.
    """
    from ..engine import operations as ops

    session = _open(_target(spec_path, cluster), engine=False)
    _confirm(f"release the update lock of {session.label}? Only do this if no ftcluster or pulumi run is "
             "still working on it", yes)
    console = stderr()
    if ops.cancel(session):
        console.print(f"[green]released[/green] the lock of {escape(session.label)}; next: "
                      f"[bold]ftcluster refresh --cluster {escape(session.stack_name)}[/bold]")
    else:
        console.print(f"no update of {escape(session.label)} is in progress; nothing to cancel")


def outputs(spec_path: Path = SPEC_OPTIONAL, cluster: str = CLUSTER_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Show a cluster's stack outputs, and its scale as the spec says and as deployed."""
    from ..engine import cluster_outputs

    result = cluster_outputs(spec_path, cluster, os.environ, notify=_notify())
    if as_json:
        print_json(result.to_dict())
        return
    from rich.table import Table

    console = stdout()
    console.print(f"[bold]{escape(result.name)}[/bold] in {result.region} (stack {escape(result.stack)})")
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("scale", "spec", "effective", "set by scale"):
        table.add_column(column)
    for key, values in result.scale.items():
        if values["spec"] is not None or values["effective"] is not None:
            table.add_row(key, str(values["spec"]), str(values["effective"]), str(result.overrides.get(key, "")))
    console.print(table)
    _print_outputs(result.outputs, False, "outputs")


def list_(backend: str = typer.Option(None, "--backend", help="State backend URL \\[default: $PULUMI_BACKEND_URL, "
                                      "else the ftcluster home]."), as_json: bool = JSON_OPTION) -> None:
    """List every ftcluster cluster in the state backend: region, last update, resource count."""
    from ..engine import list_clusters

    url, clusters = list_clusters(os.environ, backend, notify=_notify())
    if as_json:
        print_json({"backend": url, "clusters": [c.to_dict() for c in clusters]})
        return
    from rich.table import Table

    table = Table(title=f"clusters in {escape(url)}", title_justify="left", box=None, pad_edge=False,
                  header_style="bold")
    for column in ("", "stack", "name", "region"):
        table.add_column(column, no_wrap=True)  # names are looked up and copied: never split them
    table.add_column("last update", overflow="fold")
    table.add_column("resources", justify="right")
    for c in clusters:
        when = c.last_update.strftime("%Y-%m-%d %H:%M UTC") if c.last_update else "never"
        if c.update_in_progress:
            when += " [yellow](locked: running, or see `ftcluster cancel`)[/yellow]"
        table.add_row("*" if c.active else "", c.stack, c.name, c.region or "?", when, str(c.resource_count or 0))
    stdout().print(table if clusters else f"no clusters in {escape(url)}")
    if any(c.update_in_progress is None for c in clusters):
        stdout().print("[dim]locked: unknown (this backend does not say whether an update is running)[/dim]")


def use(cluster: str = typer.Argument(..., help="Cluster name, stack name or spec path.", show_default=False)) -> None:
    """Make a deployed cluster the active one (used when a command gets no SPEC or --cluster)."""
    from ..engine.stacks import write_active

    path = Path(cluster)
    spec_path = path if path.suffix in (".yaml", ".yml") or path.is_file() else None
    session = _open(_target(spec_path, None if spec_path else cluster), engine=False)
    write_active(session.settings.home, session.target, session.settings.backend_url)
    stderr().print(f"active cluster: [bold]{escape(session.label)}[/bold] (stack {escape(session.stack_name)})")


def install_pulumi(version: str = typer.Option(None, "--version", help="CLI version \\[default: the pulumi SDK's].")) -> None:
    """Install the Pulumi CLI into the ftcluster home (used from then on, whatever PATH says)."""
    from ..engine.install import install_pulumi_cli

    with spinner("installing the Pulumi CLI", False):
        path, installed = install_pulumi_cli(os.environ, version)
    stderr().print(f"[green]ready[/green]: Pulumi {installed} at {escape(str(path))}")


def register(app: typer.Typer) -> None:
    deploy = {"rich_help_panel": DEPLOY_PANEL}
    inspect = {"rich_help_panel": INSPECT_PANEL}
    recover = {"rich_help_panel": RECOVER_PANEL}
    app.command(**deploy, epilog=examples("ftcluster up configs/us-east-1.yaml",
                                          "ftcluster up configs/us-east-1.yaml --yes --quiet"))(up)
    app.command(**deploy, epilog=examples("ftcluster scale --tasks 8", "ftcluster scale --instances 6 --cluster llm-pretrain",
                                          "ftcluster scale --tasks 20 --adjust-limits", "ftcluster scale --reset"))(scale)
    app.command(**deploy, epilog=examples("ftcluster destroy", "ftcluster destroy configs/us-east-1.yaml --yes",
                                          "ftcluster destroy --verify-only --cluster llm-pretrain-us-east-1"))(destroy)
    app.command(**inspect, epilog=examples("ftcluster outputs", "ftcluster outputs --json | jq .outputs.checkpoint_uri"))(outputs)
    app.command("list", **inspect, epilog=examples("ftcluster list", "ftcluster list --json"))(list_)
    app.command(**inspect, epilog=examples("ftcluster use llm-pretrain", "ftcluster use configs/eu-west-1.yaml"))(use)
    app.command(**recover, epilog=examples("ftcluster refresh", "ftcluster refresh --clear-pending-creates"))(refresh)
    app.command(**recover, epilog=examples("ftcluster cancel --cluster llm-pretrain-us-east-1"))(cancel)
    app.command("install-pulumi", **recover, epilog=examples("ftcluster install-pulumi"))(install_pulumi)
