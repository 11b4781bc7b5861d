"""`run_preflight` against moto server: every check passing and failing on real API answers.

moto facts used here: STS accepts any key; DescribeRegions marks ap-east-1 "not-opted-in";
us-west-1 has two AZs; g5.xlarge is not offered in us-east-1e; every Spot price is 0.00001.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from ftcluster.live.preflight import CHECK_TITLES, run_preflight
from ftcluster.spec import Spec


def make_spec(**changes: Any) -> Spec:
    data: dict[str, Any] = {
        "name": "demo",
        "region": "us-east-1",
        "training": {"image": "trainer:1"},
        "fleet": {"max_instances": 3, "on_demand_capacity": 1, "instance_types": ["g5.xlarge", "g4dn.xlarge"]},
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        elif isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    fleet = data.get("fleet")
    if isinstance(fleet, dict) and fleet.get("type") == "spot_fleet" and "max_instances" in fleet:
        # the same size under a Spot Fleet's key
        data["fleet"] = {("instances" if k == "max_instances" else k): v for k, v in fleet.items()}
    return Spec.model_validate(data)


def by_id(report: Any) -> dict[str, Any]:
    return {check.id: check for check in report.checks}


def existing_network(azs: list[str], *, other_vpc_for: int | None = None) -> dict[str, Any]:
    ec2 = boto3.client("ec2", region_name=azs[0][:-1])  # the AZs' region
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    other = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnets = []
    for index, az in enumerate(azs):
        target, block = (other, "10.2") if index == other_vpc_for else (vpc, "10.1")
        subnets.append(
            ec2.create_subnet(VpcId=target, CidrBlock=f"{block}.{index}.0/24", AvailabilityZone=az)["Subnet"][
                "SubnetId"
            ]
        )
    return {"vpc_id": vpc, "subnet_ids": subnets}


SERVICE_LINKED_ROLES = (
    ("AWSServiceRoleForEC2Spot", "spot"),
    ("AWSServiceRoleForEC2SpotFleet", "spotfleet"),
    ("AWSServiceRoleForAutoScaling", "autoscaling"),
    ("AWSServiceRoleForECS", "ecs"),
)


def spot_service_linked_roles(roles: tuple[tuple[str, str], ...] = SERVICE_LINKED_ROLES) -> None:
    """What the console (or `aws iam create-service-linked-role`) creates. moto's CreateServiceLinkedRole
    names them AWSServiceRoleForspot..., so they are made as plain roles with AWS's names and paths."""
    iam = boto3.client("iam", region_name="us-east-1")
    for name, service in roles:
        iam.create_role(
            RoleName=name, Path=f"/aws-service-role/{service}.amazonaws.com/", AssumeRolePolicyDocument="{}"
        )


def test_everything_passes_that_moto_can_answer(live_aws: str) -> None:
    spot_service_linked_roles()
    report = run_preflight(make_spec())
    checks = by_id(report)
    assert {c.id: c.level for c in report.checks} == {
        "credentials": "pass",
        "region": "pass",
        "availability_zones": "pass",
        "network": "pass",
        "s3_endpoint": "skip",
        "vpc_dns": "skip",
        "checkpoint_bucket": "pass",
        "completion_names": "pass",
        "instance_types": "pass",
        "worker_placement": "skip",
        "vcpu_quotas": "warn",  # moto has no EC2 quotas (tests/live/test_live_preflight_account.py stubs them)
        "spot_roles": "pass",
        "spot_prices": "pass",
        "event_recording": "pass",
    }
    assert checks["vcpu_quotas"].summary == "could not read the quota(s) L-3819A6DF, L-DB2E81BA"
    assert report.ok and report.endpoint == live_aws
    assert checks["credentials"].data["account"] == "123456789012"
    assert checks["availability_zones"].data["chosen"] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    prices = checks["spot_prices"].data
    assert prices["spot"]["g5.xlarge"] == {"us-east-1a": 0.00001, "us-east-1b": 0.00001, "us-east-1c": 0.00001}
    assert prices["on_demand"]["g5.xlarge"] > 0  # from the shipped price table
    assert prices["estimate_per_hour"]["spot_low"] == pytest.approx(2 * 0.00001)
    # an Auto Scaling group buys on demand the first listed type (on-demand allocation prioritized)
    assert prices["estimate_per_hour"]["all_on_demand"] == pytest.approx(3 * prices["on_demand"]["g5.xlarge"])
    assert checks["spot_prices"].summary.startswith("at most 2 Spot instance(s): ")


