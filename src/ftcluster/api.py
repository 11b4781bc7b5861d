"""The façade: one function per command, the only module of the core that cli/ calls.

Each takes the target (a spec path, a cluster name), the environment and the hooks, and returns a
dataclass the command line renders; a command that fails after showing its result (changes pending,
leftovers found, not recovered) returns an Outcome: the result and that failure. Importing this module is free:
everything below it loads inside the function that needs it (`ftcluster --help` imports none of it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from datetime import datetime

    from .cost import Estimate
    from .drill.model import DrillPlan, DrillReport
    from .drill.run import DrillHooks
    from .engine.lifecycle import Cancelled, Deployed, Hooks, Previewed, Refreshed, Scaled, Selected
    from .engine.outputs import ClusterOutputs, ClusterSummary
    from .engine.scale import ScaleRequest
    from .engine.teardown import Destroyed
    from .errors import FtclusterError, SpecError
    from .ledger.model import Ledger
    from .live.leftovers import LeftoverReport
    from .live.preflight import PreflightReport
    from .live.status_model import StatusReport
    from .offline import OfflinePlan
    from .spec import Spec

Environ = Mapping[str, str]
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A result to show, and the error the command ends with once it is shown (exit 1), if any."""

    result: T
    failure: FtclusterError | None = None


# --- spec files -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validation:
    """A spec file checked: the spec with every default filled in, or the problems (`error`)."""

    path: Path
    spec: Spec | None
    error: SpecError | None
    warnings: tuple[tuple[str, str], ...] = ()  # (key, message): valid, but AWS may not run it as meant

    def rows(self) -> list[tuple[str, str, bool]]:
        """(key, value, set in the file) for every key of the effective spec."""
        from .spec.view import effective_rows

        return list(effective_rows(self.spec)) if self.spec is not None else []

    def to_dict(self) -> dict[str, Any]:
        from .spec.view import validation_json

        return validation_json(str(self.path), self.spec, self.error.problems if self.error else [], self.warnings)


def validate(spec_path: Path) -> Validation:
    from .errors import SpecError
    from .spec import load_spec
    from .spec.checks import warnings

    try:
        spec = load_spec(spec_path)
    except SpecError as err:
        return Validation(spec_path, None, err)
    return Validation(spec_path, spec, None, tuple(warnings(spec)))


def schema() -> dict[str, Any]:
    from .spec.schema import spec_json_schema

    return spec_json_schema()


@dataclass(frozen=True)
class Starter:
    """A starter spec: `path` None when it goes to stdout (`text`), else the file it was written to."""

    path: Path | None
    text: str


def init(path: Path | None, environ: Environ, *, region: str | None, name: str, force: bool) -> Starter:
    """Write (or, for `-`, return) a commented starter spec that validates as it is."""
    from .errors import UsageError
    from .spec.starter import starter_spec

    region = region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    if str(path) == "-":
        return Starter(None, starter_spec(name=name, region=region))  # raises UsageError for a bad name or region
    target = path or Path(f"{region}.yaml")
    if target.is_dir():
        raise UsageError(f"{target} is a directory; give a file path such as {target / (region + '.yaml')}")
    if target.exists() and not force:
        raise UsageError(f"{target} already exists; not overwriting it", hint="pass --force to replace it")
    text = starter_spec(name=name, region=region)  # raises UsageError for a bad name or region
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write {target}: {err.strerror}") from None
    return Starter(target, text)


# --- before a deploy --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfflinePreview:
    spec: Spec
    plan: OfflinePlan
    cost: Estimate  # the shipped price table only: offline means no live Spot prices


def preview_offline(spec_path: Path) -> OfflinePreview:
    """The real program under Pulumi's mocks: every resource, and what the cluster costs."""
    from .cost import estimate
    from .offline import run_offline
    from .spec import load_spec

    spec = load_spec(spec_path)
    return OfflinePreview(spec, run_offline(spec), estimate(spec))


