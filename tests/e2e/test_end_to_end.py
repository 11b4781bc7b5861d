"""One machine, end to end: `up` (with its rollout wait) -> `status` -> `scale` -> `drill` -> `events` ->
`destroy` -> the leftover check, through the Typer app, against AWS state the program itself produced.

The stand-in `pulumi` carries out every step of the real program in moto_server (the spec's endpoint_url
reaches the program's AWS provider as its `endpoints`), so the live views read what the program made,
with the emulator's own ids. No AWS_ENDPOINT_URL is set: every AWS call of ftcluster and of the provider
must find the emulator through the spec. The Auto Scaling group cluster is deployed once for the module
and walked through its life in file order (each test still asserts on its own); the Spot Fleet variant
is one test at the end.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from engine_helpers import Stand, make_stand

REGION = "eu-west-1"
SPEC = """\
name: {name}
region: eu-west-1
endpoint_url: {endpoint}
network:
  availability_zones: 2
  nat: single
training:
  image: ghcr.io/example/trainer:1.0
  tasks: 2
fleet:
  type: {fleet_type}
  {count_key}: 3
  instance_types: [g5.xlarge]
  gpu: true
  workers:
    tasks: 2
    gpus: 1
    memory: 14336
"""
# the Auto Scaling group cluster runs its workers as an elastic job (Cloud Map, rendezvous service); the
# Spot Fleet one has plain workers and target-tracking auto scaling (the spec allows one or the other)
ELASTIC = """\
    distributed:
      min_nodes: 1
      max_nodes: 3
"""
AUTOSCALING = """\
autoscaling:
  min_tasks: 1
  max_tasks: 4
  target_memory_percent: 80
"""


COUNT_KEY = {"auto_scaling_group": "max_instances", "spot_fleet": "instances"}  # a group's is its maximum


def e2e_stand(root: Path) -> Stand:
    """A machine whose only way to AWS is the spec's endpoint_url: credentials, but no AWS_ENDPOINT_URL."""
    stand = make_stand(root, None, emulate_aws=True)
    stand.env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_MAX_ATTEMPTS="2",  # moto answers APIs it lacks (DescribeScalingActivities) with retried 500s
        AWS_ENDPOINT_URL=None,
    )
    return stand


def write_spec(root: Path, name: str, fleet_type: str, endpoint: str, extra: str) -> Path:
    path = root / f"{name}.yaml"
    path.write_text(
        SPEC.format(name=name, fleet_type=fleet_type, endpoint=endpoint, count_key=COUNT_KEY[fleet_type]) + extra
    )  # SPEC ends in workers
    return path


