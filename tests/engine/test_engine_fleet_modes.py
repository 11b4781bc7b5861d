"""Changing fleet.type on a deployed cluster, through the Typer app and the stand-in: the preview shows
the instances replaced (a new launch template, the launcher swapped, the workers service replaced),
and `up` orders the steps so that AWS accepts them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_helpers import Stand, make_stand

STACK = "modes-eu-west-1"
SPEC = """\
name: modes
region: eu-west-1
network:
  vpc_id: vpc-0a1b2c3d4e5f67890
  subnet_ids: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
training:
  image: ghcr.io/example/train:1
  tasks: 1
  checkpoints:
    bucket: example-modes-checkpoints
fleet:
  type: {fleet_type}
  instances: 2
  instance_types: [g5.xlarge, g6.xlarge]
  gpu: true
  workers:
    tasks: 2
    gpus: 1
"""


def spec(tmp_path: Path, fleet_type: str) -> Path:
    path = tmp_path / f"{fleet_type}.yaml"
    path.write_text(SPEC.format(fleet_type=fleet_type))
    return path


def step_lines(result) -> list[str]:
    return [line.strip() for line in result.stderr.splitlines()]


def first(lines: list[str], verb: str, name: str) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(verb) and f" {name} " in f" {line} ")


@pytest.fixture
def spot_cluster(tmp_path: Path, moto_server: str) -> Stand:
    stand = make_stand(tmp_path / "machine", moto_server)
    deployed = stand.run("up", str(spec(tmp_path, "spot_fleet")), "--yes", "--skip-preflight")
    assert deployed.exit_code == 0, deployed.output
    assert "spot-fleet" in stand.state.resources(STACK)
    yield stand
    assert not stand.state.unsupported()


def test_a_spot_fleet_becoming_an_auto_scaling_group_replaces_its_instances_and_back(
    spot_cluster: Stand, tmp_path: Path
) -> None:
    stand = spot_cluster
    old_template = stand.state.resources(STACK)["fleet-launch-template"]["id"]
    group = spec(tmp_path, "auto_scaling_group")

    planned = stand.run("preview", str(group), "--json", "--diff")
    assert planned.exit_code == 0, planned.output
    changes = {(c["op"], c["name"]): c["properties"] for c in json.loads(planned.stdout)["resources"]}
    # the template's name is ForceNew: a new template, so new instances
    assert "name" in changes[("replace", "fleet-launch-template")]
    assert {
        ("create", "gpu-instances"),
        ("create", "gpu-capacity-provider"),
        ("delete", "spot-fleet"),
        ("delete", "spot-fleet-role"),
    } <= set(changes)
    assert set(changes[("replace", "workers-service")]) >= {"launchType", "capacityProviderStrategies"}
    assert changes[("update", "cluster-capacity-providers")] == ["capacityProviders"]

    applied = stand.run("up", str(group), "--yes", "--skip-preflight", "--json")
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.stdout)["outputs"]["fleet_type"] == "auto_scaling_group"
    # said before applying (with --yes too): what is lost, by name, and that every GPU instance goes
    said = [" ".join(line.split()) for line in applied.stderr.splitlines()]
    assert (
        "warning: every GPU instance is replaced: the fleet changes from a Spot Fleet to an Auto Scaling group; "
        "worker tasks stop (after their stop timeout) and start again on the new instances" in said
    )
    assert "delete aws:ec2/spotFleetRequest:SpotFleetRequest spot-fleet" in said
    assert any(line.startswith("replace aws:ecs/service:Service workers-service (") for line in said)
    assert said.index("delete aws:ec2/spotFleetRequest:SpotFleetRequest spot-fleet") < said.index(
        next(line for line in said if line.startswith("estimated cost:"))
    )
    resources = stand.state.resources(STACK)
    assert {"gpu-instances", "gpu-capacity-provider"} <= set(resources) and "spot-fleet" not in resources
    assert resources["fleet-launch-template"]["id"] != old_template
    assert resources["workers-service"]["inputs"]["capacityProviderStrategies"] == [
        {"base": 0, "capacityProvider": "modes-gpu", "weight": 1}
    ]
    lines = step_lines(applied)
    # ECS takes no second service of one name: the old workers service goes before the new one comes
    assert first(lines, "deleted old", "workers-service") < first(lines, "created replacement", "workers-service")
    # the provider is attached before the workers place through it
    assert first(lines, "updated", "cluster-capacity-providers") < first(
        lines, "created replacement", "workers-service"
    )
    cloud = {urn.split("::")[-1] for urn in stand.state.cloud()}
    assert "spot-fleet" not in cloud and {"gpu-instances", "gpu-capacity-provider"} <= cloud

    back = stand.run("up", str(spec(tmp_path, "spot_fleet")), "--yes", "--skip-preflight")
    assert back.exit_code == 0, back.output
    lines = step_lines(back)
    # ECS disassociates a provider only once no task uses it: the workers move off it first
    assert first(lines, "created replacement", "workers-service") < first(
        lines, "updated", "cluster-capacity-providers"
    )
    assert first(lines, "updated", "cluster-capacity-providers") < first(lines, "deleted", "gpu-capacity-provider")
    resources = stand.state.resources(STACK)
    assert "spot-fleet" in resources and not {"gpu-instances", "gpu-capacity-provider"} & set(resources)
    assert resources["workers-service"]["inputs"]["launchType"] == "EC2"
