"""Hostile spec files: alias expansion bombs and huge files get a clear error quickly, not minutes of work."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ftcluster.cli import app
from ftcluster.errors import SpecError
from ftcluster.spec import load_spec
from ftcluster.spec.loader import MAX_SPEC_BYTES, MAX_YAML_NODES

HEAD = "name: demo\nregion: us-east-1\ntraining:\n  image: ghcr.io/example/trainer:1.0\n"


def laughs(levels: int, width: int = 9, where: str = "lol") -> str:
    """The classic "billion laughs": each level is a list of `width` aliases of the level below."""
    lines = [f"{where}1: &{where}1 [{', '.join(['lol'] * width)}]"]
    for level in range(2, levels + 1):
        lines.append(f"{where}{level}: &{where}{level} [{', '.join([f'*{where}{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


@pytest.fixture
def hang_guard() -> Iterator[None]:
    """Turn a runaway load into a test failure after a few seconds instead of minutes (and gigabytes)."""

    def stop(*_: object) -> None:
        raise TimeoutError("loading the spec took more than 10 s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 10)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def refusal(path: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.exit_code == 2
    return [p.render(str(path)) for p in caught.value.problems]


def test_billion_laughs_is_refused_through_the_cli(tmp_path: Path, hang_guard: None) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(HEAD + laughs(9))  # 9 levels of 9 aliases: 9^8 lists, 9^9 strings
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}: " in result.stderr
    assert f"expands to more than {MAX_YAML_NODES:,} YAML nodes through aliases" in result.stderr
    assert "Traceback" not in result.output


def test_an_alias_bomb_inside_a_known_list_key_is_refused(tmp_path: Path, hang_guard: None) -> None:
    """training.command is a list of strings: pydantic alone would walk every expanded element."""
    path = tmp_path / "command.yaml"
    path.write_text(laughs(7, where="x") + HEAD + "  command: *x7\n")
    [line] = refusal(path)
    assert line.startswith(f"{path}: expands to more than")


def test_an_alias_bomb_behind_a_merge_key_is_refused(tmp_path: Path, hang_guard: None) -> None:
    """`<<: *base` hands the merged keys to the constructor and pydantic, not to the key indexing."""
    path = tmp_path / "merge.yaml"
    merged = "".join(f"    {line}\n" for line in laughs(7, where="x").splitlines())  # only under `<<:`
    path.write_text(
        "name: demo\nregion: us-east-1\ntraining:\n  <<:\n    image: ghcr.io/example/trainer:1.0\n"
        + merged
        + "    command: *x7\n"
    )
    [line] = refusal(path)
    assert "expands to more than" in line


def test_ordinary_aliases_still_work(tmp_path: Path) -> None:
    path = tmp_path / "aliases.yaml"
    path.write_text(
        HEAD + "  command: &cmd [python, train.py]\n"
        "fleet:\n  instances: 2\n  instance_types: [g5.xlarge, g4dn.xlarge]\n"
        "  workers:\n    command: *cmd\n"
    )
    spec = load_spec(path)
    assert spec.fleet is not None and spec.fleet.workers.command == ["python", "train.py"]


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path: Path, hang_guard: None) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w") as handle:
        handle.write(HEAD + "tags:\n")
        filler = "".join(f"  k{i}: v\n" for i in range(1000))
        while handle.tell() <= MAX_SPEC_BYTES:
            handle.write("# " + "x" * 1000 + "\n" + filler)
    assert refusal(path) == [f"{path}: is larger than {MAX_SPEC_BYTES // 1024} KiB; a spec is a few KiB of YAML"]


def test_an_endless_file_is_refused(hang_guard: None) -> None:
    assert refusal(Path("/dev/zero")) == ["/dev/zero: is a device, not a file; give the path of a YAML spec file"]


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path, hang_guard: None) -> None:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)  # opened for reading as a file is, it waits for a writer that never comes
    assert refusal(path) == [f"{path}: is a FIFO (named pipe), not a file; give the path of a YAML spec file"]
