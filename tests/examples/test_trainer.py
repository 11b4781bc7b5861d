"""examples/trainer/train.py against moto server: save on SIGTERM, resume, rank 0 writes, bad configuration."""

from __future__ import annotations

import importlib.util
import json
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

from ftcluster.spec import load_spec

TRAINER = Path(__file__).parents[2] / "examples" / "trainer" / "train.py"
BUCKET = "trainer-ckpt"
HANG_GUARD = 60  # seconds; only stops a hung trainer from hanging the suite
FAST = {"TRAIN_TOTAL_STEPS": "30", "TRAIN_CHECKPOINT_EVERY": "5", "TRAIN_SECONDS_PER_STEP": "0.03"}
NO_WAIT = {"TRAIN_SECONDS_PER_STEP": "0"}  # for runs nothing interrupts


def s3() -> Any:
    return boto3.client("s3", region_name="us-east-1")


def keys(prefix: str) -> list[str]:
    return [item["Key"] for item in s3().list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def checkpoint(key: str) -> dict[str, Any]:
    return json.loads(s3().get_object(Bucket=BUCKET, Key=key)["Body"].read())


class Trainer:
    """train.py in a subprocess; a thread collects its stdout lines as they come (it flushes each one)."""

    def __init__(self, prefix: str, **env: str) -> None:
        variables = {**os.environ, **FAST, "CHECKPOINT_URI": f"s3://{BUCKET}/{prefix}", **env}
        self.process = subprocess.Popen(
            [sys.executable, str(TRAINER)], env=variables, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
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
        try:
            self.process.wait(timeout=HANG_GUARD)  # stderr stays small: a few lines at most
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        err = self.process.stderr.read()
        self.reader.join(timeout=HANG_GUARD)
        rest: list[str] = []
        while (line := self.lines.get_nowait()) is not None:
            rest.append(line)
        return self.process.returncode, rest, err


def run(prefix: str, **env: str) -> tuple[int, list[str], str]:
    return Trainer(prefix, **env).finish()


@pytest.fixture
def bucket(aws: str) -> str:
    s3().create_bucket(Bucket=BUCKET)
    return BUCKET


def test_sigterm_saves_a_checkpoint_and_a_restart_resumes_from_it_and_ends_like_an_uninterrupted_run(
    bucket: str,
) -> None:
    trainer = Trainer("run/", TRAIN_SECONDS_PER_STEP="0.1")  # 2.5 s between the first save and the end
    first = trainer.lines_until(" saved s3://")  # the first interval checkpoint, step 5
    assert first[0] == f"starting fresh: no checkpoint under s3://{bucket}/run/"
    trainer.process.send_signal(signal.SIGTERM)
    code, rest, err = trainer.finish()
    stopped = [line for line in rest if line.startswith("SIGTERM: stopped after step ")]
    assert code == 0 and len(stopped) == 1, (rest, err)
    step = int(stopped[0].split()[4].rstrip(";"))
    assert 5 <= step < 30
    newest = keys("run/")[-1]
    assert newest == f"run/step-{step:012d}.json" and checkpoint(newest)["step"] == step

    code, lines, err = run("run/", **NO_WAIT)  # the step time is not part of the state
    assert code == 0, err
    assert lines[0] == f"resumed from step {step}"
    assert lines[-1].startswith("done: 30 steps")
    assert keys("run/")[-1] == "run/step-000000000030.json"

    # Model and RNG state went through the checkpoint intact: the same end state as a run never stopped.
    code, _, err = run("straight/", **NO_WAIT)
    assert code == 0, err
    assert checkpoint("run/step-000000000030.json") == checkpoint("straight/step-000000000030.json")


def load_trainer(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_train", TRAINER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_stop_between_checkpoint_intervals_saves_the_step_it_finished(
    bucket: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    train = load_trainer(monkeypatch)
    stop = train.StopRequest()
    real_step = train.train_step

    def step_then_signal(state: Any, seconds: float) -> None:
        if state.step == 2:  # SIGTERM arrives while step 3 runs
            stop(signal.SIGTERM, None)
        real_step(state, seconds)

    monkeypatch.setattr(train, "train_step", step_then_signal)
    settings = train.read_settings({**FAST, "CHECKPOINT_URI": f"s3://{bucket}/mid/"})
    assert train.run(settings, stop) == 0
    assert keys("mid/") == ["mid/step-000000000003.json"]  # interval is 5: only the stop saved
    assert "SIGTERM: stopped after step 3; resume picks up from step 3" in capsys.readouterr().out


def test_only_rank_0_writes_and_every_rank_resumes_from_the_newest_checkpoint(bucket: str) -> None:
    code, _, err = run("ranks/", TRAIN_TOTAL_STEPS="5", **NO_WAIT)
    assert code == 0, err
    # not a checkpoint of this run (a deeper folder, another name): ignored when looking for the newest
    s3().put_object(Bucket=bucket, Key="ranks/old/step-000000000099.json", Body=b"{}")
    s3().put_object(Bucket=bucket, Key="ranks/notes.txt", Body=b"hello")
    before = keys("ranks/")

    code, lines, err = run("ranks/", RANK="1", TRAIN_TOTAL_STEPS="12", **NO_WAIT)
    assert code == 0, err
    assert lines[0] == "resumed from step 5" and lines[-1].startswith("done: 12 steps")
    assert keys("ranks/") == before


def test_an_unreadable_newest_checkpoint_stops_the_run_instead_of_starting_over(bucket: str) -> None:
    code, _, err = run("bad/", TRAIN_TOTAL_STEPS="5", **NO_WAIT)
    assert code == 0, err
    s3().put_object(Bucket=bucket, Key="bad/step-000000000009.json", Body=b"not json")
    code, lines, err = run("bad/", TRAIN_TOTAL_STEPS="20", **NO_WAIT)
    assert code == 1 and lines == []
    assert err.startswith(f"error: checkpoints at s3://{bucket}/bad/: s3://{bucket}/bad/step-000000000009.json")
    assert "Traceback" not in err
    assert keys("bad/") == ["bad/step-000000000005.json", "bad/step-000000000009.json"]


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (None, "error: CHECKPOINT_URI is not set"),
        ("", "error: CHECKPOINT_URI is not set"),
        ("https://bucket/ckpt/", "is not s3://BUCKET/PREFIX/: it must start with s3://"),
        ("s3://Bad_Bucket/ckpt/", "`Bad_Bucket` is not an S3 bucket name"),
        ("s3://bucket", "a key prefix ending with `/` must follow the bucket"),
        ("s3://bucket/", "a key prefix ending with `/` must follow the bucket"),
        ("s3://bucket/run1", "the key prefix must end with `/`"),
    ],
)
def test_a_missing_or_malformed_checkpoint_uri_exits_2_with_a_clear_message(uri: str | None, message: str) -> None:
    env = {name: value for name, value in os.environ.items() if name != "CHECKPOINT_URI"}
    if uri is not None:
        env["CHECKPOINT_URI"] = uri
    result = subprocess.run([sys.executable, str(TRAINER)], env=env, capture_output=True, text=True, timeout=HANG_GUARD)
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.startswith("error: CHECKPOINT_URI")
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_every_bad_setting_is_reported_at_once() -> None:
    env = {
        **os.environ,
        "CHECKPOINT_URI": "s3://bucket/ckpt/",
        "TRAIN_TOTAL_STEPS": "ten",
        "TRAIN_SECONDS_PER_STEP": "nan",
        "RANK": "-1",
    }
    result = subprocess.run([sys.executable, str(TRAINER)], env=env, capture_output=True, text=True, timeout=HANG_GUARD)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: TRAIN_TOTAL_STEPS='ten': expected an integer >= 1",
        "error: TRAIN_SECONDS_PER_STEP='nan': expected a number >= 0",
        "error: RANK='-1': expected an integer >= 0",
    ]


def test_the_example_specs_validate_and_run_what_the_image_runs(tmp_path: Path) -> None:
    folder = TRAINER.parent
    blocks = re.findall(r"```yaml\n(.*?)```", (folder / "README.md").read_text(), re.S)
    assert len(blocks) == 2, "the README's spec examples moved"
    for index, block in enumerate(blocks):
        (tmp_path / f"readme-{index}.yaml").write_text(block)
    specs = [load_spec(folder / "ftcluster.yaml")] + [load_spec(tmp_path / f"readme-{i}.yaml") for i in range(2)]
    image_command = json.loads(re.search(r"^CMD (.+)$", (folder / "Dockerfile").read_text(), re.M).group(1))
    assert specs[0].training.command == specs[1].training.command == image_command == ["python", "train.py"]
    assert specs[2].fleet.workers.command == ["torchrun", "train.py"]
