"""Backends, logins and passphrases as the real CLI handles them (see tests/standin/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_helpers import EU_WEST, Stand, make_stand, spec_copy, write_lock
from starting_points import DeployedCopy

STACK = "finetune-eu-west-1"


def with_backend(tmp_path: Path, url: str, name: str = "team.yaml") -> Path:
    return spec_copy(tmp_path, EU_WEST, name, {"region: eu-west-1": f"region: eu-west-1\nstate:\n  backend: {url}"})


def test_the_specs_backend_wins_over_a_pulumi_backend_url_in_the_shell(stand: Stand, tmp_path: Path) -> None:
    team, shell = tmp_path / "team-state", tmp_path / "shell-state"
    result = stand.run(
        "preview",
        str(with_backend(tmp_path, f"file://{team}")),
        "--json",
        extra_env={"PULUMI_BACKEND_URL": f"file://{shell}"},
    )
    assert result.exit_code == 0, result.output
    assert (team / ".pulumi" / "meta.yaml").exists() and not shell.exists()  # opened (pkg/backend/diy/meta.go)


def test_a_pulumi_cloud_login_in_the_users_pulumi_home_is_used(stand: Stand, tmp_path: Path) -> None:
    spec = with_backend(tmp_path, "https://api.pulumi.com")
    cloud = {"PULUMI_STANDIN_CLOUD_STATE": str(tmp_path / "cloud")}
    logged_out = stand.run("preview", str(spec), "--json", extra_env=cloud)
    assert logged_out.exit_code == 1
    assert "PULUMI_ACCESS_TOKEN must be set" in logged_out.stderr and "pulumi login" in logged_out.stderr
    # `pulumi login` wrote the token into the user's own Pulumi home, not into ftcluster's private one
    credentials = {
        "current": "https://api.pulumi.com",
        "accounts": {"https://api.pulumi.com": {"accessToken": "pul-0123", "username": "me"}},
    }
    (Path(stand.env["PULUMI_HOME"]) / "credentials.json").write_text(json.dumps(credentials))
    logged_in = stand.run("preview", str(spec), "--json", extra_env=cloud)
    assert logged_in.exit_code == 0, logged_in.output
    assert (tmp_path / "cloud" / "api.pulumi.com" / ".pulumi" / "stacks").is_dir()  # where the stand-in keeps it


@pytest.mark.parametrize("given", ["secrets/pass.txt", "~/pass.txt"])
def test_a_relative_or_tilde_passphrase_file_reaches_pulumi_as_an_absolute_path(
    stand: Stand, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    (stand.root / "secrets").mkdir()
    (stand.root / "secrets" / "pass.txt").write_text("correct horse\n")
    (Path(stand.env["HOME"]) / "pass.txt").write_text("correct horse\n")
    monkeypatch.chdir(stand.root)
    result = stand.run("preview", str(EU_WEST), "--json", extra_env={"PULUMI_CONFIG_PASSPHRASE_FILE": given})
    assert result.exit_code == 0, result.output
    assert not (stand.home / "passphrase").exists()  # the user's passphrase, not a new one


def test_a_new_machine_does_not_make_up_a_passphrase_for_a_stack_that_exists(tmp_path: Path, moto_server: str) -> None:
    shared = tmp_path / "shared-state"
    spec = with_backend(tmp_path, f"file://{shared}")
    first = make_stand(tmp_path / "laptop", moto_server)
    created = first.run("up", str(spec), "--yes", "--skip-preflight", "--quiet")
    assert created.exit_code == 0, created.output
    assert "created" in created.stderr and (first.home / "passphrase").exists()

    second = make_stand(tmp_path / "workstation", moto_server)
    refused = second.run("up", str(spec), "--yes", "--skip-preflight")
    assert refused.exit_code == 2, refused.output
    assert "already exists in the state backend" in refused.stderr
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" in refused.stderr and "Traceback" not in refused.output
    assert not (second.home / "passphrase").exists()
    assert "up" not in second.state.commands()
    teammate = {"PULUMI_CONFIG_PASSPHRASE_FILE": str(first.home / "passphrase")}
    assert second.run("preview", str(spec), "--json", extra_env=teammate).exit_code == 0


def test_list_tells_a_locked_cluster_from_the_lock_folder_of_a_file_backend(deployed_copy: DeployedCopy) -> None:
    stand, _ = deployed_copy(EU_WEST)
    listed = json.loads(stand.run("list", "--json").stdout)["clusters"]
    assert [c["update_in_progress"] for c in listed] == [False]
    lock = stand.state.backend / "locks" / "organization" / "ftcluster" / STACK / "5b6c.json"
    write_lock(lock)
    # `pulumi stack ls` of a diy backend says nothing about it (the stand-in neither)
    assert json.loads(stand.run("list", "--json").stdout)["clusters"][0]["update_in_progress"] is True
    assert "locked" in stand.run("list").stdout
