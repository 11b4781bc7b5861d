"""--help, validate, schema and init must not pay for pulumi, pulumi_aws, boto3 (or botocore, grpc)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
HEAVY = {"pulumi", "pulumi_aws", "boto3", "botocore", "grpc"}


def imported_top_level_modules(*args: str, cwd: Path) -> set[str]:
    """Run `python -X importtime -m ftcluster ARGS` and return the top-level packages it imported."""
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
            name = line.rsplit("|", 1)[1].strip()
            modules.add(name.split(".")[0])
    assert "typer" in modules, "importtime output was not parsed"
    return modules


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
