"""Helpers for tests that run Pulumi through the stand-in: environment, and a look at its state files."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BIN = Path(__file__).parent / "bin"
PROJECT = "ftcluster"

# Variables from the developer's shell that would change what the tests see.
SCRUBBED = (
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_CONFIG_PASSPHRASE_FILE",
    "PULUMI_ACCESS_TOKEN",
    "PULUMI_STACK",
    "PULUMI_STANDIN_FAIL",
    "PULUMI_STANDIN_HANG",
    "PULUMI_STANDIN_HANG_UNTIL",
    "PULUMI_STANDIN_READY_FILE",
    "PULUMI_STANDIN_VERSION",
    "PULUMI_STANDIN_AWS",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "FTCLUSTER_DEBUG",
)


def ensure_executable() -> None:
    wrapper = BIN / "pulumi"
    if not os.access(wrapper, os.X_OK):  # a checkout that lost the mode bit
        wrapper.chmod(0o755)


def standin_env(
    root: Path, moto_url: str | None, *, with_pulumi: bool = True, emulate_aws: bool = False
) -> dict[str, str | None]:
    """A complete, isolated environment: ftcluster home, user home and Pulumi home under `root`.

    Values of None remove the variable (CliRunner's convention); pass the dict to CliRunner.invoke
    or, without the None entries, to subprocess. `emulate_aws`: the stand-in's AWS provider carries out
    its steps in the emulator its endpoints point at (AWS_ENDPOINT_URL here, or the spec's endpoint_url),
    as the real provider would; else it answers canned (PULUMI_STANDIN_AWS=canned), which is what tests
    of engine flows use (several of their example specs name VPCs that exist nowhere).
    """
    ensure_executable()
    for folder in ("home", "user", "user/.pulumi"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    path = os.environ.get("PATH", os.defpath)
    env: dict[str, str | None] = dict.fromkeys(SCRUBBED)
    env.update(
        {
            "FTCLUSTER_HOME": str(root / "home"),
            "HOME": str(root / "user"),
            "PULUMI_HOME": str(root / "user" / ".pulumi"),  # the user's own Pulumi home
            "PATH": f"{BIN}{os.pathsep}{path}" if with_pulumi else _path_without_pulumi(path),
            "PULUMI_STANDIN_PYTHON": sys.executable,
            "PULUMI_STANDIN_LOG": str(root / "standin-calls.jsonl"),
            "PULUMI_STANDIN_DOWNLOADS": str(root / "standin-downloads.txt"),
            "COLUMNS": "200",
            "PULUMI_STANDIN_AWS": None if emulate_aws else "canned",
        }
    )
    if moto_url is not None:
        env.update(
            {
                "AWS_ENDPOINT_URL": moto_url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        )
    return env


def _path_without_pulumi(path: str) -> str:
    return os.pathsep.join(p for p in path.split(os.pathsep) if p and not (Path(p) / "pulumi").exists())


def process_env(env: dict[str, str | None]) -> dict[str, str]:
    merged = {k: v for k, v in os.environ.items() if k not in env}
    merged.update({k: v for k, v in env.items() if v is not None})
    return merged


@dataclass
class StandinState:
    """What the stand-in recorded under one environment's ftcluster home (default file backend)."""

    root: Path

    @property
    def backend(self) -> Path:
        return self.root / "home" / "state" / ".pulumi"

    def checkpoint(self, stack: str) -> dict[str, Any]:
        return json.loads((self.backend / "stacks" / PROJECT / f"{stack}.json").read_text())

    def has_stack(self, stack: str) -> bool:
        return (self.backend / "stacks" / PROJECT / f"{stack}.json").exists()

    def resources(self, stack: str) -> dict[str, dict[str, Any]]:
        """Logical name -> resource (our programs use unique logical names)."""
        return {r["urn"].split("::")[-1]: r for r in self.checkpoint(stack)["checkpoint"]["latest"]["resources"]}

    def cloud(self) -> dict[str, Any]:
        path = self.backend / "standin" / "cloud.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def history(self, stack: str) -> list[dict[str, Any]]:
        folder = self.backend / "history" / PROJECT / stack
        return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"), reverse=True)]

    def locks(self, stack: str) -> list[Path]:
        return sorted((self.backend / "locks" / "organization" / PROJECT / stack).glob("*.json"))

    def calls(self) -> list[dict[str, Any]]:
        log = self.root / "standin-calls.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def commands(self) -> list[str]:
        """The subcommand of each call, e.g. "up", "preview", "stack select"."""
        from pulumi_standin.cli import parse

        names = []
        for call in self.calls():
            words = parse([a for a in call["argv"] if a != "--non-interactive"])[0]
            names.append(" ".join(words[:2]) if words[:1] in (["stack"], ["config"], ["plugin"]) else words[0])
        return names

    def unsupported(self) -> list[list[str]]:
        return [call["argv"] for call in self.calls() if not call["supported"]]

    def downloads(self) -> list[str]:
        path = self.root / "standin-downloads.txt"
        return path.read_text().splitlines() if path.exists() else []
