"""The aws provider plugin: linked from the user's Pulumi home, downloaded at most once per machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from standin_harness import StandinState, standin_env

from ftcluster.engine.plugins import aws_plugin_version, ensure_aws_plugin, plugin_path
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


def test_the_users_plugin_is_linked_without_a_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env, user_home = machine(tmp_path, monkeypatch)
    users = plugin_path(user_home, "aws", aws_plugin_version())
    users.mkdir(parents=True)
    settings = engine_settings(None, env)
    notice = ensure_aws_plugin(settings, load_pulumi(env, settings.home))
    ours = plugin_path(settings.pulumi_home, "aws", aws_plugin_version())
    assert ours.is_symlink() and ours.resolve() == users.resolve()
    assert notice and "not downloaded again" in notice
    assert StandinState(tmp_path).downloads() == []
    assert ensure_aws_plugin(settings, load_pulumi(env, settings.home)) is None  # nothing to do any more


def test_a_missing_plugin_is_downloaded_once_into_the_users_home(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    env, user_home = machine(tmp_path, monkeypatch)
    users = plugin_path(user_home, "aws", aws_plugin_version())
    for home in ("home-a", "home-b"):  # two ftcluster homes (say, two FTCLUSTER_HOME values), one user
        settings = engine_settings(None, {**env, "FTCLUSTER_HOME": str(tmp_path / home)})
        ensure_aws_plugin(settings, load_pulumi(env, settings.home))
        assert plugin_path(settings.pulumi_home, "aws", aws_plugin_version()).resolve() == users.resolve()
    assert len(StandinState(tmp_path).downloads()) == 1 and users.is_dir()


def test_a_half_installed_plugin_does_not_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env, user_home = machine(tmp_path, monkeypatch)
    users = plugin_path(user_home, "aws", aws_plugin_version())
    users.mkdir(parents=True)
    users.with_name(users.name + ".partial").write_text("")  # an interrupted download, as Pulumi marks it
    settings = engine_settings(None, env)
    ensure_aws_plugin(settings, load_pulumi(env, settings.home))
    assert StandinState(tmp_path).downloads()  # installed again rather than linked as it was
