"""Line builders shared by the estimate and the run-rate: Fargate, NAT gateways, EBS, counted instances."""

from __future__ import annotations

from collections.abc import Mapping

from ..spec.models import ExistingVpc, Spec
from .model import HOURS_PER_MONTH, Cost, Line
from .prices import PriceTable

Found = tuple[list[Line], list[str]]  # lines, and sentences naming what could not be estimated

# The job-completed rule and state machine (program/completion.py) cost next to nothing: EventBridge does not
# charge for AWS service events it delivers, and Step Functions bills state transitions (a handful per task
# that stops by itself) past a monthly free tier (AWS pricing pages of both services).
UNPRICED_EXTRAS = (
    "data transfer, public IPv4 addresses, CloudWatch Logs, S3 checkpoint storage and requests, "
    "Fargate ephemeral storage above the 20 GB included per task, "
    "Step Functions transitions when a task stops by itself (a few cents per thousand)"
)


def add_found(lines: list[Line], missing: list[str], found: Found) -> None:
    """Collect what a line builder found: its lines, and what it could not estimate."""
    lines.extend(found[0])
    missing.extend(found[1])


def count_text(count: float) -> str:
    """Task counts can be fractional (a capacity-provider weight share); show them without noise."""
    return f"{count:g}" if count == int(count) else f"{count:.2f}"


def fargate_lines(
    prices: PriceTable,
    region: str,
    *,
    architecture: str,
    cpu: int,
    memory: int,
    on_demand_tasks: float,
    spot_tasks: float,
) -> Found:
    size = f"{cpu / 1024:g} vCPU / {memory / 1024:g} GB"
    rate = prices.fargate(region, architecture)
    lines: list[Line] = []
    missing: list[str] = []
    if rate is None and (on_demand_tasks or spot_tasks):
        missing.append(f"Fargate Linux/{architecture} prices for {region} are not in the price table")
    per_task = rate.task_hour(cpu, memory) if rate else None
    if on_demand_tasks:
        cost = per_task * on_demand_tasks if per_task is not None else None
        lines.append(
            Line(
                "fargate_on_demand",
                "Fargate tasks, on-demand",
                f"{count_text(on_demand_tasks)} × {size}",
                "table" if cost is not None else "not_estimated",
                Cost.exact(cost) if cost is not None else None,
                cost,
            )
        )
    if spot_tasks:
        on_demand_equivalent = per_task * spot_tasks if per_task is not None else None
        hourly = None
        if on_demand_equivalent is not None:
            hourly = Cost(on_demand_equivalent * (1 - prices.fargate_spot_max_discount), on_demand_equivalent)
        lines.append(
            Line(
                "fargate_spot",
                "Fargate Spot tasks",
                f"{count_text(spot_tasks)} × {size}",
                "bound" if hourly is not None else "not_estimated",
                hourly,
                on_demand_equivalent,
                note=(
                    f"Fargate Spot prices move with supply and demand; AWS states discounts of up to "
                    f"{prices.fargate_spot_max_discount:.0%}, so this is a range, not an estimate"
                ),
            )
        )
    return lines, missing


def nat_gateway_count(spec: Spec) -> tuple[int, str]:
    """How many NAT gateways the spec's network has, and why (for the estimate's quantity column)."""
    network = spec.network
    if isinstance(network, ExistingVpc):
        return 0, "existing VPC"
    if network.nat == "per_az":
        return network.availability_zones, "one per AZ"
    if network.nat == "single":
        return 1, "single"
    return 0, "none"


def nat_lines(prices: PriceTable, region: str, count: int, how: str) -> Found:
    if count <= 0:
        return [], []
    hour = prices.nat_hour(region)
    cost = hour * count if hour is not None else None
    per_gb = prices.nat_per_gb(region)
    processing = f"${per_gb:g} per GB processed" if per_gb is not None else "a per-GB processing charge"
    line = Line(
        "nat_gateway",
        "NAT gateways",
        f"{count} ({how})",
        "table" if cost is not None else "not_estimated",
        Cost.exact(cost) if cost is not None else None,
        cost,
        note=f"hourly charge only; {processing} is added by traffic and not estimated",
    )
    missing = [] if cost is not None else [f"the NAT gateway price for {region} is not in the price table"]
    return [line], missing


