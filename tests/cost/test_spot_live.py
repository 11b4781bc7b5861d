"""Live Spot prices through a real EC2 API (moto server).

moto answers DescribeSpotPriceHistory with one entry per (type, AZ) its offering data lists for the
region, every one at SpotPrice "0.00001" and description "Linux/UNIX (Amazon VPC)". The tests assert
what ftcluster does with that: the pools it keeps, the AZ filter, the price flowing into the estimate.
"""

from __future__ import annotations

import boto3
import pytest
from cost_helpers import example, variant

from ftcluster.cost import estimate
from ftcluster.cost.spot_live import LivePricesUnavailable, live_spot_prices, spot_prices_for_spec

MOTO_PRICE = 0.00001


def test_one_price_per_pool_in_the_chosen_azs(aws: str) -> None:
    prices = live_spot_prices("us-east-1", ["g5.xlarge", "g4dn.xlarge"], ["us-east-1a", "us-east-1b"])
    assert {(p.instance_type, p.availability_zone) for p in prices} == {
        ("g5.xlarge", "us-east-1a"),
        ("g5.xlarge", "us-east-1b"),
        ("g4dn.xlarge", "us-east-1a"),
        ("g4dn.xlarge", "us-east-1b"),
    }
    assert all(p.price == MOTO_PRICE and p.timestamp for p in prices)


def test_a_type_not_offered_in_an_az_has_no_pool_there(aws: str) -> None:
    # moto's offering data lists p5.48xlarge in us-east-1e but not g5.xlarge.
    prices = live_spot_prices("us-east-1", ["g5.xlarge", "p5.48xlarge"], ["us-east-1e"])
    assert [(p.instance_type, p.availability_zone) for p in prices] == [("p5.48xlarge", "us-east-1e")]


def test_without_azs_every_az_of_the_region_is_asked(aws: str) -> None:
    zones = {p.availability_zone for p in live_spot_prices("eu-west-1", ["g5.xlarge"])}
    assert zones and all(zone.startswith("eu-west-1") for zone in zones)


def test_no_types_asks_nothing() -> None:
    assert live_spot_prices("us-east-1", []) == []


def test_live_prices_replace_the_offline_range_in_the_estimate(aws: str) -> None:
    spec = example("us-east-1.yaml")
    live = live_spot_prices("us-east-1", spec.fleet.instance_types, ["us-east-1a", "us-east-1b", "us-east-1c"])
    est = estimate(spec, live_spot=live)
    spot = next(line for line in est.lines if line.component == "fleet_spot")
    assert spot.basis == "live"
    assert spot.hourly.low == spot.hourly.high == pytest.approx(3 * MOTO_PRICE)
    assert len(est.live_prices) == 5 * 3  # five types × three AZs, all used
    assert est.uses_live_prices


def test_missing_credentials_raise_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    with pytest.raises(LivePricesUnavailable, match="could not read Spot prices in us-east-1") as caught:
        live_spot_prices("us-east-1", ["g5.xlarge"])
    assert "ec2:DescribeSpotPriceHistory" in caught.value.hint


def test_prices_for_an_existing_vpc_spec_use_the_subnets_azs(aws: str, tmp_path) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(["us-east-1b", "us-east-1c"])
    ]
    spec = variant(tmp_path, "us-east-1.yaml", network={"vpc_id": vpc, "subnet_ids": subnets})
    prices, why_not = spot_prices_for_spec(spec)
    assert why_not is None
    assert {p.availability_zone for p in prices} == {"us-east-1b", "us-east-1c"}
    est = estimate(spec, live_spot=prices)
    assert next(line for line in est.lines if line.component == "fleet_spot").basis == "live"


def test_prices_for_a_spec_say_why_not_instead_of_failing(aws: str, tmp_path) -> None:
    spec = variant(
        tmp_path,
        "us-east-1.yaml",
        network={
            "vpc_id": "vpc-0a1b2c3d4e5f67890",
            "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
        },
    )
    prices, why_not = spot_prices_for_spec(spec)
    assert prices is None and "could not read the subnets' Availability Zones" in why_not
    est = estimate(spec, live_unavailable=why_not)
    assert any(note.startswith("live Spot prices unavailable") for note in est.notes)
    assert spot_prices_for_spec(example("eu-west-1.yaml")) == (None, None)  # no fleet, nothing to ask
