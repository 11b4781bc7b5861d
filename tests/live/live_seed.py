"""Build a cluster in moto server the way `ftcluster up` leaves one in AWS, and its stack outputs.

moto quirks worked around here (test setup only, never in the product):
- awsvpc tasks need a VPC with DNS hostnames on (moto's ENI otherwise lacks a DNS name and RunTask fails);
- container definitions need a memory figure, or RunTask fails;
- a new service reports runningCount 0 until UpdateService sets a desired count (then running = desired);
- Spot Fleets are fulfilled at once; "diversified" spreads LaunchSpecifications round-robin;
- an Auto Scaling group launches its own instances without a type (the launch template has none, as
  ftcluster's has none) and all in its first subnet, never Spot: `group` launches the instances itself,
  with type, AZ and market, and attaches them, as the group's mixed instances policy would have;
- DescribeCapacityProviders answers without updateStatus until UpdateCapacityProvider ran.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import boto3

from ftcluster.program import event_patterns as patterns
from ftcluster.program.names import event_log_group


class Seeder:
    def __init__(self, name: str = "demo", region: str = "us-east-1") -> None:
        self.name, self.region = name, region
        self.ec2 = boto3.client("ec2", region_name=region)
        self.ecs = boto3.client("ecs", region_name=region)
        self.autoscaling = boto3.client("application-autoscaling", region_name=region)
        self.asg = boto3.client("autoscaling", region_name=region)
        self.vpc_id = ""
        self.subnets: dict[str, str] = {}  # AZ -> subnet id
        self.security_group = ""
        self.fleet_id: str | None = None
        self.scaling: tuple[int, int] | None = None
        self.workers: str | None = None
        self.task_definitions: dict[str, str] = {}
        self.group_name: str | None = None
        self.provider_name: str | None = None
        self.rendezvous: str | None = None
        self.min_nodes: int | None = None

    @property
    def training(self) -> str:
        return f"{self.name}-train"

    def network(self, azs: tuple[str, ...] = ("us-east-1a", "us-east-1b", "us-east-1c")) -> Seeder:
        tags = [{"ResourceType": "vpc", "Tags": [{"Key": "ftcluster:cluster", "Value": self.name}]}]
        self.vpc_id = self.ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tags)["Vpc"]["VpcId"]
        self.ec2.modify_vpc_attribute(VpcId=self.vpc_id, EnableDnsHostnames={"Value": True})
        for index, az in enumerate(azs):
            subnet = self.ec2.create_subnet(VpcId=self.vpc_id, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=az)
            self.subnets[az] = subnet["Subnet"]["SubnetId"]
        self.security_group = self.ec2.create_security_group(
            GroupName=f"{self.name}-tasks", Description="tasks", VpcId=self.vpc_id
        )["GroupId"]
        return self

    def cluster(self) -> Seeder:
        self.ecs.create_cluster(clusterName=self.name, capacityProviders=["FARGATE", "FARGATE_SPOT"])
        return self

    def service(self, name: str | None = None, desired: int = 3, *, settle: bool = True) -> Seeder:
        name = name or self.training
        family = self.ecs.register_task_definition(
            family=name,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="1024",
            memory="2048",
            containerDefinitions=[{"name": "train", "image": "trainer:1", "essential": True, "memory": 2048}],
        )["taskDefinition"]["taskDefinitionArn"]
        self.task_definitions[name] = family
        self.ecs.create_service(
            cluster=self.name,
            serviceName=name,
            taskDefinition=family,
            desiredCount=desired,
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": list(self.subnets.values()), "securityGroups": [self.security_group]}
            },
        )
        if settle:
            self.ecs.update_service(cluster=self.name, service=name, desiredCount=desired)
        return self

    def tasks(self, az: str, count: int = 1, provider: str = "FARGATE", service: str | None = None) -> list[str]:
        service = service or self.training
        answer = self.ecs.run_task(
            cluster=self.name,
            taskDefinition=self.task_definitions[service],
            count=count,
            group=f"service:{service}",
            startedBy="ecs-svc/1",
            capacityProviderStrategy=[{"capacityProvider": provider}],
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": [self.subnets[az]], "securityGroups": [self.security_group]}
            },
        )
        return [t["taskArn"] for t in answer["tasks"]]

    def stop(self, task_arn: str, reason: str) -> None:
        self.ecs.stop_task(cluster=self.name, task=task_arn, reason=reason)

    def fleet(self, target: int, instance_type: str = "g5.xlarge") -> list[str]:
        """A diversified Spot Fleet over every subnet; returns its instance ids."""
        specs = [
            {"ImageId": "ami-12c6146b", "InstanceType": instance_type, "SubnetId": s} for s in self.subnets.values()
        ]
        self.fleet_id = self.ec2.request_spot_fleet(
            SpotFleetRequestConfig={
                "IamFleetRole": "arn:aws:iam::123456789012:role/fleet",
                "TargetCapacity": target,
                "AllocationStrategy": "diversified",
                "Type": "maintain",
                "LaunchSpecifications": specs,
            }
        )["SpotFleetRequestId"]
        active = self.ec2.describe_spot_fleet_instances(SpotFleetRequestId=self.fleet_id)["ActiveInstances"]
        return [a["InstanceId"] for a in active]

    def group(self, instances: list[tuple[str, str, bool]], *, max_size: int = 4, on_demand_base: int = 1) -> list[str]:
        """The Auto Scaling group `<name>-gpu` and its capacity provider, as `up` makes them (names from
        the program's contract), with `instances` (instance type, AZ, Spot?) in it; returns their ids."""
        self.group_name = self.provider_name = f"{self.name}-gpu"
        ours = {"Key": "ftcluster:cluster", "Value": self.name, "PropagateAtLaunch": True}
        template = self.ec2.create_launch_template(
            LaunchTemplateName=f"{self.name}-fleet",
            LaunchTemplateData={"ImageId": "ami-12c6146b"},
            TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": ours["Key"], "Value": self.name}]}],
        )["LaunchTemplate"]["LaunchTemplateId"]
        types = list(dict.fromkeys(t for t, _, _ in instances)) or ["g5.xlarge"]
        self.asg.create_auto_scaling_group(
            AutoScalingGroupName=self.group_name,
            MinSize=0,
            MaxSize=max_size,
            DesiredCapacity=0,
            VPCZoneIdentifier=",".join(self.subnets.values()),
            NewInstancesProtectedFromScaleIn=True,
            CapacityRebalance=True,
            MixedInstancesPolicy={
                "LaunchTemplate": {
                    "LaunchTemplateSpecification": {"LaunchTemplateId": template, "Version": "$Latest"},
                    "Overrides": [{"InstanceType": t} for t in types],
                },
                "InstancesDistribution": {
                    "OnDemandBaseCapacity": on_demand_base,
                    "OnDemandPercentageAboveBaseCapacity": 0,
                    "SpotAllocationStrategy": "price-capacity-optimized",
                },
            },
            Tags=[ours, {"Key": "AmazonECSManaged", "Value": "", "PropagateAtLaunch": True}],
        )
        ids = []
        for instance_type, az, spot in instances:
            market = {"InstanceMarketOptions": {"MarketType": "spot"}} if spot else {}
            ids += [
                i["InstanceId"]
                for i in self.ec2.run_instances(
                    ImageId="ami-12c6146b",
                    MinCount=1,
                    MaxCount=1,
                    InstanceType=instance_type,
                    SubnetId=self.subnets[az],
                    **market,
                )["Instances"]
            ]
        if ids:
            self.asg.attach_instances(AutoScalingGroupName=self.group_name, InstanceIds=ids)
        arn = self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[self.group_name])["AutoScalingGroups"][0][
            "AutoScalingGroupARN"
        ]
        self.ecs.create_capacity_provider(
            name=self.provider_name,
            autoScalingGroupProvider={
                "autoScalingGroupArn": arn,
                "managedScaling": {"status": "ENABLED", "targetCapacity": 100},
                "managedTerminationProtection": "ENABLED",
                "managedDraining": "ENABLED",
            },
            tags=[{"key": "ftcluster:cluster", "value": self.name}],
        )
        self.ecs.put_cluster_capacity_providers(
            cluster=self.name,
            capacityProviders=["FARGATE", "FARGATE_SPOT", self.provider_name],
            defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
        )
        return ids

    def elastic_job(
        self, workers: int, min_nodes: int, *, workers_running: bool = True, rendezvous_running: bool = True
    ) -> None:
        """The worker service of an elastic job on the group's capacity provider (`workers` tasks on the
        joined instances) and its rendezvous service (one Fargate task). Not running: the service
        reports 0 running, as a new service does in moto."""
        assert self.provider_name, "seed the group first"
        self.workers, self.rendezvous, self.min_nodes = (
            f"{self.name}-fleet-workers",
            f"{self.name}-rendezvous",
            min_nodes,
        )
        first_az = next(iter(self.subnets))
        self.service(self.workers, desired=workers, settle=workers_running)
        self.service(self.rendezvous, desired=1, settle=rendezvous_running)
        if rendezvous_running:
            self.tasks(first_az, provider="FARGATE", service=self.rendezvous)
        if workers and workers_running:
            self.tasks(first_az, count=workers, provider=self.provider_name, service=self.workers)

    def join(self, instance_ids: list[str]) -> None:
        """Register instances with the cluster, as the ECS agent does on boot."""
        for instance_id in instance_ids:
            document = json.dumps({"instanceId": instance_id, "region": self.region})
            self.ecs.register_container_instance(cluster=self.name, instanceIdentityDocument=document)

    def autoscale(self, low: int, high: int, *, register: bool = True) -> Seeder:
        self.scaling = (low, high)
        if register:
            self.autoscaling.register_scalable_target(
                ServiceNamespace="ecs",
                ResourceId=f"service/{self.name}/{self.training}",
                ScalableDimension="ecs:service:DesiredCount",
                MinCapacity=low,
                MaxCapacity=high,
            )
        return self

    @property
    def cluster_arn(self) -> str:
        return f"arn:aws:ecs:{self.region}:123456789012:cluster/{self.name}"

    @property
    def bucket(self) -> str:
        return f"{self.name}-checkpoints"

    def recording(self) -> Seeder:
        """The event log group and the EventBridge rules `up` declares (program/recording.py), with the
        program's own patterns and names, so moto matches the events exactly as the program asks."""
        logs, events = boto3.client("logs", region_name=self.region), boto3.client("events", region_name=self.region)
        group = event_log_group(self.name)
        ours = {"ftcluster:cluster": self.name}  # the provider's default tags
        logs.create_log_group(logGroupName=group, tags=ours)
        arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"].removesuffix(":*")
        logs.put_resource_policy(
            policyName=f"ftcluster-{self.name}-events", policyDocument=json.dumps(patterns.delivery_policy(arn))
        )
        rules = {
            patterns.TASKS: patterns.task_pattern(self.cluster_arn),
            patterns.DRILLS: patterns.drill_pattern(self.name),
        }
        if self.group_name:
            rules[patterns.SPOT] = patterns.spot_pattern()
            rules[patterns.INSTANCES] = patterns.group_pattern(self.group_name)
        for source, pattern in rules.items():
            name = f"{self.name}-{source}"
            events.put_rule(
                Name=name,
                EventPattern=json.dumps(pattern),
                State="ENABLED",
                Tags=[{"Key": k, "Value": v} for k, v in ours.items()],
            )
            events.put_targets(Rule=name, Targets=[{"Id": "ftcluster-ledger", "Arn": arn}])
        return self

    def record(self, *recorded: dict[str, Any]) -> None:
        """Send AWS-shaped events (tests/ledger/ledger_events.py) through EventBridge, as AWS would."""
        entries = [
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "Resources": event["resources"],
                "Time": datetime.fromisoformat(event["time"].replace("Z", "+00:00")),
            }
            for event in recorded
        ]
        client = boto3.client("events", region_name=self.region)
        for start in range(0, len(entries), 10):  # PutEvents takes 10 entries per call
            answer = client.put_events(Entries=entries[start : start + 10])
            assert answer["FailedEntryCount"] == 0, answer

    def checkpoints(self) -> Seeder:
        """The checkpoint bucket, versioned as the program makes it."""
        s3 = boto3.client("s3", region_name=self.region)
        s3.create_bucket(Bucket=self.bucket)
        s3.put_bucket_versioning(Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"})
        return self

    def save_checkpoint(self, key: str = "checkpoints/latest.pt") -> datetime:
        """Write a checkpoint (as the trainer does); returns the time S3 gives it."""
        s3 = boto3.client("s3", region_name=self.region)
        s3.put_object(Bucket=self.bucket, Key=key, Body=b"weights")
        return s3.head_object(Bucket=self.bucket, Key=key)["LastModified"]

    def outputs(self) -> dict[str, Any]:
        """The stack outputs `ftcluster up` exports for this cluster (program/exports.py names)."""
        return {
            "region": self.region,
            "cluster_name": self.name,
            "cluster_arn": f"arn:aws:ecs:{self.region}:123456789012:cluster/{self.name}",
            "service_name": self.training,
            "workers_service_name": self.workers,
            "spot_fleet_request_id": self.fleet_id,
            "vpc_id": self.vpc_id,
            "subnet_ids": list(self.subnets.values()),
            "checkpoint_bucket": self.bucket,
            "checkpoint_uri": f"s3://{self.bucket}/checkpoints/",
            "log_group": f"/ftcluster/{self.name}",
            "autoscaling_min": self.scaling[0] if self.scaling else None,
            "autoscaling_max": self.scaling[1] if self.scaling else None,
            "desired_tasks": 3,
            "fleet_target_capacity": None,
            "fleet_type": "auto_scaling_group" if self.group_name else "spot_fleet" if self.fleet_id else None,
            "auto_scaling_group_name": self.group_name,
            "capacity_provider_name": self.provider_name,
            "rendezvous_service_name": self.rendezvous,
            "rendezvous_endpoint": f"rendezvous.{self.name}.ftcluster:29400" if self.rendezvous else None,
            "distributed_min_nodes": self.min_nodes,
            "workers_desired": None,
            "event_log_group": event_log_group(self.name),
        }


def group_cluster(workers: int = 3, min_nodes: int = 2, **job: bool) -> tuple[Seeder, list[str]]:
    """healthy_cluster() with an Auto Scaling group of 3 joined GPU instances (1 on-demand, 2 Spot, one per
    AZ) behind its capacity provider, running an elastic job of `workers` workers."""
    seeder = healthy_cluster()
    ids = seeder.group(
        [("g5.xlarge", "us-east-1a", False), ("g4dn.xlarge", "us-east-1b", True), ("g5.xlarge", "us-east-1c", True)]
    )
    seeder.join(ids)
    seeder.elastic_job(workers, min_nodes, **job)
    return seeder, ids


def healthy_cluster() -> Seeder:
    """Three tasks, one per AZ, on FARGATE and FARGATE_SPOT; no fleet, no auto scaling."""
    seeder = Seeder().network().cluster().service(desired=3)
    seeder.tasks("us-east-1a", provider="FARGATE")
    seeder.tasks("us-east-1b", provider="FARGATE_SPOT")
    seeder.tasks("us-east-1c", provider="FARGATE_SPOT")
    return seeder
