"""`ftcluster install-pulumi`: the Pulumi CLI in the ftcluster home, via `PulumiCommand.install`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..errors import FtclusterError, UsageError
from ..home import ftcluster_home
from .process import installed_root


def install_pulumi_cli(environ: Mapping[str, str], version: str | None = None) -> tuple[Path, str]:
    """Install (or reuse) the CLI under <home>/pulumi-cli; returns (executable, version)."""
    from pulumi.automation import PulumiCommand
    from semver import VersionInfo

    try:
        wanted = VersionInfo.parse(version.lstrip("v")) if version else None
    except ValueError:
        raise UsageError(f"--version {version} is not a version such as 3.205.0") from None
    root = installed_root(ftcluster_home(environ))
    root.mkdir(parents=True, exist_ok=True)
    try:
        command = PulumiCommand.install(root=str(root), version=wanted)  # reuses an install already there
    except Exception as err:
        raise FtclusterError(
            f"could not install the Pulumi CLI into {root}: {err}",
            hint="check your internet access, or install it yourself: https://www.pulumi.com/docs/install/",
        ) from None
    return Path(command.command), str(command.version)
