"""Settings every example plan must carry, whatever its fleet: no AZ rebalancing on any ECS service, a real
custom health check on every Cloud Map service, an instance warm-up period on managed scaling."""

from __future__ import annotations

import pytest
from program_helpers import EU_CENTRAL, EU_WEST, ROOT, US_EAST, US_WEST

from ftcluster.offline import OfflinePlan, run_offline
from ftcluster.program.options import INSTANCE_WARMUP_SECONDS
from ftcluster.spec import load_spec

EXAMPLE_SPECS = sorted(ROOT.glob("configs/*.yaml")) + sorted(ROOT.glob("examples/*/ftcluster.yaml"))
SESSION_PLANS = {US_EAST: "us_east", EU_WEST: "eu_west", US_WEST: "us_west", EU_CENTRAL: "eu_central"}


@pytest.fixture(scope="module")
def plans(request: pytest.FixtureRequest) -> dict[str, OfflinePlan]:
    """Every example spec in the repository, through the real program (the configs' runs are shared)."""
    found: dict[str, OfflinePlan] = {}
    for path in EXAMPLE_SPECS:
        fixture = SESSION_PLANS.get(path)
        found[str(path.relative_to(ROOT))] = (
            request.getfixturevalue(fixture) if fixture else run_offline(load_spec(path))
        )
    return found


def _of_type(plans: dict[str, OfflinePlan], type_token: str) -> list[tuple[str, str, dict]]:
    return [(where, r.name, r.inputs) for where, plan in plans.items() for r in plan.of_type(type_token)]


def test_the_examples_cover_every_setting_below(plans: dict[str, OfflinePlan]) -> None:
    assert len(plans) >= 5, sorted(plans)  # four configs and the trainer example
    names = {name for _, name, _ in _of_type(plans, "aws:ecs/service:Service")}
    assert {"training-service", "workers-service", "rendezvous-service"} <= names
    assert _of_type(plans, "aws:servicediscovery/service:Service")
    assert _of_type(plans, "aws:ecs/capacityProvider:CapacityProvider")


def test_no_ecs_service_rebalances_across_azs(plans: dict[str, OfflinePlan]) -> None:
    """CreateService without availabilityZoneRebalancing gets ENABLED (botocore ECS model): ECS would then
    stop running ranks to even out the AZs, each stop a restart of the job."""
    wrong = [
        (where, name, inputs.get("availabilityZoneRebalancing"))
        for where, name, inputs in _of_type(plans, "aws:ecs/service:Service")
        if inputs.get("availabilityZoneRebalancing") != "DISABLED"
    ]
    assert wrong == []


def test_cloud_map_services_have_a_real_custom_health_check(plans: dict[str, OfflinePlan]) -> None:
    """An empty block is dropped by the provider and ForceNew: a replacement on every `up`."""
    wrong = [
        (where, name, inputs.get("healthCheckCustomConfig"))
        for where, name, inputs in _of_type(plans, "aws:servicediscovery/service:Service")
        if inputs.get("healthCheckCustomConfig") != {"failureThreshold": 1}
    ]
    assert wrong == []


def test_managed_scaling_waits_for_new_gpu_instances(plans: dict[str, OfflinePlan]) -> None:
    """Unset is sent as 0 by the provider: more instances would launch before the first ones registered."""
    periods = {
        (where, name): inputs["autoScalingGroupProvider"]["managedScaling"].get("instanceWarmupPeriod")
        for where, name, inputs in _of_type(plans, "aws:ecs/capacityProvider:CapacityProvider")
    }
    assert set(periods.values()) == {INSTANCE_WARMUP_SECONDS}, periods
