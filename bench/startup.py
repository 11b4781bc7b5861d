"""Median wall time of the light commands next to a bare `import typer`, over several runs.

    python bench/startup.py [--runs N]

`--help` and `validate` must not import pulumi, pulumi_aws or boto3 (tests/cli/test_startup_imports.py
checks that); this script shows what that buys in time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BARE_TYPER_APP = """
import typer
app = typer.Typer()
@app.command()
def hello(name: str):
    "Say hello."
@app.command()
def bye():
    "Say bye."
app()
"""
COMMANDS = {
    "python -c 'import typer'": [sys.executable, "-c", "import typer"],
    "a bare two-command Typer app --help": [sys.executable, "-c", BARE_TYPER_APP, "--help"],
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
    for label, command in COMMANDS.items():
        print(f"  {median_seconds(command, runs) * 1000:7.0f} ms  {label}")


if __name__ == "__main__":
    main()
