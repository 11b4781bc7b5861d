"""Time from start to error of the AWS-reading commands against an endpoint that never answers.

    python bench/hung_endpoint.py

A loopback server accepts every connection and never answers; AWS_ENDPOINT_URL points at it.
`preflight`, `up` (which fails in its preflight) and `destroy --verify-only` run as subprocesses;
`status`, `events` and `drill` need a deployed stack, so their AWS parts (`status_report`, `read_ledger`,
`plan_drill`) are timed in-process with the outputs a stack would give. Each should end in about attempts x read timeout
(ftcluster.aws: 3 x 5 s) plus start-up, with exit code 1 and the endpoint named.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "configs" / "us-east-1.yaml"


def hung_server() -> tuple[str, list[socket.socket]]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = [server]

    def accept() -> None:
        while True:
            held.append(server.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}", held


def main() -> None:
    url, _held = hung_server()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "FTCLUSTER_HOME": tempfile.mkdtemp(prefix="ftcluster-bench-"),
        }
    )
    commands = {
        "preflight": ["preflight", str(SPEC), "--quiet"],
        "up": ["up", str(SPEC), "--yes", "--quiet"],
        "destroy --verify-only": ["destroy", str(SPEC), "--verify-only", "--quiet"],
    }
    print(f"hung endpoint {url}")
    for label, args in commands.items():
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "ftcluster", *args],
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=600,
            check=False,
        )
        seconds = time.perf_counter() - start
        named = "endpoint named" if url in done.stdout + done.stderr else "ENDPOINT NOT NAMED"
        print(f"  {seconds:6.1f} s  exit {done.returncode}  {named}  ftcluster {label}")

    os.environ.clear()
    os.environ.update(env)
    from datetime import datetime, timezone

    from ftcluster.aws import AwsError, AwsSession
    from ftcluster.drill.plan import plan_drill
    from ftcluster.ledger.read import read_ledger
    from ftcluster.live.status import status_report

    outputs = {"cluster_name": "llm-pretrain", "region": "us-east-1", "service_name": "llm-pretrain-training"}
    in_process = {
        "status": lambda: status_report(outputs),
        "events": lambda: read_ledger(
            outputs, None, session=AwsSession("us-east-1"), since=datetime(2026, 1, 1, tzinfo=timezone.utc)
        ),
        "drill --fault stop-task": lambda: plan_drill(
            outputs, None, fault="stop-task", target=None, timeout_seconds=60, session=AwsSession("us-east-1")
        ),
    }
    for label, call in in_process.items():
        start = time.perf_counter()
        try:
            call()
            outcome = "no error"
        except AwsError as err:
            outcome = "endpoint named" if url in err.message else "ENDPOINT NOT NAMED"
        print(f"  {time.perf_counter() - start:6.1f} s  {outcome}  {label} (its AWS part, in-process)")


if __name__ == "__main__":
    main()
