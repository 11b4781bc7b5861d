"""`run_preflight(spec)`: can this spec be deployed here and now? Read-only AWS checks, one line each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..aws import AwsError, AwsSession, aws_call, pages
from ..cost.spot_live import read_spot_prices
from ..errors import FtclusterError
from ..spec.models import ExistingVpc, Spec
from . import preflight_checks as checks
from .preflight_checks import Check, Zone

CHECK_TITLES = {
    "credentials": "AWS credentials",
    "region": "Region enabled",
    "availability_zones": "Availability Zones",
    "network": "Network",
    "instance_types": "Fleet instance types",
    "spot_prices": "Spot prices",
}


@dataclass(frozen=True)
class PreflightReport:
    cluster: str
    region: str
    endpoint: str | None  # where the calls went (shows AWS_ENDPOINT_URL / spec endpoint_url at work)
    checks: list[Check] = field(default_factory=list)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.level == "fail"]

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        from .status_model import to_plain

        return {
            "cluster": self.cluster,
            "region": self.region,
            "endpoint": self.endpoint,
            "ok": self.ok,
            "counts": {level: sum(1 for c in self.checks if c.level == level) for level in checks.LEVELS},
            "checks": to_plain(self.checks),
        }


def run_preflight(
    spec: Spec,
    *,
    session: AwsSession | None = None,
    on_demand_prices: dict[str, float] | None = None,
    now: datetime | None = None,
) -> PreflightReport:
    """Run every check for `spec`; never raises for what a check finds (see `PreflightReport.ok`).

    `on_demand_prices` (instance type -> USD/hour) is shown next to the Spot prices; without it
    the package's price table is used when there is one.
    """
    aws = session or AwsSession(spec.region, spec.endpoint_url)
    run = _Run(spec, aws, now or datetime.now(timezone.utc))
    endpoint = _safe(lambda: aws.endpoint("sts"))
    try:
        identity = _call("checking credentials", lambda: aws.client("sts").get_caller_identity())
    except AwsError as err:
        report = [checks.failed("credentials", CHECK_TITLES["credentials"], err.message, err.hint)]
        report += [
            checks.skipped(k, t, "needs working credentials") for k, t in CHECK_TITLES.items() if k != "credentials"
        ]
        return PreflightReport(spec.name, spec.region, endpoint, report)
    prices = on_demand_prices if on_demand_prices is not None else _price_table(spec)
    return PreflightReport(
        spec.name,
        spec.region,
        endpoint,
        [
            checks.credentials_check(identity),
            run.guard("region", run.region),
            run.guard("availability_zones", run.zones),
            run.guard("network", run.network),
            run.guard("instance_types", run.instance_types),
            run.guard("spot_prices", lambda: run.spot_prices(prices)),
        ],
    )


class _Run:
    """Reads the facts each check needs, once, and hands them to the pure checks."""

    def __init__(self, spec: Spec, aws: AwsSession, now: datetime) -> None:
        self.spec, self.aws, self.now = spec, aws, now
        self.ec2 = aws.client("ec2")
        self._zones: list[Zone] | None = None
        self._subnets: list[dict[str, Any]] | None = None

    def guard(self, check_id: str, build: Callable[[], Check]) -> Check:
        """A check whose AWS reads fail reports that failure instead of stopping the others."""
        title = CHECK_TITLES[check_id]
        try:
            return build()
        except AwsError as err:
            if err.kind == "access":
                return checks.failed(check_id, title, f"could not check: {err.message}", err.hint, level="warn")
            return checks.failed(check_id, title, err.message, err.hint)

    def region(self) -> Check:
        region = self.spec.region
        try:
            regions = _call(f"describing region {region}", lambda: self.ec2.describe_regions(
                AllRegions=True, RegionNames=[region]).get("Regions", []))
        except AwsError as err:
            if err.kind != "credentials":
                raise
            # STS accepted the credentials, so EC2 refusing them in this region means it is not enabled
            return checks.failed("region", CHECK_TITLES["region"],
                                 f"EC2 in {region} refused the credentials ({err.code}); "
                                 "the region is probably not enabled",
                                 f"enable {region} under Account > AWS Regions, or pick another region")
        status = next((r.get("OptInStatus") for r in regions if r.get("RegionName") == region), None)
        return checks.region_check(region, status)

    def zones(self) -> Check:
        chosen, problem = self._choose()
        return checks.zones_check(self.spec.network, self._read_zones(), self._subnet_azs(), chosen, problem)

    def network(self) -> Check:
        network = self.spec.network
        if not isinstance(network, ExistingVpc):
            return checks.network_check(network, None, [])
        vpcs = _call(f"describing VPC {network.vpc_id}", lambda: pages(
            self.ec2, "describe_vpcs", "Vpcs", Filters=[{"Name": "vpc-id", "Values": [network.vpc_id]}]))
        return checks.network_check(network, vpcs[0] if vpcs else None, self._read_subnets())

    def instance_types(self) -> Check:
        fleet = self.spec.spot_fleet
        if fleet is None or not fleet.enabled:
            return checks.instance_types_check(fleet, self.spec.region, [], {})
        offerings = _call("listing instance type offerings", lambda: pages(
            self.ec2, "describe_instance_type_offerings", "InstanceTypeOfferings", LocationType="availability-zone",
            Filters=[{"Name": "instance-type", "Values": list(fleet.instance_types)}]))
        offered: dict[str, set[str]] = {}
        for offering in offerings:
            offered.setdefault(offering["InstanceType"], set()).add(offering["Location"])
        return checks.instance_types_check(fleet, self.spec.region, self._chosen(), offered)

    def spot_prices(self, on_demand: dict[str, float] | None) -> Check:
        fleet = self.spec.spot_fleet
        if fleet is None or not fleet.enabled:
            return checks.spot_prices_check(fleet, [], {}, on_demand)
        chosen = self._chosen()
        found = _call("reading Spot prices", lambda: read_spot_prices(self.ec2, fleet.instance_types, chosen, now=self.now))
        spot: dict[str, dict[str, float]] = {}
        for price in found:
            spot.setdefault(price.instance_type, {})[price.availability_zone] = price.price
        return checks.spot_prices_check(fleet, chosen, spot, on_demand)

    # --- facts shared by several checks ------------------------------------------------------------

    def _read_zones(self) -> list[Zone]:
        if self._zones is None:
            zones = _call("listing Availability Zones", lambda: self.ec2.describe_availability_zones().get(
                "AvailabilityZones", []))
            # the program places subnets in standard zones only (no Local or Wavelength Zones)
            self._zones = [
                Zone(z["ZoneName"], z.get("State", "unknown"), z.get("ZoneId", ""))
                for z in zones
                if z.get("ZoneType", "availability-zone") == "availability-zone"
                and z.get("OptInStatus", "opt-in-not-required") == "opt-in-not-required"
            ]
        return self._zones

    def _read_subnets(self) -> list[dict[str, Any]]:
        network = self.spec.network
        if not isinstance(network, ExistingVpc):
            return []
        if self._subnets is None:
            self._subnets = _call("describing the spec's subnets", lambda: pages(
                self.ec2, "describe_subnets", "Subnets",
                Filters=[{"Name": "subnet-id", "Values": list(network.subnet_ids)}]))
        return self._subnets

    def _subnet_azs(self) -> dict[str, str]:
        return {s["SubnetId"]: s["AvailabilityZone"] for s in self._read_subnets()}

    def _choose(self) -> tuple[list[str], str | None]:
        """The AZs the cluster will use, and why there are too few when that is the case."""
        network = self.spec.network
        if isinstance(network, ExistingVpc):
            return sorted(set(self._subnet_azs().values())), None
        # the program's own rule, so preflight checks the AZs that `up` will really use
        from ..program.network import pick_zones

        zones = self._read_zones()
        try:
            picked = pick_zones(self.spec.region, [z.name for z in zones], [z.zone_id for z in zones],
                                network.availability_zones)
        except FtclusterError as err:
            return [], err.message
        return picked, None

    def _chosen(self) -> list[str]:
        return self._choose()[0]


def _call(action: str, read: Callable[[], Any]) -> Any:
    with aws_call(action):
        return read()


def _safe(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except AwsError:
        return None


def _price_table(spec: Spec) -> dict[str, float] | None:
    """On-demand prices of the fleet's types from the package's price table (None: no usable table)."""
    if spec.spot_fleet is None:
        return None
    from ..cost.prices import PriceTable

    try:
        table = PriceTable.shipped()
    except FtclusterError:
        return None
    found = {t: table.on_demand(spec.region, t) for t in spec.spot_fleet.instance_types}
    return {t: p for t, p in found.items() if p is not None}
