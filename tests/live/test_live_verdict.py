"""The verdict rules, one by one, on hand-built status data (no AWS): every rule that moto cannot
produce (partial counts, failed deployments, circuit-breaker rollbacks, agent loss) is covered here."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from ftcluster.live.status_model import (
    ClusterStatus,
    ContainerInstance,
    Deployment,
    FleetInstance,
    FleetState,
    ScalingActivity,
    ScalingState,
    ServiceEvent,
    ServiceState,
    TaskInfo,
)
from ftcluster.live.verdict import judge

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
AZS = ["us-east-1a", "us-east-1b", "us-east-1c"]


def task(
    az: str | None,
    *,
    status: str = "RUNNING",
    provider: str = "FARGATE",
    service: str | None = "demo-train",
    stop_code: str | None = None,
    reason: str | None = None,
) -> TaskInfo:
    return TaskInfo(
        id=f"t-{az}-{status}-{provider}",
        service=service,
        last_status=status,
        desired_status=status,
        availability_zone=az,
        capacity_provider=provider,
        cpu="1024",
        memory="2048",
        container_instance_id=None,
        started_at=None,
        stopped_at=NOW - timedelta(minutes=5) if status == "STOPPED" else None,
        stop_code=stop_code,
        stopped_reason=reason,
    )


def deployment(
    id: str = "ecs-svc/1",
    status: str = "PRIMARY",
    rollout: str = "COMPLETED",
    *,
    reason: str | None = None,
    created: datetime = NOW - timedelta(hours=1),
) -> Deployment:
    return Deployment(id, status, rollout, reason, "demo-train:1", 3, 3, 0, 0, created)


def service(running: int = 3, desired: int = 3, **changes: object) -> ServiceState:
    base = ServiceState("demo-train", "ACTIVE", desired, running, max(desired - running, 0), [deployment()], [])
    return dataclasses.replace(base, **changes)


def fleet_instance(
    az: str, state: str = "running", *, age: timedelta = timedelta(hours=1), id: str = ""
) -> FleetInstance:
    return FleetInstance(id or f"i-{az}-{state}", "g5.xlarge", az, state, "spot", NOW - age)


def status(**changes: object) -> ClusterStatus:
    base = ClusterStatus(
        cluster_name="demo",
        region="us-east-1",
        cluster_arn="arn",
        cluster_state="ACTIVE",
        capacity_providers=["FARGATE", "FARGATE_SPOT"],
        expected_azs=AZS,
        training=service(),
        workers=None,
        tasks=[task(az) for az in AZS],
        fleet=None,
        container_instances=[],
        scaling=None,
        stack={},
        gathered_at=NOW,
    )
    return dataclasses.replace(base, **changes)


def messages(verdict_status: ClusterStatus, level: str | None = None) -> list[str]:
    return [f.message for f in judge(verdict_status).findings if level is None or f.level == level]


def test_healthy_cluster_has_no_findings() -> None:
    verdict = judge(status())
    assert verdict.state == "HEALTHY"
    assert verdict.findings == []


# --- training service ------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["MISSING", "INACTIVE"])
def test_missing_or_deleted_service_is_down(state: str) -> None:
    verdict = judge(status(training=ServiceState("demo-train", state), tasks=[]))
    assert verdict.state == "DOWN"
    assert verdict.reasons == [f"training service demo-train is {state.lower()}"]


def test_draining_service_is_down() -> None:
    assert judge(status(training=service(status="DRAINING"))).state == "DOWN"


def test_no_running_task_is_down() -> None:
    verdict = judge(status(training=service(running=0), tasks=[]))
    assert verdict.state == "DOWN"
    assert "no training task is running (0 of 3)" in verdict.reasons


def test_fewer_tasks_than_desired_is_degraded() -> None:
    verdict = judge(status(training=service(running=2, desired=3), tasks=[task("us-east-1a"), task("us-east-1b")]))
    assert verdict.state == "DEGRADED"
    assert verdict.reasons == ["2 of 3 training tasks running, 1 pending"]


def test_scaled_to_zero_is_healthy_with_a_note() -> None:
    verdict = judge(status(training=service(running=0, desired=0), tasks=[]))
    assert verdict.state == "HEALTHY"
    assert messages(status(training=service(running=0, desired=0), tasks=[]), "info") == [
        "the training service is scaled to zero tasks"
    ]


# --- AZ spread -------------------------------------------------------------------------------------


def test_all_tasks_in_one_az_is_degraded() -> None:
    verdict = judge(status(tasks=[task("us-east-1a")] * 3))
    assert verdict.reasons == ["all 3 running training tasks are in one AZ (us-east-1a)"]


def test_an_empty_az_is_degraded_when_there_are_enough_tasks_to_fill_it() -> None:
    verdict = judge(status(tasks=[task("us-east-1a"), task("us-east-1a"), task("us-east-1b")]))
    assert verdict.state == "DEGRADED"
    assert verdict.reasons == ["no training task running in us-east-1c although the cluster spans 3 AZs"]


def test_two_tasks_over_three_azs_leave_one_empty_without_blame() -> None:
    assert (
        judge(status(training=service(running=2, desired=2), tasks=[task("us-east-1a"), task("us-east-1b")])).state
        == "HEALTHY"
    )


def test_tasks_without_a_known_az_are_not_judged_for_spread() -> None:
    assert judge(status(tasks=[task(None)] * 3)).state == "HEALTHY"


def test_one_task_cannot_be_spread() -> None:
    assert judge(status(training=service(running=1, desired=1), tasks=[task("us-east-1a")])).state == "HEALTHY"


def test_worker_and_stopped_tasks_do_not_count_for_training_spread() -> None:
    tasks = [
        task("us-east-1a"),
        task("us-east-1a"),
        task("us-east-1a"),
        task("us-east-1b", service="demo-workers"),
        task("us-east-1c", status="STOPPED"),
    ]
    assert judge(status(tasks=tasks)).reasons == ["all 3 running training tasks are in one AZ (us-east-1a)"]


# --- deployments -----------------------------------------------------------------------------------


def test_circuit_breaker_rollback_from_the_failed_deployment() -> None:
    reason = "ECS deployment circuit breaker: tasks failed to start."
    deployments = [
        deployment("ecs-svc/2", "PRIMARY", "IN_PROGRESS", created=NOW - timedelta(minutes=1)),
        deployment("ecs-svc/1", "ACTIVE", "FAILED", reason=reason),
    ]
    verdict = judge(status(training=service(deployments=deployments)))
    assert verdict.state == "DEGRADED"
    assert verdict.reasons == [f"the circuit breaker rolled back the last deployment: {reason}"]


def test_circuit_breaker_rollback_from_the_service_event_after_it_finished() -> None:
    primary = deployment("ecs-svc/3", created=NOW - timedelta(minutes=10))
    events = [
        ServiceEvent(NOW - timedelta(minutes=2), "(service demo-train) has reached a steady state."),
        ServiceEvent(NOW - timedelta(minutes=10), "(service demo-train) rolling back to deployment ecs-svc/1."),
    ]
    verdict = judge(status(training=service(deployments=[primary], events=events)))
    assert verdict.reasons == ["the circuit breaker rolled back the last deployment"]


def test_an_old_rollback_event_does_not_blame_a_newer_deployment() -> None:
    primary = deployment("ecs-svc/4", created=NOW - timedelta(minutes=30))
    events = [ServiceEvent(NOW - timedelta(hours=5), "(service demo-train) rolling back to deployment ecs-svc/1.")]
    assert judge(status(training=service(deployments=[primary], events=events))).state == "HEALTHY"


def test_failed_deployment_without_rollback() -> None:
    failed = deployment("ecs-svc/5", "PRIMARY", "FAILED", reason="tasks failed to start")
    verdict = judge(status(training=service(deployments=[failed])))
    assert verdict.reasons == ["deployment ecs-svc/5 failed: tasks failed to start"]


def test_rollout_in_progress_is_only_a_note() -> None:
    rolling = deployment("ecs-svc/6", "PRIMARY", "IN_PROGRESS")
    verdict = judge(status(training=service(deployments=[rolling])))
    assert verdict.state == "HEALTHY"
    assert messages(status(training=service(deployments=[rolling])), "info") == [
        "deployment ecs-svc/6 is rolling out (3 of 3 tasks)"
    ]


# --- workers, fleet, container instances -------------------------------------------------------


def test_worker_service_short_of_tasks_is_degraded() -> None:
    workers = ServiceState("demo-workers", "ACTIVE", desired=2, running=1)
    assert judge(status(workers=workers)).reasons == ["1 of 2 fleet worker tasks running"]


def test_missing_worker_service_is_degraded_not_down() -> None:
    verdict = judge(status(workers=ServiceState("demo-workers", "MISSING")))
    assert (verdict.state, verdict.reasons) == ("DEGRADED", ["fleet worker service demo-workers is missing"])


def healthy_fleet(**changes: object) -> FleetState:
    base = FleetState("sfr-1", "active", "fulfilled", 3, 3.0, 0, 0.0, [fleet_instance(az) for az in AZS])
    return dataclasses.replace(base, **changes)


def joined(fleet: FleetState) -> list[ContainerInstance]:
    return [ContainerInstance(f"ci-{i.id}", i.id, "ACTIVE", True, i.availability_zone, 1) for i in fleet.instances]


def test_fulfilled_fleet_with_joined_instances_is_healthy() -> None:
    fleet = healthy_fleet()
    assert judge(status(fleet=fleet, container_instances=joined(fleet))).state == "HEALTHY"


def test_under_fulfilled_fleet_is_degraded() -> None:
    fleet = healthy_fleet(
        target=5,
        fulfilled=2.0,
        activity_status="pending_fulfillment",
        instances=[fleet_instance("us-east-1a"), fleet_instance("us-east-1b")],
    )
    verdict = judge(status(fleet=fleet, container_instances=joined(fleet)))
    assert verdict.reasons == ["Spot Fleet fulfilled 2 of 5"]


def test_fleet_counts_only_running_instances_when_its_own_figure_lags() -> None:
    instances = [fleet_instance("us-east-1a"), fleet_instance("us-east-1b"), fleet_instance("us-east-1c", "terminated")]
    fleet = healthy_fleet(instances=instances)
    verdict = judge(status(fleet=fleet, container_instances=joined(fleet)[:2]))
    assert verdict.reasons == ["Spot Fleet fulfilled 2 of 3 (the fleet reports 3, 2 instances running)"]


@pytest.mark.parametrize("state", ["cancelled_running", "failed", "cancelled_terminating"])
def test_fleet_request_not_active_is_degraded(state: str) -> None:
    fleet = healthy_fleet(state=state)
    assert (
        f"Spot Fleet request sfr-1 is {state}" in judge(status(fleet=fleet, container_instances=joined(fleet))).reasons
    )


def test_fleet_in_error_is_degraded() -> None:
    fleet = healthy_fleet(activity_status="error")
    assert judge(status(fleet=fleet, container_instances=joined(fleet))).state == "DEGRADED"


def test_missing_fleet_request_is_degraded() -> None:
    verdict = judge(status(fleet=FleetState("sfr-9", "MISSING", None)))
    assert verdict.reasons == ["Spot Fleet request sfr-9 not found"]


def test_fleet_with_zero_target_is_a_note() -> None:
    verdict = judge(status(fleet=healthy_fleet(target=0, fulfilled=0.0, instances=[])))
    assert verdict.state == "HEALTHY"


def test_fleet_instance_that_never_joined_the_cluster_is_degraded() -> None:
    fleet = healthy_fleet()
    verdict = judge(status(fleet=fleet, container_instances=joined(fleet)[:2]))
    assert verdict.reasons == ["1 running fleet instance(s) have not joined the ECS cluster: i-us-east-1c-running"]


def test_a_fresh_instance_gets_time_to_join() -> None:
    instances = [
        fleet_instance("us-east-1a"),
        fleet_instance("us-east-1b"),
        fleet_instance("us-east-1c", age=timedelta(minutes=1)),
    ]
    fleet = healthy_fleet(instances=instances)
    assert judge(status(fleet=fleet, container_instances=joined(fleet)[:2])).state == "HEALTHY"


def test_container_instance_without_agent_is_degraded() -> None:
    fleet = healthy_fleet()
    instances = joined(fleet)
    instances[0] = dataclasses.replace(instances[0], agent_connected=False)
    verdict = judge(status(fleet=fleet, container_instances=instances))
    assert verdict.reasons == ["1 container instance(s) lost their ECS agent connection: i-us-east-1a-running"]


def test_draining_container_instance_is_a_note() -> None:
    fleet = healthy_fleet()
    instances = joined(fleet)
    instances[0] = dataclasses.replace(instances[0], status="DRAINING")
    verdict = judge(status(fleet=fleet, container_instances=instances))
    assert verdict.state == "HEALTHY"
    assert "1 container instance(s) draining (for example after a Spot notice)" in messages(
        status(fleet=fleet, container_instances=instances), "info"
    )


# --- auto scaling and stopped tasks ----------------------------------------------------------------


def test_unregistered_scaling_target_is_degraded() -> None:
    verdict = judge(status(scaling=ScalingState("service/demo/demo-train", registered=False)))
    assert verdict.reasons == ["no auto scaling target is registered for service/demo/demo-train"]


def test_failed_scaling_activity_is_degraded() -> None:
    failed = ScalingActivity("Failed", "Setting desired count to 9.", None, "capacity unavailable", NOW)
    verdict = judge(status(scaling=ScalingState("r", True, 2, 9, activities=[failed])))
    assert verdict.reasons == ["the last auto scaling activity failed: capacity unavailable"]


def test_an_older_failed_activity_does_not_count() -> None:
    activities = [
        ScalingActivity("Successful", "ok", None, None, NOW),
        ScalingActivity("Failed", "bad", None, None, NOW - timedelta(hours=1)),
    ]
    assert judge(status(scaling=ScalingState("r", True, 2, 9, activities=activities))).state == "HEALTHY"


def test_scaling_ceiling_and_suspension_are_notes() -> None:
    at_ceiling = status(scaling=ScalingState("r", True, 1, 3, suspended=True))
    assert judge(at_ceiling).state == "HEALTHY"
    assert messages(at_ceiling, "info") == [
        "auto scaling is suspended for the training service",
        "the training service is at its auto scaling ceiling (3 tasks)",
    ]


@pytest.mark.parametrize(
    ("stop_code", "reason"),
    [
        ("SpotInterruption", "Your Spot Task was interrupted."),
        (None, "Your Spot Task was interrupted."),
        ("TerminationNotice", None),
    ],
)
def test_spot_interruptions_are_counted_apart_and_do_not_degrade(stop_code: str | None, reason: str | None) -> None:
    stopped = task("us-east-1a", status="STOPPED", provider="FARGATE_SPOT", stop_code=stop_code, reason=reason)
    current = status(tasks=[*status().tasks, stopped])
    assert current.spot_interruptions() == [stopped]
    assert judge(current).state == "HEALTHY"
    assert messages(current, "info") == ["1 task(s) stopped by a Spot interruption recently; ECS replaces them"]


def test_tasks_that_failed_are_a_note_with_the_latest_reason() -> None:
    failed = task("us-east-1b", status="STOPPED", stop_code="EssentialContainerExited", reason="train: exit code 1")
    user = task("us-east-1c", status="STOPPED", stop_code="UserInitiated", reason="stopped by user")
    current = status(tasks=[*status().tasks, failed, user])
    assert current.spot_interruptions() == []
    assert messages(current, "info") == ["1 task(s) stopped with an error recently; latest: train: exit code 1"]


def test_down_wins_over_degraded() -> None:
    fleet = healthy_fleet(target=5)
    verdict = judge(status(training=service(running=0), tasks=[], fleet=fleet, container_instances=joined(fleet)))
    assert verdict.state == "DOWN"
    assert len(verdict.reasons) == 2
