"""What a spec will cost per hour: pure arithmetic from a Spec, the price table and (optionally) live Spot prices.

How the Spot Fleet is modelled (AWS publishes no placement rule we could replay exactly):
  lowestPrice            every Spot instance in the cheapest pool (type × AZ);
  diversified            spread evenly over all pools;
  capacityOptimized*,
  priceCapacityOptimized equal weight per instance type (capacity is not knowable ahead), each type at the
                         mean of its pools;
  on-demand part         the cheapest type (the fleet's default on-demand allocation, lowestPrice).
A pool whose Spot price is above `max_price` is excluded; offline, a type is excluded when even the
largest documented discount leaves it above the cap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..spec.models import ExistingVpc, Spec, Fleet
from .lines import UNPRICED_EXTRAS, Found, add_found, ebs_lines, fargate_lines, nat_gateway_count, nat_lines
from .model import Cost, Estimate, Line, LivePrice, TaskRange
from .prices import PriceTable

EQUAL_PER_TYPE = ("priceCapacityOptimized", "capacityOptimized", "capacityOptimizedPrioritized")


def fargate_split(tasks: int, on_demand_base: int, spot_percent: int) -> tuple[float, float]:
    """(on-demand tasks, Spot tasks): the base first, then the weights split the rest.

    ECS places whole tasks; the weights give the expected share, so the Spot count can be fractional.
    """
    base = min(on_demand_base, tasks)
    spot = (tasks - base) * spot_percent / 100
    return tasks - spot, spot


def estimate(
    spec: Spec,
    prices: PriceTable | None = None,
    *,
    tasks: int | None = None,
    fleet_capacity: int | None = None,
    live_spot: Sequence[LivePrice] | None = None,
    live_unavailable: str | None = None,
) -> Estimate:
    """Estimate the hourly cost of `spec` (at `tasks` / `fleet_capacity` when given, e.g. after a scale).

    `live_spot` replaces the offline Spot ranges for the fleet's types wherever it has a price;
    `live_unavailable` says why live prices were asked for and not had (shown as a note).
    """
    prices = prices or PriceTable.shipped()
    region = spec.region
    desired = spec.training.tasks if tasks is None else tasks
    lines: list[Line] = []
    missing: list[str] = []
    notes: list[str] = []

    if region not in prices.regions():
        known = ", ".join(sorted(prices.regions()))
        missing.append(f"region {region} has no prices in the table (it covers {known})")

    add_found(lines, missing, _training(spec, prices, desired))
    fleet_lines, fleet_missing, fleet_notes, instances = _fleet(spec, prices, fleet_capacity, live_spot)
    lines += fleet_lines
    missing += fleet_missing
    notes += fleet_notes
    count, how = nat_gateway_count(spec)
    add_found(lines, missing, nat_lines(prices, region, count, how))
    if isinstance(spec.network, ExistingVpc):
        notes.append("existing VPC: its NAT gateways (if any) are shared and not counted here")
    if spec.fleet is not None and instances:
        add_found(lines, missing, ebs_lines(prices, region, instances, spec.fleet.root_volume_gib))

    if live_unavailable:
        notes.append(f"live Spot prices unavailable ({live_unavailable}); Spot is shown as a range")
    notes.append(f"not estimated: {UNPRICED_EXTRAS}")
    used_live = tuple(p for p in live_spot or () if _in_fleet(spec, p))
    return Estimate(
        kind="estimate",
        region=region,
        lines=tuple(lines),
        not_estimated=tuple(dict.fromkeys(missing)),
        notes=tuple(notes),
        live_prices=used_live if any(line.basis == "live" for line in lines) else (),
        sources=tuple(prices.sources()),
        task_range=_task_range(spec, prices),
        table_collected=prices.collected,
    )


def _training(spec: Spec, prices: PriceTable, tasks: int) -> Found:
    training = spec.training
    on_demand, spot = fargate_split(tasks, training.capacity.on_demand_base, training.capacity.spot_percent)
    return fargate_lines(
        prices,
        spec.region,
        architecture=training.cpu_architecture,
        cpu=training.cpu,
        memory=training.memory,
        on_demand_tasks=on_demand,
        spot_tasks=spot,
    )


def _task_range(spec: Spec, prices: PriceTable) -> TaskRange | None:
    scaling = spec.autoscaling
    if scaling is None:
        return None

    def fargate_at(count: int) -> Cost | None:
        lines, missing = _training(spec, prices, count)
        if missing:
            return None
        total = Cost(0.0, 0.0)
        for line in lines:
            total = total + line.hourly  # type: ignore[operator]
        return total

    return TaskRange(scaling.min_tasks, scaling.max_tasks, fargate_at(scaling.min_tasks), fargate_at(scaling.max_tasks))


def _in_fleet(spec: Spec, price: LivePrice) -> bool:
    return spec.fleet is not None and price.instance_type in spec.fleet.instance_types


# --- the Spot Fleet ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SpotModel:
    price: Cost  # per instance-hour
    on_demand: float  # per instance-hour, the same placement bought on demand
    basis: str
    note: str


def _fleet(
    spec: Spec, prices: PriceTable, capacity: int | None, live_spot: Sequence[LivePrice] | None
) -> tuple[list[Line], list[str], list[str], int]:
    """Lines for the fleet, what was not estimated, notes, and how many instances would run."""
    fleet = spec.fleet
    if fleet is None or not fleet.enabled:
        return [], [], [], 0
    target = fleet.instances if capacity is None else capacity
    if target <= 0:
        return [], [], [], 0
    region = spec.region
    on_demand_count = min(fleet.on_demand_capacity, target)
    spot_count = target - on_demand_count
    priced = {t: prices.on_demand(region, t) for t in fleet.instance_types}
    known = {t: p for t, p in priced.items() if p is not None}
    missing: list[str] = []
    notes: list[str] = []
    unknown = [t for t in fleet.instance_types if t not in known]
    if unknown:
        missing.append(f"instance types not in the price table for {region}: {', '.join(unknown)}")
        if known:
            notes.append(f"the fleet is modelled over the priced types only ({', '.join(known)})")
    if fleet.workers is not None and fleet.workers.tasks:
        notes.append("worker tasks run on the fleet's instances: no charge beyond the instances")

    lines: list[Line] = []
    if on_demand_count:
        lines.append(_fleet_on_demand(known, on_demand_count))
    instances = on_demand_count
    if spot_count:
        model = _spot_model(fleet, prices, known, live_spot, notes)
        lines.append(_fleet_spot_line(fleet, model, spot_count, known))
        if model is None or model.price.high > 0:
            instances += spot_count
    return lines, missing, notes, instances


def _fleet_on_demand(known: dict[str, float], count: int) -> Line:
    if not known:
        return Line("fleet_on_demand", "Spot Fleet, on-demand instances", f"{count}", "not_estimated", None, None)
    cheapest = min(known, key=lambda t: known[t])
    cost = known[cheapest] * count
    return Line(
        "fleet_on_demand",
        "Spot Fleet, on-demand instances",
        f"{count} × {cheapest}",
        "table",
        Cost.exact(cost),
        cost,
        note="the cheapest listed type (on-demand allocation lowestPrice)",
    )


def _fleet_spot_line(fleet: Fleet, model: _SpotModel | None, count: int, known: dict[str, float]) -> Line:
    quantity = f"{count} over {', '.join(known) or ', '.join(fleet.instance_types)}"
    if model is None:
        return Line("fleet_spot", "Spot Fleet, Spot instances", quantity, "not_estimated", None, None)
    return Line(
        "fleet_spot",
        "Spot Fleet, Spot instances",
        quantity,
        model.basis,  # type: ignore[arg-type]
        model.price.times(count),
        model.on_demand * count,
        note=model.note,
    )


def _spot_model(
    fleet: Fleet,
    prices: PriceTable,
    known: dict[str, float],
    live_spot: Sequence[LivePrice] | None,
    notes: list[str],
) -> _SpotModel | None:
    if not known:
        return None
    pools = [p for p in live_spot or () if p.instance_type in known]
    if pools:
        return _live_model(fleet, known, pools, notes)
    if live_spot is not None:
        notes.append("no live Spot price was found for the fleet's types; the Spot part is a range")
    return _offline_model(fleet, prices, known, notes)


def _live_model(fleet: Fleet, known: dict[str, float], pools: list[LivePrice], notes: list[str]) -> _SpotModel:
    without_price = [t for t in known if not any(p.instance_type == t for p in pools)]
    if without_price:
        notes.append(
            f"no live Spot price for {', '.join(without_price)} in the chosen AZs (not offered there?): left out"
        )
    cap = fleet.max_price
    if cap is not None:
        above = [p for p in pools if p.price > cap]
        pools = [p for p in pools if p.price <= cap]
        if above:
            names = sorted({f"{p.instance_type} in {p.availability_zone}" for p in above})
            notes.append(f"above the price cap ${cap:g}/h, excluded: {', '.join(names)}")
    if not pools:
        return _SpotModel(Cost.exact(0.0), 0.0, "live", f"every live Spot price is above max_price ${cap:g}/h: "
                          "the fleet would launch no Spot instances")
    strategy = fleet.allocation_strategy
    if strategy == "lowestPrice":
        cheapest = min(pools, key=lambda p: p.price)
        price, on_demand = cheapest.price, known[cheapest.instance_type]
        how = f"lowestPrice: all in the cheapest pool, {cheapest.instance_type} in {cheapest.availability_zone}"
    elif strategy == "diversified":
        price = _mean(p.price for p in pools)
        on_demand = _mean(known[p.instance_type] for p in pools)
        how = f"diversified: spread evenly over {len(pools)} pools"
    else:
        types = sorted({p.instance_type for p in pools})
        price = _mean(_mean(p.price for p in pools if p.instance_type == t) for t in types)
        on_demand = _mean(known[t] for t in types)
        how = f"{strategy}: equal weight per type ({len(types)} types), each at the mean of its AZs"
    return _SpotModel(Cost.exact(price), on_demand, "live", f"live Spot prices; {how}")


def _offline_model(fleet: Fleet, prices: PriceTable, known: dict[str, float], notes: list[str]) -> _SpotModel:
    discount = prices.ec2_spot_max_discount
    cap = fleet.max_price
    bounds = {t: (od * (1 - discount), cap if cap is not None else od) for t, od in known.items()}
    if cap is not None:
        excluded = [t for t, (low, _) in bounds.items() if low > cap]
        if excluded:
            notes.append(
                f"above the price cap ${cap:g}/h even at the largest Spot discount, excluded: {', '.join(excluded)}"
            )
        bounds = {t: b for t, b in bounds.items() if t not in excluded}
        if not bounds:
            return _SpotModel(Cost.exact(0.0), 0.0, "bound",
                              f"every type is above max_price ${cap:g}/h: the fleet would launch no Spot instances")
    ceiling = "max_price" if cap is not None else "on-demand (the default maximum price)"
    range_text = f"a range from {discount:.0%} off on-demand (AWS's stated maximum discount) to {ceiling}"
    if fleet.allocation_strategy == "lowestPrice":
        low = min(b[0] for b in bounds.values())
        high = min(b[1] for b in bounds.values())
        on_demand = min(known[t] for t in bounds)
        how = "lowestPrice: the cheapest pool, whichever it is"
    else:
        low = _mean(b[0] for b in bounds.values())
        high = _mean(b[1] for b in bounds.values())
        on_demand = _mean(known[t] for t in bounds)
        how = f"{fleet.allocation_strategy}: equal weight per type ({len(bounds)} types)"
    return _SpotModel(
        Cost(low, high), on_demand, "bound", f"no live prices, so {range_text}; {how}; run with credentials for live prices"
    )


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items)

