"""Key inputs of every resource the program declares, and the relations between them."""

from __future__ import annotations

import base64
import json
from typing import Any

from program_helpers import MINIMAL, US_EAST, as_spot_fleet, example, merged

from ftcluster.offline import OfflinePlan, placeholder
from ftcluster.program import ProgramOptions
from ftcluster.spec import load_spec


def ref(kind: str, name: str) -> str:
    """What another resource's input holds when it points at `name` (the mocks' placeholders)."""
    return placeholder(f"{kind} of {name}")


def user_data(plan: OfflinePlan) -> dict[str, str]:
    script = base64.b64decode(plan.by_name("fleet-launch-template").inputs["userData"]).decode()
    assert script.startswith("#!/bin/bash\n")
    return dict(line.split("=", 1) for line in script.splitlines() if line.startswith("ECS_"))


def containers(plan: OfflinePlan, task: str) -> list[dict[str, Any]]:
    return json.loads(plan.by_name(task).inputs["containerDefinitions"])


# --- provider ------------------------------------------------------------------------------------


def test_one_explicit_provider_in_the_spec_region_carries_the_cluster_tags(us_east: OfflinePlan) -> None:
    (provider,) = us_east.of_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-east-1"
    assert provider.inputs["defaultTags"] == {
        "tags": {"ftcluster:cluster": "llm-pretrain", "team": "ml-platform", "cost-center": "research-42"}
    }
    assert "endpoints" not in provider.inputs  # only with endpoint_url
    others = [r for r in us_east.resources if r is not provider]
    assert others and all(r.options["provider"] == provider.name for r in others)


def test_endpoint_url_points_every_service_we_use_at_the_emulator(plan_for) -> None:
    plan = plan_for(merged(MINIMAL, {"endpoint_url": "http://localhost:4566"}))
    (provider,) = plan.of_type("pulumi:providers:aws")
    (endpoints,) = provider.inputs["endpoints"]
    assert set(endpoints) == {
        "appautoscaling",
        "autoscaling",
        "ec2",
        "ecs",
        "events",  # the job-completed rule and the event ledger's rules
        "iam",
        "logs",
        "s3",
        "servicediscovery",
        "sfn",  # the job-completed state machine
        "ssm",
        "sts",
    }
    assert set(endpoints.values()) == {"http://localhost:4566"}
    for setting in ("skipCredentialsValidation", "skipMetadataApiCheck", "skipRequestingAccountId", "s3UsePathStyle"):
        assert provider.inputs[setting] is True, setting


# --- network ------------------------------------------------------------------------------------


def test_new_vpc_has_a_public_and_a_private_subnet_in_each_requested_az(us_east: OfflinePlan) -> None:
    spec = load_spec(US_EAST)
    subnets = us_east.of_type("aws:ec2/subnet:Subnet")
    private = [s for s in subnets if s.name.startswith("private-")]
    public = [s for s in subnets if s.name.startswith("public-")]
    assert len(private) == len(public) == 3
    assert len({s.inputs["availabilityZone"] for s in private}) == 3  # three different AZs
    assert {s.inputs["availabilityZone"] for s in private} == {s.inputs["availabilityZone"] for s in public}
    expected = spec.network.subnet_blocks()
    assert [s.inputs["cidrBlock"] for s in private] == [p for p, _ in expected]
    assert [s.inputs["cidrBlock"] for s in public] == [p for _, p in expected]
    assert all(s.inputs["vpcId"] == ref("id", "vpc") for s in subnets)
    assert us_east.by_name("vpc").inputs["cidrBlock"] == "10.20.0.0/16"


