"""A PyTorch DDP trainer that survives Spot interruptions under torchrun (or alone): it checkpoints to
CHECKPOINT_URI every K steps and on SIGTERM, resumes from the newest checkpoint, and exits 0 only when done.

It fits y = 3x + 2 with one linear layer: gloo on CPU, NCCL where CUDA is. Under torchrun each rank trains
on its share of every batch and DistributedDataParallel averages the gradients.

Exit codes: 0 done; 75 stopped early with a checkpoint saved (a stop signal here or on another rank);
1 storage failed, a checkpoint is unreadable, or a collective failed (a peer was lost or went silent);
2 bad configuration.
"""

from __future__ import annotations

import io
import math
import os
import re
import signal
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

CHECKPOINT_FORMAT = "ftcluster-example-trainer/2"
# Zero-padded so that S3's lexicographic key order (ListObjectsV2: "returns objects in lexicographical
# order based on their key names", botocore/data/s3/2006-03-01/service-2.json) is step order.
KEY_PATTERN = re.compile(r"step-(\d{12})\.pt")
# General purpose bucket names: 3-63 lowercase letters, digits, dots and hyphens, a letter or digit
# at each end (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
BUCKET_PATTERN = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
LEARNING_RATE = 0.1
GLOBAL_BATCH = 24  # samples per step, split between the ranks
SEED = 0
EXIT_STOPPED = 75  # EX_TEMPFAIL (sysexits.h): not done, start me again; never 0, which means done


class ConfigError(Exception):
    """Bad environment: every problem at once, exit 2."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class StorageError(Exception):
    """S3 or the folder refused, or a checkpoint in it is unreadable: exit 1."""


@dataclass(frozen=True)
class Settings:
    uri: str  # s3://BUCKET/PREFIX/ or file:///FOLDER/
    total_steps: int
    checkpoint_every: int
    seconds_per_step: float
    seconds_per_save: float
    log_every: int
    # ftcluster sets PROCESS_GROUP_TIMEOUT_SECONDS for an elastic job; None: torch's default (30 min for
    # gloo, 10 for NCCL: torch/distributed/constants.py), which is how long a silent peer blocks the rest
    process_group_timeout: float | None


def checkpoint_uri_problem(uri: str) -> str | None:
    """Why `uri` is not s3://BUCKET/PREFIX/ (what ftcluster gives every container) or file:///FOLDER/."""
    if uri.startswith("file://"):
        return None if uri.startswith("file:///") else "a file:// URI needs an absolute path: file:///FOLDER/"
    if not uri.startswith("s3://"):
        return "it must start with s3:// (or file:/// for a local folder)"
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
    step_seconds = _number(environ, "TRAIN_SECONDS_PER_STEP", "0.5", float, 0, problems)
    save_seconds = _number(environ, "TRAIN_SECONDS_PER_SAVE", "0", float, 0, problems)
    log_every = _number(environ, "TRAIN_LOG_EVERY", "10", int, 1, problems)
    timeout = None
    if "PROCESS_GROUP_TIMEOUT_SECONDS" in environ:
        timeout = _number(environ, "PROCESS_GROUP_TIMEOUT_SECONDS", "", float, 1, problems)
    if problems:
        raise ConfigError(problems)
    assert uri is not None
    return Settings(uri, total, every, step_seconds, save_seconds, log_every, timeout)


# --- checkpoints: one object (or file) per step -------------------------------------------------------------


class CheckpointStore:
    """`<prefix>step-<12 digits>.pt`; the newest is the last name in S3's (or sorted) listing order."""

    def __init__(self, settings: Settings) -> None:
        self.uri, self.seconds_per_save = settings.uri, settings.seconds_per_save

    def name(self, step: int) -> str:
        return f"step-{step:012d}.pt"

    def where(self, step: int) -> str:
        return self.uri + self.name(step)

    def newest_step(self) -> int | None:
        steps = [int(m.group(1)) for name in self._names() if (m := KEY_PATTERN.fullmatch(name))]
        return max(steps, default=None)

    def load(self, step: int) -> dict[str, Any]:
        body = self._read(self.name(step))
        try:
            data = torch.load(io.BytesIO(body), weights_only=True)
            if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT or data.get("step") != step:
                raise ValueError(f"not a {CHECKPOINT_FORMAT} checkpoint of step {step}")
        except Exception as err:
            reason = (str(err).strip().splitlines() or [type(err).__name__])[0]  # torch's own text runs to pages
            raise StorageError(
                f"{self.where(step)} is not a checkpoint this trainer can resume from: {reason}"
            ) from err
        return data

    def save(self, step: int, data: dict[str, Any]) -> str:
        buffer = io.BytesIO()
        torch.save(data, buffer)
        time.sleep(self.seconds_per_save)  # stands in for uploading a large checkpoint
        self._write(self.name(step), buffer.getvalue())
        return self.where(step)

    def _names(self) -> list[str]:
        raise NotImplementedError

    def _read(self, name: str) -> bytes:
        raise NotImplementedError

    def _write(self, name: str, body: bytes) -> None:
        raise NotImplementedError


