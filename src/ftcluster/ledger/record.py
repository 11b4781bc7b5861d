"""Put ftcluster's own events on the default event bus, where the cluster's drill rule records them."""

from __future__ import annotations

import json
from typing import Any

from ..aws import AwsError, AwsSession, aws_call
from ..program.event_patterns import DRILL_EVENT, DRILL_SOURCE, DRILLS
from ..program.names import event_rule_name


def drill_rule_missing(session: AwsSession, cluster: str) -> str | None:
    """Why drill events would not be recorded: EventBridge accepts an event no rule matches and drops it."""
    rule = event_rule_name(cluster, DRILLS)
    try:
        with aws_call(f"looking up the EventBridge rule {rule}"):
            session.client("events").describe_rule(Name=rule)
    except AwsError as err:
        if err.kind == "not_found":
            return f"the cluster has no rule {rule} (deployed before the event recording; `ftcluster up` adds it)"
        if err.kind == "unreachable":
            raise
        return err.message
    return None


def put_drill_event(session: AwsSession, cluster: str, detail: dict[str, Any]) -> str | None:
    """Record a drill event for cluster `cluster`; returns why it could not be recorded (None: it was).

    A drill must not fail for its ledger entry: the caller reports the reason instead."""
    entry = {"Source": DRILL_SOURCE, "DetailType": DRILL_EVENT, "Detail": json.dumps({**detail, "cluster": cluster})}
    try:
        with aws_call("recording the drill in the event ledger"):
            answer = session.client("events").put_events(Entries=[entry])
    except AwsError as err:
        if err.kind == "unreachable":
            raise
        return err.message
    if answer.get("FailedEntryCount"):
        failed = (answer.get("Entries") or [{}])[0]
        return f"EventBridge refused the drill event: {failed.get('ErrorCode')} {failed.get('ErrorMessage')}"
    return None
