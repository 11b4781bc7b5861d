"""What the engine decides per run before handing the program its options: a forced deployment only when the
capacity mix changes, and adopting the log group Container Insights made before the stack owned it."""

from __future__ import annotations

from pathlib import Path

import boto3
from engine_helpers import EU_WEST, make_stand, spec_copy
from starting_points import DeployedCopy

STACK = "finetune-eu-west-1"


def test_only_a_changed_capacity_mix_forces_a_new_deployment(
    tmp_path: Path, aws: str, deployed_copy: DeployedCopy
) -> None:
    stand, _ = deployed_copy(EU_WEST)
    service = stand.state.resources(STACK)["training-service"]
    assert service["inputs"]["forceNewDeployment"] is False  # the first deployment needs no force

    mixed = spec_copy(tmp_path, EU_WEST, "mixed.yaml", {"spot_percent: 100": "spot_percent: 50"})
    assert stand.run("up", str(mixed), "--yes", "--skip-preflight").exit_code == 0
    service = stand.state.resources(STACK)["training-service"]
    assert service["inputs"]["forceNewDeployment"] is True
    assert {c["capacityProvider"]: c["weight"] for c in service["inputs"]["capacityProviderStrategies"]} == {
        "FARGATE": 1,
        "FARGATE_SPOT": 1,
    }

    again = stand.run("up", str(mixed), "--yes", "--skip-preflight")  # same mix: the flag goes back off
    assert again.exit_code == 0, again.output
    assert stand.state.resources(STACK)["training-service"]["inputs"]["forceNewDeployment"] is False


def test_the_log_group_container_insights_made_is_imported_not_created_twice(tmp_path: Path, aws: str) -> None:
    logs = boto3.client(
        "logs", region_name="eu-west-1", endpoint_url=aws, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    logs.create_log_group(logGroupName="/aws/ecs/containerinsights/finetune/performance")
    stand = make_stand(tmp_path, aws)
    result = stand.run("up", str(EU_WEST), "--yes", "--skip-preflight")
    assert result.exit_code == 0, result.output
    assert "1 imported" in result.stderr
    group = stand.state.resources(STACK)["container-insights-log-group"]
    assert group["id"] == "/aws/ecs/containerinsights/finetune/performance"
    # once in the stack, later runs update it like any other resource (a real engine then sets the
    # retention the import ignored; the stand-in cannot know the imported value)
    again = stand.run("up", str(EU_WEST), "--yes", "--skip-preflight")
    assert again.exit_code == 0, again.output
    assert "imported" not in again.stderr and "to import" not in again.stderr