class S3Checkpoints(CheckpointStore):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        import boto3
        from botocore.config import Config

        self.bucket, _, self.prefix = settings.uri[len("s3://") :].partition("/")
        # boto3's standard chain: the task role in ECS, AWS_PROFILE or keys elsewhere; AWS_REGION is set by
        # ECS and AWS_ENDPOINT_URL is honoured (botocore/configprovider.py). Short timeouts and few retries so
        # a save after SIGTERM fails fast instead of outliving the stop timeout.
        self.s3 = boto3.session.Session().client(
            "s3", config=Config(connect_timeout=5, read_timeout=10, retries={"mode": "standard", "max_attempts": 3})
        )

    def _names(self) -> list[str]:
        # The task role may list only under the prefix (ftcluster's checkpoint policy), which is what this asks.
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        return [item["Key"][len(self.prefix) :] for page in pages for item in page.get("Contents", [])]

    def _read(self, name: str) -> bytes:
        body: bytes = self.s3.get_object(Bucket=self.bucket, Key=self.prefix + name)["Body"].read()
        return body

    def _write(self, name: str, body: bytes) -> None:
        # PutObject is all or nothing: "Amazon S3 never adds partial objects" (PutObject API reference), so a
        # save cut off by SIGKILL leaves no object and the previous checkpoint stays the newest.
        self.s3.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=body)


class FolderCheckpoints(CheckpointStore):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.folder = Path(settings.uri[len("file://") :])
        self.folder.mkdir(parents=True, exist_ok=True)

    def _names(self) -> list[str]:
        return sorted(path.name for path in self.folder.iterdir())

    def _read(self, name: str) -> bytes:
        return (self.folder / name).read_bytes()

    def _write(self, name: str, body: bytes) -> None:
        partial = self.folder / f".{name}.partial"
        partial.write_bytes(body)
        partial.replace(self.folder / name)  # atomic, like a PutObject


def checkpoint_store(settings: Settings) -> CheckpointStore:
    return (FolderCheckpoints if settings.uri.startswith("file://") else S3Checkpoints)(settings)


# --- the run -------------------------------------------------------------------------------------------------


class StopRequest:
    """Signal handler that only records the signal: the ranks agree on a step, save and exit."""

    def __init__(self) -> None:
        self.signal_name: str | None = None

    def __call__(self, signum: int, frame: object) -> None:
        if self.signal_name is None:
            self.signal_name = signal.Signals(signum).name

    def install(self) -> None:
        # ECS sends SIGTERM to torchrun (Spot notice, scale-in, deployment), which sends it on to its workers
        # and kills them TORCH_ELASTIC_SHUTDOWN_TIMEOUT seconds later (torch/distributed/launcher/api.py); it
        # also sends SIGTERM when it restarts the group for a new node. SIGINT: Ctrl-C when run by hand.
        signal.signal(signal.SIGTERM, self)
        signal.signal(signal.SIGINT, self)


def say(text: str) -> None:
    print(text, flush=True)  # container logs and whoever reads the pipe see each line at once


@dataclass
class Group:
    """This process's place in the job: torchrun sets RANK, WORLD_SIZE and LOCAL_RANK (torch/distributed/run.py)."""

    rank: int
    world: int
    device: torch.device
    distributed: bool

    def agree_to_stop(self, here: bool) -> bool:
        """True on every rank as soon as one of them was asked to stop: all stop after the same step."""
        if not self.distributed:
            return here
        flag = torch.tensor([1.0 if here else 0.0], device=self.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item() > 0)

    def newest_step(self, store: CheckpointStore) -> int | None:
        """Rank 0 picks the checkpoint and tells the others, so every rank resumes from the same one."""
        step = store.newest_step() if self.rank == 0 else None
        if not self.distributed:
            return step
        chosen = torch.tensor([-1 if step is None else step], dtype=torch.int64, device=self.device)
        dist.broadcast(chosen, src=0)
        return None if chosen.item() < 0 else int(chosen.item())

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()


