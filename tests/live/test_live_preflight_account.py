"""Preflight checks of what the account must already have: Spot service-linked roles, vCPU quotas,
a kept checkpoint bucket, an S3 gateway endpoint in an existing VPC.

On moto server, except the quotas: moto's Service Quotas knows only VPC quotas, so those answers come
from botocore's Stubber on the session's service-quotas client (instance types still from moto).
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from test_live_preflight import (
    by_id,
    existing_network,
    make_spec,
    spot_service_linked_roles,
)

from ftcluster.aws import AwsSession
from ftcluster.live.preflight import run_preflight

BUCKET = "demo-ckpt-123456789012-us-east-1"  # program/names.py for cluster demo, moto's account, us-east-1


# --- service-linked roles (iam:GetRole) -------------------------------------------------------------


def test_an_auto_scaling_group_needs_the_auto_scaling_and_ecs_roles_not_the_spot_ones(live_aws: str) -> None:
    check = by_id(run_preflight(make_spec()))["spot_roles"]  # fleet.type defaults to auto_scaling_group
    assert (check.level, check.title) == ("warn", "Service-linked roles")
    assert check.summary == "missing: AWSServiceRoleForAutoScaling, AWSServiceRoleForECS"
    assert check.fix == (
        "aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com; "
        "aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com"
    )
    assert "iam:CreateServiceLinkedRole" in check.details[0]
    assert "creates AWSServiceRoleForEC2Spot itself" in check.details[1]
    spot_service_linked_roles((("AWSServiceRoleForAutoScaling", "autoscaling"), ("AWSServiceRoleForECS", "ecs")))
    check = by_id(run_preflight(make_spec()))["spot_roles"]
    assert (check.level, check.summary) == ("pass", "AWSServiceRoleForAutoScaling and AWSServiceRoleForECS exist")


def test_missing_spot_roles_of_a_spot_fleet_warn_with_the_commands_that_create_them(live_aws: str) -> None:
    check = by_id(run_preflight(make_spec(fleet={"type": "spot_fleet"})))["spot_roles"]
    assert (check.level, check.summary) == ("warn", "missing: AWSServiceRoleForEC2Spot, AWSServiceRoleForEC2SpotFleet")
    assert check.fix == (
        "aws iam create-service-linked-role --aws-service-name spot.amazonaws.com; "
        "aws iam create-service-linked-role --aws-service-name spotfleet.amazonaws.com"
    )
    assert "AuthFailure.ServiceLinkedRoleCreationNotPermitted" in check.details[0]


def test_existing_spot_roles_pass(live_aws: str) -> None:
    spot_service_linked_roles()
    check = by_id(run_preflight(make_spec(fleet={"type": "spot_fleet"})))["spot_roles"]
    assert (check.level, check.summary) == ("pass", "AWSServiceRoleForEC2Spot and AWSServiceRoleForEC2SpotFleet exist")


def test_an_all_on_demand_spot_fleet_needs_only_the_spot_fleet_role(live_aws: str) -> None:
    spec = make_spec(fleet={"type": "spot_fleet", "max_instances": 1, "on_demand_capacity": 1})
    check = by_id(run_preflight(spec))["spot_roles"]
    assert check.summary == "missing: AWSServiceRoleForEC2SpotFleet"
    assert by_id(run_preflight(make_spec(fleet=None)))["spot_roles"].level == "skip"


# --- vCPU quotas (Service Quotas through Stubber, vCPUs per type from moto) ------------------------


def quotas_session(values: dict[str, float | None]) -> tuple[AwsSession, Stubber]:
    """A session whose service-quotas client answers `values` (None: NoSuchResource, then no default either)."""
    session = AwsSession("us-east-1")
    stub = Stubber(session.client("service-quotas"))
    for code in sorted(values):
        value = values[code]
        if value is None:
            for operation in ("get_service_quota", "get_aws_default_service_quota"):
                stub.add_client_error(
                    operation,
                    "NoSuchResourceException",
                    "no such quota",
                    expected_params={"ServiceCode": "ec2", "QuotaCode": code},
                )
        else:
            stub.add_response(
                "get_service_quota",
                {"Quota": {"QuotaCode": code, "Value": value}},
                {"ServiceCode": "ec2", "QuotaCode": code},
            )
    stub.activate()
    return session, stub


def quota_check(values: dict[str, float | None], **fleet: Any) -> Any:
    session, stub = quotas_session(values)
    fleet = {"max_instances": 3, "on_demand_capacity": 1, "instance_types": ["g5.xlarge", "g4dn.2xlarge"], **fleet}
    check = by_id(run_preflight(make_spec(fleet=fleet), session=session))["vcpu_quotas"]
    stub.assert_no_pending_responses()
    return check


G_ON_DEMAND, G_SPOT = "L-DB2E81BA", "L-3819A6DF"


def test_spot_quota_of_zero_fails(live_aws: str) -> None:
    check = quota_check({G_ON_DEMAND: 64, G_SPOT: 0})  # a new account's usual G and VT Spot quota
    assert (check.level, check.summary) == ("fail", "the Spot quotas hold 0 of the 2 Spot instance(s) at most")
    assert (
        "G and VT Spot quota L-3819A6DF: 0 vCPUs; 2 instance(s) of g5.xlarge, g4dn.2xlarge need 8-16 vCPUs"
        in check.details
    )
    assert "request-service-quota-increase" in (check.fix or "")


def test_quota_that_fits_only_the_smaller_types_warns(live_aws: str) -> None:
    check = quota_check({G_ON_DEMAND: 64, G_SPOT: 12})  # g5.xlarge has 4 vCPUs, g4dn.2xlarge 8
    assert check.level == "warn"
    assert check.summary == "the Spot quotas hold all 2 Spot instance(s) only if the fleet picks the smaller types"
    assert check.data[G_SPOT]["vcpus_needed"] == [8, 16]


def test_quotas_that_fit_pass(live_aws: str) -> None:
    check = quota_check({G_ON_DEMAND: 8, G_SPOT: 16})
    assert (check.level, check.summary) == ("pass", "the quotas hold 2 Spot + 1 on-demand instance(s)")


def test_p_types_use_the_p_quotas_and_one_family_with_room_is_enough(live_aws: str) -> None:
    # p4d.24xlarge: 96 vCPUs; 3 × 96 Spot: 2 Spot instances and the 1 a rebalancing group may add
    check = quota_check(
        {G_ON_DEMAND: 0, G_SPOT: 0, "L-417A185B": 96, "L-7212CCBC": 288}, instance_types=["g5.xlarge", "p4d.24xlarge"]
    )
    assert (check.level, check.summary) == ("pass", "the quotas hold 2 Spot + 1 on-demand instance(s)")
    assert check.data["L-7212CCBC"]["family"] == "P"


def test_a_group_needs_spot_quota_for_the_instances_rebalancing_adds_above_its_maximum(live_aws: str) -> None:
    check = quota_check({G_ON_DEMAND: 8, G_SPOT: 8}, instance_types=["g5.xlarge"])  # 2 Spot × 4 vCPUs fit
    assert (check.level, check.summary) == (
        "warn",
        "the Spot quotas leave no room for the 1 instance(s) a rebalancing group may start above its maximum of 3",
    )
    assert any("while it rebalances" in detail for detail in check.details)
    spot_fleet = quota_check({G_ON_DEMAND: 8, G_SPOT: 8}, instance_types=["g5.xlarge"], type="spot_fleet")
    assert spot_fleet.level == "pass"  # a Spot Fleet keeps to its target


def test_unreadable_quota_warns(live_aws: str) -> None:
    check = quota_check({G_ON_DEMAND: 64, G_SPOT: None})
    assert (check.level, check.summary) == ("warn", "could not read the quota(s) L-3819A6DF")
    assert check.details[0] == "reading the EC2 quota L-3819A6DF: AWS answered NoSuchResourceException: no such quota"


# --- the checkpoint bucket ftcluster would create --------------------------------------------------


def test_a_kept_checkpoint_bucket_fails_with_the_spec_line_that_reuses_it(live_aws: str) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    check = by_id(run_preflight(make_spec()))["checkpoint_bucket"]
    assert (check.level, check.summary) == (
        "fail",
        f"{BUCKET} already exists (kept by an earlier destroy, with its checkpoints)",
    )
    assert f"set `training.checkpoints.bucket: {BUCKET}`" in (check.fix or "")
    assert "destroy --delete-checkpoints" in check.details[0]  # us-east-1 would adopt it silently


def test_outside_us_east_1_the_deploy_would_fail_on_the_kept_bucket(live_aws: str) -> None:
    name = "demo-ckpt-123456789012-eu-west-1"
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    check = by_id(run_preflight(make_spec(region="eu-west-1", fleet=None)))["checkpoint_bucket"]
    assert check.level == "fail" and check.details[0] == "the deploy would fail with BucketAlreadyOwnedByYou"


def test_the_bucket_of_the_deployed_cluster_passes(live_aws: str) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    boto3.client("ecs", region_name="us-east-1").create_cluster(clusterName="demo")
    check = by_id(run_preflight(make_spec()))["checkpoint_bucket"]
    assert (check.level, check.summary) == ("pass", f"{BUCKET} belongs to the deployed cluster")


def test_free_name_passes_and_a_named_bucket_is_not_looked_for(live_aws: str) -> None:
    assert (
        by_id(run_preflight(make_spec()))["checkpoint_bucket"].summary == f"{BUCKET} is free; ftcluster will create it"
    )
    named = make_spec(training={"image": "trainer:1", "checkpoints": {"bucket": "team-checkpoints"}})
    assert by_id(run_preflight(named))["checkpoint_bucket"].level == "skip"


# --- S3 gateway endpoint of an existing VPC --------------------------------------------------------


def test_existing_vpc_without_an_s3_gateway_endpoint_warns(live_aws: str) -> None:
    network = existing_network(["us-east-1a", "us-east-1b"])
    check = by_id(run_preflight(make_spec(network=network)))["s3_endpoint"]
    assert (check.level, check.summary) == (
        "warn",
        f"VPC {network['vpc_id']} has no S3 gateway endpoint (com.amazonaws.us-east-1.s3)",
    )
    assert "NAT gateway (paid per GB)" in check.details[0]
    assert f"create-vpc-endpoint --vpc-id {network['vpc_id']} --vpc-endpoint-type Gateway" in (check.fix or "")


def test_endpoint_on_the_main_route_table_serves_subnets_without_their_own(live_aws: str) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    network = existing_network(["us-east-1a", "us-east-1b"])
    vpc = network["vpc_id"]
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]["RouteTableId"]
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway", RouteTableIds=[main]
    )["VpcEndpoint"]["VpcEndpointId"]
    check = by_id(run_preflight(make_spec(network=network)))["s3_endpoint"]
    assert (check.level, check.summary) == ("pass", f"{endpoint} serves the route tables of every subnet")

    own = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]  # a subnet with a table of its own
    ec2.associate_route_table(RouteTableId=own, SubnetId=network["subnet_ids"][1])
    check = by_id(run_preflight(make_spec(network=network)))["s3_endpoint"]
    assert (check.level, check.summary) == (
        "warn",
        f"the S3 gateway endpoint is not on the route table of {network['subnet_ids'][1]}",
    )


def test_the_endpoint_is_looked_for_under_the_partitions_service_name(live_aws: str) -> None:
    """China regions name their services `cn.com.amazonaws.<region>.<service>` (the partition's DNS suffix
    amazonaws.com.cn, reversed: botocore data/partitions.json), as the program's endpoint does."""
    ec2 = boto3.client("ec2", region_name="cn-north-1")
    network = existing_network(["cn-north-1a", "cn-north-1b"])
    vpc = network["vpc_id"]
    spec = make_spec(region="cn-north-1", network=network)
    check = by_id(run_preflight(spec))["s3_endpoint"]
    assert check.summary == f"VPC {vpc} has no S3 gateway endpoint (cn.com.amazonaws.cn-north-1.s3)"
    assert "--service-name cn.com.amazonaws.cn-north-1.s3 " in (check.fix or "")

    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]["RouteTableId"]
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName="cn.com.amazonaws.cn-north-1.s3", VpcEndpointType="Gateway", RouteTableIds=[main]
    )["VpcEndpoint"]["VpcEndpointId"]
    check = by_id(run_preflight(spec))["s3_endpoint"]
    assert (check.level, check.summary) == ("pass", f"{endpoint} serves the route tables of every subnet")


