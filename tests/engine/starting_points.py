"""Deployed starting points: the real `ftcluster up` of a spec runs once per test process, and each test
gets its own copy of the whole machine that `up` left (state backend, ftcluster home, Pulumi homes, logs).

A machine names its own root in a few places: the work dir's Pulumi.yaml and active.json name the backend
folder, the stand-in's logs name work dirs, `<ftcluster home>/pulumi/plugins` links to the user's Pulumi
home, and two names are digests of paths under the root (the engine's work dir per stack and backend, the
stand-in's stack selection per project file). A copy gets each of them made its own and is checked to name
nothing of the original: no two tests share state.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from engine_helpers import Stand, make_stand
from pulumi_standin.backend import workspace_selection_file
from standin_harness import PROJECT, process_env

from ftcluster.engine.settings import engine_settings

# the `deployed_copy` fixture (conftest.py): a spec file or a spec's text -> (a machine of the test's own, its spec)
DeployedCopy = Callable[[Path | str], tuple[Stand, Path]]


class StartingPoints:
    """Deployed machines kept under `folder`, one per spec, each made on first use (`up` against `moto_url`)."""

    def __init__(self, folder: Path, moto_url: str) -> None:
        self.folder = folder
        self.moto_url = moto_url
        self._deployed: dict[str, tuple[Stand, Path]] = {}

    def copy(self, spec: Path | str, root: Path, moto_url: str) -> tuple[Stand, Path]:
        """A new machine at `root` as `ftcluster up SPEC --yes --skip-preflight` left it, talking to
        `moto_url`; and its spec file.

        `spec`: a spec file, deployed where it is (so it must not change), or the text of one, which each
        copy gets as a file of its own.
        """
        key = spec if isinstance(spec, str) else f"{spec.resolve()}\n{spec.read_text()}"
        if key not in self._deployed:
            self._deployed[key] = self._deploy(spec)
        original, spec_path = self._deployed[key]
        shutil.copytree(original.root, root, symlinks=True)
        stand = make_stand(root, moto_url)
        _rehome(original, stand)
        _check_names_nothing_of(original, stand)
        if spec_path.is_relative_to(original.root):
            return stand, root / spec_path.relative_to(original.root)
        return stand, spec_path

    def _deploy(self, spec: Path | str) -> tuple[Stand, Path]:
        stand = make_stand(self.folder / f"deployed-{len(self._deployed)}", self.moto_url)
        if isinstance(spec, str):
            spec_path = stand.root / "spec" / "cluster.yaml"
            spec_path.parent.mkdir()
            spec_path.write_text(spec)
        else:
            spec_path = spec
        result = stand.run("up", str(spec_path), "--yes", "--skip-preflight")
        assert result.exit_code == 0, result.output
        assert not stand.state.unsupported()
        return stand, spec_path


def _rehome(original: Stand, copy: Stand) -> None:
    """Point what in the copy points at the original's root at the copy's root."""
    old, new = f"{original.root}{os.sep}", f"{copy.root}{os.sep}"
    for path in _tree(copy.root):
        if path.is_symlink():
            target = os.readlink(path)
            if target.startswith(old):
                path.unlink()
                path.symlink_to(new + target[len(old) :])
        elif path.is_file():
            data = path.read_bytes()
            if old.encode() in data:
                path.write_bytes(data.replace(old.encode(), new.encode()))
    for before, after in _digest_names(original, copy):
        (copy.root / before.relative_to(original.root)).rename(after)


def _digest_names(original: Stand, copy: Stand) -> list[tuple[Path, Path]]:
    """(a name in the original, the same thing's name in the copy) for the names made of digests of paths:
    the engine's work dir per stack (ftcluster/engine/settings.py work_dir: of the backend URL) and the
    stand-in's record of the selected stack (pulumi_standin/backend.py: of the work dir's Pulumi.yaml)."""
    names = []
    for work_dir in _work_dirs(original):
        stack = work_dir.name.rsplit("-", 1)[0]
        assert work_dir == _work_dir(original, stack), f"{work_dir} is no default backend's work dir"
        moved = _work_dir(copy, stack)
        names.append((work_dir, moved))
        selected = workspace_selection_file(original.home / "pulumi", PROJECT, work_dir)
        if selected.exists():
            names.append((selected, workspace_selection_file(copy.home / "pulumi", PROJECT, moved)))
    return names


def _check_names_nothing_of(original: Stand, copy: Stand) -> None:
    for path in _tree(copy.root):
        if path.is_symlink():
            assert not os.readlink(path).startswith(str(original.root)), f"{path} links to the original"
        elif path.is_file():
            assert str(original.root).encode() not in path.read_bytes(), f"{path} names the original"
    expected = sorted(str(after) for _, after in _digest_names(original, copy))
    found = [*_work_dirs(copy), *sorted((copy.home / "pulumi" / "workspaces").glob("*"))]
    assert sorted(str(path) for path in found) == expected


def _tree(root: Path) -> Iterator[Path]:
    """Every file, folder and link under `root`, never through a link."""
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            yield Path(folder, name)


def _work_dirs(stand: Stand) -> list[Path]:
    workspaces = stand.home / "workspaces"
    return sorted(workspaces.iterdir()) if workspaces.is_dir() else []


def _work_dir(stand: Stand, stack: str) -> Path:
    """The engine's work dir of `stack` on this machine, for its default backend (a file backend in its home)."""
    return engine_settings(None, process_env(stand.env)).work_dir(stack)