def join_group(environ: dict[str, str], settings: Settings) -> Group:
    if "WORLD_SIZE" not in environ:
        return Group(0, 1, torch.device("cpu"), distributed=False)
    cuda = torch.cuda.is_available()
    device = torch.device("cuda", int(environ.get("LOCAL_RANK", "0"))) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    options: dict[str, Any] = {}
    if settings.process_group_timeout is not None:
        options["timeout"] = timedelta(seconds=settings.process_group_timeout)
    # MASTER_ADDR/MASTER_PORT, RANK and WORLD_SIZE come from torchrun (the env:// method)
    dist.init_process_group("nccl" if cuda else "gloo", **options)
    return Group(dist.get_rank(), dist.get_world_size(), device, distributed=True)


def batch(step: int, group: Group) -> tuple[torch.Tensor, torch.Tensor]:
    """This rank's share of step `step`'s batch: the same samples whatever restarts came before."""
    generator = torch.Generator().manual_seed(SEED * 1_000_003 + step)
    x = torch.rand(GLOBAL_BATCH, 1, generator=generator) * 2 - 1
    y = 3 * x + 2 + 0.1 * torch.randn(GLOBAL_BATCH, 1, generator=generator)
    return x[group.rank :: group.world].to(group.device), y[group.rank :: group.world].to(group.device)


def sgd_step(model: torch.nn.Module) -> None:
    """Plain SGD by hand: a model with an optimizer's state would save `optimizer.state_dict()` too.
    (torch.optim's first use imports torch._dynamo, seconds of start-up on every restart.)"""
    with torch.no_grad():
        for parameter in model.parameters():
            assert parameter.grad is not None
            parameter -= LEARNING_RATE * parameter.grad


def run(settings: Settings, stop: StopRequest, group: Group) -> int:
    store = checkpoint_store(settings)
    torch.manual_seed(SEED)
    model = torch.nn.Linear(1, 1).to(group.device)
    step = group.newest_step(store)
    if step is None:
        step = 0
        if group.rank == 0:
            say(f"starting fresh at world size {group.world}: no checkpoint under {settings.uri}")
    else:
        saved = store.load(step)
        model.load_state_dict(saved["model"])
        if group.rank == 0:
            say(f"resumed from step {step} at world size {group.world}: {store.where(step)}")
    # Constructing DDP broadcasts rank 0's parameters; every rank loaded the same checkpoint anyway.
    trained = DistributedDataParallel(model) if group.distributed else model
    saved_step = step

    def save() -> None:
        nonlocal saved_step
        if step != saved_step and group.rank == 0:
            data = {"format": CHECKPOINT_FORMAT, "step": step, "model": model.state_dict()}
            say(f"saved step {step}: {store.save(step, data)}")
        saved_step = step
        group.barrier()  # no rank leaves before the checkpoint exists

    while step < settings.total_steps:
        x, y = batch(step + 1, group)
        loss = torch.nn.functional.mse_loss(trained(x), y)
        model.zero_grad()
        loss.backward()  # DDP all-reduces the gradients here
        sgd_step(model)
        time.sleep(settings.seconds_per_step)  # stands in for the GPU's work
        step += 1
        stopping = group.agree_to_stop(stop.signal_name is not None)
        if group.rank == 0 and (step % settings.log_every == 0 or stopping):
            say(f"step {step} world {group.world} loss {loss.item():.6f}")
        if stopping or step % settings.checkpoint_every == 0 or step == settings.total_steps:
            save()
        if stopping and step < settings.total_steps:
            why = stop.signal_name or "a stop signal on another rank"
            say(f"rank {group.rank}: {why}: stopped after step {step}; resume picks up from step {saved_step}")
            return EXIT_STOPPED
    if group.rank == 0:
        weight, bias = model.weight.item(), model.bias.item()
        say(f"done: {step} steps, w={weight:.4f} b={bias:.4f}")
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
    group = None
    try:
        group = join_group(dict(os.environ), settings)
        return run(settings, stop, group)
    except StorageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except RuntimeError as err:  # gloo and NCCL report a lost or silent peer as RuntimeError (or DistError)
        if group is None or not group.distributed:
            raise
        print(f"rank {group.rank}: a collective failed (a peer was lost or is silent): {err}", file=sys.stderr)
        return 1
    except Exception as err:
        if type(err).__module__.startswith(("botocore", "boto3")):
            print(f"error: checkpoint storage at {settings.uri}: {err}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    code = main()
    # The checkpoint is saved and every rank is past the barrier: nothing is left to clean up, and the
    # interpreter's teardown of torch takes seconds, which torchrun waits for before it restarts the group.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
