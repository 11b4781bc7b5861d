"""The JSON shape and the table people read, for an estimate and a run-rate."""

from __future__ import annotations

import json
from pathlib import Path

from cost_helpers import example, variant
from rich.console import Console

from ftcluster.cli.cost_view import estimate_json, render, summary, usd
from ftcluster.cost import PriceTable, RunningInstances, RunningSnapshot, estimate, run_rate


def rendered(est) -> str:
    console = Console(record=True, width=160)
    render(console, est)
    return console.export_text()


def test_json_shape_carries_every_figure_hourly_and_monthly(table: PriceTable) -> None:
    data = estimate_json(estimate(example("us-east-1.yaml"), table))
    json.dumps(data)  # serialisable as it is
    assert set(data) == {
        "kind",
        "region",
        "currency",
        "hours_per_month",
        "exact",
        "uses_live_spot_prices",
        "total",
        "all_on_demand",
        "saving",
        "lines",
        "not_estimated",
        "notes",
        "autoscaling",
        "live_spot_prices",
        "price_table",
    }
    assert data["hours_per_month"] == 720
    assert data["total"]["hourly"] == {"low": 2.396793, "high": 5.208609}
    assert data["total"]["monthly"] == {"low": 1725.69, "high": 3750.2}
    assert data["saving"]["percent"] == {"low": 0.0, "high": 54.0}
    lines = {line["component"]: line for line in data["lines"]}
    assert lines["fleet_spot"]["basis"] == "bound"
    assert lines["fargate_on_demand"]["cost"]["hourly"]["low"] == lines["fargate_on_demand"]["cost"]["hourly"]["high"]
    assert lines["nat_gateway"]["cost"]["monthly"]["low"] == 97.2
    assert data["autoscaling"]["min_tasks"] == 4 and data["autoscaling"]["fargate_at_max"]["hourly"]["high"] > 0
    assert {s["section"] for s in data["price_table"]["sources"]} >= {"fargate", "nat_gateway"}


def test_json_of_a_not_estimated_line_is_null_and_named(table: PriceTable, tmp_path: Path) -> None:
    est = estimate(variant(tmp_path, "us-east-1.yaml", region="sa-east-1"), table)
    data = estimate_json(est)
    assert all(line["cost"] is None and line["basis"] == "not_estimated" for line in data["lines"])
    assert data["not_estimated"][0].startswith("region sa-east-1")
    assert data["saving"]["percent"] is None


def test_table_shows_ranges_totals_the_comparison_and_what_was_left_out(table: PriceTable, tmp_path: Path) -> None:
    text = rendered(estimate(example("us-east-1.yaml"), table))
    assert "Cost estimate — us-east-1" in text
    assert "$0.21 – $0.70" in text  # the Fargate Spot range
    assert "$1,725.69 – $3,750.20" in text  # the monthly total
    assert "Same capacity all on-demand" in text and "0% – 54%" in text
    assert "Auto scaling keeps 4–12 tasks" in text

    spec = variant(tmp_path, "us-east-1.yaml", fleet__instance_types=["g5.xlarge", "z1d.large"])
    text = rendered(estimate(spec, table))
    assert "not estimated: instance types not in the price table for us-east-1: z1d.large" in text


def test_run_rate_renders_under_its_own_title(table: PriceTable) -> None:
    est = run_rate(RunningSnapshot("us-east-1", instances=(RunningInstances("g4dn.xlarge", "on-demand", 2),)), table)
    text = rendered(est)
    assert "Run-rate (what runs now) — us-east-1" in text and "2 × g4dn.xlarge" in text
    assert summary(est) == "$1.05/h, $757.44/month (all on-demand: $757.44/month)"


def test_small_amounts_stay_visible() -> None:
    assert usd(0.00003) == "$0.00003" and usd(0.0042) == "$0.0042"
    assert usd(0) == "$0.00" and usd(1234.5) == "$1,234.50"