def test_per_az_nat_gives_each_private_subnet_its_own_way_out(us_east: OfflinePlan) -> None:
    nats = us_east.of_type("aws:ec2/natGateway:NatGateway")
    assert [n.inputs["subnetId"] for n in nats] == [ref("id", f"public-subnet-{i}") for i in (1, 2, 3)]
    for index in (1, 2, 3):
        route = us_east.by_name(f"private-default-route-{index}")
        assert route.inputs["routeTableId"] == ref("id", f"private-routes-{index}")
        assert route.inputs["natGatewayId"] == ref("id", f"nat-gateway-{index}")
        association = us_east.by_name(f"private-subnet-{index}-routes")
        assert association.inputs["subnetId"] == ref("id", f"private-subnet-{index}")
    public_route = us_east.by_name("public-default-route")
    assert public_route.inputs["gatewayId"] == ref("id", "internet-gateway")


def test_s3_gateway_endpoint_serves_every_route_table(us_east: OfflinePlan) -> None:
    endpoint = us_east.by_name("s3-endpoint")
    assert endpoint.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    tables = {ref("id", t.name) for t in us_east.of_type("aws:ec2/routeTable:RouteTable")}
    assert set(endpoint.inputs["routeTableIds"]) == tables and len(tables) == 4


def test_single_nat_serves_every_az(plan_for) -> None:
    plan = plan_for(merged(MINIMAL, {"network": {"nat": "single"}}))
    assert [n.name for n in plan.of_type("aws:ec2/natGateway:NatGateway")] == ["nat-gateway-1"]
    routes = [plan.by_name(f"private-default-route-{i}") for i in (1, 2, 3)]
    assert {r.inputs["natGatewayId"] for r in routes} == {ref("id", "nat-gateway-1")}


def test_without_nat_work_runs_in_public_subnets_with_public_ips(plan_for) -> None:
    data = merged(MINIMAL, {"network": {"nat": "none"}})
    data["fleet"] = {"max_instances": 1, "instance_types": ["m6i.large"], "workers": {"tasks": 1}}
    plan, spot = plan_for(data), plan_for(as_spot_fleet(data))
    assert not plan.of_type("aws:ec2/natGateway:NatGateway")
    assert not [r for r in plan.of_type("aws:ec2/route:Route") if r.name.startswith("private-")]
    public_ids = [ref("id", f"public-subnet-{i}") for i in (1, 2, 3)]
    service = plan.by_name("training-service").inputs["networkConfiguration"]
    assert service["subnets"] == public_ids and service["assignPublicIp"] is True
    assert all(
        s.inputs["mapPublicIpOnLaunch"] for s in plan.of_type("aws:ec2/subnet:Subnet") if s.name.startswith("public-")
    )
    assert plan.by_name("gpu-instances").inputs["vpcZoneIdentifiers"] == public_ids
    overrides = spot.by_name("spot-fleet").inputs["launchTemplateConfigs"][0]["overrides"]
    assert {o["subnetId"] for o in overrides} == set(public_ids)
    assert plan.exports["subnet_ids"] == spot.exports["subnet_ids"] == public_ids


def test_existing_vpc_creates_no_network_and_uses_the_given_subnets(eu_west: OfflinePlan) -> None:
    assert not [r for r in eu_west.resources if r.type.split("/")[0] == "aws:ec2" and "securityGroup" not in r.type]
    subnets = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    network = eu_west.by_name("training-service").inputs["networkConfiguration"]
    assert network["subnets"] == subnets and network["assignPublicIp"] is False
    assert eu_west.by_name("tasks-security-group").inputs["vpcId"] == "vpc-0a1b2c3d4e5f67890"
    assert eu_west.exports["vpc_id"] == "vpc-0a1b2c3d4e5f67890" and eu_west.exports["subnet_ids"] == subnets


# --- security group and IAM ---------------------------------------------------------------------


