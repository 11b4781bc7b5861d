"""A cluster's lifecycle, stage by stage: deploy, preview, scale, refresh, cancel, use (destroy: teardown.py).

Each function takes what the command line gave and a `Hooks` object for what only the caller can
do: say things, show a slow step, show a Pulumi run's progress, show the preflight report, ask for
confirmation. The stage order lives here and nowhere else. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ..errors import NotDeployed, PreflightFailed
from ..program.names import AUTO_SCALING_GROUP_TYPE, SPOT_FLEET_REQUEST_TYPE
from ..spec import AutoScalingGroupFleet, Fleet, SpotFleet
from . import operations as ops
from .events import ChangeCollector, PlannedChange, has_changes
from .pending import stop_on_pending_creates
from .scale import ScaleRequest, UpPlan
from .session import Session, open_stack, remove_if_never_updated
from .settle import wait_until_settled
from .stacks import Target, clear_active, resolve_target, target_from_spec, write_active

if TYPE_CHECKING:
    from ..aws import AwsSession
    from ..cost import Estimate
    from ..live.preflight import PreflightReport
    from ..spec import Spec

OnEvent = Callable[[Any], None]
ConfirmAction = Literal["apply", "scale", "destroy", "cancel"]
DEFAULT_WAIT_SECONDS = 20 * 60  # as long as the AWS provider itself waits for an ECS service


@dataclass(frozen=True)
class Confirmation:
    """A question the caller must answer yes to, with what it is about."""

    action: ConfirmAction
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

    def ensure_can_confirm(self, action: ConfirmAction, cluster: str) -> None:
        """Raise (UsageError) now when a later `confirm` could only refuse: checked before anything is touched."""

    def confirm(self, request: Confirmation) -> None:
        """Return to go on; raise (Declined, UsageError) to stop. Nothing has changed yet when it is asked."""

    def applied(self, cluster: str, changes: Mapping[str, int] | None) -> None:
        """`up` is applied (None: nothing had to change); said before the wait for the services, whatever it finds."""


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


def preflight(
    spec: Spec, hooks: Hooks, *, hint: str = "fix what is listed above, or pass --skip-preflight"
) -> PreflightReport:
    """The read-only AWS checks, shown through `hooks.preflight`; PreflightFailed (with `hint`) when any failed."""
    from ..live.preflight import run_preflight

    with hooks.stage(f"preflight checks for {spec.name} in {spec.region}"):
        report = run_preflight(spec)
    hooks.preflight(report)
    if not report.ok:
        raise PreflightFailed([check.title for check in report.failures], hint=hint)
    return report


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
    at 0 unless `restart`.

    A run that cannot be confirmed stops before anything (no stack, no passphrase, no plugin install);
    a stack this run created and never updated does not outlive it."""
    target = target_from_spec(spec_path)  # a bad spec stops here (exit 2), before anything else
    spec = target.spec
    assert spec is not None
    hooks.ensure_can_confirm("apply", _label(target))
    if not skip_preflight:
        preflight(spec, hooks)
    # preflight already checked the credentials; without it the engine does
    session = open_stack(target, environ, notify=hooks.notify, engine=True, create=True, credentials=skip_preflight)
    with _no_phantom(session):
        up_plan = _plan(session, spec, hooks, restart=restart)
        planned, resources = _preview(session, spec, up_plan, hooks)
        lost = tuple(change for change in resources if change.op in ("replace", "delete"))
        changed = has_changes(planned) or bool(up_plan.restarted)
        if changed:
            _confirm(session, spec, up_plan, planned, lost, hooks)
        write_active(session.settings.home, session.target, session.settings.backend_url)  # recovery needs no name
        outputs, applied = _apply(session, spec, up_plan, hooks, changed=changed, retry=f"ftcluster up {spec_path}")
    hooks.applied(session.label, applied)
    if wait_timeout is not None:
        wait_until_settled(
            session.label,
            session.stack_name,
            str(spec_path),
            spec,
            outputs,
            hooks.stage,
            wait_timeout,
            updated=applied is not None,
        )
    return Deployed(session.label, session.stack_name, planned, applied, outputs)


def _plan(session: Session, spec: Spec, hooks: Hooks, *, restart: bool) -> UpPlan:
    """What this `up` keeps and starts (said through hooks.notify); stops first on pending creates, which an
    update would create again."""
    stop_on_pending_creates(session, hooks.notify)
    up_plan = ops.plan(session, spec, restart=restart)
    for note in up_plan.notes:
        hooks.notify(note)
    if restart and not up_plan.restarted:
        hooks.notify(f"--restart: no job of {session.label} has completed, so there is nothing to start again")
    return up_plan


