"""What the engine tests cost: CPU and wall time per test file, and the CPU of one `ftcluster up`.

    python bench/engine_tests.py [FILE...]     # each test file alone (default: tests/engine and tests/e2e)
    python bench/engine_tests.py --up [N]      # N (3) runs of `up` of the tiny cluster in this process

Files: each runs alone (`python -m pytest -q -p no:cacheprovider FILE`), one after another; CPU is user +
system time of pytest and every process under it (moto_server, the stand-in `pulumi` calls). Alone, a file
also pays for what a worker of the whole suite shares between files (interpreter start, imports, a moto
server, the deployed starting points of tests/engine/starting_points.py).

--up: `ftcluster up TINY --yes --skip-preflight` on fresh machines (tests/engine/engine_helpers.py), split
into this process's CPU (the inline program, run for the preview and again for the update) and the stand-in
CLI calls' (its child processes). The first run pays for the imports.

CPU times depend on the machine's load (another process on the same core slows this one's): compare runs
made side by side, and say the load.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def time_files(files: list[Path]) -> None:
    total_wall = total_cpu = 0.0
    print(f"{'file':60} {'wall s':>8} {'cpu s':>8}  result")
    for file in files:
        cpu, start = children_cpu(), time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(file)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        wall, used = time.monotonic() - start, children_cpu() - cpu
        total_wall, total_cpu = total_wall + wall, total_cpu + used
        result = (run.stdout.strip().splitlines() or ["?"])[-1]
        print(f"{file.relative_to(ROOT)!s:60} {wall:8.1f} {used:8.1f}  {result}", flush=True)
    print(f"{'total':60} {total_wall:8.1f} {total_cpu:8.1f}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


def time_ups(count: int) -> None:
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "engine"), str(ROOT / "tests" / "standin")]
    from conftest import running_moto_server
    from engine_helpers import TINY, make_stand

    with tempfile.TemporaryDirectory() as folder, running_moto_server(Path(folder)) as moto:
        for index in range(count):
            stand = make_stand(Path(folder) / f"machine-{index}", moto)
            spec = stand.root / "tiny.yaml"
            spec.write_text(TINY)
            own, children = own_cpu(), children_cpu()
            result = stand.run("up", str(spec), "--yes", "--skip-preflight")
            assert result.exit_code == 0, result.output
            calls = len(stand.state.calls())
            print(
                f"up {index + 1}: {own_cpu() - own:.2f} CPU-s in this process, "
                f"{children_cpu() - children:.2f} in {calls} stand-in calls",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--up", nargs="?", type=int, const=3, metavar="N")
    args = parser.parse_args()
    if args.up:
        time_ups(args.up)
        return
    files = [f.resolve() for f in args.files] or sorted(
        [*(ROOT / "tests" / "engine").glob("test_*.py"), *(ROOT / "tests" / "e2e").glob("test_*.py")]
    )
    time_files(files)


if __name__ == "__main__":
    main()
