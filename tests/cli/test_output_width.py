"""No value is cut: piped or redirected, every line stays whole; in a narrow terminal, values fold onto the next
line instead of ending in `…` (CliRunner's output is not a terminal; TTY_COMPATIBLE=1 makes rich treat it as one)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from typer.testing import CliRunner

from ftcluster.cli import app

ROOT = Path(__file__).parents[2]
US_EAST = ROOT / "configs" / "us-east-1.yaml"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/llm-trainer:2.4.1"
LONG_KEY = "training.checkpoints.noncurrent_version_days"
SPOT_QUANTITY = "3 over g5.xlarge, g5.2xlarge, g4dn.xlarge, g4dn.2xlarge, g6.xlarge"
PIPED = {"COLUMNS": "60"}  # a narrow terminal's COLUMNS, but the output goes to a pipe
NARROW_TERMINAL = {"TTY_COMPATIBLE": "1", "COLUMNS": "60", "NO_COLOR": "1"}


def run(*args: str, env: dict[str, str]) -> str:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return Text.from_ansi(result.stdout).plain


def column(text: str, index: int) -> str:
    """The text of one table column, its folded pieces joined, without spaces."""
    cells = [line.split("│")[index] for line in text.splitlines() if line.count("│") >= index + 1]
    return "".join("".join(cell.split()) for cell in cells)


def test_piped_validate_keeps_every_key_and_value_on_its_line() -> None:
    text = run("validate", str(US_EAST), env=PIPED)
    assert "…" not in text
    assert any(IMAGE in line and "training.image" in line for line in text.splitlines())
    row = next(line for line in text.splitlines() if LONG_KEY in line)
    assert "14" in row and "file" in row


def test_narrow_terminal_validate_folds_long_values_instead_of_cutting_them() -> None:
    text = run("validate", str(US_EAST), env=NARROW_TERMINAL)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 60
    assert IMAGE in column(text, 2) and LONG_KEY in column(text, 1)


@pytest.fixture(scope="module")
def piped_preview() -> str:
    return run("preview", str(US_EAST), "--offline", env=PIPED)


def test_piped_cost_table_keeps_every_line_whole(piped_preview: str) -> None:
    text = piped_preview
    table = text[text.index("Cost estimate") :]
    assert "…" not in table
    assert any(SPOT_QUANTITY in line and "range: Spot, no live price" in line for line in table.splitlines())


def test_narrow_terminal_cost_table_folds_instead_of_cutting() -> None:
    text = run("preview", str(US_EAST), "--offline", env=NARROW_TERMINAL)
    table = text[text.index("Cost estimate") :]
    assert "…" not in table
    assert max(len(line) for line in table.splitlines()) <= 60
    assert SPOT_QUANTITY.replace(" ", "") in column(table, 2)


def test_piped_lines_carry_no_padding(piped_preview: str) -> None:
    """A wide piped console must not pad titles out to its width."""
    text = piped_preview
    assert not [line for line in text.splitlines() if line != line.rstrip()]
