"""Read-only views of deployed clusters: outputs of one (the `status` contract) and the list of all."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import NotDeployed, RecordedSpecUnreadable
from ..home import ftcluster_home
from ..spec import Spec
from .diy import backend_folder, is_legacy_layout, is_locked, legacy_stack_is_ours, lock_folder
from .operations import applied_spec, overrides_in_force
from .operations import outputs as stack_outputs
from .scale import scale_view
from .session import Session, open_session, open_stack
from .settings import EngineSettings
from .stacks import Target, read_active, resolve_target, split_stack_name


@dataclass(frozen=True)
class ClusterOutputs:
    """A deployed cluster as the state backend knows it."""

    name: str
    region: str
    stack: str
    backend: str
    outputs: dict[str, Any]  # the stack outputs, plain values
    scale: dict[str, dict[str, int | None]]  # {"tasks": {"spec": 2, "effective": 5}, ...}
    overrides: dict[str, int] = field(default_factory=dict)  # set by `ftcluster scale`, in force
    spec: Spec | None = None  # the spec given, else the one recorded by the last `up`

    def to_dict(self) -> dict[str, Any]:
        return {
            "cluster": self.name,
            "region": self.region,
            "stack": self.stack,
            "backend": self.backend,
            "scale": self.scale,
            "overrides": self.overrides,
            "outputs": self.outputs,
        }


def _quiet(_: str) -> None:
    """Read-only views say nothing about the home folder (the first `up` already told the user)."""


def cluster_outputs(
    spec_path: Path | None, cluster: str | None, environ: Mapping[str, str], notify: Callable[[str], None] = _quiet
) -> ClusterOutputs:
    """Outputs and spec-vs-effective scale of the cluster named by SPEC, --cluster or the active one."""
    target = resolve_target(spec_path, cluster, environ)
    session = open_stack(target, environ, engine=False, notify=notify)
    values = stack_outputs(session)
    if not values and not session.deployment().get("resources"):
        raise NotDeployed(cluster=session.label, stack=session.stack_name, operation="outputs")
    target = session.target
    spec = target.spec or _recorded(session, notify)
    return ClusterOutputs(
        name=target.name,
        region=target.region or str(values.get("region") or ""),
        stack=target.stack,
        backend=session.settings.backend_url,
        outputs=values,
        scale=scale_view(spec, values),
        overrides=overrides_in_force(session).items(),
        spec=spec,
    )


def _recorded(session: Session, notify: Callable[[str], None]) -> Spec | None:
    """A read-only view does without the applied spec when it cannot be read, and says so."""
    try:
        return applied_spec(session)
    except RecordedSpecUnreadable as err:
        notify(
            f"the spec the last `up` of {session.label} recorded cannot be read ({err.reason}); "
            "the spec's own scale values are not shown (`ftcluster up`, `scale` and `destroy` say how to fix it)"
        )
        return None


@dataclass(frozen=True)
class ClusterSummary:
    stack: str
    name: str
    region: str | None
    last_update: datetime | None
    resource_count: int | None
    update_in_progress: bool | None  # None: the backend cannot tell (s3, gs, azblob)
    active: bool

    @property
    def deployed(self) -> bool:
        """A stack with no resources was never deployed (or was destroyed and kept): no cluster runs."""
        return bool(self.resource_count)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "cluster": self.name,
            "region": self.region,
            "last_update": self.last_update.isoformat() + "Z" if self.last_update else None,
            "resource_count": self.resource_count,
            "update_in_progress": self.update_in_progress,
            "active": self.active,
            "deployed": self.deployed,
        }


def list_clusters(
    environ: Mapping[str, str], backend: str | None = None, notify: Callable[[str], None] = _quiet
) -> tuple[str, list[ClusterSummary]]:
    """(backend URL, every ftcluster stack in it)."""
    session = open_session(Target("", "", None, backend), environ, engine=False, notify=notify, lookup=False)
    with session.translated("list", "ftcluster list"):
        stacks = session.workspace.list_stacks()
    active = read_active(ftcluster_home(environ)) or {}
    root = backend_folder(session.settings.backend_url)
    if root is not None and is_legacy_layout(root, session.settings.legacy_layout_requested):
        # `pulumi stack ls` lists every project's stacks in the legacy layout (pkg/backend/diy/backend.go
        # ListStacks: stacks without a project pass the project filter)
        stacks = [stack for stack in stacks if legacy_stack_is_ours(root, stack.name)]
    summaries = []
    for stack in sorted(stacks, key=lambda s: s.name):
        name, region = split_stack_name(stack.name)
        summaries.append(
            ClusterSummary(
                stack.name,
                name,
                region,
                stack.last_update,
                stack.resource_count,
                _locked(session.settings, stack.name, stack.update_in_progress),
                active.get("stack") == stack.name and active.get("backend") == session.settings.backend_url,
            )
        )
    return session.settings.backend_url, summaries


def _locked(settings: EngineSettings, stack: str, reported: bool | None) -> bool | None:
    """`pulumi stack ls` reports an update in progress only for backends that track it (Pulumi Cloud);
    diy backends never do (pkg/backend/diy/backend.go SupportsProgress), so a file backend's lock
    folder is read instead, and other diy backends stay unknown."""
    folder = lock_folder(settings.backend_url, stack, settings.legacy_layout_requested)
    if folder is None:
        return reported
    return is_locked(folder)
