"""Read a cluster's interruption ledger from AWS: its event log group, its checkpoints, its prices.

Read-only and bounded: at most `event_limit` recorded events and DEFAULT_LIMIT checkpoint versions,
with a note when either limit was reached.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ..aws import AwsError, AwsSession, aws_call, pages
from ..cost.jobs import TRAINING_JOB, WORKERS_JOB, deployed_job_hourly
from ..cost.model import Cost
from ..errors import FtclusterError
from ..program.names import event_log_group
from ..spec import Spec
from . import model as m
from .checkpoints import CheckpointTimes, checkpoint_times
from .correlate import interruptions_of, summarize
from .parse import parse_event

DEFAULT_EVENT_LIMIT = 20_000  # two FilterLogEvents pages at most, when they come full
# events that can only be about the cluster's own instances (the rules match the group, the fleet,
# the cluster's tasks, ftcluster's drills), unlike a Spot notice, which the rule takes region-wide
OWN_INSTANCE_EVENTS = (m.INSTANCE_LAUNCHED, m.INSTANCE_TERMINATED, m.INSTANCE_FAILED, m.TASK_STOPPED, m.DRILL_STARTED)


def read_ledger(
    outputs: Mapping[str, Any],
    spec: Spec | None,
    *,
    session: AwsSession,
    since: datetime,
    now: datetime | None = None,
    event_limit: int = DEFAULT_EVENT_LIMIT,
) -> m.Ledger:
    until = now or datetime.now(timezone.utc)
    cluster, region = str(outputs["cluster_name"]), str(outputs["region"])
    group = str(outputs.get("event_log_group") or event_log_group(cluster))
    notes: list[str] = []
    created = log_group_created(session, group, cluster, declared=bool(outputs.get("event_log_group")))
    raw, truncated = read_raw_events(session, group, since, until, event_limit)
    if truncated:
        notes.append(f"read the first {event_limit:,} recorded events only; narrow --since to see the rest")
    events, malformed = parse_all(raw)
    if malformed:
        notes.append(f"{malformed} recorded event(s) could not be read and are left out")
    seen = {e.instance_id for e in events if e.kind in OWN_INSTANCE_EVENTS and e.instance_id}
    instances = cluster_instances(session, outputs, notes) | seen
    events = [e for e in events if e.kind not in (m.SPOT_NOTICE, m.REBALANCE) or _ours(e, instances)]
    checkpoints = _checkpoints(session, outputs, notes)
    prices = service_prices(outputs, spec, notes)
    interruptions = interruptions_of(
        events,
        checkpoints.times,
        until=until,
        prices=prices,
        instance_service=outputs.get("workers_service_name") or None,
    )
    start = max(since, created) if created else since
    end = _finished(events) or until
    summary = summarize(interruptions, start=start, end=end, checkpoints_seen=len(checkpoints.times), prices=prices)
    if created and created > since:
        notes.append(f"the cluster records events since {created:%Y-%m-%d %H:%M} UTC: nothing before is known")
    if not checkpoints.times:
        notes.append("no checkpoints found: work lost, training resumed and goodput need the checkpoint times")
    return m.Ledger(
        cluster=cluster,
        region=region,
        log_group=group,
        since=start,
        until=end,
        events=events,
        interruptions=interruptions,
        summary=summary,
        checkpoints_seen=len(checkpoints.times),
        notes=notes + checkpoints.notes,
    )


def last_interruption(
    session: AwsSession, outputs: Mapping[str, Any], *, since: datetime, instances: set[str], limit: int = 5_000
) -> tuple[bool, m.Interruption | None]:
    """(recorded, the newest interruption since `since`) for `status`: the events only, no checkpoints
    or prices; `instances`: the fleet's instances status already read (for region-wide Spot notices).
    `recorded` is False when the cluster has no event log group."""
    cluster = str(outputs["cluster_name"])
    group = str(outputs.get("event_log_group") or event_log_group(cluster))
    try:
        log_group_created(session, group, cluster, declared=bool(outputs.get("event_log_group")))
    except AwsError:
        raise
    except FtclusterError:
        return False, None
    until = datetime.now(timezone.utc)
    events, _ = parse_all(read_raw_events(session, group, since, until, limit)[0])
    instances = instances | {e.instance_id for e in events if e.kind in OWN_INSTANCE_EVENTS and e.instance_id}
    events = [e for e in events if e.kind not in (m.SPOT_NOTICE, m.REBALANCE) or _ours(e, instances)]
    found = interruptions_of(
        events, [], until=until, prices={}, instance_service=outputs.get("workers_service_name") or None
    )
    return True, found[-1] if found else None


def _finished(events: list[m.LedgerEvent]) -> datetime | None:
    """When the job finished, if no task started after that: the time after it is no training time (the
    other tasks' stops that follow, as the job is scaled to 0, do not reopen it)."""
    done = [e.time for e in events if e.kind == m.JOB_COMPLETED]
    if not done or any(e.kind == m.TASK_STARTED and e.time > done[-1] for e in events):
        return None
    return done[-1]


def log_group_created(session: AwsSession, group: str, cluster: str, *, declared: bool) -> datetime | None:
    """When the recording began; raises when the cluster has no event log group (`declared`: the stack
    says it made one, so it went missing in AWS; else the cluster predates the recording)."""
    logs = session.client("logs")
    with aws_call(f"looking up the event log group {group}"):
        found = [
            g
            for g in pages(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=group)
            if g["logGroupName"] == group
        ]
    if not found and declared:
        raise FtclusterError(
            f"cluster {cluster}'s event log group {group} is not in AWS, though the stack made it",
            hint="it was deleted outside ftcluster: `ftcluster refresh`, then `ftcluster up SPEC` makes it again "
            "(the events it held are gone)",
        )
    if not found:
        raise FtclusterError(
            f"cluster {cluster} records no events: there is no log group {group}",
            hint="`ftcluster up SPEC` adds the event recording (clusters deployed before it have none); "
            "events before that cannot be recovered",
        )
    created = found[0].get("creationTime")
    return datetime.fromtimestamp(created / 1000, tz=timezone.utc) if created else None


def read_raw_events(
    session: AwsSession, group: str, since: datetime, until: datetime, limit: int
) -> tuple[list[tuple[datetime, str]], bool]:
    """(log timestamp, message) of the recorded events in since..until, oldest first; True when cut at `limit`."""
    logs = session.client("logs")
    found: list[tuple[datetime, str]] = []
    window = {"startTime": _ms(since), "endTime": _ms(until)}
    with aws_call(f"reading the recorded events in {group}"):
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group, **window):
            for item in page.get("events") or []:
                found.append((datetime.fromtimestamp(item["timestamp"] / 1000, tz=timezone.utc), item["message"]))
                if len(found) >= limit:
                    return sorted(found, key=lambda pair: pair[0]), True
    return sorted(found, key=lambda pair: pair[0]), False


