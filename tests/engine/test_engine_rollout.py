"""`up` waits for the services it deployed: exit 1 with the reason when they are not there or fail."""

from __future__ import annotations

from pathlib import Path

import boto3
from engine_helpers import EU_WEST, make_stand


def test_up_fails_when_the_services_it_deployed_do_not_settle(tmp_path: Path, aws: str) -> None:
    stand = make_stand(tmp_path, aws)  # `aws`: a freshly reset moto
    # the stand-in creates nothing in AWS: ECS has no such service, as when a service was deleted under us
    missing = stand.run("up", str(EU_WEST), "--yes", "--skip-preflight", wait=True)
    assert missing.exit_code == 1, missing.output
    assert "cluster finetune (eu-west-1) was updated, but its services failed to deploy" in missing.stderr
    assert "finetune-training: not found in ECS" in missing.stderr and "ftcluster status" in missing.stderr
    assert "outputs of" not in missing.stdout


def test_up_returns_once_the_services_have_rolled_out(tmp_path: Path, aws: str) -> None:
    stand = make_stand(tmp_path, aws)  # `aws`: a freshly reset moto
    ecs = boto3.client(
        "ecs", region_name="eu-west-1", endpoint_url=aws, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    ecs.create_cluster(clusterName="finetune")
    ecs.register_task_definition(
        family="finetune-training", containerDefinitions=[{"name": "trainer", "image": "i", "memory": 512}]
    )
    # moto completes a deployment at once when it asks for no task
    ecs.create_service(
        cluster="finetune", serviceName="finetune-training", taskDefinition="finetune-training", desiredCount=0
    )
    done = stand.run("up", str(EU_WEST), "--yes", "--skip-preflight", wait=True)
    assert done.exit_code == 0, done.output
    assert "outputs of finetune (eu-west-1)" in done.stdout
