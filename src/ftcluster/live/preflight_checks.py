"""The preflight checks as pure functions: facts read from AWS in, one pass/warn/fail/skip line out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from ..cost.fleet_model import on_demand_pick
from ..spec.models import AutoScalingGroupFleet, ExistingVpc, Fleet, NewVpc

CheckLevel = Literal["pass", "warn", "fail", "skip"]
LEVELS: tuple[CheckLevel, ...] = get_args(CheckLevel)


@dataclass(frozen=True)
class Check:
    id: str  # stable key for scripts: credentials, region, availability_zones, network, instance_types, spot_prices
    title: str
    level: CheckLevel
    summary: str
    details: list[str] = field(default_factory=list)
    fix: str | None = None  # what to do about a warn or fail
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Zone:
    name: str
    state: str  # available | impaired | unavailable | ...
    zone_id: str = ""


def credentials_check(identity: dict[str, Any]) -> Check:
    return Check(
        "credentials",
        "AWS credentials",
        "pass",
        f"account {identity.get('Account')} as {identity.get('Arn')}",
        data={"account": identity.get("Account"), "arn": identity.get("Arn")},
    )


def region_check(region: str, opt_in_status: str | None) -> Check:
    if opt_in_status in ("opt-in-not-required", "opted-in"):
        return Check(
            "region",
            "Region enabled",
            "pass",
            f"{region} is enabled ({opt_in_status})",
            data={"opt_in_status": opt_in_status},
        )
    if opt_in_status is None:
        return Check(
            "region",
            "Region enabled",
            "fail",
            f"EC2 does not list {region} for this account",
            fix="check the region name in the spec",
            data={"opt_in_status": None},
        )
    return Check(
        "region",
        "Region enabled",
        "fail",
        f"{region} is not enabled for this account ({opt_in_status})",
        fix=f"enable it under Account > AWS Regions in the console, or `aws account enable-region "
        f"--region-name {region}`; enabling takes a few minutes",
        data={"opt_in_status": opt_in_status},
    )


def zones_check(
    network: NewVpc | ExistingVpc,
    zones: list[Zone],
    subnet_azs: dict[str, str],
    chosen: list[str],
    choose_problem: str | None = None,
) -> Check:
    """`chosen`: the AZs the cluster will use (the program's pick for a new VPC, else the subnets' AZs);
    `choose_problem`: why the program could not pick enough AZs, if it could not."""
    states = {z.name: z.state for z in zones}
    available = sorted(name for name, state in states.items() if state == "available")
    data = {"available": available, "chosen": chosen}
    troubled = [f"{az} ({states.get(az, 'unknown')})" for az in chosen if states.get(az) != "available"]
    if choose_problem:
        wanted = network.availability_zones if isinstance(network, NewVpc) else len(chosen)
        return Check(
            "availability_zones",
            "Availability Zones",
            "fail",
            choose_problem,
            fix=f"set network.availability_zones lower than {wanted} or pick another region",
            data=data,
        )
    if troubled:
        return Check(
            "availability_zones",
            "Availability Zones",
            "warn",
            f"the cluster would use AZs that are not available now: {', '.join(troubled)}",
            fix="tasks and instances there may not start until AWS clears the AZ; check the AWS Health Dashboard",
            data=data,
        )
    if isinstance(network, NewVpc):
        summary = f"{len(available)} available; the cluster will use {', '.join(chosen)}"
    elif not chosen:
        return Check(
            "availability_zones", "Availability Zones", "skip", "none of the spec's subnets was found", data=data
        )
    else:
        summary = f"the subnets use {', '.join(chosen)}"
    return Check("availability_zones", "Availability Zones", "pass", summary, data=data)


def network_check(network: NewVpc | ExistingVpc, vpc: dict[str, Any] | None, subnets: list[dict[str, Any]]) -> Check:
    if isinstance(network, NewVpc):
        return Check(
            "network",
            "Network",
            "pass",
            f"a new VPC {network.cidr} will be created over {network.availability_zones} AZs",
        )
    found = {s["SubnetId"]: s for s in subnets}
    missing = [s for s in network.subnet_ids if s not in found]
    foreign = [
        f"{s} (in {found[s].get('VpcId')})"
        for s in network.subnet_ids
        if s in found and found[s].get("VpcId") != network.vpc_id
    ]
    azs = sorted({s["AvailabilityZone"] for s in subnets})
    data = {"vpc_id": network.vpc_id, "subnet_azs": {s["SubnetId"]: s["AvailabilityZone"] for s in subnets}}
    problems, fixes = [], []
    if vpc is None:
        problems.append(f"VPC {network.vpc_id} does not exist in this region")
        fixes.append("check network.vpc_id and the spec's region")
    if missing:
        problems.append(f"subnets not found: {', '.join(missing)}")
        fixes.append("check network.subnet_ids (`aws ec2 describe-subnets --filters Name=vpc-id,Values=VPC`)")
    if foreign:
        problems.append(f"subnets outside {network.vpc_id}: {', '.join(foreign)}")
        fixes.append("use subnets of the VPC named in network.vpc_id")
    if subnets and len(azs) < 2:
        problems.append(f"all subnets are in one AZ ({', '.join(azs)}); fault tolerance needs at least 2")
        fixes.append("add a subnet in another AZ to network.subnet_ids")
    if problems:
        return Check("network", "Network", "fail", problems[0], problems[1:], fix="; ".join(fixes), data=data)
    return Check(
        "network",
        "Network",
        "pass",
        f"VPC {network.vpc_id} with {len(subnets)} subnets in {len(azs)} AZs ({', '.join(azs)})",
        data=data,
    )


def instance_types_check(fleet: Fleet | None, region: str, chosen: list[str], offered: dict[str, set[str]]) -> Check:
    """`offered` maps each fleet instance type to every AZ of the region that offers it."""
    if fleet is None or not fleet.enabled:
        return Check("instance_types", "Fleet instance types", "skip", "no fleet in this spec")
    nowhere = [t for t in fleet.instance_types if not offered.get(t)]
    outside = [t for t in fleet.instance_types if offered.get(t) and not offered[t] & set(chosen)]
    partly = {
        t: sorted(set(chosen) - offered[t])
        for t in fleet.instance_types
        if offered.get(t) and offered[t] & set(chosen) and set(chosen) - offered[t]
    }
    data = {"offered_in_chosen_azs": {t: sorted(offered.get(t, set()) & set(chosen)) for t in fleet.instance_types}}
    details = [f"{t} is not offered in {', '.join(azs)}" for t, azs in partly.items()]
    if nowhere or outside:
        problems = [f"{t} is not offered anywhere in {region}" for t in nowhere]
        problems += [
            f"{t} is not offered in {', '.join(chosen)} (only in {', '.join(sorted(offered[t]))})" for t in outside
        ]
        return Check(
            "instance_types",
            "Fleet instance types",
            "fail",
            problems[0],
            problems[1:] + details,
            fix="remove these from fleet.instance_types or replace them with types offered in these AZs "
            "(`aws ec2 describe-instance-type-offerings --location-type availability-zone`)",
            data=data,
        )
    if partly:
        return Check(
            "instance_types",
            "Fleet instance types",
            "warn",
            f"{len(partly)} of {len(fleet.instance_types)} types are missing from some AZs",
            details,
            fix="the fleet only launches them where they are offered; add types offered everywhere for more pools",
            data=data,
        )
    return Check(
        "instance_types",
        "Fleet instance types",
        "pass",
        f"all {len(fleet.instance_types)} types are offered in {', '.join(chosen)}",
        data=data,
    )


def spot_prices_check(
    fleet: Fleet | None,
    chosen: list[str],
    spot: dict[str, dict[str, float]],
    on_demand: dict[str, float] | None,
) -> Check:
    """`spot` maps instance type -> AZ -> current USD/hour; `on_demand` type -> USD/hour (None: no table)."""
    if fleet is None or not fleet.enabled:
        return Check("spot_prices", "Spot prices", "skip", "no fleet in this spec")
    pools = {
        (t, az): p for t, by_az in spot.items() for az, p in by_az.items() if az in chosen and t in fleet.instance_types
    }
    spot_count = max(fleet.capacity - fleet.on_demand_capacity, 0)
    data: dict[str, Any] = {
        "spot": {t: {az: spot.get(t, {}).get(az) for az in chosen} for t in fleet.instance_types},
        "on_demand": {t: (on_demand or {}).get(t) for t in fleet.instance_types} if on_demand is not None else None,
        "spot_instances": spot_count,
        "on_demand_instances": fleet.on_demand_capacity,
    }
    unpriced = [f"{t} in {az}" for t in fleet.instance_types for az in chosen if (t, az) not in pools]
    details = [f"no current Spot price for {', '.join(unpriced)}"] if unpriced else []
    if not pools:
        return Check(
            "spot_prices",
            "Spot prices",
            "warn",
            "no current Spot price for any type in the chosen AZs",
            details,
            fix="check the instance types; the fleet cannot launch Spot instances without a market",
            data=data,
        )
    low, high = min(pools.values()), max(pools.values())
    estimate = {"spot_low": round(spot_count * low, 6), "spot_high": round(spot_count * high, 6)}
    # a group runs what its worker tasks need, up to `max_instances`: these are its figures at the maximum
    most = "at most " if isinstance(fleet, AutoScalingGroupFleet) else ""
    summary = f"{most}{spot_count} Spot instance(s): {usd(estimate['spot_low'])}-{usd(estimate['spot_high'])} per hour"
    known_od = {t: p for t, p in (on_demand or {}).items() if t in fleet.instance_types and p}
    pick = on_demand_pick(fleet, known_od)  # the type the fleet buys on demand, as the estimate has it
    if pick is not None:
        on_demand_price = known_od[pick]
        estimate["on_demand_part"] = round(fleet.on_demand_capacity * on_demand_price, 6)
        estimate["all_on_demand"] = round(fleet.capacity * on_demand_price, 6)
        summary += (
            f" + {fleet.on_demand_capacity} on-demand: {usd(estimate['on_demand_part'])}"
            f" (all on-demand: {usd(estimate['all_on_demand'])})"
        )
    else:
        details.append("on-demand prices unknown here; only Spot prices are shown")
    data["estimate_per_hour"] = estimate
    if fleet.max_price is not None:
        above = sorted(f"{t} in {az}" for (t, az), p in pools.items() if p > fleet.max_price)
        if len(above) == len(pools):
            return Check(
                "spot_prices",
                "Spot prices",
                "fail",
                f"max_price {usd(fleet.max_price)} is below every current Spot price (lowest {usd(low)})",
                details,
                fix="raise fleet.max_price or remove it (recommended: pay the Spot price)",
                data=data,
            )
        if above:
            details.append(f"above max_price {usd(fleet.max_price)}: {', '.join(above)}")
            return Check(
                "spot_prices",
                "Spot prices",
                "warn",
                summary,
                details,
                fix="pools above max_price are skipped; raise or remove fleet.max_price",
                data=data,
            )
    if unpriced:
        return Check(
            "spot_prices",
            "Spot prices",
            "warn",
            summary,
            details,
            fix="those pools have no Spot market now; the fleet uses the others",
            data=data,
        )
    return Check("spot_prices", "Spot prices", "pass", summary, details, data=data)


def usd(value: float) -> str:
    """Dollars with enough digits to tell small Spot prices apart."""
    if value == 0 or value >= 10:
        return f"${value:.2f}"
    return f"${value:.4f}" if value >= 0.001 else f"${value:.6f}"


def skipped(check_id: str, title: str, why: str) -> Check:
    return Check(check_id, title, "skip", why)


def failed(check_id: str, title: str, summary: str, fix: str | None, *, level: CheckLevel = "fail") -> Check:
    return Check(check_id, title, level, summary, fix=fix)
