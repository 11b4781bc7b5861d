"""How a drill looks: its plan (before asking, and for --dry-run) and its report."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.text import Text

from ..drill.model import DrillPlan, DrillReport
from .cost_view import span
from .ledger_view import duration
from .tables import Table


def render_plan(plan: DrillPlan, *, with_permissions: bool = False) -> RenderableType:
    lines = [
        f"[bold]drill {plan.fault}[/bold] on cluster [bold]{escape(plan.cluster)}[/bold] ({escape(plan.region)})",
        f"target: [bold]{escape(plan.target.description)}[/bold]",
        "it will:",
        *(f"  - {escape(action)}" for action in plan.actions),
        f"then wait up to {duration(plan.timeout_seconds)} for:",
        *(f"  - {escape(item)}" for item in plan.recovery),
    ]
    if with_permissions:
        lines.append("IAM actions it needs:")
        lines += [f"  - {action}" for action in plan.iam_actions]
    return Text.from_markup("\n".join(lines))


def render_report(report: DrillReport) -> RenderableType:
    plan, recovery = report.plan, report.recovery
    head = Text.from_markup(
        f"[bold]drill {plan.fault}[/bold] on {escape(plan.cluster)} · {escape(plan.target.description)} · "
        f"{report.drill_id}"
    )
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("fault injected", f"{_clock(report.fault_at)} UTC")
    for label, moment in (
        ("detected (target gone)", recovery.detected_at),
        ("replacement running", recovery.replacement_at),
        ("desired count running", recovery.back_at),
        ("training resumed", recovery.resumed_at),
    ):
        after = report.seconds_after_fault(moment)
        table.add_row(
            label,
            f"+{duration(after)}  ({_clock(moment)})" if moment and after is not None else "[yellow]not seen[/yellow]",
        )
    since = f" (since the checkpoint at {_clock(report.last_checkpoint)})" if report.last_checkpoint else ""
    table.add_row("work lost", duration(report.work_lost_seconds) + since)
    cost = "-"
    if report.cost is not None:
        cost = f"{span(report.cost)}: {duration(report.lost_seconds)} of the {plan.target.job} job without progress"
        cost += "" if report.recovery.resumed_at else " (so far: training has not resumed)"
    table.add_row("cost of the interruption", cost)
    if report.recovered:
        verdict = Text.from_markup(
            f"[bold green]RECOVERED[/bold green] in {duration(report.seconds_after_fault(_last(report)))}"
        )
    else:
        verdict = Text.from_markup(
            f"[bold red]NOT RECOVERED[/bold red] within {duration(plan.timeout_seconds)}; still missing:\n  - "
            + "\n  - ".join(escape(item) for item in recovery.missing)
        )
    parts: list[RenderableType] = [head, table, verdict]
    if recovery.timeline:
        timeline = Table("time", "what", header_style="dim", box=None, padding=(0, 1), title="Timeline")
        for moment, what in recovery.timeline:
            timeline.add_row(_clock(moment), escape(what))
        parts.append(timeline)
    parts.extend(Text(f"note: {note}", style="dim") for note in report.notes)
    return Group(*parts)


def _last(report: DrillReport) -> datetime | None:
    recovery = report.recovery
    moments = [t for t in (recovery.detected_at, recovery.replacement_at, recovery.back_at, recovery.resumed_at) if t]
    return max(moments) if moments else None


def _clock(moment: datetime | None) -> str:
    return moment.strftime("%H:%M:%S") if moment else "-"
