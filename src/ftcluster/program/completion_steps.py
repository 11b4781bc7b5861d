"""A finished job ends: the EventBridge event pattern, the Step Functions definition and the IAM policies
that make it so, as plain data (no pulumi: tests check them against botocore's models and the emulator).

A job is complete when one of its tasks stops because its essential container exited by itself with code
0. ECS sets a task's stopCode to what stopped it (API Task.stopCode; ECS Developer Guide, "Stopped tasks
error codes", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html):
EssentialContainerExited when the container exited on its own; SpotInterruption, TerminationNotice,
ServiceSchedulerInitiated (scale-in, deployment, a draining instance), UserInitiated (StopTask) when ECS or
someone stopped it. A trainer that saves a checkpoint and exits 0 on SIGTERM was stopped, so its
stopCode is not EssentialContainerExited: an interruption never counts as completion, a crash (non-zero
exit) never does either, and ECS replaces both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .names import Names
from .options import TRAINING_JOB, WORKERS_JOB

COMPLETING_STOP_CODE = "EssentialContainerExited"
# What the stack writes to a job's SSM parameter; the state machine overwrites it with the completion.
NOT_COMPLETED = json.dumps({"completed": False})
RETRY = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 2.0}]


@dataclass(frozen=True)
class SdkCall:
    """One AWS SDK integration call (Step Functions "aws-sdk:<service>:<action>", parameters in PascalCase)."""

    service: str  # the SDK's service name as Step Functions spells it: ecs, applicationautoscaling, ssm, ec2
    action: str  # camelCase API action: updateService
    parameters: dict[str, Any]
    title: str  # the state's name


@dataclass(frozen=True)
class Job:
    name: str  # TRAINING_JOB | WORKERS_JOB
    service: str  # its ECS service
    parameter: str  # the SSM parameter that records its completion
    stops: list[SdkCall] = field(default_factory=list)  # what ends it, in order

    @property
    def group(self) -> str:
        """The task group ECS gives a service's tasks (ECS task state change event `detail.group`)."""
        return f"service:{self.service}"


def training_job(names: Names) -> Job:
    """The training service's count belongs to its Application Auto Scaling target (scaling.py): setting the
    service alone to 0 would be undone by the target's policies, or by its minimum at the next `up`. With
    min = max = 0 the target holds it at 0 ("it changes the resource's current capacity to a value that is
    inside of this range", API RegisterScalableTarget); the UpdateService stops it at once."""
    scaling = {
        "ServiceNamespace": "ecs",
        "ScalableDimension": "ecs:service:DesiredCount",
        "ResourceId": f"service/{names.cluster}/{names.training_service}",
        "MinCapacity": 0,
        "MaxCapacity": 0,
    }
    return Job(
        TRAINING_JOB,
        names.training_service,
        names.completion_parameter(TRAINING_JOB),
        [
            SdkCall("applicationautoscaling", "registerScalableTarget", scaling, "HoldTrainingAtZero"),
            _zero_tasks(names, names.training_service, "StopTraining"),
        ],
    )


def workers_job(names: Names, *, rendezvous: bool, spot_fleet_id: str | None) -> Job:
    """The workers service to 0; the rendezvous store has no one left to serve; a Spot Fleet keeps its
    target capacity (and bills for it) until it is lowered. An Auto Scaling group needs nothing: managed
    scaling scales it in once no worker task needs an instance."""
    stops = [_zero_tasks(names, names.workers_service, "StopWorkers")]
    if rendezvous:
        stops.append(_zero_tasks(names, names.rendezvous_service, "StopRendezvous"))
    if spot_fleet_id is not None:
        fleet = {
            "SpotFleetRequestId": spot_fleet_id,
            "TargetCapacity": 0,
            "OnDemandTargetCapacity": 0,
            # the request's own policy is noTermination (spot_fleet.py): here the instances must go
            "ExcessCapacityTerminationPolicy": "default",
        }
        stops.append(SdkCall("ec2", "modifySpotFleetRequest", fleet, "EmptySpotFleet"))
    return Job(WORKERS_JOB, names.workers_service, names.completion_parameter(WORKERS_JOB), stops)


def _zero_tasks(names: Names, service: str, title: str) -> SdkCall:
    return SdkCall("ecs", "updateService", {"Cluster": names.cluster, "Service": service, "DesiredCount": 0}, title)


def event_pattern(cluster_arn: str, jobs: list[Job]) -> dict[str, Any]:
    """A task of one of `jobs` stopped because its essential container exited (fields of the "ECS Task State
    Change" event: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html). The exit
    code is checked by the state machine: a crash starts it too, and it ends without doing anything."""
    return {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {
            "clusterArn": [cluster_arn],
            "group": [job.group for job in jobs],
            "lastStatus": ["STOPPED"],
            "stopCode": [COMPLETING_STOP_CODE],
        },
    }


def sdk_resource(partition: str, call: SdkCall) -> str:
    """Step Functions' ARN of an AWS SDK integration (Step Functions Developer Guide, "Integrating services
    with the AWS SDK": arn:aws:states:::aws-sdk:serviceName:apiAction)."""
    return f"arn:{partition}:states:::aws-sdk:{call.service}:{call.action}"


