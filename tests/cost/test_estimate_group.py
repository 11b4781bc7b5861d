"""The estimate and the run-rate of an Auto Scaling group fleet (and of an elastic job's rendezvous), on the
fixed price table, against figures computed by hand."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from cost_helpers import CONFIGS, example, variant

from ftcluster.cost import LivePrice, PriceTable, RunningInstances, RunningSnapshot, estimate, run_rate
from ftcluster.cost.run_rate import snapshot_from_status
from ftcluster.live import status_model
from ftcluster.spec import load_spec

approx = pytest.approx


def parts(est):
    return {line.component: line for line in est.lines}


# --- how many instances the group runs --------------------------------------------------------------


def test_the_worker_tasks_decide_how_many_instances_run(table: PriceTable, tmp_path: Path) -> None:
    spec = variant(tmp_path, "us-east-1.yaml", fleet__workers__tasks=2)  # at most 4 instances
    est = estimate(spec, table)
    lines = parts(est)
    # 2 tasks, one per instance → 2 instances: the on-demand base of 1 (g5.xlarge, first listed) + 1 Spot
    assert lines["fleet_on_demand"].quantity == "1 × g5.xlarge"
    assert lines["fleet_spot"].quantity.startswith("1 over ")
    assert lines["fleet_spot"].hourly.high == approx(0.86016)  # 1 × the per-type mean on demand
    assert lines["ebs"].quantity == "2 × 200 GiB"
    assert (
        "Auto Scaling group: 2 instance(s) for 2 worker task(s) at one task per instance (at most 4, "
        "fleet.max_instances); tasks that share an instance need fewer"
    ) in est.notes


def test_scaled_workers_and_a_lower_maximum_move_the_instance_count(table: PriceTable) -> None:
    spec = example("us-east-1.yaml")  # 4 worker tasks, at most 4 instances
    assert parts(estimate(spec, table, workers=6))["ebs"].quantity == "4 × 200 GiB"  # capped at the maximum
    assert parts(estimate(spec, table, workers=1))["ebs"].quantity == "1 × 200 GiB"
    assert "fleet_spot" not in parts(estimate(spec, table, workers=1))  # the one instance is the on-demand base
    assert parts(estimate(spec, table, fleet_capacity=2))["ebs"].quantity == "2 × 200 GiB"


def test_a_group_without_worker_tasks_costs_nothing(table: PriceTable, tmp_path: Path) -> None:
    est = estimate(variant(tmp_path, "us-east-1.yaml", fleet__workers=None), table)
    assert not {"fleet_on_demand", "fleet_spot", "ebs"} & set(parts(est))
    assert "Auto Scaling group: no worker tasks, so managed scaling starts no instance" in est.notes


# --- the group's Spot allocation ---------------------------------------------------------------------

LIVE = [
    LivePrice("g5.xlarge", "us-east-1a", 0.40),
    LivePrice("g5.xlarge", "us-east-1b", 0.50),
    LivePrice("g5.2xlarge", "us-east-1a", 0.60),
    LivePrice("g4dn.xlarge", "us-east-1a", 0.20),
    LivePrice("g4dn.xlarge", "us-east-1b", 0.30),
    LivePrice("g4dn.2xlarge", "us-east-1a", 0.35),
]


def test_lowest_price_spreads_over_the_two_cheapest_pools_of_each_az(table: PriceTable, tmp_path: Path) -> None:
    spec = variant(tmp_path, "us-east-1.yaml", fleet__allocation_strategy="lowestPrice")
    spot = parts(estimate(spec, table, live_spot=LIVE))["fleet_spot"]
    # us-east-1a: g4dn.xlarge 0.20 and g4dn.2xlarge 0.35 → 0.275; us-east-1b: g4dn.xlarge 0.30 and
    # g5.xlarge 0.50 → 0.40; the AZs alike → 0.3375 per instance × 3 Spot instances
    assert spot.hourly.low == spot.hourly.high == approx(1.0125)
    # on demand: a (0.526 + 0.752) / 2 = 0.639, b (0.526 + 1.006) / 2 = 0.766 → 0.7025 × 3
    assert spot.on_demand_hourly == approx(2.1075)
    assert "lowest-price: the 2 cheapest pools of each of 2 AZs" in spot.note


def test_lowest_price_offline_is_the_range_of_the_two_cheapest_types(table: PriceTable, tmp_path: Path) -> None:
    spec = variant(tmp_path, "us-east-1.yaml", fleet__allocation_strategy="lowestPrice")
    spot = parts(estimate(spec, table))["fleet_spot"]
    # g4dn.xlarge 0.526 and g4dn.2xlarge 0.752: low (0.0526 + 0.0752) / 2 × 3, high (0.526 + 0.752) / 2 × 3
    assert (spot.hourly.low, spot.hourly.high) == (approx(0.1917), approx(1.917))


# --- the elastic job's rendezvous --------------------------------------------------------------------


def test_an_elastic_job_adds_its_rendezvous_task_on_demand(table: PriceTable, tmp_path: Path) -> None:
    spec = variant(
        tmp_path, "us-east-1.yaml", autoscaling=None, fleet__workers__distributed={"min_nodes": 2, "max_nodes": 4}
    )
    line = parts(estimate(spec, table))["rendezvous"]
    # 0.5 vCPU × 0.04048 + 1 GB × 0.004445 = 0.024685, on Fargate only, never Spot
    assert (line.hourly.low, line.hourly.high, line.basis) == (approx(0.024685), approx(0.024685), "table")
    assert line.label == "Rendezvous task, on-demand" and line.quantity == "1 × 0.5 vCPU / 1 GB"
    assert "rendezvous" not in parts(estimate(example("us-east-1.yaml"), table))


# --- the run-rate of a group -------------------------------------------------------------------------


def group_status(*members: tuple[str, str, str, str]) -> status_model.ClusterStatus:
    """A status with a group of `members` (type, lifecycle, EC2 state, Auto Scaling lifecycle state)."""
    instances = [
        status_model.GroupInstance(f"i-{n}", itype, "us-east-1a", group_state, "Healthy", True, state, lifecycle, None)
        for n, (itype, lifecycle, state, group_state) in enumerate(members)
    ]
    return status_model.ClusterStatus(
        cluster_name="c",
        region="us-east-1",
        cluster_arn=None,
        cluster_state="ACTIVE",
        capacity_providers=["FARGATE", "FARGATE_SPOT", "c-gpu"],
        expected_azs=["us-east-1a"],
        training=status_model.ServiceState(name="svc", status="ACTIVE"),
        workers=None,
        tasks=[],
        fleet=None,
        container_instances=[],
        scaling=None,
        stack={},
        gathered_at=datetime.now(timezone.utc),
        fleet_type="auto_scaling_group",
        group=status_model.GroupState(
            "c-gpu", "ACTIVE", len(instances), 0, 4, 1, "price-capacity-optimized", instances
        ),
    )


def test_the_run_rate_prices_the_groups_running_instances_by_lifecycle(table: PriceTable) -> None:
    status = group_status(
        ("g5.xlarge", "on-demand", "running", "InService"),
        ("g4dn.xlarge", "spot", "running", "InService"),
        ("g4dn.xlarge", "spot", "terminated", "Terminating"),
    )
    snapshot = snapshot_from_status(status, load_spec(CONFIGS / "us-east-1.yaml"))
    assert set(snapshot.instances) == {
        RunningInstances("g5.xlarge", "on-demand", 1, "us-east-1a"),
        RunningInstances("g4dn.xlarge", "spot", 1, "us-east-1a"),
    }
    live = [LivePrice("g4dn.xlarge", "us-east-1a", 0.21)]
    lines = parts(run_rate(snapshot, table, live_spot=live))
    assert lines["fleet_on_demand"].hourly.low == approx(1.006)
    assert (lines["fleet_spot"].basis, lines["fleet_spot"].hourly.low) == ("live", approx(0.21))
    assert lines["ebs"].quantity == "2 × 200 GiB"


def test_group_instances_ec2_could_not_describe_are_named_not_priced(table: PriceTable) -> None:
    status = group_status(
        ("g5.xlarge", "on-demand", "running", "InService"),
        ("g5.xlarge", "unknown", "unknown", "InService"),
        ("g5.xlarge", "unknown", "unknown", "Pending"),
    )  # not in service: not counted
    est = run_rate(snapshot_from_status(status, None), table)
    assert est.not_estimated == ("1 instance(s) whose purchase option (Spot or on-demand) could not be read",)
    assert parts(est)["fleet_on_demand"].hourly.low == approx(1.006) and not est.exact


def test_a_run_rate_snapshot_with_an_unknown_lifecycle_is_not_exact(table: PriceTable) -> None:
    snapshot = RunningSnapshot("us-east-1", instances=(RunningInstances("g5.xlarge", "unknown", 2),))
    est = run_rate(snapshot, table)
    assert est.lines == () and est.not_estimated and not est.exact