def test_members_of_the_group_may_reach_each_other_on_every_port(us_east: OfflinePlan, eu_west: OfflinePlan) -> None:
    # NCCL/Gloo open ephemeral ports between ranks (NVIDIA/nccl#680): all traffic, but only from
    # the group itself, with or without training.port (us-east-1 sets it, eu-west-1 does not).
    for plan in (us_east, eu_west):
        group = plan.by_name("tasks-security-group").inputs
        (rule,) = group["ingress"]
        assert rule["self"] is True and rule["protocol"] == "-1" and rule["fromPort"] == rule["toPort"] == 0
        assert "cidrBlocks" not in rule and "ipv6CidrBlocks" not in rule and "securityGroups" not in rule
        (egress,) = group["egress"]
        assert egress["protocol"] == "-1" and egress["cidrBlocks"] == ["0.0.0.0/0"]
    (container,) = containers(us_east, "training-task")
    assert container["portMappings"] == [{"containerPort": 29500, "protocol": "tcp"}]  # still mapped


def test_roles_trust_the_right_services_and_attach_the_aws_managed_policies(
    us_east: OfflinePlan, us_east_spot: OfflinePlan
) -> None:
    def principal(plan: OfflinePlan, name: str) -> str:
        (statement,) = json.loads(plan.by_name(name).inputs["assumeRolePolicy"])["Statement"]
        return statement["Principal"]["Service"]

    def attached(plan: OfflinePlan) -> dict[str, str]:
        return {
            a.inputs["role"]: a.inputs["policyArn"]
            for a in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        }

    assert principal(us_east, "execution-role") == principal(us_east, "task-role") == "ecs-tasks.amazonaws.com"
    assert principal(us_east, "instance-role") == "ec2.amazonaws.com"
    assert principal(us_east_spot, "spot-fleet-role") == "spotfleet.amazonaws.com"
    common = {
        "llm-pretrain-us-east-1-execution": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
        "llm-pretrain-us-east-1-instance": "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
    }
    # an Auto Scaling group launches with its service-linked role: no Spot Fleet role
    assert attached(us_east) == common
    assert attached(us_east_spot) == {
        **common,
        "llm-pretrain-us-east-1-spot-fleet": "arn:aws:iam::aws:policy/service-role/AmazonEC2SpotFleetTaggingRole",
    }
    assert us_east.by_name("instance-profile").inputs["role"] == "llm-pretrain-us-east-1-instance"


def statements(plan: OfflinePlan) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(plan.by_name("task-role-checkpoints").inputs["policy"])["Statement"]}


def test_task_role_writes_only_the_prefix_and_may_list_its_own_bucket_whole(us_east: OfflinePlan) -> None:
    bucket = us_east.exports["checkpoint_bucket"]
    policy = statements(us_east)
    assert policy["ReadWriteCheckpoints"]["Resource"] == f"arn:aws:s3:::{bucket}/llm-pretrain/*"
    listing = policy["ListCheckpoints"]
    assert listing["Resource"] == f"arn:aws:s3:::{bucket}"
    assert set(listing["Action"]) == {"s3:ListBucket", "s3:ListBucketVersions"}
    # No prefix condition: only an unconditional s3:ListBucket turns a missing checkpoint into a
    # 404 (not a 403) and allows HeadBucket, so resume-if-exists works on the first run.
    assert "Condition" not in listing
    assert us_east.by_name("task-role-checkpoints").inputs["role"] == "llm-pretrain-us-east-1-task"


def test_an_existing_bucket_is_only_referenced_and_listed_under_the_prefix_only(eu_west: OfflinePlan) -> None:
    assert not [r for r in eu_west.resources if r.type.startswith("aws:s3/")]
    policy = statements(eu_west)
    assert policy["ReadWriteCheckpoints"]["Resource"] == "arn:aws:s3:::example-finetune-checkpoints/checkpoints/*"
    assert policy["ListCheckpoints"]["Condition"] == {"StringLike": {"s3:prefix": ["checkpoints/", "checkpoints/*"]}}
    assert eu_west.exports["checkpoint_uri"] == "s3://example-finetune-checkpoints/checkpoints/"


# --- logs and checkpoints -----------------------------------------------------------------------


def test_log_group_keeps_logs_as_long_as_the_spec_says(us_east: OfflinePlan) -> None:
    group = us_east.by_name("log-group").inputs
    assert group == {"name": "/ftcluster/llm-pretrain", "retentionInDays": 30}


