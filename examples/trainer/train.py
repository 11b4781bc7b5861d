"""A toy trainer that survives Spot interruptions: S3 checkpoints, resume on start, save on SIGTERM.

Plain Python plus boto3 (no torch): it fits y = 3x + 2 with SGD. Run it as is, or under torchrun.
Exit codes: 0 done or stopped cleanly, 1 S3 failed or a checkpoint is unreadable, 2 bad configuration.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any

CHECKPOINT_FORMAT = "ftcluster-example-trainer/1"
# Zero-padded so that S3's lexicographic key order (ListObjectsV2: "returns objects in lexicographical
# order based on their key names", botocore/data/s3/2006-03-01/service-2.json) is step order.
KEY_PATTERN = re.compile(r"step-(\d{12})\.json")
# General purpose bucket names: 3-63 lowercase letters, digits, dots and hyphens, a letter or digit
# at each end (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
BUCKET_PATTERN = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
LEARNING_RATE = 0.1
BATCH_SIZE = 8
SEED = 0


class ConfigError(Exception):
    """Bad environment: every problem at once, exit 2."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class StorageError(Exception):
    """S3 refused or could not be reached, or a checkpoint in it is unreadable: exit 1."""


@dataclass(frozen=True)
class Settings:
    bucket: str
    prefix: str  # ends with "/"
    total_steps: int
    checkpoint_every: int
    seconds_per_step: float
    rank: int

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def checkpoint_uri_problem(uri: str) -> str | None:
    """Why `uri` is not s3://BUCKET/PREFIX/ (what ftcluster gives every container), or None."""
    if not uri.startswith("s3://"):
        return "it must start with s3://"
    bucket, slash, prefix = uri[len("s3://") :].partition("/")
    if not BUCKET_PATTERN.fullmatch(bucket) or ".." in bucket:
        return f"`{bucket}` is not an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)"
    if not slash or not prefix:
        return "a key prefix ending with `/` must follow the bucket"
    if prefix.startswith("/") or not prefix.endswith("/"):
        return "the key prefix must end with `/` and not start with `/`"
    if any(ch.isspace() for ch in prefix) or "?" in prefix or "#" in prefix:
        return "the key prefix must not contain spaces, `?` or `#`"
    return None


def _number(environ: dict[str, str], name: str, default: str, kind: type, minimum: float, problems: list[str]) -> Any:
    text = environ.get(name, default)
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or (kind is float and not math.isfinite(value)) or value < minimum:
        what = "an integer" if kind is int else "a number"
        problems.append(f"{name}={text!r}: expected {what} >= {minimum:g}")
        return None
    return value


def read_settings(environ: dict[str, str]) -> Settings:
    problems: list[str] = []
    uri = environ.get("CHECKPOINT_URI")
    if uri is None or not uri.strip():
        problems.append(
            "CHECKPOINT_URI is not set: ftcluster sets it in every training container; "
            "elsewhere set it yourself, e.g. CHECKPOINT_URI=s3://my-bucket/checkpoints/"
        )
    elif (reason := checkpoint_uri_problem(uri)) is not None:
        problems.append(f"CHECKPOINT_URI={uri!r} is not s3://BUCKET/PREFIX/: {reason}")
    total = _number(environ, "TRAIN_TOTAL_STEPS", "1000", int, 1, problems)
    every = _number(environ, "TRAIN_CHECKPOINT_EVERY", "100", int, 1, problems)
    seconds = _number(environ, "TRAIN_SECONDS_PER_STEP", "0.5", float, 0, problems)
    # torchrun sets RANK for each worker it starts (torch/distributed/run.py, "Environment Variables");
    # without it this is the only process.
    rank = _number(environ, "RANK", "0", int, 0, problems)
    if problems:
        raise ConfigError(problems)
    assert uri is not None
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    return Settings(bucket, prefix, total, every, seconds, rank)


# --- the model: y = w*x + b, one SGD step on a fresh minibatch -------------------------------------------------


@dataclass
class State:
    step: int
    w: float
    b: float
    rng: random.Random
    loss: float = math.nan

    @classmethod
    def fresh(cls) -> State:
        return cls(step=0, w=0.0, b=0.0, rng=random.Random(SEED))

    def to_json(self) -> dict[str, Any]:
        version, internal, gauss_next = self.rng.getstate()
        return {
            "format": CHECKPOINT_FORMAT,
            "step": self.step,
            "model": {"w": self.w, "b": self.b},
            "rng": {"version": version, "state": list(internal), "gauss_next": gauss_next},
        }

    @classmethod
    def from_json(cls, data: Any) -> State:
        """Raises ValueError/KeyError/TypeError on anything this trainer did not write."""
        if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"not a {CHECKPOINT_FORMAT} checkpoint")
        rng = random.Random()
        saved = data["rng"]
        rng.setstate((saved["version"], tuple(saved["state"]), saved["gauss_next"]))
        step = data["step"]
        if not isinstance(step, int) or step < 0:
            raise ValueError(f"bad step {step!r}")
        return cls(step=step, w=float(data["model"]["w"]), b=float(data["model"]["b"]), rng=rng)