def test_a_new_vpc_gets_its_own_endpoint(live_aws: str) -> None:
    assert by_id(run_preflight(make_spec()))["s3_endpoint"].level == "skip"


# --- VPC DNS for an elastic job's rendezvous name --------------------------------------------------

ELASTIC_WORKERS = {"tasks": 2, "distributed": {"min_nodes": 1, "max_nodes": 2}}


def elastic_spec(network: dict[str, Any] | None = None) -> Any:
    fleet = {"max_instances": 3, "instance_types": ["g5.xlarge"], "workers": ELASTIC_WORKERS}
    return make_spec(fleet=fleet, **({"network": network} if network else {}))


def test_an_elastic_job_in_a_vpc_without_dns_hostnames_fails_until_both_attributes_are_on(live_aws: str) -> None:
    """The rendezvous name lives in a Cloud Map private DNS namespace, which answers only in a VPC with
    enableDnsSupport and enableDnsHostnames (a VPC made with CreateVpc has hostnames off)."""
    ec2 = boto3.client("ec2", region_name="us-east-1")
    network = existing_network(["us-east-1a", "us-east-1b"])
    vpc = network["vpc_id"]
    check = by_id(run_preflight(elastic_spec(network)))["vpc_dns"]
    assert (check.level, check.summary) == (
        "fail",
        f"VPC {vpc} has enableDnsHostnames off: the elastic job's rendezvous name would never resolve",
    )
    assert check.fix == (f"aws ec2 modify-vpc-attribute --vpc-id {vpc} --enable-dns-hostnames '{{\"Value\": true}}'")

    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": False})
    check = by_id(run_preflight(elastic_spec(network)))["vpc_dns"]
    assert check.summary == (
        f"VPC {vpc} has enableDnsSupport and enableDnsHostnames off: "
        "the elastic job's rendezvous name would never resolve"
    )
    assert check.data == {"vpc_id": vpc, "enableDnsSupport": False, "enableDnsHostnames": False}

    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    check = by_id(run_preflight(elastic_spec(network)))["vpc_dns"]
    assert (check.level, check.summary) == ("pass", f"VPC {vpc} has DNS support and DNS hostnames on")


