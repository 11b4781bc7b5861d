"""How the estimate places and prices the fleet's instances (AWS publishes no placement rule we could replay
exactly), for both fleet types.

How many instances:
  spot_fleet             `instances` (the fleet keeps its target capacity running);
  auto_scaling_group     min(`instances`, worker tasks): managed scaling starts what the worker tasks need,
                         priced as one task per instance (a task with all of an instance's GPUs); tasks that
                         share an instance need fewer, so this is the most the group starts for them.
On-demand part: the first `on_demand_capacity` instances; a Spot Fleet buys them at its default on-demand
allocation lowestPrice (the cheapest type), a group at its default `prioritized` (the first listed type).
Spot part, by allocation strategy:
  lowestPrice            Spot Fleet: every instance in the cheapest pool (type × AZ); group (`lowest-price`):
                         over the 2 cheapest pools of each AZ (its spot_instance_pools default), AZs alike;
  diversified            (Spot Fleet only) spread evenly over all pools;
  capacityOptimized*,
  priceCapacityOptimized equal weight per instance type (capacity is not knowable ahead), each type at the
                         mean of its pools.
A pool whose Spot price is above `max_price` is excluded; offline, a type is excluded when even the
largest documented discount leaves it above the cap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..program.options import GROUP_SPOT_ALLOCATION
from ..spec.models import AutoScalingGroupFleet, Fleet
from .model import Cost, Line, LivePrice
from .prices import PriceTable

# The defaults the program leaves the group with (pulumi_aws autoscaling/_inputs.py,
# GroupMixedInstancesPolicyInstancesDistributionArgs): on_demand_allocation_strategy `prioritized`
# (the first listed type), spot_instance_pools 2 (lowest-price).
GROUP_LOWEST_PRICE_POOLS = 2


@dataclass(frozen=True)
class FleetLines:
    lines: list[Line]
    missing: list[str]  # what could not be estimated
    notes: list[str]
    instances: int  # how many instances would run (for their root volumes)


@dataclass(frozen=True)
class _SpotModel:
    price: Cost  # per instance-hour
    on_demand: float  # per instance-hour, the same placement bought on demand
    basis: str
    note: str


def strategy_name(fleet: Fleet) -> str:
    """The allocation strategy as the fleet's own API names it."""
    if isinstance(fleet, AutoScalingGroupFleet):
        return GROUP_SPOT_ALLOCATION[fleet.allocation_strategy]
    return fleet.allocation_strategy


def on_demand_pick(fleet: Fleet, known: dict[str, float]) -> str | None:
    """The type the fleet buys on demand, among the priced ones: see the module docstring."""
    if not known:
        return None
    if isinstance(fleet, AutoScalingGroupFleet):
        return next(t for t in fleet.instance_types if t in known)
    return min(known, key=lambda t: known[t])


def instance_count(fleet: Fleet, capacity: int | None, workers: int | None) -> tuple[int, str | None]:
    """How many instances the estimate prices, and for a group the sentence that says why."""
    most = fleet.capacity if capacity is None else capacity
    if not isinstance(fleet, AutoScalingGroupFleet):
        return most, None
    tasks = workers if workers is not None else (fleet.workers.tasks if fleet.workers is not None else 0)
    count = min(most, tasks)
    if not tasks:
        return 0, "Auto Scaling group: no worker tasks, so managed scaling starts no instance"
    return count, (
        f"Auto Scaling group: {count} instance(s) for {tasks} worker task(s) at one task per instance "
        f"(at most {most}, fleet.max_instances); tasks that share an instance need fewer"
    )


def fleet_lines(
    fleet: Fleet,
    region: str,
    prices: PriceTable,
    capacity: int | None,
    workers: int | None,
    live_spot: Sequence[LivePrice] | None,
) -> FleetLines:
    target, why = instance_count(fleet, capacity, workers)
    notes = [why] if why else []
    if target <= 0:
        return FleetLines([], [], notes, 0)
    on_demand_count = min(fleet.on_demand_capacity, target)
    spot_count = target - on_demand_count
    priced = {t: prices.on_demand(region, t) for t in fleet.instance_types}
    known = {t: p for t, p in priced.items() if p is not None}
    missing: list[str] = []
    unknown = [t for t in fleet.instance_types if t not in known]
    if unknown:
        missing.append(f"instance types not in the price table for {region}: {', '.join(unknown)}")
        if known:
            notes.append(f"the fleet is modelled over the priced types only ({', '.join(known)})")
    if fleet.workers is not None and fleet.workers.tasks:
        notes.append("worker tasks run on the fleet's instances: no charge beyond the instances")

    lines: list[Line] = []
    if on_demand_count:
        lines.append(_on_demand_line(fleet, known, on_demand_count))
    instances = on_demand_count
    if spot_count:
        model = _spot_model(fleet, prices, known, live_spot, notes)
        lines.append(_spot_line(fleet, model, spot_count, known))
        if model is None or model.price.high > 0:
            instances += spot_count
    return FleetLines(lines, missing, notes, instances)


