"""What the commands do to a cluster's stack: preview, up, scale, destroy, refresh, cancel.

Each long run goes through `run_interruptible` (Ctrl-C) and `Session.translated` (readable errors);
engine events go to the caller's `on_event` (the progress view) and to a Diagnostics collector.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..errors import FtclusterError, RecordedSpecUnreadable
from ..program.options import TRAINING_JOB, WORKERS_JOB, ProgramOptions
from ..spec import Spec
from .diy import is_locked
from .events import RetainedDeletes
from .failures import ACTIONS, Diagnostics
from .interrupts import run_interruptible
from .pending import check_after_refresh, hard_stop_advice, show_run_warnings
from .recorded import SPEC_KEY, UnreadableRecord, record, recorded_spec
from .scale import SCALE_SETTINGS, Overrides, UpPlan, deployed_values, plan_scale, plan_up
from .session import Session
from .urns import type_and_name

OnEvent = Callable[[Any], None] | None
Notify = Callable[[str], None]


def _tee(first: Callable[[Any], None], on_event: OnEvent) -> Callable[[Any], None]:
    def handle(event: Any) -> None:
        first(event)
        if on_event is not None:
            on_event(event)

    return handle


def _run(
    session: Session,
    operation: str,
    retry: str,
    call: Callable[[Callable[[Any], None]], Any],
    on_event: OnEvent,
    notify: Notify,
) -> Any:
    # When a run is stopped hard, the Automation API's event receiver warns that the stream broke: expected.
    warnings.filterwarnings("ignore", message="Error in event stream", category=UserWarning)
    diagnostics = Diagnostics()
    what = f"{ACTIONS.get(operation, operation)} of {session.label}"
    # A run changes the state and the update history, so checks after it read them again. A preview changes
    # neither: the backend saves no checkpoint and adds no history entry for a dry run (pkg/backend/diy/
    # backend.go apply: the snapshot manager and addToHistory only when !opts.DryRun).
    changes_state = operation != "preview"
    if changes_state:
        session.forget_state()
    try:
        with session.translated(operation, retry, diagnostics):
            return run_interruptible(
                lambda: call(_tee(diagnostics, on_event)),
                session.command,
                what=what,
                recovery=lambda: hard_stop_advice(session),
                on_first_interrupt=lambda: notify(
                    f"cancelling {what}: Pulumi finishes the operations in flight and saves the state "
                    "(press Ctrl-C again to stop at once)"
                ),
            )
    finally:
        if changes_state:
            session.forget_state()
        show_run_warnings(diagnostics.warnings, notify)


def _program(spec: Spec, options: ProgramOptions) -> Callable[[], None]:
    from ..program import pulumi_program

    return pulumi_program(spec, options)


def _no_program() -> None:
    """Destroy and refresh do not run the program; used when no applied spec is recorded."""


def plain_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    return {key: getattr(value, "value", value) for key, value in outputs.items()}


def applied_spec(session: Session) -> Spec | None:
    """The spec of the last successful update (not what a run that never happened wrote into the config file).
    An unreadable record is an error: without it `up` would take the cluster for a new one, `scale` for one
    never deployed."""
    try:
        return recorded_spec(session.applied().config)
    except UnreadableRecord as err:
        raise RecordedSpecUnreadable(
            cluster=session.label, stack=session.stack_name, reason=err.reason, hint=_unreadable_hint(err)
        ) from None


def _unreadable_hint(err: UnreadableRecord) -> str:
    if err.newer:
        return f"upgrade ftcluster to {err.written_by or 'the version that deployed it'} or later"
    # the record is the config of the stack's last successful update (`pulumi stack history`): not a file to edit
    return (
        "this ftcluster wrote no such record: please report it with the message above. `ftcluster outputs` "
        "still shows the cluster"
    )


def overrides_in_force(session: Session) -> Overrides:
    """The `scale` values the last successful update deployed."""
    return Overrides.from_config(session.applied().config)


def _recorded_config(spec: Spec, overrides: Overrides) -> dict[str, str]:
    return {SPEC_KEY: record(spec), "aws:region": spec.region, **overrides.config()}


def _save_config(session: Session, spec: Spec, overrides: Overrides) -> None:
    """Record the spec and the overrides in force, in as few Pulumi calls as the change needs."""
    from pulumi.automation import ConfigValue

    wanted = _recorded_config(spec, overrides)
    stale = [key for key in Overrides.from_config(session.config).config() if key not in wanted]
    changed = {key: value for key, value in wanted.items() if session.config.get(key) != value}
    with session.translated("update", "ftcluster up SPEC"):
        if changed:
            session.stack.set_all_config({key: ConfigValue(value) for key, value in changed.items()})
        if stale:
            session.stack.remove_all_config(stale)
    session.config = {**{k: v for k, v in session.config.items() if k not in stale}, **wanted}


# --- up / preview ----------------------------------------------------------------------------------


def plan(session: Session, spec: Spec, *, restart: bool = False) -> UpPlan:
    """Which scale values stay, whether the training service must redeploy, what to adopt, and which jobs
    completed (they stay at 0 unless `restart`)."""
    from ..program import capacity_strategy_changed
    from .completion import completion_note, read_completed

    applied = applied_spec(session)
    completed = read_completed(spec) if applied is not None else {}  # nothing completed before the first `up`
    up_plan = plan_up(spec, applied, overrides_in_force(session))
    notes = [completion_note(c) for job, c in sorted(completed.items()) if not restart]
    notes += [f"starting the completed {job} job again (--restart)" for job in sorted(completed) if restart]
    return replace(
        up_plan,
        applied=applied,
        notes=(*up_plan.notes, *notes),
        force_new_deployment=capacity_strategy_changed(applied, spec),
        adopt_insights_log_group=_insights_log_group_to_adopt(session, spec),
        completed=frozenset() if restart else frozenset(completed),
        restarted=frozenset(completed) if restart else frozenset(),
    )


def restart_completed(
    session: Session,
    spec: Spec,
    overrides: Overrides,
    jobs: frozenset[str],
    *,
    staying: frozenset[str] = frozenset(),
    on_event: OnEvent,
    notify: Notify,
) -> None:
    """Before a run that starts completed `jobs` again: hold them at 0 in the stack first where no `up` did
    since they completed (else the run would find nothing to change), then clear their records."""
    from .completion import clear_completed, unheld

    if not jobs:
        return
    unheld_jobs = unheld(dict.fromkeys(jobs), outputs(session))
    if unheld_jobs:
        notify(f"holding the completed {', '.join(unheld_jobs)} job(s) at 0 in the stack before starting them again")
        _targeted_up(session, spec, overrides.options(completed=jobs | staying), "update", on_event, notify)
    clear_completed(spec, sorted(jobs))


def _insights_log_group_to_adopt(session: Session, spec: Spec) -> bool:
    """Container Insights creates its log group itself when the stack does not (clusters deployed before
    the stack owned it): then the stack takes it over (a Pulumi import) instead of failing to create it."""
    from ..aws import AwsError, AwsSession, aws_call
    from ..program.names import INSIGHTS_LOG_GROUP, names_for

    if _urns(session, lambda r: type_and_name(r["urn"])[1] == INSIGHTS_LOG_GROUP):
        return False
    name = names_for(spec).insights_log_group
    try:
        with aws_call(f"looking for log group {name}"):
            found = (
                AwsSession(spec.region, spec.endpoint_url)
                .client("logs")
                .describe_log_groups(logGroupNamePrefix=name)
                .get("logGroups", [])
            )
    except AwsError as err:
        if err.kind in ("credentials", "unreachable"):
            raise
        session.notify(
            f"could not check whether {name} exists ({err.message}); if it does, `up` fails to "
            "create it: delete it or give the identity logs:DescribeLogGroups"
        )
        return False
    return any(group.get("logGroupName") == name for group in found)


def preview(session: Session, spec: Spec, up_plan: UpPlan, *, on_event: OnEvent, notify: Notify) -> dict[str, int]:
    """Change counts by operation ("create", "update", "same", ...)."""
    result = _run(
        session,
        "preview",
        "ftcluster preview SPEC",
        lambda handle: session.stack.preview(program=_program(spec, up_plan.options()), on_event=handle, color="never"),
        on_event,
        notify,
    )
    return {getattr(op, "value", op): count for op, count in result.change_summary.items()}


def up(
    session: Session, spec: Spec, up_plan: UpPlan, *, on_event: OnEvent, notify: Notify, retry: str
) -> tuple[dict[str, Any], dict[str, int]]:
    """Record the spec and overrides (so the update's history carries them), then apply.

    Returns the stack outputs and what the update did (counts by operation)."""
    _save_config(session, spec, up_plan.overrides)
    result = _run(
        session,
        "update",
        retry,
        lambda handle: session.stack.up(
            program=_program(spec, up_plan.options()), on_event=handle, color="never", suppress_progress=True
        ),
        on_event,
        notify,
    )
    return plain_outputs(result.outputs), dict(result.summary.resource_changes or {})


def is_recorded(session: Session, spec: Spec, overrides: Overrides) -> bool:
    """Does the last successful update carry this spec and these `scale` values? When a spec change moves no
    resource (a spec value that replaces an equal `scale` value), only an update records it."""
    keys = {SPEC_KEY, "aws:region", *(setting.config_key for setting in SCALE_SETTINGS)}
    recorded = {key: value for key, value in session.applied().config.items() if key in keys}
    return recorded == _recorded_config(spec, overrides)


def outputs(session: Session) -> dict[str, Any]:
    with session.translated("outputs", "ftcluster outputs"):
        return plain_outputs(session.workspace.stack_outputs(session.stack_name))


# --- scale -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleChange:
    """What `ftcluster scale` will do, known before anything runs."""

    spec: Spec  # as last applied: scale works on that, not on a file
    overrides: Overrides  # in force after the scale
    before: dict[str, int | None]  # each scale setting as deployed now (the program's own arithmetic)
    after: dict[str, int | None]  # and after the scale
    targets: list[str]  # URNs of the targeted update
    completed: frozenset[str] = frozenset()  # completed jobs that stay at 0
    restarted: frozenset[str] = frozenset()  # completed jobs this scale starts again (a count above 0 for them)

    @property
    def shrinks(self) -> list[str]:
        """The counts that go down: fewer tasks or instances stop running work (limits alone stop nothing)."""
        return [
            name
            for name in ("tasks", "workers", "instances")
            if (after := self.after[name]) is not None and (before := self.before[name]) is not None and after < before
        ]


def _require_applied(session: Session) -> Spec:
    spec = applied_spec(session)
    if spec is None:
        raise FtclusterError(
            f"cluster {session.label} has no successful `ftcluster up` on record (never deployed, or by an "
            "ftcluster too old to record its spec)",
            hint="run `ftcluster up SPEC` once; scale works on the spec that was applied",
        )
    failed = session.applied().failed_since
    if failed is not None and failed.get(SPEC_KEY) != session.applied().config.get(SPEC_KEY):
        raise FtclusterError(
            f"the last update of {session.label} failed part-way, with a spec other than the one last applied: "
            "scaling now would build on the older spec and could undo part of that update",
            hint="finish that update with `ftcluster up SPEC` (its spec, or the one applied before), then scale",
        )
    return spec


def _urns(session: Session, wanted: Callable[[dict[str, Any]], bool]) -> list[str]:
    return [r["urn"] for r in session.deployment().get("resources", []) if wanted(r)]


def plan_scale_change(
    session: Session,
    *,
    tasks: int | None,
    instances: int | None,
    adjust_limits: bool,
    reset: bool,
    workers: int | None = None,
) -> ScaleChange:
    from ..program import scale_targets

    spec = _require_applied(session)
    current = overrides_in_force(session)
    new = (
        Overrides()
        if reset
        else plan_scale(spec, current, tasks=tasks, instances=instances, adjust_limits=adjust_limits, workers=workers)
    )
    wanted = set(scale_targets(spec))
    targets = _urns(session, lambda r: type_and_name(r["urn"]) in wanted)
    if not targets:
        raise FtclusterError(
            f"cluster {session.label} has none of the resources scaling changes",
            hint="finish the deployment with `ftcluster up SPEC` first",
        )
    from .completion import read_completed

    completed = frozenset(read_completed(spec))
    asked = {TRAINING_JOB: tasks, WORKERS_JOB: workers}
    restarted = frozenset(job for job in completed if (asked.get(job) or 0) > 0)
    after = completed - restarted
    return ScaleChange(
        spec,
        new,
        deployed_values(spec, current, completed),
        deployed_values(spec, new, after),
        targets,
        after,
        restarted,
    )


def apply_scale(session: Session, change: ScaleChange, *, on_event: OnEvent, notify: Notify) -> dict[str, int]:
    """Record the new overrides, start completed jobs again if asked, then run the targeted update; what it
    did, by operation."""
    restart_completed(session, change.spec, change.overrides, change.restarted, on_event=on_event, notify=notify)
    _save_config(session, change.spec, change.overrides)
    options = change.overrides.options(completed=change.completed)
    result = _targeted_up(session, change.spec, options, "scale", on_event, notify, targets=change.targets)
    return dict(result.summary.resource_changes or {})


def _targeted_up(
    session: Session,
    spec: Spec,
    options: ProgramOptions,
    operation: str,
    on_event: OnEvent,
    notify: Notify,
    *,
    targets: list[str] | None = None,
) -> Any:
    """An update of the resources a count change touches (program.scale_targets)."""
    from ..program import scale_targets

    if targets is None:
        wanted = set(scale_targets(spec))
        targets = _urns(session, lambda r: type_and_name(r["urn"]) in wanted)

    def apply(handle: Callable[[Any], None]) -> Any:
        return session.stack.up(
            program=_program(spec, options),
            target=targets,
            on_event=handle,
            color="never",
            suppress_progress=True,
        )

    return _run(session, operation, f"ftcluster scale --cluster {session.stack_name} ...", apply, on_event, notify)


# --- destroy / refresh / cancel ---------------------------------------------------------------------


@dataclass(frozen=True)
class DestroyResult:
    outputs_before: dict[str, Any]
    changes: dict[str, int]
    stack_removed: bool


@dataclass(frozen=True)
class StackContents:
    """What the stack holds, for the question before `destroy`."""

    resources: int  # AWS resources (the stack and its providers are not counted)
    retained: int  # of those, kept on destroy (retainOnDelete: the checkpoint bucket and its settings)
    checkpoint_bucket: str | None  # the bucket the stack created, if it did


def stack_contents(session: Session) -> StackContents:
    from ..program.names import CHECKPOINT_BUCKET

    resources = [r for r in session.deployment().get("resources", []) if not r["type"].startswith("pulumi:")]
    bucket = next((r for r in resources if type_and_name(r["urn"])[1] == CHECKPOINT_BUCKET), None)
    return StackContents(
        len(resources),
        sum(1 for r in resources if r.get("retainOnDelete")),
        (bucket.get("outputs") or {}).get("bucket") if bucket else None,
    )


def destroy(
    session: Session, *, delete_checkpoints: bool, keep_stack: bool, on_event: OnEvent, notify: Notify
) -> DestroyResult:
    spec = applied_spec(session)
    overrides = overrides_in_force(session)
    before = outputs(session)
    retry = f"ftcluster destroy --cluster {session.stack_name}"
    if delete_checkpoints:
        kept = _urns(session, lambda r: bool(r.get("retainOnDelete")))
        if kept:
            if spec is None:
                raise FtclusterError(
                    "--delete-checkpoints needs the applied spec, which this stack does not record",
                    hint="delete the bucket in the S3 console after destroy",
                )
            notify(f"letting go of the checkpoint bucket: {len(kept)} resource(s) lose their keep-on-destroy flag")
            _run(
                session,
                "update",
                retry,
                lambda handle: session.stack.up(
                    program=_program(spec, overrides.options(delete_checkpoints=True)),
                    target=kept,
                    on_event=handle,
                    color="never",
                    suppress_progress=True,
                ),
                on_event,
                notify,
            )
    program = _program(spec, overrides.options()) if spec is not None else _no_program
    retained = RetainedDeletes()
    result = _run(
        session,
        "destroy",
        retry,
        lambda handle: session.stack.destroy(
            program=program, on_event=_tee(retained, handle), color="never", suppress_progress=True
        ),
        on_event,
        notify,
    )
    removed = False
    if not keep_stack:
        with session.translated("destroy", retry):
            session.workspace.remove_stack(session.stack_name)
        removed = True
    return DestroyResult(before, retained.split(dict(result.summary.resource_changes or {})), removed)


def refresh(session: Session, *, clear_pending_creates: bool, on_event: OnEvent, notify: Notify) -> dict[str, int]:
    spec = applied_spec(session)
    program = _program(spec, overrides_in_force(session).options()) if spec is not None else _no_program
    result = _run(
        session,
        "refresh",
        f"ftcluster refresh --cluster {session.stack_name}",
        lambda handle: session.stack.refresh(
            program=program,
            on_event=handle,
            color="never",
            clear_pending_creates=clear_pending_creates or None,
            suppress_progress=True,
        ),
        on_event,
        notify,
    )
    check_after_refresh(session)
    return dict(result.summary.resource_changes or {})


def has_no_lock(session: Session) -> bool:
    """True when a file backend holds no lock file for the stack (in the lock folder of its layout: diy.py);
    False when it does, or for another backend: then Pulumi decides."""
    folder = session.lock_folder()
    return folder is not None and not is_locked(folder)


def cancel(session: Session) -> bool:
    """Release the lock of an interrupted update; False when there was nothing to cancel."""
    if has_no_lock(session):
        return False
    with session.translated("cancel", f"ftcluster cancel --cluster {session.stack_name}"):
        session.stack.cancel()
    return True
