"""When checkpoints were written: the times of every object version under the checkpoint prefix.

Training progress shows only in its checkpoints, so these times are the ledger's clock of progress.
The bucket is versioned (program/storage.py), so a trainer that overwrites `latest.pt` still leaves
one version per save (ListObjectVersions; delete markers are no checkpoints). Without
s3:ListBucketVersions the current objects are read instead, and the history of overwritten ones is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..aws import AwsError, AwsSession, aws_call

DEFAULT_LIMIT = 20_000  # object versions read at most (20 pages of 1,000)


@dataclass(frozen=True)
class CheckpointTimes:
    times: list[datetime]  # oldest first
    truncated: bool = False  # the listing stopped at the limit; older history may be missing
    notes: list[str] = field(default_factory=list)

    @property
    def newest(self) -> datetime | None:
        return self.times[-1] if self.times else None

    def newer_than(self, moment: datetime) -> datetime | None:
        return next((t for t in self.times if t > moment), None)

    def at_or_before(self, moment: datetime) -> datetime | None:
        before = [t for t in self.times if t <= moment]
        return before[-1] if before else None


def split_uri(uri: str) -> tuple[str, str]:
    """("bucket", "prefix/") of s3://bucket/prefix/."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix


def checkpoint_times(session: AwsSession, uri: str, *, limit: int = DEFAULT_LIMIT) -> CheckpointTimes:
    bucket, prefix = split_uri(uri)
    s3 = session.client("s3")
    try:
        with aws_call(f"listing checkpoint versions in {uri}"):
            times, truncated = _list(s3, "list_object_versions", "Versions", bucket, prefix, limit)
        notes: list[str] = []
    except AwsError as err:
        if err.kind != "access":
            raise
        with aws_call(f"listing checkpoints in {uri}"):
            times, truncated = _list(s3, "list_objects_v2", "Contents", bucket, prefix, limit)
        notes = [f"{err.message}; read the current checkpoints only (an overwritten one leaves no trace)"]
    if truncated:
        notes.append(f"read the first {limit:,} checkpoint versions only; older progress may be missing")
    return CheckpointTimes(sorted(times), truncated, notes)


def _list(s3: object, operation: str, key: str, bucket: str, prefix: str, limit: int) -> tuple[list[datetime], bool]:
    times: list[datetime] = []
    for page in s3.get_paginator(operation).paginate(Bucket=bucket, Prefix=prefix):  # type: ignore[attr-defined]
        times.extend(item["LastModified"] for item in page.get(key) or [] if not item["Key"].endswith("/"))
        if len(times) >= limit:
            return times[:limit], True
    return times, False
