"""An AWS endpoint that accepts connections and never answers: every AWS-reading command gives up
with a message naming the endpoint (exit 1, no traceback) instead of hanging for minutes.

The time it takes is measured by bench/hung_endpoint.py, not asserted here.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))

from engine_helpers import TINY, make_stand
from standin_harness import process_env

HANG_GUARD = 120  # seconds; far beyond what the commands may take, only so a regression cannot hang the suite


def test_every_aws_reading_command_gives_up_on_a_hung_endpoint(tmp_path: Path, moto_server: str, hung_endpoint) -> None:
    stand = make_stand(tmp_path, moto_server)
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    deployed = stand.run("up", str(spec), "--yes", "--skip-preflight", "--quiet")  # status needs a stack
    assert deployed.exit_code == 0, deployed.output

    env = process_env({**stand.env, "AWS_ENDPOINT_URL": hung_endpoint.url})
    # Two rounds, each command of a round at once: a round opens the stack at most three times at once,
    # as the first version of this test did (concurrent `pulumi stack select` calls can race on the
    # workspace file, pulumi/pulumi#8186).
    rounds = [
        {
            "status": ["status", str(spec)],
            "preflight": ["preflight", str(spec)],
            "events": ["events", str(spec)],
        },
        {
            "up": ["up", str(spec), "--yes"],  # its preflight fails before Pulumi runs
            "destroy --verify-only": ["destroy", str(spec), "--verify-only"],
            "drill": ["drill", str(spec), "--fault", "stop-task", "--yes"],  # its plan reads ECS before anything
        },
    ]
    results = {}
    for commands in rounds:
        results.update(run_at_once(commands, env))
    for name, (code, output) in results.items():
        assert code == 1, f"{name}: exit {code}\n{output}"
        assert f"no answer from {hung_endpoint.url}" in output, f"{name}:\n{output}"
        assert "AWS_ENDPOINT_URL" in output, f"{name}:\n{output}"  # the hint says where the endpoint came from
        assert "Traceback" not in output, f"{name}:\n{output}"
    assert hung_endpoint.accepted  # the calls really went there


def run_at_once(commands: dict[str, list[str]], env: dict[str, str]) -> dict[str, tuple[int, str]]:
    running = {
        name: subprocess.Popen(
            [sys.executable, "-m", "ftcluster", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in commands.items()
    }
    results = {}
    deadline = time.monotonic() + HANG_GUARD
    try:
        for name, process in running.items():
            stdout, stderr = process.communicate(timeout=max(deadline - time.monotonic(), 1))
            results[name] = (process.returncode, stdout + stderr)
    finally:
        for process in running.values():
            if process.poll() is None:
                process.kill()
    return results
