"""Dataclasses as JSON-ready data, for every `--json`: one conversion everywhere."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any


def to_plain(value: Any) -> Any:
    """Dataclasses, lists and datetimes as JSON-ready values (datetimes in ISO 8601)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
