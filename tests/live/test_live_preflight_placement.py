"""Preflight's worker placement: every fleet type's GPUs, vCPUs, memory and network interfaces read through
ec2:DescribeInstanceTypes (moto server answers with the real types' facts), also for types that the
shipped table does not know. The specs are built without the cross-field rules, as a spec recorded by an
older ftcluster may be."""

from __future__ import annotations

from typing import Any

from test_live_preflight import by_id, make_spec

from ftcluster.live.preflight import run_preflight
from ftcluster.spec.instance_facts import shipped_facts


def placement(**fleet: Any) -> Any:
    return by_id(run_preflight(make_spec(fleet=fleet)))["worker_placement"]


def test_workers_no_type_can_hold_fail_with_the_numbers_aws_gives(live_aws: str) -> None:
    check = placement(instance_types=["g5.xlarge"], gpu=True, workers={"gpus": 4})
    assert (check.level, check.summary) == (
        "fail",
        "fleet.workers.gpus: a worker needs 4 GPUs; g5.xlarge has 1: no instance type of the fleet can hold one "
        "(on AWS the tasks would stay PROVISIONING while the instances bill)",
    )
    assert check.data["per_instance"] == {"g5.xlarge": 0}


def test_a_type_the_shipped_table_does_not_know_is_judged_by_what_aws_says(live_aws: str) -> None:
    assert "p4de.24xlarge" not in shipped_facts()
    # 8 A100s: 2 workers of 4 GPUs per instance, so 3 workers need a second instance
    check = placement(
        instance_types=["p4de.24xlarge"],
        gpu=True,
        max_instances=1,
        on_demand_capacity=0,
        workers={"tasks": 3, "gpus": 4},
    )
    assert (check.level, check.summary) == (
        "fail",
        "fleet.workers.tasks: 3 worker tasks do not fit on 1 instance: an instance holds at most 2 "
        "(p4de.24xlarge: 8 GPUs, a worker needs 4); raise fleet.max_instances to 2, or run fewer tasks",
    )
    fits = placement(instance_types=["p4de.24xlarge"], gpu=True, max_instances=2, workers={"tasks": 3, "gpus": 4})
    assert (fits.level, fits.summary) == ("pass", "3 worker task(s) fit on 2 instance(s); one holds up to 2")
    assert fits.data["per_instance"] == {"p4de.24xlarge": 2}


def test_a_type_that_holds_no_worker_beside_one_that_does_warns(live_aws: str) -> None:
    check = placement(instance_types=["g5.xlarge", "g5.12xlarge"], gpu=True, workers={"gpus": 4})
    assert check.level == "warn"
    assert check.summary == "1 of 2 instance types can hold no worker"
    assert check.details == [
        "fleet.instance_types: g5.xlarge: a worker needs 4 GPUs, it has 1; instances of that type would run no "
        "worker, only g5.12xlarge can"
    ]


def test_types_aws_does_not_know_are_left_to_the_instance_types_check(live_aws: str) -> None:
    checks = by_id(
        run_preflight(
            make_spec(fleet={"instance_types": ["zz9.large", "g5.xlarge"], "gpu": True, "workers": {"gpus": 1}})
        )
    )
    assert checks["instance_types"].level == "fail"
    assert checks["worker_placement"].level == "pass"
    assert checks["worker_placement"].data["unknown"] == ["zz9.large"]


def test_no_workers_no_placement(live_aws: str) -> None:
    assert placement(instance_types=["g5.xlarge"]).level == "skip"
