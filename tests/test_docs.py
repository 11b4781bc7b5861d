"""The manual: the generated spec reference is current and complete, links resolve, nothing points outside."""

from __future__ import annotations

import re
import subprocess
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


# --- the repository stands on its own ------------------------------------------------------------

# Notes kept outside the repository while it was founded; nothing in it may point at them. Built
# from parts so that this file does not name them itself.
OUTSIDE_NOTES = re.compile(r"(?<![\w-])(?:DESIGN|REFERENCE|STYLE)\.md|\.\./shared\b|/work/" + "shared")
SKIPPED_PARTS = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache"}


def repository_files() -> list[Path]:
    """The tracked files (every file but caches and the venv when git is not there)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        return [ROOT / name for name in listed.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        return [p for p in ROOT.rglob("*") if p.is_file() and not SKIPPED_PARTS & set(p.relative_to(ROOT).parts)]


def test_no_file_refers_to_notes_outside_the_repository() -> None:
    files = repository_files()
    assert ROOT / "README.md" in files  # the listing works
    found = []
    for path in files:
        if not path.is_file():
            continue  # deleted in the work tree, not yet in the index
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue  # binary
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE_NOTES.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "cite the upstream source or the repository's own docs instead:\n" + "\n".join(found)


def markdown_files() -> list[Path]:
    return sorted(p for p in repository_files() if p.suffix == ".md" and p.is_file())


def strip_code(text: str) -> str:
    """Markdown without fenced blocks and inline code, where brackets are not links."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as `-`, repeats numbered."""
    found: set[str] = set()
    for line in re.sub(r"^```.*?^```", "", path.read_text(), flags=re.S | re.M).splitlines():
        heading = re.match(r"#{1,6} (.+)", line)
        if heading:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            candidate, count = slug, 0
            while candidate in found:
                count += 1
                candidate = f"{slug}-{count}"
            found.add(candidate)
    return found


def test_every_relative_link_in_the_docs_points_to_a_file_and_heading_that_exist() -> None:
    files = markdown_files()
    assert ROOT / "CONTRIBUTING.md" in files and ROOT / "docs" / "spec-reference.md" in files
    broken = []
    for path in files:
        for target in re.findall(r"\]\(([^)\s]+)\)", strip_code(path.read_text())):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            where = f"{path.relative_to(ROOT)} -> {target}"
            if not linked.exists():
                broken.append(f"{where}: no such file")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{where}: no such heading")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_readme_links_every_page_of_the_manual() -> None:
    readme = (ROOT / "README.md").read_text()
    pages = sorted((ROOT / "docs").glob("*.md"))
    assert pages
    unlisted = [page.name for page in pages if f"](docs/{page.name})" not in readme]
    assert not unlisted, f"README's documentation list does not link: {unlisted}"
