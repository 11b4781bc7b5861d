"""Read the cluster's EC2 capacity for `ftcluster status`: the Spot Fleet, or the Auto Scaling group and
the ECS capacity provider in front of it (`fleet.type`). Read-only; plain data out (status_model).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..aws import AwsError, AwsSession, aws_call, chunks, pages
from .status_model import CapacityProviderState, FleetInstance, FleetState, GroupInstance, GroupState

EC2_FILTER_VALUES = 200  # EC2 refuses more filter values in one call (FilterLimitExceeded)
Optional = Callable[[str, Callable[[], Any]], Any]  # reads a part the status can show without (a note if not)


def read_fleet(aws: AwsSession, request_id: str) -> FleetState:
    ec2 = aws.client("ec2")
    try:
        with aws_call(f"describing Spot Fleet request {request_id}"):
            configs = ec2.describe_spot_fleet_requests(SpotFleetRequestIds=[request_id]).get(
                "SpotFleetRequestConfigs", []
            )
    except AwsError as err:
        if err.kind != "not_found":
            raise
        configs = []
    if not configs:
        return FleetState(request_id=request_id, state="MISSING", activity_status=None)
    config = configs[0]
    data = config.get("SpotFleetRequestConfig", {})
    with aws_call(f"listing the instances of Spot Fleet request {request_id}"):
        active = pages(ec2, "describe_spot_fleet_instances", "ActiveInstances", SpotFleetRequestId=request_id)
    instances = _ec2_instances(aws, [a["InstanceId"] for a in active])
    return FleetState(
        request_id=request_id,
        state=str(config.get("SpotFleetRequestState", "UNKNOWN")),
        activity_status=config.get("ActivityStatus"),
        target=int(data.get("TargetCapacity", 0)),
        fulfilled=float(data.get("FulfilledCapacity", 0.0)),
        on_demand_target=int(data.get("OnDemandTargetCapacity", 0)),
        on_demand_fulfilled=float(data.get("OnDemandFulfilledCapacity", 0.0)),
        instances=[_fleet_instance(i) for i in instances.values()],
    )


def read_group(aws: AwsSession, name: str, optional: Optional) -> GroupState:
    """The group and its instances. The group knows each instance's type, AZ, lifecycle state, health
    and scale-in protection, but not whether it is Spot: EC2 does (InstanceLifecycle "spot")."""
    client = aws.client("autoscaling")
    with aws_call(f"describing Auto Scaling group {name}"):
        groups = client.describe_auto_scaling_groups(AutoScalingGroupNames=[name]).get("AutoScalingGroups", [])
    if not groups:
        return GroupState(name=name, status="MISSING")
    group = groups[0]
    members = group.get("Instances") or []
    ec2 = (
        optional(
            "the group's instances in EC2 (Spot or on-demand)",
            lambda: _ec2_instances(aws, [m["InstanceId"] for m in members]),
        )
        or {}
    )
    distribution = (group.get("MixedInstancesPolicy") or {}).get("InstancesDistribution") or {}
    return GroupState(
        name=name,
        # Status is only set while DeleteAutoScalingGroup runs (botocore autoscaling AutoScalingGroup.Status)
        status=str(group.get("Status") or "ACTIVE"),
        desired=int(group.get("DesiredCapacity", 0)),
        min=int(group.get("MinSize", 0)),
        max=int(group.get("MaxSize", 0)),
        on_demand_base=distribution.get("OnDemandBaseCapacity"),
        spot_allocation_strategy=distribution.get("SpotAllocationStrategy"),
        instances=[_group_instance(m, ec2.get(m["InstanceId"])) for m in members],
    )


def read_capacity_provider(aws: AwsSession, name: str) -> CapacityProviderState:
    with aws_call(f"describing ECS capacity provider {name}"):
        found = aws.client("ecs").describe_capacity_providers(capacityProviders=[name]).get("capacityProviders", [])
    if not found:  # ECS answers an unknown name with a failure entry, not an error
        return CapacityProviderState(name=name, status="MISSING")
    provider = found[0]
    group = provider.get("autoScalingGroupProvider") or {}
    scaling = group.get("managedScaling") or {}
    return CapacityProviderState(
        name=name,
        status=str(provider.get("status", "UNKNOWN")),
        update_status=provider.get("updateStatus"),
        update_status_reason=provider.get("updateStatusReason"),
        managed_scaling=scaling.get("status"),
        target_capacity=scaling.get("targetCapacity"),
        managed_termination_protection=group.get("managedTerminationProtection"),
        managed_draining=group.get("managedDraining"),
        group_arn=group.get("autoScalingGroupArn"),
    )


def _ec2_instances(aws: AwsSession, ids: list[str]) -> dict[str, dict[str, Any]]:
    """EC2's description of each instance; an id filter (not InstanceIds) so that an instance EC2 no
    longer knows is left out instead of failing the call with InvalidInstanceID.NotFound."""
    ec2 = aws.client("ec2")
    found: dict[str, dict[str, Any]] = {}
    with aws_call(f"describing {len(ids)} instance(s)"):
        for batch in chunks(ids, EC2_FILTER_VALUES):
            for reservation in pages(
                ec2, "describe_instances", "Reservations", Filters=[{"Name": "instance-id", "Values": batch}]
            ):
                found.update({i["InstanceId"]: i for i in reservation.get("Instances", [])})
    return found


def _lifecycle(instance: dict[str, Any]) -> str:
    # EC2 Instance.InstanceLifecycle: "spot" | "capacity-block" | absent for on-demand (EC2 API reference)
    return "spot" if instance.get("InstanceLifecycle") == "spot" else "on-demand"


def _fleet_instance(i: dict[str, Any]) -> FleetInstance:
    return FleetInstance(
        id=i["InstanceId"],
        instance_type=str(i.get("InstanceType", "?")),
        availability_zone=(i.get("Placement") or {}).get("AvailabilityZone"),
        state=str((i.get("State") or {}).get("Name", "unknown")),
        lifecycle=_lifecycle(i),
        launched_at=i.get("LaunchTime"),
    )


def _group_instance(member: dict[str, Any], ec2: dict[str, Any] | None) -> GroupInstance:
    known = ec2 or {}
    return GroupInstance(
        id=member["InstanceId"],
        instance_type=str(member.get("InstanceType") or known.get("InstanceType") or "?"),
        availability_zone=member.get("AvailabilityZone") or (known.get("Placement") or {}).get("AvailabilityZone"),
        lifecycle_state=str(member.get("LifecycleState", "unknown")),
        health=str(member.get("HealthStatus", "unknown")),
        protected_from_scale_in=bool(member.get("ProtectedFromScaleIn", False)),
        state=str((known.get("State") or {}).get("Name", "unknown")),
        lifecycle=_lifecycle(known) if ec2 is not None else "unknown",
        launched_at=known.get("LaunchTime"),
    )
