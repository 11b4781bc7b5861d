"""A cluster's lifecycle, stage by stage: deploy, preview, scale, destroy, and the leftover check.

Each function takes what the command line gave and a `Hooks` object for what only the caller can
do: say things, show a slow step, show a Pulumi run's progress, show the preflight report, ask for
confirmation. The stage order lives here and nowhere else. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import PreflightFailed, RolloutFailed, UsageError
from . import operations as ops
from .events import ChangeCollector, PlannedChange, has_changes
from .pending import stop_on_pending_creates
from .session import Session, open_session, select_stack
from .stacks import Target, clear_active, resolve_target, target_from_spec, write_active

if TYPE_CHECKING:
    from ..cost import Estimate
    from ..live.leftovers import LeftoverReport
    from ..live.preflight import PreflightReport
    from ..spec import Spec

OnEvent = Callable[[Any], None]
DEFAULT_WAIT_SECONDS = 20 * 60  # as long as the AWS provider itself waits for an ECS service


@dataclass(frozen=True)
class Confirmation:
    """A question the caller must answer yes to, with what it is about."""

    action: str  # "apply", "scale", "destroy", "cancel"
    cluster: str  # the cluster as people call it: "llm-pretrain (us-east-1)"
    question: str
    type_to_confirm: str | None = None  # the answer must be this text (destroy: the cluster name)
    warning: str | None = None  # shown before the question
    changes: Mapping[str, int] | None = None  # what a preview found, by operation
    cost: Estimate | None = None  # what the cluster will cost after the change
    resources: tuple[PlannedChange, ...] = ()  # each resource the change replaces or deletes
    details: tuple[str, ...] = ()  # what else the answer decides (what destroy keeps, the limits scale pins)


class Hooks(Protocol):
    def notify(self, message: str) -> None:
        """Something the user should know once (a kept scale value, a new passphrase file...)."""

    def stage(self, message: str) -> AbstractContextManager[Callable[[str], None]]:
        """A slow step with no events of its own (a spinner); the callback it yields updates the message."""

    def progress(self, title: str) -> AbstractContextManager[OnEvent]:
        """A Pulumi run: every engine event goes to the callback this yields."""

    def preflight(self, report: PreflightReport) -> None:
        """The preflight report, before `deploy` goes on (or stops when it failed)."""

    def confirm(self, request: Confirmation) -> None:
        """Return to go on; raise (Declined, UsageError) to stop. Nothing has changed yet when it is asked."""


def _open(
    target: Target,
    environ: Mapping[str, str],
    hooks: Hooks,
    *,
    engine: bool,
    create: bool = False,
    credentials: bool | None = None,
) -> Session:
    session = open_session(target, environ, engine=engine, notify=hooks.notify, credentials=credentials)
    select_stack(session, create=create)
    return session


def _estimate(spec: Spec, overrides: Mapping[str, int]) -> Estimate:
    """What the cluster costs at the scale `up` would deploy, with live Spot prices when AWS gives them."""
    from ..cost import estimate
    from ..cost.spot_live import spot_prices_for_spec

    live, why_not = spot_prices_for_spec(spec)
    return estimate(
        spec,
        tasks=overrides.get("tasks"),
        fleet_capacity=overrides.get("instances"),
        workers=overrides.get("workers"),
        live_spot=live,
        live_unavailable=why_not,
    )


def _preflight(spec: Spec, hooks: Hooks) -> None:
    from ..live.preflight import run_preflight

    with hooks.stage(f"preflight checks for {spec.name} in {spec.region}"):
        report = run_preflight(spec)
    hooks.preflight(report)
    if not report.ok:
        raise PreflightFailed(
            [check.title for check in report.failures], hint="fix what is listed above, or pass --skip-preflight"
        )


# --- deploy and preview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployed:
    cluster: str
    stack: str
    planned: dict[str, int]  # what the preview found, by operation
    applied: dict[str, int] | None  # what the update did; None: nothing to change, nothing applied
    outputs: dict[str, Any]


def deploy(
    spec_path: Path,
    environ: Mapping[str, str],
    hooks: Hooks,
    *,
    skip_preflight: bool = False,
    wait_timeout: float | None = DEFAULT_WAIT_SECONDS,
    restart: bool = False,
) -> Deployed:
    """preflight, open the stack, preview, cost, confirm, apply with progress, wait for the services to settle
    (`wait_timeout` seconds; None: do not wait); the cluster becomes the active one. A job that completed stays
    at 0 unless `restart`."""
    target = target_from_spec(spec_path)  # a bad spec stops here (exit 2), before anything else
    spec = target.spec
    assert spec is not None
    if not skip_preflight:
        _preflight(spec, hooks)
    # preflight already checked the credentials; without it the engine does
    session = _open(target, environ, hooks, engine=True, create=True, credentials=skip_preflight)
    stop_on_pending_creates(session, hooks.notify)  # before the preview: an update would create them again
    up_plan = ops.plan(session, spec, restart=restart)
    for note in up_plan.notes:
        hooks.notify(note)
    if restart and not up_plan.restarted:
        hooks.notify(f"--restart: no job of {session.label} has completed, so there is nothing to start again")
    collector = ChangeCollector()
    with hooks.stage(f"previewing {session.label}"):
        planned = ops.preview(session, spec, up_plan, on_event=collector, notify=hooks.notify)
    home, backend = session.settings.home, session.settings.backend_url
    if not has_changes(planned) and not up_plan.restarted:
        ops.record_applied(session, spec, up_plan)
        write_active(home, session.target, backend)
        return Deployed(session.label, session.stack_name, planned, None, ops.outputs(session))
    lost = tuple(change for change in collector.changes if change.op in ("replace", "delete"))
    hooks.confirm(
        Confirmation(
            "apply",
            session.label,
            "apply these changes?",
            warning=_gpu_instances_warning(ops.applied_spec(session), spec, lost),
            changes=planned,
            cost=_estimate(spec, up_plan.counts(spec)),
            resources=lost,
        )
    )
    write_active(home, session.target, backend)  # from here on, recovery commands need no cluster name
    with hooks.progress(f"updating {session.label}") as on_event:
        ops.restart_completed(
            session, spec, up_plan.overrides, up_plan.restarted, on_event=on_event, notify=hooks.notify
        )
        outputs, applied = ops.up(
            session, spec, up_plan, on_event=on_event, notify=hooks.notify, retry=f"ftcluster up {spec_path}"
        )
    if wait_timeout is not None:
        _wait_until_settled(session.label, spec, outputs, hooks, wait_timeout)
    return Deployed(session.label, session.stack_name, planned, applied, outputs)


def _wait_until_settled(label: str, spec: Spec, outputs: Mapping[str, Any], hooks: Hooks, timeout: float) -> None:
    """The update is applied; a deployment that cannot start its tasks is still a failed `up` (exit 1)."""
    from ..aws import AwsSession
    from ..live.rollout import read_rollouts, wait_for_rollout

    services = [str(name) for name in (outputs.get("service_name"), outputs.get("workers_service_name")) if name]
    if not services:
        return
    aws = AwsSession(spec.region, spec.endpoint_url)
    with hooks.stage(f"waiting for the services of {label} to reach a steady state") as update:
        result = wait_for_rollout(
            lambda: read_rollouts(aws, str(outputs["cluster_name"]), services),
            timeout=timeout,
            on_progress=lambda rollouts: update(f"waiting for {label}: " + "; ".join(r.describe() for r in rollouts)),
        )
    if not (result.failed or result.timed_out):
        return
    unsettled = result.failed or [r for r in result.rollouts if r.state != "COMPLETED"]
    problems = [r.describe() + (f" ({r.reason})" if r.reason else "") for r in unsettled]
    if result.failed:
        hint = (
            "`ftcluster status` shows the stopped tasks and service events; fix the cause and run `ftcluster up` again"
        )
    else:
        hint = (
            f"the update itself was applied; follow it with `ftcluster status --watch 10`, or give "
            f"`--wait-timeout` more minutes (waited {timeout / 60:g})"
        )
    raise RolloutFailed(cluster=label, problems=problems, timed_out=not result.failed, hint=hint)


FLEET_TYPES = {
    "aws:autoscaling/group:Group": "Auto Scaling group",
    "aws:ec2/spotFleetRequest:SpotFleetRequest": "Spot Fleet",
}
FLEET_NAMES = {"auto_scaling_group": "an Auto Scaling group", "spot_fleet": "a Spot Fleet"}


def _gpu_instances_warning(applied: Spec | None, spec: Spec, lost: tuple[PlannedChange, ...]) -> str | None:
    """Said before `apply these changes?` when the update stops every GPU instance: a new fleet type, or the
    group or Spot Fleet itself replaced or deleted (its instances go with it)."""
    old = applied.fleet.type if applied and applied.fleet and applied.fleet.enabled else None
    new = spec.fleet.type if spec.fleet and spec.fleet.enabled else None
    if old and new and old != new:
        return (
            f"every GPU instance is replaced: the fleet changes from {FLEET_NAMES[old]} to {FLEET_NAMES[new]}; "
            "worker tasks stop (after their stop timeout) and start again on the new instances"
        )
    fleet = next((change for change in lost if change.type in FLEET_TYPES), None)
    if fleet is None:
        return None
    if fleet.op == "replace":
        return (
            f"every GPU instance is replaced: the {FLEET_TYPES[fleet.type]} {fleet.name} is replaced "
            f"({', '.join(fleet.properties) or 'a property that cannot change in place'}); worker tasks stop and start "
            "again on the new instances"
        )
    return f"every GPU instance is terminated: the {FLEET_TYPES[fleet.type]} {fleet.name} is deleted"


@dataclass(frozen=True)
class Previewed:
    cluster: str
    stack: str
    spec: Spec
    changes: dict[str, int]
    resources: list[PlannedChange]  # each resource that would change, in the order Pulumi reported them
    notes: tuple[str, ...]  # which scale values `up` keeps or drops
    cost: Estimate


def preview(spec_path: Path, environ: Mapping[str, str], hooks: Hooks) -> Previewed:
    """What `up` would change, from a real Pulumi preview against the stack, and what it would cost."""
    target = target_from_spec(spec_path)
    spec = target.spec
    assert spec is not None
    session = _open(target, environ, hooks, engine=True, create=True)
    up_plan = ops.plan(session, spec)
    for note in up_plan.notes:
        hooks.notify(note)
    collector = ChangeCollector()
    with hooks.stage(f"previewing {session.label}"):
        changes = ops.preview(session, spec, up_plan, on_event=collector, notify=hooks.notify)
    return Previewed(
        session.label,
        session.stack_name,
        spec,
        changes,
        collector.changes,
        up_plan.notes,
        _estimate(spec, up_plan.counts(spec)),
    )


# --- scale ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleRequest:
    tasks: int | None = None
    instances: int | None = None
    adjust_limits: bool = False
    reset: bool = False
    workers: int | None = None

    def check(self) -> None:
        """Usage rules that need no stack (exit 2 before anything is opened)."""
        counts = (self.tasks, self.instances, self.workers)
        if self.reset and (any(n is not None for n in counts) or self.adjust_limits):
            raise UsageError("--reset goes back to the spec's values; it takes no other option")
        if not self.reset and all(n is None for n in counts):
            raise UsageError("nothing to scale", hint="pass --tasks N, --workers W and/or --instances M, or --reset")


@dataclass(frozen=True)
class Scaled:
    cluster: str
    stack: str
    before: dict[str, int | None]
    after: dict[str, int | None]
    changes: dict[str, int]


def scale(
    spec_path: Path | None, cluster: str | None, environ: Mapping[str, str], hooks: Hooks, request: ScaleRequest
) -> Scaled:
    """Resize a running cluster with a targeted update; asks first when tasks or instances go down."""
    request.check()
    session = _open(resolve_target(spec_path, cluster, environ), environ, hooks, engine=True)
    change = ops.plan_scale_change(
        session,
        tasks=request.tasks,
        instances=request.instances,
        adjust_limits=request.adjust_limits,
        reset=request.reset,
        workers=request.workers,
    )
    stop_on_pending_creates(session, hooks.notify)
    pin = _pinned_limits(request, change)
    if change.shrinks:
        lower = ", ".join(f"{name} {change.before[name]} -> {change.after[name]}" for name in change.shrinks)
        hooks.confirm(
            Confirmation(
                "scale",
                session.label,
                f"scale {session.label} down ({lower})?",
                warning="tasks that stop get their stop timeout to save a checkpoint; work since then is lost",
                details=(pin,) if pin else (),
            )
        )
    elif pin:
        hooks.notify(pin)  # before the update, although nothing is asked
    for job in sorted(change.restarted):
        hooks.notify(f"the {job} job had completed; this scale starts it again")
    leavers = _drain_leaving_instances(session, change, hooks)
    with hooks.progress(f"scaling {session.label}") as on_event:
        changes = ops.apply_scale(session, change, on_event=on_event, notify=hooks.notify)
    if leavers:
        from .drain import terminate

        terminate(leavers.aws, leavers.members)
        hooks.notify(f"terminated the drained instances {', '.join(m.instance_id for m in leavers.members)}")
    return Scaled(session.label, session.stack_name, change.before, change.after, changes)


def _pinned_limits(request: ScaleRequest, change: ops.ScaleChange) -> str | None:
    """A task count given to `scale` holds auto scaling at exactly that count (program/options.py,
    effective_counts): said before anything changes."""
    if request.tasks is None or change.spec.autoscaling is None:
        return None
    before = f"{change.before['min_tasks']}..{change.before['max_tasks']}"
    after = f"{change.after['min_tasks']}..{change.after['max_tasks']}"
    return (
        f"auto scaling's limits become {after} (now {before}): the service stays at {request.tasks} tasks whatever "
        "the load, until `ftcluster scale --reset`"
    )


@dataclass(frozen=True)
class _Leavers:
    aws: Any  # ftcluster.aws.AwsSession
    members: list[Any]  # engine.drain.FleetMember


def _drain_leaving_instances(session: Session, change: ops.ScaleChange, hooks: Hooks) -> _Leavers | None:
    """A smaller Spot Fleet: drain the instances that go before the target drops (see engine/drain.py)."""
    before, after = change.before["instances"], change.after["instances"]
    fleet = change.spec.fleet
    if before is None or after is None or after >= before or fleet is None or fleet.type != "spot_fleet":
        return None  # an Auto Scaling group's capacity provider drains instances itself (managed draining)
    from ..aws import AwsSession
    from . import drain

    outputs = ops.outputs(session)
    cluster, fleet_id = str(outputs.get("cluster_name") or ""), str(outputs.get("spot_fleet_request_id") or "")
    aws = AwsSession(change.spec.region, change.spec.endpoint_url)
    with hooks.stage(f"draining the instances {session.label} loses") as update:
        leaving, left = drain.drain_for_smaller_fleet(
            aws,
            cluster,
            fleet_id,
            after,
            fleet.on_demand_capacity,
            on_progress=lambda n: update(f"draining the instances {session.label} loses: {n} task(s) still on them"),
        )
    if not leaving:
        return None
    if left:
        hooks.notify(
            f"{left} task(s) were still on the draining instances after {drain.DRAIN_TIMEOUT_SECONDS // 60} "
            "minutes; they stop with the instances"
        )
    return _Leavers(aws, leaving)


# --- destroy -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Destroyed:
    cluster: str
    stack: str
    backend: str
    changes: dict[str, int]
    stack_removed: bool
    kept_bucket: str | None  # the checkpoint bucket destroy left in place, if any
    leftovers: LeftoverReport


DELETE_CHECKPOINTS_WARNING = (
    "--delete-checkpoints deletes the checkpoint bucket and every checkpoint in it, "
    "with all versions; this cannot be undone."
)


def destroy(
    spec_path: Path | None,
    cluster: str | None,
    environ: Mapping[str, str],
    hooks: Hooks,
    *,
    delete_checkpoints: bool = False,
    keep_stack: bool = False,
) -> Destroyed:
    """Confirm by name, destroy everything but the checkpoints (unless asked), remove the stack, look for leftovers."""
    session = _open(resolve_target(spec_path, cluster, environ), environ, hooks, engine=True)
    stop_on_pending_creates(session, hooks.notify)  # a destroy would leave them behind in AWS
    applied = ops.applied_spec(session)
    name = session.target.name
    hooks.confirm(
        Confirmation(
            "destroy",
            session.label,
            f"Type the cluster name ({name}) to destroy it",
            type_to_confirm=name,
            warning=DELETE_CHECKPOINTS_WARNING if delete_checkpoints else None,
            details=_destroy_details(session, applied, delete_checkpoints),
        )
    )
    with hooks.progress(f"destroying {session.label}") as on_event:
        result = ops.destroy(
            session,
            delete_checkpoints=delete_checkpoints,
            keep_stack=keep_stack,
            on_event=on_event,
            notify=hooks.notify,
        )
    clear_active(session.settings.home, session.stack_name)
    bucket = result.outputs_before.get("checkpoint_bucket")
    if applied is not None and applied.training.checkpoints.bucket is not None:
        bucket = None  # the user's own bucket: never the stack's to keep or delete
    leftovers = _leftovers(session.target, hooks, result.outputs_before, checkpoints_kept=not delete_checkpoints)
    return Destroyed(
        session.label,
        session.stack_name,
        session.settings.backend_url,
        result.changes,
        result.stack_removed,
        str(bucket) if bucket and not delete_checkpoints else None,
        leftovers,
    )


def _destroy_details(session: Session, applied: Spec | None, delete_checkpoints: bool) -> tuple[str, ...]:
    """Where, how much, and what becomes of the checkpoints: said before the name is asked for."""
    contents = ops.stack_contents(session)
    region = session.target.region or (applied.region if applied else "unknown")
    where = f"of cluster {session.target.name} in region {region}"
    if delete_checkpoints or not contents.retained:
        lines = [f"destroy deletes {contents.resources} resources {where}"]
    else:
        lines = [
            f"destroy deletes {contents.resources - contents.retained} resources {where} and keeps "
            f"{contents.retained} (the checkpoint bucket and its settings)"
        ]
    own = applied.training.checkpoints.bucket if applied is not None else None
    if own:
        lines.append(f"checkpoints: the bucket {own} is the spec's own; destroy never touches it")
    elif contents.checkpoint_bucket and delete_checkpoints:
        lines.append(f"checkpoints: the bucket {contents.checkpoint_bucket} and every checkpoint in it are deleted")
    elif contents.checkpoint_bucket:
        lines.append(
            f"checkpoints: the bucket {contents.checkpoint_bucket} and every checkpoint in it stay "
            "(--delete-checkpoints deletes them)"
        )
    return tuple(lines)


def verify(spec_path: Path | None, cluster: str | None, environ: Mapping[str, str], hooks: Hooks) -> LeftoverReport:
    """`destroy --verify-only`: what of the cluster is still in AWS, without touching the stack."""
    return _leftovers(resolve_target(spec_path, cluster, environ), hooks, {}, checkpoints_kept=True)


def _leftovers(target: Target, hooks: Hooks, outputs: Mapping[str, Any], *, checkpoints_kept: bool) -> LeftoverReport:
    from ..live.leftovers import find_leftovers

    spec = target.spec
    region = target.region or (spec.region if spec else None)
    if region is None:
        raise UsageError("name the cluster with its region (e.g. --cluster NAME-REGION) or give its SPEC")
    with hooks.stage(f"looking for leftovers of {target.name} in {region}"):
        return find_leftovers(
            target.name,
            region,
            outputs.get("vpc_id"),
            endpoint_url=spec.endpoint_url if spec else None,
            checkpoint_bucket=outputs.get("checkpoint_bucket"),
            checkpoints_kept=checkpoints_kept,
        )


# --- recovery ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refreshed:
    cluster: str
    stack: str
    changes: dict[str, int]


def refresh(
    spec_path: Path | None,
    cluster: str | None,
    environ: Mapping[str, str],
    hooks: Hooks,
    *,
    clear_pending_creates: bool = False,
) -> Refreshed:
    session = _open(resolve_target(spec_path, cluster, environ), environ, hooks, engine=True)
    with hooks.progress(f"refreshing {session.label}") as on_event:
        changes = ops.refresh(
            session, clear_pending_creates=clear_pending_creates, on_event=on_event, notify=hooks.notify
        )
    return Refreshed(session.label, session.stack_name, changes)


@dataclass(frozen=True)
class Cancelled:
    cluster: str
    stack: str
    released: bool  # False: there was no lock to release


def cancel(spec_path: Path | None, cluster: str | None, environ: Mapping[str, str], hooks: Hooks) -> Cancelled:
    session = _open(resolve_target(spec_path, cluster, environ), environ, hooks, engine=False)
    if ops.has_no_lock(session):
        return Cancelled(session.label, session.stack_name, False)  # nothing to ask about
    hooks.confirm(
        Confirmation(
            "cancel",
            session.label,
            f"release the update lock of {session.label}? Only do this if no ftcluster or "
            "pulumi run is still working on it",
        )
    )
    return Cancelled(session.label, session.stack_name, ops.cancel(session))


@dataclass(frozen=True)
class Selected:
    cluster: str
    stack: str


def use(spec_path: Path | None, cluster: str | None, environ: Mapping[str, str], hooks: Hooks) -> Selected:
    """Make a deployed cluster the active one."""
    session = _open(resolve_target(spec_path, cluster, environ), environ, hooks, engine=False)
    write_active(session.settings.home, session.target, session.settings.backend_url)
    return Selected(session.label, session.stack_name)