def test_missing_credentials_fail_and_skip_the_rest(live_aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    report = run_preflight(make_spec())
    checks = by_id(report)
    assert checks["credentials"].level == "fail"
    assert "no AWS credentials found" in checks["credentials"].summary
    assert "AWS_PROFILE" in (checks["credentials"].fix or "")
    assert [c.level for c in report.checks[1:]] == ["skip"] * (len(CHECK_TITLES) - 1)
    assert not report.ok


def test_region_not_enabled(live_aws: str) -> None:
    report = run_preflight(make_spec(region="ap-east-1", fleet=None))
    region = by_id(report)["region"]
    assert region.level == "fail"
    assert region.summary == "ap-east-1 is not enabled for this account (not-opted-in)"
    assert "enable-region --region-name ap-east-1" in (region.fix or "")


def test_too_few_availability_zones(live_aws: str) -> None:
    report = run_preflight(make_spec(region="us-west-1", network={"availability_zones": 3}, fleet=None))
    zones = by_id(report)["availability_zones"]
    assert zones.level == "fail"
    assert (
        zones.summary
        == "us-west-1 has 2 Availability Zones that run Fargate (us-west-1a, us-west-1b); the spec asks for 3"
    )
    assert "network.availability_zones" in (zones.fix or "")


def test_without_usable_zones_the_fleet_checks_are_skipped_not_failed(live_aws: str) -> None:
    report = run_preflight(make_spec(region="us-west-1", network={"availability_zones": 3}))
    checks = by_id(report)
    assert checks["availability_zones"].level == "fail"
    for check_id in ("instance_types", "spot_prices"):
        assert (checks[check_id].level, checks[check_id].summary) == (
            "skip",
            "needs the Availability Zones the cluster would use",
        ), check_id
    assert [c.title for c in report.failures] == ["Availability Zones"]  # one cause, one failure


def test_subnets_not_found_skip_the_fleet_checks(live_aws: str) -> None:
    network = {
        "vpc_id": "vpc-0a1b2c3d4e5f67890",
        "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
    }
    checks = by_id(run_preflight(make_spec(network=network)))
    assert checks["instance_types"].level == checks["spot_prices"].level == "skip"


def test_instance_type_offered_nowhere_fails(live_aws: str) -> None:
    spec = make_spec(fleet={"instance_types": ["g5.xlarge", "zz9.large"]})
    check = by_id(run_preflight(spec))["instance_types"]
    assert check.level == "fail"
    assert check.summary == "zz9.large is not offered anywhere in us-east-1"
    assert "fleet.instance_types" in (check.fix or "")


def test_instance_type_missing_from_one_az_warns(live_aws: str) -> None:
    network = existing_network(["us-east-1a", "us-east-1e"])
    check = by_id(run_preflight(make_spec(network=network)))["instance_types"]
    assert check.level == "warn"
    assert check.summary == "2 of 2 types are missing from some AZs"
    assert check.details == ["g5.xlarge is not offered in us-east-1e", "g4dn.xlarge is not offered in us-east-1e"]


def test_existing_network_passes(live_aws: str) -> None:
    network = existing_network(["us-east-1a", "us-east-1b"])
    checks = by_id(run_preflight(make_spec(network=network)))
    assert checks["network"].level == "pass"
    assert checks["network"].summary.endswith("with 2 subnets in 2 AZs (us-east-1a, us-east-1b)")
    assert checks["availability_zones"].summary == "the subnets use us-east-1a, us-east-1b"


def test_existing_vpc_that_does_not_exist(live_aws: str) -> None:
    network = {
        "vpc_id": "vpc-0a1b2c3d4e5f67890",
        "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
    }
    checks = by_id(run_preflight(make_spec(network=network)))
    assert checks["network"].level == "fail"
    assert checks["network"].summary == "VPC vpc-0a1b2c3d4e5f67890 does not exist in this region"
    assert checks["network"].details == ["subnets not found: subnet-0123456789abcdef0, subnet-0fedcba9876543210"]
    assert checks["availability_zones"].level == "skip"


def test_subnet_of_another_vpc(live_aws: str) -> None:
    network = existing_network(["us-east-1a", "us-east-1b"], other_vpc_for=1)
    check = by_id(run_preflight(make_spec(network=network)))["network"]
    assert check.level == "fail"
    assert check.summary.startswith(f"subnets outside {network['vpc_id']}: {network['subnet_ids'][1]} (in vpc-")


def test_subnets_in_one_az(live_aws: str) -> None:
    network = existing_network(["us-east-1a", "us-east-1a"])
    check = by_id(run_preflight(make_spec(network=network)))["network"]
    assert check.level == "fail"
    assert check.summary == "all subnets are in one AZ (us-east-1a); fault tolerance needs at least 2"


def test_max_price_below_every_spot_price(live_aws: str) -> None:
    check = by_id(run_preflight(make_spec(fleet={"max_price": 0.000001})))["spot_prices"]
    assert check.level == "fail"
    assert check.summary == "max_price $0.000001 is below every current Spot price (lowest $0.000010)"


def test_no_spot_fleet_skips_the_fleet_checks(live_aws: str) -> None:
    report = run_preflight(make_spec(fleet=None))
    assert [(c.id, c.level) for c in report.checks[-6:]] == [
        ("instance_types", "skip"),
        ("worker_placement", "skip"),
        ("vcpu_quotas", "skip"),
        ("spot_roles", "skip"),
        ("spot_prices", "skip"),
        ("event_recording", "pass"),  # the event ledger needs no fleet
    ]
    assert report.ok


def test_json_shape(live_aws: str) -> None:
    data = run_preflight(make_spec(fleet={"instance_types": ["zz9.large"]})).to_dict()
    assert data["ok"] is False
    assert data["counts"]["fail"] == 1
    assert [c["id"] for c in data["checks"]] == [
        "credentials",
        "region",
        "availability_zones",
        "network",
        "s3_endpoint",
        "vpc_dns",
        "checkpoint_bucket",
        "completion_names",
        "instance_types",
        "worker_placement",
        "vcpu_quotas",
        "spot_roles",
        "spot_prices",
        "event_recording",
    ]
    assert data["checks"][8]["level"] == "fail"  # instance_types


def test_names_an_earlier_cluster_left_behind_fail_the_check_until_the_cluster_is_deployed(live_aws: str) -> None:
    """A destroy that left the job-completion roles, state machine or parameters: `up` could not create them."""
    from ftcluster.program.names import names_for

    spec = make_spec()
    names = names_for(spec)
    boto3.client("iam", region_name="us-east-1").create_role(
        RoleName=names.completion_steps_role, Path="/ftcluster/", AssumeRolePolicyDocument="{}"
    )
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=names.completion_parameter("training"), Value="{}", Type="String"
    )
    check = by_id(run_preflight(spec))["completion_names"]
    assert check.level == "fail" and not run_preflight(spec).ok
    assert check.details == [
        f"IAM role {names.completion_steps_role}",
        f"SSM parameter {names.completion_parameter('training')}",
    ]
    assert "--verify-only" in (check.fix or "")
    boto3.client("ecs", region_name="us-east-1").create_cluster(clusterName=spec.name)  # the cluster's own names
    assert by_id(run_preflight(spec))["completion_names"].level == "pass"
