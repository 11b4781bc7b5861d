"""What goes wrong around a deployment: failing resources, locks, missing CLI or credentials, bad specs."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from engine_helpers import EU_WEST, ROOT, Stand, make_stand, spec_copy, write_lock

STACK = "finetune-eu-west-1"
UP = ("up", str(EU_WEST), "--yes", "--skip-preflight")


def test_a_failing_resource_exits_1_names_it_and_keeps_the_state(stand: Stand) -> None:
    failed = stand.run(*UP, extra_env={"PULUMI_STANDIN_FAIL": "training-service"})
    assert failed.exit_code == 1
    assert "training-service" in failed.stderr and "InvalidParameterException" in failed.stderr
    assert "Traceback" not in failed.output and "stdout:" not in failed.stderr
    assert "update failed" not in failed.stderr  # the engine's own closing line adds nothing to the resource's
    assert "run `ftcluster up" in failed.stderr
    done = stand.state.resources(STACK)
    assert "training-service" not in done and len(done) > 5  # what finished is recorded
    assert stand.state.history(STACK)[0]["result"] == "failed" and not stand.state.locks(STACK)

    retried = stand.run(*UP)
    assert retried.exit_code == 0, retried.output
    changes = stand.state.history(STACK)[0]["resourceChanges"]
    assert changes["create"] >= 1 and changes["same"] == len(done)
    assert "training-service" in stand.state.resources(STACK)


def test_without_diagnostic_events_the_failure_is_read_from_pulumis_output(stand: Stand) -> None:
    lossy = {"PULUMI_STANDIN_FAIL": "training-service", "PULUMI_STANDIN_DROP_EVENTS": "diagnosticEvent"}
    failed = stand.run(*UP, extra_env=lossy)  # a failed run prints nothing on stderr: only stdout says why
    assert failed.exit_code == 1
    assert (
        "aws:ecs:Service training-service: create of aws:ecs/service:Service training-service failed: "
        "InvalidParameterException" in " ".join(failed.stderr.split())
    )
    assert "update failed" not in failed.stderr and "unknown error" not in failed.stderr


def test_every_line_of_a_multi_line_failure_is_kept_from_pulumis_output(stand: Stand) -> None:
    """pkg/backend/display/progress.go prints each line of a diagnostic with four spaces before it: continuation
    lines are part of the message, not something else."""
    message = (
        "creating ECS Service (finetune-training): InvalidParameterException\n"
        "Unable to assume the service linked role.\nPlease verify that the ECS service linked role exists."
    )
    lossy = {
        "PULUMI_STANDIN_FAIL": "training-service",
        "PULUMI_STANDIN_FAIL_MESSAGE": message,
        "PULUMI_STANDIN_DROP_EVENTS": "diagnosticEvent",
    }
    failed = stand.run(*UP, extra_env=lossy)
    assert failed.exit_code == 1
    text = " ".join(failed.stderr.split())
    assert "training-service: creating ECS Service (finetune-training): InvalidParameterException" in text
    assert "Unable to assume the service linked role. Please verify that the ECS service linked role exists." in text


def test_a_concurrent_update_gets_one_line_and_the_way_out(stand: Stand) -> None:
    lock = stand.state.backend / "locks" / "organization" / "ftcluster" / STACK / "5b6c.json"
    write_lock(lock)
    blocked = stand.run(*UP)
    assert blocked.exit_code == 1
    assert (
        f"being changed by another ftcluster or pulumi run (lock held by alice@{socket.gethostname()}, "
        f"pid {os.getpid()}, still running" in blocked.stderr
    )
    assert f"ftcluster cancel --cluster {STACK}" in blocked.stderr and "Traceback" not in blocked.output
    assert "up" in stand.state.commands() and stand.state.resources(STACK) == {}  # refused by the lock

    released = stand.run("cancel", "--cluster", STACK, "--yes")
    assert released.exit_code == 0, released.output
    assert not lock.exists() and "ftcluster refresh" in released.stderr
    assert stand.run(*UP).exit_code == 0


def test_bad_spec_exits_2_and_never_calls_pulumi(stand: Stand, tmp_path: Path) -> None:
    bad = spec_copy(tmp_path, EU_WEST, "bad.yaml", {"tasks: 2": "tasks: -2"})
    for command in (
        ["up", str(bad), "--yes"],
        ["preview", str(bad)],
        ["scale", str(bad), "--tasks", "3"],
        ["destroy", str(bad), "--yes"],
        ["outputs", str(bad)],
        ["refresh", str(bad)],
    ):
        result = stand.run(*command)
        assert result.exit_code == 2, (command, result.output)
        assert "training.tasks" in result.stderr and "Traceback" not in result.output
    assert stand.state.calls() == []


def test_missing_cli_names_the_fix(tmp_path: Path, moto_server: str) -> None:
    stand = make_stand(tmp_path, moto_server, with_pulumi=False)
    for command in (list(UP), ["outputs", "--cluster", STACK], ["list"]):
        result = stand.run(*command)
        assert result.exit_code == 1, result.output
        assert "Pulumi CLI (`pulumi`) was not found" in result.stderr and "ftcluster install-pulumi" in result.stderr
    assert stand.state.calls() == []


def test_too_old_cli_names_the_fix(stand: Stand) -> None:
    result = stand.run(*UP, extra_env={"PULUMI_STANDIN_VERSION": "3.150.0"})
    assert result.exit_code == 1
    assert "Pulumi CLI 3.150.0" in result.stderr and "at least 3.181.0" in result.stderr
    assert "ftcluster install-pulumi" in result.stderr
    assert stand.state.commands() == ["version"]


def test_missing_aws_credentials_stop_before_any_deployment(stand: Stand) -> None:
    no_credentials = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}
    result = stand.run(*UP, extra_env=no_credentials)
    assert result.exit_code == 1
    assert "checking AWS credentials for region eu-west-1: no AWS credentials found" in result.stderr
    assert "aws sso login" in result.stderr
    assert not {"preview", "up", "stack init"} & set(stand.state.commands())
    with_preflight = stand.run("up", str(EU_WEST), "--yes", extra_env=no_credentials)  # ftcluster.live's checks
    assert with_preflight.exit_code == 1 and "preflight failed: AWS credentials" in with_preflight.stderr


def test_install_pulumi_reuses_an_install_in_the_home_which_then_wins_over_path(
    tmp_path: Path, moto_server: str
) -> None:
    from pulumi._version import version as sdk_version

    stand = make_stand(tmp_path, moto_server, with_pulumi=False)
    stand.env["PULUMI_STANDIN_VERSION"] = str(sdk_version)  # what `install` would have fetched
    installed = stand.home / "pulumi-cli" / "bin" / "pulumi"
    installed.parent.mkdir(parents=True)
    installed.write_text(f'#!/bin/sh\nexec "{ROOT / "tests" / "standin" / "bin" / "pulumi"}" "$@"\n')
    installed.chmod(0o755)
    result = stand.run("install-pulumi")
    assert result.exit_code == 0, result.output
    assert f"Pulumi {sdk_version} at {installed}" in result.stderr.replace("\n", "")
    assert stand.run("list", "--json").exit_code == 0  # no pulumi on PATH: the installed one answers


def _cli_reporting(root: Path, version: str) -> None:
    """A Pulumi CLI install under `root` (as install.sh lays it out) that reports `version`."""
    binary = root / "bin" / "pulumi"
    binary.parent.mkdir(parents=True, exist_ok=True)
    standin = ROOT / "tests" / "standin" / "bin" / "pulumi"
    binary.write_text(f'#!/bin/sh\nPULUMI_STANDIN_VERSION={version} exec "{standin}" "$@"\n')
    binary.chmod(0o755)


def test_install_pulumi_with_a_version_installs_exactly_that_version(
    tmp_path: Path, moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`PulumiCommand.install` takes its version as a minimum and keeps any newer install (pulumi/automation/_cmd.py);
    only the download itself (get.pulumi.com's install.sh) is replaced here: no network in tests."""
    from pulumi.automation import PulumiCommand

    stand = make_stand(tmp_path, moto_server, with_pulumi=False)
    installed = stand.home / "pulumi-cli"
    _cli_reporting(installed, "3.250.0")
    downloads: list[str] = []

    def download(cls, root: str, version) -> None:  # install.sh --install-root ROOT --version V
        downloads.append(str(version))
        _cli_reporting(Path(root), str(version))

    monkeypatch.setattr(PulumiCommand, "_install_posix", classmethod(download))
    result = stand.run("install-pulumi", "--version", "3.245.0")
    assert result.exit_code == 0, result.output
    assert "Pulumi 3.245.0 at" in result.stderr and downloads == ["3.245.0"]
    again = stand.run("install-pulumi", "--version", "v3.245.0")
    assert again.exit_code == 0 and downloads == ["3.245.0"]  # the version asked for is there: kept

    def offline(cls, root: str, version) -> None:
        raise OSError("network is unreachable")

    monkeypatch.setattr(PulumiCommand, "_install_posix", classmethod(offline))
    failed = stand.run("install-pulumi", "--version", "3.240.0")
    assert failed.exit_code == 1 and "could not install Pulumi CLI 3.240.0" in failed.stderr
    assert "3.245.0" in (installed / "bin" / "pulumi").read_text()  # the working install is untouched


def test_an_empty_passphrase_is_refused(stand: Stand) -> None:
    result = stand.run(*UP, extra_env={"PULUMI_CONFIG_PASSPHRASE": ""})
    assert result.exit_code == 2 and "empty passphrase" in result.stderr
    assert stand.state.calls() == []


@pytest.mark.parametrize("where", ["env", "spec"])
def test_backend_from_the_environment_or_the_spec(stand: Stand, tmp_path: Path, where: str) -> None:
    backend = tmp_path / "team-state"
    spec = EU_WEST
    extra: dict[str, str | None] = {}
    if where == "env":
        extra["PULUMI_BACKEND_URL"] = f"file://{backend}"
    else:
        spec = spec_copy(
            tmp_path,
            EU_WEST,
            "team.yaml",
            {"region: eu-west-1": f"region: eu-west-1\nstate:\n  backend: file://{backend}"},
        )
    result = stand.run("preview", str(spec), "--json", extra_env=extra)
    assert result.exit_code == 0, result.output
    assert (backend / ".pulumi" / "meta.yaml").exists()  # the CLI opened that backend (pkg/backend/diy/meta.go)
    assert not (stand.home / "state").exists()
