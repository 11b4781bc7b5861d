"""The shipped price table (src/ftcluster/data/prices.json): load it, check its shape, look prices up.

A lookup returns None for anything the table does not hold; callers turn that into "not estimated".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import FtclusterError

SCHEMA = 1
SECTIONS = ("fargate", "fargate_spot", "ec2_spot", "nat_gateway", "ebs_gp3", "ec2_on_demand")


@dataclass(frozen=True)
class FargateRate:
    vcpu_hour: float
    gb_hour: float

    def task_hour(self, cpu_units: int, memory_mib: int) -> float:
        """Price of one task-hour; Fargate bills vCPU (1024 units) and GB (1024 MiB) separately."""
        return cpu_units / 1024 * self.vcpu_hour + memory_mib / 1024 * self.gb_hour


@dataclass(frozen=True)
class SourceNote:
    """Where a section's figures come from, for the estimate's output."""

    section: str
    as_of: str
    source: str


class PriceTable:
    """A validated price table; build with `PriceTable(data)`, `PriceTable.shipped()` or `from_file`."""

    def __init__(self, data: dict[str, Any], *, origin: str = "price table") -> None:
        _check_shape(data, origin)
        self.origin = origin
        self.collected: str = data.get("collected", "")
        self._data = data
        self._on_demand: dict[str, dict[str, tuple[float, int]]] = {}
        for index, section in enumerate(data["ec2_on_demand"]["sections"]):
            for region, types in section["regions"].items():
                for instance_type, price in types.items():
                    self._on_demand.setdefault(region, {})[instance_type] = (float(price), index)

    @classmethod
    def shipped(cls) -> PriceTable:
        return _shipped()

    @classmethod
    def from_file(cls, path: Path) -> PriceTable:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise FtclusterError(f"cannot read price table {path}: {err}") from None
        return cls(data, origin=str(path))

    # --- lookups ---------------------------------------------------------------------------------

    def regions(self) -> frozenset[str]:
        """Regions for which the table holds at least one figure."""
        found: set[str] = set(self._on_demand)
        for section in ("fargate", "nat_gateway", "ebs_gp3"):
            found.update(self._data[section]["regions"])
        return frozenset(found)

    def fargate(self, region: str, architecture: str = "X86_64") -> FargateRate | None:
        rate = self._data["fargate"]["regions"].get(region, {}).get(architecture)
        return FargateRate(float(rate["vcpu_hour"]), float(rate["gb_hour"])) if rate else None

    @property
    def fargate_spot_max_discount(self) -> float:
        return float(self._data["fargate_spot"]["max_discount"])

    @property
    def ec2_spot_max_discount(self) -> float:
        return float(self._data["ec2_spot"]["max_discount"])

    def nat_hour(self, region: str) -> float | None:
        entry = self._data["nat_gateway"]["regions"].get(region)
        return float(entry["hour"]) if entry else None

    def nat_per_gb(self, region: str) -> float | None:
        entry = self._data["nat_gateway"]["regions"].get(region, {})
        return float(entry["per_gb_processed"]) if "per_gb_processed" in entry else None

    def gp3_gb_month(self, region: str) -> float | None:
        entry = self._data["ebs_gp3"]["regions"].get(region)
        return float(entry["gb_month"]) if entry else None

    def on_demand(self, region: str, instance_type: str) -> float | None:
        found = self._on_demand.get(region, {}).get(instance_type)
        return found[0] if found else None

    # --- provenance ------------------------------------------------------------------------------

    def sources(self) -> list[SourceNote]:
        notes = [
            SourceNote(name, self._data[name]["as_of"], self._data[name]["source"])
            for name in ("fargate", "fargate_spot", "ec2_spot", "nat_gateway", "ebs_gp3")
        ]
        for section in self._data["ec2_on_demand"]["sections"]:
            families = ", ".join(section["families"])
            notes.append(SourceNote(f"ec2_on_demand ({families})", section["as_of"], section["source"]))
        return notes


@lru_cache(maxsize=1)
def _shipped() -> PriceTable:
    text = resources.files("ftcluster").joinpath("data/prices.json").read_text(encoding="utf-8")
    return PriceTable(json.loads(text), origin="ftcluster/data/prices.json")


def _check_shape(data: Any, origin: str) -> None:
    """Fail early and clearly on a broken table instead of with a KeyError deep in the arithmetic."""

    def bad(what: str) -> FtclusterError:
        return FtclusterError(f"{origin}: {what}", hint="restore src/ftcluster/data/prices.json from the package")

    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise bad(f"not a price table of schema {SCHEMA}")
    for name in SECTIONS:
        section = data.get(name)
        if not isinstance(section, dict):
            raise bad(f"section `{name}` is missing")
        if name == "ec2_on_demand":
            if not isinstance(section.get("sections"), list):
                raise bad("`ec2_on_demand.sections` must be a list")
            parts = section["sections"]
        else:
            parts = [section]
        for part in parts:
            if not part.get("as_of") or not part.get("source"):
                raise bad(f"a part of `{name}` has no as_of or source")
            for region, values in part.get("regions", {}).items():
                _check_numbers(values, f"{name}.{region}", bad)
    for name in ("fargate_spot", "ec2_spot"):
        discount = data[name].get("max_discount")
        if not isinstance(discount, int | float) or not 0 < discount < 1:
            raise bad(f"`{name}.max_discount` must be a fraction between 0 and 1")


def _check_numbers(values: Any, where: str, bad: Any) -> None:
    if isinstance(values, dict):
        for key, value in values.items():
            _check_numbers(value, f"{where}.{key}", bad)
    elif isinstance(values, bool) or not isinstance(values, int | float) or values < 0:
        raise bad(f"`{where}` must be a non-negative number")