def clients(endpoint: str) -> Any:
    def client(service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return client


def json_of(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory, moto_running_tasks: str) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("e2e")
    stand = e2e_stand(root)
    spec = write_spec(root, "e2e", "auto_scaling_group", moto_running_tasks, ELASTIC)
    up = stand.run("up", str(spec), "--yes", "--json")  # preflight and the rollout wait included
    yield {"stand": stand, "spec": spec, "up": up, "aws": clients(moto_running_tasks)}
    assert not stand.state.unsupported()


def test_up_waits_for_the_rollout_of_what_the_program_created_in_aws(journey: dict[str, Any]) -> None:
    outputs = json_of(journey["up"])["outputs"]
    aws = journey["aws"]
    # the outputs are the emulator's own ids, so the live views find the resources by them
    vpc = aws("ec2").describe_vpcs(VpcIds=[outputs["vpc_id"]])["Vpcs"][0]
    assert {"Key": "ftcluster:cluster", "Value": "e2e"} in vpc["Tags"]  # the provider's default tags
    subnets = aws("ec2").describe_subnets(SubnetIds=outputs["subnet_ids"])["Subnets"]
    assert {s["AvailabilityZone"] for s in subnets} == {"eu-west-1a", "eu-west-1b"}
    names = [outputs["service_name"], outputs["workers_service_name"], outputs["rendezvous_service_name"]]
    services = {
        s["serviceName"]: s
        for s in aws("ecs").describe_services(cluster=outputs["cluster_name"], services=names)["services"]
    }
    assert {n: services[n]["desiredCount"] for n in names} == {
        "e2e-training": 2,
        "e2e-fleet-workers": 2,
        "e2e-rendezvous": 1,
    }
    training = services["e2e-training"]
    assert training["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == outputs["subnet_ids"]
    assert training["deployments"][0]["rolloutState"] == "COMPLETED"  # what `up` waited for
    workers = services["e2e-fleet-workers"]
    discovery = {s["Name"]: s["Arn"] for s in aws("servicediscovery").list_services()["Services"]}
    assert workers["serviceRegistries"] == [{"registryArn": discovery["workers"]}]  # the workers' A records
    definition = aws("ecs").describe_task_definition(taskDefinition=workers["taskDefinition"])["taskDefinition"]
    environment = {e["name"]: e["value"] for e in definition["containerDefinitions"][0]["environment"]}
    assert environment["PET_RDZV_ENDPOINT"] == outputs["rendezvous_endpoint"] == "rendezvous.e2e.ftcluster:29400"
    cluster = aws("ecs").describe_clusters(clusters=["e2e"])["clusters"][0]
    assert set(cluster["capacityProviders"]) == {"FARGATE", "FARGATE_SPOT", "e2e-gpu"}
    group = aws("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=["e2e-gpu"])["AutoScalingGroups"][0]
    assert (group["MinSize"], group["MaxSize"]) == (0, 3)
    template = group["MixedInstancesPolicy"]["LaunchTemplate"]
    assert [o["InstanceType"] for o in template["Overrides"]] == ["g5.xlarge"]
    bucket = outputs["checkpoint_bucket"]
    assert aws("s3").get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert all(aws("s3").get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    roles = {r["RoleName"] for r in aws("iam").list_roles(PathPrefix="/ftcluster/")["Roles"]}
    assert roles == {
        f"e2e-{REGION}-{role}" for role in ("execution", "task", "instance", "completion-steps", "completion-events")
    }
    # a finished job stays finished: EventBridge starts the state machine, which records it in SSM
    rule = aws("events").list_targets_by_rule(Rule="e2e-job-completed")["Targets"][0]
    machine = aws("stepfunctions").describe_state_machine(stateMachineArn=rule["Arn"])
    assert machine["roleArn"].endswith(f"/ftcluster/e2e-{REGION}-completion-steps")


def test_status_reads_the_cluster_as_healthy(journey: dict[str, Any]) -> None:
    status = json_of(journey["stand"].run("status", "--json"))
    assert status["verdict"]["state"] == "HEALTHY", status["verdict"]
    assert status["capacity_provider"]["status"] == "ACTIVE"
    assert status["rendezvous"]["running"] >= 1 and status["workers"]["desired"] == 2


def test_the_leftover_check_finds_every_kind_the_program_made(journey: dict[str, Any]) -> None:
    """`destroy --verify-only` before the destroy: each kind of the live cluster is found, by tag or name."""
    result = journey["stand"].run("destroy", str(journey["spec"]), "--verify-only", "--json")
    assert result.exit_code == 1, result.output  # the cluster is all there: not clean
    report = json.loads(result.stdout)
    kinds = {item["kind"] for item in report["items"]}
    assert {
        "autoscaling auto-scaling-group",
        "ecs capacity-provider",
        "ecs cluster",
        "ecs service",
        "ecs task-definition",
        "iam role",
        "iam instance-profile",
        "logs log-group",
        "servicediscovery namespace",
        "servicediscovery service",
        "events rule",
        "states stateMachine",
        "ssm parameter",
        "ec2 vpc",
        "ec2 natgateway",
        "s3 bucket",
    } <= kinds
    by_id = {item["id"]: item for item in report["items"]}
    nat = next(item for item in report["items"] if item["kind"] == "ec2 natgateway")
    nat_interface = journey["aws"]("ec2").describe_nat_gateways(NatGatewayIds=[nat["id"]])["NatGateways"][0]
    interface = by_id[nat_interface["NatGatewayAddresses"][0]["NetworkInterfaceId"]]
    assert interface["note"] == f"the network interface of NAT gateway {nat['id']}: it goes with the NAT gateway"


def test_scale_changes_reach_aws(journey: dict[str, Any]) -> None:
    stand, aws = journey["stand"], journey["aws"]
    result = stand.run("scale", "--tasks", "3", "--workers", "3", "--yes")  # the active cluster: no SPEC
    assert result.exit_code == 0, result.output
    target = aws("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=["service/e2e/e2e-training"]
    )["ScalableTargets"][0]
    # Application Auto Scaling owns the count: pinned at it (no autoscaling section here)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (3, 3)
    workers = aws("ecs").describe_services(cluster="e2e", services=["e2e-fleet-workers"])["services"][0]
    assert (workers["desiredCount"], workers["runningCount"]) == (3, 3)
    assert json_of(stand.run("status", "--json"))["verdict"]["state"] == "HEALTHY"


def test_a_drill_stops_a_task_watches_it_recover_and_the_ledger_accounts_for_it(journey: dict[str, Any]) -> None:
    stand, aws = journey["stand"], journey["aws"]
    outputs = json_of(journey["up"])["outputs"]
    ecs, s3 = aws("ecs"), aws("s3")
    cluster, service = outputs["cluster_name"], outputs["service_name"]
    bucket, prefix = outputs["checkpoint_uri"].removeprefix("s3://").split("/", 1)

    (described,) = ecs.describe_services(cluster=cluster, services=[service])["services"]
    # moto's RunTask sums the containers' own memory, which a Fargate task definition leaves to the task: a
    # copy with it set stands for the service's definition (the drill tells tasks apart by their group)
    definition = ecs.describe_task_definition(taskDefinition=described["taskDefinition"])["taskDefinition"]
    containers = [{**c, "memory": int(definition["memory"])} for c in definition["containerDefinitions"]]
    runnable = ecs.register_task_definition(family="e2e-moto-run-task", containerDefinitions=containers)

    def ecs_starts_a_task() -> str:
        """ECS's part, which moto leaves out (it reports a running count, no tasks): a task of the service."""
        (task,) = ecs.run_task(
            cluster=cluster,
            taskDefinition=runnable["taskDefinition"]["taskDefinitionArn"],
            group=f"service:{service}",
            startedBy="ecs-svc/1",
            capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT"}],
            networkConfiguration=described["networkConfiguration"],
        )["tasks"]
        return str(task["taskArn"])

    # The program's bucket policy denies requests without TLS (aws:SecureTransport false). moto does not know
    # that key (moto/iam/access_control.py _check_conditions: incoming values carry sts:ExternalId only), so
    # it denies every request, TLS or not; the trainer's and ftcluster's reads go over TLS on AWS. The
    # policy is set aside while the trainer writes and ftcluster reads checkpoints, and put back after.
    policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=bucket)
    try:
        drill_and_events(stand, ecs, s3, ecs_starts_a_task, bucket, prefix)
    finally:
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)
        ecs.deregister_task_definition(taskDefinition=runnable["taskDefinition"]["taskDefinitionArn"])


def drill_and_events(stand: Stand, ecs: Any, s3: Any, ecs_starts_a_task: Any, bucket: str, prefix: str) -> None:
    cluster = json_of(stand.run("outputs", "--json"))["outputs"]["cluster_name"]
    target = ecs_starts_a_task()
    ecs_starts_a_task()
    s3.put_object(Bucket=bucket, Key=f"{prefix}step-000000000100.pt", Body=b"weights")  # before the fault
    drilled: dict[str, Any] = {}
    task_id = target.rsplit("/", 1)[-1]
    args = ("drill", "--fault", "stop-task", "--target", task_id, "--yes", "--json", "--timeout", "3")
    thread = threading.Thread(target=lambda: drilled.update(result=stand.run(*args)), daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while ecs.describe_tasks(cluster=cluster, tasks=[target])["tasks"][0]["lastStatus"] != "STOPPED":
        assert thread.is_alive() and time.monotonic() < deadline, drilled
        time.sleep(0.1)
    # the drill's StopTask names the drill, as a reclaim names Spot
    stopped = ecs.describe_tasks(cluster=cluster, tasks=[target])["tasks"][0]
    assert stopped["stoppedReason"].startswith("ftcluster drill"), (stopped, thread.join(60), drilled["result"].output)
    ecs_starts_a_task()  # the scheduler's replacement
    time.sleep(1.1)  # S3 keeps whole seconds: the restarted trainer's checkpoint is newer than the stop
    s3.put_object(Bucket=bucket, Key=f"{prefix}step-000000000110.pt", Body=b"weights")
    thread.join(240)
    report = json_of(drilled["result"])
    assert report["recovered"] is True and report["missing"] == [], report
    assert report["plan"]["target"]["id"] == task_id
    # each step was seen after the fault (detection and the replacement by the drill's polls, the resume by
    # the checkpoint's S3 time: no order between them is promised)
    steps = ("detection", "replacement_running", "desired_count", "training_resumed")
    assert all(report[f"time_to_{step}_seconds"] >= 0 for step in steps), report
    assert report["work_lost_seconds"] > 0 and report["cost"] is not None  # priced at the cluster's own rates

    # `events` reads what the program's rules delivered to the event log group: the drill, as one interruption
    ledger = json_of(stand.run("events", "--since", "1h", "--json"))
    kinds = [e["kind"] for e in ledger["events"] if e.get("drill_id") == report["drill_id"]]
    assert kinds[0] == "drill_started" and kinds[-1] == "drill_finished", ledger["events"]
    (interruption,) = [i for i in ledger["interruptions"] if i["drill_id"] == report["drill_id"]]
    assert interruption["cause"] == "drill" and interruption["subject"] == task_id
    assert ledger["summary"]["interruptions"] >= 1


def test_destroy_deletes_everything_but_the_checkpoints_and_the_check_agrees(journey: dict[str, Any]) -> None:
    stand, aws = journey["stand"], journey["aws"]
    destroyed = json_of(stand.run("destroy", "--yes", "--json"))  # the active cluster: no SPEC
    report = destroyed["leftovers"]
    assert destroyed["kept_bucket"] == report["items"][0]["id"]
    assert report["clean"] is True and report["unexpected"] == 0, report["items"]
    assert [(i["kind"], i["expected"]) for i in report["items"]] == [("s3 bucket", True)]
    # ... and AWS agrees: what the check did not find is really gone
    assert not [v for v in aws("ec2").describe_vpcs()["Vpcs"] if not v["IsDefault"]]
    assert aws("iam").list_roles(PathPrefix="/ftcluster/")["Roles"] == []
    assert aws("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"] == []
    assert aws("ecs").describe_clusters(clusters=["e2e"])["clusters"][0]["status"] == "INACTIVE"
    assert aws("ecs").list_task_definitions(status="ACTIVE")["taskDefinitionArns"] == []
    assert aws("servicediscovery").list_namespaces()["Namespaces"] == []
    assert aws("logs").describe_log_groups(logGroupNamePrefix="/ftcluster/e2e")["logGroups"] == []
    assert aws("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
    bucket = report["items"][0]["id"]
    assert aws("s3").get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"  # kept with its settings


def test_a_spot_fleet_cluster_end_to_end(tmp_path: Path, moto_running_tasks: str) -> None:
    stand = e2e_stand(tmp_path)
    spec = write_spec(tmp_path, "e2esf", "spot_fleet", moto_running_tasks, AUTOSCALING)
    aws = clients(moto_running_tasks)
    # the preflight ran in the journey above; here only what differs: the fleet, its instances, their end
    outputs = json_of(stand.run("up", str(spec), "--yes", "--skip-preflight", "--json"))["outputs"]
    request_id = outputs["spot_fleet_request_id"]
    fleet = aws("ec2").describe_spot_fleet_requests(SpotFleetRequestIds=[request_id])["SpotFleetRequestConfigs"][0]
    config = fleet["SpotFleetRequestConfig"]
    assert (config["TargetCapacity"], config["IamFleetRole"]) == (
        3,
        f"arn:aws:iam::123456789012:role/ftcluster/e2esf-{REGION}-spot-fleet",
    )
    policies = aws("application-autoscaling").describe_scaling_policies(
        ServiceNamespace="ecs", ResourceId="service/e2esf/e2esf-training"
    )["ScalingPolicies"]
    metrics = {
        p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"]
        for p in policies
    }
    assert metrics == {"ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization"}
    status = json_of(stand.run("status", "--json"))
    assert status["verdict"]["state"] == "HEALTHY", status["verdict"]
    assert (status["fleet"]["target"], len(status["fleet"]["instances"])) == (3, 3)
    assert (status["scaling"]["min"], status["scaling"]["max"]) == (1, 4)
    report = json_of(stand.run("destroy", "--yes", "--json"))["leftovers"]
    assert report["clean"] is True, report["items"]
    instances = [i for r in aws("ec2").describe_instances()["Reservations"] for i in r["Instances"]]
    assert instances and {i["State"]["Name"] for i in instances} == {"terminated"}
    assert not stand.state.unsupported()