def parse_all(raw: list[tuple[datetime, str]]) -> tuple[list[m.LedgerEvent], int]:
    """Ledger events oldest first, each task's start once; and how many records were unreadable."""
    events: list[m.LedgerEvent] = []
    malformed = 0
    started: set[str] = set()
    for stamp, message in raw:
        try:
            record = json.loads(message)
        except ValueError:
            malformed += 1
            continue
        event = parse_event(record, stamp) if isinstance(record, dict) else None
        if event is None:
            malformed += 1 if not isinstance(record, dict) or "detail-type" not in record else 0
            continue
        if event.kind == m.TASK_STARTED:
            if event.subject in started:
                continue  # ECS sends RUNNING again when a container changes; the first is the start
            started.add(event.subject)
        events.append(event)
    return sorted(events, key=lambda e: e.time), malformed


def cluster_instances(session: AwsSession, outputs: Mapping[str, Any], notes: list[str]) -> set[str]:
    """The instances the group or fleet holds now (Spot notices carry only an instance id)."""
    found: set[str] = set()
    try:
        if outputs.get("auto_scaling_group_name"):
            with aws_call("describing the Auto Scaling group"):
                for group in pages(
                    session.client("autoscaling"),
                    "describe_auto_scaling_groups",
                    "AutoScalingGroups",
                    AutoScalingGroupNames=[str(outputs["auto_scaling_group_name"])],
                ):
                    found |= {i["InstanceId"] for i in group.get("Instances") or []}
        if outputs.get("spot_fleet_request_id"):
            with aws_call("describing the Spot Fleet's instances"):
                answer = session.client("ec2").describe_spot_fleet_instances(
                    SpotFleetRequestId=str(outputs["spot_fleet_request_id"])
                )
                found |= {i["InstanceId"] for i in answer.get("ActiveInstances") or []}
    except AwsError as err:
        if err.kind in ("credentials", "unreachable"):
            raise
        notes.append(
            f"the fleet's instances not read ({err.message}); Spot notices of instances the ledger saw launch are kept"
        )
    return found


def service_prices(outputs: Mapping[str, Any], spec: Spec | None, notes: list[str]) -> dict[str, Cost | None]:
    """USD/hour of the job each service belongs to, at the deployed counts."""
    if spec is None:
        notes.append("no spec recorded for this cluster: interruptions are not priced")
        return {}
    hourly = deployed_job_hourly(spec, outputs)
    prices: dict[str, Cost | None] = {}
    if outputs.get("service_name"):
        prices[str(outputs["service_name"])] = hourly.get(TRAINING_JOB)
    for key in ("workers_service_name", "rendezvous_service_name"):
        if outputs.get(key):
            prices[str(outputs[key])] = hourly.get(WORKERS_JOB)
    if any(price is None for price in prices.values()):
        notes.append("the price table misses part of the cluster: some interruptions are not priced")
    return prices


def _checkpoints(session: AwsSession, outputs: Mapping[str, Any], notes: list[str]) -> CheckpointTimes:
    uri = outputs.get("checkpoint_uri")
    if not uri:
        notes.append("the stack names no checkpoint location")
        return CheckpointTimes([])
    try:
        return checkpoint_times(session, str(uri))
    except AwsError as err:
        if err.kind in ("credentials", "unreachable"):
            raise
        notes.append(f"checkpoints not read: {err.message}")
        return CheckpointTimes([])


def _ours(event: m.LedgerEvent, instances: set[str]) -> bool:
    """A Spot notice of a task is the cluster's (the rule matched its cluster); one of an instance only
    when the instance is the cluster's."""
    return event.instance_id is None or event.instance_id in instances


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
