"""The interruption ledger's recording under the mock runtime: one rule per source into the cluster's
event log group, which EventBridge may write to, kept as long as the other logs."""

from __future__ import annotations

import json

from program_helpers import MINIMAL, merged

from ftcluster.offline import OfflinePlan, placeholder

GROUP_ARN = placeholder("ARN of event-log-group")


def ledger(plan: OfflinePlan, type_token: str) -> list:
    """The ledger's resources of a type (the job-completed rule is an EventBridge rule too)."""
    return [r for r in plan.of_type(type_token) if r.name.startswith("event-")]


def rule_patterns(plan: OfflinePlan) -> dict[str, dict]:
    return {
        r.name.removeprefix("event-rule-"): json.loads(r.inputs["eventPattern"])
        for r in ledger(plan, "aws:cloudwatch/eventRule:EventRule")
    }


def test_an_auto_scaling_group_cluster_records_tasks_spot_notices_its_group_and_drills(us_east: OfflinePlan) -> None:
    found = rule_patterns(us_east)
    assert found == {
        "tasks": {
            "source": ["aws.ecs"],
            "detail-type": ["ECS Task State Change"],
            "detail": {"clusterArn": [placeholder("ARN of cluster")], "lastStatus": ["RUNNING", "STOPPED"]},
        },
        "spot": {
            "source": ["aws.ec2"],
            "detail-type": ["EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation"],
        },
        "instances": {
            "source": ["aws.autoscaling"],
            "detail-type": [
                "EC2 Instance Launch Successful",
                "EC2 Instance Launch Unsuccessful",
                "EC2 Instance Terminate Successful",
                "EC2 Instance Terminate Unsuccessful",
            ],
            "detail": {"AutoScalingGroupName": ["llm-pretrain-gpu"]},
        },
        "drills": {
            "source": ["ftcluster"],
            "detail-type": ["ftcluster Drill"],
            "detail": {"cluster": ["llm-pretrain"]},
        },
    }
    names = {r.name: r.inputs["name"] for r in ledger(us_east, "aws:cloudwatch/eventRule:EventRule")}
    assert names["event-rule-tasks"] == "llm-pretrain-tasks"


def test_a_spot_fleet_is_matched_by_its_request_arn(eu_central: OfflinePlan) -> None:
    instances = rule_patterns(eu_central)["instances"]
    assert instances["source"] == ["aws.ec2spotfleet"]
    (arn,) = instances["resources"]
    assert arn.startswith("arn:aws:ec2:eu-central-1:") and arn.endswith(
        ":spot-fleet-request/" + placeholder("id of spot-fleet")
    )


def test_without_a_fleet_only_tasks_and_drills_are_recorded(eu_west: OfflinePlan) -> None:
    assert set(rule_patterns(eu_west)) == {"tasks", "drills"}


def test_every_rule_delivers_to_the_event_log_group_without_a_role(us_east: OfflinePlan) -> None:
    targets = ledger(us_east, "aws:cloudwatch/eventTarget:EventTarget")
    assert len(targets) == len(ledger(us_east, "aws:cloudwatch/eventRule:EventRule")) == 4
    for target in targets:
        assert target.inputs["arn"] == GROUP_ARN
        assert "roleArn" not in target.inputs  # CloudWatch Logs targets go by the resource policy
        assert target.inputs["rule"] == us_east.by_name(target.name.removesuffix("-target")).inputs["name"]


def test_eventbridge_may_write_to_the_group_before_any_rule_exists(us_east: OfflinePlan) -> None:
    policy = us_east.by_name("event-log-policy")
    (statement,) = json.loads(policy.inputs["policyDocument"])["Statement"]
    assert statement["Principal"]["Service"] == ["events.amazonaws.com", "delivery.logs.amazonaws.com"]
    assert set(statement["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert statement["Resource"] == GROUP_ARN + ":*"  # the group's streams, nothing else
    assert policy.inputs["policyName"] == "ftcluster-llm-pretrain-events"
    for rule in ledger(us_east, "aws:cloudwatch/eventRule:EventRule"):
        assert "event-log-policy" in rule.dependencies, rule.name


def test_the_ledger_is_kept_as_long_as_the_other_logs(plan_for) -> None:
    plan = plan_for(merged(MINIMAL, {"logs": {"retention_days": 400}}))
    group = plan.by_name("event-log-group")
    assert group.inputs == {"name": "/aws/events/ftcluster/demo", "retentionInDays": 400}
    assert plan.by_name("log-group").inputs["retentionInDays"] == 400
    assert plan.exports["event_log_group"] == "/aws/events/ftcluster/demo"