def test_the_stack_owns_the_container_insights_log_group_and_the_cluster_waits_for_it(plan_for) -> None:
    plan = plan_for(merged(MINIMAL, {"name": "exp-7", "logs": {"retention_days": 14}}))
    group = plan.by_name("container-insights-log-group").inputs
    # The name Container Insights writes to; else ECS creates it untagged and destroy leaves it.
    assert group == {"name": "/aws/ecs/containerinsights/exp-7/performance", "retentionInDays": 14}
    cluster = plan.by_name("cluster")
    assert cluster.inputs["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert "container-insights-log-group" in cluster.dependencies


def test_checkpoint_bucket_and_its_settings_all_point_at_the_bucket(us_east: OfflinePlan) -> None:
    bucket = us_east.by_name("checkpoint-bucket")
    assert bucket.inputs["bucket"] == "llm-pretrain-ckpt-" + placeholder("account id") + "-us-east-1"
    settings = [r for r in us_east.resources if r.type.startswith("aws:s3/") and r is not bucket]
    assert len(settings) == 6 and all(r.inputs["bucket"] == ref("id", "checkpoint-bucket") for r in settings)
    (rule,) = us_east.by_name("checkpoint-bucket-lifecycle").inputs["rules"]
    assert rule["status"] == "Enabled" and rule["noncurrentVersionExpiration"] == {"noncurrentDays": 14}
    assert "checkpoint-bucket-versioning" in us_east.by_name("checkpoint-bucket-lifecycle").dependencies
    ownership = us_east.by_name("checkpoint-bucket-ownership").inputs["rule"]
    assert ownership == {"objectOwnership": "BucketOwnerEnforced"}
    (tls,) = json.loads(us_east.by_name("checkpoint-bucket-policy").inputs["policy"])["Statement"]
    assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# --- cluster, task definition, service ----------------------------------------------------------


def test_cluster_has_container_insights_and_both_fargate_providers(
    us_east: OfflinePlan, us_east_spot: OfflinePlan, eu_west: OfflinePlan
) -> None:
    cluster = us_east.by_name("cluster").inputs
    assert cluster == {"name": "llm-pretrain", "settings": [{"name": "containerInsights", "value": "enabled"}]}
    providers = us_east.by_name("cluster-capacity-providers").inputs
    assert providers["clusterName"] == "llm-pretrain"
    # the GPU group's provider too; the default strategy stays Fargate (ECS mixes no Fargate and group providers)
    assert providers["capacityProviders"] == ["FARGATE", "FARGATE_SPOT", "llm-pretrain-gpu"]
    assert {s["capacityProvider"] for s in providers["defaultCapacityProviderStrategies"]} == {
        "FARGATE",
        "FARGATE_SPOT",
    }
    for plan in (us_east_spot, eu_west):
        assert plan.by_name("cluster-capacity-providers").inputs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]


def test_training_task_definition_is_fargate_sized_by_the_spec(us_east: OfflinePlan) -> None:
    task = us_east.by_name("training-task").inputs
    assert task["requiresCompatibilities"] == ["FARGATE"] and task["networkMode"] == "awsvpc"
    assert (task["cpu"], task["memory"]) == ("4096", "16384")
    assert task["runtimePlatform"] == {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}
    assert task["executionRoleArn"] == ref("ARN", "execution-role")
    assert task["taskRoleArn"] == ref("ARN", "task-role")
    (container,) = containers(us_east, "training-task")
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert environment == {
        "CHECKPOINT_URI": us_east.exports["checkpoint_uri"],
        "EPOCHS": "40",
        "NCCL_DEBUG": "WARN",
    }
    assert container["command"] == ["python", "-m", "trainer", "--resume-from-checkpoint"]
    assert container["portMappings"] == [{"containerPort": 29500, "protocol": "tcp"}]
    assert container["stopTimeout"] == 120
    assert container["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/ftcluster/llm-pretrain",
            "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "training",
        },
    }


