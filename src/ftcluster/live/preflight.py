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
from . import account_checks
from . import preflight_checks as checks
from .preflight_checks import Check, Zone
from .preflight_dns import vpc_dns_check

CHECK_TITLES = {  # in the order they run and are shown; the keys are the stable check ids
    "credentials": "AWS credentials",
    "region": "Region enabled",
    "availability_zones": "Availability Zones",
    "network": "Network",
    "s3_endpoint": "S3 gateway endpoint",
    "vpc_dns": "VPC DNS",
    "checkpoint_bucket": "Checkpoint bucket",
    "completion_names": "Job completion names",
    "instance_types": "Fleet instance types",
    "worker_placement": "Worker placement",
    "vcpu_quotas": "EC2 vCPU quotas",
    "spot_roles": "Service-linked roles",
    "spot_prices": "Spot prices",
    "event_recording": "Event recording",
}
NEEDS_ZONES = "needs the Availability Zones the cluster would use"


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
    builds: dict[str, Callable[[], Check]] = {
        "region": run.region,
        "availability_zones": run.zones,
        "network": run.network,
        "s3_endpoint": run.s3_endpoint,
        "vpc_dns": lambda: vpc_dns_check(spec, run.ec2),
        "checkpoint_bucket": lambda: run.checkpoint_bucket(str(identity.get("Account") or "")),
        "completion_names": run.completion_names,
        "instance_types": run.instance_types,
        "worker_placement": run.worker_placement,
        "vcpu_quotas": run.vcpu_quotas,
        "spot_roles": run.spot_roles,
        "spot_prices": lambda: run.spot_prices(prices),
        "event_recording": run.event_recording,
    }
    return PreflightReport(
        spec.name,
        spec.region,
        endpoint,
        [checks.credentials_check(identity)] + [run.guard(check_id, build) for check_id, build in builds.items()],
    )