def preview(spec_path: Path, environ: Environ, hooks: Hooks, *, expect_no_changes: bool = False) -> Outcome[Previewed]:
    """What `up` would change (a real Pulumi preview against the stack) and the cost; the failure is
    ChangesPending when `expect_no_changes` and something would change."""
    from .engine.events import describe_changes, has_changes
    from .engine.lifecycle import preview as preview_stack
    from .errors import ChangesPending

    result = preview_stack(spec_path, environ, hooks)
    if not (expect_no_changes and has_changes(result.changes)):
        return Outcome(result)
    pending = ChangesPending(
        cluster=result.cluster,
        summary=describe_changes(result.changes),
        hint=f"run `ftcluster preview {spec_path} --diff` to see them",
    )
    return Outcome(result, pending)


def preflight(spec_path: Path, environ: Environ, hooks: Hooks) -> PreflightReport:
    """The read-only AWS checks of `up`, shown through `hooks.preflight`; PreflightFailed when any failed."""
    from .engine.lifecycle import preflight as run_checks
    from .spec import load_spec

    return run_checks(load_spec(spec_path), hooks, hint="see `fix:` above for each failed check")


# --- changing a cluster -----------------------------------------------------------------------------


def up(
    spec_path: Path,
    environ: Environ,
    hooks: Hooks,
    *,
    skip_preflight: bool,
    wait_timeout: float | None,
    restart: bool,
) -> Deployed:
    from .engine.lifecycle import deploy

    return deploy(spec_path, environ, hooks, skip_preflight=skip_preflight, wait_timeout=wait_timeout, restart=restart)


def scale(spec_path: Path | None, cluster: str | None, environ: Environ, hooks: Hooks, request: ScaleRequest) -> Scaled:
    from .engine.lifecycle import scale as scale_cluster

    return scale_cluster(spec_path, cluster, environ, hooks, request)


def scale_request(
    *, tasks: int | None, instances: int | None, adjust_limits: bool, reset: bool, workers: int | None
) -> ScaleRequest:
    from .engine.scale import ScaleRequest

    return ScaleRequest(tasks, instances, adjust_limits, reset, workers)


def destroy(
    spec_path: Path | None,
    cluster: str | None,
    environ: Environ,
    hooks: Hooks,
    *,
    delete_checkpoints: bool,
    keep_stack: bool,
) -> Outcome[Destroyed]:
    """Destroy, then look for leftovers; the failure is the leftover check's own, or LeftoversFound."""
    from .engine import teardown
    from .errors import FtclusterError

    result = teardown.destroy(
        spec_path, cluster, environ, hooks, delete_checkpoints=delete_checkpoints, keep_stack=keep_stack
    )
    if result.leftovers is not None:
        return Outcome(result, _leftovers_found(result.leftovers))
    assert result.leftover_error is not None
    error = result.leftover_error
    check_failed = FtclusterError(
        f"the leftover check failed: {error.message}",
        hint=f"the destroy itself is done; check again with `ftcluster destroy --verify-only --cluster "
        f"{result.stack}`" + (f" ({error.hint})" if error.hint else ""),
    )
    return Outcome(result, check_failed)


def verify(spec_path: Path | None, cluster: str | None, environ: Environ, hooks: Hooks) -> Outcome[LeftoverReport]:
    """`destroy --verify-only`: what is left of the cluster in AWS; the failure is LeftoversFound."""
    from .engine import teardown

    report = teardown.verify(spec_path, cluster, environ, hooks)
    return Outcome(report, _leftovers_found(report))


def _leftovers_found(report: LeftoverReport) -> FtclusterError | None:
    from .errors import LeftoversFound

    if report.clean:
        return None
    return LeftoversFound(cluster=report.cluster, resources=[item.id for item in report.unexpected])


def refresh(
    spec_path: Path | None, cluster: str | None, environ: Environ, hooks: Hooks, *, clear_pending_creates: bool
) -> Refreshed:
    from .engine.lifecycle import refresh as refresh_cluster

    return refresh_cluster(spec_path, cluster, environ, hooks, clear_pending_creates=clear_pending_creates)


def cancel(spec_path: Path | None, cluster: str | None, environ: Environ, hooks: Hooks) -> Cancelled:
    from .engine.lifecycle import cancel as cancel_run

    return cancel_run(spec_path, cluster, environ, hooks)


