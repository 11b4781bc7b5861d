"""`up`, `preview`, `destroy` and `refresh`: lock, run the program over gRPC, write state, history and events."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from .backend import Project, StandinError, now_text, verify_passphrase
from .deploy import Aborted, Deployment, Knobs, ensure_no_pending, stack_outputs
from .events import EventSink


class Interrupts:
    """Ctrl-C like the real CLI: the first cancels cleanly, the second terminates at once."""

    def __init__(self) -> None:
        self.deployment: Deployment | None = None
        self.count = 0

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, frame) -> None:  # noqa: ANN001 - signal handler signature
        self.count += 1
        if self.count == 1:
            sys.stderr.write("^C received; cancelling. If you would like to terminate immediately, press ^C again.\n")
            sys.stderr.flush()
            if self.deployment is not None:
                self.deployment.cancelled.set()
        else:
            sys.stderr.write("^C received; terminating\n")
            sys.stderr.flush()
            os._exit(255)  # leaves the lock and any pending operations, as the real CLI does


def _run_program(deployment: Deployment, client: str, project: str, stack: str, parallel: int) -> None:
    import grpc
    from pulumi.runtime.proto import language_pb2, language_pb2_grpc

    from .monitor import serve

    server, address = serve(deployment)
    result: dict[str, Any] = {}

    def call() -> None:
        with grpc.insecure_channel(client) as channel:
            request = language_pb2.RunRequest(
                project=project, stack=stack, pwd=os.getcwd(), args=[address], config=deployment.config,
                dryRun=deployment.dry_run, parallel=parallel, monitor_address=address, organization="organization",
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


def _print_report(verb: str, deployment: Deployment, stack: str, outputs: dict[str, Any] | None) -> None:
    lines = [f"{verb} (organization/{deployment.project}/{stack}):", ""]
    if deployment.errors:
        lines.append("Diagnostics:")
        for urn, message in deployment.errors:
            parts = urn.split("::")
            lines.append(f"  {parts[2] if len(parts) > 3 else 'pulumi:pulumi:Stack'} ({parts[-1]}):")
            lines.extend(f"    error: {line}" for line in message.splitlines())
        lines.append("")
    if outputs:
        lines.append("Outputs:")
        lines.extend(f"    {key}: {value!r}" for key, value in outputs.items())
        lines.append("")
    lines.append("Resources:")
    lines.extend(f"    {count} {op}" for op, count in sorted(deployment.summary().items()))
    lines.append(f"\nDuration: {deployment.elapsed()}s")
    print("\n".join(lines))


def _execute(command: str, deployment: Deployment, project: Project, stack: str, flags: dict[str, Any],
             checkpoint: dict[str, Any]) -> None:
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
                deployment.delete(resource)
    else:  # refresh: the emulated cloud never drifts, so every resource reads back unchanged
        ensure_no_pending(checkpoint, bool(flags.get("clear-pending-creates")))
        deployment.refresh()


def run(command: str, project: Project, stack: str, flags: dict[str, Any], environ: dict[str, str],
        pulumi_home: Path, interrupts: Interrupts) -> int:
    backend = project.backend
    checkpoint = backend.load(stack)
    verify_passphrase(checkpoint, environ)
    dry_run = command == "preview" or bool(flags.get("preview-only"))
    config = project.config(stack)
    lock = None if dry_run else backend.acquire_lock(stack)
    sink = EventSink(flags.get("event-log"))
    deployment = Deployment(
        backend=backend, stack=stack, project=project.name, checkpoint=checkpoint, config=config, sink=sink,
        dry_run=dry_run, targets=flags.get("target", []), target_dependents=bool(flags.get("target-dependents")),
        knobs=Knobs(environ), pulumi_home=pulumi_home,
    )
    interrupts.deployment = deployment
    started = now_text()
    try:
        sink.prelude(config)
        try:
            _execute(command, deployment, project, stack, flags, checkpoint)
        except Aborted:
            pass  # a resource failed: `deployment.failed` says so, and the run ends like the CLI's
    except BaseException:
        sink.close()
        if lock is not None:
            lock.unlink(missing_ok=True)
        raise
    failed = deployment.failed or deployment.cancelled.is_set()
    changed = {op: n for op, n in deployment.summary().items() if op != "same"}
    if flags.get("expect-no-changes") and changed and not failed:
        deployment.errors.append((deployment.stack_urn(), "no changes were expected but changes occurred"))
        failed = True
    if not dry_run:
        deployment.save_checkpoint(final=True)
        backend.append_history(stack, {
            "kind": {"up": "update"}.get(command, command), "startTime": started, "endTime": now_text(),
            "message": flags.get("message", ""), "environment": {"exec.kind": flags.get("exec-kind", "cli")},
            "config": {key: {"value": value, "secret": False} for key, value in config.items()},
            "result": "failed" if failed else "succeeded", "resourceChanges": deployment.summary(),
        })
    sink.summary(deployment.summary(), deployment.elapsed())
    sink.cancel()
    sink.close()
    if lock is not None:
        lock.unlink(missing_ok=True)
    verb = {"up": "Updating", "preview": "Previewing update", "destroy": "Destroying", "refresh": "Refreshing"}
    _print_report(verb[command], deployment, stack, None if failed else stack_outputs(checkpoint))
    if deployment.cancelled.is_set():
        print("error: update canceled", file=sys.stderr)
        return 255
    if failed:
        reason = deployment.errors[-1][1].splitlines()[0] if deployment.errors else "update failed"
        print(f"error: {reason}", file=sys.stderr)
        return 255
    return 0
