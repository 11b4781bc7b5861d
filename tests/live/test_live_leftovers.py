"""`find_leftovers` against moto server: tagged survivors, the kept checkpoint bucket, the VPC's contents."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
from rich.console import Console

from ftcluster.live.leftovers import _parse_arn, find_leftovers
from ftcluster.cli.live_view import render_leftovers

REGION = "us-east-1"


def tags(kind: str, cluster: str = "demo") -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": "ftcluster:cluster", "Value": cluster}]}]


def rendered(report: Any) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(render_leftovers(report))
    return out.getvalue()


def bucket(name: str, cluster: str = "demo") -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=name)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "ftcluster:cluster", "Value": cluster}]})


def test_only_the_checkpoint_bucket_is_left(live_aws: str) -> None:
    bucket("demo-checkpoints")
    bucket("other-checkpoints", cluster="other")
    report = find_leftovers("demo", REGION)
    assert [(i.kind, i.id, i.expected) for i in report.items] == [("s3 bucket", "demo-checkpoints", True)]
    assert report.clean
    assert "nothing left behind" in rendered(report) and "kept" in rendered(report)


def test_a_deleted_checkpoint_bucket_is_a_leftover_when_it_should_be_gone(live_aws: str) -> None:
    bucket("demo-checkpoints")
    report = find_leftovers("demo", REGION, checkpoints_kept=False)
    assert not report.clean and report.unexpected[0].id == "demo-checkpoints"


def test_tagged_survivors_in_a_users_vpc(live_aws: str) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]  # the user's: untagged
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="demo-tasks", Description="d", VpcId=vpc,
                                      TagSpecifications=tags("security-group"))["GroupId"]
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[group])["NetworkInterface"]["NetworkInterfaceId"]
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName="/ftcluster/demo",
                                                               tags={"ftcluster:cluster": "demo"})
    iam = boto3.client("iam", region_name=REGION)
    ours = [{"Key": "ftcluster:cluster", "Value": "demo"}]
    iam.create_role(RoleName="demo-task-role", Path="/ftcluster/", AssumeRolePolicyDocument="{}", Tags=ours)
    iam.create_role(RoleName="other-task-role", Path="/ftcluster/", AssumeRolePolicyDocument="{}",
                    Tags=[{"Key": "ftcluster:cluster", "Value": "other"}])
    iam.create_instance_profile(InstanceProfileName="demo-instances", Path="/ftcluster/", Tags=ours)
    bucket("demo-checkpoints")

    report = find_leftovers("demo", REGION, vpc_id=vpc, checkpoint_bucket="demo-checkpoints")
    found = {(i.kind, i.id): i for i in report.items}
    assert set(found) == {
        ("ec2 security-group", group), ("ec2 network-interface", eni), ("logs log-group", "/ftcluster/demo"),
        ("iam role", "demo-task-role"), ("iam instance-profile", "demo-instances"), ("s3 bucket", "demo-checkpoints"),
    }
    assert ("ec2 vpc", vpc) not in found  # the user's VPC is not ours to report
    assert found[("ec2 network-interface", eni)].found_by == "vpc"
    assert "blocks deleting its security group" in (found[("ec2 network-interface", eni)].note or "")
    assert len(report.unexpected) == 5
    text = rendered(report)
    assert "5 resource(s) survived the destroy" in text and "LEFTOVER" in text


def test_everything_left_in_an_ftcluster_vpc(live_aws: str) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tags("vpc"))["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="demo-tasks", Description="d", VpcId=vpc)["GroupId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]

    report = find_leftovers("demo", REGION, vpc_id=vpc)
    found = {(i.kind, i.id): i.found_by for i in report.items}
    assert found == {
        ("ec2 vpc", vpc): "tag, vpc", ("ec2 subnet", subnet): "vpc", ("ec2 security-group", group): "vpc",
        ("ec2 internet-gateway", gateway): "vpc", ("ec2 route-table", table): "vpc",
    }  # the default security group and main route table go with the VPC: not listed


def test_gone_vpc_and_terminated_instances_are_not_leftovers(live_aws: str) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
                                 TagSpecifications=tags("instance"))["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[instance])
    report = find_leftovers("demo", REGION, vpc_id="vpc-0a1b2c3d4e5f67890")
    assert report.items == []
    assert "VPC vpc-0a1b2c3d4e5f67890 no longer exists" in report.notes
    assert "nothing left of cluster demo" in rendered(report)


def test_inactive_ecs_cluster_is_gone_but_an_active_one_is_left(live_aws: str) -> None:
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName="demo", tags=[{"key": "ftcluster:cluster", "value": "demo"}])
    assert [i.id for i in find_leftovers("demo", REGION).items] == ["demo"]
    ecs.delete_cluster(cluster="demo")
    assert find_leftovers("demo", REGION).items == []


def test_json_shape(live_aws: str) -> None:
    bucket("demo-checkpoints")
    data = json.loads(json.dumps(find_leftovers("demo", REGION).to_dict()))
    assert data["clean"] is True and data["unexpected"] == 0
    assert data["items"][0] == {
        "kind": "s3 bucket", "id": "demo-checkpoints", "arn": "arn:aws:s3:::demo-checkpoints", "found_by": "tag",
        "expected": True, "note": "checkpoint bucket: kept on destroy so training state survives",
    }


def test_arn_parsing() -> None:
    assert _parse_arn("arn:aws:ecs:us-east-1:1:service/demo/demo-train") == ("ecs", "service", "demo/demo-train")
    assert _parse_arn("arn:aws:logs:us-east-1:1:log-group:/ftcluster/demo:*") == ("logs", "log-group", "/ftcluster/demo")
    assert _parse_arn("arn:aws:s3:::bucket-a") == ("s3", "bucket", "bucket-a")
    assert _parse_arn("arn:aws:ec2:us-east-1:1:security-group/sg-1") == ("ec2", "security-group", "sg-1")
    assert _parse_arn("arn:aws:sns:us-east-1:1:topic-name") == ("sns", "", "topic-name")


def test_resources_the_tagging_api_still_lists_after_deletion_are_checked(monkeypatch: Any) -> None:
    """The tagging API lags behind deletions; each listed resource is looked up before it is blamed."""
    from botocore.stub import Stubber

    from ftcluster.aws import AwsSession

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    session = AwsSession(REGION)
    tagging, ec2, logs, iam = (Stubber(session.client(name)) for name in ("resourcegroupstaggingapi", "ec2", "logs", "iam"))
    arn = "arn:aws:ec2:us-east-1:1:{}"
    tagging.add_response("get_resources", {"ResourceTagMappingList": [
        {"ResourceARN": arn.format("security-group/sg-0000000000000000a")},
        {"ResourceARN": arn.format("natgateway/nat-0000000000000000b")},
        {"ResourceARN": arn.format("security-group/sg-0000000000000000c")},
        {"ResourceARN": "arn:aws:logs:us-east-1:1:log-group:/ftcluster/demo"},
    ]})
    ec2.add_response("describe_security_groups", {"SecurityGroups": []})  # deleted
    ec2.add_response("describe_nat_gateways", {"NatGateways": [{"NatGatewayId": "nat-0000000000000000b", "State": "deleted"}]})
    ec2.add_response("describe_security_groups", {"SecurityGroups": [{"GroupId": "sg-0000000000000000c", "GroupName": "x"}]})
    logs.add_response("describe_log_groups", {"logGroups": [{"logGroupName": "/ftcluster/demo-old"}]})  # only a prefix match
    iam.add_client_error("list_roles", "AccessDenied", "not allowed")
    with tagging, ec2, logs, iam:
        report = find_leftovers("demo", REGION, session=session)
    assert [(i.kind, i.id) for i in report.items] == [("ec2 security-group", "sg-0000000000000000c")]
    assert any(note.startswith("IAM roles not checked: listing IAM roles: access denied") for note in report.notes)
