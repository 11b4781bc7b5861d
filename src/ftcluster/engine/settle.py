"""After `up`: wait for the cluster's ECS services to settle, and say what went wrong when they do not.

Runs after every `up` that waits, including one with nothing to change: re-running `up` after a failed
rollout must not report a cluster whose services run nothing as fine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from ..errors import Interrupted, RolloutFailed

if TYPE_CHECKING:
    from ..live.rollout import Rollout, RolloutResult
    from ..spec import Spec

Stage = Callable[[str], AbstractContextManager[Callable[[str], None]]]


def clock_text(seconds: float) -> str:
    """`1m05s`: how long the wait has run, and its limit."""
    whole = max(int(seconds), 0)
    return f"{whole // 60}m{whole % 60:02d}s"


def wait_until_settled(
    label: str,
    stack: str,
    spec_path: str,
    spec: Spec,
    outputs: Mapping[str, Any],
    stage: Stage,
    timeout: float,
    *,
    updated: bool,
) -> None:
    """RolloutFailed (exit 1) when a service failed, is missing or did not settle in `timeout` seconds;
    Interrupted (exit 130) on Ctrl-C, which stops only the wait."""
    services = [str(name) for name in (outputs.get("service_name"), outputs.get("workers_service_name")) if name]
    if not services:
        return
    limit, started = clock_text(timeout), time.monotonic()

    def progress(update: Callable[[str], None], rollouts: list[Rollout]) -> None:
        elapsed = clock_text(time.monotonic() - started)
        update(f"waiting for {label}, {elapsed} of {limit}: " + "; ".join(r.describe() for r in rollouts))

    try:
        from ..aws import AwsSession
        from ..live.rollout import read_rollouts, wait_for_rollout

        aws = AwsSession(spec.region, spec.endpoint_url)
        with stage(f"waiting up to {limit} for the services of {label} to reach a steady state") as update:
            result = wait_for_rollout(
                lambda: read_rollouts(aws, str(outputs["cluster_name"]), services),
                timeout=timeout,
                on_progress=lambda rollouts: progress(update, rollouts),
            )
    except KeyboardInterrupt:
        done = "the update itself was applied" if updated else "nothing needed to change"
        raise Interrupted(
            f"stopped waiting for the services of {label}: {done}; only the wait stopped",
            hint="follow the rollout with `ftcluster status --watch 10`; `ftcluster up SPEC` waits again",
        ) from None
    if not (result.failed or result.timed_out):
        return
    raise _rollout_failure(label, stack, spec_path, result, timeout, updated=updated)


def _rollout_failure(
    label: str, stack: str, spec_path: str, result: RolloutResult, timeout: float, *, updated: bool
) -> RolloutFailed:
    unsettled = result.failed or [r for r in result.rollouts if r.state != "COMPLETED"]
    problems = [r.describe() + (f" ({r.reason})" if r.reason else "") for r in unsettled]
    missing = any(r.state == "MISSING" for r in result.failed)
    if missing:
        # ECS does not know the cluster or a service the stack holds: `up` sees no difference (the state
        # still lists it) until a refresh drops what is gone
        hint = (
            "ECS no longer has what the stack created: it was deleted outside ftcluster (or lives in another "
            f"account or region); run `ftcluster refresh --cluster {stack}` so the state drops what is gone, "
            f"then `ftcluster up {spec_path}` creates it again"
        )
    elif result.failed:
        hint = (
            "`ftcluster status` shows the stopped tasks and service events; fix the cause and run "
            f"`ftcluster up {spec_path}` again"
        )
    else:
        hint = (
            f"{'the update itself was applied; ' if updated else ''}follow it with `ftcluster status --watch 10`, "
            f"or give `--wait-timeout` more minutes (waited {timeout / 60:g})"
        )
    return RolloutFailed(
        cluster=label, problems=problems, timed_out=not result.failed, hint=hint, updated=updated, missing=missing
    )