def train_step(state: State, seconds: float) -> None:
    """One SGD step on mean squared error; `seconds` stands in for the GPU's work."""
    grad_w = grad_b = loss = 0.0
    for _ in range(BATCH_SIZE):
        x = state.rng.uniform(-1.0, 1.0)
        y = 3.0 * x + 2.0 + state.rng.gauss(0.0, 0.1)
        error = state.w * x + state.b - y
        grad_w += 2 * error * x / BATCH_SIZE
        grad_b += 2 * error / BATCH_SIZE
        loss += error * error / BATCH_SIZE
    state.w -= LEARNING_RATE * grad_w
    state.b -= LEARNING_RATE * grad_b
    state.loss = loss
    state.step += 1
    # time.sleep resumes after a signal handler returns (PEP 475), so SIGTERM lets the step finish.
    time.sleep(seconds)


# --- checkpoints in S3 ---------------------------------------------------------------------------------------


class CheckpointStore:
    """`<prefix>step-<12 digits>.json` objects; the newest is the last key in S3's listing order."""

    def __init__(self, settings: Settings) -> None:
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix = settings.bucket, settings.prefix
        # boto3's standard chain: the task role in ECS, AWS_PROFILE or keys elsewhere; AWS_REGION is
        # set by ECS (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-environment-variables.html)
        # and AWS_ENDPOINT_URL is honoured (botocore/configprovider.py). Short timeouts and few retries so
        # a save after SIGTERM fails fast instead of outliving the stop timeout.
        self.s3 = boto3.session.Session().client(
            "s3", config=Config(connect_timeout=5, read_timeout=10, retries={"mode": "standard", "max_attempts": 3})
        )

    def key(self, step: int) -> str:
        return f"{self.prefix}step-{step:012d}.json"

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def newest_key(self) -> str | None:
        # The task role may list only under the prefix (ftcluster's checkpoint policy, s3:prefix condition),
        # which is exactly what this asks for.
        newest = None
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", []):
                if KEY_PATTERN.fullmatch(item["Key"][len(self.prefix) :]):
                    newest = item["Key"]  # keys come in ascending order; the last match wins
        return newest

    def load(self, key: str) -> State:
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        try:
            state = State.from_json(json.loads(body))
        except (ValueError, KeyError, TypeError) as err:
            raise StorageError(f"{self.uri(key)} is not a checkpoint this trainer can resume from: {err}") from err
        if self.key(state.step) != key:
            raise StorageError(f"{self.uri(key)} holds step {state.step}, not the step its name says")
        return state

    def save(self, state: State) -> str:
        # PutObject is all or nothing: "Amazon S3 never adds partial objects" (PutObject API reference),
        # so a checkpoint cut off by SIGKILL is simply absent and the previous one stays the newest.
        key = self.key(state.step)
        body = json.dumps(state.to_json()).encode()
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")
        return key


# --- the run -------------------------------------------------------------------------------------------------


class StopRequest:
    """Signal handler that only records the signal: the loop finishes its step, saves and exits."""

    def __init__(self) -> None:
        self.signal_name: str | None = None

    def __call__(self, signum: int, frame: object) -> None:
        if self.signal_name is None:
            self.signal_name = signal.Signals(signum).name

    def install(self) -> None:
        # ECS sends SIGTERM (Spot notice, scale-in, deployment), SIGKILL after the stop timeout; torchrun
        # forwards SIGTERM to its workers and kills them 30 s later (torch/distributed/elastic/
        # multiprocessing/api.py, PContext.close(timeout=30)). SIGINT: Ctrl-C when run by hand.
        signal.signal(signal.SIGTERM, self)
        signal.signal(signal.SIGINT, self)


def say(text: str) -> None:
    print(text, flush=True)  # container logs and whoever reads the pipe see each line at once


def run(settings: Settings, stop: StopRequest) -> int:
    store = CheckpointStore(settings)
    writer = settings.rank == 0
    newest = store.newest_key()
    if newest is None:
        state = State.fresh()
        say(f"starting fresh: no checkpoint under {settings.uri}")
    else:
        state = store.load(newest)
        say(f"resumed from step {state.step}")
        say(f"checkpoint: {store.uri(newest)}")
    if not writer:
        say(f"rank {settings.rank}: rank 0 writes the checkpoints")
    saved_step = state.step

    def save() -> None:
        nonlocal saved_step
        if writer and state.step != saved_step:
            key = store.save(state)
            saved_step = state.step
            say(f"step {state.step}/{settings.total_steps} loss {state.loss:.6f} saved {store.uri(key)}")

    while state.step < settings.total_steps and stop.signal_name is None:
        train_step(state, settings.seconds_per_step)
        if state.step % settings.checkpoint_every == 0 or state.step == settings.total_steps:
            save()
    if stop.signal_name is not None and state.step < settings.total_steps:
        save()
        say(f"{stop.signal_name}: stopped after step {state.step}; resume picks up from step {saved_step}")
        return 0
    say(f"done: {state.step} steps, w={state.w:.4f} b={state.b:.4f}")
    return 0


def main() -> int:
    stop = StopRequest()
    stop.install()
    try:
        settings = read_settings(dict(os.environ))
    except ConfigError as err:
        for problem in err.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return run(settings, stop)
    except (StorageError, BotoCoreError, ClientError) as err:
        print(f"error: checkpoints at {settings.uri}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
