"""The stand-in's AWS provider in an emulator (pulumi_standin/aws): where its calls go, and what happens
when a mapping or AWS says no. The whole program against moto is tests/e2e/test_end_to_end.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pulumi_standin import schema
from pulumi_standin.aws import RESOURCES, AwsFailure, Emulator
from pulumi_standin.aws.core import Account, NotEmulated

REGION = "eu-west-1"
PROVIDER = "urn:pulumi:s::p::pulumi:providers:aws::aws::1"
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def provider_inputs(**config: Any) -> dict[str, Any]:
    """Inputs of a `pulumi:providers:aws` resource as the SDK sends them: nested values JSON-encoded."""
    return {key: json.dumps(value) if isinstance(value, dict | list) else value for key, value in config.items()}


def test_endpoints_resolve_in_the_providers_order() -> None:
    environ = {"AWS_ENDPOINT_URL_ECS": "http://ecs-env", "AWS_ENDPOINT_URL": "http://base-env"}
    configured = Account(
        provider_inputs(region=REGION, endpoints=[{"ecs": "http://ecs-config", "cloudwatchlogs": "http://logs-alias"}]),
        "us-east-1",
        environ,
    )
    # the provider's `endpoints` (any of a service's keys), then AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL
    assert configured.endpoint("ecs") == "http://ecs-config"
    assert configured.endpoint("logs") == "http://logs-alias"
    assert configured.endpoint("ec2") == "http://base-env"
    assert Account(provider_inputs(region=REGION), "us-east-1", environ).endpoint("ecs") == "http://ecs-env"
    assert configured.region == REGION and configured.emulated


def test_without_any_endpoint_the_stand_in_answers_canned_and_never_calls_aws() -> None:
    plain = Account(provider_inputs(region=REGION), "us-east-1", {})
    assert not plain.emulated
    with pytest.raises(NotEmulated, match="never calls real AWS"):
        plain.endpoint("ec2")
    emulator = Emulator({})
    emulator.configure(PROVIDER, provider_inputs(region=REGION), "us-east-1")
    assert emulator.account(PROVIDER, "aws:ec2/vpc:Vpc") is None  # canned
    knob = Emulator({"AWS_ENDPOINT_URL": "http://emulator", "PULUMI_STANDIN_AWS": "canned"})
    knob.configure(PROVIDER, provider_inputs(region=REGION), "us-east-1")
    assert knob.account(PROVIDER, "aws:ec2/vpc:Vpc") is None  # the tests' knob wins
    partial = Account(provider_inputs(region=REGION, endpoints=[{"ecs": "http://emulator"}]), "us-east-1", {})
    with pytest.raises(NotEmulated, match="AWS_ENDPOINT_URL_EC2"):
        partial.endpoint("ec2")  # an endpoint for ECS only: EC2 calls would go to real AWS, so they fail


def emulator_at(url: str) -> tuple[Emulator, Any]:
    emulator = Emulator(KEYS)
    emulator.configure(
        PROVIDER,
        provider_inputs(
            region=REGION, endpoints=[{"ec2": url, "sts": url, "logs": url}], defaultTags={"tags": {"team": "ml"}}
        ),
        "us-east-1",
    )
    account = emulator.account(PROVIDER, "aws:ec2/vpc:Vpc")
    assert account is not None
    return emulator, account


def test_an_input_the_mapping_does_not_pass_on_fails_the_step_instead_of_vanishing() -> None:
    emulator, account = emulator_at("http://127.0.0.1:9")  # nothing is called
    with pytest.raises(AwsFailure) as failure:
        emulator.create(account, "aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16", "ipv6IpamPoolId": "pool"}, {})
    assert "does not pass on ipv6IpamPoolId" in str(failure.value)
    assert "internal/service/ec2/vpc_.go" in str(failure.value)
    with pytest.raises(AwsFailure, match="cannot change instanceTenancy in place"):
        emulator.update(
            account, "aws:ec2/vpc:Vpc", "vpc", "vpc-1", {}, {"instanceTenancy": "dedicated"}, ["instanceTenancy"]
        )


def test_what_aws_rejects_fails_the_step_with_the_providers_message(aws: str) -> None:
    emulator, account = emulator_at(aws)
    subnet = {"vpcId": "vpc-0a1b2c3d4e5f67890", "cidrBlock": "10.0.1.0/24", "availabilityZone": "eu-west-1a"}
    with pytest.raises(AwsFailure) as failure:
        emulator.create(account, "aws:ec2/subnet:Subnet", "private-subnet-1", subnet, {})
    message = str(failure.value)
    assert message.startswith("creating EC2 Subnet (private-subnet-1): operation error EC2: CreateSubnet,")
    assert "StatusCode: 400" in message and "InvalidVpcID.NotFound" in message


def test_create_update_delete_reach_the_emulator_with_the_providers_default_tags(aws: str) -> None:
    emulator, account = emulator_at(aws)
    logs = boto3.client("logs", region_name=REGION)
    group = "aws:cloudwatch/logGroup:LogGroup"
    name, outputs = emulator.create(account, group, "log-group", {"name": "/ftcluster/demo", "retentionInDays": 7}, {})
    assert (
        name == "/ftcluster/demo" and outputs["arn"] == f"arn:aws:logs:{REGION}:123456789012:log-group:/ftcluster/demo"
    )
    assert outputs["tagsAll"] == {"team": "ml"}
    found = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]
    assert found["retentionInDays"] == 7
    assert logs.list_tags_for_resource(resourceArn=outputs["arn"])["tags"] == {"team": "ml"}
    emulator.update(
        account, group, "log-group", name, outputs, {"name": name, "retentionInDays": 30}, ["retentionInDays"]
    )
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["retentionInDays"] == 30
    emulator.delete(account, group, "log-group", name, outputs)
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] == []


def test_lookups_answer_from_the_emulator(aws: str) -> None:
    emulator, _ = emulator_at(aws)
    zones = emulator.invoke(PROVIDER, "aws:index/getAvailabilityZones:getAvailabilityZones", {"state": "available"})
    assert zones is not None and zones["names"][:2] == ["eu-west-1a", "eu-west-1b"]
    assert all(zone_id.startswith("euw1-az") for zone_id in zones["zoneIds"])
    # computed by the provider itself: no AWS call, the canned answer stands
    assert emulator.invoke(PROVIDER, "aws:index/getPartition:getPartition", {}) is None


def test_every_mapping_names_its_source_and_creates_and_deletes() -> None:
    for type_, mapping in RESOURCES.items():
        assert mapping.source.startswith("internal/service/") and mapping.source.endswith(".go"), type_
        assert mapping.updatable <= mapping.inputs | {"tags", "tagsAll"}, type_


def test_a_spot_fleet_is_replaced_by_a_new_template_version_and_resized_in_place() -> None:
    """What ModifySpotFleetRequest can change is all that updates in place (ec2_spot_fleet_request.go)."""
    fleet = "aws:ec2/spotFleetRequest:SpotFleetRequest"
    configs = {"launchTemplateConfigs": [{"launchTemplateSpecification": {"id": "lt-1", "version": "2"}}]}
    old = {"launchTemplateConfigs": [{"launchTemplateSpecification": {"id": "lt-1", "version": "1"}}]}
    assert schema.replace_keys(fleet, {"launchTemplateConfigs"}, configs, old, []) == ["launchTemplateConfigs"]
    assert schema.replace_keys(fleet, {"targetCapacity", "onDemandTargetCapacity"}, {}, {}, []) == []
    assert RESOURCES[fleet].updatable >= {"targetCapacity", "onDemandTargetCapacity"}


def test_mappings_the_program_does_not_use_yet_work_in_the_emulator(aws: str) -> None:
    """EventBridge rule and target, a log resource policy and a separate security group rule: created,
    visible in AWS as declared, and deleted (the end-to-end test covers the program's own types)."""
    emulator = Emulator(KEYS)
    services = ["ec2", "sts", "logs", "events"]
    emulator.configure(PROVIDER, provider_inputs(region=REGION, endpoints=[dict.fromkeys(services, aws)]), "us-east-1")
    account = emulator.account(PROVIDER, "aws:cloudwatch/eventRule:EventRule")
    assert account is not None
    events, ec2 = boto3.client("events", region_name=REGION), boto3.client("ec2", region_name=REGION)
    pattern = json.dumps({"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"]})
    rule_type, target_type = "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget"
    rule_id, rule = emulator.create(account, rule_type, "tasks", {"name": "demo-tasks", "eventPattern": pattern}, {})
    target_inputs = {
        "rule": "demo-tasks",
        "targetId": "ledger",
        "arn": f"arn:aws:logs:{REGION}:123456789012:log-group:x",
    }
    target_id, target = emulator.create(account, target_type, "ledger", target_inputs, {})
    assert (rule_id, target_id) == ("demo-tasks", "demo-tasks-ledger")
    assert json.loads(events.describe_rule(Name="demo-tasks")["EventPattern"]) == json.loads(pattern)
    assert [t["Id"] for t in events.list_targets_by_rule(Rule="demo-tasks")["Targets"]] == ["ledger"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    policy_type = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
    emulator.create(account, policy_type, "events-to-logs", {"policyName": "demo", "policyDocument": policy}, {})
    group = ec2.create_security_group(GroupName="demo", Description="d")["GroupId"]
    rule_inputs = {
        "securityGroupId": group,
        "ipProtocol": "tcp",
        "fromPort": 29500,
        "toPort": 29500,
        "cidrIpv4": "10.0.0.0/16",
    }
    ingress = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
    rule_id_sg, _ = emulator.create(account, ingress, "port", rule_inputs, {})
    assert rule_id_sg.startswith("sgr-")
    for type_, name, resource_id, outputs in (
        (target_type, "ledger", target_id, target),  # outputs carry the inputs the delete needs
        (rule_type, "tasks", rule_id, rule),
        (policy_type, "events-to-logs", "demo", {"policyName": "demo"}),
        (ingress, "port", rule_id_sg, rule_inputs),
    ):
        emulator.delete(account, type_, name, resource_id, outputs)
    assert events.list_rules(NamePrefix="demo")["Rules"] == []
    assert boto3.client("logs", region_name=REGION).describe_resource_policies()["resourcePolicies"] == []
    left = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]
    assert rule_id_sg not in {r["SecurityGroupRuleId"] for r in left}
