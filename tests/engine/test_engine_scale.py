"""The scale rule: which `scale` values survive an `up`, and what `scale` accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftcluster.engine.scale import Overrides, plan_scale, plan_up
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
    with pytest.raises(
        UsageError, match=r"must lie within autoscaling min_tasks\.\.max_tasks \(4\.\.12\); got 20"
    ) as caught:
        plan_scale(AUTOSCALED, Overrides(), tasks=20, instances=None, adjust_limits=False)
    assert caught.value.hint == "pass --adjust-limits to move the limits to 4..20, or pick a count within them"
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
        (
            AUTOSCALED,
            {"tasks": None, "instances": 0, "adjust_limits": False},
            r"must not exceed max_instances \(1 > 0\)",
        ),
        (AUTOSCALED, {"tasks": None, "instances": None, "adjust_limits": False}, "nothing to scale"),
        (AUTOSCALED, {"tasks": None, "instances": 3, "adjust_limits": True}, "give --tasks too"),
    ],
)
def test_scale_requests_the_cluster_cannot_take_are_usage_errors(spec: Spec, kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        plan_scale(spec, Overrides(), **kwargs)


def test_a_scale_request_meets_the_rules_of_a_spec_file_word_for_word(tmp_path: Path) -> None:
    from ftcluster.errors import SpecError

    scaled = tmp_path / "scaled.yaml"
    scaled.write_text((ROOT / "configs" / "us-east-1.yaml").read_text().replace("tasks: 6 ", "tasks: 20 "))
    with pytest.raises(SpecError) as in_file:
        load_spec(scaled)
    (problem,) = in_file.value.problems
    with pytest.raises(UsageError) as in_scale:
        plan_scale(AUTOSCALED, Overrides(), tasks=20, instances=None, adjust_limits=False)
    assert f"{problem.path}: {problem.message}" in in_scale.value.message


def test_beyond_what_any_limits_allow_no_adjust_limits_is_offered() -> None:
    with pytest.raises(UsageError, match=r"training\.tasks: must be <= 5000; got 6000") as caught:
        plan_scale(AUTOSCALED, Overrides(), tasks=6000, instances=None, adjust_limits=False)
    assert caught.value.hint is None
    with pytest.raises(UsageError) as below:
        plan_scale(AUTOSCALED, Overrides(), tasks=None, instances=0, adjust_limits=False)
    assert below.value.hint == "lower fleet.on_demand_capacity in the spec first"


def test_an_elastic_job_keeps_an_instance_per_worker_under_scale_too() -> None:
    elastic = load_spec(ROOT / "configs" / "us-west-2.yaml")  # max_nodes 8, max_instances 8
    with pytest.raises(UsageError, match=r"distributed\.max_nodes: must not exceed fleet\.max_instances \(8 > 2\)"):
        plan_scale(elastic, Overrides(), tasks=None, instances=2, adjust_limits=False)
    assert plan_scale(elastic, Overrides(), tasks=None, instances=None, workers=0, adjust_limits=False).workers == 0


def test_a_rule_the_applied_spec_already_broke_is_not_blamed_on_the_scale() -> None:
    # recorded before ftcluster refused capacity provider names starting with `ecs`: still scalable
    old = Spec.model_validate({**AUTOSCALED.model_dump(), "name": "ecs-train"})
    assert plan_scale(old, Overrides(), tasks=8, instances=None, adjust_limits=False) == Overrides(tasks=8)
