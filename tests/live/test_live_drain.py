"""Draining the instances a Spot Fleet loses, on moto: the chosen ones go DRAINING, then exactly those end."""

from __future__ import annotations

import boto3
from live_seed import Seeder

from ftcluster.aws import AwsSession
from ftcluster.engine.drain import (
    FleetMember,
    choose_leavers,
    fleet_members,
    start_draining,
    tasks_left,
    terminate,
    wait_until_idle,
)


def test_choose_never_joined_first_then_the_least_busy_spot_and_keep_the_on_demand_part() -> None:
    members = [
        FleetMember("i-od1", False, "arn:ci/od1", 0),
        FleetMember("i-od2", False, "arn:ci/od2", 3),
        FleetMember("i-busy", True, "arn:ci/busy", 4),
        FleetMember("i-idle", True, "arn:ci/idle", 1),
        FleetMember("i-lost", True, None, 0),
    ]
    assert [m.instance_id for m in choose_leavers(members, 2, on_demand_target=1)] == ["i-lost", "i-idle"]
    # more than the Spot part: on-demand ones only beyond the fleet's on-demand target (1 of 2 here)
    assert [m.instance_id for m in choose_leavers(members, 5, on_demand_target=1)] == [
        "i-lost",
        "i-idle",
        "i-busy",
        "i-od1",
    ]


def test_wait_until_idle_polls_until_no_task_is_left_or_time_runs_out() -> None:
    left = iter([3, 1, 0])
    now = [0.0]
    seen: list[int] = []
    assert (
        wait_until_idle(
            lambda: next(left),
            interval=10,
            on_progress=seen.append,
            clock=lambda: now[0],
            sleep=lambda s: now.__setitem__(0, now[0] + s),
        )
        == 0
    )
    assert seen == [3, 1, 0] and now[0] == 20
    assert (
        wait_until_idle(
            lambda: 2, timeout=30, interval=10, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s)
        )
        == 2
    )


def test_drain_and_terminate_exactly_the_chosen_instances(live_aws: str) -> None:
    seeder = Seeder("drainy").network().cluster()
    instances = seeder.fleet(3)
    seeder.join(instances[:2])  # the third never registered with ECS
    aws = AwsSession("us-east-1")
    members = fleet_members(aws, "drainy", seeder.fleet_id)
    assert {m.instance_id for m in members} == set(instances)
    assert sum(1 for m in members if m.container_instance) == 2
    leavers = choose_leavers(members, 2, on_demand_target=0)
    assert leavers[0].instance_id == instances[2]  # the one without work goes first

    start_draining(aws, "drainy", leavers)
    ecs = boto3.client("ecs", region_name="us-east-1")
    arns = ecs.list_container_instances(cluster="drainy")["containerInstanceArns"]
    states = {
        i["ec2InstanceId"]: i["status"]
        for i in ecs.describe_container_instances(cluster="drainy", containerInstances=arns)["containerInstances"]
    }
    drained = {m.instance_id for m in leavers if m.container_instance}
    assert {i for i, s in states.items() if s == "DRAINING"} == drained and len(drained) == 1
    assert tasks_left(aws, "drainy", leavers) == 0

    terminate(aws, leavers)
    ec2 = boto3.client("ec2", region_name="us-east-1")
    found = ec2.describe_instances(InstanceIds=instances)["Reservations"]
    state = {i["InstanceId"]: i["State"]["Name"] for r in found for i in r["Instances"]}
    assert {i for i, s in state.items() if s != "running"} == {m.instance_id for m in leavers}


def test_a_smaller_fleet_drains_exactly_the_surplus(live_aws: str) -> None:
    from ftcluster.engine.drain import drain_for_smaller_fleet

    seeder = Seeder("shrink").network().cluster()
    instances = seeder.fleet(3)
    seeder.join(instances)
    aws = AwsSession("us-east-1")
    leaving, left = drain_for_smaller_fleet(aws, "shrink", seeder.fleet_id, 1, 0)
    assert len(leaving) == 2 and left == 0
    ecs = boto3.client("ecs", region_name="us-east-1")
    arns = ecs.list_container_instances(cluster="shrink")["containerInstanceArns"]
    statuses = sorted(
        i["status"]
        for i in ecs.describe_container_instances(cluster="shrink", containerInstances=arns)["containerInstances"]
    )
    assert statuses == ["ACTIVE", "DRAINING", "DRAINING"]
    assert drain_for_smaller_fleet(aws, "shrink", seeder.fleet_id, 3, 0) == ([], 0)  # nothing to drain
