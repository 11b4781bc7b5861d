"""`up` waits for the services it deployed: exit 1 with the reason when they are not there or fail."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from engine_helpers import CONSOLE_SCRIPT, EU_WEST, make_stand, wait_for
from standin_harness import process_env
from starting_points import DeployedCopy

from ftcluster.errors import RolloutFailed

UP = ("up", str(EU_WEST), "--yes", "--skip-preflight")


def ecs_client(aws: str) -> Any:
    return boto3.client(
        "ecs", region_name="eu-west-1", endpoint_url=aws, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def training_service(aws: str, desired: int) -> None:
    """The service as ECS would hold it; moto completes a deployment at once only when it asks for no task."""
    ecs = ecs_client(aws)
    ecs.create_cluster(clusterName="finetune")
    ecs.register_task_definition(
        family="finetune-training", containerDefinitions=[{"name": "trainer", "image": "i", "memory": 512}]
    )
    ecs.create_service(
        cluster="finetune", serviceName="finetune-training", taskDefinition="finetune-training", desiredCount=desired
    )


def test_up_fails_when_the_services_it_deployed_do_not_settle(tmp_path: Path, aws: str) -> None:
    stand = make_stand(tmp_path, aws)  # `aws`: a freshly reset moto
    # the stand-in creates nothing in AWS: ECS has no such cluster, as when it was deleted under us
    missing = stand.run(*UP, wait=True)
    assert missing.exit_code == 1, missing.output
    text = " ".join(missing.stderr.split())
    assert text.index("done: 28 created") < text.index("error:")  # what the update did, whatever the wait says
    assert "cluster finetune (eu-west-1) was updated, but its services are missing in ECS" in text
    assert "finetune-training: not found in ECS (no ECS cluster finetune)" in text
    # the cause is a missing cluster, not tasks that stopped: the way back is refresh, then up
    assert "stopped tasks" not in text and "deleted outside ftcluster" in text
    assert "ftcluster refresh --cluster finetune-eu-west-1" in text
    assert "outputs of" not in missing.stdout


def test_an_up_with_nothing_to_change_still_checks_the_rollout(aws: str, deployed_copy: DeployedCopy) -> None:
    stand, _ = deployed_copy(EU_WEST)  # as `up --no-wait` left it; `aws`: a freshly reset moto
    again = stand.run(*UP, wait=True)
    assert again.exit_code == 1, again.output
    text = " ".join(again.stderr.split())
    assert "no changes" in text and "up to date" not in text
    assert "cluster finetune (eu-west-1) has nothing to update, but its services are missing in ECS" in text
    assert "finetune-training: not found in ECS" in text


def test_up_returns_once_the_services_have_rolled_out(tmp_path: Path, aws: str) -> None:
    stand = make_stand(tmp_path, aws)  # `aws`: a freshly reset moto
    training_service(aws, 0)
    done = stand.run(*UP, wait=True)
    assert done.exit_code == 0, done.output
    assert "outputs of finetune (eu-west-1)" in done.stdout


def test_ctrl_c_during_the_wait_says_the_update_stands(tmp_path: Path, aws: str, deployed_copy: DeployedCopy) -> None:
    stand, _ = deployed_copy(EU_WEST)  # as `up --no-wait` left it; `aws`: a freshly reset moto
    training_service(aws, 2)  # asks for 2 tasks, runs none: the rollout stays IN_PROGRESS
    errors = tmp_path / "stderr.txt"
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), *UP], env=process_env(stand.env), stdout=subprocess.DEVNULL, stderr=errors.open("w")
    )
    # the summary line comes right before the wait, which polls ECS every 15 s
    wait_for(lambda: "no changes" in errors.read_text(), "the summary line")
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 130
    text = " ".join(errors.read_text().split())
    assert "stopped waiting for the services of finetune (eu-west-1)" in text
    assert "nothing needed to change" in text and "ftcluster status --watch 10" in text
    assert "Traceback" not in text and "error: interrupted" not in text


class RecordingHooks:
    """The lifecycle's hooks, answered the way a `--yes` run does; what they are told is kept."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def notify(self, message: str) -> None:
        self.said.append(f"note: {message}")

    @contextmanager
    def stage(self, message: str) -> Iterator[Callable[[str], None]]:
        self.said.append(f"stage: {message}")
        yield lambda text: self.said.append(f"update: {text}")

    @contextmanager
    def progress(self, title: str) -> Iterator[Callable[[Any], None]]:
        yield lambda event: None

    def preflight(self, report: Any) -> None:
        pass

    def ensure_can_confirm(self, action: str, cluster: str) -> None:
        pass

    def confirm(self, request: Any) -> None:
        pass

    def applied(self, cluster: str, changes: dict[str, int] | None) -> None:
        self.said.append(f"applied: {changes}")


def test_the_wait_shows_how_long_it_has_waited_and_its_limit(
    tmp_path: Path, aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ftcluster.engine.lifecycle import deploy

    stand = make_stand(tmp_path, aws)
    for key, value in stand.env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    training_service(aws, 2)
    hooks = RecordingHooks()
    with pytest.raises(RolloutFailed) as caught:
        deploy(EU_WEST, os.environ, hooks, skip_preflight=True, wait_timeout=2)
    assert caught.value.timed_out
    applied = next(i for i, line in enumerate(hooks.said) if line.startswith("applied: "))
    waiting = next(i for i, line in enumerate(hooks.said) if line.startswith("stage: waiting"))
    assert applied < waiting  # the summary comes before the wait
    assert "waiting up to 0m02s" in hooks.said[waiting]
    updates = [line for line in hooks.said[waiting:] if line.startswith("update: ")]
    assert len(updates) >= 2 and all(re.search(r", 0m0[0-3]s of 0m02s: ", line) for line in updates)
    assert updates[-1].endswith("finetune-training: 0 of 2 tasks running")
