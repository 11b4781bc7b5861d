"""README's test command is what CI runs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    block = re.search(r"<!-- test-command -->\n```sh\n(.+?)\n```", README, re.S)
    assert block, "README lost its test command block"
    extracted = subprocess.run(
        [str(ROOT / ".ci" / "run"), "--print-command"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert extracted == block.group(1)
    assert "pytest" in extracted and "[test]" in extracted
