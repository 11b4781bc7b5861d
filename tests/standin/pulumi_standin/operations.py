"""`up`, `preview`, `destroy` and `refresh`: lock, run the program over gRPC, write state, history and events."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .backend import Project, StandinError, stack_outputs, verify_passphrase
from .deploy import Aborted, Deployment, Knobs
from .events import EventSink


class Interrupts:
    """Ctrl-C like the real CLI (pkg/backend/cancellation_scope.go): the first cancels cleanly, the second
    terminates the engine at once. Both messages are engine stdout events, so they go to stdout."""

    def __init__(self) -> None:
        self.deployment: Deployment | None = None
        self.lock: Path | None = None
        self.count = 0

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, frame) -> None:
        self.count += 1
        if self.count == 1:
            print(
                "^C received; cancelling. If you would like to terminate immediately, press ^C again.\n"
                "Note that terminating immediately may lead to orphaned resources and other inconsistencies.",
                flush=True,
            )
            if self.deployment is not None:
                self.deployment.cancelled.set()
            return
        print("^C received; terminating", flush=True)
        if self.deployment is not None:
            # the operations in flight stay pending in the checkpoint ...
            self.deployment.save_checkpoint(final=False)
            self.deployment.sink.close()
        if self.lock is not None:
            # ... but the diy backend's deferred Unlock still runs (pkg/backend/diy/backend.go Update/Destroy)
            self.lock.unlink(missing_ok=True)
        os._exit(255)


def _stall(environ: dict[str, str]) -> None:
    """PULUMI_STANDIN_STALL_AFTER_LOCK: wait with the lock taken and no Ctrl-C handler yet (a slow engine
    start); a SIGINT now kills the process by the signal and leaves the lock behind."""
    import time

    ready = environ.get("PULUMI_STANDIN_READY_FILE")
    if ready:
        Path(ready).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(float(environ["PULUMI_STANDIN_STALL_AFTER_LOCK"]))


def _run_program(deployment: Deployment, client: str, project: str, stack: str, parallel: int) -> None:
    import grpc

    from .monitor import serve
    from .protos import language_pb2, language_pb2_grpc

    server, address = serve(deployment)
    result: dict[str, Any] = {}

    def call() -> None:
        with grpc.insecure_channel(client) as channel:
            request = language_pb2.RunRequest(
                project=project,
                stack=stack,
                pwd=os.getcwd(),
                args=[address],
                config=deployment.config,
                dryRun=deployment.dry_run,
                parallel=parallel,
                monitor_address=address,
                organization="organization",
            )
            try:
                result["response"] = language_pb2_grpc.LanguageRuntimeStub(channel).Run(request)
            except grpc.RpcError as err:
                result["error"] = f"the language host failed: {err.details()}"

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.05)  # short waits keep the main thread free to run the SIGINT handler
    server.stop(grace=1)
    error = result.get("error") or getattr(result.get("response"), "error", "")
    if error:
        deployment.program_failed(error)


def display_name(type_: str) -> str:
    """sdk/go/common/tokens/tokens.go Type.DisplayName: `aws:ecs/service:Service` -> `aws:ecs:Service`."""
    parts = type_.split(":")
    if len(parts) != 3 or "/" not in parts[1] or not parts[2]:
        return type_
    module, _, file = parts[1].rpartition("/")
    return f"{parts[0]}:{module}:{parts[2]}" if file == parts[2][0].lower() + parts[2][1:] else type_


def _print_report(verb: str, deployment: Deployment, stack: str, outputs: dict[str, Any] | None) -> None:
    lines = [f"{verb} (organization/{deployment.project}/{stack}):", ""]
    by_resource: dict[str, list[str]] = {}  # the display groups diagnostics per resource, URN-less under the stack
    for severity, found in (("warning", deployment.warnings), ("error", deployment.errors)):
        for urn, message in found:
            # pkg/backend/display/progress.go printDiagnostics: the severity prefix starts the message, and
            # every line of it is printed with four spaces before it, continuation lines included
            lines = f"{severity}: {message}".splitlines()
            by_resource.setdefault(urn, []).extend(f"    {line.rstrip()}" for line in lines)
    if by_resource:
        lines.append("Diagnostics:")
        for urn, messages in by_resource.items():
            parts = urn.split("::")
            lines.append(
                f"  {display_name(parts[2].split('$')[-1]) if len(parts) > 3 else 'pulumi:pulumi:Stack'} ({parts[-1]}):"
            )
            lines.extend(messages)
            lines.append("")
    if outputs:
        lines.append("Outputs:")
        lines.extend(f"    {key}: {value!r}" for key, value in outputs.items())
        lines.append("")
    lines.append("Resources:")
    lines.extend(f"    {count} {op}" for op, count in sorted(deployment.summary().items()))
    lines.append(f"\nDuration: {deployment.elapsed()}s")
    print("\n".join(lines))


def _execute(command: str, deployment: Deployment, project: Project, stack: str, flags: dict[str, Any]) -> None:
    if command in ("up", "preview"):
        if not flags.get("client"):
            raise StandinError("the pulumi stand-in runs only inline programs (--client)")
        _run_program(deployment, flags["client"], project.name, stack, int(flags.get("parallel") or 16))
        if not (deployment.failed or deployment.cancelled.is_set()):
            deployment.delete_unregistered()
    elif command == "destroy":
        for resource in reversed(deployment.resources()):
            if deployment.cancelled.is_set():
                break
            if not deployment.targets or resource["urn"] in deployment.targets:
                deployment.delete(resource, op="delete-replaced" if resource.get("delete") else "delete")
    else:  # refresh: the emulated cloud never drifts, so every resource reads back unchanged; a
        # non-interactive refresh leaves pending creates alone (pkg/cmd/pulumi/operations/refresh.go)
        deployment.refresh()


def pending_warning(checkpoint: dict[str, Any]) -> str | None:
    """pkg/resource/deploy/deployment_executor.go printPendingOperationsWarning (up and destroy only)."""
    pending = checkpoint["checkpoint"]["latest"]["pending_operations"]
    if not pending:
        return None
    lines = "".join(f"  * {op['resource']['urn']}, interrupted while {op['type']}\n" for op in pending)
    return (
        f"Attempting to deploy or update resources with {len(pending)} pending operations from previous "
        f"deployment.\n{lines}These resources are in an unknown state because the Pulumi CLI was interrupted "
        "while waiting for changes to these resources to complete. You should confirm whether or not the "
        "operations listed completed successfully by checking the state of the appropriate provider. For "
        "example, if you are using AWS, you can confirm using the AWS Console.\n\nOnce you have confirmed the "
        "status of the interrupted operations, you can repair your stack using `pulumi refresh` which will "
        "refresh the state from the provider you are using and clear the pending operations if there are "
        "any.\n\nNote that `pulumi refresh` will need to be run interactively to clear pending CREATE operations."
    )


def clear_pending_creates(checkpoint: dict[str, Any]) -> None:
    """pkg/cmd/pulumi/operations/refresh.go --clear-pending-creates: drops pending CREATE operations only."""
    latest = checkpoint["checkpoint"]["latest"]
    latest["pending_operations"] = [op for op in latest["pending_operations"] if op["type"] != "creating"]


def run(
    command: str,
    project: Project,
    stack: str,
    flags: dict[str, Any],
    environ: dict[str, str],
    pulumi_home: Path,
    interrupts: Interrupts,
) -> int:
    backend = project.backend
    checkpoint = backend.load(stack)
    verify_passphrase(checkpoint, environ)
    dry_run = command == "preview" or bool(flags.get("preview-only"))
    config = project.config(stack)
    lock = None if dry_run else backend.acquire_lock(stack)
    interrupts.lock = lock
    if lock is not None and environ.get("PULUMI_STANDIN_STALL_AFTER_LOCK"):
        _stall(environ)
    # pkg/backend/diy/backend.go apply: the cancellation scope (pkg/backend/cancellation_scope.go NewScope,
    # which installs the SIGINT handler) starts only now, after b.Lock; a SIGINT before it ends the process
    interrupts.install()
    if command == "refresh" and flags.get("clear-pending-creates") and not dry_run:
        clear_pending_creates(checkpoint)  # a state edit saved before the refresh runs
        backend.save(stack, checkpoint)
    sink = EventSink(
        flags.get("event-log"), set(filter(None, environ.get("PULUMI_STANDIN_DROP_EVENTS", "").split(",")))
    )
    deployment = Deployment(
        backend=backend,
        stack=stack,
        project=project.name,
        checkpoint=checkpoint,
        config=config,
        sink=sink,
        dry_run=dry_run,
        targets=flags.get("target", []),
        target_dependents=bool(flags.get("target-dependents")),
        knobs=Knobs(environ),
        pulumi_home=pulumi_home,
        environ=environ,
    )
    interrupts.deployment = deployment
    started = time.time()
    try:
        sink.prelude(config)
        warning = pending_warning(checkpoint) if command in ("up", "destroy") and not dry_run else None
        if warning:
            deployment.log("warning", warning, "")
        try:
            _execute(command, deployment, project, stack, flags)
        except Aborted:
            pass  # a resource failed: `deployment.failed` says so, and the run ends like the CLI's
    except BaseException:
        sink.close()
        if lock is not None:
            lock.unlink(missing_ok=True)
        raise
    failed = deployment.failed or deployment.saw_error or deployment.cancelled.is_set()
    if failed:
        # deployment_executor.go reportExecResult: a URN-less "update failed" (or "update canceled")
        # error diagnostic ends a failed run; the CLI then bails without printing anything on stderr
        kind = "preview" if dry_run else "update"
        deployment.log("error", f"{kind} {'failed' if deployment.failed or deployment.saw_error else 'canceled'}", "")
    if not dry_run:
        deployment.save_checkpoint(final=True)
        # pkg/backend/diy/backend.go apply: every update that ran, failed or not, is recorded with the
        # stack config it ran with (update.Target.Config); a run refused before it (a held lock) is not
        backend.append_history(
            stack,
            {
                "kind": {"up": "update"}.get(command, command),
                "startTime": int(started),
                "message": flags.get("message", ""),
                "environment": {"exec.kind": flags.get("exec-kind", "cli")},
                "config": dict(config),
                "result": "failed" if failed else "succeeded",
                "endTime": int(time.time()),
                "resourceChanges": deployment.summary(),
            },
        )
    sink.summary(deployment.summary(), deployment.elapsed())
    sink.cancel()
    sink.close()
    if lock is not None:
        lock.unlink(missing_ok=True)
    verb = {"up": "Updating", "preview": "Previewing update", "destroy": "Destroying", "refresh": "Refreshing"}
    _print_report(verb[command], deployment, stack, None if failed else stack_outputs(checkpoint))
    changed = {op: n for op, n in deployment.summary().items() if op != "same"}
    if failed:
        return 255
    if flags.get("expect-no-changes") and changed:
        print("error: no changes were expected but changes were proposed", file=sys.stderr)  # backenderr.go
        return 255
    return 0
