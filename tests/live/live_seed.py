"""Build a cluster in moto server the way `ftcluster up` leaves one in AWS, and its stack outputs.

moto quirks worked around here (test setup only, never in the product):
- awsvpc tasks need a VPC with DNS hostnames on (moto's ENI otherwise lacks a DNS name and RunTask fails);
- container definitions need a memory figure, or RunTask fails;
- a new service reports runningCount 0 until UpdateService sets a desired count (then running = desired);
- Spot Fleets are fulfilled at once; "diversified" spreads LaunchSpecifications round-robin.
"""

from __future__ import annotations

import json
from typing import Any

import boto3



class Seeder:
    def __init__(self, name: str = "demo", region: str = "us-east-1") -> None:
        self.name, self.region = name, region
        self.ec2 = boto3.client("ec2", region_name=region)
        self.ecs = boto3.client("ecs", region_name=region)
        self.autoscaling = boto3.client("application-autoscaling", region_name=region)
        self.vpc_id = ""
        self.subnets: dict[str, str] = {}  # AZ -> subnet id
        self.security_group = ""
        self.fleet_id: str | None = None
        self.scaling: tuple[int, int] | None = None
        self.workers: str | None = None
        self.task_definitions: dict[str, str] = {}

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
            family=name, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="1024", memory="2048",
            containerDefinitions=[{"name": "train", "image": "trainer:1", "essential": True, "memory": 2048}],
        )["taskDefinition"]["taskDefinitionArn"]
        self.task_definitions[name] = family
        self.ecs.create_service(
            cluster=self.name, serviceName=name, taskDefinition=family, desiredCount=desired,
            networkConfiguration={"awsvpcConfiguration": {"subnets": list(self.subnets.values()),
                                                          "securityGroups": [self.security_group]}},
        )
        if settle:
            self.ecs.update_service(cluster=self.name, service=name, desiredCount=desired)
        return self

    def tasks(self, az: str, count: int = 1, provider: str = "FARGATE", service: str | None = None) -> list[str]:
        service = service or self.training
        answer = self.ecs.run_task(
            cluster=self.name, taskDefinition=self.task_definitions[service], count=count,
            group=f"service:{service}", startedBy="ecs-svc/1", capacityProviderStrategy=[{"capacityProvider": provider}],
            networkConfiguration={"awsvpcConfiguration": {"subnets": [self.subnets[az]],
                                                          "securityGroups": [self.security_group]}},
        )
        return [t["taskArn"] for t in answer["tasks"]]

    def stop(self, task_arn: str, reason: str) -> None:
        self.ecs.stop_task(cluster=self.name, task=task_arn, reason=reason)

    def fleet(self, target: int, instance_type: str = "g5.xlarge") -> list[str]:
        """A diversified Spot Fleet over every subnet; returns its instance ids."""
        specs = [{"ImageId": "ami-12c6146b", "InstanceType": instance_type, "SubnetId": s} for s in self.subnets.values()]
        self.fleet_id = self.ec2.request_spot_fleet(SpotFleetRequestConfig={
            "IamFleetRole": "arn:aws:iam::123456789012:role/fleet", "TargetCapacity": target,
            "AllocationStrategy": "diversified", "Type": "maintain", "LaunchSpecifications": specs,
        })["SpotFleetRequestId"]
        active = self.ec2.describe_spot_fleet_instances(SpotFleetRequestId=self.fleet_id)["ActiveInstances"]
        return [a["InstanceId"] for a in active]

    def join(self, instance_ids: list[str]) -> None:
        """Register instances with the cluster, as the ECS agent does on boot."""
        for instance_id in instance_ids:
            document = json.dumps({"instanceId": instance_id, "region": self.region})
            self.ecs.register_container_instance(cluster=self.name, instanceIdentityDocument=document)

    def autoscale(self, low: int, high: int, *, register: bool = True) -> Seeder:
        self.scaling = (low, high)
        if register:
            self.autoscaling.register_scalable_target(
                ServiceNamespace="ecs", ResourceId=f"service/{self.name}/{self.training}",
                ScalableDimension="ecs:service:DesiredCount", MinCapacity=low, MaxCapacity=high,
            )
        return self

    def outputs(self) -> dict[str, Any]:
        """The stack outputs `ftcluster up` exports for this cluster (TEAM.md names)."""
        return {
            "region": self.region,
            "cluster_name": self.name,
            "cluster_arn": f"arn:aws:ecs:{self.region}:123456789012:cluster/{self.name}",
            "service_name": self.training,
            "workers_service_name": self.workers,
            "spot_fleet_request_id": self.fleet_id,
            "vpc_id": self.vpc_id,
            "subnet_ids": list(self.subnets.values()),
            "checkpoint_bucket": f"{self.name}-checkpoints",
            "log_group": f"/ftcluster/{self.name}",
            "autoscaling_min": self.scaling[0] if self.scaling else None,
            "autoscaling_max": self.scaling[1] if self.scaling else None,
            "desired_tasks": 3,
            "fleet_target_capacity": None,
        }


def healthy_cluster() -> Seeder:
    """Three tasks, one per AZ, on FARGATE and FARGATE_SPOT; no fleet, no auto scaling."""
    seeder = Seeder().network().cluster().service(desired=3)
    seeder.tasks("us-east-1a", provider="FARGATE")
    seeder.tasks("us-east-1b", provider="FARGATE_SPOT")
    seeder.tasks("us-east-1c", provider="FARGATE_SPOT")
    return seeder