def test_service_runs_the_task_definition_in_the_cluster_over_every_private_subnet(us_east: OfflinePlan) -> None:
    service = us_east.by_name("training-service")
    inputs = service.inputs
    assert inputs["cluster"] == ref("ARN", "cluster")
    assert inputs["taskDefinition"] == ref("ARN", "training-task")
    assert inputs["desiredCount"] == 6
    assert inputs["networkConfiguration"] == {
        "assignPublicIp": False,
        "securityGroups": [ref("id", "tasks-security-group")],
        "subnets": [ref("id", f"private-subnet-{i}") for i in (1, 2, 3)],
    }
    assert inputs["capacityProviderStrategies"] == [
        {"base": 2, "capacityProvider": "FARGATE", "weight": 1},
        {"base": 0, "capacityProvider": "FARGATE_SPOT", "weight": 3},
    ]
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert inputs["propagateTags"] == "SERVICE" and inputs["enableEcsManagedTags"] is True
    # A job of `desired` ranks: never more tasks than that during a deployment, and ECS may stop
    # old tasks first so a deployment can proceed at all; no rebalancing that stops running ranks.
    assert (inputs["deploymentMaximumPercent"], inputs["deploymentMinimumHealthyPercent"]) == (100, 0)
    assert inputs["availabilityZoneRebalancing"] == "DISABLED"
    # Off unless the engine asks: the provider sends it on every UpdateService (restarting all tasks).
    assert inputs["forceNewDeployment"] is False
    assert "launchType" not in inputs  # conflicts with a capacity provider strategy
    assert "cluster-capacity-providers" in service.dependencies
    assert service.options["ignoreChanges"] == ["desiredCount"]


def test_a_new_deployment_is_forced_only_when_the_run_asks(plan_for) -> None:
    forced = plan_for(example(US_EAST), ProgramOptions(force_new_deployment=True)).by_name("training-service")
    assert forced.inputs["forceNewDeployment"] is True
    assert (
        "forceNewDeployment"
        not in plan_for(example(US_EAST), ProgramOptions(force_new_deployment=True)).by_name("workers-service").inputs
    )


def test_all_spot_strategy_keeps_fargate_at_weight_zero(eu_west: OfflinePlan) -> None:
    assert eu_west.by_name("training-service").inputs["capacityProviderStrategies"] == [
        {"base": 0, "capacityProvider": "FARGATE", "weight": 0},
        {"base": 0, "capacityProvider": "FARGATE_SPOT", "weight": 1},
    ]


# --- scaling -------------------------------------------------------------------------------------


def test_scaling_target_names_the_service_and_policies_track_cpu_and_memory(us_east: OfflinePlan) -> None:
    target = us_east.by_name("training-scaling").inputs
    assert target["resourceId"] == "service/llm-pretrain/llm-pretrain-training"
    assert (target["minCapacity"], target["maxCapacity"]) == (4, 12)
    assert target["scalableDimension"] == "ecs:service:DesiredCount" and target["serviceNamespace"] == "ecs"
    policies = {p.name: p for p in us_east.of_type("aws:appautoscaling/policy:Policy")}
    assert set(policies) == {"training-scaling-cpu", "training-scaling-memory"}
    cpu = policies["training-scaling-cpu"].inputs
    assert cpu["policyType"] == "TargetTrackingScaling" and cpu["resourceId"] == target["resourceId"]
    assert cpu["targetTrackingScalingPolicyConfiguration"] == {
        "predefinedMetricSpecification": {"predefinedMetricType": "ECSServiceAverageCPUUtilization"},
        "scaleInCooldown": 600,
        "scaleOutCooldown": 60,
        "targetValue": 70,
    }
    memory = policies["training-scaling-memory"].inputs["targetTrackingScalingPolicyConfiguration"]
    assert memory["predefinedMetricSpecification"]["predefinedMetricType"] == "ECSServiceAverageMemoryUtilization"
    assert all("training-scaling" in p.dependencies for p in policies.values())


