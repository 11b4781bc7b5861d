"""The verdict rules of an Auto Scaling group fleet and an elastic job, on hand-built status data: what moto
cannot produce (pending instances, failed capacity provider updates, workers between min and desired)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from test_live_verdict import NOW, messages, status

from ftcluster.live.status_model import (
    CapacityProviderState,
    ContainerInstance,
    GroupInstance,
    GroupState,
    ServiceState,
)
from ftcluster.live.verdict import judge


def member(
    n: int,
    *,
    state: str = "InService",
    health: str = "Healthy",
    age: timedelta = timedelta(hours=1),
    lifecycle: str = "spot",
) -> GroupInstance:
    return GroupInstance(f"i-{n}", "g5.xlarge", "us-east-1a", state, health, True, "running", lifecycle, NOW - age)


def group(*members: GroupInstance, desired: int | None = None, **changes: object) -> GroupState:
    instances = list(members) or [member(n) for n in range(3)]
    base = GroupState(
        "demo-gpu",
        "ACTIVE",
        desired if desired is not None else len(instances),
        0,
        4,
        1,
        "price-capacity-optimized",
        instances,
    )
    return dataclasses.replace(base, **changes)


def provider(**changes: object) -> CapacityProviderState:
    base = CapacityProviderState("demo-gpu", "ACTIVE", None, None, "ENABLED", 100, "ENABLED", "ENABLED", "arn")
    return dataclasses.replace(base, **changes)


def joined(state: GroupState) -> list[ContainerInstance]:
    return [ContainerInstance(f"ci-{i.id}", i.id, "ACTIVE", True, i.availability_zone, 1) for i in state.instances]


def with_group(state: GroupState | None = None, **changes: object):
    state = state or group()
    base = {
        "group": state,
        "capacity_provider": provider(),
        "container_instances": joined(state),
        "capacity_providers": ["FARGATE", "FARGATE_SPOT", "demo-gpu"],
        "fleet_type": "auto_scaling_group",
    }
    return status(**{**base, **changes})


def test_a_full_group_behind_an_active_provider_is_healthy() -> None:
    verdict = judge(with_group())
    assert (verdict.state, verdict.findings) == ("HEALTHY", [])


# --- the group ---------------------------------------------------------------------------------------


def test_instances_in_service_below_desired_is_degraded() -> None:
    state = group(member(0), member(1), desired=3)
    assert judge(with_group(state)).reasons == ["Auto Scaling group demo-gpu has 2 of 3 instances in service"]


def test_an_unhealthy_instance_does_not_count_as_in_service() -> None:
    state = group(member(0), member(1), member(2, health="Unhealthy"))
    assert judge(with_group(state)).reasons == [
        "Auto Scaling group demo-gpu has 2 of 3 instances in service, 1 unhealthy"
    ]


def test_instances_still_starting_after_a_scale_out_are_a_note() -> None:
    fresh = member(2, state="Pending", age=timedelta(minutes=1))
    current = with_group(group(member(0), member(1), fresh))
    assert judge(current).state == "HEALTHY"
    assert messages(current, "info") == ["the Auto Scaling group is starting 1 instance(s) (2 of 3 in service)"]


def test_an_instance_pending_for_too_long_is_degraded() -> None:
    stuck = member(2, state="Pending", age=timedelta(minutes=20))
    assert judge(with_group(group(member(0), member(1), stuck))).state == "DEGRADED"


def test_a_group_scaled_to_zero_is_a_note_and_a_group_being_deleted_degrades() -> None:
    idle = with_group(group(desired=0, instances=[]))
    assert judge(idle).state == "HEALTHY"
    assert messages(idle, "info") == ["the Auto Scaling group runs no instance (no worker task needs one)"]
    deleting = with_group(group(status="Delete in progress"))
    assert judge(deleting).reasons == ["Auto Scaling group demo-gpu is being deleted (Delete in progress)"]


def test_a_group_instance_that_never_joined_the_cluster_is_degraded_after_the_grace_period() -> None:
    state = group(member(0), member(1), member(2, age=timedelta(minutes=2)), member(3))
    current = with_group(state, container_instances=joined(state)[:2])
    assert judge(current).reasons == ["1 running group instance(s) have not joined the ECS cluster: i-3"]


def test_group_instances_are_not_blamed_for_joining_when_ec2_was_not_read() -> None:
    unknown = dataclasses.replace(member(0), state="unknown", lifecycle="unknown", launched_at=None)
    assert judge(with_group(group(unknown), container_instances=[])).state == "HEALTHY"


# --- the capacity provider -------------------------------------------------------------------------


@pytest.mark.parametrize("update", ["UPDATE_FAILED", "CREATE_FAILED", "DELETE_FAILED"])
def test_a_failed_provider_change_is_degraded(update: str) -> None:
    current = with_group(capacity_provider=provider(update_status=update, update_status_reason="ASG not found"))
    assert judge(current).reasons == [f"the last change of capacity provider demo-gpu failed ({update}): ASG not found"]


@pytest.mark.parametrize("state", ["INACTIVE", "DEPROVISIONING", "PROVISIONING"])
def test_a_provider_that_is_not_active_is_degraded(state: str) -> None:
    assert judge(with_group(capacity_provider=provider(status=state))).reasons == [
        f"capacity provider demo-gpu is {state}"
    ]


def test_a_provider_not_attached_to_the_cluster_is_degraded() -> None:
    current = with_group(capacity_providers=["FARGATE", "FARGATE_SPOT"])
    assert judge(current).reasons == ["capacity provider demo-gpu is not attached to cluster demo"]


# --- the elastic job -------------------------------------------------------------------------------


def elastic(running: int, desired: int = 4, *, rendezvous: ServiceState | None = None, minimum: int = 2):
    workers = ServiceState("demo-fleet-workers", "ACTIVE", desired, running)
    return with_group(
        workers=workers,
        distributed_min_nodes=minimum,
        rendezvous=rendezvous or ServiceState("demo-rendezvous", "ACTIVE", 1, 1),
    )


def test_an_elastic_job_at_its_desired_count_is_healthy() -> None:
    assert judge(elastic(4)).state == "HEALTHY"


def test_an_elastic_job_between_its_minimum_and_desired_count_is_degraded() -> None:
    verdict = judge(elastic(3))
    assert (verdict.state, verdict.reasons) == (
        "DEGRADED",
        ["3 of 4 workers of the elastic job running (it trains with at least 2)"],
    )


def test_an_elastic_job_below_its_minimum_is_down() -> None:
    verdict = judge(elastic(1))
    assert (verdict.state, verdict.reasons) == (
        "DOWN",
        ["1 worker(s) running, below the elastic job's minimum of 2: torchrun waits for more before training"],
    )


def test_an_elastic_job_without_its_worker_service_is_down() -> None:
    current = with_group(
        workers=ServiceState("demo-fleet-workers", "MISSING"),
        distributed_min_nodes=2,
        rendezvous=ServiceState("demo-rendezvous", "ACTIVE", 1, 1),
    )
    assert judge(current).reasons == ["worker service demo-fleet-workers of the elastic job is missing"]


def test_an_elastic_job_scaled_to_zero_is_a_note() -> None:
    current = elastic(0, desired=0)
    assert judge(current).state == "HEALTHY"
    assert "the elastic job is scaled to zero workers" in messages(current, "info")


@pytest.mark.parametrize(
    ("rendezvous", "reason"),
    [
        (
            ServiceState("demo-rendezvous", "MISSING"),
            "rendezvous service demo-rendezvous is missing: the workers have nowhere to meet",
        ),
        (
            ServiceState("demo-rendezvous", "ACTIVE", 1, 0, 1),
            "the rendezvous service demo-rendezvous runs no task: the workers cannot meet (torchrun restarts them "
            "until it is back)",
        ),
    ],
)
def test_an_elastic_job_without_a_running_rendezvous_is_down(rendezvous: ServiceState, reason: str) -> None:
    verdict = judge(elastic(4, rendezvous=rendezvous))
    assert (verdict.state, verdict.reasons) == ("DOWN", [reason])


def test_workers_that_are_not_elastic_keep_the_fleet_worker_rule() -> None:
    current = with_group(workers=ServiceState("demo-fleet-workers", "ACTIVE", 4, 1))
    assert judge(current).reasons == ["1 of 4 fleet worker tasks running"]  # degraded, not down
