"""`find_leftovers` against moto server: tagged survivors, the kept checkpoint bucket, the VPC's contents."""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any

import boto3
from rich.console import Console

from ftcluster.aws import AwsSession
from ftcluster.cli.live_view import render_leftovers
from ftcluster.live.leftovers import _eni_note, _parse_arn, find_leftovers

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
    group = ec2.create_security_group(
        GroupName="demo-tasks", Description="d", VpcId=vpc, TagSpecifications=tags("security-group")
    )["GroupId"]
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[group])["NetworkInterface"]["NetworkInterfaceId"]
    boto3.client("logs", region_name=REGION).create_log_group(
        logGroupName="/ftcluster/demo", tags={"ftcluster:cluster": "demo"}
    )
    iam = boto3.client("iam", region_name=REGION)
    ours = [{"Key": "ftcluster:cluster", "Value": "demo"}]
    iam.create_role(RoleName="demo-us-east-1-task", Path="/ftcluster/", AssumeRolePolicyDocument="{}", Tags=ours)
    iam.create_role(
        RoleName="other-us-east-1-task",
        Path="/ftcluster/",
        AssumeRolePolicyDocument="{}",
        Tags=[{"Key": "ftcluster:cluster", "Value": "other"}],
    )
    iam.create_instance_profile(InstanceProfileName="demo-us-east-1-instance", Path="/ftcluster/", Tags=ours)
    bucket("demo-checkpoints")

    report = find_leftovers("demo", REGION, vpc_id=vpc, checkpoint_bucket="demo-checkpoints")
    found = {(i.kind, i.id): i for i in report.items}
    assert set(found) == {
        ("ec2 security-group", group),
        ("ec2 network-interface", eni),
        ("logs log-group", "/ftcluster/demo"),
        ("iam role", "demo-us-east-1-task"),
        ("iam instance-profile", "demo-us-east-1-instance"),
        ("s3 bucket", "demo-checkpoints"),
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
        ("ec2 vpc", vpc): "tag, vpc",
        ("ec2 subnet", subnet): "vpc",
        ("ec2 security-group", group): "vpc",
        ("ec2 internet-gateway", gateway): "vpc",
        ("ec2 route-table", table): "vpc",
    }  # the default security group and main route table go with the VPC: not listed


