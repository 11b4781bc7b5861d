"""From ledger events and checkpoint times to interruptions and a summary: pure functions.

An interruption starts with its first sign (a Spot notice, a drill's fault, or an unplanned stop)
and gathers the events about the same task or instance that follow: the stop, then the first task of
the same service to run after the notice (its replacement), then the first checkpoint written after
the stop (training resumed). docs/drills-and-ledger.md defines every figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..cost.jobs import cost_of
from ..cost.model import ZERO, Cost
from . import model as m

# A task stopped with TerminationNotice belongs to the newest instance notice this recent (its event
# names a container instance, not the EC2 instance; the Spot notice comes two minutes before).
NOTICE_REACH = timedelta(minutes=10)
UNPLANNED_STOPS = {
    m.STOP_SPOT: m.CAUSE_SPOT,
    m.STOP_NOTICE: m.CAUSE_SPOT,
    m.STOP_EXIT: m.CAUSE_FAILURE,
    m.STOP_FAILED_START: m.CAUSE_FAILURE,
    m.STOP_INFRASTRUCTURE: m.CAUSE_LOST,
}
LOST_INSTANCE_CAUSES = {"health_check": m.CAUSE_LOST, "spot_interruption": m.CAUSE_SPOT}


@dataclass
class _Draft:
    cause: str
    subject: str
    service: str | None
    description: str
    notice: datetime
    stopped: datetime | None = None
    drill_id: str | None = None
    kinds: list[str] = field(default_factory=list)
    is_instance: bool = False
    replacement: datetime | None = None  # as the drill itself saw it, when no event of ECS says it


def interruptions_of(
    events: Sequence[m.LedgerEvent],
    checkpoints: Sequence[datetime],
    *,
    until: datetime,
    prices: Mapping[str, Cost | None],
    instance_service: str | None = None,
) -> list[m.Interruption]:
    """Interruptions in notice order. `prices`: USD/hour of the job each service belongs to (a
    service missing there has no price); `instance_service`: the service whose tasks run on the
    fleet's instances (an instance's interruption is that job's)."""
    drafts = _drafts(sorted(events, key=lambda e: e.time), instance_service)
    replacements = _replacements(drafts, [e for e in events if e.kind == m.TASK_STARTED])
    ordered = sorted(checkpoints)
    return [_measure(d, replacements.get(id(d)) or d.replacement, ordered, until, prices) for d in drafts]


def _drafts(events: Sequence[m.LedgerEvent], instance_service: str | None) -> list[_Draft]:
    drafts: list[_Draft] = []
    by_subject: dict[str, _Draft] = {}  # task id or instance id -> the interruption it belongs to
    by_drill: dict[str, _Draft] = {}

    def open_draft(event: m.LedgerEvent, cause: str, *, subject: str, instance: bool) -> _Draft:
        service = event.service or (instance_service if instance else None)
        draft = _Draft(cause, subject, service, event.summary, event.time, is_instance=instance)
        drafts.append(draft)
        by_subject[subject] = draft
        return draft

    for event in events:
        draft: _Draft | None
        if event.kind == m.DRILL_STARTED:
            target = event.details.get("target") or {}
            subject = str(target.get("id") or event.subject)
            draft = open_draft(event, m.CAUSE_DRILL, subject=subject, instance=target.get("kind") == "instance")
            draft.drill_id = event.drill_id
            by_drill[str(event.drill_id)] = draft
        elif event.kind == m.DRILL_FINISHED:
            draft = by_drill.get(str(event.drill_id))
            if draft is None:
                continue
            _drill_measures(draft, event.details.get("report") or {})
        elif event.kind == m.SPOT_NOTICE:
            known = by_subject.get(event.subject)
            if known is not None and known.stopped is None:
                known.kinds.append(event.kind)  # a drill's notice, or a repeated one
                continue
            draft = open_draft(event, m.CAUSE_SPOT, subject=event.subject, instance=event.instance_id == event.subject)
        elif event.kind == m.TASK_STOPPED:
            draft = _owner(event, by_subject, by_drill, drafts)
            if draft is None and event.reason in UNPLANNED_STOPS:
                draft = open_draft(event, UNPLANNED_STOPS[str(event.reason)], subject=event.subject, instance=False)
            if draft is None:
                continue  # a planned stop: scale-in, deployment, a user's StopTask
            draft.stopped = min(draft.stopped or event.time, event.time)
        elif event.kind == m.INSTANCE_TERMINATED:
            draft = by_subject.get(event.subject)
            if draft is None and event.reason in LOST_INSTANCE_CAUSES:
                draft = open_draft(event, LOST_INSTANCE_CAUSES[str(event.reason)], subject=event.subject, instance=True)
            if draft is None:
                continue
            draft.stopped = min(draft.stopped or event.time, event.time)  # the work stopped with its first task
        else:
            continue
        draft.kinds.append(event.kind)
    return drafts


def _drill_measures(draft: _Draft, report: dict[str, Any]) -> None:
    """What the drill measured fills what no recorded event says (an emulator records no ECS events;
    AWS's own, when recorded, come first)."""

    def after(key: str) -> datetime | None:
        seconds = report.get(key)
        return draft.notice + timedelta(seconds=float(seconds)) if isinstance(seconds, int | float) else None

    draft.stopped = draft.stopped or after("time_to_detection_seconds")
    draft.replacement = after("time_to_replacement_running_seconds")


