"""The scale rule: which `scale` values survive an `up`, and what `scale` accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftcluster.engine.scale import Overrides, plan_scale, plan_up, recorded_spec, spec_config
from ftcluster.errors import UsageError
from ftcluster.spec import Spec, load_spec

ROOT = Path(__file__).parents[2]
AUTOSCALED = load_spec(ROOT / "configs" / "us-east-1.yaml")  # tasks 6, limits 4..12, fleet 4
PLAIN = load_spec(ROOT / "configs" / "eu-west-1.yaml")  # tasks 2, no auto scaling, no fleet


def changed(spec: Spec, **training: int) -> Spec:
    return spec.model_copy(update={"training": spec.training.model_copy(update=training)})


def test_overrides_round_trip_through_stack_config() -> None:
    overrides = Overrides(tasks=8, instances=6)
    config = overrides.config()
    assert config == {"ftcluster:tasks": "8", "ftcluster:fleetCapacity": "6"}
    assert Overrides.from_config({**config, "ftcluster:minTasks": "not a number"}) == overrides
    assert overrides.options().tasks == 8 and overrides.options(delete_checkpoints=True).delete_checkpoints


def test_an_override_stays_while_the_spec_value_is_the_one_it_overrode() -> None:
    plan = plan_up(AUTOSCALED, AUTOSCALED, Overrides(tasks=8, instances=6))
    assert plan.overrides == Overrides(tasks=8, instances=6)
    assert any("keeping training.tasks = 8" in note for note in plan.notes)


def test_a_changed_spec_value_replaces_the_override() -> None:
    plan = plan_up(changed(AUTOSCALED, tasks=7), AUTOSCALED, Overrides(tasks=8, instances=6))
    assert plan.overrides == Overrides(instances=6)
    assert any("training.tasks changed in the spec (6 -> 7); it replaces the scaled value 8" in n for n in plan.notes)


def test_an_override_for_a_setting_the_spec_dropped_goes_too() -> None:
    no_fleet = AUTOSCALED.model_copy(update={"fleet": None})
    plan = plan_up(no_fleet, AUTOSCALED, Overrides(instances=6))
    assert plan.overrides == Overrides() and "no longer has that setting" in plan.notes[0]


def test_overrides_that_no_longer_fit_the_spec_are_dropped_not_deployed() -> None:
    narrower = AUTOSCALED.model_copy(update={"autoscaling": AUTOSCALED.autoscaling.model_copy(update={"max_tasks": 7})})
    plan = plan_up(narrower, None, Overrides(tasks=9))  # no applied spec on record: keep unless impossible
    assert plan.overrides == Overrides() and "dropping the scaled values" in plan.notes[-1]


def test_scale_within_the_limits_and_with_adjusted_limits() -> None:
    assert plan_scale(AUTOSCALED, Overrides(), tasks=10, instances=None, adjust_limits=False) == Overrides(tasks=10)
    with pytest.raises(UsageError, match=r"outside the auto scaling limits 4\.\.12") as caught:
        plan_scale(AUTOSCALED, Overrides(), tasks=20, instances=None, adjust_limits=False)
    assert "--adjust-limits" in caught.value.hint
    assert plan_scale(AUTOSCALED, Overrides(), tasks=2, instances=5, adjust_limits=True) == Overrides(
        tasks=2, instances=5, min_tasks=2, max_tasks=12
    )
    # earlier adjusted limits count as the limits
    assert plan_scale(AUTOSCALED, Overrides(max_tasks=20), tasks=18, instances=None, adjust_limits=False).tasks == 18


@pytest.mark.parametrize(
    ("spec", "kwargs", "message"),
    [
        (PLAIN, {"tasks": 3, "instances": None, "adjust_limits": True}, "no auto scaling"),
        (PLAIN, {"tasks": None, "instances": 3, "adjust_limits": False}, "no fleet"),
        (AUTOSCALED, {"tasks": None, "instances": 0, "adjust_limits": False}, "below its on-demand part"),
        (AUTOSCALED, {"tasks": None, "instances": None, "adjust_limits": False}, "nothing to scale"),
        (AUTOSCALED, {"tasks": None, "instances": 3, "adjust_limits": True}, "give --tasks too"),
    ],
)
def test_scale_requests_the_cluster_cannot_take_are_usage_errors(spec: Spec, kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        plan_scale(spec, Overrides(), **kwargs)


def test_the_applied_spec_is_recorded_losslessly() -> None:
    assert recorded_spec({"ftcluster:spec": spec_config(AUTOSCALED)}) == AUTOSCALED
    assert recorded_spec({"ftcluster:spec": "{broken"}) is None and recorded_spec({}) is None


def test_a_spec_recorded_by_an_older_ftcluster_is_read_in_todays_shape() -> None:
    import json

    old = json.loads(spec_config(AUTOSCALED))
    fleet = old.pop("fleet")
    fleet.pop("type")
    old["spot_fleet"] = {**{k: v for k, v in fleet.items() if k != "instances"}, "target_capacity": 5}
    migrated = recorded_spec({"ftcluster:spec": json.dumps(old)})
    assert migrated is not None and migrated.fleet is not None
    assert (migrated.fleet.type, migrated.fleet.instances) == ("spot_fleet", 5)
    assert migrated.training == AUTOSCALED.training
    assert recorded_spec({"ftcluster:spec": spec_config(AUTOSCALED)}) == AUTOSCALED  # today's shape round-trips