class _Run:
    """Reads the facts each check needs, once, and hands them to the pure checks."""

    def __init__(self, spec: Spec, aws: AwsSession, now: datetime) -> None:
        self.spec, self.aws, self.now = spec, aws, now
        self.ec2 = aws.client("ec2")
        self._zones: list[Zone] | None = None
        self._subnets: list[dict[str, Any]] | None = None
        self._types: list[dict[str, Any]] | None = None
        self._unreachable: str | None = None  # title of the check that found AWS unreachable

    def guard(self, check_id: str, build: Callable[[], Check]) -> Check:
        """A check whose AWS reads fail reports that failure instead of stopping the others; once AWS
        was unreachable, the rest are skipped (each would wait out the same timeouts again)."""
        title = CHECK_TITLES[check_id]
        if self._unreachable:
            return checks.skipped(check_id, title, f"needs a reachable AWS endpoint (see {self._unreachable})")
        try:
            return build()
        except AwsError as err:
            if err.kind == "unreachable":
                self._unreachable = title
            if err.kind == "access":
                return checks.failed(check_id, title, f"could not check: {err.message}", err.hint, level="warn")
            return checks.failed(check_id, title, err.message, err.hint)

    def region(self) -> Check:
        region = self.spec.region
        try:
            regions = _call(
                f"describing region {region}",
                lambda: self.ec2.describe_regions(AllRegions=True, RegionNames=[region]).get("Regions", []),
            )
        except AwsError as err:
            if err.kind != "credentials":
                raise
            # STS accepted the credentials, so EC2 refusing them in this region means it is not enabled
            return checks.failed(
                "region",
                CHECK_TITLES["region"],
                f"EC2 in {region} refused the credentials ({err.code}); the region is probably not enabled",
                f"enable {region} under Account > AWS Regions, or pick another region",
            )
        status = next((r.get("OptInStatus") for r in regions if r.get("RegionName") == region), None)
        return checks.region_check(region, status)

    def zones(self) -> Check:
        chosen, problem = self._choose()
        return checks.zones_check(self.spec.network, self._read_zones(), self._subnet_azs(), chosen, problem)

    def network(self) -> Check:
        network = self.spec.network
        if not isinstance(network, ExistingVpc):
            return checks.network_check(network, None, [])
        vpcs = _call(
            f"describing VPC {network.vpc_id}",
            lambda: pages(self.ec2, "describe_vpcs", "Vpcs", Filters=[{"Name": "vpc-id", "Values": [network.vpc_id]}]),
        )
        return checks.network_check(network, vpcs[0] if vpcs else None, self._read_subnets())

    def instance_types(self) -> Check:
        fleet = self.spec.fleet
        if fleet is None or not fleet.enabled:
            return checks.instance_types_check(fleet, self.spec.region, [], {})
        if not self._chosen():  # the zones check already says why; every type would fail for it
            return checks.skipped("instance_types", CHECK_TITLES["instance_types"], NEEDS_ZONES)
        offerings = _call(
            "listing instance type offerings",
            lambda: pages(
                self.ec2,
                "describe_instance_type_offerings",
                "InstanceTypeOfferings",
                LocationType="availability-zone",
                Filters=[{"Name": "instance-type", "Values": list(fleet.instance_types)}],
            ),
        )
        offered: dict[str, set[str]] = {}
        for offering in offerings:
            offered.setdefault(offering["InstanceType"], set()).add(offering["Location"])
        return checks.instance_types_check(fleet, self.spec.region, self._chosen(), offered)

    def spot_prices(self, on_demand: dict[str, float] | None) -> Check:
        fleet = self.spec.fleet
        if fleet is None or not fleet.enabled:
            return checks.spot_prices_check(fleet, [], {}, on_demand)
        chosen = self._chosen()
        if not chosen:
            return checks.skipped("spot_prices", CHECK_TITLES["spot_prices"], NEEDS_ZONES)
        found = _call(
            "reading Spot prices", lambda: read_spot_prices(self.ec2, fleet.instance_types, chosen, now=self.now)
        )
        spot: dict[str, dict[str, float]] = {}
        for price in found:
            spot.setdefault(price.instance_type, {})[price.availability_zone] = price.price
        return checks.spot_prices_check(fleet, chosen, spot, on_demand)

    def s3_endpoint(self) -> Check:
        network = self.spec.network
        if not isinstance(network, ExistingVpc):
            return account_checks.s3_endpoint_check(network, self.spec.region, False, [], {})
        by_vpc = {"Name": "vpc-id", "Values": [network.vpc_id]}
        vpcs = _call(
            f"describing VPC {network.vpc_id}", lambda: pages(self.ec2, "describe_vpcs", "Vpcs", Filters=[by_vpc])
        )
        if not vpcs:
            return account_checks.s3_endpoint_check(network, self.spec.region, False, [], {})
        endpoints = _call(
            "listing the VPC's S3 gateway endpoints",
            lambda: pages(
                self.ec2,
                "describe_vpc_endpoints",
                "VpcEndpoints",
                Filters=[
                    by_vpc,
                    {"Name": "vpc-endpoint-type", "Values": ["Gateway"]},
                    {"Name": "service-name", "Values": [account_checks.s3_service_name(self.spec.region)]},
                ],
            ),
        )
        endpoints = [e for e in endpoints if str(e.get("State", "")).lower() in ("available", "pending")]
        tables = _call(
            "describing the VPC's route tables",
            lambda: pages(self.ec2, "describe_route_tables", "RouteTables", Filters=[by_vpc]),
        )
        return account_checks.s3_endpoint_check(
            network, self.spec.region, True, endpoints, _route_table_of(list(network.subnet_ids), tables)
        )

    def checkpoint_bucket(self, account: str) -> Check:
        spec_bucket = self.spec.training.checkpoints.bucket
        if spec_bucket or not account:
            return account_checks.checkpoint_bucket_check(spec_bucket, None, self.spec.region, None, False)
        from ..program.names import names_for

        name = names_for(self.spec).checkpoint_bucket(account)
        status: int | None
        try:
            _call(f"looking at bucket {name}", lambda: self.aws.client("s3").head_bucket(Bucket=name))
            status = 200
        except AwsError as err:
            if err.kind in ("credentials", "unreachable"):
                raise
            status = int(err.code) if err.code and err.code.isdigit() else 404 if err.code == "NoSuchBucket" else None
        deployed = False
        if status == 200:  # ours: the running cluster's, or one that an earlier destroy kept
            clusters = _call(
                f"describing ECS cluster {self.spec.name}",
                lambda: self.aws.client("ecs").describe_clusters(clusters=[self.spec.name]).get("clusters", []),
            )
            deployed = any(c.get("status") == "ACTIVE" for c in clusters)
        return account_checks.checkpoint_bucket_check(None, name, self.spec.region, status, deployed)

    def worker_placement(self) -> Check:
        from ..spec.instance_facts import described
        from .preflight_placement import placement_check

        fleet = self.spec.fleet
        if fleet is None or not fleet.enabled:
            return placement_check(fleet, {})
        return placement_check(fleet, {t["InstanceType"]: described(t) for t in self._described_types()})

    def vcpu_quotas(self) -> Check:
        fleet = self.spec.fleet
        if fleet is None or not fleet.enabled:
            return account_checks.vcpu_quotas_check(fleet, {}, {})
        types = self._described_types()
        vcpus = {t["InstanceType"]: int(t["VCpuInfo"]["DefaultVCpus"]) for t in types if t.get("VCpuInfo")}
        codes = sorted(
            {
                getattr(family, code)
                for family in account_checks.QUOTA_FAMILIES
                if any(family.covers(t) for t in vcpus)
                for code in ("on_demand_code", "spot_code")
            }
        )
        quotas, unread = {}, {}
        for code in codes:
            value = self._quota(code)
            if isinstance(value, float):
                quotas[code] = value
            else:
                unread[code] = value
        return account_checks.vcpu_quotas_check(fleet, vcpus, quotas, unread)

    def _quota(self, code: str) -> float | str:
        """The account's value of EC2 quota `code`, else AWS's default for it; else why neither was read."""
        quotas = self.aws.client("service-quotas")
        why = ""
        for read in (quotas.get_service_quota, quotas.get_aws_default_service_quota):
            try:
                with aws_call(f"reading the EC2 quota {code}"):
                    return float(read(ServiceCode="ec2", QuotaCode=code)["Quota"]["Value"])
            except AwsError as err:
                if err.kind in ("credentials", "unreachable"):
                    raise
                why = why or err.message
        return why

    def completion_names(self) -> Check:
        from .preflight_completion import completion_names_check

        clusters = _call(
            f"describing ECS cluster {self.spec.name}",
            lambda: self.aws.client("ecs").describe_clusters(clusters=[self.spec.name]).get("clusters", []),
        )
        deployed = any(c.get("status") == "ACTIVE" for c in clusters)
        return completion_names_check(self.spec, self.aws, deployed)

    def spot_roles(self) -> Check:
        iam = self.aws.client("iam")
        existing = {}
        for name, _ in account_checks.spot_roles_needed(self.spec.fleet):
            try:
                with aws_call(f"looking up IAM role {name}"):
                    iam.get_role(RoleName=name)
                existing[name] = True
            except AwsError as err:
                if err.kind != "not_found":
                    raise
                existing[name] = False
        return account_checks.spot_roles_check(self.spec.fleet, existing)

    def event_recording(self) -> Check:
        from ..program.names import event_log_policy_name

        policies = _call(
            "listing CloudWatch Logs resource policies",
            lambda: pages(self.aws.client("logs"), "describe_resource_policies", "resourcePolicies"),
        )
        # only account-scoped policies count against the limit (policyScope ACCOUNT, or no scope in older answers)
        named = [str(p.get("policyName")) for p in policies if p.get("policyScope", "ACCOUNT") == "ACCOUNT"]
        return account_checks.event_recording_check(event_log_policy_name(self.spec.name), named)

    # --- facts shared by several checks ------------------------------------------------------------

    def _described_types(self) -> list[dict[str, Any]]:
        """ec2:DescribeInstanceTypes for the fleet's types (a type AWS does not know is left out, no error)."""
        fleet = self.spec.fleet
        if fleet is None:
            return []
        if self._types is None:
            self._types = _call(
                "describing the fleet's instance types",
                lambda: pages(
                    self.ec2,
                    "describe_instance_types",
                    "InstanceTypes",
                    Filters=[{"Name": "instance-type", "Values": list(fleet.instance_types)}],
                ),
            )
        return self._types

    def _read_zones(self) -> list[Zone]:
        if self._zones is None:
            zones = _call(
                "listing Availability Zones",
                lambda: self.ec2.describe_availability_zones().get("AvailabilityZones", []),
            )
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
            self._subnets = _call(
                "describing the spec's subnets",
                lambda: pages(
                    self.ec2,
                    "describe_subnets",
                    "Subnets",
                    Filters=[{"Name": "subnet-id", "Values": list(network.subnet_ids)}],
                ),
            )
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
            picked = pick_zones(
                self.spec.region, [z.name for z in zones], [z.zone_id for z in zones], network.availability_zones
            )
        except FtclusterError as err:
            return [], err.message
        return picked, None

    def _chosen(self) -> list[str]:
        return self._choose()[0]


def _route_table_of(subnet_ids: list[str], tables: list[dict[str, Any]]) -> dict[str, str | None]:
    """Each subnet's route table: the one associated with it, else the VPC's main one (EC2 routing rules)."""
    explicit = {
        a["SubnetId"]: t["RouteTableId"] for t in tables for a in t.get("Associations", []) if a.get("SubnetId")
    }
    main = next((t["RouteTableId"] for t in tables if any(a.get("Main") for a in t.get("Associations", []))), None)
    return {subnet: explicit.get(subnet, main) for subnet in subnet_ids}


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
    if spec.fleet is None:
        return None
    from ..cost.prices import PriceTable

    try:
        table = PriceTable.shipped()
    except FtclusterError:
        return None
    found = {t: table.on_demand(spec.region, t) for t in spec.fleet.instance_types}
    return {t: p for t, p in found.items() if p is not None}