def _owner(
    stop: m.LedgerEvent, by_subject: dict[str, _Draft], by_drill: dict[str, _Draft], drafts: list[_Draft]
) -> _Draft | None:
    """The interruption a task's stop belongs to: its drill, its own notice, its instance's, or the
    newest instance notice before it when ECS stopped it for a termination notice."""
    if stop.drill_id and stop.drill_id in by_drill:
        return by_drill[stop.drill_id]
    for key in (stop.subject, stop.instance_id):
        if key and key in by_subject:
            return by_subject[key]
    if stop.reason == m.STOP_NOTICE:
        recent = [d for d in drafts if d.is_instance and stop.time - NOTICE_REACH <= d.notice <= stop.time]
        return recent[-1] if recent else None
    return None


def _replacements(drafts: list[_Draft], starts: list[m.LedgerEvent]) -> dict[int, datetime]:
    """Each interruption's replacement: the first task of its service to run after its notice, each
    start used once (two lost tasks need two replacements)."""
    unused = sorted(starts, key=lambda e: e.time)
    found: dict[int, datetime] = {}
    for draft in sorted(drafts, key=lambda d: d.notice):
        for start in unused:
            if start.time > draft.notice and (draft.service is None or start.service == draft.service):
                found[id(draft)] = start.time
                unused.remove(start)
                break
    return found


@dataclass(frozen=True)
class Loss:
    """What an interruption cost in progress, from the checkpoint times around its stop."""

    last_checkpoint: datetime | None  # the newest checkpoint at or before the stop
    resumed: datetime | None  # the first checkpoint after the stop: training made progress again
    work_lost_seconds: float | None  # stop - last checkpoint
    lost_from: datetime | None  # last checkpoint, else the notice; None without any checkpoint at all
    lost_until: datetime | None  # resumed, else `until`

    @property
    def lost_seconds(self) -> float | None:
        if self.lost_from is None or self.lost_until is None:
            return None
        return (self.lost_until - self.lost_from).total_seconds()


def loss(notice: datetime, stop: datetime, checkpoints: Sequence[datetime], until: datetime) -> Loss:
    """The loss of work stopped at `stop` (noticed at `notice`), judged by `checkpoints` (sorted)."""
    if not checkpoints:  # without any checkpoint, progress cannot be seen at all
        return Loss(None, None, None, None, None)
    before = [c for c in checkpoints if c <= stop]
    last = before[-1] if before else None
    resumed = next((c for c in checkpoints if c > stop), None)
    work_lost = (stop - last).total_seconds() if last else None
    return Loss(last, resumed, work_lost, last or notice, resumed or max(until, stop))


def _measure(
    draft: _Draft,
    replacement: datetime | None,
    checkpoints: Sequence[datetime],
    until: datetime,
    prices: Mapping[str, Cost | None],
) -> m.Interruption:
    found = loss(draft.notice, draft.stopped or draft.notice, checkpoints, until)
    price = prices.get(draft.service) if draft.service else None
    return m.Interruption(
        cause=draft.cause,
        subject=draft.subject,
        service=draft.service,
        description=draft.description,
        notice=draft.notice,
        stopped=draft.stopped,
        replacement_running=replacement,
        training_resumed=found.resumed,
        last_checkpoint=found.last_checkpoint,
        work_lost_seconds=found.work_lost_seconds,
        lost_from=found.lost_from,
        lost_until=found.lost_until,
        lost_seconds=found.lost_seconds,
        cost=cost_of(price, found.lost_seconds),
        resumed=found.resumed is not None,
        drill_id=draft.drill_id,
        events=tuple(draft.kinds),
    )


def summarize(
    interruptions: Sequence[m.Interruption],
    *,
    start: datetime,
    end: datetime,
    checkpoints_seen: int,
    prices: Mapping[str, Cost | None],
) -> m.Summary:
    """The ledger's summary over the window start..end (docs/drills-and-ledger.md: goodput). Lost
    time that several interruptions share (one checkpoint gap, two losses) counts once, in goodput
    and in the money lost alike."""
    wall = (end - start).total_seconds()
    by_cause: dict[str, int] = {}
    for interruption in interruptions:
        by_cause[interruption.cause] = by_cause.get(interruption.cause, 0) + 1
    spans: dict[str | None, list[tuple[datetime, datetime]]] = {}
    for i in interruptions:
        if i.lost_from is not None and i.lost_until is not None:
            spans.setdefault(i.service, []).append((max(i.lost_from, start), min(i.lost_until, end)))
    goodput = None
    if checkpoints_seen and wall > 0:
        goodput = max(0.0, 1 - _union([s for group in spans.values() for s in group]) / wall)
    money: Cost | None = ZERO
    for service, group in spans.items():
        hourly = prices.get(service) if service else None
        lost = cost_of(hourly, _union(group))
        money = money + lost if money is not None and lost is not None else None
    unpriced = sum(1 for i in interruptions if i.cost is None)
    return m.Summary(
        wall_seconds=wall if wall > 0 else None,
        interruptions=len(interruptions),
        by_cause=by_cause,
        per_day=len(interruptions) / (wall / 86400) if wall > 0 else None,
        goodput=goodput,
        money_lost=money if money is not None and (spans or not interruptions) else None,
        unpriced=unpriced,
    )


def _union(spans: list[tuple[datetime, datetime]]) -> float:
    total, current_start, current_end = 0.0, None, None
    for span_start, span_end in sorted(s for s in spans if s[1] > s[0]):
        if current_end is None or span_start > current_end:
            if current_end is not None and current_start is not None:
                total += (current_end - current_start).total_seconds()
            current_start, current_end = span_start, span_end
        else:
            current_end = max(current_end, span_end)
    if current_end is not None and current_start is not None:
        total += (current_end - current_start).total_seconds()
    return total
