"""The engine scenarios against a real Pulumi CLI and real AWS (or LocalStack). Opt-in: it creates resources.

Run with:  FTCLUSTER_LIVE=1 python -m pytest -m live tests/engine/test_engine_live.py
  FTCLUSTER_LIVE_REGION   region to use (default us-east-1)
  FTCLUSTER_LIVE_ENDPOINT e.g. http://localhost:4566 for LocalStack (then any credentials do)
The cluster is small (2 AZs, no NAT, no fleet, 0 tasks) and is destroyed at the end, bucket included.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_helpers import Stand
from standin_harness import BIN, SCRUBBED

pytestmark = pytest.mark.live

REGION = os.environ.get("FTCLUSTER_LIVE_REGION", "us-east-1")
ENDPOINT = os.environ.get("FTCLUSTER_LIVE_ENDPOINT")


def _skip_reason() -> str | None:
    if os.environ.get("FTCLUSTER_LIVE") != "1":
        return (
            "live suite: opt in with FTCLUSTER_LIVE=1 (it creates real AWS resources); it needs a real Pulumi "
            "CLI on PATH and AWS credentials, or LocalStack via FTCLUSTER_LIVE_ENDPOINT"
        )
    found = shutil.which("pulumi")
    if found is None or Path(found).resolve().parent == BIN.resolve():
        return "live suite: no real Pulumi CLI on PATH (install it, or run `ftcluster install-pulumi`)"
    import boto3

    try:
        boto3.client("sts", region_name=REGION, endpoint_url=ENDPOINT).get_caller_identity()
    except Exception as err:
        return f"live suite: no usable AWS credentials for {REGION} ({type(err).__name__})"
    return None


SKIP = _skip_reason()
if SKIP:
    pytest.skip(SKIP, allow_module_level=True)


def _spec(root: Path, name: str) -> Path:
    endpoint = f"endpoint_url: {ENDPOINT}\n" if ENDPOINT else ""
    path = root / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nregion: {REGION}\n{endpoint}network:\n  availability_zones: 2\n  nat: none\n"
        'training:\n  image: public.ecr.aws/docker/library/busybox:latest\n  command: ["sleep", "3600"]\n'
        "  cpu: 256\n  memory: 512\n  tasks: 0\nlogs:\n  retention_days: 1\n"
    )
    return path


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stand, Path, str]]:
    root = tmp_path_factory.mktemp("live")
    env: dict[str, str | None] = dict.fromkeys(SCRUBBED)
    env.update({"FTCLUSTER_HOME": str(root / "home"), "COLUMNS": "200"})  # the user's own Pulumi home is kept
    name = f"ftc-live-{uuid.uuid4().hex[:6]}"
    stand = Stand(root, env)
    yield stand, _spec(root, name), f"{name}-{REGION}"
    stand.run("destroy", "--cluster", f"{name}-{REGION}", "--yes", "--delete-checkpoints", "--quiet")


def test_live_up_then_no_op_then_preview(live) -> None:
    stand, spec, _ = live
    created = stand.run("up", str(spec), "--yes", "--json")
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["outputs"]["desired_tasks"] == 0
    again = stand.run("up", str(spec), "--yes")
    assert again.exit_code == 0 and "no changes" in again.stderr
    preview = stand.run("preview", str(spec), "--json", "--expect-no-changes")
    assert preview.exit_code == 0, preview.output
    assert set(json.loads(preview.stdout)["changes"]) == {"same"}


def test_live_scale_then_outputs_and_list(live) -> None:
    stand, spec, stack = live
    scaled = stand.run("scale", "--tasks", "1", "--json")
    assert scaled.exit_code == 0, scaled.output
    assert set(json.loads(scaled.stdout)["changes"]) <= {"update", "same"}
    kept = stand.run("up", str(spec), "--yes", "--json")
    assert kept.exit_code == 0 and json.loads(kept.stdout)["outputs"]["desired_tasks"] == 1
    outputs = json.loads(stand.run("outputs", "--json").stdout)
    assert outputs["scale"]["tasks"] == {"spec": 0, "effective": 1}
    listed = json.loads(stand.run("list", "--json").stdout)["clusters"]
    assert [c["stack"] for c in listed] == [stack]


def test_live_concurrent_update_and_ctrl_c(live) -> None:
    stand, spec, stack = live
    locks = stand.home / "state" / ".pulumi" / "locks" / "organization" / "ftcluster" / stack
    locks.mkdir(parents=True, exist_ok=True)
    lock = locks / "held.json"
    lock.write_text(
        json.dumps({"pid": os.getpid(), "username": "live", "hostname": socket.gethostname(), "timestamp": "now"})
    )
    changed = _spec(stand.root, spec.stem)
    changed.write_text(changed.read_text().replace("retention_days: 1", "retention_days: 3"))
    blocked = stand.run("up", str(changed), "--yes")
    assert blocked.exit_code == 1 and "being changed by another" in blocked.stderr
    lock.unlink()
    env = {k: v for k, v in os.environ.items() if k not in stand.env}
    env.update({k: v for k, v in stand.env.items() if v is not None})
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("ftcluster")), "up", str(changed), "--yes"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(8)
    process.send_signal(signal.SIGINT)
    code = process.wait(600)
    assert code in (0, 130), process.stderr.read()
    assert not list(locks.glob("*.json"))  # a clean cancel releases the lock


def test_live_failure_is_readable_and_missing_credentials_are_caught(live) -> None:
    stand, spec, _ = live
    broken = stand.root / "broken.yaml"
    broken.write_text(
        f"name: ftc-live-broken\nregion: {REGION}\nnetwork:\n  vpc_id: vpc-0000000000000dead\n"
        "  subnet_ids: [subnet-0000000000000dea1, subnet-0000000000000dea2]\n"
        "training:\n  image: busybox\n  tasks: 0\n  checkpoints:\n    bucket: ftc-live-no-such-bucket-0\n"
    )
    failed = stand.run("up", str(broken), "--yes", "--skip-preflight")
    assert failed.exit_code == 1 and "Traceback" not in failed.output
    stand.run("destroy", str(broken), "--yes", "--quiet")
    no_credentials = stand.run(
        "up",
        str(spec),
        "--yes",
        "--skip-preflight",
        extra_env={
            "AWS_ACCESS_KEY_ID": None,
            "AWS_SECRET_ACCESS_KEY": None,
            "AWS_SESSION_TOKEN": None,
            "AWS_PROFILE": None,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        },
    )
    assert no_credentials.exit_code == 1 and "AWS credentials" in no_credentials.stderr


def test_live_destroy_keeps_the_bucket_and_removes_the_stack(live) -> None:
    stand, _, _stack = live
    before = json.loads(stand.run("outputs", "--json").stdout)["outputs"]
    result = stand.run("destroy", "--yes")
    assert result.exit_code == 0, result.output
    import boto3

    s3 = boto3.resource("s3", region_name=REGION, endpoint_url=ENDPOINT)
    bucket = s3.Bucket(before["checkpoint_bucket"])
    bucket.load()  # still there
    bucket.object_versions.delete()
    bucket.delete()
    assert json.loads(stand.run("list", "--json").stdout)["clusters"] == []
