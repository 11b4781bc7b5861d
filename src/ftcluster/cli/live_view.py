"""Rich renderables for the live views (status, preflight, leftovers), from the plain data of ftcluster.live."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from ..live.leftovers import LeftoverReport
from ..live.preflight import PreflightReport
from ..live.preflight_checks import usd
from ..live.status_model import CapacityProviderState, ClusterStatus, ServiceState, StatusReport
from .ledger_view import status_ledger_line
from .tables import Table

STATE_STYLE = {"HEALTHY": "bold green", "COMPLETED": "bold blue", "DEGRADED": "bold yellow", "DOWN": "bold red"}
FINDING_MARK = {"down": "[red]✗[/red]", "degraded": "[yellow]![/yellow]", "info": "[dim]·[/dim]"}
LEVEL_STYLE = {"pass": "green", "warn": "yellow", "fail": "red", "skip": "dim"}
STOPPED_SHOWN = 10
EVENTS_SHOWN = 5


# --- status --------------------------------------------------------------------------------------


def render_status(report: StatusReport) -> RenderableType:
    status = report.status
    parts: list[RenderableType] = [_verdict_panel(report), _service_block("Training service", status.training, status)]
    if status.workers:
        parts.append(_service_block("Fleet workers", status.workers, status))
    if status.distributed_min_nodes is not None:
        parts.append(_elastic_job_line(status))
    parts.append(_tasks_table(status))
    if status.stopped_tasks():
        parts.append(_stopped_table(status))
    if status.fleet:
        parts.append(_fleet_block(status))
    elif status.group or status.capacity_provider:
        parts.append(_group_block(status))
    elif status.container_instances:
        parts.append(Text(f"Container instances registered: {len(status.container_instances)}"))
    if status.scaling:
        parts.append(_scaling_block(status))
    if status.training.events:
        parts.append(_events_table(status.training, status.gathered_at))
    parts.append(status_ledger_line(status))
    for note in status.notes:
        parts.append(Text(f"note: {note}", style="dim"))
    return Group(*parts)


def _verdict_panel(report: StatusReport) -> Panel:
    status, verdict = report.status, report.verdict
    lines = [f"{FINDING_MARK[f.level]} {escape(f.message)}" for f in verdict.findings]
    if not lines:
        lines = ["[green]✓[/green] every check passed"]
    title = f"[bold]{escape(status.cluster_name)}[/bold] · {escape(status.region)}"
    subtitle = f"[{STATE_STYLE[verdict.state]}]{verdict.state}[/]"
    return Panel(
        "\n".join(lines),
        title=title,
        subtitle=subtitle,
        title_align="left",
        subtitle_align="right",
        border_style=STATE_STYLE[verdict.state].split()[-1],
        expand=False,  # as wide as the findings need: piped output is very wide (output.py)
    )


def _service_block(title: str, service: ServiceState, status: ClusterStatus) -> RenderableType:
    head = Text.from_markup(
        f"[bold]{title}[/bold] {escape(service.name)}: {service.status.lower()} · desired {service.desired} · "
        f"running {service.running} · pending {service.pending}"
    )
    if not service.deployments:
        return head
    table = Table(
        "deployment",
        "status",
        "rollout",
        "running/desired",
        "failed",
        "task definition",
        "created",
        box=None,
        padding=(0, 1),
        header_style="dim",
    )
    for d in service.deployments:
        rollout = d.rollout_state or "-"
        style = {"FAILED": "red", "IN_PROGRESS": "yellow", "COMPLETED": "green"}.get(rollout, "")
        table.add_row(
            escape(d.id),
            d.status,
            f"[{style}]{rollout}[/]" if style else rollout,
            f"{d.running}/{d.desired}",
            str(d.failed_tasks),
            escape(d.task_definition or "-"),
            _ago(d.created_at, status.gathered_at),
        )
        if d.rollout_state == "FAILED" and d.rollout_state_reason:
            table.add_row("", "", f"[red]{escape(d.rollout_state_reason)}[/red]", "", "", "", "")
    return Group(head, table)


def _tasks_table(status: ClusterStatus) -> RenderableType:
    services = [s for s in (status.training, status.workers, status.rendezvous) if s]
    running = [t for s in services for t in status.running_tasks(s.name)]
    providers = sorted({t.capacity_provider for t in running}) or ["FARGATE", "FARGATE_SPOT"]
    table = Table(title="Running tasks by AZ and capacity provider", header_style="dim")
    table.add_column("AZ")
    for provider in providers:
        table.add_column(provider, justify="right")
    table.add_column("total", justify="right", style="bold")
    counts = Counter((t.availability_zone or "unknown", t.capacity_provider) for t in running)
    azs = sorted(set(status.expected_azs) | {az for az, _ in counts})
    for az in azs:
        row = [counts.get((az, p), 0) for p in providers]
        style = "red" if az in status.expected_azs and not sum(row) and running else ""
        table.add_row(az, *(str(n) for n in row), str(sum(row)), style=style)
    table.add_row(
        "all",
        *(str(sum(counts.get((az, p), 0) for az in azs)) for p in providers),
        str(len(running)),
        style="bold",
        end_section=True,
    )
    return table


def _stopped_table(status: ClusterStatus) -> RenderableType:
    stopped = status.stopped_tasks()
    spot = len(status.spot_interruptions())
    several_services = len({t.service for t in stopped}) > 1
    table = Table(title=f"Stopped recently: {len(stopped)} (Spot interruptions: {spot})", header_style="dim")
    for column in ("stopped", "task", *(["service"] if several_services else []), "provider", "AZ", "stop code"):
        table.add_column(column)
    table.add_column("reason", ratio=1)  # no min_width: in a narrow terminal that would push the table past its edge
    for task in stopped[:STOPPED_SHOWN]:
        service = [escape(task.service or "-")] if several_services else []
        table.add_row(
            _ago(task.stopped_at, status.gathered_at),
            task.id[:8],
            *service,
            task.capacity_provider,
            task.availability_zone or "-",
            task.stop_code or "-",
            escape(task.stopped_reason or "-"),
            style="yellow" if task.spot_interrupted else "",
        )
    if len(stopped) > STOPPED_SHOWN:
        table.caption = f"{len(stopped) - STOPPED_SHOWN} more not shown (see --json)"
    return table


def _fleet_block(status: ClusterStatus) -> RenderableType:
    fleet = status.fleet
    assert fleet is not None
    agents = sum(1 for c in status.container_instances if c.agent_connected)
    head = Text.from_markup(
        f"[bold]Spot Fleet[/bold] {escape(fleet.request_id)}: {fleet.state}"
        f"{' / ' + fleet.activity_status if fleet.activity_status else ''} · target {fleet.target} · "
        f"fulfilled {fleet.fulfilled:g} · instances running {fleet.running_instances} · "
        f"container instances registered {len(status.container_instances)} ({agents} agent connected)"
    )
    if not fleet.instances:
        return head
    table = Table("instance type", "AZ", "lifecycle", "state", "count", box=None, padding=(0, 1), header_style="dim")
    groups = Counter((i.instance_type, i.availability_zone or "-", i.lifecycle, i.state) for i in fleet.instances)
    for (instance_type, az, lifecycle, state), count in sorted(groups.items()):
        table.add_row(instance_type, az, lifecycle, state, str(count), style="" if state == "running" else "yellow")
    return Group(head, table)


def _group_block(status: ClusterStatus) -> RenderableType:
    group, provider = status.group, status.capacity_provider
    agents = sum(1 for c in status.container_instances if c.agent_connected)
    joined = f"container instances registered {len(status.container_instances)} ({agents} agent connected)"
    lines: list[RenderableType] = []
    if group is not None and group.status == "MISSING":
        lines.append(Text(f"Auto Scaling group {group.name}: not found", style="yellow"))
    elif group is not None:
        state = "" if group.status == "ACTIVE" else f" [yellow]{escape(group.status)}[/yellow] ·"
        lines.append(
            Text.from_markup(
                f"[bold]Auto Scaling group[/bold] {escape(group.name)}:{state} desired {group.desired} · "
                f"min {group.min} · max {group.max} · in service {group.in_service} · {joined}"
            )
        )
    if provider is not None:
        lines.append(
            Text.from_markup(f"[bold]Capacity provider[/bold] {escape(provider.name)}: {_provider_text(provider)}")
        )
    if group is None or not group.instances:
        return Group(*lines)
    table = Table(
        "instance type",
        "AZ",
        "lifecycle",
        "state",
        "health",
        "protected",
        "count",
        box=None,
        padding=(0, 1),
        header_style="dim",
    )
    groups = Counter(
        (
            i.instance_type,
            i.availability_zone or "-",
            i.lifecycle,
            i.lifecycle_state,
            i.health,
            "yes" if i.protected_from_scale_in else "no",
        )
        for i in group.instances
    )
    for (instance_type, az, lifecycle, state, health, protected), count in sorted(groups.items()):
        healthy = state == "InService" and health == "Healthy"
        table.add_row(
            instance_type, az, lifecycle, state, health, protected, str(count), style="" if healthy else "yellow"
        )
    return Group(*lines, table)


def _provider_text(provider: CapacityProviderState) -> str:
    if provider.status == "MISSING":
        return "[yellow]not found[/yellow]"
    parts = [provider.status if provider.status == "ACTIVE" else f"[yellow]{escape(provider.status)}[/yellow]"]
    scaling = provider.managed_scaling or "-"
    target = f" (target {provider.target_capacity}%)" if provider.target_capacity is not None else ""
    parts.append(
        f"managed scaling {scaling if scaling == 'ENABLED' else f'[yellow]{escape(scaling)}[/yellow]'}{target}"
    )
    parts.append(f"termination protection {provider.managed_termination_protection or '-'}")
    parts.append(f"draining {provider.managed_draining or '-'}")
    if provider.update_status:
        failed = provider.update_status.endswith("_FAILED")
        update = escape(
            provider.update_status
            + (f": {provider.update_status_reason}" if provider.update_status_reason and failed else "")
        )
        parts.append(f"last change [red]{update}[/red]" if failed else f"last change {update}")
    return " · ".join(parts)


def _elastic_job_line(status: ClusterStatus) -> RenderableType:
    workers, rendezvous = status.workers, status.rendezvous
    running = workers.running if workers and workers.exists else 0
    count = f"{running} worker(s) running"
    if running < (status.distributed_min_nodes or 0):
        count = f"[red]{count}[/red]"
    head = f"[bold]Elastic job[/bold]: {count} (min {status.distributed_min_nodes}"
    head += f", desired {workers.desired})" if workers else ")"
    if rendezvous is not None:
        ok = rendezvous.exists and rendezvous.running >= 1
        state = f"{rendezvous.running}/{rendezvous.desired} running" if rendezvous.exists else rendezvous.status.lower()
        head += f" · rendezvous {escape(rendezvous.name)} " + (state if ok else f"[red]{escape(state)}[/red]")
    if status.rendezvous_endpoint:
        head += f" at {escape(status.rendezvous_endpoint)}"
    return Text.from_markup(head)


def _scaling_block(status: ClusterStatus) -> RenderableType:
    scaling = status.scaling
    assert scaling is not None
    if not scaling.registered:
        return Text(f"Auto scaling: no target registered for {scaling.resource_id}", style="yellow")
    head = Text.from_markup(
        f"[bold]Auto scaling[/bold]: min {scaling.min} · max {scaling.max} · current {status.training.desired}"
        f"{' · [yellow]suspended[/yellow]' if scaling.suspended else ''}"
    )
    if not scaling.activities:
        return head
    table = Table("when", "status", "activity", box=None, padding=(0, 1), header_style="dim")
    for activity in scaling.activities[:EVENTS_SHOWN]:
        style = "red" if activity.status == "Failed" else ""
        text = activity.description + (f" ({activity.message})" if activity.message else "")
        table.add_row(_ago(activity.started_at, status.gathered_at), activity.status, escape(text), style=style)
    return Group(head, table)


def _events_table(service: ServiceState, now: datetime) -> RenderableType:
    table = Table(
        "when",
        "event",
        title=f"Last service events of {service.name}",
        header_style="dim",
        box=None,
        padding=(0, 1),
    )
    for event in service.events[:EVENTS_SHOWN]:
        table.add_row(_ago(event.created_at, now), escape(event.message))
    return table


# --- preflight -----------------------------------------------------------------------------------


def render_preflight(report: PreflightReport) -> RenderableType:
    where = f" via {escape(report.endpoint)}" if report.endpoint else ""
    parts: list[RenderableType] = [
        Text.from_markup(f"[bold]Preflight[/bold] for {escape(report.cluster)} in {escape(report.region)}{where}")
    ]
    table = Table(box=None, padding=(0, 1), show_header=False)
    table.add_column(width=5)
    table.add_column(style="bold")
    table.add_column()
    for check in report.checks:
        lines = [escape(check.summary)] + [f"[dim]- {escape(d)}[/dim]" for d in check.details]
        if check.fix and check.level in ("warn", "fail"):
            lines.append(f"[{LEVEL_STYLE[check.level]}]fix:[/] {escape(check.fix)}")
        table.add_row(f"[{LEVEL_STYLE[check.level]}]{check.level.upper()}[/]", escape(check.title), "\n".join(lines))
    parts.append(table)
    prices = next((c for c in report.checks if c.id == "spot_prices" and c.data.get("spot")), None)
    if prices:
        parts.append(_price_table(prices.data))
    counts = Counter(c.level for c in report.checks)
    verdict = "[red]cannot deploy as it is[/red]" if not report.ok else "[green]ready to deploy[/green]"
    parts.append(
        Text.from_markup(
            f"{counts['pass']} passed, {counts['warn']} warning(s), {counts['fail']} failed, "
            f"{counts['skip']} skipped: {verdict}"
        )
    )
    return Group(*parts)


def _price_table(data: dict) -> Table:
    spot: dict[str, dict[str, float | None]] = data["spot"]
    azs = sorted({az for by_az in spot.values() for az in by_az})
    table = Table(title="Current prices, USD per instance-hour", header_style="dim")
    table.add_column("instance type")
    for az in azs:
        table.add_column(f"Spot {az}", justify="right")
    table.add_column("on-demand", justify="right")
    on_demand = data.get("on_demand") or {}
    for instance_type, by_az in spot.items():
        od = on_demand.get(instance_type)
        table.add_row(instance_type, *(_price(by_az.get(az)) for az in azs), _price(od) if od else "n/a")
    return table


# --- leftovers -----------------------------------------------------------------------------------


def render_leftovers(report: LeftoverReport) -> RenderableType:
    parts: list[RenderableType] = []
    if report.items:
        table = Table(
            "",
            "kind",
            "id",
            "found by",
            "note",
            header_style="dim",
            title=f"Left of cluster {report.cluster} in {report.region}",
        )
        for item in report.items:
            mark = "[dim]kept[/dim]" if item.expected else "[red]LEFTOVER[/red]"
            table.add_row(mark, item.kind, escape(item.id), item.found_by, escape(item.note or ""))
        parts.append(table)
    unexpected = len(report.unexpected)
    if unexpected:
        parts.append(
            Text.from_markup(
                f"[red]{unexpected} resource(s) survived the destroy[/red]; delete them "
                "in the AWS console or CLI (they may cost money or block a new cluster)"
            )
        )
    elif report.items:
        parts.append(Text.from_markup("[green]nothing left behind[/green] apart from what destroy keeps on purpose"))
    else:
        parts.append(Text.from_markup(f"[green]nothing left[/green] of cluster {escape(report.cluster)}"))
    parts.extend(Text(f"note: {note}", style="dim") for note in report.notes)
    return Group(*parts)


# --- helpers -------------------------------------------------------------------------------------


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "-"
    seconds = int((now - when).total_seconds())
    if seconds < 0:
        return when.strftime("%H:%M:%S")
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def _price(value: float | None) -> str:
    return "-" if value is None else usd(value)