def _preview(session: Session, spec: Spec, up_plan: UpPlan, hooks: Hooks) -> tuple[dict[str, int], list[PlannedChange]]:
    """The change counts, and each resource that would change, in the order Pulumi reported them."""
    collector = ChangeCollector()
    with hooks.stage(f"previewing {session.label}"):
        planned = ops.preview(session, spec, up_plan, on_event=collector, notify=hooks.notify)
    return planned, collector.changes


def _confirm(
    session: Session,
    spec: Spec,
    up_plan: UpPlan,
    planned: dict[str, int],
    lost: tuple[PlannedChange, ...],
    hooks: Hooks,
) -> None:
    hooks.confirm(
        Confirmation(
            "apply",
            session.label,
            "apply these changes?",
            warning=_gpu_instances_warning(up_plan.applied, spec, lost),
            changes=planned,
            cost=_estimate(spec, up_plan.counts(spec)),
            resources=lost,
        )
    )


def _apply(
    session: Session, spec: Spec, up_plan: UpPlan, hooks: Hooks, *, changed: bool, retry: str
) -> tuple[dict[str, Any], dict[str, int] | None]:
    """The update, with its progress shown; its outputs and what it did (None: nothing to change). With no
    change, a spec that differs from the one on record still gets an update that changes nothing: only an
    update records it."""
    if not changed:
        if not ops.is_recorded(session, spec, up_plan.overrides):
            with hooks.stage(f"recording the spec of {session.label}"):
                ops.up(session, spec, up_plan, on_event=None, notify=hooks.notify, retry=retry)
        return ops.outputs(session), None
    with hooks.progress(f"updating {session.label}") as on_event:
        ops.restart_completed(
            session, spec, up_plan.overrides, up_plan.restarted, on_event=on_event, notify=hooks.notify
        )
        return ops.up(session, spec, up_plan, on_event=on_event, notify=hooks.notify, retry=retry)


def _label(target: Target) -> str:
    """The cluster as people call it, before its stack is opened."""
    return f"{target.name} ({target.region})" if target.region else target.name


@contextmanager
def _no_phantom(session: Session) -> Iterator[None]:
    """A stack this command created and never updated is removed on the way out (a preview, a declined or
    refused `up`): `list` would show a cluster that never existed, and `status` call it deleted."""
    try:
        yield
    finally:
        if remove_if_never_updated(session):
            clear_active(session.settings.home, session.stack_name)


FLEET_TYPES = {AUTO_SCALING_GROUP_TYPE: "Auto Scaling group", SPOT_FLEET_REQUEST_TYPE: "Spot Fleet"}
FLEET_NAMES: dict[type[Fleet], str] = {AutoScalingGroupFleet: "an Auto Scaling group", SpotFleet: "a Spot Fleet"}


def _gpu_instances_warning(applied: Spec | None, spec: Spec, lost: tuple[PlannedChange, ...]) -> str | None:
    """Said before `apply these changes?` when the update stops every GPU instance: a new fleet type, or the
    group or Spot Fleet itself replaced or deleted (its instances go with it)."""
    old = type(applied.fleet) if applied and applied.fleet and applied.fleet.enabled else None
    new = type(spec.fleet) if spec.fleet and spec.fleet.enabled else None
    if old and new and old is not new:
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
    session = open_stack(target, environ, notify=hooks.notify, engine=True, create=True)
    with _no_phantom(session):
        up_plan = ops.plan(session, spec)
        for note in up_plan.notes:
            hooks.notify(note)
        changes, resources = _preview(session, spec, up_plan, hooks)
    return Previewed(
        session.label,
        session.stack_name,
        spec,
        changes,
        resources,
        up_plan.notes,
        _estimate(spec, up_plan.counts(spec)),
    )


# --- scale ---------------------------------------------------------------------------------------------


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
    session = open_stack(resolve_target(spec_path, cluster, environ), environ, notify=hooks.notify, engine=True)
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
    aws: AwsSession
    members: list[Any]  # engine.drain.FleetMember


def _drain_leaving_instances(session: Session, change: ops.ScaleChange, hooks: Hooks) -> _Leavers | None:
    """A smaller Spot Fleet: drain the instances that go before the target drops (see engine/drain.py)."""
    before, after = change.before["instances"], change.after["instances"]
    fleet = change.spec.fleet
    if before is None or after is None or after >= before or not isinstance(fleet, SpotFleet):
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
    session = open_stack(resolve_target(spec_path, cluster, environ), environ, notify=hooks.notify, engine=True)
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
    session = open_stack(resolve_target(spec_path, cluster, environ), environ, notify=hooks.notify, engine=False)
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
    session = open_stack(resolve_target(spec_path, cluster, environ), environ, notify=hooks.notify, engine=False)
    if not session.deployment().get("resources"):
        raise NotDeployed(cluster=session.label, stack=session.stack_name, operation="use")
    write_active(session.settings.home, session.target, session.settings.backend_url)
    return Selected(session.label, session.stack_name)
