"""The recorded spec: every format ftcluster ever wrote is read in today's shape; an unreadable one says why.

The fixtures in recorded/ are records written by the ftcluster of their time, never edited:
  format-1-us-east-1.json     `spec_config` of configs/us-east-1.yaml at 27a6cf5^ (the last `spot_fleet:` spec)
  format-2-*.json             `spec_config` of configs/us-east-1.yaml and eu-central-1.yaml at 66b0497
                              (`fleet:` with `type` and `instances`)
  format-3-us-east-1.json     `record` of configs/us-east-1.yaml when the fleet became a union
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftcluster.engine.recorded import (
    FORMAT,
    MIGRATIONS,
    SPEC_KEY,
    UnreadableRecord,
    from_format_1,
    from_format_2,
    read_record,
    record,
    recorded_spec,
)
from ftcluster.spec import AutoScalingGroupFleet, SpotFleet, load_spec

ROOT = Path(__file__).parents[2]
RECORDED = Path(__file__).parent / "recorded"


def fixture(name: str) -> str:
    return (RECORDED / f"{name}.json").read_text()


def test_there_is_a_migration_and_a_fixture_for_every_past_format() -> None:
    assert sorted(MIGRATIONS) == list(range(1, FORMAT))
    formats = {int(path.name.split("-")[1]) for path in RECORDED.glob("format-*.json")}
    assert formats == set(range(1, FORMAT + 1))


def test_format_1_spot_fleet_becomes_a_fleet_of_type_spot_fleet() -> None:
    data = json.loads(fixture("format-1-us-east-1"))
    assert data["spot_fleet"]["target_capacity"] == 4 and "fleet" not in data
    migrated = from_format_1(data)
    assert "spot_fleet" not in migrated and "target_capacity" not in migrated["fleet"]
    assert (migrated["fleet"]["type"], migrated["fleet"]["instances"]) == ("spot_fleet", 4)
    assert migrated["fleet"]["workers"] == data["spot_fleet"]["workers"]
    assert from_format_1({**data, "spot_fleet": None}).get("fleet") is None  # no fleet: none after


def test_format_2_group_instances_become_max_instances_and_a_spot_fleet_keeps_them() -> None:
    group = from_format_2(json.loads(fixture("format-2-us-east-1")))["fleet"]
    assert group["type"] == "auto_scaling_group" and group["max_instances"] == 4 and "instances" not in group
    spot = json.loads(fixture("format-2-eu-central-1"))
    assert from_format_2(spot) == spot


def test_a_format_1_record_reads_as_the_spot_fleet_it_deployed() -> None:
    spec = read_record(fixture("format-1-us-east-1"))
    assert isinstance(spec.fleet, SpotFleet)
    assert (spec.fleet.instances, spec.fleet.on_demand_capacity, spec.fleet.instance_types[0]) == (4, 1, "g5.xlarge")
    assert spec.fleet.workers is not None and (spec.fleet.workers.tasks, spec.fleet.workers.gpus) == (4, 1)
    assert (spec.name, spec.training.tasks, spec.autoscaling and spec.autoscaling.max_tasks) == ("llm-pretrain", 6, 12)


def test_format_2_records_read_as_today_s_fleet_kinds() -> None:
    group = read_record(fixture("format-2-us-east-1"))
    assert isinstance(group.fleet, AutoScalingGroupFleet) and group.fleet.max_instances == 4
    spot = read_record(fixture("format-2-eu-central-1"))
    assert isinstance(spot.fleet, SpotFleet) and spot.fleet.instances == 2


def test_a_format_3_record_reads_unchanged() -> None:
    spec = read_record(fixture("format-3-us-east-1"))
    assert isinstance(spec.fleet, AutoScalingGroupFleet) and spec.fleet.max_instances == 4
    assert spec.training.tasks == 6 and spec.tags == {"team": "ml-platform", "cost-center": "research-42"}


@pytest.mark.parametrize("config", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.stem)
def test_todays_record_carries_its_format_and_round_trips(config: Path) -> None:
    spec = load_spec(config)
    text = record(spec)
    assert json.loads(text)["format"] == FORMAT
    assert recorded_spec({SPEC_KEY: text}) == spec


def test_no_record_is_none_and_an_unreadable_one_says_why() -> None:
    assert recorded_spec({}) is None and recorded_spec({SPEC_KEY: ""}) is None
    with pytest.raises(UnreadableRecord, match="it is not JSON") as caught:
        recorded_spec({SPEC_KEY: "{broken"})
    assert not caught.value.newer
    with pytest.raises(UnreadableRecord, match="not a JSON object"):
        read_record("[1, 2]")
    with pytest.raises(UnreadableRecord, match=r"its format '3' is not one ftcluster ever wrote"):
        read_record(json.dumps({"format": "3", "spec": {}}))
    broken = json.loads(fixture("format-3-us-east-1"))
    del broken["spec"]["training"]
    with pytest.raises(UnreadableRecord, match=r"does not validate as a spec of format 3 \(training: Field required\)"):
        read_record(json.dumps(broken))


def test_a_record_from_a_newer_ftcluster_names_the_version_to_upgrade_to() -> None:
    with pytest.raises(UnreadableRecord) as caught:
        read_record(json.dumps({"format": FORMAT + 1, "ftcluster": "9.1.0", "spec": {"anything": "new"}}))
    assert caught.value.newer and caught.value.written_by == "ftcluster 9.1.0"
    assert f"spec format {FORMAT + 1}, written by ftcluster 9.1.0" in caught.value.reason
