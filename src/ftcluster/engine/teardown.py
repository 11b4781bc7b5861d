"""Tearing a cluster down: `destroy` stage by stage, and the leftover check (also `destroy --verify-only`).

Same shape as lifecycle.py (whose `Hooks` it takes): nothing here prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FtclusterError, UsageError
from . import operations as ops
from .lifecycle import Confirmation, Hooks
from .pending import stop_on_pending_creates
from .session import Session, open_stack
from .stacks import Target, clear_active, resolve_target

if TYPE_CHECKING:
    from ..live.leftovers import LeftoverReport
    from ..spec import Spec


@dataclass(frozen=True)
class Destroyed:
    cluster: str
    stack: str
    backend: str
    changes: dict[str, int]  # `retain`: deleted from the stack, kept in AWS (the checkpoint bucket and its settings)
    stack_removed: bool
    kept_bucket: str | None  # the checkpoint bucket destroy left in place, if any
    leftovers: LeftoverReport | None  # None when the leftover check itself failed
    leftover_error: FtclusterError | None = None  # why it failed; the destroy itself is done


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
    """Confirm by name, destroy everything but the checkpoints (unless asked), remove the stack, look for leftovers.

    A failed leftover check does not hide what the destroy did: it comes back with the result."""
    session = open_stack(resolve_target(spec_path, cluster, environ), environ, notify=hooks.notify, engine=True)
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
    leftovers, failure = None, None
    try:
        leftovers = _leftovers(
            session.target, hooks, result.outputs_before, checkpoints_kept=not delete_checkpoints, applied=applied
        )
    except FtclusterError as err:
        failure = err
    return Destroyed(
        session.label,
        session.stack_name,
        session.settings.backend_url,
        result.changes,
        result.stack_removed,
        str(bucket) if bucket and not delete_checkpoints else None,
        leftovers,
        failure,
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


def _leftovers(
    target: Target,
    hooks: Hooks,
    outputs: Mapping[str, Any],
    *,
    checkpoints_kept: bool,
    applied: Spec | None = None,
) -> LeftoverReport:
    """`applied`: the spec the stack recorded, for its endpoint_url when the target came without a spec."""
    from ..live.leftovers import find_leftovers

    spec = target.spec or applied
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