def test_vpc_dns_is_checked_only_for_an_elastic_job_in_an_existing_vpc(live_aws: str) -> None:
    network = existing_network(["us-east-1a", "us-east-1b"])  # hostnames off
    assert by_id(run_preflight(make_spec(network=network)))["vpc_dns"].level == "skip"
    assert by_id(run_preflight(elastic_spec()))["vpc_dns"].summary == "the new VPC has DNS support and hostnames on"


# --- an unreachable endpoint stops the checks that would wait for it again --------------------------


def test_once_aws_is_unreachable_the_remaining_checks_are_skipped(
    live_aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:9")  # nothing listens there: refused at once
    report = run_preflight(make_spec())
    checks = by_id(report)
    assert checks["credentials"].level == "pass"  # STS still goes to moto
    assert checks["region"].level == "fail" and "cannot reach AWS" in checks["region"].summary
    assert {checks[i].summary for i in list(checks)[2:]} == {"needs a reachable AWS endpoint (see Region enabled)"}


# --- event recording (logs:DescribeResourcePolicies) -------------------------------------------------


def test_the_event_ledgers_resource_policy_needs_one_of_the_ten_a_region_allows(live_aws: str) -> None:
    logs = boto3.client("logs", region_name="us-east-1")
    assert by_id(run_preflight(make_spec()))["event_recording"].summary.startswith("0 of 10")
    for i in range(10):
        logs.put_resource_policy(policyName=f"someone-{i}", policyDocument="{}")
    full = by_id(run_preflight(make_spec()))["event_recording"]
    assert full.level == "fail" and "all 10" in full.summary and "ftcluster-demo-events" in full.details[0]
    logs.delete_resource_policy(policyName="someone-0")
    logs.put_resource_policy(
        policyName="ftcluster-demo-events", policyDocument="{}"
    )  # the cluster's own: up updates it
    assert by_id(run_preflight(make_spec()))["event_recording"].level == "pass"
