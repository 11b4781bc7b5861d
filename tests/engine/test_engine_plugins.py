"""The aws provider plugin: shared with the user's Pulumi home in a way the engine loads, downloaded once."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import EU_WEST, Stand
from standin_harness import StandinState, standin_env

from ftcluster.engine.plugins import aws_plugin_version, ensure_aws_plugin, is_installed, plugin_path
from ftcluster.engine.process import load_pulumi
from ftcluster.engine.settings import engine_settings


def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: str = "home") -> tuple[dict[str, str], Path]:
    env = standin_env(tmp_path, None)
    env["FTCLUSTER_HOME"] = str(tmp_path / home)
    for key, value in env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    return {k: v for k, v in env.items() if v is not None}, Path(env["PULUMI_HOME"])


def test_the_users_plugin_is_shared_through_the_plugins_folder_and_the_engine_loads_it(stand: Stand) -> None:
    users = plugin_path(Path(stand.env["PULUMI_HOME"]), "aws", aws_plugin_version())
    users.mkdir(parents=True)
    result = stand.run("preview", str(EU_WEST), "--json")
    assert result.exit_code == 0, result.output  # the engine found the plugin (a symlinked one it skips)
    ours = stand.home / "pulumi" / "plugins"
    assert ours.is_symlink() and ours.resolve() == users.parent.resolve()
    assert "not downloaded again" in result.stderr and stand.state.downloads() == []


def test_old_per_plugin_links_are_replaced_by_a_shared_plugins_folder(stand: Stand) -> None:
    version = aws_plugin_version()
    users = plugin_path(Path(stand.env["PULUMI_HOME"]), "aws", version)
    users.mkdir(parents=True)
    old_link = plugin_path(stand.home / "pulumi", "aws", version)  # what earlier ftcluster versions made
    old_link.parent.mkdir(parents=True)
    old_link.symlink_to(users, target_is_directory=True)
    result = stand.run("preview", str(EU_WEST), "--json")
    assert result.exit_code == 0, result.output
    assert old_link.parent.is_symlink() and old_link.is_dir() and not old_link.is_symlink()
    assert "instead of one link per plugin" in result.stderr and stand.state.downloads() == []


def test_a_missing_plugin_is_downloaded_once_into_the_users_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, user_home = machine(tmp_path, monkeypatch)
    users = plugin_path(user_home, "aws", aws_plugin_version())
    for home in ("home-a", "home-b"):  # two ftcluster homes (say, two FTCLUSTER_HOME values), one user
        settings = engine_settings(None, {**env, "FTCLUSTER_HOME": str(tmp_path / home)})
        ensure_aws_plugin(settings, load_pulumi(env, settings.home))
        assert is_installed(plugin_path(settings.pulumi_home, "aws", aws_plugin_version()))  # as the engine sees it
        assert (settings.pulumi_home / "plugins").resolve() == users.parent.resolve()
    assert len(StandinState(tmp_path).downloads()) == 1 and users.is_dir()


def test_a_half_installed_plugin_does_not_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env, user_home = machine(tmp_path, monkeypatch)
    users = plugin_path(user_home, "aws", aws_plugin_version())
    users.mkdir(parents=True)
    users.with_name(users.name + ".partial").write_text("")  # an interrupted download, as Pulumi marks it
    settings = engine_settings(None, env)
    ensure_aws_plugin(settings, load_pulumi(env, settings.home))
    assert StandinState(tmp_path).downloads()  # installed again rather than linked as it was
