"""What the cluster costs per hour right now, from a snapshot of what runs (gathered by `ftcluster status`).

`RunningSnapshot` is deliberately plain; `snapshot_from_status` fills it from the live status data and
the spec, and `cluster_run_rate` adds live Spot prices for what runs on Spot.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..spec.models import Spec
from .estimate import RENDEZVOUS_CPU, RENDEZVOUS_MEMORY
from .lines import (
    UNPRICED_EXTRAS,
    add_found,
    counted_instance_lines,
    ebs_lines,
    fargate_lines,
    nat_gateway_count,
    nat_lines,
)
from .model import Estimate, Line, LivePrice
from .prices import PriceTable

FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
# Fargate bills from the image pull until the task stops; these are the states in that window.
BILLED_TASK_STATES = frozenset({"PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING"})


@dataclass(frozen=True)
class RunningTasks:
    """`count` tasks of one size on one capacity provider.

    capacity_provider: "FARGATE" or "FARGATE_SPOT"; anything else ("EC2", an ASG provider) runs on
    instances and costs nothing beyond them. cpu: task CPU units (1024 = 1 vCPU); memory: MiB; None
    when the size is not known (such Fargate tasks are listed as not estimated, never priced at $0).
    """

    capacity_provider: str
    cpu: int | None
    memory: int | None
    count: int = 1
    cpu_architecture: str = "X86_64"


@dataclass(frozen=True)
class RunningInstances:
    """`count` EC2 instances of one type, lifecycle "spot", "on-demand" or "unknown" (not priced, named
    as not estimated), optionally in one AZ."""

    instance_type: str
    lifecycle: str
    count: int = 1
    availability_zone: str | None = None


@dataclass(frozen=True)
class RunningSnapshot:
    region: str
    tasks: tuple[RunningTasks, ...] = ()
    instances: tuple[RunningInstances, ...] = ()
    nat_gateways: int = 0
    root_volume_gib: int = 0  # per instance (fleet.root_volume_gib); 0 leaves EBS out


def run_rate(
    snapshot: RunningSnapshot,
    prices: PriceTable | None = None,
    *,
    live_spot: Sequence[LivePrice] | None = None,
    spot_max_price: float | None = None,
    live_unavailable: str | None = None,
) -> Estimate:
    """Cost per hour of what `snapshot` says runs; Spot instances at their live pool price when known.

    `spot_max_price`: the fleet's max_price, the ceiling of a Spot instance without a live price.
    `live_unavailable`: why live prices were not had, shown as a note.
    """
    prices = prices or PriceTable.shipped()
    region = snapshot.region
    lines: list[Line] = []
    missing: list[str] = []
    if region not in prices.regions():
        missing.append(f"region {region} has no prices in the table (it covers {', '.join(sorted(prices.regions()))})")

    sizes: dict[tuple[int, int, str], dict[str, int]] = defaultdict(lambda: {"FARGATE": 0, "FARGATE_SPOT": 0})
    on_instances = 0
    sizeless: Counter[str] = Counter()
    for group in snapshot.tasks:
        if group.capacity_provider not in FARGATE_PROVIDERS:
            on_instances += group.count
        elif not group.cpu or not group.memory:
            sizeless[group.capacity_provider] += group.count
        else:
            sizes[(group.cpu, group.memory, group.cpu_architecture)][group.capacity_provider] += group.count
    missing += [
        f"{count} {provider} task(s) whose CPU and memory size is unknown"
        for provider, count in sorted(sizeless.items())
    ]
    for (cpu, memory, architecture), counts in sorted(sizes.items()):
        found = fargate_lines(
            prices,
            region,
            architecture=architecture,
            cpu=cpu,
            memory=memory,
            on_demand_tasks=counts["FARGATE"],
            spot_tasks=counts["FARGATE_SPOT"],
        )
        add_found(lines, missing, found)

    live = {(p.instance_type, p.availability_zone): p.price for p in live_spot or ()}
    on_demand: Counter[str] = Counter()
    spot: dict[str, list[float | None]] = defaultdict(list)
    unknown = sum(g.count for g in snapshot.instances if g.lifecycle not in ("spot", "on-demand"))
    if unknown:
        missing.append(f"{unknown} instance(s) whose purchase option (Spot or on-demand) could not be read")
    for instances in snapshot.instances:
        if instances.lifecycle not in ("spot", "on-demand"):
            continue
        if instances.lifecycle == "spot":
            price = live.get((instances.instance_type, instances.availability_zone or ""))
            spot[instances.instance_type] += [price] * instances.count
        else:
            on_demand[instances.instance_type] += instances.count
    add_found(lines, missing, counted_instance_lines(prices, region, on_demand, spot, max_price=spot_max_price))
    add_found(lines, missing, nat_lines(prices, region, snapshot.nat_gateways, "running"))
    instance_count = sum(g.count for g in snapshot.instances)
    add_found(lines, missing, ebs_lines(prices, region, instance_count, snapshot.root_volume_gib))

    notes = []
    if on_instances:
        notes.append(f"{on_instances} task(s) run on EC2 instances: no charge beyond the instances")
    if live_unavailable:
        notes.append(f"live Spot prices unavailable ({live_unavailable}); Spot is shown as a range")
    notes.append(f"not estimated: {UNPRICED_EXTRAS}")
    spot_pools = {(g.instance_type, g.availability_zone) for g in snapshot.instances if g.lifecycle == "spot"}
    return Estimate(
        kind="run_rate",
        region=region,
        lines=tuple(lines),
        not_estimated=tuple(dict.fromkeys(missing)),
        notes=tuple(notes),
        live_prices=tuple(p for p in live_spot or () if (p.instance_type, p.availability_zone) in spot_pools),
        sources=tuple(prices.sources()),
        table_collected=prices.collected,
    )


def snapshot_from_status(status: Any, spec: Spec | None = None) -> RunningSnapshot:
    """Map `ftcluster.live.status_model.ClusterStatus` onto a snapshot (read by attribute, not imported).

    Tasks: `status.tasks` in a billed state, by `capacity_provider`, `cpu`, `memory`; instances:
    `status.fleet.instances` and `status.group.instances` that are `running`, by `instance_type`,
    `lifecycle`, `availability_zone` (a group instance EC2 could not be asked about counts while the
    group has it in service, with its lifecycle "unknown").
    The status holds no NAT gateways, root volume size or task architecture: they come from the
    cluster's spec (without one they are left out). A task without a readable size takes the spec's
    when it belongs to the training service (`status.training.name`), the program's when it is the
    rendezvous (`status.rendezvous.name`), else its size stays unknown.
    """
    training = status.training.name if spec is not None and status.training is not None else None
    rendezvous = getattr(getattr(status, "rendezvous", None), "name", None)
    task_groups: Counter[tuple[str, int | None, int | None]] = Counter()
    for task in status.tasks:
        if task.last_status not in BILLED_TASK_STATES:
            continue
        cpu, memory = _size(task.cpu), _size(task.memory)
        if (cpu is None or memory is None) and spec is not None and training and task.service == training:
            cpu, memory = spec.training.cpu, spec.training.memory
        elif (cpu is None or memory is None) and rendezvous and task.service == rendezvous:
            cpu, memory = RENDEZVOUS_CPU, RENDEZVOUS_MEMORY  # its size is the program's, not the spec's
        task_groups[(task.capacity_provider, cpu, memory)] += 1
    instance_groups: Counter[tuple[str, str, str | None]] = Counter()
    running = [i for i in status.fleet.instances if i.state == "running"] if status.fleet is not None else []
    group = getattr(status, "group", None)
    if group is not None:
        running += [
            i
            for i in group.instances
            if i.state == "running" or (i.state == "unknown" and i.lifecycle_state == "InService")
        ]
    for instance in running:
        instance_groups[(instance.instance_type, instance.lifecycle, instance.availability_zone)] += 1
    return RunningSnapshot(
        region=status.region,
        tasks=tuple(
            RunningTasks(provider, cpu, memory, count, spec.training.cpu_architecture if spec else "X86_64")
            for (provider, cpu, memory), count in sorted(task_groups.items(), key=lambda kv: str(kv[0]))
        ),
        instances=tuple(
            RunningInstances(itype, lifecycle, count, zone)
            for (itype, lifecycle, zone), count in sorted(instance_groups.items(), key=lambda kv: str(kv[0]))
        ),
        nat_gateways=nat_gateway_count(spec)[0] if spec else 0,
        root_volume_gib=spec.fleet.root_volume_gib if spec and spec.fleet else 0,
    )


def _size(value: Any) -> int | None:
    """A task's cpu or memory as ECS reports it ("4096"); None when absent or not a number."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def cluster_run_rate(status: Any, spec: Spec | None, *, endpoint_url: str | None = None) -> Estimate:
    """The run-rate of a cluster as `ftcluster status` saw it, with live prices for its Spot instances
    when AWS answers (else the Spot part is a range, and a note says why)."""
    from .spot_live import LivePricesUnavailable, live_spot_prices

    snapshot = snapshot_from_status(status, spec)
    spot = [group for group in snapshot.instances if group.lifecycle == "spot"]
    live, why_not = None, None
    if spot:
        try:
            live = live_spot_prices(
                snapshot.region,
                sorted({group.instance_type for group in spot}),
                sorted({group.availability_zone for group in spot if group.availability_zone}),
                endpoint_url=endpoint_url,
            )
        except LivePricesUnavailable as err:
            why_not = err.message
    max_price = spec.fleet.max_price if spec and spec.fleet else None
    return run_rate(snapshot, live_spot=live, spot_max_price=max_price, live_unavailable=why_not)
