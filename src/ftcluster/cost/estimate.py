"""What a spec will cost per hour: pure arithmetic from a Spec, the price table and (optionally) live Spot prices.

The fleet's placement model (both fleet types) lives in fleet_model.py. An elastic job adds its
rendezvous: one Fargate task, on-demand only (never Spot), of the size the program gives it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..program.options import RENDEZVOUS_CPU, RENDEZVOUS_MEMORY  # the program's own size (no pulumi import)
from ..spec.aws_rules import instance_architecture
from ..spec.models import ExistingVpc, Spec
from .fleet_model import fleet_lines
from .lines import UNPRICED_EXTRAS, Found, add_found, ebs_lines, fargate_lines, nat_gateway_count, nat_lines
from .model import Cost, Estimate, Line, LivePrice, TaskRange
from .prices import PriceTable


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
    workers: int | None = None,
    live_spot: Sequence[LivePrice] | None = None,
    live_unavailable: str | None = None,
) -> Estimate:
    """Estimate the hourly cost of `spec` (at `tasks` / `fleet_capacity` / `workers` when given, e.g. after
    a scale; an Auto Scaling group's instances follow its worker tasks).

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
    instances = 0
    if spec.fleet is not None and spec.fleet.enabled:
        fleet = fleet_lines(spec.fleet, region, prices, fleet_capacity, workers, live_spot)
        lines += fleet.lines
        missing += fleet.missing
        notes += fleet.notes
        instances = fleet.instances
        add_found(lines, missing, _rendezvous(spec, prices))
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


def _rendezvous(spec: Spec, prices: PriceTable) -> Found:
    fleet = spec.fleet
    workers = fleet.workers if fleet is not None else None
    if fleet is None or workers is None or workers.distributed is None:
        return [], []
    found, missing = fargate_lines(
        prices,
        spec.region,
        architecture=instance_architecture(fleet.instance_types[0]),
        cpu=RENDEZVOUS_CPU,
        memory=RENDEZVOUS_MEMORY,
        on_demand_tasks=1,
        spot_tasks=0,
    )
    note = "the elastic job's c10d rendezvous store: one task on Fargate, never Spot"
    return [
        replace(line, component="rendezvous", label="Rendezvous task, on-demand", note=note) for line in found
    ], missing


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
