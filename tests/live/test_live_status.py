"""`status_report` against moto server: what is gathered from real AWS APIs and the verdicts on it."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from live_seed import Seeder, group_cluster, healthy_cluster
from rich.console import Console

from ftcluster.cli.live_view import render_status
from ftcluster.errors import FtclusterError
from ftcluster.live.status import status_report


def rendered(report: object) -> str:
    out = io.StringIO()
    Console(file=out, width=160, color_system=None).print(render_status(report))  # type: ignore[arg-type]
    return out.getvalue()


def test_healthy_cluster(live_aws: str) -> None:
    seeder = healthy_cluster()
    report = status_report(seeder.outputs())
    status = report.status
    assert report.verdict.state == "HEALTHY"
    assert report.verdict.reasons == []
    assert status.expected_azs == ["us-east-1a", "us-east-1b", "us-east-1c"]
    # moto reports no availabilityZone on tasks: the AZ comes from the subnet of the task's ENI
    assert status.running_by_az("demo-train") == {"us-east-1a": 1, "us-east-1b": 1, "us-east-1c": 1}
    assert status.running_by_capacity_provider("demo-train") == {"FARGATE": 1, "FARGATE_SPOT": 2}
    assert (status.training.desired, status.training.running) == (3, 3)
    text = rendered(report)
    assert "HEALTHY" in text and "demo · us-east-1" in text
    assert "Running tasks by AZ and capacity provider" in text


def test_one_az_lost(live_aws: str) -> None:
    seeder = Seeder().network().cluster().service(desired=4)
    seeder.tasks("us-east-1a", count=2, provider="FARGATE")
    seeder.tasks("us-east-1b", count=2, provider="FARGATE_SPOT")
    report = status_report(seeder.outputs())
    assert report.verdict.state == "DEGRADED"
    assert report.verdict.reasons == ["no training task running in us-east-1c although the cluster spans 3 AZs"]
    assert report.status.running_by_az("demo-train")["us-east-1c"] == 0
    assert "no training task running in us-east-1c" in rendered(report)


def test_all_tasks_in_one_az(live_aws: str) -> None:
    seeder = Seeder().network().cluster().service(desired=2)
    seeder.tasks("us-east-1b", count=2)
    report = status_report(seeder.outputs())
    assert report.verdict.reasons == ["all 2 running training tasks are in one AZ (us-east-1b)"]


def test_fleet_under_fulfilled(live_aws: str) -> None:
    seeder = healthy_cluster()
    instances = seeder.fleet(3)
    seeder.join(instances)
    # an interrupted instance: EC2 ends it and the fleet's fulfilled capacity drops with it
    seeder.ec2.terminate_instances(InstanceIds=instances[:1])
    report = status_report(seeder.outputs())
    fleet = report.status.fleet
    assert fleet is not None and (fleet.target, fleet.fulfilled, fleet.running_instances) == (3, 2.0, 2)
    assert sorted(i.availability_zone for i in fleet.instances if i.state == "running") == ["us-east-1b", "us-east-1c"]
    assert report.verdict.state == "DEGRADED"
    assert report.verdict.reasons == ["Spot Fleet fulfilled 2 of 3"]
    text = rendered(report)
    assert "target 3 · fulfilled 2 · instances running 2" in text
    assert "container instances registered 3" in text


def test_fleet_instances_that_never_joined(live_aws: str) -> None:
    seeder = healthy_cluster()
    instances = seeder.fleet(2)
    seeder.join(instances[:1])
    later = datetime.now(timezone.utc) + timedelta(minutes=10)  # past the time an instance gets to boot
    report = status_report(seeder.outputs(), now=later)
    assert report.verdict.reasons == [f"1 running fleet instance(s) have not joined the ECS cluster: {instances[1]}"]


def test_no_running_task_is_down(live_aws: str) -> None:
    seeder = Seeder().network().cluster().service(desired=3, settle=False)  # moto: running 0, pending 3
    report = status_report(seeder.outputs())
    assert report.verdict.state == "DOWN"
    assert "no training task is running (0 of 3)" in report.verdict.reasons
    assert "DOWN" in rendered(report)


def test_missing_training_service_is_down(live_aws: str) -> None:
    seeder = Seeder().network().cluster()
    report = status_report(seeder.outputs())
    assert report.status.training.status == "MISSING"
    assert report.verdict.reasons == ["training service demo-train is missing"]


def test_no_such_cluster(live_aws: str) -> None:
    outputs = Seeder().outputs()  # nothing created
    with pytest.raises(FtclusterError, match="no ECS cluster named demo in us-east-1") as caught:
        status_report(outputs)
    assert "destroy --verify-only" in (caught.value.hint or "")


def test_deleted_cluster_counts_as_missing(live_aws: str) -> None:
    seeder = Seeder().network().cluster()
    seeder.ecs.delete_cluster(cluster="demo")
    with pytest.raises(FtclusterError, match="no ECS cluster named demo"):
        status_report(seeder.outputs())


def test_outputs_without_a_cluster_are_refused(live_aws: str) -> None:
    with pytest.raises(FtclusterError, match="no cluster_name/region outputs"):
        status_report({"region": "us-east-1", "cluster_name": None})


def test_spot_interruptions_and_failures_are_told_apart(live_aws: str) -> None:
    seeder = healthy_cluster()
    spot = seeder.tasks("us-east-1b", provider="FARGATE_SPOT")[0]
    seeder.stop(spot, "Your Spot Task was interrupted.")
    other = seeder.tasks("us-east-1a")[0]
    seeder.stop(other, "Scaling activity initiated by deployment")
    report = status_report(seeder.outputs())
    assert [t.id for t in report.status.spot_interruptions()] == [spot.rsplit("/", 1)[-1]]
    assert len(report.status.stopped_tasks()) == 2
    assert report.verdict.state == "HEALTHY"  # ECS replaces interrupted tasks; worth a note only
    text = rendered(report)
    assert "Stopped recently: 2 (Spot interruptions: 1)" in text


def test_auto_scaling_is_read(live_aws: str) -> None:
    seeder = healthy_cluster().autoscale(2, 6)
    report = status_report(seeder.outputs())
    scaling = report.status.scaling
    assert scaling is not None and (scaling.registered, scaling.min, scaling.max) == (True, 2, 6)
    # moto has no DescribeScalingActivities: the section says so instead of failing the status
    assert any("auto scaling activities not shown" in note for note in report.status.notes)
    assert "Auto scaling: min 2 · max 6 · current 3" in rendered(report)


def test_auto_scaling_target_missing(live_aws: str) -> None:
    seeder = healthy_cluster().autoscale(2, 6, register=False)
    assert status_report(seeder.outputs()).verdict.reasons == [
        "no auto scaling target is registered for service/demo/demo-train"
    ]


def test_fleet_workers_service_on_container_instances(live_aws: str) -> None:
    seeder = healthy_cluster()
    instances = seeder.fleet(2)
    seeder.join(instances)
    seeder.workers = "demo-workers"
    seeder.service("demo-workers", desired=2)
    seeder.tasks("us-east-1a", service="demo-workers", provider="FARGATE")
    seeder.tasks("us-east-1b", service="demo-workers", provider="FARGATE")
    report = status_report(seeder.outputs())
    assert report.status.workers is not None and report.status.workers.running == 2
    assert report.status.running_by_az("demo-workers") == {"us-east-1a": 1, "us-east-1b": 1, "us-east-1c": 0}
    assert report.verdict.state == "HEALTHY"
    assert "Fleet workers demo-workers" in rendered(report)


def test_json_carries_the_verdict_and_the_per_task_data(live_aws: str) -> None:
    seeder = Seeder().network().cluster().service(desired=4)
    seeder.tasks("us-east-1a", count=2)
    seeder.tasks("us-east-1b", count=2, provider="FARGATE_SPOT")
    data = json.loads(json.dumps(status_report(seeder.outputs()).to_dict()))
    assert data["verdict"]["state"] == "DEGRADED"
    assert data["verdict"]["findings"][0] == {
        "level": "degraded",
        "message": "no training task running in us-east-1c although the cluster spans 3 AZs",
    }
    assert data["summary"]["training_running_by_az"] == {"us-east-1a": 2, "us-east-1b": 2, "us-east-1c": 0}
    assert data["summary"]["training_running_by_capacity_provider"] == {"FARGATE": 2, "FARGATE_SPOT": 2}
    assert {t["capacity_provider"] for t in data["tasks"]} == {"FARGATE", "FARGATE_SPOT"}
    assert data["training"]["deployments"][0]["created_at"].endswith("+00:00")  # ISO 8601
    assert data["stack"]["cluster_name"] == "demo"


def test_spec_endpoint_url_wins_over_the_environment(live_aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seeder = healthy_cluster()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    report = status_report(seeder.outputs(), endpoint_url=live_aws)
    assert report.verdict.state == "HEALTHY"
    assert boto3.client("ecs", region_name="us-east-1").meta.endpoint_url == "http://127.0.0.1:9"


# --- an Auto Scaling group fleet with an elastic job ------------------------------------------------


def test_auto_scaling_group_cluster_with_an_elastic_job(live_aws: str) -> None:
    seeder, _ids = group_cluster()
    report = status_report(seeder.outputs())
    status = report.status
    assert report.verdict.state == "HEALTHY", report.verdict.reasons
    group = status.group
    assert group is not None and (group.desired, group.min, group.max, group.in_service) == (3, 0, 4, 3)
    assert (group.on_demand_base, group.spot_allocation_strategy) == (1, "price-capacity-optimized")
    # Spot or on-demand comes from EC2 (InstanceLifecycle), type and AZ from the group
    assert sorted((i.instance_type, i.availability_zone, i.lifecycle) for i in group.instances) == [
        ("g4dn.xlarge", "us-east-1b", "spot"),
        ("g5.xlarge", "us-east-1a", "on-demand"),
        ("g5.xlarge", "us-east-1c", "spot"),
    ]
    assert all(i.protected_from_scale_in for i in group.instances)
    provider = status.capacity_provider
    assert provider is not None and (provider.status, provider.managed_scaling, provider.target_capacity) == (
        "ACTIVE",
        "ENABLED",
        100,
    )
    assert (provider.managed_termination_protection, provider.managed_draining) == ("ENABLED", "ENABLED")
    assert status.rendezvous is not None and status.rendezvous.running == 1
    assert status.running_by_capacity_provider("demo-fleet-workers") == {"demo-gpu": 3}
    text = rendered(report)
    assert "Auto Scaling group demo-gpu: desired 3 · min 0 · max 4 · in service 3" in text
    assert "Capacity provider demo-gpu: ACTIVE · managed scaling ENABLED (target 100%)" in text
    assert (
        "Elastic job: 3 worker(s) running (min 2, desired 3) · rendezvous demo-rendezvous 1/1 running at "
        "rendezvous.demo.ftcluster:29400"
    ) in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["summary"]["group_instances_in_service"] == 3 and data["fleet_type"] == "auto_scaling_group"
    assert {i["lifecycle"] for i in data["group"]["instances"]} == {"spot", "on-demand"}
    assert data["capacity_provider"]["managed_draining"] == "ENABLED"


def test_an_unhealthy_group_instance_degrades_and_a_stray_one_is_named(live_aws: str) -> None:
    seeder, ids = group_cluster()
    seeder.asg.set_instance_health(InstanceId=ids[1], HealthStatus="Unhealthy")
    extra = seeder.ec2.run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="g5.xlarge", SubnetId=seeder.subnets["us-east-1a"]
    )["Instances"][0]["InstanceId"]
    seeder.asg.attach_instances(AutoScalingGroupName="demo-gpu", InstanceIds=[extra])  # never registers with ECS
    later = datetime.now(timezone.utc) + timedelta(minutes=10)
    report = status_report(seeder.outputs(), now=later)
    assert report.verdict.state == "DEGRADED"
    assert report.verdict.reasons == [
        "Auto Scaling group demo-gpu has 3 of 4 instances in service, 1 unhealthy",
        f"1 running group instance(s) have not joined the ECS cluster: {extra}",
    ]


def test_an_elastic_job_below_its_minimum_or_without_rendezvous_is_down(live_aws: str) -> None:
    seeder, _ = group_cluster(workers_running=False, rendezvous_running=False)
    report = status_report(seeder.outputs())
    assert report.verdict.state == "DOWN"
    assert report.verdict.reasons == [
        "0 worker(s) running, below the elastic job's minimum of 2: torchrun waits for more before training",
        "the rendezvous service demo-rendezvous runs no task: the workers cannot meet (torchrun restarts them "
        "until it is back)",
    ]
    assert "Elastic job: 0 worker(s) running (min 2, desired 3)" in rendered(report)


def test_a_capacity_provider_without_managed_scaling_or_gone_degrades(live_aws: str) -> None:
    seeder, _ = group_cluster()
    seeder.ecs.update_capacity_provider(
        name="demo-gpu", autoScalingGroupProvider={"managedScaling": {"status": "DISABLED"}}
    )
    report = status_report(seeder.outputs())
    assert report.verdict.reasons == [
        "managed scaling of capacity provider demo-gpu is off: worker tasks do not start instances"
    ]
    assert "managed scaling DISABLED" in rendered(report) and "last change UPDATE_COMPLETE" in rendered(report)
    seeder.ecs.delete_capacity_provider(capacityProvider="demo-gpu")
    seeder.asg.delete_auto_scaling_group(AutoScalingGroupName="demo-gpu", ForceDelete=True)
    report = status_report(seeder.outputs())
    assert report.verdict.reasons == [
        "Auto Scaling group demo-gpu not found",
        "capacity provider demo-gpu not found: the worker tasks cannot be placed",
    ]


def test_the_run_rate_prices_the_groups_instances_by_lifecycle_at_live_spot_prices(live_aws: str) -> None:
    from pathlib import Path

    from ftcluster.cost import cluster_run_rate
    from ftcluster.spec import load_spec

    seeder, _ = group_cluster()
    spec = load_spec(Path(__file__).parents[2] / "configs" / "us-east-1.yaml")
    rate = cluster_run_rate(status_report(seeder.outputs()).status, spec)
    lines = {line.component: line for line in rate.lines}
    assert lines["fleet_on_demand"].quantity == "1 × g5.xlarge"
    assert (lines["fleet_spot"].quantity, lines["fleet_spot"].basis) == ("1 × g4dn.xlarge, 1 × g5.xlarge", "live")
    assert lines["fleet_spot"].hourly.high == pytest.approx(2 * 0.00001)  # moto's Spot price, per pool
    # the rendezvous runs on Fargate on-demand, at the program's size (moto reports no task sizes), the 3
    # workers on the group's capacity provider: paid through the instances
    fargate = [line.quantity for line in rate.lines if line.component == "fargate_on_demand"]
    assert sorted(fargate) == ["1 × 0.5 vCPU / 1 GB", "1 × 4 vCPU / 16 GB"] and not rate.not_estimated
    assert "3 task(s) run on EC2 instances: no charge beyond the instances" in rate.notes
