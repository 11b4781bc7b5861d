"""Completed jobs at `up` and `scale`: what the job-completed state machine recorded (program/completion.py)
keeps a job at 0 in every program run, and is cleared only when asked: `up --restart`, or `scale --tasks N`
/ `scale --workers N` with N > 0 for that job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import FtclusterError
from ..program.options import TRAINING_JOB, WORKERS_JOB, jobs_of

if TYPE_CHECKING:
    from ..live.completion import JobCompletion
    from ..spec import Spec

RESTART_HINT = {
    TRAINING_JOB: "`ftcluster up SPEC --restart` or `ftcluster scale --tasks N` starts it again",
    WORKERS_JOB: "`ftcluster up SPEC --restart` or `ftcluster scale --workers N` starts it again",
}


def _parameters(spec: Spec) -> dict[str, str]:
    from ..program.names import names_for

    names = names_for(spec)
    return {job: names.completion_parameter(job) for job in jobs_of(spec)}


def read_completed(spec: Spec) -> dict[str, JobCompletion]:
    """The jobs of `spec`'s cluster that completed. A failed read stops the command: a job it did not see as
    completed would be started again."""
    from ..aws import AwsError, AwsSession
    from ..live.completion import read_completions

    try:
        return read_completions(AwsSession(spec.region, spec.endpoint_url), _parameters(spec))
    except AwsError as err:
        if err.kind in ("credentials", "unreachable"):
            raise
        raise FtclusterError(
            f"could not read whether the jobs of {spec.name} completed: {err.message}",
            hint="the identity needs ssm:GetParameters on /ftcluster/*; nothing was changed",
        ) from err


def clear_completed(spec: Spec, jobs: list[str]) -> None:
    """Mark `jobs` as not completed, so that the next program run declares them at their counts again."""
    from ..aws import AwsSession, aws_call
    from ..program.completion_steps import NOT_COMPLETED

    ssm = AwsSession(spec.region, spec.endpoint_url).client("ssm")
    parameters = _parameters(spec)
    for job in jobs:
        with aws_call(f"marking the {job} job of {spec.name} as not completed"):
            ssm.put_parameter(Name=parameters[job], Value=NOT_COMPLETED, Overwrite=True)


def completion_note(completion: JobCompletion) -> str:
    when = completion.completed_at.isoformat(timespec="seconds") if completion.completed_at else "an unknown time"
    return f"the {completion.job} job completed at {when}: it stays stopped; {RESTART_HINT[completion.job]}"


def unheld(completed: Mapping[str, Any], outputs: Mapping[str, Any]) -> list[str]:
    """Completed jobs the stack does not hold at 0 yet (no `up` since they completed): Pulumi's state still
    has their old counts, so a restart to those counts would change nothing. These are held at 0 first."""
    held = set(outputs.get("completed_jobs") or [])
    return sorted(job for job in completed if job not in held)
