"""Regenerate what the spec models document: docs/spec-reference.md and schema/ftcluster.schema.json.

    python scripts/generate_spec_docs.py

Run it after changing a key, a default, a constraint or a Field description in src/ftcluster/spec/models.py;
tests/test_docs.py and tests/cli/test_spec_cmds.py fail while either file is stale.
"""

from __future__ import annotations

import json
from pathlib import Path

from ftcluster.spec.reference import render_reference
from ftcluster.spec.schema import spec_json_schema

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    written = {
        ROOT / "docs" / "spec-reference.md": render_reference(),
        # the same text `ftcluster schema` prints
        ROOT / "schema" / "ftcluster.schema.json": json.dumps(spec_json_schema(), indent=2) + "\n",
    }
    for path, text in written.items():
        changed = not path.exists() or path.read_text() != text
        path.write_text(text)
        print(f"{'wrote' if changed else 'unchanged'} {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
