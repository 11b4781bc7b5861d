"""The JSON Schema of the spec, as editors (yaml-language-server) and CI linters read it."""

from __future__ import annotations

from typing import Any

from .models import Spec


def spec_json_schema() -> dict[str, Any]:
    schema = Spec.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ftcluster cluster spec",
        **{key: value for key, value in schema.items() if key != "title"},
    }
