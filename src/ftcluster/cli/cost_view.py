"""How an estimate or run-rate looks: a rich table for people and one JSON shape for `--json`.

Used by `preview` (estimate) and `status` (run-rate). Imports only rich, and only when rendering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..cost.model import HOURS_PER_MONTH, Cost, Estimate, Line

if TYPE_CHECKING:
    from rich.console import Console

BASIS_TEXT = {
    "table": "price table",
    "live": "live Spot price",
    "bound": "range: Spot, no live price",
    "not_estimated": "not estimated",
}
TITLES = {"estimate": "Cost estimate", "run_rate": "Run-rate (what runs now)"}


# --- JSON ------------------------------------------------------------------------------------------


def estimate_json(est: Estimate) -> dict[str, Any]:
    """The `--json` shape: every figure hourly and per 30-day month, ranges as {"low", "high"}."""
    all_on_demand = est.all_on_demand
    saving = est.saving
    return {
        "kind": est.kind,
        "region": est.region,
        "currency": "USD",
        "hours_per_month": HOURS_PER_MONTH,
        "exact": est.exact,
        "uses_live_spot_prices": est.uses_live_prices,
        "total": _money(est.total),
        "all_on_demand": _money(Cost.exact(all_on_demand)),
        "saving": {
            **_money(saving),
            "percent": (
                {"low": round(100 * saving.low / all_on_demand, 1), "high": round(100 * saving.high / all_on_demand, 1)}
                if all_on_demand > 0
                else None
            ),
        },
        "lines": [_line_json(line) for line in est.lines],
        "not_estimated": list(est.not_estimated),
        "notes": list(est.notes),
        "autoscaling": (
            {
                "min_tasks": est.task_range.min_tasks,
                "max_tasks": est.task_range.max_tasks,
                "fargate_at_min": _money(est.task_range.at_min) if est.task_range.at_min else None,
                "fargate_at_max": _money(est.task_range.at_max) if est.task_range.at_max else None,
            }
            if est.task_range
            else None
        ),
        "live_spot_prices": [
            {
                "instance_type": p.instance_type,
                "availability_zone": p.availability_zone,
                "price": p.price,
                "timestamp": p.timestamp,
            }
            for p in est.live_prices
        ],
        "price_table": {
            "collected": est.table_collected,
            "sources": [{"section": s.section, "as_of": s.as_of, "source": s.source} for s in est.sources],
        },
    }


def _line_json(line: Line) -> dict[str, Any]:
    return {
        "component": line.component,
        "label": line.label,
        "quantity": line.quantity,
        "basis": line.basis,
        "cost": _money(line.hourly) if line.hourly is not None else None,
        "all_on_demand": _money(Cost.exact(line.on_demand_hourly)) if line.on_demand_hourly is not None else None,
        "note": line.note,
    }


def _money(cost: Cost) -> dict[str, Any]:
    return {
        "hourly": {"low": round(cost.low, 6), "high": round(cost.high, 6)},
        "monthly": {"low": round(cost.low * HOURS_PER_MONTH, 2), "high": round(cost.high * HOURS_PER_MONTH, 2)},
    }


# --- people ----------------------------------------------------------------------------------------


def usd(value: float) -> str:
    if value == 0:
        return "$0.00"
    if abs(value) < 0.01:  # tiny lines (and emulator prices) stay visible instead of showing "$0.00"
        digits = f"{value:.6f}".rstrip("0")
        return f"${digits}" if not digits.endswith(".") else "<$0.000001"
    return f"${value:,.2f}"


def span(cost: Cost, factor: float = 1.0) -> str:
    low, high = cost.low * factor, cost.high * factor
    return usd(low) if cost.is_exact else f"{usd(low)} – {usd(high)}"


def summary(est: Estimate) -> str:
    """One line: total per hour and per month, with the all-on-demand comparison."""
    total = est.total
    text = f"{span(total)}/h, {span(total, HOURS_PER_MONTH)}/month"
    if est.all_on_demand > 0:
        text += f" (all on-demand: {usd(est.all_on_demand * HOURS_PER_MONTH)}/month)"
    if est.not_estimated:
        text += " — partial, see not estimated"
    return text


def render(console: Console, est: Estimate, *, show_sources: bool = False) -> None:
    """The breakdown table, totals, comparison, and what was not estimated."""
    from rich.markup import escape

    from .tables import Table

    table = Table(title=f"{TITLES[est.kind]} — {est.region}", show_footer=False)
    table.add_column("part", style="bold")
    table.add_column("quantity")
    table.add_column("per hour", justify="right")
    table.add_column("per month (30 d)", justify="right")
    table.add_column("basis", style="dim")
    for line in est.lines:
        if line.hourly is None:
            hourly = monthly = "[yellow]not estimated[/yellow]"
        else:
            hourly, monthly = span(line.hourly), span(line.hourly, HOURS_PER_MONTH)
        table.add_row(escape(line.label), escape(line.quantity), hourly, monthly, BASIS_TEXT[line.basis])
    total, saving, on_demand = est.total, est.saving, est.all_on_demand
    table.add_section()
    table.add_row("Total", "", f"[bold]{span(total)}[/bold]", f"[bold]{span(total, HOURS_PER_MONTH)}[/bold]", "")
    table.add_row("Same capacity all on-demand", "", usd(on_demand), usd(on_demand * HOURS_PER_MONTH), "")
    if on_demand > 0:
        share = Cost(saving.low / on_demand, saving.high / on_demand)
        percent = f"{share.low:.0%}" if share.is_exact else f"{share.low:.0%} – {share.high:.0%}"
        table.add_row(
            "Saving", percent, f"[green]{span(saving)}[/green]", f"[green]{span(saving, HOURS_PER_MONTH)}[/green]", ""
        )
    console.print(table)

    if not total.is_exact:
        console.print(
            "[dim]A range means Spot prices were not known: AWS publishes only a maximum discount. "
            "With AWS credentials the fleet's Spot part uses live prices.[/dim]"
        )
    if est.task_range is not None:
        r = est.task_range
        at_min = span(r.at_min) if r.at_min else "not estimated"
        at_max = span(r.at_max) if r.at_max else "not estimated"
        console.print(
            f"Auto scaling keeps {r.min_tasks}–{r.max_tasks} tasks: Fargate {at_min}/h at {r.min_tasks}, "
            f"{at_max}/h at {r.max_tasks} (the estimate uses the desired count)."
        )
    for line in est.lines:
        if line.note:
            console.print(f"[dim]• {escape(line.label)}: {escape(line.note)}[/dim]")
    for note in est.notes:
        console.print(f"[dim]• {escape(note)}[/dim]")
    for item in est.not_estimated:
        console.print(f"[yellow]not estimated:[/yellow] {escape(item)}")
    if est.live_prices:
        pools = ", ".join(f"{p.instance_type} {p.availability_zone} {usd(p.price)}" for p in est.live_prices)
        console.print(f"[dim]live Spot prices used: {escape(pools)}[/dim]")
    collected = f", collected {est.table_collected}" if est.table_collected else ""
    console.print(f"[dim]Prices: ftcluster's price table{collected}; sources and dates with --json.[/dim]")
    if show_sources:
        for source in est.sources:
            console.print(f"[dim]  {escape(source.section)} ({escape(source.as_of)}): {escape(source.source)}[/dim]")