def test_a_nat_gateways_network_interface_is_named_as_its_not_as_a_tasks(live_aws: str) -> None:
    """Seen end to end (tests/e2e): the interface a NAT gateway holds in its subnet was reported as one
    that blocks deleting the subnet (moto's shape) or as an ECS task's (AWS's: requester-managed)."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tags("vpc"))["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    address = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=address)["NatGateway"]
    interface = nat["NatGatewayAddresses"][0]["NetworkInterfaceId"]

    found = {i.id: i for i in find_leftovers("demo", REGION, vpc_id=vpc).items}
    assert (
        found[interface].note
        == f"the network interface of NAT gateway {nat['NatGatewayId']}: it goes with the NAT gateway"
    )
    assert found[nat["NatGatewayId"]].note == "costs money every hour"
    # as EC2 describes one (NetworkInterface.InterfaceType, RequesterManaged) when its NAT gateway is not listed
    aws_shape = {
        "InterfaceType": "natGateway",
        "RequesterManaged": True,
        "Description": "Interface for NAT Gateway nat-1",
    }
    assert _eni_note(aws_shape) == "the network interface of a NAT gateway: it goes with the NAT gateway"
    task = {
        "InterfaceType": "interface",
        "RequesterManaged": True,
        "Description": "arn:aws:ecs:us-east-1:1:attachment/x",
    }
    assert _eni_note(task).startswith("made by ECS for a task")


def test_gone_vpc_and_terminated_instances_are_not_leftovers(live_aws: str) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, TagSpecifications=tags("instance"))[
        "Instances"
    ][0]["InstanceId"]
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


def fleet_leftovers(cluster: str = "demo", *, tagged: bool = True, services: bool = True) -> dict[str, Any]:
    """An Auto Scaling group with one instance, its capacity provider and an elastic job's Cloud Map
    namespace with two services, as a destroy that stopped half-way leaves them.

    moto ignores ListServices' NAMESPACE_ID filter (it lists every service of the region), so a second
    cluster gets no services of its own here: the filter itself is AWS's to prove."""
    ec2, asg = boto3.client("ec2", region_name=REGION), boto3.client("autoscaling", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    template = ec2.create_launch_template(
        LaunchTemplateName=f"{cluster}-fleet",
        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "g5.xlarge"},
    )
    ours = [{"Key": "ftcluster:cluster", "Value": cluster, "PropagateAtLaunch": True}] if tagged else []
    asg.create_auto_scaling_group(
        AutoScalingGroupName=f"{cluster}-gpu",
        MinSize=0,
        MaxSize=2,
        DesiredCapacity=1,
        VPCZoneIdentifier=subnet,
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"]},
        Tags=ours,
    )
    arn = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{cluster}-gpu"])["AutoScalingGroups"][0][
        "AutoScalingGroupARN"
    ]
    boto3.client("ecs", region_name=REGION).create_capacity_provider(
        name=f"{cluster}-gpu", autoScalingGroupProvider={"autoScalingGroupArn": arn}
    )
    cloud_map = boto3.client("servicediscovery", region_name=REGION)
    cloud_map.create_private_dns_namespace(Name=f"{cluster}.ftcluster", Vpc=vpc)
    namespace = next(n["Id"] for n in cloud_map.list_namespaces()["Namespaces"] if n["Name"] == f"{cluster}.ftcluster")
    created = [
        cloud_map.create_service(
            Name=name,
            NamespaceId=namespace,
            DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]},
        )["Service"]["Id"]
        for name in (("workers", "rendezvous") if services else ())
    ]
    instances = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{cluster}-gpu"])["AutoScalingGroups"][0][
        "Instances"
    ]
    return {"namespace": namespace, "services": created, "vpc": vpc, "instances": [i["InstanceId"] for i in instances]}


def test_what_the_tagging_api_does_not_list_is_found_by_tag_and_name(live_aws: str) -> None:
    seeded = fleet_leftovers()
    fleet_leftovers("other", services=False)  # another cluster's: not ours
    report = find_leftovers("demo", REGION)
    found = {(i.kind, i.id): i for i in report.items}
    assert set(found) == {
        ("autoscaling auto-scaling-group", "demo-gpu"),
        ("ecs capacity-provider", "demo-gpu"),
        ("ec2 instance", seeded["instances"][0]),  # the group propagates the cluster tag to its instances
        ("servicediscovery namespace", seeded["namespace"]),
        *(("servicediscovery service", s) for s in seeded["services"]),
    }
    group = found[("autoscaling auto-scaling-group", "demo-gpu")]
    assert group.found_by == "tag, name" and "1 instance(s) still in it" in (group.note or "")
    assert "demo.ftcluster" in (found[("servicediscovery namespace", seeded["namespace"])].note or "")
    assert not report.clean and "LEFTOVER" in rendered(report)


def test_an_untagged_group_with_the_programs_name_is_found_and_deleted_ones_are_not(live_aws: str) -> None:
    seeded = fleet_leftovers(tagged=False)
    found = {(i.kind, i.found_by) for i in find_leftovers("demo", REGION).items}
    assert ("autoscaling auto-scaling-group", "name") in found
    boto3.client("autoscaling", region_name=REGION).delete_auto_scaling_group(
        AutoScalingGroupName="demo-gpu", ForceDelete=True
    )
    boto3.client("ecs", region_name=REGION).delete_capacity_provider(capacityProvider="demo-gpu")
    cloud_map = boto3.client("servicediscovery", region_name=REGION)
    for service in seeded["services"]:
        cloud_map.delete_service(Id=service)
    cloud_map.delete_namespace(Id=seeded["namespace"])
    assert [i.kind for i in find_leftovers("demo", REGION).items] == []


