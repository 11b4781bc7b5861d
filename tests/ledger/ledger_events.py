"""EventBridge events shaped as AWS documents them, for the ledger tests.

Shapes (field names, nesting, time formats) are copied from AWS's examples: ECS Developer Guide
"Amazon ECS task state change events" and the Fargate Spot interruption snippet in "AWS Fargate
capacity providers"; EC2 User Guide "Spot Instance interruption notices" and "Spot Fleet event types";
EC2 Auto Scaling User Guide "Amazon EC2 Auto Scaling event reference". Only the values are ours.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
CLUSTER = "demo"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"
T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def envelope(
    detail_type: str, source: str, moment: datetime, detail: dict[str, Any], resources: list[str]
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": f"{abs(hash((detail_type, moment, json.dumps(detail, sort_keys=True)))):032x}"[:32],
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": resources,
        "detail": detail,
    }


def task_event(
    task: str,
    moment: datetime,
    *,
    last: str,
    desired: str,
    service: str = "demo-train",
    stop_code: str | None = None,
    reason: str | None = None,
    exit_code: int | None = None,
    provider: str = "FARGATE_SPOT",
) -> dict[str, Any]:
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{task}"
    container: dict[str, Any] = {
        "containerArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:container/{CLUSTER}/{task}/c1",
        "lastStatus": last,
        "name": "trainer",
        "taskArn": arn,
    }
    if exit_code is not None:
        container["exitCode"] = exit_code
    detail: dict[str, Any] = {
        "clusterArn": CLUSTER_ARN,
        "capacityProviderName": provider,
        "containers": [container],
        "createdAt": iso(moment - timedelta(minutes=30)),
        "desiredStatus": desired,
        "group": f"service:{service}",
        "lastStatus": last,
        "launchType": "FARGATE",
        "taskArn": arn,
        "updatedAt": iso(moment),
        "version": 3,
    }
    if last == "RUNNING" and desired == "RUNNING":
        detail["startedAt"] = iso(moment)
    if last == "STOPPED":
        detail["stoppedAt"] = iso(moment)
    if stop_code:
        detail["stopCode"] = stop_code
    if reason:
        detail["stoppedReason"] = reason
    return envelope("ECS Task State Change", "aws.ecs", moment, detail, [arn])


def task_started(task: str, moment: datetime, service: str = "demo-train") -> dict[str, Any]:
    return task_event(task, moment, last="RUNNING", desired="RUNNING", service=service)


def fargate_spot_warning(task: str, moment: datetime, service: str = "demo-train") -> dict[str, Any]:
    return task_event(
        task, moment, last="RUNNING", desired="STOPPED", service=service,
        stop_code="SpotInterruption", reason="Your Spot Task was interrupted.",
    )  # fmt: skip


def task_stopped(
    task: str,
    moment: datetime,
    stop_code: str,
    reason: str,
    *,
    exit_code: int | None = None,
    service: str = "demo-train",
) -> dict[str, Any]:
    return task_event(
        task,
        moment,
        last="STOPPED",
        desired="STOPPED",
        service=service,
        stop_code=stop_code,
        reason=reason,
        exit_code=exit_code,
    )


def spot_warning(instance: str, moment: datetime) -> dict[str, Any]:
    return envelope(
        "EC2 Spot Instance Interruption Warning", "aws.ec2", moment,
        {"instance-id": instance, "instance-action": "terminate"},
        [f"arn:aws:ec2:{REGION}a:instance/{instance}"],
    )  # fmt: skip


def rebalance(instance: str, moment: datetime) -> dict[str, Any]:
    return envelope(
        "EC2 Instance Rebalance Recommendation", "aws.ec2", moment, {"instance-id": instance},
        [f"arn:aws:ec2:{REGION}a:instance/{instance}"],
    )  # fmt: skip


def group_event(kind: str, instance: str, moment: datetime, cause: str, group: str = "demo-gpu") -> dict[str, Any]:
    """kind: "Launch" or "Terminate"; `Successful` events."""
    detail = {
        "StatusCode": "InProgress",
        "Description": f"{'Launching a new' if kind == 'Launch' else 'Terminating'} EC2 instance: {instance}",
        "AutoScalingGroupName": group,
        "ActivityId": "87654321-4321-4321-4321-210987654321",
        "Details": {"Availability Zone": "us-east-1b", "Subnet ID": "subnet-12345678"},
        "RequestId": "12345678-1234-1234-1234-123456789012",
        "StatusMessage": "",
        "EndTime": iso(moment),
        "EC2InstanceId": instance,
        "StartTime": iso(moment - timedelta(seconds=30)),
        "Cause": cause,
    }
    group_arn = f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:uuid:autoScalingGroupName/{group}"
    return envelope(
        f"EC2 Instance {kind} Successful", "aws.autoscaling", moment, detail,
        [group_arn, f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance}"],
    )  # fmt: skip


HEALTH_CHECK_CAUSE = (
    "At 2026-03-02T12:00:00Z an instance was taken out of service in response to an EC2 health check "
    "indicating it has been terminated or stopped."
)
MANAGED_SCALING_CAUSE = (
    "At 2026-03-02T12:00:00Z a monitor alarm TargetTracking-demo-gpu-AlarmHigh in state ALARM triggered "
    "policy ECSManagedAutoScalingPolicy-0a1b2c3d changing the desired capacity from 2 to 3."
)


def fleet_event(sub_type: str, instance: str, moment: datetime, request: str = "sfr-c8a764a4") -> dict[str, Any]:
    return envelope(
        "EC2 Spot Fleet Instance Change", "aws.ec2spotfleet", moment,
        {"instance-id": instance, "description": "{}", "sub-type": sub_type},
        [f"arn:aws:ec2:{REGION}:{ACCOUNT}:spot-fleet-request/{request}"],
    )  # fmt: skip


def drill_event(
    drill_id: str,
    moment: datetime,
    *,
    fault: str,
    kind: str,
    target: str,
    service: str | None,
    phase: str = "started",
    **extra: Any,
) -> dict[str, Any]:
    detail = {
        "cluster": CLUSTER,
        "drill_id": drill_id,
        "phase": phase,
        "fault": fault,
        "target": {"kind": kind, "id": target, "service": service},
        "injected_at": iso(moment),
        **extra,
    }
    return envelope("ftcluster Drill", "ftcluster", moment, detail, [])
