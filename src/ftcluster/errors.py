"""The one error hierarchy of ftcluster; the CLI maps each class to an exit code.

Errors carry the data they are about (the stack, the resources, the checks), so a caller can act on
them without parsing the message; the message is built from that data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

AwsErrorKind = Literal["credentials", "access", "not_found", "throttled", "unreachable", "other"]  # aws.py translate


class FtclusterError(Exception):
    """An expected failure with a message meant for the user (exit code 1)."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(FtclusterError):
    """The command line asks for something that cannot be done (exit code 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec file, located as precisely as the file allows."""

    path: str  # dotted key path, e.g. "training.capacity.spot_percent"; "" for the whole file
    message: str
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based

    def render(self, file: str) -> str:
        where = file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"

    def to_dict(self, file: str) -> dict[str, str | int | None]:
        """The `--json` shape: key is None for the whole file, line and column None when unknown."""
        return {
            "file": file,
            "line": self.line,
            "column": self.column,
            "key": self.path or None,
            "message": self.message,
        }


class SpecError(FtclusterError):
    """A spec file that cannot be used (exit code 2); carries every problem found."""

    exit_code = 2

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        super().__init__(f"{file}: {count}:\n" + "\n".join(p.render(file) for p in problems))


class Interrupted(FtclusterError):
    """The user pressed Ctrl-C during a run (exit code 130). `hard`: the second Ctrl-C stopped it at once."""

    exit_code = 130

    def __init__(self, message: str, *, hint: str | None = None, hard: bool = False) -> None:
        super().__init__(message, hint=hint)
        self.hard = hard


class AwsError(FtclusterError):
    """An AWS call that failed, classified so callers can react (exit code 1).

    kind says which (AwsErrorKind).
    """

    def __init__(self, message: str, *, kind: AwsErrorKind, code: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.kind = kind
        self.code = code


@dataclass(frozen=True)
class ResourceFailure:
    """One resource whose operation failed in a Pulumi run, with its provider's messages."""

    type: str  # e.g. aws:ecs/service:Service ("" when the message is about the run itself)
    name: str  # logical name
    messages: tuple[str, ...]


class StackError(FtclusterError):
    """A Pulumi run on a cluster's stack failed. `failures` lists the resources that failed."""

    def __init__(
        self,
        message: str,
        *,
        cluster: str,
        stack: str,
        operation: str,
        failures: Sequence[ResourceFailure] = (),
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.cluster = cluster
        self.stack = stack
        self.operation = operation
        self.failures = tuple(failures)


class StackLocked(StackError):
    """Another run holds the stack's lock. `holder` describes it when a file backend tells."""

    def __init__(self, *, cluster: str, stack: str, operation: str, holder: str | None) -> None:
        who = f" (lock held by {holder})" if holder else ""
        super().__init__(
            f"cluster {cluster} is being changed by another ftcluster or pulumi run{who}",
            cluster=cluster,
            stack=stack,
            operation=operation,
            hint=f"wait for it to finish; if that run is gone, release its lock with "
            f"`ftcluster cancel --cluster {stack}`, then `ftcluster refresh --cluster {stack}`",
        )
        self.holder = holder


class StackNotFound(StackError):
    """The cluster has no stack in the state backend."""

    def __init__(self, *, cluster: str, stack: str, operation: str) -> None:
        super().__init__(
            f"no cluster {cluster} in the state backend (looked for stack {stack})",
            cluster=cluster,
            stack=stack,
            operation=operation,
            hint="create it with `ftcluster up SPEC`, or see what exists with `ftcluster list`",
        )


class PendingOperations(StackError):
    """An interrupted run left creations unfinished; `operations` describe them (type, name, what was done)."""

    def __init__(
        self, message: str, *, cluster: str, stack: str, operation: str, operations: Sequence[str], hint: str
    ) -> None:
        super().__init__(message, cluster=cluster, stack=stack, operation=operation, hint=hint)
        self.operations = tuple(operations)


class RecordedSpecUnreadable(FtclusterError):
    """The spec the last `up` recorded in the stack's config cannot be read; `reason` says why. Commands
    that compare with it or work on it (up, preview, scale, destroy, refresh) stop rather than guess."""

    def __init__(self, *, cluster: str, stack: str, reason: str, hint: str) -> None:
        super().__init__(f"cannot read the spec the last `up` of cluster {cluster} recorded: {reason}", hint=hint)
        self.cluster = cluster
        self.stack = stack
        self.reason = reason


class PreflightFailed(FtclusterError):
    """Preflight checks failed; `checks` are their titles."""

    def __init__(self, checks: Sequence[str], *, hint: str) -> None:
        super().__init__(f"preflight failed: {', '.join(checks)}", hint=hint)
        self.checks = tuple(checks)


class ChangesPending(FtclusterError):
    """`preview --expect-no-changes` found changes (a drift check)."""

    def __init__(self, *, cluster: str, summary: str, hint: str) -> None:
        super().__init__(f"cluster {cluster} has changes pending: {summary}", hint=hint)
        self.cluster = cluster


class LeftoversFound(FtclusterError):
    """AWS still holds resources of a destroyed cluster; `resources` are their ids."""

    def __init__(self, *, cluster: str, resources: Sequence[str]) -> None:
        super().__init__(
            f"{len(resources)} resource(s) of cluster {cluster} are still in AWS",
            hint="delete them (see above), or run `ftcluster destroy` again if the stack still exists",
        )
        self.cluster = cluster
        self.resources = tuple(resources)


class RolloutFailed(FtclusterError):
    """A service's deployment failed, is missing in ECS, or had not settled when the wait ran out; `updated`:
    this `up` applied changes (else it had nothing to change and only checked the services)."""

    def __init__(
        self,
        *,
        cluster: str,
        problems: Sequence[str],
        timed_out: bool,
        hint: str,
        updated: bool = True,
        missing: bool = False,
    ) -> None:
        what = (
            "did not reach a steady state in time"
            if timed_out
            else "are missing in ECS"
            if missing
            else "failed to deploy"
        )
        done = "was updated" if updated else "has nothing to update"
        super().__init__(f"cluster {cluster} {done}, but its services {what}:\n  " + "\n  ".join(problems), hint=hint)
        self.cluster = cluster
        self.problems = tuple(problems)
        self.timed_out = timed_out
        self.missing = missing


class NotDeployed(StackError):
    """The cluster's stack exists but holds no resources: created and never deployed (or destroyed, kept)."""

    def __init__(self, *, cluster: str, stack: str, operation: str) -> None:
        super().__init__(
            f"cluster {cluster} is not deployed: its stack {stack} is in the state backend, but holds no resources",
            cluster=cluster,
            stack=stack,
            operation=operation,
            hint=f"deploy it with `ftcluster up SPEC`, or remove the empty stack with "
            f"`ftcluster destroy --cluster {stack} --yes`",
        )


class Declined(FtclusterError):
    """The user answered no to a confirmation: nothing was changed."""
