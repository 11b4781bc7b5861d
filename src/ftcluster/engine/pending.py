"""Operations an interrupted Pulumi run left unfinished: the `pending_operations` of the stack's state.

How the real CLI treats them: a non-interactive `refresh` keeps pending creates and exits 0 (only
`--clear-pending-creates` drops them: pkg/cmd/pulumi/operations/refresh.go); `up` and `destroy` only
warn (pkg/resource/deploy/deployment_executor.go); every run drops the other kinds (updating,
deleting) from the state but carries pending creates on (pkg/backend/snapshot.go). A pending create
is a resource that may exist in AWS although the state does not list it: `up` would create it a second
time and `destroy` would leave it behind. So ftcluster stops before those and says how to recover.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import FtclusterError, PendingOperations
from .diy import is_locked
from .urns import type_and_name

if TYPE_CHECKING:
    from .session import Session

Notify = Callable[[str], None]


@dataclass(frozen=True)
class PendingOperation:
    type: str  # resource type token
    name: str  # logical name
    kind: str  # what Pulumi was doing: "creating", "updating", "deleting", "reading", "importing"

    def describe(self) -> str:
        return f"{self.type} {self.name} (interrupted while {self.kind})"


def pending_operations(session: Session) -> list[PendingOperation]:
    """From the exported stack (`pulumi stack export`), which needs no lock."""
    found = []
    for operation in session.deployment().get("pending_operations") or []:
        resource = operation.get("resource") or {}
        type_, name = type_and_name(str(resource.get("urn", "")))
        found.append(PendingOperation(str(resource.get("type") or type_), name, str(operation.get("type", "?"))))
    return found


def recovery_hint(session: Session) -> str:
    return (
        "check in AWS whether those resources exist (delete the ones you do not want), then run "
        f"`ftcluster refresh --clear-pending-creates --cluster {session.stack_name}`"
    )


def _listed(operations: list[PendingOperation]) -> str:
    return "\n  ".join(op.describe() for op in operations)


def stop_on_pending_creates(session: Session, notify: Notify) -> None:
    """Before `up`, `scale` and `destroy`: stop when creations are pending; mention other pending work."""
    pending = pending_operations(session)
    creates = [op for op in pending if op.kind == "creating"]
    if creates:
        raise PendingOperations(
            f"cluster {session.label}: an interrupted run left {len(creates)} creation(s) unfinished; these "
            "resources may exist in AWS without being in the state (an update would create them again, a "
            f"destroy would leave them behind):\n  {_listed(creates)}",
            cluster=session.label,
            stack=session.stack_name,
            operation="check",
            operations=[op.describe() for op in creates],
            hint=recovery_hint(session),
        )
    if pending:
        notify(
            f"an interrupted run left {len(pending)} operation(s) unfinished: {_listed(pending)}; Pulumi "
            f"carries on and drops them from the state, so run `ftcluster refresh --cluster "
            f"{session.stack_name}` afterwards to check the state against AWS"
        )


def check_after_refresh(session: Session) -> None:
    """A refresh (without --clear-pending-creates) keeps pending creates: say so instead of `refreshed`."""
    creates = [op for op in pending_operations(session) if op.kind == "creating"]
    if creates:
        raise PendingOperations(
            f"refreshed cluster {session.label}, but {len(creates)} creation(s) an interrupted run left "
            f"unfinished are still pending:\n  {_listed(creates)}",
            cluster=session.label,
            stack=session.stack_name,
            operation="refresh",
            operations=[op.describe() for op in creates],
            hint=recovery_hint(session),
        )


def hard_stop_advice(session: Session) -> str:
    """What to do after a hard stop. After a second Ctrl-C Pulumi normally still released the lock (its
    deferred unlock runs, pkg/backend/cancellation_scope.go), but the operations in flight stay pending;
    a CLI killed by the signal kept the lock. The lock folder of a file backend says which."""
    session.forget_state()
    locked = is_locked(session.lock_folder())
    release = (
        f"release the stack lock with `ftcluster cancel --cluster {session.stack_name}` "
        "(Pulumi did not get to release it), then "
        if locked
        else ""
    )
    try:
        pending = pending_operations(session)
    except FtclusterError:
        return f"{release}run `ftcluster refresh --cluster {session.stack_name}` and follow what it says"
    creates = [op for op in pending if op.kind == "creating"]
    if creates:
        return f"{release}{recovery_hint(session)}; unfinished: {'; '.join(op.describe() for op in creates)}"
    if pending:
        return f"{release}run `ftcluster refresh --cluster {session.stack_name}` to bring the state in line with AWS"
    return f"{release}run the same command again to carry on (nothing was left unfinished)"


def show_run_warnings(warnings: list[str], notify: Notify) -> None:
    """Pulumi's own warnings about the run (e.g. "Attempting to deploy or update resources with N
    pending operations"), which are diagnostic events and would otherwise go unseen. Only the first
    line and its `* ...` list: the rest of that one is advice for interactive `pulumi` users."""
    for warning in dict.fromkeys(warnings):
        first, *rest = warning.splitlines() or [""]
        listed = [line.strip() for line in rest if line.strip().startswith("* ")]
        notify("pulumi warned: " + "\n  ".join([first.strip(), *listed]))
