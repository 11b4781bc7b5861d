"""What the cluster's event recording matches: one EventBridge pattern per source, as plain data.

Pure Python (no pulumi): the program declares these patterns (recording.py), `ftcluster events`
reads what they delivered, and `ftcluster drill` sends the event the drill pattern matches.
Event shapes are AWS's (EventBridge events reference of ECS, EC2, EC2 Auto Scaling and Spot Fleet).
"""

from __future__ import annotations

from typing import Any

# ECS: every task state change of the cluster (Amazon ECS Developer Guide, "Amazon ECS task state
# change events"). RUNNING and STOPPED only: a task's start, the Fargate Spot warning (lastStatus
# RUNNING, desiredStatus STOPPED, stopCode SpotInterruption) and its stop; the states in between
# (PENDING, DEPROVISIONING, ...) add nothing to the ledger and would triple its volume.
ECS_SOURCE = "aws.ecs"
TASK_STATE_CHANGE = "ECS Task State Change"
RECORDED_TASK_STATES = ("RUNNING", "STOPPED")
# EC2: the two-minute Spot notice and the earlier rebalance recommendation (EC2 User Guide, "Spot
# Instance interruption notices" and "EC2 instance rebalance recommendations"). Their detail
# carries only the instance id, no tag, so no pattern can narrow them to the cluster: the rule takes
# the region's, and `ftcluster events` keeps those of the cluster's instances.
EC2_SOURCE = "aws.ec2"
SPOT_WARNING = "EC2 Spot Instance Interruption Warning"
REBALANCE_RECOMMENDATION = "EC2 Instance Rebalance Recommendation"
# EC2 Auto Scaling: launches and terminations of the group (EC2 Auto Scaling User Guide,
# "Amazon EC2 Auto Scaling event reference"); the detail names the group.
AUTOSCALING_SOURCE = "aws.autoscaling"
GROUP_INSTANCE_CHANGES = (
    "EC2 Instance Launch Successful",
    "EC2 Instance Launch Unsuccessful",
    "EC2 Instance Terminate Successful",
    "EC2 Instance Terminate Unsuccessful",
)
# Spot Fleet: instances launched and terminated; `resources` holds the fleet request's ARN
# (EC2 User Guide, "Spot Fleet event types", EC2 Spot Fleet Instance Change).
SPOT_FLEET_SOURCE = "aws.ec2spotfleet"
FLEET_INSTANCE_CHANGE = "EC2 Spot Fleet Instance Change"
# ftcluster's own: `ftcluster drill` puts one when it injects a fault and one when it reports
# (PutEvents on the default bus; a custom source may not start with "aws.").
DRILL_SOURCE = "ftcluster"
DRILL_EVENT = "ftcluster Drill"

# The rules, by the key that names them (names.py `Names.event_rule`), in the order they are declared.
TASKS, SPOT, INSTANCES, DRILLS = "tasks", "spot", "instances", "drills"
RULE_SOURCES = (TASKS, SPOT, INSTANCES, DRILLS)


def task_pattern(cluster_arn: str) -> dict[str, Any]:
    return {
        "source": [ECS_SOURCE],
        "detail-type": [TASK_STATE_CHANGE],
        "detail": {"clusterArn": [cluster_arn], "lastStatus": list(RECORDED_TASK_STATES)},
    }


def spot_pattern() -> dict[str, Any]:
    return {"source": [EC2_SOURCE], "detail-type": [SPOT_WARNING, REBALANCE_RECOMMENDATION]}


def group_pattern(group_name: str) -> dict[str, Any]:
    return {
        "source": [AUTOSCALING_SOURCE],
        "detail-type": list(GROUP_INSTANCE_CHANGES),
        "detail": {"AutoScalingGroupName": [group_name]},
    }


def fleet_pattern(fleet_request_arn: str) -> dict[str, Any]:
    return {"source": [SPOT_FLEET_SOURCE], "detail-type": [FLEET_INSTANCE_CHANGE], "resources": [fleet_request_arn]}


def drill_pattern(cluster: str) -> dict[str, Any]:
    return {"source": [DRILL_SOURCE], "detail-type": [DRILL_EVENT], "detail": {"cluster": [cluster]}}


def fleet_request_arn(partition: str, region: str, account_id: str, request_id: str) -> str:
    return f"arn:{partition}:ec2:{region}:{account_id}:spot-fleet-request/{request_id}"


def delivery_policy(log_group_arn: str) -> dict[str, Any]:
    """The resource policy that lets EventBridge write into the log group.

    EventBridge writes to a CloudWatch Logs target only where a CloudWatch Logs resource policy lets
    events.amazonaws.com and delivery.logs.amazonaws.com create streams and put events; a role on the
    target is not used (EventBridge User Guide, "Using resource-based policies for Amazon EventBridge",
    CloudWatch Logs permissions). `log_group_arn` is the provider's, without the `:*` suffix
    (pulumi_aws cloudwatch/log_group.py `arn`); the streams are under `<arn>:*`.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgeWritesTheInterruptionLedger",
                "Effect": "Allow",
                "Principal": {"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:*",
            }
        ],
    }
