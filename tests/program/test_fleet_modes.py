"""fleet.type auto_scaling_group (the default): the Auto Scaling group and its ECS capacity provider;
and what changes between the two fleet types."""

from __future__ import annotations

from pathlib import Path

import yaml
from program_helpers import MINIMAL, ROOT, US_EAST, as_spot_fleet, example, merged, tag_map

from ftcluster.offline import OfflinePlan, placeholder
from ftcluster.program import ProgramOptions, scale_targets
from ftcluster.spec import load_spec


def ref(kind: str, name: str) -> str:
    return placeholder(f"{kind} of {name}")


def test_the_group_mixes_every_instance_type_over_every_az_with_an_on_demand_base(us_east: OfflinePlan) -> None:
    group = us_east.by_name("gpu-instances")
    inputs = group.inputs
    assert inputs["name"] == "llm-pretrain-gpu"
    assert (inputs["minSize"], inputs["maxSize"]) == (0, 4)  # max = fleet.instances; ECS decides how many run
    assert "desiredCapacity" not in inputs and group.options["ignoreChanges"] == ["desiredCapacity"]
    assert inputs["vpcZoneIdentifiers"] == [ref("id", f"private-subnet-{i}") for i in (1, 2, 3)]
    policy = inputs["mixedInstancesPolicy"]
    assert policy["instancesDistribution"] == {
        "onDemandBaseCapacity": 1,  # fleet.on_demand_capacity
        "onDemandPercentageAboveBaseCapacity": 0,
        "spotAllocationStrategy": "price-capacity-optimized",
    }
    template = policy["launchTemplate"]
    assert template["launchTemplateSpecification"] == {
        "launchTemplateId": ref("id", "fleet-launch-template"),
        "version": placeholder("launch template version"),  # a pinned number, not $Latest
    }
    types = ["g5.xlarge", "g5.2xlarge", "g4dn.xlarge", "g4dn.2xlarge", "g6.xlarge"]
    assert template["overrides"] == [{"instanceType": t} for t in types]  # no weights (ECS supports none)
    assert inputs["capacityRebalance"] is True and inputs["protectFromScaleIn"] is True
    assert inputs["forceDelete"] is True and inputs["waitForCapacityTimeout"] == "0"


def test_the_group_carries_the_cluster_tags_itself_and_ecs_own_tag_to_its_instances(us_east: OfflinePlan) -> None:
    tags = us_east.by_name("gpu-instances").inputs["tags"]
    assert tag_map(us_east.by_name("gpu-instances").inputs) == {
        "ftcluster:cluster": "llm-pretrain",
        "team": "ml-platform",
        "cost-center": "research-42",
        "Name": "llm-pretrain-gpu",
        "AmazonECSManaged": "true",
    }
    assert [t["key"] for t in tags if t["propagateAtLaunch"]] == ["AmazonECSManaged"]  # the template tags the rest


def test_the_capacity_provider_manages_scaling_termination_and_draining(us_east: OfflinePlan) -> None:
    provider = us_east.by_name("gpu-capacity-provider")
    assert provider.inputs == {
        "name": "llm-pretrain-gpu",
        "autoScalingGroupProvider": {
            "autoScalingGroupArn": ref("ARN", "gpu-instances"),
            "managedScaling": {"status": "ENABLED", "targetCapacity": 100, "instanceWarmupPeriod": 300},
            "managedTerminationProtection": "ENABLED",
            "managedDraining": "ENABLED",
        },
    }
    assert "cluster" not in provider.inputs  # must not be set for a group provider (capacity_provider.go)


def test_allocation_strategies_take_the_groups_spelling(plan_for) -> None:
    for strategy, spelled in (
        ("capacityOptimized", "capacity-optimized"),
        ("lowestPrice", "lowest-price"),
        ("capacityOptimizedPrioritized", "capacity-optimized-prioritized"),
    ):
        data = merged(example(US_EAST), {"fleet": {"allocation_strategy": strategy}})
        distribution = plan_for(data).by_name("gpu-instances").inputs["mixedInstancesPolicy"]["instancesDistribution"]
        assert distribution["spotAllocationStrategy"] == spelled, strategy


def test_scaling_the_instances_moves_the_groups_max_size_and_is_a_targeted_update(plan_for) -> None:
    plan = plan_for(example(US_EAST), ProgramOptions(fleet_capacity=7))
    assert plan.by_name("gpu-instances").inputs["maxSize"] == 7 and plan.exports["fleet_target_capacity"] == 7
    spec = load_spec(US_EAST)
    assert ("aws:autoscaling/group:Group", "gpu-instances") in scale_targets(spec)
    assert ("aws:ec2/spotFleetRequest:SpotFleetRequest", "spot-fleet") not in scale_targets(spec)


def test_the_worker_count_can_be_overridden(plan_for) -> None:
    plan = plan_for(example(US_EAST), ProgramOptions(workers=2))
    assert plan.by_name("workers-service").inputs["desiredCount"] == 2 and plan.exports["workers_desired"] == 2


def test_a_change_of_type_replaces_the_template_and_swaps_the_launcher(us_east: OfflinePlan, us_east_spot) -> None:
    group, spot = us_east.by_name("fleet-launch-template"), us_east_spot.by_name("fleet-launch-template")
    # the launch template's name is ForceNew: a new template, hence new instances
    assert (group.inputs["name"], spot.inputs["name"]) == ("llm-pretrain-gpu", "llm-pretrain-fleet")
    launchers = {r.name for r in us_east.resources} ^ {r.name for r in us_east_spot.resources}
    assert launchers == {
        "gpu-instances",
        "gpu-capacity-provider",
        "spot-fleet",
        "spot-fleet-role",
        "spot-fleet-role-policy",
    }
    # the workers service changes its launch type (ForceNew) with it
    assert us_east.by_name("workers-service").inputs.get("launchType") != us_east_spot.by_name(
        "workers-service"
    ).inputs.get("launchType")


def test_the_starter_fleet_is_an_auto_scaling_group(tmp_path: Path) -> None:
    from ftcluster.offline import run_offline
    from ftcluster.spec.starter import starter_spec

    text = starter_spec(name="demo", region="us-east-1")
    lines = text.splitlines()
    start = lines.index("# fleet:")
    block = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        block.append(line[2:])
    data = {**yaml.safe_load(text), **yaml.safe_load("\n".join(block))}
    path = tmp_path / "starter.yaml"
    path.write_text(yaml.safe_dump(data))
    plan = run_offline(load_spec(path))
    assert plan.exports["fleet_type"] == "auto_scaling_group" and plan.by_name("gpu-capacity-provider")


def test_the_spot_fleet_example_keeps_a_spot_fleet(eu_central: OfflinePlan) -> None:
    assert eu_central.exports["fleet_type"] == "spot_fleet"
    assert eu_central.by_name("spot-fleet").inputs["targetCapacity"] == 2
    assert not eu_central.of_type("aws:autoscaling/group:Group")
    assert yaml.safe_load((ROOT / "configs" / "eu-central-1.yaml").read_text())["fleet"]["type"] == "spot_fleet"


def test_a_fleet_without_workers_gets_instances_but_no_workers_service(plan_for) -> None:
    data = merged(MINIMAL, {"fleet": {"instances": 2, "instance_types": ["g5.xlarge"], "gpu": True}})
    for plan in (plan_for(data), plan_for(as_spot_fleet(data))):
        names = {r.name for r in plan.resources}
        assert "fleet-launch-template" in names and not {"workers-task", "workers-service"} & names
        assert plan.exports["workers_desired"] is None
