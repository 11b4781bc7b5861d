"""A finished job ends, checked against the AWS emulator: the rule's event pattern through EventBridge's
matcher, the state machine through moto's Step Functions interpreter, and `status` saying COMPLETED.

The events are shaped as ECS sends them ("ECS Task State Change", ECS Developer Guide, ecs_task_events);
only the fields the pattern and the state machine read are given.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from live_seed import Seeder, healthy_cluster

from ftcluster.live.status import status_report
from ftcluster.program import completion_steps as steps
from ftcluster.program.names import Names, names_for
from ftcluster.program.options import TRAINING_JOB, WORKERS_JOB
from ftcluster.spec import Spec

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account


def demo_names(spec_from_dict: Any = None) -> Names:
    """The program's names for a cluster called `demo` (the seeder's cluster)."""
    spec = Spec.model_validate({"name": "demo", "region": REGION, "training": {"image": "trainer:1"}})
    return names_for(spec)


NAMES = demo_names()
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/demo"
JOBS = [steps.training_job(NAMES), steps.workers_job(NAMES, rendezvous=True, spot_fleet_id=None)]


def task_stopped(service: str, stop_code: str, exit_code: int | None, *, cluster: str = CLUSTER_ARN) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "trainer", "lastStatus": "STOPPED"}
    if exit_code is not None:
        container["exitCode"] = exit_code
    return {
        "clusterArn": cluster,
        "group": f"service:{service}",
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "stopCode": stop_code,
        "stoppedReason": "Essential container in task exited",
        "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/demo/0123456789abcdef",
        "containers": [container],
    }


def envelope(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "3317b2af-7005-947d-b652-f55e762e571a",
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "account": ACCOUNT,
        "time": "2026-12-04T10:11:12Z",
        "region": REGION,
        "resources": [detail["taskArn"]],
        "detail": detail,
    }


# --- the rule ------------------------------------------------------------------------------------


def test_the_rule_matches_a_task_that_exited_by_itself_and_no_interruption(live_aws: str) -> None:
    """EventBridge's matcher (moto's) routes only EssentialContainerExited stops of the cluster's jobs to the
    target. A crash matches too: the state machine reads its exit code and does nothing (next test)."""
    events, sqs = boto3.client("events", region_name=REGION), boto3.client("sqs", region_name=REGION)
    events.put_rule(Name=NAMES.completion_rule, EventPattern=json.dumps(steps.event_pattern(CLUSTER_ARN, JOBS)))
    queue = sqs.create_queue(QueueName="matched")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_targets(Rule=NAMES.completion_rule, Targets=[{"Id": "matched", "Arn": queue_arn}])
    training, workers = NAMES.training_service, NAMES.workers_service
    cases = {
        "training finished": task_stopped(training, "EssentialContainerExited", 0),
        "workers finished": task_stopped(workers, "EssentialContainerExited", 0),
        "training crashed": task_stopped(training, "EssentialContainerExited", 1),
        # stopped by someone: the trainer saved a checkpoint on SIGTERM and exited 0
        "Fargate Spot interruption": task_stopped(training, "SpotInterruption", 0),
        "EC2 Spot notice, instance drained": task_stopped(workers, "TerminationNotice", 0),
        "scale-in or deployment": task_stopped(training, "ServiceSchedulerInitiated", 0),
        "StopTask": task_stopped(workers, "UserInitiated", 0),
        "failed to start": task_stopped(training, "TaskFailedToStart", None),
        "the rendezvous store exited": task_stopped(NAMES.rendezvous_service, "EssentialContainerExited", 0),
        "another cluster": task_stopped(training, "EssentialContainerExited", 0, cluster=CLUSTER_ARN + "-other"),
        "still stopping": {**task_stopped(training, "EssentialContainerExited", 0), "lastStatus": "DEACTIVATING"},
    }
    for case, detail in cases.items():
        detail["stoppedReason"] = case  # which case reached the queue
        entry = {"Source": "aws.ecs", "DetailType": "ECS Task State Change", "Detail": json.dumps(detail)}
        assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    matched = []
    while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        matched += [json.loads(m["Body"])["detail"]["stoppedReason"] for m in batch]
        sqs.delete_message_batch(
            QueueUrl=queue, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        )
    assert sorted(matched) == ["training crashed", "training finished", "workers finished"]


# --- the state machine ----------------------------------------------------------------------------


@pytest.fixture
def step_functions(live_aws: str) -> Iterator[Any]:
    """moto's Step Functions interpreter (it runs states and calls the emulated APIs), for this test only."""

    def configure(execute: bool) -> None:
        body = json.dumps({"stepfunctions": {"execute_state_machine": execute}}).encode()
        request = urllib.request.Request(f"{live_aws}/moto-api/config", data=body, method="POST")
        urllib.request.urlopen(request, timeout=10)

    configure(True)
    try:
        yield boto3.client("stepfunctions", region_name=REGION)
    finally:
        configure(False)


def _parameters(ssm: Any) -> None:
    for job in (TRAINING_JOB, WORKERS_JOB):
        ssm.put_parameter(Name=NAMES.completion_parameter(job), Value=steps.NOT_COMPLETED, Type="String")


