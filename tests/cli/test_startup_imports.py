"""--help, validate, schema and init must not pay for pulumi, pulumi_aws, boto3 (or botocore, grpc); --help
not even for pydantic, yaml or the engine (bench/startup.py shows the time this keeps)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
HEAVY = {"pulumi", "pulumi_aws", "boto3", "botocore", "grpc"}


def imported_modules(*args: str, cwd: Path) -> set[str]:
    """Run `python -X importtime -m ftcluster ARGS` and return the (dotted) modules it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ftcluster", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    modules = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            modules.add(line.rsplit("|", 1)[1].strip())
    assert "typer" in modules, "importtime output was not parsed"
    return modules


def imported_top_level_modules(*args: str, cwd: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(*args, cwd=cwd)}


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["validate", str(ROOT / "configs" / "us-east-1.yaml")],
        ["validate", str(ROOT / "configs" / "eu-west-1.yaml"), "--json"],
        ["schema"],
        ["init", "starter.yaml", "--region", "eu-west-1"],
    ],
    ids=["help", "validate", "validate-json", "schema", "init"],
)
def test_light_commands_do_not_import_cloud_sdks(args: list[str], tmp_path: Path) -> None:
    heavy = imported_top_level_modules(*args, cwd=tmp_path) & HEAVY
    assert not heavy, f"`ftcluster {' '.join(args)}` imported {sorted(heavy)}"


def test_help_imports_neither_pydantic_yaml_nor_the_engine(tmp_path: Path) -> None:
    modules = imported_modules("--help", cwd=tmp_path)
    assert "ftcluster.cli" in modules, "the command line was not imported"
    slow = sorted(
        name
        for name in modules
        if name in ("pydantic", "yaml") or name.startswith(("ftcluster.engine", "ftcluster.spec"))
    )
    assert not slow, f"`ftcluster --help` imported {slow}"
