"""Turn Pulumi failures into FtclusterErrors a person can act on (no stack traces, no CLI dumps)."""

from __future__ import annotations

import json
import os
import re
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FtclusterError, ResourceFailure, StackError, StackLocked, StackNotFound
from ..program.names import STACK_TYPE
from .urns import type_and_name

MAX_MESSAGE_LINES = 6
# pkg/resource/deploy/deployment_executor.go reportExecResult: after resource failures (or a cancel) the
# engine adds a URN-less "update failed" / "preview failed" / "update canceled" error that says nothing new
_RUN_RESULT = re.compile(r"^(update|preview) (failed|canceled)$")
# sdk/go/common/diag/errors.go 2013 (GetResourceWillBeCreatedButWasNotSpecifiedInTargetList, "was was" and all):
# a targeted update touches a resource that depends on one the stack does not have yet
_UNTARGETED_CREATE = re.compile(
    r"Resource '([^']+)' depends on '([^']+)' which was (?:was )?not specified in --target list"
)
# pkg/backend/diy/backend.go newDIYBackend, from 3.257: a file backend in the legacy layout is refused
_LEGACY_REFUSED = "Legacy DIY state is deprecated"


@dataclass
class Diagnostics:
    """Collects error diagnostics and failed resources from engine events (called from gRPC threads)."""

    errors: dict[str, list[str]] = field(default_factory=dict)  # urn ("" = the run itself) -> messages
    failed: list[str] = field(default_factory=list)  # urns whose operation failed, in order
    warnings: list[str] = field(default_factory=list)  # warnings of the run itself (no URN)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event: Any) -> None:
        with self._lock:
            diag = event.diagnostic_event
            if diag and diag.severity == "error":
                self.errors.setdefault(diag.urn or "", []).append(diag.message.strip())
            elif diag and diag.severity == "warning" and not diag.urn:
                self.warnings.append(diag.message.strip())
            if event.res_op_failed_event:
                urn = event.res_op_failed_event.metadata.urn
                if urn not in self.failed:
                    self.failed.append(urn)

    def messages(self) -> list[str]:
        """Every error message, whatever it is about."""
        with self._lock:
            return [message for messages in self.errors.values() for message in messages]

    def failures(self) -> list[ResourceFailure]:
        """The failed resources with their messages, as data for StackError."""
        with self._lock:
            found = [(urn, tuple(self.errors.get(urn) or ())) for urn in self.failed]
        return [ResourceFailure(*type_and_name(urn), messages) for urn, messages in found]

    def describe(self) -> list[str]:
        """One readable line (or a few) per failing resource, then errors of the run itself."""
        with self._lock:
            urns = self.failed + [u for u in self.errors if u not in self.failed]
            found = [(urn, self.errors.get(urn) or ["failed (no details reported)"]) for urn in urns]
        return _describe(found)


def _describe(found: list[tuple[str, list[str]]]) -> list[str]:
    """`TYPE NAME: message` per resource, then run-level messages (without the bare "update failed"
    when anything more telling is listed)."""
    more = any(urn for urn, _ in found) or any(not _RUN_RESULT.match(m) for urn, ms in found if not urn for m in ms)
    lines = []
    for urn, messages in found:
        if not urn and more:
            messages = [m for m in messages if not _RUN_RESULT.match(m)]
        if messages:
            message = "\n    ".join(_trim(m) for m in messages)
            lines.append(f"{describe_urn(urn)}: {message}" if urn else message)
    return lines


