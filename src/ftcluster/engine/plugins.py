"""The aws provider plugin: the version pulumi_aws was built for, present once on this machine.

ftcluster's Pulumi home is private (settings.py), but the plugin (hundreds of MB) is shared: it is
linked from the user's own Pulumi home, and when missing it is installed *there* once, then linked.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

from ..errors import FtclusterError
from .failures import command_error_message
from .process import ManagedPulumiCommand
from .settings import EngineSettings


def aws_plugin_version() -> str:
    """The provider version matching the installed pulumi_aws package (its pulumi-plugin.json)."""
    text = resources.files("pulumi_aws").joinpath("pulumi-plugin.json").read_text(encoding="utf-8")
    return json.loads(text)["version"]


def plugin_path(pulumi_home: Path, name: str, version: str) -> Path:
    return pulumi_home / "plugins" / f"resource-{name}-v{version}"


def is_installed(path: Path) -> bool:
    """Pulumi's own test: the folder exists (links followed) and no `.partial` marker is left."""
    return path.is_dir() and not path.with_name(path.name + ".partial").exists()


def _install(command: ManagedPulumiCommand, pulumi_home: Path, version: str, cwd: Path) -> None:
    from pulumi.automation.errors import CommandError

    cwd.mkdir(parents=True, exist_ok=True)
    try:
        command.run(["plugin", "install", "resource", "aws", f"v{version}"], str(cwd), {"PULUMI_HOME": str(pulumi_home)})
    except CommandError as err:
        raise FtclusterError(
            f"could not install the aws provider plugin v{version}: {command_error_message(err)}",
            hint=f"install it yourself with `pulumi plugin install resource aws v{version}` and try again",
        ) from None


def _link(link: Path, target: Path) -> bool:
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        if link.is_symlink():
            link.unlink()
        else:
            return False  # a real, partial install of ours: leave it to Pulumi
    try:
        os.symlink(target, link, target_is_directory=True)
    except OSError:
        return False
    return True


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def ensure_aws_plugin(settings: EngineSettings, command: ManagedPulumiCommand) -> str | None:
    """Make the matching aws plugin usable from ftcluster's Pulumi home; returns a notice or None."""
    version = aws_plugin_version()
    ours = plugin_path(settings.pulumi_home, "aws", version)
    if is_installed(ours):
        return None
    users = plugin_path(settings.user_pulumi_home, "aws", version)
    if users != ours:
        downloaded = False
        if not is_installed(users) and _writable(users.parent):
            _install(command, settings.user_pulumi_home, version, settings.home)
            downloaded = True
        if is_installed(users) and _link(ours, users):
            if downloaded:
                return f"installed the aws provider plugin v{version} into {users.parent} (shared with your Pulumi)"
            return f"using the aws provider plugin v{version} from {users} (shared, not downloaded again)"
    _install(command, settings.pulumi_home, version, settings.home)  # no shared copy possible: a private one
    return f"installed the aws provider plugin v{version} into {ours.parent}"
