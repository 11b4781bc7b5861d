"""examples/trainer/train.py with real torch, checkpoints in S3 (moto server): save on SIGTERM, resume, two ranks
under torchrun with rank 0 writing, bad checkpoints and bad configuration. (Faults under torchrun: tests/drill.)"""

from __future__ import annotations

import importlib.util
import io
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
import torch

from ftcluster.spec import load_spec

TRAINER = Path(__file__).parents[2] / "examples" / "trainer" / "train.py"
TORCHRUN = Path(sys.executable).with_name("torchrun")
BUCKET = "trainer-ckpt"
HANG_GUARD = 120  # seconds; only stops a hung trainer from hanging the suite (torch starts in several)
FAST = {
    "TRAIN_TOTAL_STEPS": "30",
    "TRAIN_CHECKPOINT_EVERY": "5",
    "TRAIN_SECONDS_PER_STEP": "0.1",
    "TRAIN_LOG_EVERY": "1",
}
NO_WAIT = {"TRAIN_SECONDS_PER_STEP": "0"}  # for runs nothing interrupts
EXIT_STOPPED = 75


def s3() -> Any:
    return boto3.client("s3", region_name="us-east-1")


def keys(prefix: str) -> list[str]:
    return [item["Key"] for item in s3().list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def checkpoint(key: str) -> dict[str, Any]:
    body = s3().get_object(Bucket=BUCKET, Key=key)["Body"].read()
    loaded: dict[str, Any] = torch.load(io.BytesIO(body), weights_only=True)
    return loaded


class Trainer:
    """train.py (or torchrun running it) in a subprocess; a thread collects its stdout lines as they come."""

    def __init__(self, prefix: str, *command: str, **env: str) -> None:
        variables = {**os.environ, **FAST, "CHECKPOINT_URI": f"s3://{BUCKET}/{prefix}", **env}
        self.process = subprocess.Popen(
            [*(command or [sys.executable]), str(TRAINER)],
            env=variables,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def lines_until(self, marker: str) -> list[str]:
        """Stdout lines up to and including the first one containing `marker`."""
        seen: list[str] = []
        while not seen or marker not in seen[-1]:
            try:
                line = self.lines.get(timeout=HANG_GUARD)
            except queue.Empty:
                line = None
            if line is None:
                self.process.kill()
                pytest.fail(f"no line with {marker!r} from the trainer; it printed {seen}")
            seen.append(line)
        return seen

    def finish(self) -> tuple[int, list[str], str]:
        """Exit code, the stdout lines not yet read, stderr."""
        assert self.process.stderr is not None
        try:
            err = self.process.stderr.read()  # torchrun's log lines: read while it runs, so it never blocks
            self.process.wait(timeout=HANG_GUARD)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        self.reader.join(timeout=HANG_GUARD)
        rest: list[str] = []
        while (line := self.lines.get_nowait()) is not None:
            rest.append(line)
        return self.process.returncode, rest, err


def last_line(stderr: str) -> str:
    """The trainer's own message: torch may warn on stderr first (no numpy in the CPU wheel's venv)."""
    return stderr.strip().splitlines()[-1]


def run(prefix: str, *command: str, **env: str) -> tuple[int, list[str], str]:
    return Trainer(prefix, *command, **env).finish()


@pytest.fixture
def bucket(aws: str) -> str:
    s3().create_bucket(Bucket=BUCKET)
    return BUCKET


def test_sigterm_saves_a_checkpoint_and_a_restart_resumes_from_it_and_ends_like_an_uninterrupted_run(
    bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    trainer = Trainer("run/")
    first = trainer.lines_until("saved step 5:")  # the first interval checkpoint
    assert first[0] == f"starting fresh at world size 1: no checkpoint under s3://{bucket}/run/"
    trainer.process.send_signal(signal.SIGTERM)
    code, rest, err = trainer.finish()
    stopped = [line for line in rest if line.startswith("rank 0: SIGTERM: stopped after step ")]
    assert code == EXIT_STOPPED and len(stopped) == 1, (rest, err)  # not 0: 0 means the job is done
    step = int(stopped[0].split()[6].rstrip(";"))
    assert 5 <= step < 30
    newest = keys("run/")[-1]
    assert newest == f"run/step-{step:012d}.pt" and checkpoint(newest)["step"] == step

    code, lines, err = run("run/", **NO_WAIT)  # the step time is not part of the state
    assert code == 0, err
    assert lines[0] == f"resumed from step {step} at world size 1: s3://{bucket}/run/step-{step:012d}.pt"
    assert lines[-1].startswith("done: 30 steps")
    assert keys("run/")[-1] == "run/step-000000000030.pt"

    # The model went through the checkpoint intact and every step's batch is the step's own: the same end
    # state as a run never stopped.
    assert run_here(monkeypatch, "straight/") == 0
    stopped_run, straight = checkpoint("run/step-000000000030.pt"), checkpoint("straight/step-000000000030.pt")
    assert all(torch.equal(stopped_run["model"][k], straight["model"][k]) for k in straight["model"])


def test_two_ranks_under_torchrun_average_their_gradients_and_only_rank_0_writes(
    bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_here(monkeypatch, "one/", TRAIN_TOTAL_STEPS="10") == 0
    torchrun = [str(TORCHRUN), "--standalone", "--nproc-per-node", "2"]
    code, lines, err = run("two/", *torchrun, TRAIN_TOTAL_STEPS="10", **NO_WAIT)
    assert code == 0, err
    assert lines[0] == f"starting fresh at world size 2: no checkpoint under s3://{bucket}/two/"
    assert keys("two/") == ["two/step-000000000005.pt", "two/step-000000000010.pt"]  # one writer, no duplicates
    # each rank trains on half of every batch and DDP averages the gradients: the steps of one process
    one, two = checkpoint("one/step-000000000010.pt")["model"], checkpoint("two/step-000000000010.pt")["model"]
    assert all(torch.allclose(one[k], two[k], atol=1e-6) for k in one)


def load_trainer(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_train", TRAINER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def run_here(monkeypatch: pytest.MonkeyPatch, prefix: str, **env: str) -> int:
    """The trainer in this process, alone (no torchrun): no second start of torch for a run nothing stops."""
    train = load_trainer(monkeypatch)
    settings = train.read_settings({**FAST, **NO_WAIT, "CHECKPOINT_URI": f"s3://{BUCKET}/{prefix}", **env})
    code: int = train.run(settings, train.StopRequest(), train.join_group({}, settings))
    return code


def test_a_stop_between_checkpoint_intervals_saves_the_step_it_finished(
    bucket: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    train = load_trainer(monkeypatch)
    stop = train.StopRequest()
    real_batch = train.batch

    def batch_then_signal(step: int, group: Any) -> Any:
        if step == 3:  # SIGTERM arrives while step 3 runs
            stop(signal.SIGTERM, None)
        return real_batch(step, group)

    monkeypatch.setattr(train, "batch", batch_then_signal)
    settings = train.read_settings({**FAST, "CHECKPOINT_URI": f"s3://{bucket}/mid/"})
    group = train.join_group({}, settings)  # no WORLD_SIZE: one process
    assert train.run(settings, stop, group) == EXIT_STOPPED
    assert keys("mid/") == ["mid/step-000000000003.pt"]  # interval is 5: only the stop saved
    assert "rank 0: SIGTERM: stopped after step 3; resume picks up from step 3" in capsys.readouterr().out


def test_only_this_runs_checkpoints_count_and_an_unreadable_newest_one_stops_the_run(
    bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_here(monkeypatch, "ranks/", TRAIN_TOTAL_STEPS="5") == 0
    # not a checkpoint of this run (a deeper folder, another name): ignored when looking for the newest
    s3().put_object(Bucket=bucket, Key="ranks/old/step-000000000099.pt", Body=b"x")
    s3().put_object(Bucket=bucket, Key="ranks/notes.txt", Body=b"hello")
    code, lines, err = run("ranks/", TRAIN_TOTAL_STEPS="7", **NO_WAIT)
    assert code == 0, err
    assert lines[0].startswith("resumed from step 5 at world size 1")
    assert lines[-1].startswith("done: 7 steps")

    # a newest checkpoint it cannot read: exit 1 naming it, rather than starting over
    s3().put_object(Bucket=bucket, Key="ranks/step-000000000009.pt", Body=b"not a checkpoint")
    before = keys("ranks/")
    code, lines, err = run("ranks/", TRAIN_TOTAL_STEPS="20", **NO_WAIT)
    assert code == 1 and lines == []
    assert last_line(err).startswith(
        f"error: s3://{bucket}/ranks/step-000000000009.pt is not a checkpoint this trainer can resume from"
    )
    assert "Traceback" not in err
    assert keys("ranks/") == before


def test_a_bucket_that_does_not_exist_is_one_clear_line(aws: str) -> None:
    code, lines, err = run("nowhere/", **NO_WAIT)
    assert code == 1 and lines == []
    assert last_line(err).startswith(f"error: checkpoint storage at s3://{BUCKET}/nowhere/: ") and "NoSuchBucket" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (None, "CHECKPOINT_URI is not set"),
        ("", "CHECKPOINT_URI is not set"),
        ("https://bucket/ckpt/", "is not s3://BUCKET/PREFIX/: it must start with s3:// (or file:/// for a local"),
        ("file://relative/ckpt/", "a file:// URI needs an absolute path"),
        ("s3://Bad_Bucket/ckpt/", "`Bad_Bucket` is not an S3 bucket name"),
        ("s3://bucket", "a key prefix ending with `/` must follow the bucket"),
        ("s3://bucket/", "a key prefix ending with `/` must follow the bucket"),
        ("s3://bucket/run1", "the key prefix must end with `/`"),
    ],
)
def test_a_missing_or_malformed_checkpoint_uri_is_refused(
    uri: str | None, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    train = load_trainer(monkeypatch)
    environ = {} if uri is None else {"CHECKPOINT_URI": uri}
    with pytest.raises(train.ConfigError) as refused:
        train.read_settings(environ)
    assert len(refused.value.problems) == 1 and message in refused.value.problems[0]


def test_every_bad_setting_is_reported_at_once_with_exit_2() -> None:
    env = {
        **os.environ,
        "CHECKPOINT_URI": "s3://bucket/ckpt/",
        "TRAIN_TOTAL_STEPS": "ten",
        "TRAIN_SECONDS_PER_STEP": "nan",
        "PROCESS_GROUP_TIMEOUT_SECONDS": "0",
    }
    result = subprocess.run([sys.executable, str(TRAINER)], env=env, capture_output=True, text=True, timeout=HANG_GUARD)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-3:] == [
        "error: TRAIN_TOTAL_STEPS='ten': expected an integer >= 1",
        "error: TRAIN_SECONDS_PER_STEP='nan': expected a number >= 0",
        "error: PROCESS_GROUP_TIMEOUT_SECONDS='0': expected a number >= 1",
    ]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_the_example_specs_validate_and_run_what_the_image_runs(tmp_path: Path) -> None:
    folder = TRAINER.parent
    blocks = re.findall(r"```yaml\n(.*?)```", (folder / "README.md").read_text(), re.S)
    assert len(blocks) == 2, "the README's spec examples moved"
    for index, block in enumerate(blocks):
        (tmp_path / f"readme-{index}.yaml").write_text(block)
    specs = [load_spec(folder / "ftcluster.yaml")] + [load_spec(tmp_path / f"readme-{i}.yaml") for i in range(2)]
    image_command = re.search(r"^CMD (.+)$", (folder / "Dockerfile").read_text(), re.M)
    assert image_command and image_command.group(1) == '["torchrun", "train.py"]'
    assert specs[0].fleet is not None and specs[0].fleet.workers is not None
    assert specs[0].fleet.workers.command is None  # the image's own: torchrun train.py
    assert specs[1].training.command == ["python", "train.py"]  # alone, without torchrun
    assert specs[2].fleet is not None and specs[2].fleet.workers is not None
    assert specs[2].fleet.workers.distributed is not None
