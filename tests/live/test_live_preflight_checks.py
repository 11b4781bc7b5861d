"""Preflight rules that moto cannot stage: pure check functions, and AWS refusals through botocore's Stubber."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from botocore.stub import Stubber

from ftcluster.aws import AwsSession
from ftcluster.live import preflight_checks as checks
from ftcluster.live.preflight import run_preflight
from ftcluster.live.preflight_checks import Zone
from ftcluster.spec import AutoScalingGroupFleet, NewVpc, Spec, SpotFleet

FLEET = AutoScalingGroupFleet(max_instances=4, on_demand_capacity=1, instance_types=["g5.xlarge", "g6.xlarge"])
AZS = ["us-east-1a", "us-east-1b"]


def test_type_offered_only_outside_the_chosen_azs_fails() -> None:
    offered = {"g5.xlarge": {"us-east-1a", "us-east-1b"}, "g6.xlarge": {"us-east-1d"}}
    check = checks.instance_types_check(FLEET, "us-east-1", AZS, offered)
    assert check.level == "fail"
    assert check.summary == "g6.xlarge is not offered in us-east-1a, us-east-1b (only in us-east-1d)"


def test_all_types_offered_everywhere_passes() -> None:
    offered = {"g5.xlarge": set(AZS), "g6.xlarge": set(AZS) | {"us-east-1c"}}
    check = checks.instance_types_check(FLEET, "us-east-1", AZS, offered)
    assert (check.level, check.summary) == ("pass", "all 2 types are offered in us-east-1a, us-east-1b")
    assert check.data["offered_in_chosen_azs"]["g6.xlarge"] == AZS


def test_disabled_fleet_is_skipped() -> None:
    fleet = AutoScalingGroupFleet(enabled=False, max_instances=1, instance_types=["g5.xlarge"])
    assert checks.instance_types_check(fleet, "us-east-1", AZS, {}).level == "skip"
    assert checks.spot_prices_check(fleet, AZS, {}, None).level == "skip"


def test_spot_estimate_with_on_demand_prices() -> None:
    spot = {
        "g5.xlarge": {"us-east-1a": 0.40, "us-east-1b": 0.50},
        "g6.xlarge": {"us-east-1a": 0.30, "us-east-1b": 0.35},
    }
    on_demand = {"g5.xlarge": 1.006, "g6.xlarge": 0.8048}
    fleet = SpotFleet(type="spot_fleet", instances=4, on_demand_capacity=1, instance_types=FLEET.instance_types)
    # a Spot Fleet buys on demand at its on-demand allocation lowestPrice: the cheapest type
    check = checks.spot_prices_check(fleet, AZS, spot, on_demand)
    assert check.level == "pass"
    assert check.data["estimate_per_hour"] == {
        "spot_low": pytest.approx(0.90),
        "spot_high": pytest.approx(1.50),
        "on_demand_part": pytest.approx(0.8048),
        "all_on_demand": pytest.approx(3.2192),
    }
    assert (
        check.summary == "3 Spot instance(s): $0.9000-$1.5000 per hour + 1 on-demand: $0.8048 (all on-demand: $3.2192)"
    )
    # an Auto Scaling group (on-demand allocation prioritized) buys the first listed type, up to its maximum
    check = checks.spot_prices_check(FLEET, AZS, spot, on_demand)
    assert check.summary == (
        "at most 3 Spot instance(s): $0.9000-$1.5000 per hour + 1 on-demand: $1.0060 (all on-demand: $4.0240)"
    )


def test_pool_without_a_spot_price_warns() -> None:
    spot = {"g5.xlarge": {"us-east-1a": 0.40, "us-east-1b": 0.50}, "g6.xlarge": {"us-east-1a": 0.30}}
    check = checks.spot_prices_check(FLEET, AZS, spot, None)
    assert check.level == "warn"
    assert check.details == [
        "no current Spot price for g6.xlarge in us-east-1b",
        "on-demand prices unknown here; only Spot prices are shown",
    ]


def test_no_spot_price_at_all_warns() -> None:
    check = checks.spot_prices_check(FLEET, AZS, {}, None)
    assert (check.level, check.summary) == ("warn", "no current Spot price for any type in the chosen AZs")


def test_max_price_above_some_pools_warns() -> None:
    fleet = FLEET.model_copy(update={"max_price": 0.45})
    spot = {
        "g5.xlarge": {"us-east-1a": 0.40, "us-east-1b": 0.50},
        "g6.xlarge": {"us-east-1a": 0.30, "us-east-1b": 0.35},
    }
    check = checks.spot_prices_check(fleet, AZS, spot, {})
    assert check.level == "warn"
    assert "above max_price $0.4500: g5.xlarge in us-east-1b" in check.details


def test_chosen_az_that_is_impaired_warns() -> None:
    zones = [Zone("us-east-1a", "available"), Zone("us-east-1b", "impaired")]
    check = checks.zones_check(NewVpc(availability_zones=2), zones, {}, AZS)
    assert (check.level, check.summary) == (
        "warn",
        "the cluster would use AZs that are not available now: us-east-1b (impaired)",
    )


def test_region_missing_from_ec2_fails() -> None:
    check = checks.region_check("us-east-9", None)
    assert (check.level, check.summary) == ("fail", "EC2 does not list us-east-9 for this account")


def test_region_opted_in_passes() -> None:
    assert checks.region_check("af-south-1", "opted-in").level == "pass"


@pytest.mark.parametrize(
    ("value", "text"), [(0.0, "$0.00"), (12.5, "$12.50"), (0.8048, "$0.8048"), (0.00001, "$0.000010")]
)
def test_usd(value: float, text: str) -> None:
    assert checks.usd(value) == text


# --- AWS refusals, answered by botocore's Stubber (no network) -------------------------------------


def stubbed_session(monkeypatch: pytest.MonkeyPatch) -> tuple[AwsSession, Stubber, Stubber]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    session = AwsSession("us-east-1")
    sts, ec2 = Stubber(session.client("sts")), Stubber(session.client("ec2"))
    sts.add_response(
        "get_caller_identity", {"Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/me", "UserId": "AIDA"}
    )
    s3 = Stubber(session.client("s3"))  # the checkpoint bucket check: the name is free
    s3.add_client_error("head_bucket", "404", "Not Found", 404)
    s3.activate()
    free_completion_names(session)
    logs = Stubber(session.client("logs"))  # the event recording check: no resource policy yet
    logs.add_response("describe_resource_policies", {"resourcePolicies": []})
    logs.activate()
    return session, sts, ec2


def free_completion_names(session: AwsSession) -> None:
    """The job-completion names check: no cluster deployed, and none of its names taken."""
    ecs, iam, events, sfn, ssm = (
        Stubber(session.client(name)) for name in ("ecs", "iam", "events", "stepfunctions", "ssm")
    )
    ecs.add_response("describe_clusters", {"clusters": []})
    for _ in range(2):
        iam.add_client_error("get_role", "NoSuchEntity", "not found", 404)
    events.add_client_error("describe_rule", "ResourceNotFoundException", "not found", 400)
    sfn.add_response("list_state_machines", {"stateMachines": []})
    ssm.add_response("get_parameters", {"Parameters": []})
    for stub in (ecs, iam, events, sfn, ssm):
        stub.activate()


def test_access_denied_warns_that_a_check_could_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    session, sts, ec2 = stubbed_session(monkeypatch)
    ec2.add_client_error(
        "describe_regions", "UnauthorizedOperation", "You are not authorized to perform this operation."
    )
    ec2.add_response(
        "describe_availability_zones",
        {
            "AvailabilityZones": [
                {
                    "ZoneName": f"us-east-1{s}",
                    "ZoneId": f"use1-az{i}",
                    "State": "available",
                    "ZoneType": "availability-zone",
                }
                for i, s in ((6, "a"), (1, "b"), (2, "c"))
            ]
        },
    )
    spec = Spec.model_validate({"name": "demo", "region": "us-east-1", "training": {"image": "t:1"}})
    with sts, ec2:
        report = run_preflight(spec, session=session, now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    region = report.checks[1]
    assert (region.level, region.summary) == (
        "warn",
        "could not check: describing region us-east-1: access denied (UnauthorizedOperation): "
        "You are not authorized to perform this operation.",
    )
    assert report.checks[2].level == "pass"
    assert report.ok  # a check that could not run does not block a deploy


def test_ec2_refusing_credentials_that_sts_accepted_means_region_not_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    session, sts, ec2 = stubbed_session(monkeypatch)
    ec2.add_client_error(
        "describe_regions", "AuthFailure", "AWS was not able to validate the provided access credentials"
    )
    spec = Spec.model_validate({"name": "demo", "region": "us-east-1", "training": {"image": "t:1"}})
    with sts, ec2:
        report = run_preflight(spec, session=session)
    region = report.checks[1]
    assert region.level == "fail"
    assert (
        region.summary == "EC2 in us-east-1 refused the credentials (AuthFailure); the region is probably not enabled"
    )