def test_json_shape(live_aws: str) -> None:
    bucket("demo-checkpoints")
    data = json.loads(json.dumps(find_leftovers("demo", REGION).to_dict()))
    assert data["clean"] is True and data["unexpected"] == 0
    assert data["items"][0] == {
        "kind": "s3 bucket",
        "id": "demo-checkpoints",
        "arn": "arn:aws:s3:::demo-checkpoints",
        "found_by": "tag",
        "expected": True,
        "note": "checkpoint bucket: kept on destroy so training state survives",
    }


def test_arn_parsing() -> None:
    assert _parse_arn("arn:aws:ecs:us-east-1:1:service/demo/demo-train") == ("ecs", "service", "demo/demo-train")
    assert _parse_arn("arn:aws:logs:us-east-1:1:log-group:/ftcluster/demo:*") == (
        "logs",
        "log-group",
        "/ftcluster/demo",
    )
    assert _parse_arn("arn:aws:s3:::bucket-a") == ("s3", "bucket", "bucket-a")
    assert _parse_arn("arn:aws:ec2:us-east-1:1:security-group/sg-1") == ("ec2", "security-group", "sg-1")
    assert _parse_arn("arn:aws:sns:us-east-1:1:topic-name") == ("sns", "", "topic-name")


# --- batched look-ups ------------------------------------------------------------------------------


def count_calls(session: AwsSession, services: tuple[str, ...]) -> Counter[str]:
    """Every API call the session's clients make, by "service.Operation" (botocore's before-call event)."""
    calls: Counter[str] = Counter()
    for service in services:
        client = session.client(service)
        client.meta.events.register(
            "before-call", lambda model, **_: calls.update([f"{model.service_model.service_name}.{model.name}"])
        )
    return calls


def seed_300_tagged_resources() -> dict[str, int]:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tags("vpc"))["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", TagSpecifications=tags("subnet"))["Subnet"]["SubnetId"]
        for i in range(60)
    ]
    for i in range(100):
        ec2.create_security_group(
            GroupName=f"demo-{i}", Description="d", VpcId=vpc, TagSpecifications=tags("security-group")
        )
    for i in range(40):
        ec2.create_network_interface(SubnetId=subnets[i], TagSpecifications=tags("network-interface"))
    logs = boto3.client("logs", region_name=REGION)
    for i in range(20):
        logs.create_log_group(
            logGroupName=f"/ftcluster/demo{'' if i == 0 else f'/{i}'}", tags={"ftcluster:cluster": "demo"}
        )
    ecs = boto3.client("ecs", region_name=REGION)
    ours = [{"key": "ftcluster:cluster", "value": "demo"}]
    ecs.create_cluster(clusterName="demo", tags=ours)
    for i in range(30):
        family = "demo-training" if i % 2 else "demo-fleet-workers"
        ecs.register_task_definition(
            family=family, containerDefinitions=[{"name": "c", "image": "i", "memory": 512}], tags=ours
        )
        ecs.create_service(
            cluster="demo", serviceName=f"demo-{i}", taskDefinition=f"{family}:1", desiredCount=0, tags=ours
        )
    for i in range(3):
        bucket(f"demo-checkpoints-{i}")
    return {"ec2": 1 + 60 + 100 + 40, "logs": 20, "ecs": 1 + 30 + 30, "s3": 3}


# DescribeAutoScalingGroups by tag and by name, DescribeCapacityProviders, ListNamespaces, the job-completed
# rule's DescribeRule, and the ledger's: ListRules, DescribeResourcePolicies, ListExperimentTemplates
UNTAGGED_CALLS = 8


