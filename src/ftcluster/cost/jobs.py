"""What each job of a cluster costs per hour, and what a stretch of lost time cost at that rate.

An interruption stops one job: the training service's tasks, or the fleet workers' job with the
instances it runs on (and its rendezvous). While the job makes no progress all of its capacity is
held for nothing, so the loss is priced at the whole job's rate from the cluster's estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..spec.models import Spec
from .estimate import estimate
from .model import ZERO, Cost

TRAINING_COMPONENTS = ("fargate_on_demand", "fargate_spot")
WORKER_COMPONENTS = ("fleet_on_demand", "fleet_spot", "ebs", "rendezvous")
TRAINING_JOB, WORKERS_JOB = "training", "workers"


def job_hourly(spec: Spec, *, tasks: int | None = None, workers: int | None = None) -> dict[str, Cost | None]:
    """USD per hour of each job at the deployed counts: {"training": ..., "workers": ...}; None
    where the price table misses a part (an unpriced part would make the sum a lie)."""
    found = estimate(spec, tasks=tasks, workers=workers)
    jobs: dict[str, Cost | None] = {}
    for job, components in ((TRAINING_JOB, TRAINING_COMPONENTS), (WORKERS_JOB, WORKER_COMPONENTS)):
        lines = [line for line in found.lines if line.component in components]
        if job == WORKERS_JOB and (spec.fleet is None or not spec.fleet.enabled):
            continue
        if not lines or any(line.hourly is None for line in lines):
            jobs[job] = None
            continue
        total = ZERO
        for line in lines:
            assert line.hourly is not None
            total = total + line.hourly
        jobs[job] = total
    return jobs


def deployed_job_hourly(spec: Spec, outputs: Mapping[str, Any]) -> dict[str, Cost | None]:
    """`job_hourly` at the counts the stack outputs say are deployed (a scale may have changed them)."""
    tasks, workers = outputs.get("desired_tasks"), outputs.get("workers_desired")
    return job_hourly(
        spec, tasks=int(tasks) if tasks is not None else None, workers=int(workers) if workers is not None else None
    )


def cost_of(hourly: Cost | None, seconds: float | None) -> Cost | None:
    if hourly is None or seconds is None:
        return None
    return hourly.times(max(seconds, 0.0) / 3600)
