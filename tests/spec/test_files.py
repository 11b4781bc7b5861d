"""Files that are not specs at all: missing, a directory, empty, not UTF-8 (unreadable ones: tests/cli)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftcluster.errors import SpecError
from ftcluster.spec import load_spec


def problem_lines(path: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.exit_code == 2
    return [p.render(str(path)) for p in caught.value.problems]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    assert problem_lines(path) == [f"{path}: no such file; create one with `ftcluster init`"]


def test_directory(tmp_path: Path) -> None:
    assert problem_lines(tmp_path) == [f"{tmp_path}: is a directory; give the path of a YAML spec file"]


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n   \n# another\n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(content)
    assert problem_lines(path) == [f"{path}: is empty; start from `ftcluster init`"]


def test_not_utf8_names_line_and_column_of_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: demo\nregion: us-east-1\n# café\n".encode("latin-1"))
    assert problem_lines(path) == [f"{path}:3:6: is not UTF-8 text (byte 0xe9); save it as UTF-8"]


def test_deeply_nested_yaml_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert problem_lines(path) == [f"{path}: YAML is nested too deeply"]


def test_control_character_is_located(tmp_path: Path) -> None:
    path = tmp_path / "ctl.yaml"
    path.write_text("name: demo\nregion: us\x01east-1\n")
    assert problem_lines(path) == [f"{path}:2:11: control character U+0001 is not allowed in YAML"]
