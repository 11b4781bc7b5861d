"""ProgramOptions: overrides of counts and checkpoint retention, checked and applied."""

from __future__ import annotations

import pytest
from program_helpers import EU_WEST, MINIMAL, US_EAST, as_spot_fleet, example, merged

from ftcluster.errors import UsageError
from ftcluster.program import ProgramOptions, capacity_strategy_changed, effective_counts, scale_targets
from ftcluster.spec import load_spec


@pytest.fixture(scope="module")
def us_spec():
    return load_spec(US_EAST)


@pytest.fixture(scope="module")
def eu_spec():
    return load_spec(EU_WEST)


def test_defaults_change_nothing(us_spec) -> None:
    counts = effective_counts(us_spec)
    assert (counts.tasks, counts.scaling_min, counts.scaling_max) == (6, 4, 12)
    assert (counts.fleet_capacity, counts.fleet_on_demand, counts.autoscaling) == (4, 1, True)


def test_limits_move_the_scaling_bounds_and_tasks_pin_the_count(us_spec) -> None:
    adjusted = effective_counts(us_spec, ProgramOptions(min_tasks=2, max_tasks=20))
    assert (adjusted.scaling_min, adjusted.scaling_max, adjusted.tasks) == (2, 20, 6)
    pinned = effective_counts(us_spec, ProgramOptions(tasks=9))
    assert (pinned.scaling_min, pinned.scaling_max, pinned.tasks) == (9, 9, 9)


def test_without_autoscaling_the_count_is_pinned_at_tasks(eu_spec) -> None:
    counts = effective_counts(eu_spec, ProgramOptions(tasks=5))
    assert (counts.tasks, counts.scaling_min, counts.scaling_max, counts.autoscaling) == (5, 5, 5, False)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ProgramOptions(tasks=20),
            r"training\.tasks: must lie within autoscaling min_tasks\.\.max_tasks \(4\.\.12\); got 20",
        ),
        (ProgramOptions(min_tasks=8, max_tasks=5), r"autoscaling\.min_tasks: must not exceed max_tasks \(8 > 5\)"),
        (ProgramOptions(tasks=-1), r"training\.tasks: must be >= 0; got -1"),
        (ProgramOptions(tasks=5001), r"training\.tasks: must be <= 5000; got 5001"),
        (ProgramOptions(fleet_capacity=0), r"fleet\.on_demand_capacity: must not exceed max_instances \(1 > 0\)"),
    ],
)
def test_impossible_overrides_are_usage_errors(us_spec, options: ProgramOptions, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        effective_counts(us_spec, options)


def test_overrides_the_cluster_has_no_place_for_are_usage_errors(eu_spec) -> None:
    with pytest.raises(UsageError, match="no auto scaling"):
        effective_counts(eu_spec, ProgramOptions(max_tasks=10))
    with pytest.raises(UsageError, match="no fleet"):
        effective_counts(eu_spec, ProgramOptions(fleet_capacity=3))
    with pytest.raises(UsageError, match="no fleet workers"):
        effective_counts(eu_spec, ProgramOptions(workers=3))


def test_scale_overrides_reach_the_scaling_target_fleet_and_exports(plan_for) -> None:
    plan = plan_for(as_spot_fleet(example(US_EAST)), ProgramOptions(tasks=8, fleet_capacity=6))
    target = plan.by_name("training-scaling").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (8, 8)
    assert plan.by_name("spot-fleet").inputs["targetCapacity"] == 6
    assert plan.by_name("training-service").options["ignoreChanges"] == ["desiredCount"]
    assert (plan.exports["desired_tasks"], plan.exports["fleet_target_capacity"]) == (8, 6)
    assert (plan.exports["autoscaling_min"], plan.exports["autoscaling_max"]) == (8, 8)


def test_scale_targets_name_resources_the_program_declares(us_east, eu_west, us_spec, eu_spec, spec_from) -> None:
    for plan, spec in ((us_east, us_spec), (eu_west, eu_spec)):
        declared = {(r.type, r.name) for r in plan.resources}
        assert set(scale_targets(spec)) <= declared
    assert ("aws:autoscaling/group:Group", "gpu-instances") in scale_targets(us_spec)  # its max size
    spot = spec_from(as_spot_fleet(example(US_EAST)))
    assert ("aws:ec2/spotFleetRequest:SpotFleetRequest", "spot-fleet") in scale_targets(spot)
    assert len(scale_targets(eu_spec)) == 2


def test_delete_checkpoints_lets_destroy_take_the_bucket(plan_for) -> None:
    plan = plan_for(example(US_EAST), ProgramOptions(delete_checkpoints=True))
    checkpoint_resources = [r for r in plan.resources if r.type.startswith("aws:s3/")]
    assert len(checkpoint_resources) == 7
    assert not any(r.options["retainOnDelete"] for r in checkpoint_resources)
    assert plan.by_name("checkpoint-bucket").inputs["forceDestroy"] is True


def test_an_existing_bucket_is_never_ours_to_delete(plan_for) -> None:
    plan = plan_for(example(EU_WEST), ProgramOptions(delete_checkpoints=True))
    assert not [r for r in plan.resources if r.type.startswith("aws:s3/")]
    assert plan.exports["checkpoint_bucket"] == "example-finetune-checkpoints"


def test_a_bad_override_fails_the_offline_run_before_any_resource(us_spec) -> None:
    from ftcluster.offline import run_offline

    with pytest.raises(UsageError, match=r"must lie within autoscaling min_tasks\.\.max_tasks \(4\.\.12\); got 100"):
        run_offline(us_spec, ProgramOptions(tasks=100))


def test_a_new_deployment_is_forced_only_for_a_changed_capacity_strategy(spec_from) -> None:
    spec = spec_from(merged(MINIMAL, {"training": {"capacity": {"on_demand_base": 1, "spot_percent": 75}}}))
    assert capacity_strategy_changed(None, spec) is False  # first deployment: the service is created
    assert capacity_strategy_changed(spec, spec) is False
    others = spec_from(merged(MINIMAL, {"training": {"tasks": 5, "image": "ghcr.io/example/train:2"}}))
    assert capacity_strategy_changed(spec, others) is False  # other changes never restart every task
    for capacity in ({"spot_percent": 50}, {"on_demand_base": 2}, {"spot_percent": 0}):
        changed = spec_from(merged(MINIMAL, {"training": {"capacity": capacity}}))
        assert capacity_strategy_changed(spec, changed) is True, capacity


def test_the_capacity_check_needs_no_pulumi() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from ftcluster.program.options import capacity_strategy_changed; "
        "assert 'pulumi' not in sys.modules and 'pulumi_aws' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_existing_container_insights_log_group_is_imported_for_one_run(plan_for) -> None:
    from program_helpers import MINIMAL

    from ftcluster.program import ProgramOptions

    usual = plan_for(MINIMAL).by_name("container-insights-log-group")
    adopted = plan_for(MINIMAL, ProgramOptions(adopt_insights_log_group=True)).by_name("container-insights-log-group")
    assert usual.options["importId"] is None and "retentionInDays" not in usual.options["ignoreChanges"]
    assert adopted.options["importId"] == "/aws/ecs/containerinsights/demo/performance"
    # an import must match what ECS made (never expiring, untagged); the next run sets them
    assert set(adopted.options["ignoreChanges"]) == {"retentionInDays", "tags"}
