"""Rich renderables for the interruption ledger (`events`) and a drill's report (`drill`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.text import Text

from ..cost.model import Cost
from ..ledger import model as m
from ..live.status_model import ClusterStatus
from .cost_view import span
from .tables import Table

HIDDEN_KINDS = (m.TASK_STARTED,)  # every task start would drown the ledger; --json has them
KIND_WORDS = {
    m.SPOT_NOTICE: "Spot notice",
    m.REBALANCE: "rebalance recommendation",
    m.TASK_STOPPED: "task stopped",
    m.TASK_STARTED: "task started",
    m.JOB_COMPLETED: "job completed",
    m.INSTANCE_LAUNCHED: "instance launched",
    m.INSTANCE_TERMINATED: "instance terminated",
    m.INSTANCE_FAILED: "instance change failed",
    m.DRILL_STARTED: "drill",
    m.DRILL_FINISHED: "drill report",
}
KIND_STYLE = {m.SPOT_NOTICE: "yellow", m.DRILL_STARTED: "cyan", m.DRILL_FINISHED: "cyan", m.INSTANCE_FAILED: "red"}
CAUSE_WORDS = {m.CAUSE_SPOT: "Spot", m.CAUSE_LOST: "instance lost", m.CAUSE_FAILURE: "failure", m.CAUSE_DRILL: "drill"}


def render_ledger(ledger: m.Ledger) -> RenderableType:
    parts: list[RenderableType] = [
        Text.from_markup(
            f"[bold]{escape(ledger.cluster)}[/bold] · {escape(ledger.region)} · events from "
            f"{_stamp(ledger.since)} to {_stamp(ledger.until)} UTC ({escape(ledger.log_group)})"
        )
    ]
    shown = [e for e in ledger.events if e.kind not in HIDDEN_KINDS]
    if shown:
        parts.append(_events_table(shown, ledger.until - ledger.since > timedelta(days=1)))
    else:
        parts.append(Text("no events recorded in this window", style="dim"))
    if ledger.interruptions:
        parts.append(_interruptions_table(ledger.interruptions))
    parts.append(Text.from_markup(summary_line(ledger.summary)))
    parts.extend(Text(f"note: {note}", style="dim") for note in ledger.notes)
    return Group(*parts)


def _events_table(events: list[m.LedgerEvent], long_window: bool) -> Table:
    table = Table("time", "event", "service", "what happened", header_style="dim", title="Events")
    for event in events:
        table.add_row(
            _clock(event.time, long_window),
            KIND_WORDS.get(event.kind, event.kind),
            escape(event.service or "-"),
            escape(event.summary),
            style=KIND_STYLE.get(event.kind, ""),
        )
    return table


def _interruptions_table(interruptions: list[m.Interruption]) -> Table:
    table = Table(
        "notice",
        "cause",
        "what",
        "stopped",
        "replacement running",
        "training resumed",
        "work lost",
        "cost",
        header_style="dim",
        title="Interruptions (times after the notice)",
    )
    for item in interruptions:
        table.add_row(
            item.notice.strftime("%m-%d %H:%M:%S"),
            CAUSE_WORDS.get(item.cause, item.cause),
            escape(_short_id(item.subject) + (f" ({item.service})" if item.service else "")),
            _after(item.notice, item.stopped),
            _after(item.notice, item.replacement_running),
            _after(item.notice, item.training_resumed) if item.resumed else "[yellow]not yet[/yellow]",
            duration(item.work_lost_seconds),
            _money(item.cost, item.resumed),
        )
    return table


def status_ledger_line(status: ClusterStatus) -> RenderableType:
    """The last interruption (from the event ledger) and how old the newest checkpoint is."""
    last = status.last_interruption
    if status.recording is False:
        ledger = "[yellow]not recorded[/yellow] (deployed before the event recording; `ftcluster up` adds it)"
    elif status.recording is None:
        ledger = "not read"
    elif last is None:
        ledger = "none in the last 7 days"
    else:
        where = f" ({escape(last.service)})" if last.service else ""
        ledger = f"{ago(last.notice, status.gathered_at)}: {escape(last.description)}{where}"
    newest = status.newest_checkpoint
    checkpoint = (
        f"newest checkpoint {ago(newest.last_modified, status.gathered_at)}"
        if newest is not None and newest.last_modified
        else "no checkpoint found"
    )
    return Text.from_markup(f"[bold]Last interruption[/bold]: {ledger} · {checkpoint} · details: `ftcluster events`")


def summary_line(summary: m.Summary) -> str:
    wall = duration(summary.wall_seconds) if summary.wall_seconds else "no time"
    causes = ", ".join(f"{CAUSE_WORDS.get(c, c)} {n}" for c, n in sorted(summary.by_cause.items()))
    # a rate from less than an hour of records says nothing
    long_enough = summary.per_day is not None and (summary.wall_seconds or 0) >= 3600
    per_day = f"{summary.per_day:.1f} per day" if long_enough else "too short a window for a daily rate"
    parts = [
        f"[bold]{summary.interruptions} interruption(s)[/bold] in {wall} ({per_day}"
        + (f"; {causes})" if causes else ")")
    ]
    parts.append(
        f"goodput {100 * summary.goodput:.1f}%" if summary.goodput is not None else "goodput unknown (no checkpoints)"
    )
    if summary.money_lost is not None:
        lost = f"lost to interruptions {span(summary.money_lost)}"
        parts.append(lost + (f" ({summary.unpriced} not priced)" if summary.unpriced else ""))
    elif summary.interruptions:
        parts.append("money lost unknown (not priced)")
    return " · ".join(parts)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s" if whole % 60 else f"{whole // 60} min"
    if whole < 86400:
        return f"{whole // 3600}h {whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d {whole % 86400 // 3600:02d}h"


def _after(start: datetime, moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return f"+{duration((moment - start).total_seconds())}"


def _money(cost: Cost | None, resumed: bool) -> str:
    if cost is None:
        return "-"
    return span(cost) if resumed else f"{span(cost)} so far"


def ago(moment: datetime | None, now: datetime) -> str:
    """ "4 min ago" (the status line's wording)."""
    if moment is None:
        return "-"
    seconds = (now - moment).total_seconds()
    return f"{duration(seconds)} ago" if seconds >= 0 else moment.strftime("%H:%M:%S")


def _short_id(subject: str) -> str:
    """A task id (a UUID, or 32 hex digits) by its first 8 characters, as the ECS console shows it; an
    instance id whole."""
    return subject if subject.startswith("i-") else subject[:8]


def _clock(moment: datetime, with_date: bool) -> str:
    return moment.strftime("%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")
