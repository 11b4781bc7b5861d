"""Shared fixtures: a real AWS API emulator (moto server) on loopback, and AWS settings that use it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# The tests of Ctrl-C deliver a real SIGINT. A shell without job control starts a background command
# (`cmd &`, nohup) with SIGINT ignored, which every process started from it inherits (POSIX exec keeps an
# ignored signal ignored): Python then leaves it ignored, and those tests would see nothing arrive. Each
# test process starts from Python's own handler instead, as a terminal would give it.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited early with code {process.returncode}")
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not answer on {url} within {timeout}s")


def moto_server_executable(interpreter: str | Path = sys.executable) -> str:
    """The `moto_server` installed with the interpreter running the tests (the one whose moto the
    tests import), else the first on PATH: a PATH entry such as a pyenv shim may be another
    Python's moto, of another version."""
    beside = Path(interpreter).with_name("moto_server")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("moto_server") or str(beside)


@contextmanager
def running_moto_server(folder: Path, settings: dict[str, str] | None = None) -> Iterator[str]:
    """`moto_server` on a free loopback port, with moto's own settings in its environment; yields its URL."""
    executable = moto_server_executable()
    port = _free_port()
    log = (folder / "moto_server.log").open("wb")
    # MOTO_PORT: moto's Step Functions interpreter calls the server's own APIs on localhost:MOTO_PORT
    # (moto/stepfunctions/parser/asl/utils/boto_client.py), which the completion tests use.
    process = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "MOTO_PORT": str(port), **(settings or {})},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `moto_server` on a free loopback port for the whole session; yields its URL."""
    with running_moto_server(tmp_path_factory.mktemp("moto")) as url:
        yield url


@pytest.fixture(scope="session")
def pristine_moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second `moto_server` for the session, which tests leave alone: tests/engine deploys its starting
    points there, into an empty account, whatever earlier tests left in `moto_server` that an `up` reads
    (a log group to import, a completed job's record)."""
    with running_moto_server(tmp_path_factory.mktemp("moto-pristine")) as url:
        yield url


@pytest.fixture
def aws(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A clean emulated AWS account: every boto3 client made in the test talks to moto server.

    Sets the standard AWS configuration (endpoint, fake credentials, no profile files) the way a
    user's environment would, so the product code needs no special case for the emulator.
    """
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10)
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    yield moto_server


class HungEndpoint:
    """A loopback TCP server that accepts every connection and never answers (a hung AWS endpoint)."""

    def __init__(self) -> None:
        import threading

        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self.accepted: list[socket.socket] = []  # held open, never read or written
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return  # closed
            self.accepted.append(connection)

    def close(self) -> None:
        self._server.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def hung_endpoint() -> Iterator[HungEndpoint]:
    endpoint = HungEndpoint()
    yield endpoint
    endpoint.close()


# moto settings of the end-to-end tests. moto/ecs/models.py Service: every ECS service created reports
# MOTO_ECS_SERVICE_RUNNING running tasks, and its deployment COMPLETED once that covers its desired count
# (else IN_PROGRESS for ever); UpdateService with a desired count makes that many run. moto/settings.py
# load_iam_aws_managed_policies: the AWS managed policies exist, so attaching one by ARN works as in AWS.
E2E_RUNNING_TASKS = 2
E2E_MOTO_SETTINGS = {"MOTO_ECS_SERVICE_RUNNING": str(E2E_RUNNING_TASKS), "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
E2E_REGIONS = ("eu-west-1",)
E2E_WARM_UP = (  # one cheap call per service the end-to-end flow uses
    ("ec2", "describe_regions"),
    ("iam", "list_roles"),
    ("sts", "get_caller_identity"),
    ("ecs", "list_clusters"),
    ("logs", "describe_log_groups"),
    ("s3", "list_buckets"),
    ("autoscaling", "describe_auto_scaling_groups"),
    ("servicediscovery", "list_namespaces"),
    ("ssm", "describe_parameters"),
    ("resourcegroupstaggingapi", "get_resources"),
    ("application-autoscaling", "describe_scalable_targets", {"ServiceNamespace": "ecs"}),
    ("events", "list_rules"),
    ("stepfunctions", "list_state_machines"),
)


def keep_ecs_tasks_where_put(url: str) -> None:
    """moto advances an ECS task one lifecycle step per DescribeTasks by default (RUNNING becomes DEACTIVATING on
    the first look); "manual" keeps tasks where the test (or StopTask) put them."""
    body = json.dumps({"model_name": "ecs::task", "transition": {"progression": "manual", "times": 10**6}})
    request = urllib.request.Request(f"{url}/moto-api/state-manager/set-transition", data=body.encode(), method="POST")
    urllib.request.urlopen(request, timeout=10)


@pytest.fixture
def keep_ecs_tasks() -> Callable[[str], None]:
    return keep_ecs_tasks_where_put


@pytest.fixture(scope="session")
def moto_running_tasks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server of its own for the end-to-end tests (E2E_MOTO_SETTINGS), warmed up: moto builds a
    service's backend on its first call (EC2's and IAM's with managed policies take seconds), which
    ftcluster would count against its 5-second read timeout (ftcluster/aws.py)."""
    with running_moto_server(tmp_path_factory.mktemp("moto-e2e"), E2E_MOTO_SETTINGS) as url:
        for region in E2E_REGIONS:
            warm_up(url, region)
        keep_ecs_tasks_where_put(url)
        yield url


def warm_up(url: str, region: str) -> None:
    """One cheap call per service of E2E_WARM_UP, each given all the time moto needs to build its backend."""
    import boto3
    from botocore.config import Config

    for service, operation, *arguments in E2E_WARM_UP:
        client = boto3.client(
            service,
            region_name=region,
            endpoint_url=url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(read_timeout=300, retries={"max_attempts": 1}),
        )
        getattr(client, operation)(**(arguments[0] if arguments else {}))
