"""The spec reference (docs/spec-reference.md) documents every spec key, and README's test command is what CI runs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

from ftcluster.spec.schema import spec_json_schema

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()
SPEC_REFERENCE = (ROOT / "docs" / "spec-reference.md").read_text()


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


def test_every_spec_key_is_documented_in_the_spec_reference() -> None:
    schema = spec_json_schema()
    paths = schema_paths(schema, schema["$defs"])
    assert "training.capacity.spot_percent" in paths and "network.vpc_id" in paths  # the walk works
    reference = SPEC_REFERENCE
    missing = sorted(path for path in paths if f"`{path}`" not in reference)
    assert not missing, f"docs/spec-reference.md does not mention: {missing}"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    block = re.search(r"<!-- test-command -->\n```sh\n(.+?)\n```", README, re.S)
    assert block, "README lost its test command block"
    extracted = subprocess.run(
        [str(ROOT / ".ci" / "run"), "--print-command"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert extracted == block.group(1)
    assert "pytest" in extracted and "[test]" in extracted