def test_state_look_ups_are_batched_by_kind(live_aws: str) -> None:
    seeded = seed_300_tagged_resources()
    session = AwsSession(REGION)
    calls = count_calls(
        session,
        (
            "resourcegroupstaggingapi",
            "ec2",
            "ecs",
            "logs",
            "s3",
            "iam",
            "autoscaling",
            "servicediscovery",
            "events",
            "fis",
        ),
    )
    report = find_leftovers("demo", REGION, session=session)  # no vpc_id: as `destroy --verify-only`
    found = Counter(item.kind.split()[0] for item in report.items if "tag" in item.found_by)
    assert found == seeded  # every survivor is still reported ...
    # ... with a few calls per kind, not one per resource (was 523 for 302), plus a fixed few for what
    # the tagging API does not list
    assert sum(calls.values()) <= 45 + UNTAGGED_CALLS, calls
    untagged = calls["autoscaling.DescribeAutoScalingGroups"] + calls["ecs.DescribeCapacityProviders"]
    untagged += calls["events.ListRules"] + calls["events.DescribeRule"]
    untagged += calls["logs.DescribeResourcePolicies"] + calls["fis.ListExperimentTemplates"]
    assert untagged + calls["servicediscovery.ListNamespaces"] == UNTAGGED_CALLS, calls
    assert calls["ec2.DescribeSecurityGroups"] <= 3 and calls["ecs.DescribeServices"] == 3  # 10 services per call


# --- IAM: the cluster's names in this region ---------------------------------------------------------


def test_iam_roles_of_the_same_cluster_name_in_another_region_are_not_leftovers(live_aws: str) -> None:
    iam = boto3.client("iam", region_name=REGION)
    ours = [{"Key": "ftcluster:cluster", "Value": "demo"}]
    for region in ("us-east-1", "eu-west-1"):
        for suffix in ("execution", "task", "instance", "spot-fleet"):
            iam.create_role(
                RoleName=f"demo-{region}-{suffix}", Path="/ftcluster/", AssumeRolePolicyDocument="{}", Tags=ours
            )
        iam.create_instance_profile(InstanceProfileName=f"demo-{region}-instance", Path="/ftcluster/", Tags=ours)
    # a cluster whose name starts like ours: its roles are not ours either
    iam.create_role(
        RoleName="demo-us-east-1-us-east-1-task",
        Path="/ftcluster/",
        AssumeRolePolicyDocument="{}",
        Tags=[{"Key": "ftcluster:cluster", "Value": "demo-us-east-1"}],
    )
    report = find_leftovers("demo", "eu-west-1")
    assert sorted((i.kind, i.id) for i in report.items) == [
        ("iam instance-profile", "demo-eu-west-1-instance"),
        ("iam role", "demo-eu-west-1-execution"),
        ("iam role", "demo-eu-west-1-instance"),
        ("iam role", "demo-eu-west-1-spot-fleet"),
        ("iam role", "demo-eu-west-1-task"),
    ]


def test_iam_names_match_what_the_program_creates() -> None:
    from ftcluster.live.leftovers import iam_names
    from ftcluster.program.names import names_for
    from ftcluster.spec import Spec

    names = names_for(Spec.model_validate({"name": "demo", "region": "eu-west-1", "training": {"image": "t:1"}}))
    roles, profiles = iam_names("demo", "eu-west-1")
    assert roles == {
        names.execution_role,
        names.task_role,
        names.instance_role,
        names.fleet_role,
        names.completion_events_role,
        names.completion_steps_role,
    }
    assert profiles == {names.instance_profile}


def test_the_names_without_a_spec_are_the_names_the_program_gives() -> None:
    from ftcluster.program.names import cluster_names, names_for
    from ftcluster.spec import Spec

    spec = {"name": "demo", "region": "eu-west-1", "training": {"image": "t:1"}}
    assert cluster_names("demo", "eu-west-1") == names_for(Spec.model_validate(spec))
    spot = {**spec, "fleet": {"type": "spot_fleet", "instances": 1, "instance_types": ["g5.xlarge"]}}
    assert cluster_names("demo", "eu-west-1", spot_fleet=True) == names_for(Spec.model_validate(spot))


# --- destroy --verify-only: no stack outputs, so no vpc_id -------------------------------------------


