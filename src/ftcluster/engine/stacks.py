"""Which stack a command acts on: names from spec name + region, and the active cluster.

The active cluster lives in `<home>/active.json`; Pulumi's own current-stack selection is never
read or used (ftcluster always names its stack explicitly).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..home import ftcluster_home
from ..spec import Spec, load_spec

ACTIVE_FILE = "active.json"
_REGION_SUFFIX = re.compile(r"-([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+)$")


def stack_name(spec: Spec) -> str:
    """One stack per cluster and region, e.g. `llm-pretrain-us-east-1`."""
    return f"{spec.name}-{spec.region}"


def split_stack_name(stack: str) -> tuple[str, str | None]:
    """(cluster name, region) from a stack name; region None when the name carries none."""
    match = _REGION_SUFFIX.search(stack)
    if not match:
        return stack, None
    return stack[: match.start()], match.group(1)


@dataclass(frozen=True)
class Target:
    """A cluster a command acts on. `spec` is set when it came from a spec file."""

    stack: str
    name: str
    region: str | None
    backend: str | None  # explicit backend URL (spec.state.backend or remembered), else the default chain
    spec: Spec | None = None
    spec_path: Path | None = None


def target_from_spec(spec_path: Path) -> Target:
    spec = load_spec(spec_path)  # SpecError (exit 2) before anything else happens
    return Target(stack_name(spec), spec.name, spec.region, spec.state.backend, spec, spec_path)


def check_one_target(spec_path: Path | None, cluster: str | None) -> None:
    """A command names its cluster by SPEC or by --cluster (or neither: the active one), never both."""
    if spec_path is not None and cluster:
        raise UsageError("give a SPEC or --cluster, not both")


def resolve_target(spec_path: Path | None, cluster: str | None, environ: Mapping[str, str]) -> Target:
    """SPEC, else --cluster NAME (a stack name or a cluster name), else the active cluster."""
    check_one_target(spec_path, cluster)
    if spec_path is not None:
        return target_from_spec(spec_path)
    active = read_active(ftcluster_home(environ))
    if cluster is not None:
        if active and cluster in (active["stack"], active["name"]):
            return _from_active(active)
        name, region = split_stack_name(cluster)
        return Target(cluster if region else "", name, region, None)  # "" = look it up in the backend
    if active:
        return _from_active(active)
    raise UsageError(
        "no cluster given and no active cluster",
        hint="pass a SPEC or --cluster NAME, or pick one with `ftcluster use NAME|SPEC` (see `ftcluster list`)",
    )


def _from_active(active: Mapping[str, str]) -> Target:
    spec_path = Path(active["spec"]) if active.get("spec") else None
    return Target(active["stack"], active["name"], active.get("region"), active.get("backend"), None, spec_path)


def read_active(home: Path) -> dict[str, str] | None:
    path = home / ACTIVE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # a damaged file is as good as none; the next `up`/`use` rewrites it
    return data if isinstance(data, dict) and data.get("stack") and data.get("name") else None


def write_active(home: Path, target: Target, backend_url: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    data = {
        "stack": target.stack,
        "name": target.name,
        "region": target.region,
        "backend": backend_url,
        "spec": str(target.spec_path.resolve()) if target.spec_path else None,
    }
    temporary = home / f".{ACTIVE_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, home / ACTIVE_FILE)


def clear_active(home: Path, stack: str) -> bool:
    """Forget the active cluster if it is `stack`; True when it was."""
    active = read_active(home)
    if active and active["stack"] == stack:
        (home / ACTIVE_FILE).unlink(missing_ok=True)
        return True
    return False
