"""`ftcluster install-pulumi`: the Pulumi CLI in the ftcluster home, via `PulumiCommand.install`.

`PulumiCommand.install(root, version)` keeps any install under `root` that is at least `version`
(pulumi/automation/_cmd.py: it tries `PulumiCommand(root, version)`, whose version is a minimum, before
downloading). A version asked for by name must be that version: it is installed into a fresh folder
beside the current one, which it replaces only once it works.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import FtclusterError, UsageError
from ..home import ftcluster_home
from .process import ManagedPulumiCommand, installed_root


def install_pulumi_cli(environ: Mapping[str, str], version: str | None = None) -> tuple[Path, str]:
    """Install (or reuse) the CLI under <home>/pulumi-cli; returns (executable, version)."""
    from semver import VersionInfo

    try:
        wanted = VersionInfo.parse(version.lstrip("v")) if version else None
    except ValueError:
        raise UsageError(f"--version {version} is not a version such as 3.205.0") from None
    root = installed_root(ftcluster_home(environ))
    root.mkdir(parents=True, exist_ok=True)
    if wanted is None:
        command = _install(root, None, root)  # the SDK's version, or any newer install already there
        return Path(command.command), str(command.version)
    current = _version_at(root)
    if current == wanted:
        return root / "bin" / "pulumi", str(current)
    staging = root.with_name(root.name + ".installing")
    shutil.rmtree(staging, ignore_errors=True)
    command = _install(staging, wanted, root)
    if command.version != wanted:
        shutil.rmtree(staging, ignore_errors=True)
        raise FtclusterError(f"asked for Pulumi CLI {wanted}, but the installer put {command.version} in place")
    previous = root.with_name(root.name + ".previous")
    shutil.rmtree(previous, ignore_errors=True)
    root.rename(previous)
    staging.rename(root)
    shutil.rmtree(previous, ignore_errors=True)
    return root / "bin" / "pulumi", str(wanted)


def _install(into: Path, version: Any, shown: Path) -> Any:
    from pulumi.automation import PulumiCommand

    try:
        return PulumiCommand.install(root=str(into), version=version)
    except Exception as err:
        if into != shown:
            shutil.rmtree(into, ignore_errors=True)
        what = f"Pulumi CLI {version}" if version else "the Pulumi CLI"
        raise FtclusterError(
            f"could not install {what} into {shown}: {err}",
            hint="check your internet access, or install it yourself: https://www.pulumi.com/docs/install/",
        ) from None


def _version_at(root: Path) -> Any:
    """The version of the CLI installed under `root`; None when there is none (or one ftcluster cannot use)."""
    binary = root / "bin" / "pulumi"
    if not binary.is_file():
        return None
    try:
        return ManagedPulumiCommand(binary).version
    except FtclusterError:
        return None
