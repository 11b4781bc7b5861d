"""The run-rate: from what runs (tasks by capacity provider, instances by type and lifecycle) to $/h."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftcluster.cost import LivePrice, PriceTable, RunningInstances, RunningSnapshot, RunningTasks, run_rate
from ftcluster.cost.run_rate import cluster_run_rate, snapshot_from_status
from ftcluster.cost.spot_live import live_spot_prices
from ftcluster.spec import load_spec

CONFIGS = Path(__file__).parents[2] / "configs"

approx = pytest.approx


def by_component(est):
    return {line.component: line for line in est.lines}


def test_run_rate_by_hand(table: PriceTable) -> None:
    snapshot = RunningSnapshot(
        region="us-east-1",
        tasks=(
            RunningTasks("FARGATE", 4096, 16384, count=2),
            RunningTasks("FARGATE_SPOT", 4096, 16384, count=3),
            RunningTasks("EC2", 1024, 14336, count=4),  # workers on the fleet: paid through the instances
        ),
        instances=(
            RunningInstances("g4dn.xlarge", "on-demand", 1, "us-east-1a"),
            RunningInstances("g5.xlarge", "spot", 2, "us-east-1a"),
            RunningInstances("g6.xlarge", "spot", 1, "us-east-1b"),
        ),
        nat_gateways=3,
        root_volume_gib=200,
    )
    live = [LivePrice("g5.xlarge", "us-east-1a", 0.40), LivePrice("g6.xlarge", "us-east-1a", 0.30)]
    est = run_rate(snapshot, table, live_spot=live)
    parts = by_component(est)
    # Fargate: 2 on demand × 0.23304 = 0.46608; 3 Spot: 0.69912 on demand, 0.209736 at 70 % off.
    assert parts["fargate_on_demand"].hourly.low == approx(0.46608)
    assert (parts["fargate_spot"].hourly.low, parts["fargate_spot"].hourly.high) == (approx(0.209736), approx(0.69912))
    assert parts["fleet_on_demand"].hourly.low == approx(0.526)
    # Spot: 2 × g5.xlarge at the live 0.40 in us-east-1a; the g6.xlarge runs in us-east-1b, which has no
    # live price → 0.08048 .. 0.8048 (90 % off .. on demand). Sum: 0.88048 .. 1.6048; on demand 2.012 + 0.8048.
    spot = parts["fleet_spot"]
    assert (spot.hourly.low, spot.hourly.high) == (approx(0.88048), approx(1.6048))
    assert spot.basis == "bound" and spot.on_demand_hourly == approx(2.8168)
    assert "2 at live Spot prices" in spot.note and "1 without a live price" in spot.note
    assert parts["nat_gateway"].hourly.low == approx(0.135)
    assert parts["ebs"].hourly.low * 720 == approx(4 * 200 * 0.08)
    assert [p.instance_type for p in est.live_prices] == ["g5.xlarge"]  # the g6.xlarge pool price was not used
    assert any("4 task(s) run on EC2 instances" in note for note in est.notes)
    assert est.kind == "run_rate"


def test_unknown_instance_type_in_a_run_rate_is_named(table: PriceTable) -> None:
    snapshot = RunningSnapshot("us-east-1", instances=(RunningInstances("z1d.large", "on-demand", 2),))
    est = run_rate(snapshot, table)
    assert est.not_estimated == ("instance types not in the price table for us-east-1: z1d.large",)
    assert by_component(est)["fleet_on_demand"].hourly is None


def test_spot_max_price_caps_the_offline_range(table: PriceTable) -> None:
    snapshot = RunningSnapshot("us-east-1", instances=(RunningInstances("g5.xlarge", "spot", 1),))
    spot = by_component(run_rate(snapshot, table, spot_max_price=0.5))["fleet_spot"]
    assert (spot.hourly.low, spot.hourly.high) == (approx(0.1006), approx(0.5))


def test_spot_instances_at_live_prices_from_moto(aws: str) -> None:
    snapshot = RunningSnapshot(
        "us-east-1",
        instances=(
            RunningInstances("g4dn.xlarge", "on-demand", 1, "us-east-1a"),
            RunningInstances("g5.xlarge", "spot", 2, "us-east-1a"),
        ),
    )
    live = live_spot_prices("us-east-1", ["g5.xlarge"], ["us-east-1a"])
    est = run_rate(snapshot, live_spot=live)
    spot = by_component(est)["fleet_spot"]
    assert spot.basis == "live" and spot.hourly.high == approx(2 * 0.00001)  # moto's Spot price
    assert by_component(est)["fleet_on_demand"].hourly.low == approx(0.526)  # shipped table, us-east-1


def live_status() -> object:
    """A ClusterStatus as `ftcluster status` gathers it: 1 + 2 Fargate(Spot) tasks, one stopped,
    an on-demand g4dn and a Spot g5 running, a terminated g5."""
    from datetime import datetime, timezone

    from ftcluster.live import status_model

    def task(provider: str, last_status: str = "RUNNING") -> object:
        return status_model.TaskInfo(
            id="t",
            service="svc",
            last_status=last_status,
            desired_status="RUNNING",
            availability_zone="us-east-1a",
            capacity_provider=provider,
            cpu="4096",
            memory="16384",
            container_instance_id=None,
            started_at=None,
            stopped_at=None,
            stop_code=None,
            stopped_reason=None,
        )

    def instance(itype: str, lifecycle: str, state: str = "running") -> object:
        return status_model.FleetInstance(
            id="i",
            instance_type=itype,
            availability_zone="us-east-1a",
            state=state,
            lifecycle=lifecycle,
            launched_at=None,
        )

    service = status_model.ServiceState(name="svc", status="ACTIVE")
    status = status_model.ClusterStatus(
        cluster_name="c",
        region="us-east-1",
        cluster_arn=None,
        cluster_state="ACTIVE",
        capacity_providers=["FARGATE", "FARGATE_SPOT"],
        expected_azs=["us-east-1a"],
        training=service,
        workers=None,
        tasks=[task("FARGATE"), task("FARGATE_SPOT"), task("FARGATE_SPOT"), task("FARGATE", "STOPPED")],
        fleet=status_model.FleetState(
            request_id="sfr-1",
            state="active",
            activity_status="fulfilled",
            instances=[
                instance("g4dn.xlarge", "on-demand"),
                instance("g5.xlarge", "spot"),
                instance("g5.xlarge", "spot", "terminated"),
            ],
        ),
        container_instances=[],
        scaling=None,
        stack={},
        gathered_at=datetime.now(timezone.utc),
    )
    return status


def test_snapshot_from_the_live_status_data(table: PriceTable) -> None:
    """The contract with `ftcluster status` (issue 5): its ClusterStatus maps onto a snapshot as it is."""
    status = live_status()
    spec = load_spec(CONFIGS / "us-east-1.yaml")  # nat per_az over 3 AZs, 200 GiB root volumes
    snapshot = snapshot_from_status(status, spec)
    assert (snapshot.nat_gateways, snapshot.root_volume_gib) == (3, 200)
    assert set(snapshot.tasks) == {
        RunningTasks("FARGATE", 4096, 16384, 1),
        RunningTasks("FARGATE_SPOT", 4096, 16384, 2),
    }
    assert set(snapshot.instances) == {
        RunningInstances("g4dn.xlarge", "on-demand", 1, "us-east-1a"),
        RunningInstances("g5.xlarge", "spot", 1, "us-east-1a"),
    }
    # 1 × 0.23304 + 0.526 + 3 × 0.045 + 2 × 200 × 0.08 / 720 on the exact side
    est = run_rate(snapshot, table)
    exact = sum(line.hourly.low for line in est.lines if line.basis == "table")
    assert exact == pytest.approx(0.23304 + 0.526 + 0.135 + 400 * 0.08 / 720)


def test_cluster_run_rate_prices_running_spot_instances_live(aws: str) -> None:
    est = cluster_run_rate(live_status(), load_spec(CONFIGS / "us-east-1.yaml"))
    spot = by_component(est)["fleet_spot"]
    assert spot.basis == "live" and spot.hourly.high == approx(0.00001)  # one g5 at moto's price
    assert [(p.instance_type, p.availability_zone) for p in est.live_prices] == [("g5.xlarge", "us-east-1a")]


def test_cluster_run_rate_without_aws_shows_spot_as_a_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: AWS unreachable
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    est = cluster_run_rate(live_status(), None)
    spot = by_component(est)["fleet_spot"]
    assert spot.basis == "bound" and spot.hourly.low < spot.hourly.high
    assert any("live Spot prices unavailable" in note for note in est.notes)
    assert est.lines and not any(line.component == "nat_gateway" and line.hourly for line in est.lines)


# --- tasks whose size is unknown --------------------------------------------------------------------


def sizeless_status(service: str, provider: str = "FARGATE") -> object:
    """live_status() plus one running task without cpu/memory (no task-level size, or unreadable)."""
    from dataclasses import replace

    status = live_status()
    sizeless = replace(status.tasks[0], id="nosize", service=service, capacity_provider=provider, cpu=None, memory=None)
    return replace(status, tasks=[*status.tasks, sizeless])


def test_a_training_task_without_a_size_is_priced_from_the_spec(table: PriceTable) -> None:
    spec = load_spec(CONFIGS / "us-east-1.yaml")  # training: 4096 CPU units, 16384 MiB
    snapshot = snapshot_from_status(sizeless_status("svc"), spec)  # "svc" is the training service
    assert RunningTasks("FARGATE", 4096, 16384, 2) in snapshot.tasks
    est = run_rate(snapshot, table)
    assert by_component(est)["fargate_on_demand"].hourly.low == approx(2 * 0.23304)
    assert not est.not_estimated


def test_a_task_of_unknown_size_is_not_estimated_rather_than_free(table: PriceTable) -> None:
    spec = load_spec(CONFIGS / "us-east-1.yaml")
    for status, used_spec in (
        (sizeless_status("other", "FARGATE_SPOT"), spec),  # not the training service
        (sizeless_status("svc", "FARGATE_SPOT"), None),
    ):  # the spec is not known
        est = run_rate(snapshot_from_status(status, used_spec), table)
        assert est.not_estimated == ("1 FARGATE_SPOT task(s) whose CPU and memory size is unknown",)
        assert not est.exact
        spot = by_component(est)["fargate_spot"]
        assert spot.quantity == "2 × 4 vCPU / 16 GB"  # the two tasks of known size; nothing at $0


def test_run_rate_of_a_sizeless_snapshot_names_it(table: PriceTable) -> None:
    est = run_rate(RunningSnapshot("us-east-1", tasks=(RunningTasks("FARGATE", None, None, count=3),)), table)
    assert est.not_estimated == ("3 FARGATE task(s) whose CPU and memory size is unknown",)
    assert "fargate_on_demand" not in by_component(est) and not est.exact