def definition(partition: str, jobs: list[Job]) -> dict[str, Any]:
    """The state machine (Amazon States Language, JSONPath): exit code 0? which job? record it, stop it.

    Recorded first: should a stop fail after its retries, the next `ftcluster up` still knows the job
    completed and declares it stopped."""
    exit_code = "$.essential.container.exitCode"
    states: dict[str, Any] = {
        "EssentialContainer": {
            "Type": "Pass",
            "Comment": "each ftcluster task has one container, its essential one",
            # the intrinsic rather than a `[0]` path: the same value, and the emulator's JSONPath reads it too
            "Parameters": {"container.$": "States.ArrayGetItem($.detail.containers, 0)"},
            "ResultPath": "$.essential",
            "Next": "ExitedWithZero",
        },
        "ExitedWithZero": {
            "Type": "Choice",
            "Choices": [
                {
                    "And": [
                        {"Variable": exit_code, "IsPresent": True},
                        {"Variable": exit_code, "NumericEquals": 0},
                    ],
                    "Next": "WhichJob",
                }
            ],
            "Default": "NotCompleted",
        },
        "NotCompleted": {"Type": "Succeed", "Comment": "a crash: the service replaces the task"},
        "WhichJob": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.detail.group", "StringEquals": job.group, "Next": _title("Record", job)} for job in jobs
            ],
            "Default": "NotCompleted",
        },
    }
    for job in jobs:
        record, mark = _title("Record", job), _title("Mark", job)
        states[record] = {
            "Type": "Pass",
            "Parameters": {
                "completed": True,
                "job": job.name,
                "completedAt.$": "$.time",  # every EventBridge event has it
                "taskArn.$": "$.detail.taskArn",
            },
            "ResultPath": "$.completion",
            "Next": mark,
        }
        mark_call = SdkCall(
            "ssm",
            "putParameter",
            {"Name": job.parameter, "Overwrite": True, "Value.$": "States.JsonToString($.completion)"},
            mark,
        )
        calls = [mark_call, *job.stops]
        for index, call in enumerate(calls):
            state: dict[str, Any] = {
                "Type": "Task",
                "Resource": sdk_resource(partition, call),
                "Parameters": call.parameters,
                "ResultPath": None,  # keep the event for the next state
                "Retry": RETRY,
            }
            if index + 1 < len(calls):
                state["Next"] = calls[index + 1].title
            else:
                state["End"] = True
            states[call.title] = state
    return {
        "Comment": "ftcluster: a job whose essential container exited 0 is complete; record it and stop it",
        "StartAt": "EssentialContainer",
        "States": states,
    }


def _title(verb: str, job: Job) -> str:
    return f"{verb}{job.name.capitalize()}Completion"


# --- IAM ---------------------------------------------------------------------------------------------


def start_execution_policy(state_machine_arn: str) -> str:
    """What EventBridge needs to start the state machine (EventBridge User Guide, "Permissions for
    targets": a role with states:StartExecution)."""
    return _policy([{"Effect": "Allow", "Action": "states:StartExecution", "Resource": state_machine_arn}])


def steps_policy(
    partition: str, region: str, account: str, names: Names, jobs: list[Job], scalable_target_arn: str
) -> str:
    """Exactly the calls of the definition, on exactly its resources. RegisterScalableTarget of an ECS service
    also needs ecs:DescribeServices and ecs:UpdateService on it (ECS Developer Guide, "IAM permissions
    required for Amazon ECS service auto scaling")."""
    prefix = f"{region}:{account}"
    services = sorted(
        {
            f"arn:{partition}:ecs:{prefix}:service/{names.cluster}/{call.parameters['Service']}"
            for job in jobs
            for call in job.stops
            if call.service == "ecs"
        }
    )
    statements: list[dict[str, Any]] = [
        {
            "Sid": "RecordCompletion",
            "Effect": "Allow",
            "Action": "ssm:PutParameter",
            # a parameter whose name starts with "/" has the ARN ...:parameter/name-without-slash
            "Resource": [f"arn:{partition}:ssm:{prefix}:parameter{job.parameter}" for job in jobs],
        },
        {
            "Sid": "StopServices",
            "Effect": "Allow",
            "Action": ["ecs:UpdateService", "ecs:DescribeServices"],
            "Resource": services,
        },
    ]
    if any(call.service == "applicationautoscaling" for job in jobs for call in job.stops):
        statements.append(
            {
                "Sid": "HoldTrainingAtZero",
                "Effect": "Allow",
                "Action": "application-autoscaling:RegisterScalableTarget",
                "Resource": scalable_target_arn,
            }
        )
    fleets = [
        str(call.parameters["SpotFleetRequestId"])
        for job in jobs
        for call in job.stops
        if call.action == "modifySpotFleetRequest"
    ]
    if fleets:
        statements.append(
            {
                "Sid": "EmptySpotFleet",
                "Effect": "Allow",
                "Action": "ec2:ModifySpotFleetRequest",
                "Resource": [f"arn:{partition}:ec2:{prefix}:spot-fleet-request/{fleet}" for fleet in fleets],
            }
        )
    return _policy(statements)


def _policy(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
