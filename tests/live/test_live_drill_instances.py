"""`ftcluster drill` on instances against moto server: a Spot interruption through FIS (its template and
role made, used and deleted, also on Ctrl-C and on failure), a terminated instance, permission denied.

moto's FIS runs no action (moto/fis/models.py: no lookup of targets, no effect on EC2), so these tests
check what the drill asks FIS to do, and that it cleans up; the instance really stays up.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from drill_helpers import Background, Hooks, drill
from live_seed import Seeder, group_cluster, healthy_cluster

from ftcluster.errors import AwsError, Interrupted, UsageError


def templates() -> list[dict[str, Any]]:
    return boto3.client("fis", region_name="us-east-1").list_experiment_templates()["experimentTemplates"]


def drill_roles() -> list[str]:
    roles = boto3.client("iam", region_name="us-east-1").list_roles(PathPrefix="/ftcluster/")["Roles"]
    return [r["RoleName"] for r in roles if "-drill-" in r["RoleName"]]


def instance_state(instance: str) -> str:
    reservations = boto3.client("ec2", region_name="us-east-1").describe_instances(InstanceIds=[instance])[
        "Reservations"
    ]
    return reservations[0]["Instances"][0]["State"]["Name"]


def test_spot_interruption_asks_fis_for_the_real_notice_and_deletes_what_it_made(live_aws: str) -> None:
    seeder, instances = group_cluster()  # 1 on-demand, 2 Spot
    seeder.checkpoints()
    seen: dict[str, Any] = {}

    def look(_text: str) -> None:
        if "template" in seen or not templates():
            return
        fis = boto3.client("fis", region_name="us-east-1")
        seen["template"] = fis.get_experiment_template(id=templates()[0]["id"])["experimentTemplate"]
        seen["experiments"] = fis.list_experiments()["experiments"]
        (role,) = drill_roles()
        iam = boto3.client("iam", region_name="us-east-1")
        seen["trust"] = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        seen["policy"] = iam.get_role_policy(RoleName=role, PolicyName="spot-interruption")["PolicyDocument"]

    run = Background(seeder.outputs(), "spot-interruption", timeout=3.0)
    run.hooks.on_progress = look
    report = run.report()
    target = report.plan.target
    assert target.kind == "instance" and target.id in instances[1:]  # a Spot one, never the on-demand base
    template = seen["template"]
    assert template["targets"] == {
        "SpotInstances": {"resourceType": "aws:ec2:spot-instance", "resourceArns": [target.arn], "selectionMode": "ALL"}
    }
    (action,) = template["actions"].values()
    assert action["actionId"] == "aws:ec2:send-spot-instance-interruptions"
    assert action["parameters"] == {"durationBeforeInterruption": "PT2M"}
    assert template["stopConditions"] == [{"source": "none"}] and template["tags"]["ftcluster:cluster"] == "demo"
    assert len(seen["experiments"]) == 1 and seen["experiments"][0]["experimentTemplateId"] == template["id"]
    assert json.dumps(seen["trust"]).count("fis.amazonaws.com") == 1
    statements = seen["policy"]["Statement"]
    assert {"Effect": "Allow", "Action": "ec2:SendSpotInstanceInterruptions", "Resource": target.arn} in statements
    # moto interrupts nothing: the instance still runs, so the drill honestly reports no recovery ...
    assert not report.recovered and instance_state(target.id) == "running"
    assert any("to go (it still runs)" in item for item in report.recovery.missing)
    # ... and leaves nothing behind
    assert templates() == [] and drill_roles() == []
    assert any(note.startswith("deleting FIS experiment template") and note.endswith("done") for note in report.notes)


def test_ctrl_c_during_a_spot_interruption_still_deletes_the_template_and_the_role(live_aws: str) -> None:
    seeder, _ = group_cluster()

    def press_ctrl_c(text: str) -> None:
        if "injected" in text:
            os.kill(os.getpid(), signal.SIGINT)  # a real SIGINT: Python raises KeyboardInterrupt here

    with pytest.raises(Interrupted) as caught:
        drill(seeder.outputs(), "spot-interruption", hooks=Hooks(on_progress=press_ctrl_c))
    assert caught.value.exit_code == 130
    assert "deleting IAM role" in caught.value.message and "FAILED" not in caught.value.message
    assert templates() == [] and drill_roles() == []


@pytest.fixture
def iam_enforced(live_aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto checks IAM policies (its `reset-auth` switch, moto/core/authorization.py) for a user made here
    that may do everything except what `deny` names; the test runs as that user."""

    def as_user_denied(*deny: str) -> None:
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="operator")
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": list(deny), "Resource": "*"},
            ],
        }
        iam.put_user_policy(UserName="operator", PolicyName="drill", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="operator")["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        _reset_auth(live_aws, "0")

    yield as_user_denied
    _reset_auth(live_aws, "inf")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def _reset_auth(url: str, count: str) -> None:
    request = urllib.request.Request(
        f"{url}/moto-api/reset-auth", data=count.encode(), method="POST", headers={"Content-Type": "text/plain"}
    )  # not form-encoded: moto reads the raw body
    urllib.request.urlopen(request, timeout=10)


def test_permission_denied_for_the_fault_changes_nothing_and_says_what_is_needed(
    live_aws: str, iam_enforced: Any
) -> None:
    seeder = healthy_cluster()
    iam_enforced("ecs:StopTask")
    with pytest.raises(AwsError) as caught:
        drill(seeder.outputs(), "stop-task")
    assert caught.value.kind == "access" and "stopping task" in caught.value.message, caught.value.message
    assert "--dry-run" in (caught.value.hint or "") and "no fault was injected" in (caught.value.hint or "")
    _reset_auth(live_aws, "inf")
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    arns = seeder.ecs.list_tasks(cluster="demo", desiredStatus="RUNNING")["taskArns"]
    assert len(arns) == 3  # nothing was stopped


def test_a_failure_while_watching_still_deletes_the_template_and_the_role(live_aws: str) -> None:
    seeder, _ = group_cluster()  # no checkpoint bucket: reading the checkpoints fails once the loss is seen
    hooks = Hooks()

    def interrupt(text: str) -> None:
        if "injected" in text:  # AWS's part: the interruption the notice announced
            boto3.client("ec2", region_name="us-east-1").terminate_instances(InstanceIds=[hooks.plans[0].target.id])

    hooks.on_progress = interrupt
    with pytest.raises(AwsError) as caught:
        drill(seeder.outputs(), "spot-interruption", hooks=hooks)
    hint = caught.value.hint or ""
    assert "NoSuchBucket" in caught.value.message
    assert "the fault was injected" in hint and "deleting FIS experiment template" in hint and "FAILED" not in hint
    assert templates() == [] and drill_roles() == []


def test_terminate_instance_terminates_a_spot_instance_and_measures_the_replacement(live_aws: str) -> None:
    seeder, instances = group_cluster()
    seeder.checkpoints()
    seeder.save_checkpoint()
    run = Background(seeder.outputs(), "terminate-instance")
    run.wait_for(run.hooks.detected, "the drill seeing the instance go")
    target = run.hooks.plans[0].target.id
    assert target in instances[1:] and instance_state(target) in ("shutting-down", "terminated")
    time.sleep(1.1)  # the restarted job's checkpoint, a second after the loss (S3 keeps whole seconds)
    seeder.save_checkpoint()
    report = run.report()
    assert report.recovered, report.recovery.missing
    # moto's group replaces a terminated instance (as the group's EC2 health check does on AWS)
    group = boto3.client("autoscaling", region_name="us-east-1").describe_auto_scaling_groups(
        AutoScalingGroupNames=["demo-gpu"]
    )["AutoScalingGroups"][0]
    (replacement,) = {i["InstanceId"] for i in group["Instances"]} - set(instances)
    assert any(f"replacement instance {replacement} in service" in what for _, what in report.recovery.timeline)


def test_a_cluster_without_spot_instances_cannot_take_a_spot_interruption(live_aws: str) -> None:
    seeder = Seeder().network().cluster().service(desired=1)
    ids = seeder.group([("g5.xlarge", "us-east-1a", False)])
    seeder.join(ids)
    with pytest.raises(UsageError) as caught:
        drill(seeder.outputs(), "spot-interruption")
    assert "none of its 1 running GPU instance(s) is a Spot instance" in caught.value.message
    assert "aws:ec2:send-spot-instance-interruptions" in (caught.value.hint or "")
    assert templates() == [] and instance_state(ids[0]) == "running"
