"""Backend order, passphrase handling, stack names and the active cluster: plain file-system logic."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ftcluster.engine.settings import backend_url, create_passphrase_file, engine_settings, passphrase_env
from ftcluster.engine.stacks import (
    Target,
    clear_active,
    read_active,
    resolve_target,
    split_stack_name,
    stack_name,
    write_active,
)
from ftcluster.errors import SpecError, UsageError
from ftcluster.spec import load_spec

ROOT = Path(__file__).parents[2]


def test_backend_order_is_spec_then_environment_then_a_file_backend_created_in_the_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"PULUMI_BACKEND_URL": "s3://team-state"}
    assert backend_url("s3://from-spec", env, home) == "s3://from-spec"
    assert backend_url(None, env, home) == "s3://team-state"
    assert not (home / "state").exists()
    assert backend_url(None, {}, home) == f"file://{home / 'state'}"
    assert (home / "state").is_dir()


def test_a_relative_file_backend_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="relative"):
        backend_url("file://state", {}, tmp_path)


def test_a_backend_url_of_an_unknown_kind_is_refused_wherever_it_comes_from(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="`ftp://x` is not a Pulumi backend URL"):
        backend_url(None, {"PULUMI_BACKEND_URL": "ftp://x"}, tmp_path)
    with pytest.raises(UsageError, match="`state` is not a Pulumi backend URL"):
        backend_url("state", {}, tmp_path)


def test_the_passphrase_file_is_only_named_until_a_new_stack_needs_it(tmp_path: Path) -> None:
    env_vars, missing = passphrase_env({}, tmp_path)
    path = tmp_path / "passphrase"
    assert env_vars == {"PULUMI_CONFIG_PASSPHRASE_FILE": str(path)} and missing == path and not path.exists()
    notice = create_passphrase_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(path.read_text().strip()) >= 32
    assert str(path) in notice
    with pytest.raises(FileExistsError):
        create_passphrase_file(path)  # never overwritten
    assert passphrase_env({}, tmp_path) == (env_vars, None)


def test_a_passphrase_the_user_set_is_used_and_a_file_named_relative_or_with_tilde_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert passphrase_env({"PULUMI_CONFIG_PASSPHRASE": "s3cret"}, tmp_path / "home") == ({}, None)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "pass").write_text("from-a-file\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for given in ("secrets/pass", "~/secrets/pass"):
        absolute = {"PULUMI_CONFIG_PASSPHRASE_FILE": str(tmp_path / "secrets" / "pass")}
        assert passphrase_env({"PULUMI_CONFIG_PASSPHRASE_FILE": given}, tmp_path / "home") == (absolute, None)
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize("env", [{"PULUMI_CONFIG_PASSPHRASE": ""}, {"PULUMI_CONFIG_PASSPHRASE_FILE": "/nonexistent/x"}])
def test_never_an_empty_or_missing_passphrase(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(UsageError):
        passphrase_env(env, tmp_path)


def test_ftcluster_uses_its_own_pulumi_home_but_knows_the_users(tmp_path: Path) -> None:
    settings = engine_settings(None, {"FTCLUSTER_HOME": str(tmp_path / "ft"), "HOME": str(tmp_path / "me")})
    assert settings.pulumi_home == tmp_path / "ft" / "pulumi"
    assert settings.user_pulumi_home == tmp_path / "me" / ".pulumi"
    custom = engine_settings(None, {"FTCLUSTER_HOME": str(tmp_path / "ft"), "PULUMI_HOME": str(tmp_path / "p")})
    assert custom.user_pulumi_home == tmp_path / "p"
    # one private work dir per stack *and* backend: the same stack name in two backends never collides
    other = engine_settings("file:///elsewhere", {"FTCLUSTER_HOME": str(tmp_path / "ft")})
    assert settings.work_dir("a-us-east-1") != other.work_dir("a-us-east-1")


def test_every_pulumi_call_gets_the_chosen_backend_and_the_users_login(tmp_path: Path) -> None:
    env = {"FTCLUSTER_HOME": str(tmp_path / "ft"), "HOME": str(tmp_path / "me"), "PULUMI_BACKEND_URL": "s3://shell"}
    settings = engine_settings("s3://from-spec", env)
    assert settings.env_vars["PULUMI_BACKEND_URL"] == "s3://from-spec"  # beats the shell's, as the spec says
    assert settings.env_vars["PULUMI_CREDENTIALS_PATH"] == str(tmp_path / "me" / ".pulumi")
    mine = engine_settings(None, {**env, "PULUMI_CREDENTIALS_PATH": "/creds"})
    assert mine.env_vars["PULUMI_BACKEND_URL"] == "s3://shell" and mine.env_vars["PULUMI_CREDENTIALS_PATH"] == "/creds"


def test_stack_names_come_from_cluster_name_and_region() -> None:
    spec = load_spec(ROOT / "configs" / "us-east-1.yaml")
    assert stack_name(spec) == "llm-pretrain-us-east-1"
    assert split_stack_name("llm-pretrain-us-east-1") == ("llm-pretrain", "us-east-1")
    assert split_stack_name("a-b-us-gov-west-1") == ("a-b", "us-gov-west-1")
    assert split_stack_name("finetune") == ("finetune", None)


def test_target_is_spec_then_cluster_then_the_active_one(tmp_path: Path) -> None:
    env = {"FTCLUSTER_HOME": str(tmp_path)}
    with pytest.raises(UsageError, match="no active cluster"):
        resolve_target(None, None, env)
    spec_path = ROOT / "configs" / "eu-west-1.yaml"
    from_spec = resolve_target(spec_path, None, env)
    assert (from_spec.stack, from_spec.name, from_spec.region) == ("finetune-eu-west-1", "finetune", "eu-west-1")
    write_active(tmp_path, from_spec, "file:///state")
    assert read_active(tmp_path)["spec"] == str(spec_path.resolve())
    active = resolve_target(None, None, env)
    assert (active.stack, active.backend) == ("finetune-eu-west-1", "file:///state")
    assert resolve_target(None, "finetune", env).stack == "finetune-eu-west-1"  # the active one, by name
    assert resolve_target(None, "other-us-west-2", env) == Target("other-us-west-2", "other", "us-west-2", None)
    assert resolve_target(None, "other", env).stack == ""  # to be looked up in the backend
    with pytest.raises(UsageError, match="not both"):
        resolve_target(spec_path, "finetune", env)
    assert not clear_active(tmp_path, "someone-else-eu-west-1") and read_active(tmp_path)
    assert clear_active(tmp_path, "finetune-eu-west-1") and read_active(tmp_path) is None


def test_a_damaged_active_file_counts_as_none(tmp_path: Path) -> None:
    (tmp_path / "active.json").write_text("{not json")
    assert read_active(tmp_path) is None


def test_a_bad_spec_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError):
        resolve_target(tmp_path / "missing.yaml", None, {"FTCLUSTER_HOME": str(tmp_path)})
