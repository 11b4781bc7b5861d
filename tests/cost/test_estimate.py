"""The estimate's arithmetic on a fixed price table, checked against figures computed by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from cost_helpers import example, variant
from hypothesis import given
from hypothesis import strategies as st

from ftcluster.cost import HOURS_PER_MONTH, LivePrice, PriceTable, estimate, fargate_split

approx = pytest.approx


def lines_by_component(est):
    return {line.component: line for line in est.lines}


def test_us_east_1_example_by_hand(table: PriceTable) -> None:
    est = estimate(example("us-east-1.yaml"), table)
    parts = lines_by_component(est)

    # Fargate task: 4 vCPU × 0.04048 + 16 GB × 0.004445 = 0.16192 + 0.07112 = 0.23304 $/h.
    # 6 tasks, base 2 on-demand, 75 % of the other 4 on Spot → 3 Spot, 3 on-demand.
    assert parts["fargate_on_demand"].hourly.low == approx(3 * 0.23304)  # 0.69912
    assert parts["fargate_on_demand"].basis == "table"
    # Fargate Spot: on-demand equivalent 0.69912; AWS's maximum discount 70 % → at least 0.209736.
    spot = parts["fargate_spot"]
    assert (spot.hourly.low, spot.hourly.high) == (approx(0.209736), approx(0.69912))
    assert spot.basis == "bound" and spot.on_demand_hourly == approx(0.69912)

    # Fleet: an Auto Scaling group of at most 4 instances for 4 worker tasks (one per instance) → 4;
    # 1 on demand → the first listed type (the group's on-demand allocation prioritized), g5.xlarge 1.006.
    assert parts["fleet_on_demand"].hourly.low == approx(1.006)
    assert parts["fleet_on_demand"].quantity == "1 × g5.xlarge"
    assert parts["fleet_on_demand"].label == "Auto Scaling group, on-demand instances"
    # 3 Spot, priceCapacityOptimized (price-capacity-optimized) = equal weight per type:
    # mean on-demand = (1.006 + 1.212 + 0.526 + 0.752 + 0.8048) / 5 = 4.3008 / 5 = 0.86016;
    # offline range per instance 0.086016 (90 % off) .. 0.86016 (on-demand) → × 3.
    fleet_spot = parts["fleet_spot"]
    assert (fleet_spot.hourly.low, fleet_spot.hourly.high) == (approx(0.258048), approx(2.58048))
    assert fleet_spot.basis == "bound" and fleet_spot.on_demand_hourly == approx(2.58048)

    # NAT: per_az over 3 AZs → 3 × 0.045 = 0.135.
    assert parts["nat_gateway"].hourly.low == approx(0.135)
    assert parts["nat_gateway"].quantity == "3 (one per AZ)"
    # EBS: 4 instances × 200 GiB × 0.08 $/GB-month = 64 $/month = 64 / 720 $/h.
    assert parts["ebs"].hourly.low * HOURS_PER_MONTH == approx(64.0)

    assert "price-capacity-optimized: equal weight per type (5 types)" in fleet_spot.note
    # Total low  = 0.69912 + 0.209736 + 1.006 + 0.258048 + 0.135 + 0.0888… = 2.396793
    # Total high = 0.69912 + 0.69912  + 1.006 + 2.58048  + 0.135 + 0.0888… = 5.208609
    assert (est.total.low, est.total.high) == (approx(2.396793, abs=1e-6), approx(5.208609, abs=1e-6))
    assert est.all_on_demand == approx(5.208609, abs=1e-6)
    # Saving: all on-demand minus the estimate → 0 (Spot at on-demand) .. 2.811816.
    assert (est.saving.low, est.saving.high) == (approx(0.0, abs=1e-9), approx(2.811816, abs=1e-6))
    assert est.total.high * HOURS_PER_MONTH == approx(3750.20, abs=0.01)
    assert not est.exact and not est.not_estimated

    # Auto scaling 4..12: at 4 tasks, base 2 + 2 × 75 % = 1.5 Spot, 2.5 on-demand:
    # low = 2.5 × 0.23304 + 1.5 × 0.23304 × 0.3 = 0.5826 + 0.104868 = 0.687468; high = 4 × 0.23304 = 0.93216.
    rng = est.task_range
    assert (rng.min_tasks, rng.max_tasks) == (4, 12)
    assert (rng.at_min.low, rng.at_min.high) == (approx(0.687468), approx(0.93216))
    assert rng.at_max.high == approx(12 * 0.23304)


def test_the_same_fleet_as_a_spot_fleet_buys_its_on_demand_part_at_the_cheapest_type(
    table: PriceTable, tmp_path: Path
) -> None:
    spec = variant(tmp_path, "us-east-1.yaml", fleet__type="spot_fleet", fleet__max_instances=None, fleet__instances=4)
    parts = lines_by_component(estimate(spec, table))
    # Spot Fleet: `instances` run whatever the worker tasks need; on-demand allocation lowestPrice → g4dn.xlarge
    assert (parts["fleet_on_demand"].quantity, parts["fleet_on_demand"].hourly.low) == (
        "1 × g4dn.xlarge",
        approx(0.526),
    )
    assert parts["fleet_spot"].label == "Spot Fleet, Spot instances"
    assert "priceCapacityOptimized: equal weight per type" in parts["fleet_spot"].note
    assert parts["ebs"].quantity == "4 × 200 GiB"


def test_eu_west_1_example_by_hand(table: PriceTable) -> None:
    est = estimate(example("eu-west-1.yaml"), table)
    # Fargate task: 2 vCPU × 0.04048 + 8 GB × 0.004445 = 0.08096 + 0.03556 = 0.11652 $/h.
    # base 0, 100 % Spot → both tasks on Fargate Spot: 0.23304 on demand, 0.069912 at 70 % off.
    assert [line.component for line in est.lines] == ["fargate_spot"]  # existing VPC: no NAT, no fleet
    assert (est.total.low, est.total.high) == (approx(0.069912), approx(0.23304))
    assert est.all_on_demand == approx(0.23304)
    assert est.saving.high == approx(0.163128)
    assert any("existing VPC" in note for note in est.notes)
    assert est.task_range is None


def test_no_spot_anywhere_is_an_exact_estimate(table: PriceTable, tmp_path: Path) -> None:
    spec = variant(tmp_path, "us-east-1.yaml", fleet=None, autoscaling=None, training__capacity__spot_percent=0)
    est = estimate(spec, table)
    # 6 on-demand tasks × 0.23304 + 3 NAT × 0.045 = 1.39824 + 0.135
    assert est.exact
    assert est.total.low == est.total.high == approx(1.53324)
    assert est.saving.high == approx(0.0)


def test_overrides_from_scale_replace_the_spec_counts(table: PriceTable) -> None:
    est = estimate(example("us-east-1.yaml"), table, tasks=10, fleet_capacity=0)
    parts = lines_by_component(est)
    # 10 tasks: base 2, 8 × 75 % = 6 Spot → 4 on demand × 0.23304.
    assert parts["fargate_on_demand"].hourly.low == approx(0.93216)
    assert parts["fargate_spot"].quantity.startswith("6 ×")
    assert not {"fleet_on_demand", "fleet_spot", "ebs"} & set(parts)


@pytest.mark.parametrize(("nat", "expected"), [("single", 0.045), ("none", None)])
def test_nat_gateway_count_follows_the_network_mode(table: PriceTable, tmp_path: Path, nat, expected) -> None:
    parts = lines_by_component(estimate(variant(tmp_path, "us-east-1.yaml", network__nat=nat), table))
    if expected is None:
        assert "nat_gateway" not in parts
    else:
        assert parts["nat_gateway"].hourly.low == approx(expected)


# --- live Spot prices and the allocation strategies ------------------------------------------------

LIVE = [
    LivePrice("g5.xlarge", "us-east-1a", 0.40),
    LivePrice("g5.xlarge", "us-east-1b", 0.50),
    LivePrice("g5.2xlarge", "us-east-1a", 0.60),
    LivePrice("g4dn.xlarge", "us-east-1a", 0.20),
    LivePrice("g4dn.xlarge", "us-east-1b", 0.30),
    LivePrice("g4dn.2xlarge", "us-east-1a", 0.35),
    LivePrice("c5.large", "us-east-1a", 0.03),  # not in the fleet: must not show up as used
]  # g6.xlarge has no live price: left out of the live model


@pytest.mark.parametrize(
    ("strategy", "spot_hourly", "on_demand_hourly"),
    [
        # per-type means 0.45, 0.60, 0.25, 0.35 → 1.65 / 4 = 0.4125 × 3; on demand (1.006+1.212+0.526+0.752)/4 × 3
        ("priceCapacityOptimized", 1.2375, 2.622),
        ("capacityOptimized", 1.2375, 2.622),
        # cheapest pool g4dn.xlarge us-east-1a 0.20 × 3; its on-demand 0.526 × 3
        ("lowestPrice", 0.60, 1.578),
        # mean of the 6 pools 2.35 / 6 × 3 = 1.175; on demand (2×1.006 + 1.212 + 2×0.526 + 0.752) / 6 × 3 = 2.514
        ("diversified", 1.175, 2.514),
    ],
)
def test_live_prices_placed_as_the_strategy_would(
    table: PriceTable, tmp_path: Path, strategy, spot_hourly, on_demand_hourly
) -> None:
    spec = variant(
        tmp_path,
        "us-east-1.yaml",
        fleet__allocation_strategy=strategy,
        fleet__type="spot_fleet",
        fleet__max_instances=None,
        fleet__instances=4,
    )
    est = estimate(spec, table, live_spot=LIVE)
    spot = lines_by_component(est)["fleet_spot"]
    assert spot.basis == "live"
    assert spot.hourly.low == spot.hourly.high == approx(spot_hourly)
    assert spot.on_demand_hourly == approx(on_demand_hourly)
    assert est.uses_live_prices
    assert {p.instance_type for p in est.live_prices} == {"g5.xlarge", "g5.2xlarge", "g4dn.xlarge", "g4dn.2xlarge"}
    assert any("no live Spot price for g6.xlarge" in note for note in est.notes)
    # Fargate Spot has no live source: still a range.
    assert lines_by_component(est)["fargate_spot"].basis == "bound"


def test_live_pools_above_the_price_cap_are_excluded(table: PriceTable, tmp_path: Path) -> None:
    spec = variant(tmp_path, "us-east-1.yaml", fleet__max_price=0.45)
    est = estimate(spec, table, live_spot=LIVE)
    spot = lines_by_component(est)["fleet_spot"]
    # Left: g5.xlarge 0.40, g4dn.xlarge 0.20/0.30 → 0.25, g4dn.2xlarge 0.35 → mean 1.0 / 3 × 3 = 1.0
    assert spot.hourly.low == approx(1.0)
    assert spot.on_demand_hourly == approx(1.006 + 0.526 + 0.752)
    excluded = next(note for note in est.notes if "above the price cap" in note)
    assert "g5.2xlarge in us-east-1a" in excluded and "g5.xlarge in us-east-1b" in excluded


def test_every_live_pool_above_the_cap_means_no_spot_instances(table: PriceTable, tmp_path: Path) -> None:
    spec = variant(tmp_path, "us-east-1.yaml", fleet__max_price=0.1)
    est = estimate(spec, table, live_spot=LIVE)
    parts = lines_by_component(est)
    assert parts["fleet_spot"].hourly.high == 0.0
    assert "launch no Spot instances" in parts["fleet_spot"].note
    # Only the on-demand instance has a root volume: 200 GiB × 0.08 / 720.
    assert parts["ebs"].quantity == "1 × 200 GiB"


def test_offline_cap_excludes_types_the_largest_discount_cannot_bring_under_it(
    table: PriceTable, tmp_path: Path
) -> None:
    spec = variant(tmp_path, "us-east-1.yaml", fleet__max_price=0.09)
    spot = lines_by_component(estimate(spec, table))["fleet_spot"]
    # 10 % of on-demand: g5.xlarge 0.1006 and g5.2xlarge 0.1212 stay above 0.09 → excluded.
    # Left: g4dn.xlarge 0.0526, g4dn.2xlarge 0.0752, g6.xlarge 0.08048; ceiling = the cap 0.09.
    # low = (0.0526 + 0.0752 + 0.08048) / 3 × 3 = 0.20828; high = 0.09 × 3 = 0.27
    assert (spot.hourly.low, spot.hourly.high) == (approx(0.20828), approx(0.27))


def test_no_live_price_for_any_type_falls_back_to_the_range(table: PriceTable) -> None:
    est = estimate(example("us-east-1.yaml"), table, live_spot=[LivePrice("c5.large", "us-east-1a", 0.03)])
    assert lines_by_component(est)["fleet_spot"].basis == "bound"
    assert est.live_prices == ()
    assert any("no live Spot price was found" in note for note in est.notes)


# --- what is not in the table is named, never guessed ----------------------------------------------


def test_unknown_instance_type_is_named_and_left_out_of_the_model(table: PriceTable, tmp_path: Path) -> None:
    spec = variant(tmp_path, "us-east-1.yaml", fleet__instance_types=["g5.xlarge", "z1d.large"])
    est = estimate(spec, table)
    assert est.not_estimated == ("instance types not in the price table for us-east-1: z1d.large",)
    spot = lines_by_component(est)["fleet_spot"]
    assert spot.on_demand_hourly == approx(3 * 1.006)  # modelled over g5.xlarge alone
    assert not est.exact


def test_unknown_region_prices_nothing_and_says_so(table: PriceTable, tmp_path: Path) -> None:
    est = estimate(variant(tmp_path, "us-east-1.yaml", region="sa-east-1"), table)
    assert est.not_estimated[0].startswith("region sa-east-1 has no prices in the table")
    assert all(line.hourly is None and line.basis == "not_estimated" for line in est.lines)
    assert est.total.high == 0.0 and est.all_on_demand == 0.0
    assert not est.exact


def test_partly_priced_region_estimates_what_it_can(table: PriceTable, tmp_path: Path) -> None:
    spec = variant(
        tmp_path,
        "us-east-1.yaml",
        region="eu-west-1",
        fleet__instance_types=["g5.xlarge", "g4dn.xlarge"],
        training__image="ghcr.io/example/trainer:1",
    )
    est = estimate(spec, table)
    parts = lines_by_component(est)
    assert parts["fleet_on_demand"].hourly.low == approx(1.123)  # only g5.xlarge is priced in eu-west-1
    assert parts["nat_gateway"].hourly.low == approx(3 * 0.048)
    assert parts["ebs"].hourly is None
    assert "the EBS gp3 price for eu-west-1 is not in the price table" in est.not_estimated
    assert "instance types not in the price table for eu-west-1: g4dn.xlarge" in est.not_estimated


def test_missing_architecture_is_not_estimated(table: PriceTable, tmp_path: Path) -> None:
    spec = variant(tmp_path, "eu-west-1.yaml", training__cpu_architecture="ARM64", training__capacity__spot_percent=0)
    est = estimate(spec, table)
    assert est.lines[0].hourly is None
    assert est.not_estimated == ("Fargate Linux/ARM64 prices for eu-west-1 are not in the price table",)


@given(
    tasks=st.integers(0, 5000),
    base=st.integers(0, 100000),
    percent=st.integers(0, 100),
)
def test_fargate_split_keeps_every_task_and_the_base_on_demand(tasks, base, percent) -> None:
    on_demand, spot = fargate_split(tasks, base, percent)
    assert on_demand + spot == approx(tasks)
    assert on_demand >= min(base, tasks) - 1e-9
    assert 0 <= spot <= max(tasks - base, 0) + 1e-9
