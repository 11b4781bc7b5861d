"""Preflight: can the fleet's instances hold its worker tasks? The judgment of `validate` (spec/placement.py),
with every type's facts from ec2:DescribeInstanceTypes, so types the shipped table lacks are judged too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..spec.instance_facts import InstanceFacts
from ..spec.models import Fleet
from ..spec.placement import judge, type_fit
from .preflight_checks import Check

TITLE = "Worker placement"
WARN_SUMMARIES = {
    "fleet.workers.tasks": "the worker tasks may not all fit on the fleet",
    "fleet.workers.memory": "a worker's memory is close to all an instance can give",
}


def placement_check(fleet: Fleet | None, described: Mapping[str, InstanceFacts]) -> Check:
    """`described`: the facts of each fleet type DescribeInstanceTypes knows (the others fail the
    instance types check)."""
    if fleet is None or not fleet.enabled or (fleet.workers is None and not fleet.gpu):
        return Check("worker_placement", TITLE, "skip", "no worker tasks in this spec")
    known = {t: described[t] for t in fleet.instance_types if t in described}
    fits = [type_fit(fleet, t, facts) for t, facts in known.items()]
    per_instance = {fit.instance_type: fit.per_instance for fit in fits}
    unknown = [t for t in fleet.instance_types if t not in described]
    data: dict[str, Any] = {"per_instance": per_instance, "unknown": unknown}
    if not known:
        return Check("worker_placement", TITLE, "skip", "AWS knows none of the fleet's instance types", data=data)
    findings = judge(fleet, known)
    lines = [f"{f.key}: {f.message}" for f in findings]
    errors = [f for f in findings if f.level == "error"]
    data["findings"] = [{"level": f.level, "key": f.key, "message": f.message} for f in findings]
    fix = "change the keys named here (`ftcluster validate SPEC` shows their lines)"
    if errors:
        summary = lines[findings.index(errors[0])]
        return Check("worker_placement", TITLE, "fail", summary, [x for x in lines if x != summary], fix=fix, data=data)
    if findings:
        unfit = [fit for fit in fits if fit.misses]
        summary = (
            f"{len(unfit)} of {len(fleet.instance_types)} instance types can hold no worker"
            if findings[0].key == "fleet.instance_types"
            else WARN_SUMMARIES.get(findings[0].key, findings[0].message)
        )
        return Check("worker_placement", TITLE, "warn", summary, lines, fix=fix, data=data)
    workers = fleet.workers
    if workers is None:
        return Check("worker_placement", TITLE, "pass", "every instance type has a GPU", data=data)
    best = max(per_instance.values())
    return Check(
        "worker_placement",
        TITLE,
        "pass",
        f"{workers.tasks} worker task(s) fit on {fleet.capacity} instance(s); one holds up to {best}",
        data=data,
    )