def use(cluster_or_spec: str, environ: Environ, hooks: Hooks) -> Selected:
    """Make a deployed cluster the active one: a spec file (.yaml, .yml or an existing file), else a name."""
    from .engine.lifecycle import use as use_cluster

    path = Path(cluster_or_spec)
    spec_path = path if path.suffix in (".yaml", ".yml") or path.is_file() else None
    return use_cluster(spec_path, None if spec_path else cluster_or_spec, environ, hooks)


def install_pulumi(environ: Environ, hooks: Hooks, version: str | None) -> tuple[Path, str]:
    """The Pulumi CLI installed into the ftcluster home: (its path, its version)."""
    from .engine.install import install_pulumi_cli

    with hooks.stage("installing the Pulumi CLI"):
        return install_pulumi_cli(environ, version)


# --- reading a cluster ------------------------------------------------------------------------------


def outputs(spec_path: Path | None, cluster: str | None, environ: Environ, hooks: Hooks) -> ClusterOutputs:
    from .engine.outputs import cluster_outputs

    return cluster_outputs(spec_path, cluster, environ, notify=hooks.notify)


def list_clusters(environ: Environ, hooks: Hooks, backend: str | None) -> tuple[str, list[ClusterSummary]]:
    """(the backend's URL, every ftcluster cluster in it)."""
    from .engine.outputs import list_clusters as clusters_in

    return clusters_in(environ, backend, notify=hooks.notify)


@dataclass(frozen=True)
class Status:
    name: str
    report: StatusReport
    run_rate: Estimate
    scale: dict[str, dict[str, int | None]]  # {"tasks": {"spec": 2, "effective": 5}, ...}


def status(
    spec_path: Path | None, cluster: str | None, environ: Environ, hooks: Hooks, *, every: int | None = None
) -> Iterator[Status]:
    """The live status, verdict and run-rate: once, or (`every` seconds) again and again until interrupted."""
    import time

    from .engine.stacks import check_one_target
    from .engine.views import status_view

    check_one_target(spec_path, cluster)
    view = status_view(spec_path, cluster, environ)
    while True:
        with hooks.stage(f"reading cluster {view.name} from AWS"):
            report, rate = view.read()
        yield Status(view.name, report, rate, view.scale)
        if every is None:
            return
        time.sleep(every)


def events(
    spec_path: Path | None,
    cluster: str | None,
    environ: Environ,
    hooks: Hooks,
    *,
    since: str,
    now: datetime | None = None,
) -> Ledger:
    """The interruption ledger over `since` (a duration or a UTC time): events, interruptions, summary."""
    from datetime import datetime, timezone

    from .engine.stacks import check_one_target
    from .engine.views import status_view
    from .ledger.window import since_time

    check_one_target(spec_path, cluster)
    now = now or datetime.now(timezone.utc)
    start = since_time(since, now)  # a bad window stops here: nothing is read
    view = status_view(spec_path, cluster, environ)
    with hooks.stage(f"reading the events of {view.name}"):
        return view.ledger(start, now)


def drill(
    spec_path: Path | None,
    cluster: str | None,
    environ: Environ,
    hooks: DrillHooks,
    *,
    fault: str,
    target: str | None,
    timeout_minutes: float,
    dry_run: bool,
) -> Outcome[DrillPlan | DrillReport]:
    """Plan the drill (a dry run stops there), inject the fault, watch the recovery; the failure of a
    drill that did not recover says what is missing."""
    from .engine.stacks import check_one_target
    from .engine.views import status_view
    from .errors import UsageError

    check_one_target(spec_path, cluster)
    if not 0 < timeout_minutes <= 24 * 60:
        raise UsageError(f"--timeout {timeout_minutes:g}: give minutes between 0 and 1440")
    view = status_view(spec_path, cluster, environ)
    hooks.progress(f"reading cluster {view.name}")
    result = view.drill(fault=fault, target=target, timeout_seconds=timeout_minutes * 60, dry_run=dry_run, hooks=hooks)
    from .drill.model import DrillReport
    from .drill.run import not_recovered

    if isinstance(result, DrillReport) and not result.recovered:
        return Outcome(result, not_recovered(result))
    return Outcome(result)
