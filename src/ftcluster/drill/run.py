"""`ftcluster drill`: plan the fault, ask, inject it, record it, watch the recovery, report.

What a drill breaks and how long it waits are in the plan; what it saw is in the report. The FIS
resources a Spot interruption needs exist only while the drill runs (fis.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timezone
from typing import Any, Protocol

from ..aws import AwsError, AwsSession, aws_call
from ..cost.jobs import cost_of, deployed_job_hourly
from ..errors import FtclusterError, Interrupted
from ..ledger.checkpoints import checkpoint_times
from ..ledger.correlate import loss
from ..ledger.parse import drill_reason
from ..ledger.record import drill_rule_missing, put_drill_event
from ..spec import Spec
from . import model as m
from .fis import Experiment, drill_role_name, spot_interruption
from .plan import plan_drill
from .watch import watch_recovery

DEFAULT_POLL_SECONDS = 10.0


class DrillHooks(Protocol):
    def confirm(self, plan: m.DrillPlan) -> None:
        """Name the target and ask; raise (Declined, UsageError) to stop before anything is touched."""

    def progress(self, text: str) -> None: ...


def run_drill(
    outputs: Mapping[str, Any],
    spec: Spec | None,
    *,
    session: AwsSession,
    fault: str,
    target: str | None,
    timeout_seconds: float,
    dry_run: bool,
    hooks: DrillHooks,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
) -> m.DrillPlan | m.DrillReport:
    """The plan alone for a dry run (nothing touched); else the report of the drill."""
    plan, before = plan_drill(
        outputs, spec, fault=fault, target=target, timeout_seconds=timeout_seconds, session=session
    )
    if dry_run:
        return plan
    hooks.confirm(plan)
    drill_id = datetime.now(timezone.utc).strftime("d-%Y%m%d-%H%M%S-") + secrets.token_hex(2)
    unrecorded = drill_rule_missing(session, plan.cluster)
    notes = [f"the drill is not in the event ledger: {unrecorded}"] if unrecorded else []
    experiment = (
        Experiment(drill_role_name(plan.cluster, plan.region, drill_id)) if plan.fault == m.SPOT_INTERRUPTION else None
    )
    fault_at: datetime | None = None
    about = plan.target.to_event()

    def finished(**detail: Any) -> None:
        _record(session, plan, drill_id, notes, phase="finished", fault=plan.fault, target=about, **detail)

    try:
        with _injected(session, plan, drill_id, experiment):
            fault_at = experiment.started_at if experiment and experiment.started_at else datetime.now(timezone.utc)
            _record(
                session,
                plan,
                drill_id,
                notes,
                phase="started",
                fault=plan.fault,
                target=about,
                injected_at=fault_at.isoformat(),
            )
            hooks.progress(f"{plan.fault} injected on {plan.target.description}; watching the recovery")
            recovery = watch_recovery(
                session,
                outputs,
                plan,
                before,
                poll_seconds=poll_seconds,
                progress=hooks.progress,
                check=_experiment_check(session, experiment),
            )
    except KeyboardInterrupt:
        if fault_at is None:
            raise Interrupted(f"drill interrupted before the fault ({_cleanup(experiment)})") from None
        finished(recovered=False, missing="interrupted")
        raise Interrupted(
            f"drill {drill_id} interrupted after {plan.fault} on {plan.target.description} ({_cleanup(experiment)})",
            hint="the cluster recovers on its own; `ftcluster status` and `ftcluster events` show how it went",
        ) from None
    except AwsError as err:
        if fault_at is not None:
            finished(recovered=False, missing=err.message)
        raise _explained(err, injected=fault_at is not None, cleanup=_cleanup(experiment)) from None
    if experiment is not None:
        notes += experiment.cleanup
    report = _report(outputs, spec, session, plan, drill_id, fault_at, recovery, notes)
    finished(
        recovered=report.recovered,
        missing="; ".join(recovery.missing) or None,
        report={k: v for k, v in report.to_dict().items() if k not in ("plan", "timeline", "notes")},
    )
    return report


def _injected(
    session: AwsSession, plan: m.DrillPlan, drill_id: str, experiment: Experiment | None
) -> AbstractContextManager[object]:
    """Inject the fault; a Spot interruption lives in a context that cleans up its FIS resources."""
    if experiment is not None:
        return spot_interruption(session, plan, drill_id, experiment)
    if plan.target.kind == "task":
        with aws_call(f"stopping task {plan.target.id}"):
            session.client("ecs").stop_task(
                cluster=plan.cluster, task=plan.target.arn, reason=drill_reason(drill_id, plan.fault)
            )
    else:
        with aws_call(f"terminating instance {plan.target.id}"):
            session.client("ec2").terminate_instances(InstanceIds=[plan.target.id])
    return nullcontext(None)


def _cleanup(experiment: Experiment | None) -> str:
    return "; ".join(experiment.cleanup) if experiment and experiment.cleanup else "nothing to clean up"


def _explained(err: AwsError, *, injected: bool, cleanup: str) -> AwsError:
    """The AWS error, saying whether the fault was injected and what was cleaned up."""
    state = "the fault was injected; the cluster recovers on its own" if injected else "no fault was injected"
    hint = f"{state} ({cleanup})"
    if err.kind == "access":
        hint = f"`ftcluster drill --dry-run` lists the IAM actions a drill needs; {hint}"
    return AwsError(err.message, kind=err.kind, code=err.code, hint=hint)


def _experiment_check(session: AwsSession, experiment: Experiment | None) -> Callable[[], str | None] | None:
    if experiment is None:
        return None

    def check() -> str | None:
        status, reason = experiment.state(session)
        return f"the FIS experiment {status}: {reason}" if status in ("failed", "cancelled") else None

    return check


def _report(
    outputs: Mapping[str, Any],
    spec: Spec | None,
    session: AwsSession,
    plan: m.DrillPlan,
    drill_id: str,
    fault_at: datetime,
    recovery: m.Recovery,
    notes: list[str],
) -> m.DrillReport:
    now = datetime.now(timezone.utc)
    uri = outputs.get("checkpoint_uri")
    times: list[datetime] = []
    try:
        times = checkpoint_times(session, str(uri)).times if uri else []
    except AwsError as err:
        if err.kind in ("credentials", "unreachable"):
            raise
        notes.append(f"checkpoints not read: {err.message}")
    found = loss(fault_at, recovery.detected_at or fault_at, times, recovery.resumed_at or now)
    hourly = None
    if spec is not None:
        hourly = deployed_job_hourly(spec, outputs).get(plan.target.job)
    else:
        notes.append("no spec recorded for this cluster: the interruption is not priced")
    if not times:
        notes.append("no checkpoints found: work lost and training resumed cannot be measured")
    return m.DrillReport(
        drill_id=drill_id,
        plan=plan,
        fault_at=fault_at,
        recovery=recovery,
        last_checkpoint=found.last_checkpoint,
        work_lost_seconds=found.work_lost_seconds,
        lost_seconds=found.lost_seconds,
        cost=cost_of(hourly, found.lost_seconds),
        notes=notes,
    )


def _record(session: AwsSession, plan: m.DrillPlan, drill_id: str, notes: list[str], **detail: Any) -> None:
    problem = put_drill_event(session, plan.cluster, {"drill_id": drill_id, **detail})
    if problem and not any(note.startswith("the drill is not in the event ledger") for note in notes):
        notes.append(f"the drill is not in the event ledger: {problem}")


def not_recovered(report: m.DrillReport) -> FtclusterError:
    minutes = report.plan.timeout_seconds / 60
    return FtclusterError(
        f"cluster {report.plan.cluster} did not recover from {report.plan.fault} within {minutes:g} min; still missing: "
        + "; ".join(report.recovery.missing),
        hint="`ftcluster status` shows what runs now; `ftcluster events` keeps the drill and what followed",
    )
