"""The manual: the generated spec reference is current and complete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ftcluster.spec.reference import render_reference
from ftcluster.spec.schema import spec_json_schema

ROOT = Path(__file__).parents[1]
SPEC_REFERENCE = ROOT / "docs" / "spec-reference.md"


def schema_paths(node: dict[str, Any], defs: dict[str, Any], prefix: str = "") -> set[str]:
    """Every dotted key path the schema allows (through $ref, anyOf and oneOf)."""
    if "$ref" in node:
        return schema_paths(defs[node["$ref"].split("/")[-1]], defs, prefix)
    paths: set[str] = set()
    for variant in node.get("anyOf", []) + node.get("oneOf", []):
        paths |= schema_paths(variant, defs, prefix)
    for name, child in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        nested = schema_paths(child, defs, f"{path}.")
        paths |= nested or {path}
    return paths


def test_the_committed_spec_reference_is_the_generated_one() -> None:
    assert SPEC_REFERENCE.read_text() == render_reference(), (
        "docs/spec-reference.md is stale: run `python scripts/generate_spec_docs.py`"
    )


def test_every_spec_key_is_documented_in_the_spec_reference() -> None:
    schema = spec_json_schema()
    paths = schema_paths(schema, schema["$defs"])
    assert "training.capacity.spot_percent" in paths and "network.vpc_id" in paths  # the walk works
    reference = SPEC_REFERENCE.read_text()
    missing = sorted(path for path in paths if f"| `{path}` |" not in reference)
    assert not missing, f"docs/spec-reference.md has no row for: {missing}"


def test_every_key_row_says_its_type_default_and_meaning() -> None:
    rows = [line for line in SPEC_REFERENCE.read_text().splitlines() if line.startswith("| `")]
    assert len(rows) > 40
    for row in rows:
        key, kind, default, _allowed, meaning = (cell.strip() for cell in row.strip("|").split(" | "))
        assert kind and default and meaning, f"incomplete row for {key}"
