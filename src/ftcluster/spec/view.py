"""The effective spec as rows (key path, value, set in the file or defaulted) for display."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel


def effective_rows(model: BaseModel, prefix: str = "") -> list[tuple[str, str, bool]]:
    """One row per leaf field; nested sections are flattened into dotted paths."""
    rows: list[tuple[str, str, bool]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        explicit = name in model.model_fields_set
        if isinstance(value, BaseModel):
            nested = effective_rows(value, f"{path}.")
            if not explicit:
                nested = [(p, v, False) for p, v, _ in nested]
            rows.extend(nested)
        else:
            rows.append((path, _text(value), explicit))
    return rows


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value)