def stdout_diagnostics(err: Exception) -> list[str]:
    """The errors of the "Diagnostics:" section the CLI prints on stdout, for when no diagnostic event
    arrived (the event stream broke): a failed engine run prints nothing on stderr.

    pkg/backend/display/progress.go printDiagnostics: a `  TYPE (NAME):` header per resource, then every
    line of each message with four spaces before it, the first one starting with its severity
    (`error: `, `warning: `); a blank line ends the resource's messages."""
    text = str(err)  # "\n code: N\n stdout: ...\n stderr: ..."
    stdout = text.split("\n stdout: ", 1)[-1].split("\n stderr: ", 1)[0]
    found: list[tuple[str, list[str]]] = []
    inside = False
    in_error = False  # the lines being read continue an error message
    for line in stdout.splitlines():
        if line.strip() == "Diagnostics:":
            inside = True
        elif inside and line.strip() and not line.startswith(" "):
            break  # "Outputs:", "Resources:" ...
        elif inside and (header := re.match(r"^  (\S+) \((.+)\):$", line)):
            kind, name = header.groups()
            found.append(("" if kind == STACK_TYPE else f"{kind}::{name}", []))
            in_error = False
        elif inside and found and line.startswith("    error: "):
            found[-1][1].append(line[len("    error: ") :])
            in_error = True
        elif inside and (not line.strip() or re.match(r"^    (warning|info|debug): ", line)):
            in_error = False
        elif inside and found and in_error and line.startswith("    "):
            found[-1][1][-1] += "\n" + line.strip()  # a continuation line of the message above
    return _describe([(urn, messages) for urn, messages in found if messages])


def describe_urn(urn: str) -> str:
    """`aws:ecs/service:Service training-service` from a URN (or `TYPE::NAME`)."""
    type_, name = type_and_name(urn)
    if not type_ and "::" in urn:
        type_, name = urn.split("::", 1)
    return f"{type_} {name}" if type_ else urn


def _trim(message: str) -> str:
    lines = [line for line in message.splitlines() if line.strip()]
    if len(lines) > MAX_MESSAGE_LINES:
        lines = [*lines[:MAX_MESSAGE_LINES], "..."]
    return "\n    ".join(lines)


def command_error_message(err: Exception) -> str:
    """The CLI's own `error: ...` message from a CommandError, without the code/stdout/stderr dump."""
    text = str(err)  # "\n code: N\n stdout: ...\n stderr: ..."
    stderr = text.split("\n stderr: ", 1)[1] if "\n stderr: " in text else text
    lines = [line.rstrip() for line in stderr.strip().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("error:")), None)
    if start is None:
        return lines[-1].strip() if lines else "unknown error"
    message = "\n".join(lines[start : start + MAX_MESSAGE_LINES]).strip()[len("error:") :].strip()
    return message + ("\n..." if len(lines) - start > MAX_MESSAGE_LINES else "")


ACTIONS = {
    "update": "the update",
    "preview": "the preview",
    "scale": "the scale update",
    "destroy": "the destroy",
    "refresh": "the refresh",
    "open": "opening the stack",
    "lookup": "listing the stacks",
    "list": "listing the stacks",
    "outputs": "reading the outputs",
    "read": "reading the state",
}


@dataclass(frozen=True)
class StackContext:
    cluster: str  # what the user calls it, for messages
    stack: str
    operation: str  # "update", "preview", "destroy", "refresh"
    lock_folder: Path | None  # file backends only
    retry: str  # the command that resumes, e.g. "ftcluster up configs/x.yaml"


def lock_holder(lock_folder: Path | None) -> str | None:
    """`user@host, pid 123 (still running)` from a file backend's lock file, when there is one."""
    if lock_folder is None or not lock_folder.is_dir():
        return None
    for path in sorted(lock_folder.glob("*.json")):
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        pid = info.get("pid")
        alive = ""
        if isinstance(pid, int) and info.get("hostname") == socket.gethostname():
            try:
                os.kill(pid, 0)
                alive = ", still running"
            except ProcessLookupError:
                alive = ", no longer running"
            except PermissionError:
                alive = ", still running"
        return f"{info.get('username', '?')}@{info.get('hostname', '?')}, pid {pid}{alive}, since {info.get('timestamp', '?')}"
    return None