def _run(sfn: Any, machine: str, name: str, detail: dict[str, Any], *, until: Any) -> dict[str, Any]:
    """Start an execution with the event and wait (10 s at most) until `until()` holds or it ended."""
    execution = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(envelope(detail)))
    arn = execution["executionArn"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING" or until():
            return described
        time.sleep(0.1)
    raise AssertionError(f"execution {name} neither ended nor reached its goal in 10 s")


def test_the_state_machine_records_a_completion_and_ignores_a_crash(step_functions: Any) -> None:
    sfn, ssm = step_functions, boto3.client("ssm", region_name=REGION)
    _parameters(ssm)
    machine = sfn.create_state_machine(
        name=NAMES.completion_state_machine,
        definition=json.dumps(steps.definition("aws", JOBS)),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/ftcluster/{NAMES.completion_steps_role}",
    )["stateMachineArn"]

    def recorded(job: str) -> dict[str, Any]:
        return json.loads(ssm.get_parameter(Name=NAMES.completion_parameter(job))["Parameter"]["Value"])

    crash = _run(
        sfn, machine, "crash", task_stopped(NAMES.training_service, "EssentialContainerExited", 137), until=bool
    )
    assert crash["status"] == "SUCCEEDED"  # it ended in NotCompleted, having called nothing
    history = [e["type"] for e in sfn.get_execution_history(executionArn=crash["executionArn"])["events"]]
    assert "TaskScheduled" not in history
    assert recorded(TRAINING_JOB) == {"completed": False}

    done = task_stopped(NAMES.workers_service, "EssentialContainerExited", 0)
    finished = _run(sfn, machine, "finished", done, until=lambda: recorded(WORKERS_JOB)["completed"])
    assert recorded(WORKERS_JOB) == {
        "completed": True,
        "job": WORKERS_JOB,
        "completedAt": "2026-12-04T10:11:12Z",
        "taskArn": done["taskArn"],
    }
    assert recorded(TRAINING_JOB) == {"completed": False}  # the other job goes on
    if finished["status"] == "RUNNING":
        # moto's interpreter cannot run the stop calls that follow (it passes the PascalCase parameters of an
        # AWS SDK integration to boto3 as they are); their parameters are checked against botocore's models in
        # tests/program/test_completion_steps.py
        sfn.stop_execution(executionArn=finished["executionArn"])


# --- status ------------------------------------------------------------------------------------------


def _completed_training(seeder: Seeder, *, stopped: bool) -> dict[str, Any]:
    """The seeded cluster after its training job completed: the record the state machine writes, and the
    service at 0 with two checkpoints (unless `stopped` is False); returns the stack outputs."""
    ssm, s3 = boto3.client("ssm", region_name=REGION), boto3.client("s3", region_name=REGION)
    ssm.put_parameter(Name=NAMES.completion_parameter(TRAINING_JOB), Value=steps.NOT_COMPLETED, Type="String")
    record = {"completed": True, "job": TRAINING_JOB, "completedAt": "2026-12-04T10:11:12Z", "taskArn": "arn:x/t1"}
    ssm.put_parameter(Name=NAMES.completion_parameter(TRAINING_JOB), Value=json.dumps(record), Overwrite=True)
    if stopped:
        for task in seeder.ecs.list_tasks(cluster="demo")["taskArns"]:
            seeder.stop(task, "Essential container in task exited")
        seeder.ecs.update_service(cluster="demo", service=seeder.training, desiredCount=0)
    bucket = "demo-checkpoints"
    s3.create_bucket(Bucket=bucket)
    if stopped:
        # the newest by time, not by name: S3 keeps LastModified to the second
        s3.put_object(Bucket=bucket, Key="demo/step-900.pt", Body=b"older")
        time.sleep(1.1)
        s3.put_object(Bucket=bucket, Key="demo/step-1000.pt", Body=b"newer")
    return {
        **seeder.outputs(),
        "checkpoint_uri": f"s3://{bucket}/demo/",
        "completion_parameters": {TRAINING_JOB: NAMES.completion_parameter(TRAINING_JOB)},
    }


def test_a_completed_job_reads_completed_with_when_and_the_newest_checkpoint(live_aws: str) -> None:
    seeder = healthy_cluster()
    report = status_report(_completed_training(seeder, stopped=True))
    assert report.verdict.state == "COMPLETED", report.verdict.findings
    assert report.verdict.reasons == []
    completion = report.status.completions[TRAINING_JOB]
    assert completion.completed_at is not None and completion.completed_at.isoformat() == "2026-12-04T10:11:12+00:00"
    assert report.status.newest_checkpoint is not None
    assert report.status.newest_checkpoint.uri == "s3://demo-checkpoints/demo/step-1000.pt"
    messages = [f.message for f in report.verdict.findings]
    assert (
        "the training job completed at 2026-12-04T10:11:12+00:00 (task t1 exited 0); "
        "newest checkpoint s3://demo-checkpoints/demo/step-1000.pt"
    ) in messages
    plain = report.to_dict()
    assert plain["verdict"]["state"] == "COMPLETED"
    assert plain["completions"]["training"]["completed_at"] == "2026-12-04T10:11:12+00:00"


def test_a_completed_job_that_still_runs_is_degraded(live_aws: str) -> None:
    report = status_report(_completed_training(healthy_cluster(), stopped=False))
    assert report.verdict.state == "DEGRADED"
    assert report.verdict.reasons == [
        "the training job completed, but service demo-train still asks for 3 task(s): `ftcluster up SPEC` holds it at 0"
    ]


def test_a_job_that_has_not_completed_is_judged_as_before(live_aws: str) -> None:
    seeder = healthy_cluster()
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name=NAMES.completion_parameter(TRAINING_JOB), Value=steps.NOT_COMPLETED, Type="String")
    outputs = {**seeder.outputs(), "completion_parameters": {TRAINING_JOB: NAMES.completion_parameter(TRAINING_JOB)}}
    report = status_report(outputs)
    assert report.verdict.state == "HEALTHY" and report.status.completions == {}
