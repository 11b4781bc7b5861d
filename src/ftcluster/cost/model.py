"""The result of a cost calculation: lines with exact or bounded hourly costs, totals, and what was left out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .prices import SourceNote

HOURS_PER_MONTH = 720  # a 30-day month, as every figure's "per month" means

Basis = Literal["table", "live", "bound", "not_estimated"]


@dataclass(frozen=True)
class Cost:
    """USD per hour, known exactly (low == high) or only between two bounds (Spot without live prices)."""

    low: float
    high: float

    @classmethod
    def exact(cls, value: float) -> Cost:
        return cls(value, value)

    @property
    def is_exact(self) -> bool:
        return abs(self.high - self.low) < 1e-12

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.low + other.low, self.high + other.high)

    def times(self, factor: float) -> Cost:
        return Cost(self.low * factor, self.high * factor)


ZERO = Cost(0.0, 0.0)


@dataclass(frozen=True)
class LivePrice:
    """One current Spot price from DescribeSpotPriceHistory: a pool is an instance type in one AZ."""

    instance_type: str
    availability_zone: str
    price: float
    timestamp: str = ""


@dataclass(frozen=True)
class Line:
    """One part of the bill. `hourly` is None when it could not be estimated (named in `note`)."""

    component: str  # fargate_on_demand | fargate_spot | fleet_on_demand | fleet_spot | nat_gateway | ebs | ...
    label: str
    quantity: str
    basis: Basis
    hourly: Cost | None
    on_demand_hourly: float | None  # the same capacity bought on demand: the comparison figure
    note: str = ""


@dataclass(frozen=True)
class TaskRange:
    """Fargate cost at the auto scaling floor and ceiling (the estimate itself is at the desired count)."""

    min_tasks: int
    max_tasks: int
    at_min: Cost | None
    at_max: Cost | None


@dataclass(frozen=True)
class Estimate:
    """An estimate for a spec, or a run-rate of what runs now (`kind`)."""

    kind: Literal["estimate", "run_rate"]
    region: str
    lines: tuple[Line, ...]
    not_estimated: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    live_prices: tuple[LivePrice, ...] = ()
    sources: tuple[SourceNote, ...] = ()
    task_range: TaskRange | None = None
    table_collected: str = ""

    @property
    def total(self) -> Cost:
        total = ZERO
        for line in self.lines:
            if line.hourly is not None:
                total = total + line.hourly
        return total

    @property
    def all_on_demand(self) -> float:
        """What the same estimated capacity would cost bought entirely on demand."""
        return sum(line.on_demand_hourly or 0.0 for line in self.lines if line.hourly is not None)

    @property
    def saving(self) -> Cost:
        """All on-demand minus the estimate: low uses the dearest estimate, high the cheapest."""
        total = self.total
        return Cost(self.all_on_demand - total.high, self.all_on_demand - total.low)

    @property
    def exact(self) -> bool:
        """True when every part is priced by a single figure and nothing was left out."""
        return not self.not_estimated and all(line.hourly is not None and line.hourly.is_exact for line in self.lines)

    @property
    def uses_live_prices(self) -> bool:
        return any(line.basis == "live" for line in self.lines)
