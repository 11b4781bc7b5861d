"""The spec `up` records in stack config (`ftcluster:spec`), with its format version.

Every format ftcluster ever wrote stays readable: each change of format has a migration below, a
function from one format to the next, and a test on a record of that format (tests/engine/recorded).
A record that cannot be read raises `UnreadableRecord` with the cause; it never counts as no record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from .. import __version__
from ..spec import Spec

SPEC_KEY = "ftcluster:spec"

# Formats, oldest first:
#   1  the spec's JSON; GPU instances under `spot_fleet` (always a Spot Fleet, with `target_capacity`)
#   2  the spec's JSON; `fleet` with `type` (auto_scaling_group or spot_fleet) and `instances`
#   3  {"format": 3, "ftcluster": VERSION, "spec": ...}: an Auto Scaling group's `instances` is `max_instances`
# Formats 1 and 2 carry no number: a record of format 1 always has the `spot_fleet` key (null without a
# fleet), one of format 2 never has it.
FORMAT = 3


class UnreadableRecord(ValueError):
    """A recorded spec this ftcluster cannot read. `newer`: written in a format after FORMAT."""

    def __init__(self, reason: str, *, found_format: int | None = None, written_by: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.found_format = found_format
        self.written_by = written_by

    @property
    def newer(self) -> bool:
        return self.found_format is not None and self.found_format > FORMAT


def from_format_1(data: dict[str, Any]) -> dict[str, Any]:
    """`spot_fleet:` (a Spot Fleet sized by `target_capacity`) became `fleet:` with `type: spot_fleet` and
    `instances`."""
    data = dict(data)
    old = data.pop("spot_fleet", None)
    if isinstance(old, dict):
        fleet = {key: value for key, value in old.items() if key != "target_capacity"}
        data["fleet"] = {"type": "spot_fleet", "instances": old.get("target_capacity", 0), **fleet}
    return data


def from_format_2(data: dict[str, Any]) -> dict[str, Any]:
    """The fleet became a union by `type`: an Auto Scaling group's `instances` (its maximum) became
    `max_instances`; a Spot Fleet keeps `instances`."""
    fleet = data.get("fleet")
    if not isinstance(fleet, dict) or fleet.get("type", "auto_scaling_group") != "auto_scaling_group":
        return data
    renamed = {("max_instances" if key == "instances" else key): value for key, value in fleet.items()}
    return {**data, "fleet": renamed}


# format N -> the function that turns a record of format N into format N + 1
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: from_format_1, 2: from_format_2}


def record(spec: Spec) -> str:
    """The stack config value that records `spec`, in the current format."""
    return json.dumps({"format": FORMAT, "ftcluster": __version__, "spec": spec.model_dump(mode="json")})


def recorded_spec(config: Mapping[str, str]) -> Spec | None:
    """The spec as last applied, from stack config; None only when none is recorded."""
    text = config.get(SPEC_KEY)
    if not text:
        return None
    return read_record(text)


def read_record(text: str) -> Spec:
    """Parse a record of any format into today's Spec; raises UnreadableRecord saying why not."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise UnreadableRecord(f"it is not JSON ({err})") from None
    if not isinstance(data, dict):
        raise UnreadableRecord("it is not a JSON object")
    found, written_by, spec_data = _unwrapped(data)
    if found > FORMAT:
        raise UnreadableRecord(
            f"it is in spec format {found}, written by {written_by or 'a newer ftcluster'}; "
            f"this ftcluster ({__version__}) reads formats 1 to {FORMAT}",
            found_format=found,
            written_by=written_by,
        )
    for version in range(found, FORMAT):
        spec_data = MIGRATIONS[version](spec_data)
    try:
        return Spec.model_validate(spec_data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'the spec'}: {error['msg']}"
            for error in err.errors(include_url=False)[:3]
        )
        raise UnreadableRecord(
            f"it does not validate as a spec of format {found} ({problems})", found_format=found, written_by=written_by
        ) from None


def _unwrapped(data: dict[str, Any]) -> tuple[int, str | None, Any]:
    """(format, the ftcluster that wrote it if known, the spec's data)."""
    if "format" not in data:  # formats 1 and 2: the spec itself (a spec has no `format` key)
        return (1 if "spot_fleet" in data else 2), None, data
    found = data["format"]
    if not isinstance(found, int) or isinstance(found, bool) or found < 3:
        raise UnreadableRecord(f"its format {found!r} is not one ftcluster ever wrote")
    written_by = data.get("ftcluster")
    return found, f"ftcluster {written_by}" if isinstance(written_by, str) else None, data.get("spec")
