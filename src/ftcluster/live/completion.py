"""Which of a cluster's jobs completed: what the job-completed state machine recorded in each job's SSM
parameter (program/completion.py), and the newest checkpoint the job left. Read-only."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..aws import AwsSession, aws_call, pages


@dataclass(frozen=True)
class JobCompletion:
    job: str  # "training" | "workers"
    completed_at: datetime | None  # the time of the ECS event that ended it
    task: str | None  # the task whose container exited 0
    parameter: str


@dataclass(frozen=True)
class Checkpoint:
    uri: str  # s3://bucket/key
    last_modified: datetime | None
    size: int


def read_completions(aws: AwsSession, parameters: Mapping[str, str]) -> dict[str, JobCompletion]:
    """The completed jobs among `parameters` (job -> SSM parameter name). A parameter that does not exist
    (a cluster deployed before ftcluster recorded completions, or not yet created) is a job that did not
    complete; so is one that holds anything but a completion record."""
    if not parameters:
        return {}
    with aws_call("reading which jobs completed (SSM parameters)"):
        found = aws.client("ssm").get_parameters(Names=sorted(parameters.values())).get("Parameters", [])
    values = {p["Name"]: str(p.get("Value", "")) for p in found}
    completed: dict[str, JobCompletion] = {}
    for job, name in parameters.items():
        record = _record(values.get(name))
        if record is not None:
            completed[job] = JobCompletion(job, _time(record.get("completedAt")), record.get("taskArn"), name)
    return completed


def _record(value: str | None) -> dict[str, Any] | None:
    try:
        record = json.loads(value) if value else None
    except ValueError:
        return None
    return record if isinstance(record, dict) and record.get("completed") is True else None


def _time(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def newest_checkpoint(aws: AwsSession, checkpoint_uri: str) -> Checkpoint | None:
    """The most recently written object under the checkpoint prefix (None: no checkpoint at all)."""
    bucket, _, prefix = checkpoint_uri.removeprefix("s3://").partition("/")
    if not bucket:
        return None
    with aws_call(f"listing the checkpoints in {checkpoint_uri}"):
        objects = pages(aws.client("s3"), "list_objects_v2", "Contents", Bucket=bucket, Prefix=prefix)
    if not objects:
        return None
    newest = max(objects, key=lambda o: (o["LastModified"], o["Key"]))
    return Checkpoint(f"s3://{bucket}/{newest['Key']}", newest.get("LastModified"), int(newest.get("Size", 0)))
