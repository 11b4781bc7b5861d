"""README is the front door: its test command is what CI runs, its command table is `ftcluster --help`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import typer.main
from typer.core import TyperGroup

from ftcluster.cli import app as cli_app

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


def test_the_command_table_lists_every_command_with_its_options() -> None:
    app = typer.main.get_command(cli_app)
    assert isinstance(app, TyperGroup)
    rows: dict[str, set[str]] = {}
    for usage in re.findall(r"^\| `([^`]+)` \|", README[README.index("## Commands") :], re.M):
        name = usage.split()[0]
        rows.setdefault(name, set()).update(re.findall(r"--[a-z][a-z-]*", usage))
    assert set(rows) == set(app.commands), "README's command table and `ftcluster --help` list different commands"
    for name, command in app.commands.items():
        options = {opt for param in command.params for opt in param.opts if opt.startswith("--")}
        options -= {"--quiet", "--help"}  # said once above the table
        assert rows[name] == options, (
            f"README's row for `{name}` lists {sorted(rows[name])}, the command has {sorted(options)}"
        )


COUNT_WORDS = {"one": 1, "both": 2, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def test_the_manual_counts_the_example_configs_right() -> None:
    configs = len(list((ROOT / "configs").glob("*.yaml")))
    pages = [README, *(page.read_text() for page in (ROOT / "docs").glob("*.md"))]
    counts = [
        match.group(1).lower()
        for page in pages
        for match in re.finditer(r"\b(\w+) (?:of the )?example (?:configs|specs)\b", page, re.I)
        if match.group(1).lower() in COUNT_WORDS
    ]
    assert counts, "no count of the example configs found: the walk is broken"
    assert [word for word in counts if COUNT_WORDS[word] != configs] == []
