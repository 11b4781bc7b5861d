"""`ftcluster preview SPEC --offline [--json]` through the real Typer app, and on a bare machine."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ftcluster.cli import app

ROOT = Path(__file__).parents[2]
US_EAST = ROOT / "configs" / "us-east-1.yaml"
EU_WEST = ROOT / "configs" / "eu-west-1.yaml"
US_WEST = ROOT / "configs" / "us-west-2.yaml"
EU_CENTRAL = ROOT / "configs" / "eu-central-1.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def us_east_tree() -> str:
    result = runner.invoke(app, ["preview", str(US_EAST), "--offline"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_tree_groups_resources_by_concern_with_key_settings_and_dependencies(us_east_tree: str) -> None:
    assert "llm-pretrain in us-east-1: 78 resources" in us_east_tree
    for concern in (
        "network (29)",
        "iam (7)",
        "logs (2)",
        "event recording (10)",  # log group, resource policy, 4 rules and their targets
        "checkpoints (7)",
        "compute (4)",
        "scaling (3)",
        "fleet (3)",
        "fleet workers (2)",
    ):
        assert concern in us_east_tree
    lines = us_east_tree.splitlines()
    service = next(i for i, line in enumerate(lines) if "training-service  aws:ecs/service:Service" in line)
    details = "\n".join(lines[service : service + 9])
    assert "desiredCount: 6" in details and "ignores later changes to desiredCount" in details
    assert "depends on: cluster, cluster-capacity-providers" in details
    assert "ecs.config ECS_CLUSTER=llm-pretrain; ECS_CONTAINER_STOP_TIMEOUT=120s" in us_east_tree
    assert "gpu-instances  aws:autoscaling/group:Group" in us_east_tree and "maxSize: 4" in us_east_tree
    assert '"spotAllocationStrategy": "price-capacity-optimized"' in us_east_tree
    assert "managedTerminationProtection: ENABLED" in us_east_tree and "managedDraining: ENABLED" in us_east_tree
    assert "ignores later changes to desiredCapacity" in us_east_tree
    assert "kept on destroy (retain_on_delete)" in us_east_tree


def test_an_elastic_job_reads_as_its_own_concern() -> None:
    tree = runner.invoke(app, ["preview", str(US_WEST), "--offline"]).stdout
    assert "elastic-llm in us-west-2: 81 resources" in tree and "distributed (5)" in tree
    distributed = tree[tree.index("distributed (5)") : tree.index("Resources by type")]
    assert "name: elastic-llm.ftcluster" in distributed and 'dnsRecords: [{"ttl": 10, "type": "A"}]' in distributed
    store = next(line for line in distributed.splitlines() if "containerDefinitions: rendezvous: " in line)
    assert re.search(r"command python -c <\d+-line script> 29400 elastic-llm 20;", store)  # port, job, quiet
    assert '"capacityProvider": "FARGATE"' in distributed and "FARGATE_SPOT" not in distributed
    workers = next(line for line in tree.splitlines() if "containerDefinitions: worker:" in line)
    assert "PET_NNODES" in workers and "PET_RDZV_ENDPOINT" in workers and "NCCL_SOCKET_IFNAME" in workers


def test_a_spot_fleet_cluster_still_shows_its_fleet() -> None:
    tree = runner.invoke(app, ["preview", str(EU_CENTRAL), "--offline"]).stdout
    assert "spot-fleet  aws:ec2/spotFleetRequest:SpotFleetRequest" in tree
    assert "6 overrides (3 instance types x 2 subnets)" in tree
    assert "ECS_ENABLE_SPOT_INSTANCE_DRAINING=true" in tree


def test_cloud_only_values_are_marked_placeholders(us_east_tree: str) -> None:
    assert (
        "imageId: <known after deploy: AMI id from SSM /aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/"
        in us_east_tree
    )
    assert "availabilityZone: <known after deploy: AZ 1 of us-east-1>" in us_east_tree
    assert "bucket: llm-pretrain-ckpt-<known after deploy: account id>-us-east-1" in us_east_tree


def test_count_by_type_closes_the_output(us_east_tree: str) -> None:
    table = us_east_tree[us_east_tree.index("Resources by type") :]
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip() for line in table.splitlines() if line.count("│") == 3
    }
    assert rows["aws:ec2/subnet:Subnet"] == "6" and rows["aws:ecs/service:Service"] == "2"
    assert rows["total"] == "78"


def test_json_lists_every_resource_with_inputs_and_dependencies() -> None:
    result = runner.invoke(app, ["preview", str(EU_WEST), "--offline", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["cluster"], data["region"]) == ("finetune", "eu-west-1")
    resources = data["resources"]
    assert len(resources) == 27  # 21, and the event recording: log group, policy, 2 rules with targets
    assert all({"type", "name", "inputs", "dependencies"} <= set(r) for r in resources)
    service = next(r for r in resources if r["name"] == "training-service")
    assert service["type"] == "aws:ecs/service:Service"
    assert service["inputs"]["networkConfiguration"]["subnets"] == [
        "subnet-0123456789abcdef0",
        "subnet-0fedcba9876543210",
    ]
    assert "training-task" in service["dependencies"]
    task = next(r for r in resources if r["name"] == "training-task")
    (container,) = json.loads(task["inputs"]["containerDefinitions"])
    assert container["image"] == "ghcr.io/example/finetune:1.3"


def test_preview_ends_with_the_cost_estimate() -> None:
    text = runner.invoke(app, ["preview", str(EU_WEST), "--offline"], terminal_width=200).stdout
    assert text.index("Resources by type") < text.index("Cost estimate — eu-west-1")
    assert "Same capacity all on-demand" in text and "Saving" in text
    data = json.loads(runner.invoke(app, ["preview", str(EU_WEST), "--offline", "--json"]).stdout)["cost"]
    fargate = [line for line in data["lines"] if line["component"].startswith("fargate")]
    assert fargate and data["saving"]["percent"]["high"] > 0  # all Fargate Spot: up to 70 % off


def test_bad_spec_exits_2_with_the_loaders_message(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: Bad_Name\nregion: us-east-1\ntraining:\n  image: x:1\n")
    result = runner.invoke(app, ["preview", str(spec), "--offline"])
    assert result.exit_code == 2
    assert f"{spec}:1:7: name:" in result.stderr and "Traceback" not in result.output


def test_works_on_a_bare_machine_without_noise(tmp_path: Path) -> None:
    """No AWS settings, no Pulumi CLI on PATH, a fresh HOME: exit 0, nothing on stderr."""
    environment = {
        "PATH": str(Path(sys.executable).parent) + os.pathsep + "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "ftcluster", "preview", str(US_EAST), "--offline", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    plan = json.loads(result.stdout)
    assert len(plan["resources"]) == 78
    assert plan["cost"]["kind"] == "estimate" and plan["cost"]["uses_live_spot_prices"] is False
    assert not list(tmp_path.iterdir())  # no Pulumi workspace, no cache written