def test_without_autoscaling_the_target_pins_the_count(eu_west: OfflinePlan) -> None:
    target = eu_west.by_name("training-scaling").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 2)
    assert not eu_west.of_type("aws:appautoscaling/policy:Policy")


# --- fleet (both types) and workers -------------------------------------------------------------


def test_launch_template_makes_instances_join_the_cluster(us_east: OfflinePlan, us_east_spot: OfflinePlan) -> None:
    template = us_east.by_name("fleet-launch-template")
    agent = {
        "ECS_CLUSTER": "llm-pretrain",
        "ECS_CONTAINER_STOP_TIMEOUT": "120s",
        "ECS_AWSVPC_BLOCK_IMDS": "true",
        "ECS_ENABLE_GPU_SUPPORT": "true",
    }
    # Spot notices drain an instance: through the agent for a Spot Fleet, through the capacity
    # provider's managed draining for a group (where the agent setting is redundant)
    assert user_data(us_east) == agent
    assert user_data(us_east_spot) == {**agent, "ECS_ENABLE_SPOT_INSTANCE_DRAINING": "true"}
    assert "cluster" in template.dependencies  # the cluster name comes from the cluster resource
    inputs = template.inputs
    assert inputs["imageId"] == placeholder(
        "AMI id from SSM /aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"
    )
    assert inputs["iamInstanceProfile"] == {"arn": ref("ARN", "instance-profile")}
    assert inputs["vpcSecurityGroupIds"] == [ref("id", "tasks-security-group")]
    # IMDSv2 only, one hop: the host and the ECS agent (host network) reach IMDS, containers do not.
    assert inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpPutResponseHopLimit": 1,
        "httpTokens": "required",
        "instanceMetadataTags": "disabled",
    }
    (disk,) = inputs["blockDeviceMappings"]
    assert disk["ebs"] == {"deleteOnTermination": "true", "encrypted": "true", "volumeSize": 200, "volumeType": "gp3"}
    tagged = {spec["resourceType"]: spec["tags"] for spec in inputs["tagSpecifications"]}
    assert set(tagged) == {"instance", "volume"}
    assert all(
        tags["ftcluster:cluster"] == "llm-pretrain" and tags["team"] == "ml-platform" for tags in tagged.values()
    )
    assert template.options["ignoreChanges"] == ["imageId"]


def test_fleet_covers_every_instance_type_in_every_private_subnet(us_east_spot: OfflinePlan) -> None:
    fleet = us_east_spot.by_name("spot-fleet").inputs
    (config,) = fleet["launchTemplateConfigs"]
    pairs = {(o["instanceType"], o["subnetId"]) for o in config["overrides"]}
    types = ["g5.xlarge", "g5.2xlarge", "g4dn.xlarge", "g4dn.2xlarge", "g6.xlarge"]
    assert pairs == {(t, ref("id", f"private-subnet-{i}")) for t in types for i in (1, 2, 3)}
    assert len(config["overrides"]) == 15
    assert config["launchTemplateSpecification"] == {
        "id": ref("id", "fleet-launch-template"),
        "version": placeholder("launch template version"),  # the template's latest_version
    }
    assert fleet["iamFleetRole"] == ref("ARN", "spot-fleet-role")
    assert fleet["fleetType"] == "maintain" and fleet["allocationStrategy"] == "priceCapacityOptimized"
    assert (fleet["targetCapacity"], fleet["onDemandTargetCapacity"]) == (4, 1)
    assert fleet["replaceUnhealthyInstances"] is True
    assert fleet["terminateInstancesOnDelete"] == "true"
    # Capacity rebalancing `launch` never terminates the at-risk instance: GPU instances pile up.
    assert "spotMaintenanceStrategies" not in fleet
    assert "spotPrice" not in fleet and all("spotPrice" not in o for o in config["overrides"])