def test_without_a_vpc_id_the_clusters_vpc_is_found_by_its_tag(live_aws: str) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tags("vpc"))["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]  # untagged, as ECS makes
    enis = {
        ec2.create_network_interface(SubnetId=subnet, Description="arn:aws:ecs:us-east-1:1:attachment/x")[
            "NetworkInterface"
        ]["NetworkInterfaceId"]
        for _ in range(30)
    }
    report = find_leftovers("demo", REGION)
    found = {i.id for i in report.items if i.kind == "ec2 network-interface"}
    assert found == enis  # all 30 (the check used to look in no VPC at all without stack outputs)
    assert report.vpc_id == vpc


def test_without_a_vpc_id_a_users_vpc_is_searched_for_enis_of_our_groups(live_aws: str) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]  # the user's: untagged
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(
        GroupName="demo-tasks", Description="d", VpcId=vpc, TagSpecifications=tags("security-group")
    )["GroupId"]
    ours = {
        ec2.create_network_interface(SubnetId=subnet, Groups=[group])["NetworkInterface"]["NetworkInterfaceId"]
        for _ in range(5)
    }
    for _ in range(3):
        ec2.create_network_interface(SubnetId=subnet)  # the user's own, default group
    report = find_leftovers("demo", REGION)
    assert {i.id for i in report.items if i.kind == "ec2 network-interface"} == ours
    assert ("ec2 vpc", vpc) not in {(i.kind, i.id) for i in report.items}


def test_resources_the_tagging_api_still_lists_after_deletion_are_checked(monkeypatch: Any) -> None:
    """The tagging API lags behind deletions; each listed resource is looked up before it is blamed."""
    from botocore.stub import Stubber

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    session = AwsSession(REGION)
    tagging, ec2, logs, iam = (
        Stubber(session.client(name)) for name in ("resourcegroupstaggingapi", "ec2", "logs", "iam")
    )
    arn = "arn:aws:ec2:us-east-1:1:{}"
    tagging.add_response(
        "get_resources",
        {
            "ResourceTagMappingList": [
                {"ResourceARN": arn.format("security-group/sg-0000000000000000a")},
                {"ResourceARN": arn.format("natgateway/nat-0000000000000000b")},
                {"ResourceARN": arn.format("security-group/sg-0000000000000000c")},
                {"ResourceARN": "arn:aws:logs:us-east-1:1:log-group:/ftcluster/demo"},
            ]
        },
    )
    both = {"Filters": [{"Name": "group-id", "Values": ["sg-0000000000000000a", "sg-0000000000000000c"]}]}
    ec2.add_response(
        "describe_security_groups",
        {
            "SecurityGroups": [  # one call for both; sg-a was deleted
                {"GroupId": "sg-0000000000000000c", "GroupName": "x"}
            ]
        },
        both,
    )
    ec2.add_response(
        "describe_nat_gateways", {"NatGateways": [{"NatGatewayId": "nat-0000000000000000b", "State": "deleted"}]}
    )
    logs.add_response(
        "describe_log_groups", {"logGroups": [{"logGroupName": "/ftcluster/demo-old"}]}
    )  # only a prefix match
    iam.add_client_error("list_roles", "AccessDenied", "not allowed")
    groups, ecs, cloud_map = (Stubber(session.client(name)) for name in ("autoscaling", "ecs", "servicediscovery"))
    groups.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": []})  # by tag
    groups.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": []})  # by name
    ecs.add_response(
        "describe_capacity_providers",
        {
            "capacityProviders": [],
            "failures": [{"arn": "arn:aws:ecs:us-east-1:1:capacity-provider/demo-gpu", "reason": "MISSING"}],
        },
    )
    cloud_map.add_response("list_namespaces", {"Namespaces": []})
    events, fis = Stubber(session.client("events")), Stubber(session.client("fis"))
    events.add_response("list_rules", {"Rules": []}, {"NamePrefix": "demo-"})  # the ledger's rules
    logs.add_response("describe_resource_policies", {"resourcePolicies": []})
    fis.add_response("list_experiment_templates", {"experimentTemplates": []})
    # the job-completed rule, looked up by its name
    events.add_client_error("describe_rule", "ResourceNotFoundException", "Rule demo-job-completed does not exist")
    with tagging, ec2, logs, iam, groups, ecs, cloud_map, events, fis:
        report = find_leftovers("demo", REGION, session=session)
    assert [(i.kind, i.id) for i in report.items] == [("ec2 security-group", "sg-0000000000000000c")]
    assert any(note.startswith("IAM roles not checked: listing IAM roles: access denied") for note in report.notes)


