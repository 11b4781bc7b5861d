"""Pulumi's file backend on disk: which layout it uses, where a stack's lock files are, whose stacks it holds.

Pure file-system logic (no pulumi import). A backend folder with `.pulumi/meta.yaml` (version 1) keeps
stacks per project; one without it that already holds stacks is in the legacy layout, with no project
in any path (pkg/backend/diy/meta.go ensurePulumiMeta, store.go legacyReferenceStore). Lock files live
in `.pulumi/locks/<fully qualified stack name>/` (lock.go stackLockDir): `organization/<project>/<stack>`,
or the bare stack name in the legacy layout.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from .settings import PROJECT

# pkg/backend/diy/store.go ListReferences: stack files, gzip- or zstd-compressed or not
STACK_FILE_SUFFIXES = (".json", ".json.gz", ".json.zst")


def backend_folder(backend_url: str) -> Path | None:
    """The folder of a file:// backend (None for any other backend)."""
    return Path(backend_url[len("file://") :]) if backend_url.startswith("file://") else None


def is_legacy_layout(root: Path, legacy_requested: bool = False) -> bool:
    """meta.go: `meta.yaml` says its version (0 is legacy); without one, stacks stored in the legacy places,
    or PULUMI_DIY_BACKEND_LEGACY_LAYOUT for a backend still empty (`legacy_requested`), mean legacy."""
    meta = root / ".pulumi"
    meta_file = meta / "meta.yaml"
    if meta_file.is_file():
        import yaml

        try:
            return (yaml.safe_load(meta_file.read_text(encoding="utf-8")) or {}).get("version") == 0
        except (OSError, yaml.YAMLError):
            return False
    stacks = meta / "stacks"
    legacy_stacks = stacks.is_dir() and any(
        p.is_file() and p.name.endswith(STACK_FILE_SUFFIXES) for p in stacks.iterdir()
    )
    return legacy_stacks or legacy_requested


def lock_folder(backend_url: str, stack: str, legacy_requested: bool = False) -> Path | None:
    """Where a file backend keeps the stack's lock files (None for other backends)."""
    root = backend_folder(backend_url)
    if root is None:
        return None
    locks = root / ".pulumi" / "locks"
    return locks / stack if is_legacy_layout(root, legacy_requested) else locks / "organization" / PROJECT / stack


def is_locked(folder: Path | None) -> bool:
    return folder is not None and folder.is_dir() and any(folder.glob("*.json"))


def legacy_stack_is_ours(root: Path, stack: str) -> bool:
    """In the legacy layout `pulumi stack ls` lists every project's stacks; a stack is ftcluster's when the
    URNs in its checkpoint name the ftcluster project (`urn:pulumi:<stack>::<project>::...`). A stack with
    no resources (or a checkpoint this cannot read) counts when its name has a region, like ours."""
    from .stacks import split_stack_name

    for suffix in (".json", ".json.gz"):
        path = root / ".pulumi" / "stacks" / f"{stack}{suffix}"
        if not path.is_file():
            continue
        try:
            raw = path.read_bytes()
            checkpoint = json.loads(gzip.decompress(raw) if suffix.endswith(".gz") else raw)
            resources = ((checkpoint.get("checkpoint") or {}).get("latest") or {}).get("resources") or []
        except (OSError, ValueError, AttributeError):
            break
        projects = {str(r.get("urn", "")).split("::")[1] for r in resources if str(r.get("urn", "")).count("::") >= 3}
        if projects:
            return PROJECT in projects
        break
    return split_stack_name(stack)[1] is not None