def test_a_price_cap_is_set_only_when_the_spec_asks(plan_for, us_east: OfflinePlan) -> None:
    data = merged(example(US_EAST), {"fleet": {"max_price": 0.75}})
    assert plan_for(as_spot_fleet(data)).by_name("spot-fleet").inputs["spotPrice"] == "0.75"
    distribution = plan_for(data).by_name("gpu-instances").inputs["mixedInstancesPolicy"]["instancesDistribution"]
    assert distribution["spotMaxPrice"] == "0.75"
    assert (
        "spotMaxPrice" not in us_east.by_name("gpu-instances").inputs["mixedInstancesPolicy"]["instancesDistribution"]
    )


def test_ami_follows_architecture_and_gpu(plan_for) -> None:
    arm = merged(MINIMAL, {"fleet": {"max_instances": 2, "instance_types": ["c7g.xlarge", "m7g.xlarge"]}})
    x86 = merged(MINIMAL, {"fleet": {"max_instances": 2, "instance_types": ["c6i.xlarge"]}})
    image = lambda data: plan_for(data).by_name("fleet-launch-template").inputs["imageId"]  # noqa: E731
    assert "/amazon-linux-2023/arm64/recommended/image_id" in image(arm)
    assert "/amazon-linux-2023/recommended/image_id" in image(x86)
    assert "ECS_ENABLE_GPU_SUPPORT" not in user_data(plan_for(x86))


def test_workers_run_on_the_fleet_with_gpus_spread_over_azs(us_east: OfflinePlan, us_east_spot: OfflinePlan) -> None:
    task = us_east.by_name("workers-task").inputs
    assert task["requiresCompatibilities"] == ["EC2"] and task["networkMode"] == "awsvpc"
    (container,) = containers(us_east, "workers-task")
    assert container["resourceRequirements"] == [{"type": "GPU", "value": "1"}]
    assert container["memory"] == 14336
    # /dev/shm for NCCL and DataLoader workers: half the task's memory unless the spec says.
    assert container["linuxParameters"] == {"sharedMemorySize": 7168}
    assert "linuxParameters" not in containers(us_east, "training-task")[0]  # Fargate rejects it
    assert container["image"] == containers(us_east, "training-task")[0]["image"]  # defaults to training
    for plan in (us_east, us_east_spot):
        service = plan.by_name("workers-service")
        assert service.inputs["desiredCount"] == 4 and plan.exports["workers_desired"] == 4
        assert service.inputs["taskDefinition"] == ref("ARN", "workers-task")
        assert service.inputs["cluster"] == ref("ARN", "cluster")
        assert service.inputs["orderedPlacementStrategies"] == [
            {"field": "attribute:ecs.availability-zone", "type": "spread"},
            {"field": "instanceId", "type": "spread"},
        ]
        # never a second set of ranks (and of GPU instances) during a deployment
        assert (service.inputs["deploymentMaximumPercent"], service.inputs["deploymentMinimumHealthyPercent"]) == (
            100,
            0,
        )
        # a change of fleet type replaces the service, and ECS takes no second service of that name
        assert service.options["deleteBeforeReplace"] is True
    # through the group's capacity provider, so the task count drives the instances
    group_workers = us_east.by_name("workers-service")
    assert group_workers.inputs["capacityProviderStrategies"] == [
        {"base": 0, "capacityProvider": "llm-pretrain-gpu", "weight": 1}
    ]
    assert "launchType" not in group_workers.inputs  # it conflicts with a strategy
    assert "cluster-capacity-providers" in group_workers.dependencies  # the provider is attached first
    spot_workers = us_east_spot.by_name("workers-service")
    assert spot_workers.inputs["launchType"] == "EC2" and "capacityProviderStrategies" not in spot_workers.inputs
    assert "spot-fleet" in spot_workers.dependencies  # removed before the instances go


