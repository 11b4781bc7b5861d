"""The aws provider plugin: the version pulumi_aws was built for, present once on this machine.

ftcluster's Pulumi home is private (settings.py), but the plugin (hundreds of MB) is shared: the
private home's whole `plugins` folder is a link to the user's own Pulumi plugins folder.
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
    return str(json.loads(text)["version"])


def plugin_path(pulumi_home: Path, name: str, version: str) -> Path:
    return pulumi_home / "plugins" / f"resource-{name}-v{version}"


def is_installed(path: Path) -> bool:
    """What the engine loads (sdk/go/common/workspace/plugins.go GetPluginsFromDir, tryPlugin): a folder
    that is a real directory entry, not a symlink ("Only directories contain plugins"), and no
    `.partial` marker beside it. A symlinked *parent* folder is fine: os.ReadDir follows it."""
    return path.is_dir() and not path.is_symlink() and not path.with_name(path.name + ".partial").exists()


def _install(command: ManagedPulumiCommand, pulumi_home: Path, version: str, cwd: Path) -> None:
    from pulumi.automation.errors import CommandError

    cwd.mkdir(parents=True, exist_ok=True)
    try:
        command.run(
            ["plugin", "install", "resource", "aws", f"v{version}"], str(cwd), {"PULUMI_HOME": str(pulumi_home)}
        )
    except CommandError as err:
        raise FtclusterError(
            f"could not install the aws provider plugin v{version}: {command_error_message(err)}",
            hint=f"install it yourself with `pulumi plugin install resource aws v{version}` and try again",
        ) from None


def _drop_plugin_links(folder: Path) -> bool:
    """Older ftcluster homes linked each plugin folder on its own, which the engine never loads; True
    when such links were removed."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    links = [entry for entry in folder.iterdir() if entry.is_symlink()]
    for link in links:
        link.unlink()
    return bool(links)


def _share(ours: Path, users: Path) -> bool:
    """Make `ours` (a plugins folder) a link to `users`; False when it cannot or should not be.

    Installing through the link is what the CLI does anyway: it creates the folder with MkdirAll and
    takes its install lock `<plugin>.lock` in the real folder (pkg/pluginstorage/download.go), so our
    runs and the user's own `pulumi` never install the same plugin at once.
    """
    if ours.is_symlink():
        if ours.resolve() == users.resolve():
            return True
        ours.unlink()  # the user's Pulumi home moved (another PULUMI_HOME): follow it
    elif ours.exists():
        entries = list(ours.iterdir())
        if any(entry.is_dir() for entry in entries):
            return False  # a private install of an earlier run: keep using it
        for leftover in entries:  # `.lock`/`.partial` files of an install that never finished
            leftover.unlink()
        ours.rmdir()
    try:
        users.mkdir(parents=True, exist_ok=True)
        if not os.access(users, os.W_OK):
            return False
        ours.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(users, ours, target_is_directory=True)
    except OSError:
        return False
    return True


def ensure_aws_plugin(settings: EngineSettings, command: ManagedPulumiCommand) -> str | None:
    """Make the matching aws plugin loadable from ftcluster's Pulumi home; returns a notice or None."""
    version = aws_plugin_version()
    ours = plugin_path(settings.pulumi_home, "aws", version)
    users = plugin_path(settings.user_pulumi_home, "aws", version)
    was_shared = ours.parent.is_symlink()
    repaired = _drop_plugin_links(ours.parent)
    shared = users.parent != ours.parent and _share(ours.parent, users.parent)
    if is_installed(ours):
        if not shared or was_shared:
            return None
        why = " instead of one link per plugin, which Pulumi does not load" if repaired else ""
        return (
            f"using the aws provider plugin v{version} from {users.parent}{why} "
            "(shared with your Pulumi, not downloaded again)"
        )
    _install(command, settings.pulumi_home, version, settings.home)
    where = f"{users.parent} (shared with your Pulumi)" if shared else str(ours.parent)
    return f"installed the aws provider plugin v{version} into {where}"
