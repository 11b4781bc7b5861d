"""The effective spec as rows (key path, value, set in the file or defaulted) for display, and as `validate --json`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from ..errors import Problem


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


def validation_json(
    file: str, spec: BaseModel | None, problems: list[Problem], warnings: Sequence[tuple[str, str]] = ()
) -> dict[str, Any]:
    """`validate --json`: the effective spec and where each value came from, or every problem found; and
    the warnings of a valid spec (key, message)."""
    return {
        "file": file,
        "valid": spec is not None,
        "cluster": getattr(spec, "name", None),
        "region": getattr(spec, "region", None),
        "spec": spec.model_dump(mode="json") if spec is not None else None,
        "sources": {path: "file" if explicit else "default" for path, _, explicit in effective_rows(spec)}
        if spec is not None
        else {},
        "problems": [problem.to_dict(file) for problem in problems],
        "warnings": [{"key": key, "message": message} for key, message in warnings],
    }
