"""One recorded EventBridge event as a ledger event: what happened, to what, and why.

Pure functions of the event JSON. Shapes are AWS's: "Amazon ECS task state change events" (ECS
Developer Guide), "Spot Instance interruption notices" and "Spot Fleet event types" (EC2 User Guide),
"Amazon EC2 Auto Scaling event reference"; the drill event is ftcluster's own (drill/record.py).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from ..program import event_patterns as source
from . import model as m

INSTANCE_ID = re.compile(r"\bi-[0-9a-f]{8,17}\b")
STOP_CODES = {  # ECS TaskStopCode (botocore ecs model) -> why, for the ledger
    "SpotInterruption": m.STOP_SPOT,
    "TerminationNotice": m.STOP_NOTICE,
    "ServiceSchedulerInitiated": m.STOP_SCHEDULER,
    "UserInitiated": m.STOP_USER,
    "TaskFailedToStart": m.STOP_FAILED_START,
    "InfrastructureHealth": m.STOP_INFRASTRUCTURE,
}
STOP_WORDS = {
    m.STOP_SPOT: "Spot interruption",
    m.STOP_NOTICE: "termination notice",
    m.STOP_SCHEDULER: "scale-in or deployment",
    m.STOP_USER: "stopped by a user",
    m.STOP_FAILED_START: "failed to start",
    m.STOP_INFRASTRUCTURE: "infrastructure",
    m.STOP_OTHER: "stopped",
}
# The Cause text of an Auto Scaling activity, matched by phrase (EC2 Auto Scaling User Guide,
# "Verify a scaling activity"; ECS managed scaling acts through a target tracking policy named
# ECSManagedAutoScalingPolicy-<id>, ECS Developer Guide "Managed scaling behavior").
GROUP_CAUSES = (
    ("ECSManagedAutoScalingPolicy", "managed_scaling"),
    ("rebalanc", "capacity_rebalancing"),
    ("health check", "health_check"),
    ("interruption", "spot_interruption"),
    ("user request", "user_request"),
    ("desired and actual capacity", "capacity_change"),
)


def parse_event(event: dict[str, Any], fallback: datetime) -> m.LedgerEvent | None:
    """The ledger event of one recorded event; None for one the ledger does not keep."""
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    assert isinstance(detail, dict)
    when = parse_time(event.get("time")) or fallback
    kind = event.get("detail-type")
    try:
        if kind == source.TASK_STATE_CHANGE:
            return _task(detail, when)
        if kind in (source.SPOT_WARNING, source.REBALANCE_RECOMMENDATION):
            return _ec2(kind, detail, when)
        if kind in source.GROUP_INSTANCE_CHANGES:
            return _group(kind, detail, when)
        if kind == source.FLEET_INSTANCE_CHANGE:
            return _fleet(detail, when)
        if kind == source.DRILL_EVENT and event.get("source") == source.DRILL_SOURCE:
            return _drill(detail, when)
    except (KeyError, TypeError, ValueError):
        return None  # a malformed record: the reader counts it
    return None


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as EventBridge and ECS write it ("2020-01-23T17:57:34.871Z"), in UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _task(detail: dict[str, Any], when: datetime) -> m.LedgerEvent | None:
    task = str(detail["taskArn"]).rsplit("/", 1)[-1]
    group = str(detail.get("group") or "")
    service = group.removeprefix("service:") if group.startswith("service:") else None
    last, desired = detail.get("lastStatus"), detail.get("desiredStatus")
    code, reason = detail.get("stopCode"), detail.get("stoppedReason") or None
    common: dict[str, Any] = {
        "subject": task,
        "service": service,
        "details": _trim(detail, "stopCode", "stoppedReason", "capacityProviderName"),
    }
    if last == "RUNNING" and desired == "STOPPED" and code == "SpotInterruption":
        # Fargate Spot's two-minute warning: the task still runs, and has its SIGTERM
        return m.LedgerEvent(when, m.SPOT_NOTICE, summary=f"Fargate Spot notice for task {task[:8]}", **common)
    if last == "RUNNING" and desired == "RUNNING":
        started = parse_time(detail.get("startedAt")) or when
        return m.LedgerEvent(started, m.TASK_STARTED, summary=f"task {task[:8]} running", **common)
    if last != "STOPPED":
        return None
    stopped = parse_time(detail.get("stoppedAt")) or when
    exit_code = _exit_code(detail)
    instance = INSTANCE_ID.search(reason or "")
    drill = _drill_of(reason)
    if code == "EssentialContainerExited" and exit_code == 0:
        return m.LedgerEvent(
            stopped, m.JOB_COMPLETED, summary=f"task {task[:8]} finished: exit code 0", exit_code=0, **common
        )
    why = m.STOP_EXIT if code == "EssentialContainerExited" else STOP_CODES.get(str(code), m.STOP_OTHER)
    if why == m.STOP_OTHER and instance:
        why = m.STOP_INFRASTRUCTURE  # "Host EC2 (instance i-...) stopped/terminated"
    words = f"exit code {exit_code}" if why == m.STOP_EXIT else STOP_WORDS[why]
    summary = f"task {task[:8]} stopped: {words}" + (f" ({reason})" if reason else "")
    return m.LedgerEvent(
        stopped,
        m.TASK_STOPPED,
        summary=summary,
        reason=why,
        exit_code=exit_code,
        instance_id=instance.group(0) if instance else None,
        drill_id=drill,
        **common,
    )


def _exit_code(detail: dict[str, Any]) -> int | None:
    """The exit code of the container that ended the task: the first non-zero one, else 0."""
    codes = [c.get("exitCode") for c in detail.get("containers") or [] if isinstance(c, dict)]
    codes = [int(c) for c in codes if c is not None]
    return next((c for c in codes if c != 0), 0 if codes else None)


def _ec2(kind: str, detail: dict[str, Any], when: datetime) -> m.LedgerEvent:
    instance = str(detail["instance-id"])
    if kind == source.SPOT_WARNING:
        action = detail.get("instance-action") or "terminate"
        return m.LedgerEvent(
            when, m.SPOT_NOTICE, instance, f"Spot notice for instance {instance}: {action} in 2 minutes",
            instance_id=instance, details={"instance-action": action},
        )  # fmt: skip
    return m.LedgerEvent(
        when, m.REBALANCE, instance, f"rebalance recommendation for instance {instance}", instance_id=instance
    )


def _group(kind: str, detail: dict[str, Any], when: datetime) -> m.LedgerEvent:
    instance = str(detail["EC2InstanceId"])
    cause = str(detail.get("Cause") or "")
    why = next((name for phrase, name in GROUP_CAUSES if phrase.lower() in cause.lower()), "other")
    details = _trim(detail, "Cause", "StatusMessage", "AutoScalingGroupName")
    if kind.endswith("Unsuccessful"):
        what = "launch" if "Launch" in kind else "termination"
        message = detail.get("StatusMessage") or cause or "no reason given"
        return m.LedgerEvent(
            when, m.INSTANCE_FAILED, instance, f"instance {what} failed: {message}",
            reason=why, instance_id=instance, details=details,
        )  # fmt: skip
    launched = "Launch" in kind
    words = why.replace("_", " ")
    summary = f"instance {instance} {'launched' if launched else 'terminated'}" + (
        f" ({words})" if why != "other" else ""
    )
    return m.LedgerEvent(
        when, m.INSTANCE_LAUNCHED if launched else m.INSTANCE_TERMINATED, instance, summary,
        reason=why, instance_id=instance, details=details,
    )  # fmt: skip


def _fleet(detail: dict[str, Any], when: datetime) -> m.LedgerEvent | None:
    instance, sub_type = str(detail["instance-id"]), detail.get("sub-type")
    if sub_type == "launched":
        return m.LedgerEvent(
            when, m.INSTANCE_LAUNCHED, instance, f"instance {instance} launched by the Spot Fleet", instance_id=instance
        )
    if sub_type in ("terminated", "termination_notified"):
        return m.LedgerEvent(
            when, m.INSTANCE_TERMINATED, instance, f"instance {instance} terminated by the Spot Fleet ({sub_type})",
            reason="fleet", instance_id=instance,
        )  # fmt: skip
    return None


def _drill(detail: dict[str, Any], when: datetime) -> m.LedgerEvent | None:
    drill_id, fault = str(detail["drill_id"]), str(detail["fault"])
    target = detail.get("target") or {}
    phase = detail.get("phase")
    at = parse_time(detail.get("injected_at")) or when
    details = {"fault": fault, "target": target}
    if phase == "started":
        summary = f"drill {fault} on {target.get('kind', 'target')} {target.get('id', '?')}"
        return m.LedgerEvent(
            at, m.DRILL_STARTED, drill_id, summary, service=target.get("service"),
            instance_id=target.get("id") if target.get("kind") == "instance" else None,
            drill_id=drill_id, details=details,
        )  # fmt: skip
    if phase == "finished":
        outcome = (
            "recovered" if detail.get("recovered") else f"not recovered ({detail.get('missing') or 'see its report'})"
        )
        details["report"] = detail.get("report") or {}
        return m.LedgerEvent(
            when, m.DRILL_FINISHED, drill_id, f"drill {fault} {outcome}", service=target.get("service"),
            drill_id=drill_id, details=details,
        )  # fmt: skip
    return None


DRILL_REASON = re.compile(r"ftcluster drill ([0-9a-z-]+)")


def drill_reason(drill_id: str, fault: str) -> str:
    """The stop reason a drill gives ECS, so the ledger ties the task's stop to the drill."""
    return f"ftcluster drill {drill_id}: {fault}"


def _drill_of(reason: str | None) -> str | None:
    found = DRILL_REASON.search(reason or "")
    return found.group(1) if found else None


def _trim(detail: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: detail[key] for key in keys if detail.get(key) not in (None, "")}