def _details(err: Exception, diagnostics: Diagnostics | None) -> list[str]:
    """From the diagnostic events; from the CLI's stdout when no error diagnostic arrived."""
    if diagnostics is not None and diagnostics.errors:
        return diagnostics.describe()
    return stdout_diagnostics(err) or (diagnostics.describe() if diagnostics else [])


def _untargeted_creates(err: Exception, diagnostics: Diagnostics | None) -> list[str]:
    """`NAME needs DEPENDENCY (TYPE)` for each error 2013, from the diagnostic events or the CLI's output."""
    messages = diagnostics.messages() if diagnostics is not None else []
    found = [match.groups() for text in [*messages, str(err)] for match in _UNTARGETED_CREATE.finditer(text)]
    return list(
        dict.fromkeys(f"{type_and_name(step)[1]} needs {describe_urn(dependency)}" for step, dependency in found)
    )


def translate(err: Exception, context: StackContext, diagnostics: Diagnostics | None) -> FtclusterError:
    from pulumi.automation import errors as auto_errors

    where: dict[str, Any] = {"cluster": context.cluster, "stack": context.stack, "operation": context.operation}
    if isinstance(err, auto_errors.ConcurrentUpdateError):
        return StackLocked(**where, holder=lock_holder(context.lock_folder))
    if isinstance(err, auto_errors.StackNotFoundError):
        return StackNotFound(**where)
    if isinstance(err, auto_errors.InlineSourceRuntimeError):
        detail = _details(err, diagnostics)
        return StackError(
            "the ftcluster program failed while declaring resources:\n  "
            + "\n  ".join(detail or [command_error_message(err)]),
            **where,
            hint="this is a bug in ftcluster unless the message names your spec; run with --debug and report it",
        )
    if isinstance(err, auto_errors.CommandError) and (missing := _untargeted_creates(err, diagnostics)):
        what = f"{ACTIONS.get(context.operation, context.operation)} of cluster {context.cluster} failed"
        return StackError(
            f"{what}: it needs resources the stack does not have yet (the cluster was deployed by an older "
            "ftcluster, or its last `up` did not finish), and a targeted update may not create them:\n  "
            + "\n  ".join(missing),
            **where,
            hint=f"run `ftcluster up SPEC` first (it creates them), then `{context.retry}` again",
        )
    if isinstance(err, auto_errors.CommandError) and _LEGACY_REFUSED in str(err):
        return StackError(
            "the Pulumi CLI refuses this state backend: it is in Pulumi's legacy layout (no .pulumi/meta.yaml; "
            "Legacy DIY state is deprecated, pulumi/pulumi#19566)",
            **where,
            hint="upgrade the backend with `pulumi state upgrade` (every stack in it moves to per-project folders), "
            "or set PULUMI_DIY_BACKEND_IGNORE_DEPRECATION_ERROR=1 to go on with it",
        )
    if isinstance(err, auto_errors.CommandError):
        detail = _details(err, diagnostics)
        what = f"{ACTIONS.get(context.operation, context.operation)} of cluster {context.cluster} failed"
        message = f"{what}:\n  " + "\n  ".join(detail) if detail else f"{what}: {command_error_message(err)}"
        hint = None
        if "must be set for login during non-interactive CLI sessions" in message:
            # pkg/backend/backenderr/backenderr.go MissingEnvVarForNonInteractiveError: no token found
            hint = (
                "log in with `pulumi login` (ftcluster uses the login of your own Pulumi home), "
                "or set PULUMI_ACCESS_TOKEN"
            )
        elif context.operation in ("update", "scale", "destroy", "refresh"):
            hint = f"resources that finished are recorded in the state; fix the cause and run `{context.retry}` again"
        return StackError(message, **where, failures=diagnostics.failures() if diagnostics else (), hint=hint)
    if isinstance(err, auto_errors.InvalidVersionError):
        return FtclusterError(str(err), hint="run `ftcluster install-pulumi` to get a matching Pulumi CLI")
    raise err