def ebs_lines(prices: PriceTable, region: str, volumes: int, gib_each: int) -> Found:
    if volumes <= 0 or gib_each <= 0:
        return [], []
    gb_month = prices.gp3_gb_month(region)
    # EBS bills GB-months prorated by the hour; over a 30-day month the monthly figure is exactly gb_month × GiB.
    cost = volumes * gib_each * gb_month / HOURS_PER_MONTH if gb_month is not None else None
    line = Line(
        "ebs",
        "EBS gp3 root volumes",
        f"{volumes} × {gib_each} GiB",
        "table" if cost is not None else "not_estimated",
        Cost.exact(cost) if cost is not None else None,
        cost,
    )
    missing = [] if cost is not None else [f"the EBS gp3 price for {region} is not in the price table"]
    return [line], missing


def counted_instance_lines(
    prices: PriceTable,
    region: str,
    on_demand: Mapping[str, int],
    spot: Mapping[str, list[float | None]],
    *,
    max_price: float | None = None,
) -> Found:
    """Instances known one by one (the run-rate): `spot` maps each type to one entry per instance,
    its live price or None when no live price is known for its pool."""
    lines: list[Line] = []
    missing: list[str] = []
    unknown = sorted(t for t in {*on_demand, *spot} if prices.on_demand(region, t) is None)
    if unknown:
        missing.append(f"instance types not in the price table for {region}: {', '.join(unknown)}")

    od_count = sum(on_demand.values())
    if od_count:
        priced = {t: n for t, n in on_demand.items() if t not in unknown}
        cost = sum((prices.on_demand(region, t) or 0.0) * n for t, n in priced.items())  # priced: every type known
        complete = len(priced) == len(on_demand)
        lines.append(
            Line(
                "fleet_on_demand",
                "EC2 instances, on-demand",
                _type_counts(on_demand),
                "table" if priced else "not_estimated",
                Cost.exact(cost) if priced else None,
                cost if priced else None,
                note="" if complete else "covers only the instance types in the price table",
            )
        )

    spot_count = sum(len(v) for v in spot.values())
    if spot_count:
        total = Cost(0.0, 0.0)
        on_demand_equivalent = 0.0
        live = bounded = 0
        for instance_type, entries in spot.items():
            od_price = prices.on_demand(region, instance_type)
            for price in entries:
                if price is not None:
                    total = total + Cost.exact(price)
                    live += 1
                elif od_price is not None:
                    ceiling = max_price if max_price is not None else od_price
                    total = total + Cost(od_price * (1 - prices.ec2_spot_max_discount), ceiling)
                    bounded += 1
                else:
                    continue
                if od_price is not None:
                    on_demand_equivalent += od_price
        counted = live + bounded
        basis = "live" if counted and not bounded else "bound" if counted else "not_estimated"
        note_parts = []
        if live:
            note_parts.append(f"{live} at live Spot prices")
        if bounded:
            note_parts.append(
                f"{bounded} without a live price: a range from {prices.ec2_spot_max_discount:.0%} off "
                "on-demand (AWS's stated maximum discount) to "
                + ("max_price" if max_price is not None else "on-demand (the default maximum price)")
            )
        if counted < spot_count:
            note_parts.append(f"{spot_count - counted} of unknown type not estimated")
        lines.append(
            Line(
                "fleet_spot",
                "EC2 instances, Spot",
                _type_counts({t: len(v) for t, v in spot.items()}),
                basis,  # type: ignore[arg-type]
                total if counted else None,
                on_demand_equivalent if counted else None,
                note="; ".join(note_parts),
            )
        )
    return lines, missing


def _type_counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n} × {t}" for t, n in sorted(counts.items()) if n)