def _label(fleet: Fleet, part: str) -> str:
    return f"{'Auto Scaling group' if isinstance(fleet, AutoScalingGroupFleet) else 'Spot Fleet'}, {part} instances"


def _on_demand_line(fleet: Fleet, known: dict[str, float], count: int) -> Line:
    label = _label(fleet, "on-demand")
    pick = on_demand_pick(fleet, known)
    if pick is None:
        return Line("fleet_on_demand", label, f"{count}", "not_estimated", None, None)
    cost = known[pick] * count
    note = (
        "the first listed type (the group's on-demand allocation prioritized)"
        if isinstance(fleet, AutoScalingGroupFleet)
        else "the cheapest listed type (on-demand allocation lowestPrice)"
    )
    return Line("fleet_on_demand", label, f"{count} × {pick}", "table", Cost.exact(cost), cost, note=note)


def _spot_line(fleet: Fleet, model: _SpotModel | None, count: int, known: dict[str, float]) -> Line:
    quantity = f"{count} over {', '.join(known) or ', '.join(fleet.instance_types)}"
    label = _label(fleet, "Spot")
    if model is None:
        return Line("fleet_spot", label, quantity, "not_estimated", None, None)
    return Line(
        "fleet_spot",
        label,
        quantity,
        model.basis,  # type: ignore[arg-type]
        model.price.times(count),
        model.on_demand * count,
        note=model.note,
    )


def _spot_model(
    fleet: Fleet, prices: PriceTable, known: dict[str, float], live_spot: Sequence[LivePrice] | None, notes: list[str]
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
        return _SpotModel(
            Cost.exact(0.0),
            0.0,
            "live",
            f"every live Spot price is above max_price ${cap:g}/h: the fleet would launch no Spot instances",
        )
    strategy, name = fleet.allocation_strategy, strategy_name(fleet)
    if strategy == "lowestPrice" and isinstance(fleet, AutoScalingGroupFleet):
        zones = sorted({p.availability_zone for p in pools})
        chosen = {
            z: sorted((p for p in pools if p.availability_zone == z), key=lambda p: p.price)[:GROUP_LOWEST_PRICE_POOLS]
            for z in zones
        }
        price = _mean(_mean(p.price for p in picked) for picked in chosen.values())
        on_demand = _mean(_mean(known[p.instance_type] for p in picked) for picked in chosen.values())
        how = f"{name}: the {GROUP_LOWEST_PRICE_POOLS} cheapest pools of each of {len(zones)} AZs, AZs alike"
    elif strategy == "lowestPrice":
        cheapest = min(pools, key=lambda p: p.price)
        price, on_demand = cheapest.price, known[cheapest.instance_type]
        how = f"{name}: all in the cheapest pool, {cheapest.instance_type} in {cheapest.availability_zone}"
    elif strategy == "diversified":
        price = _mean(p.price for p in pools)
        on_demand = _mean(known[p.instance_type] for p in pools)
        how = f"{name}: spread evenly over {len(pools)} pools"
    else:
        types = sorted({p.instance_type for p in pools})
        price = _mean(_mean(p.price for p in pools if p.instance_type == t) for t in types)
        on_demand = _mean(known[t] for t in types)
        how = f"{name}: equal weight per type ({len(types)} types), each at the mean of its AZs"
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
            return _SpotModel(
                Cost.exact(0.0),
                0.0,
                "bound",
                f"every type is above max_price ${cap:g}/h: the fleet would launch no Spot instances",
            )
    ceiling = "max_price" if cap is not None else "on-demand (the default maximum price)"
    range_text = f"a range from {discount:.0%} off on-demand (AWS's stated maximum discount) to {ceiling}"
    name = strategy_name(fleet)
    if fleet.allocation_strategy == "lowestPrice":
        # the cheapest pool (Spot Fleet), or the cheapest few of each AZ (group); which type is cheapest
        # is not known offline, so the types cheapest on demand stand in for them
        pool_count = GROUP_LOWEST_PRICE_POOLS if isinstance(fleet, AutoScalingGroupFleet) else 1
        cheapest = sorted(bounds, key=lambda t: known[t])[:pool_count]
        low = _mean(bounds[t][0] for t in cheapest)
        high = _mean(bounds[t][1] for t in cheapest)
        on_demand = _mean(known[t] for t in cheapest)
        how = (
            f"{name}: the {pool_count} cheapest pools of each AZ, whichever they are"
            if isinstance(fleet, AutoScalingGroupFleet)
            else f"{name}: the cheapest pool, whichever it is"
        )
    else:
        low = _mean(b[0] for b in bounds.values())
        high = _mean(b[1] for b in bounds.values())
        on_demand = _mean(known[t] for t in bounds)
        how = f"{name}: equal weight per type ({len(bounds)} types)"
    return _SpotModel(
        Cost(low, high),
        on_demand,
        "bound",
        f"no live prices, so {range_text}; {how}; run with credentials for live prices",
    )


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items)
