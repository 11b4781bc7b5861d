"""Current EC2 Spot prices from DescribeSpotPriceHistory, one per pool (instance type × AZ).

boto3 is imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from ..errors import FtclusterError
from ..spec.models import ExistingVpc, Spec
from .model import LivePrice

# Linux on-demand prices are what the table holds; VPC-only accounts may report either description.
LINUX = ("Linux/UNIX", "Linux/UNIX (Amazon VPC)")


class LivePricesUnavailable(FtclusterError):
    """Live Spot prices could not be read (no credentials, no network, no permission)."""


def read_spot_prices(
    ec2: Any, instance_types: Sequence[str], azs: Sequence[str] | None = None, *, now: datetime | None = None
) -> list[LivePrice]:
    """The newest Linux Spot price of every pool of `instance_types` in `azs` (all AZs when None).

    Asking with StartTime=now makes AWS return the price in effect now for each pool. AWS errors
    propagate as botocore exceptions; callers decide what a failure means for them.
    """
    if not instance_types:
        return []
    from ..aws import pages

    history = pages(
        ec2,
        "describe_spot_price_history",
        "SpotPriceHistory",
        InstanceTypes=list(instance_types),
        ProductDescriptions=list(LINUX),
        StartTime=now or datetime.now(timezone.utc),
        Filters=[{"Name": "availability-zone", "Values": list(azs)}] if azs else [],
    )
    newest: dict[tuple[str, str], tuple[str, float]] = {}
    for entry in history:
        if entry.get("ProductDescription") not in LINUX:
            continue
        key = (entry["InstanceType"], entry["AvailabilityZone"])
        stamp = _stamp(entry.get("Timestamp"))
        if key not in newest or stamp > newest[key][0]:
            newest[key] = (stamp, float(entry["SpotPrice"]))
    wanted = set(azs) if azs else None
    return [
        LivePrice(itype, zone, price, stamp)
        for (itype, zone), (stamp, price) in sorted(newest.items())
        if wanted is None or zone in wanted
    ]


def live_spot_prices(
    region: str,
    instance_types: Sequence[str],
    azs: Sequence[str] | None = None,
    *,
    endpoint_url: str | None = None,
    now: datetime | None = None,
) -> list[LivePrice]:
    """`read_spot_prices` through ftcluster's AWS session; LivePricesUnavailable on any AWS failure,
    so a caller can fall back to the price table."""
    if not instance_types:
        return []
    from ..aws import AwsError, AwsSession, aws_call

    try:
        with aws_call(f"could not read Spot prices in {region}"):
            return read_spot_prices(AwsSession(region, endpoint_url).client("ec2"), instance_types, azs, now=now)
    except AwsError as err:
        raise LivePricesUnavailable(
            err.message,
            hint="the estimate falls back to the price table; live prices need credentials allowed "
            "ec2:DescribeSpotPriceHistory",
        ) from None


def _stamp(value: object) -> str:
    """ISO text for both datetime (real botocore parsing) and string timestamps."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return str(value or "")


def spot_prices_for_spec(
    spec: Spec, azs: Sequence[str] | None = None, *, endpoint_url: str | None = None
) -> tuple[list[LivePrice] | None, str | None]:
    """Live prices for the spec's fleet, or (None, why not) so the caller can show the offline range.

    AZs: `azs` when the caller knows them; for an existing VPC, those of its subnets; for a new VPC,
    every standard AZ of the region (the cluster uses the first `availability_zones` of them).
    """
    fleet = spec.fleet
    if fleet is None or not fleet.enabled:
        return None, None
    endpoint_url = endpoint_url or spec.endpoint_url
    try:
        zones = list(azs) if azs else _spec_zones(spec, endpoint_url)
        return live_spot_prices(spec.region, fleet.instance_types, zones, endpoint_url=endpoint_url), None
    except LivePricesUnavailable as err:
        return None, err.message


def _spec_zones(spec: Spec, endpoint_url: str | None) -> list[str] | None:
    if not isinstance(spec.network, ExistingVpc):
        return None
    from ..aws import AwsError, AwsSession, aws_call

    try:
        with aws_call("could not read the subnets' Availability Zones"):
            client = AwsSession(spec.region, endpoint_url).client("ec2")
            subnets = client.describe_subnets(SubnetIds=list(spec.network.subnet_ids))["Subnets"]
    except AwsError as err:
        raise LivePricesUnavailable(err.message) from None
    return sorted({subnet["AvailabilityZone"] for subnet in subnets})