def test_shared_memory_follows_the_spec(plan_for) -> None:
    data = merged(example(US_EAST), {"fleet": {"workers": {"shared_memory_mib": 12288}}})
    (container,) = containers(plan_for(data), "workers-task")
    assert container["linuxParameters"] == {"sharedMemorySize": 12288}


def test_a_disabled_fleet_deploys_no_fleet_resources(plan_for) -> None:
    plan = plan_for(merged(example(US_EAST), {"fleet": {"enabled": False}}))
    names = {r.name for r in plan.resources}
    gone = {
        "fleet-launch-template",
        "spot-fleet",
        "workers-task",
        "workers-service",
        "instance-role",
        "spot-fleet-role",
        "gpu-instances",
        "gpu-capacity-provider",
    }
    assert not names & gone
    assert plan.exports["spot_fleet_request_id"] is None and plan.exports["fleet_target_capacity"] is None
    assert plan.exports["fleet_type"] is None and plan.exports["workers_desired"] is None
    assert plan.by_name("cluster-capacity-providers").inputs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]


# --- exports -------------------------------------------------------------------------------------


def test_every_contract_export_is_present(
    us_east: OfflinePlan, eu_west: OfflinePlan, us_east_spot: OfflinePlan, us_west: OfflinePlan
) -> None:
    from ftcluster.program.exports import EXPORT_NAMES

    for plan in (us_east, eu_west, us_east_spot, us_west):
        assert tuple(plan.exports) == EXPORT_NAMES
    assert us_east.exports["service_name"] == "llm-pretrain-training"
    assert us_east.exports["workers_service_name"] == "llm-pretrain-fleet-workers"
    assert (us_east.exports["autoscaling_min"], us_east.exports["autoscaling_max"]) == (4, 12)
    assert (us_east.exports["desired_tasks"], us_east.exports["fleet_target_capacity"]) == (6, 4)
    assert us_east.exports["log_group"] == "/ftcluster/llm-pretrain"
    group = {
        key: us_east.exports[key]
        for key in (
            "fleet_type",
            "auto_scaling_group_name",
            "capacity_provider_name",
            "spot_fleet_request_id",
            "workers_desired",
        )
    }
    assert group == {
        "fleet_type": "auto_scaling_group",
        "auto_scaling_group_name": "llm-pretrain-gpu",
        "capacity_provider_name": "llm-pretrain-gpu",
        "spot_fleet_request_id": None,
        "workers_desired": 4,
    }
    spot = {
        key: us_east_spot.exports[key] for key in ("fleet_type", "auto_scaling_group_name", "capacity_provider_name")
    }
    assert spot == {"fleet_type": "spot_fleet", "auto_scaling_group_name": None, "capacity_provider_name": None}
    assert us_east_spot.exports["spot_fleet_request_id"] == ref("id", "spot-fleet")
    assert us_east.exports["rendezvous_endpoint"] is None and us_east.exports["distributed_min_nodes"] is None
    elastic = {
        key: us_west.exports[key]
        for key in ("rendezvous_service_name", "rendezvous_endpoint", "distributed_min_nodes", "workers_desired")
    }
    assert elastic == {
        "rendezvous_service_name": "elastic-llm-rendezvous",
        "rendezvous_endpoint": "rendezvous.elastic-llm.ftcluster:29400",
        "distributed_min_nodes": 2,
        "workers_desired": 4,
    }
    assert eu_west.exports["workers_service_name"] is None and eu_west.exports["autoscaling_min"] is None
    assert eu_west.exports["fleet_type"] is None and eu_west.exports["workers_desired"] is None


def test_a_lower_fleet_target_terminates_nothing_by_itself(us_east_spot: OfflinePlan) -> None:
    # `scale` drains and terminates the instances it chose (engine/drain.py); the fleet must not pick its own
    (fleet,) = us_east_spot.of_type("aws:ec2/spotFleetRequest:SpotFleetRequest")
    assert fleet.inputs["excessCapacityTerminationPolicy"] == "NoTermination"
