"""Median wall time of the light commands next to a bare Typer app with as many commands, over several runs.

    python bench/startup.py [--runs N]

`--help` must import neither pydantic, yaml nor the engine, and `--help` and `validate` neither pulumi,
pulumi_aws nor boto3 (tests/cli/test_startup_imports.py checks that); this script shows what that buys in
time. The goal (issue 19): `--help` within 1.3x and `validate` within 2.0x of the bare app's `--help`.
Measure on a quiet machine (`uptime`): other processes make every number larger and the ratios noisy.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND_COUNT = 17  # ftcluster's commands (`ftcluster --help`)
BARE_TYPER_APP = (
    "import typer\napp = typer.Typer(rich_markup_mode='rich')\n"
    + "".join(
        f"@app.command()\ndef command_{n}(name: str, flag: bool = False):\n    'Do thing {n}.'\n"
        for n in range(COMMAND_COUNT)
    )
    + "app()\n"
)
BARE = f"a bare Typer app of {COMMAND_COUNT} commands --help"
GOALS = {"ftcluster --help": 1.3, "ftcluster validate configs/us-east-1.yaml": 2.0}
COMMANDS = {
    "python -c 'import typer'": [sys.executable, "-c", "import typer"],
    BARE: [sys.executable, "-c", BARE_TYPER_APP, "--help"],
    "ftcluster --help": [sys.executable, "-m", "ftcluster", "--help"],
    "ftcluster validate configs/us-east-1.yaml": [
        sys.executable,
        "-m",
        "ftcluster",
        "validate",
        str(ROOT / "configs" / "us-east-1.yaml"),
    ],
    "python -c 'import pulumi_aws, boto3' (what we avoid)": [sys.executable, "-c", "import pulumi, pulumi_aws, boto3"],
}


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    median_seconds(COMMANDS["ftcluster --help"], 1)  # warm the bytecode cache
    print(f"median wall time over {runs} runs")
    medians = {}
    for label, command in COMMANDS.items():
        medians[label] = median_seconds(command, runs)
        goal = GOALS.get(label)
        ratio = f"  {medians[label] / medians[BARE]:.2f}x the bare app (goal <= {goal}x)" if goal else ""
        print(f"  {medians[label] * 1000:7.0f} ms  {label}{ratio}")


if __name__ == "__main__":
    main()