def test_what_ends_a_finished_job_is_found_after_a_destroy_that_left_it(live_aws: str) -> None:
    """The rule, the state machine, the jobs' parameters (tagged by the provider's default tags) and the two
    roles (by name); once deleted, none is a leftover although the tagging API may still list it."""
    from ftcluster.program.names import names_for
    from ftcluster.spec import Spec

    names = names_for(Spec.model_validate({"name": "demo", "region": REGION, "training": {"image": "t:1"}}))
    ours = [{"Key": "ftcluster:cluster", "Value": "demo"}]
    events = boto3.client("events", region_name=REGION)
    events.put_rule(Name=names.completion_rule, EventPattern='{"source": ["aws.ecs"]}', Tags=ours)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = sfn.create_state_machine(
        name=names.completion_state_machine,
        definition='{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}',
        roleArn="arn:aws:iam::123456789012:role/x",
        tags=[{"key": "ftcluster:cluster", "value": "demo"}],
    )["stateMachineArn"]
    ssm = boto3.client("ssm", region_name=REGION)
    for job in ("training", "workers"):
        ssm.put_parameter(Name=names.completion_parameter(job), Value="{}", Type="String", Tags=ours)
    iam = boto3.client("iam", region_name=REGION)
    for role in (names.completion_events_role, names.completion_steps_role):
        iam.create_role(RoleName=role, Path="/ftcluster/", AssumeRolePolicyDocument="{}", Tags=ours)

    report = find_leftovers("demo", REGION)
    found = {(i.kind, i.id) for i in report.items}
    # moto's tagging API lists no EventBridge rule (AWS's does): the rule is also looked up by its name
    assert next(i for i in report.items if i.kind == "events rule").found_by in ("name", "tag, name")
    assert found == {
        ("events rule", names.completion_rule),
        ("states stateMachine", names.completion_state_machine),
        ("ssm parameter", "ftcluster/demo/completed/training"),
        ("ssm parameter", "ftcluster/demo/completed/workers"),
        ("iam role", names.completion_events_role),
        ("iam role", names.completion_steps_role),
    }

    events.delete_rule(Name=names.completion_rule)
    sfn.delete_state_machine(stateMachineArn=machine)
    ssm.delete_parameters(Names=[names.completion_parameter(job) for job in ("training", "workers")])
    for role in (names.completion_events_role, names.completion_steps_role):
        iam.delete_role(RoleName=role)
    assert find_leftovers("demo", REGION).items == []


# --- the interruption ledger and drills ------------------------------------------------------------


def test_the_ledgers_rules_and_policy_and_a_drills_fis_leftovers_are_found(live_aws: str) -> None:
    from live_seed import Seeder

    seeder = Seeder()
    seeder.recording()  # the log group, its resource policy, the tasks and drills rules
    events = boto3.client("events", region_name=REGION)
    events.put_rule(Name="demo-2-tasks", EventPattern='{"source": ["aws.ecs"]}')  # another cluster's
    iam = boto3.client("iam", region_name=REGION)
    trust = json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": {"Service": "fis.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    )
    iam.create_role(RoleName="demo-us-east-1-drill-3f2a", Path="/ftcluster/", AssumeRolePolicyDocument=trust)
    fis = boto3.client("fis", region_name=REGION)
    template = fis.create_experiment_template(
        description="d", stopConditions=[{"source": "none"}], roleArn="arn:aws:iam::123456789012:role/x",
        actions={"a": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}},
        tags={"ftcluster:cluster": "demo"},
    )["experimentTemplate"]["id"]  # fmt: skip
    report = find_leftovers("demo", REGION)
    found = {(i.kind, i.id) for i in report.items}
    assert {
        ("events rule", "demo-tasks"),
        ("events rule", "demo-drills"),
        ("logs resource-policy", "ftcluster-demo-events"),
        ("logs log-group", "/aws/events/ftcluster/demo"),
        ("iam role", "demo-us-east-1-drill-3f2a"),
        ("fis experiment-template", template),
    } <= found
    assert ("events rule", "demo-2-tasks") not in found and not report.clean
