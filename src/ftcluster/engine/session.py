"""Open a cluster's stack through the Automation API after the preflight checks; read its config.

Every Pulumi command runs with ftcluster's private PULUMI_HOME and a private work dir per stack
(settings.py), with the stack named explicitly: the user's `~/.pulumi` selection is never used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FtclusterError, UsageError
from .credentials import check_aws_credentials
from .diy import lock_folder
from .failures import Diagnostics, StackContext, translate
from .history import AppliedConfig, read_applied
from .plugins import ensure_aws_plugin
from .process import ManagedPulumiCommand, load_pulumi
from .settings import PROJECT, EngineSettings, create_passphrase_file, engine_settings
from .stacks import Target, split_stack_name

if TYPE_CHECKING:
    from pulumi.automation import LocalWorkspace, Stack

Notify = Callable[[str], None]


@dataclass
class Session:
    """A workspace for one backend; `stack_name` is set once the target is known."""

    target: Target
    settings: EngineSettings
    command: ManagedPulumiCommand
    workspace: LocalWorkspace
    config: dict[str, str] = field(default_factory=dict)  # the stack's config file: what the next run will use
    selected: Stack | None = None  # once select_stack ran
    notify: Notify = field(default=lambda message: None)
    # AWS credentials to check once the stack's config is read: a target without a spec (--cluster, the
    # active cluster) reaches AWS where the spec last applied says (its endpoint_url)
    credentials_due: bool = False
    created: bool = False  # this command created the stack (select_stack)
    _exported: dict[str, Any] | None = field(default=None, repr=False)  # the state, until the next run changes it
    _applied: AppliedConfig | None = field(default=None, repr=False)  # from the update history, likewise

    @property
    def stack(self) -> Stack:
        """The selected stack (select_stack comes first: using it before is a bug)."""
        if self.selected is None:
            raise RuntimeError(f"stack {self.stack_name} is used before select_stack")
        return self.selected

    @property
    def stack_name(self) -> str:
        return self.target.stack

    @property
    def label(self) -> str:
        region = f" ({self.target.region})" if self.target.region else ""
        return f"{self.target.name}{region}"

    def lock_folder(self) -> Path | None:
        return lock_folder(self.settings.backend_url, self.stack_name, self.settings.legacy_layout_requested)

    def deployment(self) -> dict[str, Any]:
        """The stack's state as `pulumi stack export` gives it (resources, pending operations), read once per
        state: every check before a run shares one export; `forget_state` after a run."""
        if self._exported is None:
            with self.translated("read", "ftcluster outputs"):
                self._exported = dict(self.stack.export_stack().deployment or {})
        return self._exported

    def applied(self) -> AppliedConfig:
        """The config of the last successful update (history.py): the spec and scale that reached AWS."""
        if self._applied is None:
            with self.translated("read", "ftcluster outputs"):
                self._applied = read_applied(self.stack)
        return self._applied

    def forget_state(self) -> None:
        self._exported = None
        self._applied = None

    def context(self, operation: str, retry: str) -> StackContext:
        return StackContext(self.label, self.stack_name, operation, self.lock_folder(), retry)

    @contextmanager
    def translated(self, operation: str, retry: str, diagnostics: Diagnostics | None = None) -> Iterator[None]:
        """Pulumi's exceptions become FtclusterErrors (ours pass through untouched)."""
        from pulumi.automation import errors as auto_errors

        try:
            yield
        except (auto_errors.CommandError, auto_errors.InvalidVersionError) as err:
            raise translate(err, self.context(operation, retry), diagnostics) from None


def open_session(
    target: Target,
    environ: Mapping[str, str],
    *,
    engine: bool,
    notify: Notify,
    credentials: bool | None = None,
    lookup: bool = True,
) -> Session:
    """Preflight and workspace. `engine=True` (program runs): aws plugin and AWS credentials too.

    A target known only by cluster name is looked up in the backend unless `lookup=False`
    (listing needs a workspace, not a stack).
    """
    settings = engine_settings(target.backend, environ)
    command = load_pulumi(environ, settings.home)
    if engine:
        notice = ensure_aws_plugin(settings, command)
        if notice:
            notify(notice)
    if not target.stack:
        session = Session(
            target, settings, command, _workspace(settings, command, settings.work_dir("lookup")), notify=notify
        )
        if not lookup:
            return session
        target = find_stack(session)
    wanted = credentials if credentials is not None else engine
    if wanted and target.spec is not None:
        check_aws_credentials(target.region or target.spec.region, target.spec.endpoint_url)
    return Session(
        target,
        settings,
        command,
        _workspace(settings, command, settings.work_dir(target.stack)),
        notify=notify,
        credentials_due=wanted and target.spec is None,
    )


def open_stack(
    target: Target,
    environ: Mapping[str, str],
    *,
    engine: bool,
    notify: Notify,
    create: bool = False,
    credentials: bool | None = None,
) -> Session:
    """`open_session`, then `select_stack`: a session on the target's stack with its config read."""
    session = open_session(target, environ, engine=engine, notify=notify, credentials=credentials)
    select_stack(session, create=create)
    return session


def _workspace(settings: EngineSettings, command: ManagedPulumiCommand, work_dir: Path) -> LocalWorkspace:
    from pulumi.automation import LocalWorkspace, ProjectBackend, ProjectSettings

    work_dir.mkdir(parents=True, exist_ok=True)
    return LocalWorkspace(
        work_dir=str(work_dir),
        pulumi_home=str(settings.pulumi_home),
        env_vars=settings.env_vars,
        secrets_provider="passphrase",
        project_settings=ProjectSettings(name=PROJECT, runtime="python", backend=ProjectBackend(settings.backend_url)),
        pulumi_command=command,  # type: ignore[arg-type]  # same interface, own process handling
    )


def find_stack(session: Session) -> Target:
    """The stack of a target known only by cluster name, from the stacks in the backend."""
    target = session.target
    with session.translated("lookup", "ftcluster list"):
        names = [s.name for s in session.workspace.list_stacks()]
    matches = [n for n in names if split_stack_name(n)[0] == target.name or n == target.name]
    if not matches:
        raise FtclusterError(
            f"no cluster named {target.name} in the state backend {session.settings.backend_url}",
            hint="see `ftcluster list`, or create it with `ftcluster up SPEC`",
        )
    if len(matches) > 1:
        raise UsageError(
            f"cluster name {target.name} exists in several regions: {', '.join(matches)}",
            hint=f"name the stack, e.g. --cluster {matches[0]}",
        )
    name, region = split_stack_name(matches[0])
    return Target(matches[0], name, region, target.backend, target.spec, target.spec_path)


def select_stack(session: Session, *, create: bool) -> None:
    """Create or select the stack and load its config (recovering it from the backend if needed)."""
    import shutil

    from pulumi.automation import Stack
    from pulumi.automation.errors import StackNotFoundError

    with session.translated("open", "ftcluster list"):
        try:
            session.selected = Stack.select(session.stack_name, session.workspace)
        except StackNotFoundError:
            if not create:
                shutil.rmtree(session.workspace.work_dir, ignore_errors=True)  # no stack: keep no folder for it
                raise
            new_passphrase = session.settings.missing_passphrase_file
            if new_passphrase is not None:  # a new stack is the only thing a new passphrase may encrypt
                session.notify(create_passphrase_file(new_passphrase))
            session.selected = Stack.create(session.stack_name, session.workspace)
            session.created = True
        else:
            if session.settings.missing_passphrase_file is not None:
                raise _no_passphrase_for(session)
        session.config = read_config(session)
    if session.credentials_due:
        from .recorded import UnreadableRecord, recorded_spec

        try:
            applied = recorded_spec(session.config)
        except UnreadableRecord:
            applied = None  # the command that needs the record says why it cannot read it
        region = session.target.region or (applied.region if applied else None)
        if region:
            check_aws_credentials(region, applied.endpoint_url if applied else None)
        session.credentials_due = False


def _no_passphrase_for(session: Session) -> UsageError:
    """The stack exists (a teammate's, or this machine's before its ftcluster home was wiped) but no
    passphrase was given and ftcluster's own file is missing: a fresh one could not decrypt it."""
    path = session.settings.missing_passphrase_file
    return UsageError(
        f"cluster {session.label} already exists in the state backend {session.settings.backend_url}, "
        f"but this machine has no passphrase for its secrets ({path} does not exist)",
        hint="set PULUMI_CONFIG_PASSPHRASE_FILE to a copy of the passphrase file of the machine that created it "
        "(by default ~/.ftcluster/passphrase there), or PULUMI_CONFIG_PASSPHRASE to its content",
    )


def read_config(session: Session) -> dict[str, str]:
    """The stack's config file. A work dir without it (another machine, a wiped home) gets it back from
    the backend: `pulumi config refresh` restores the config of the last update. What was applied is
    read from the update history instead (Session.applied)."""
    from pulumi.automation.errors import CommandError

    config_file = Path(session.workspace.work_dir) / f"Pulumi.{session.stack_name}.yaml"
    if not config_file.exists():
        try:
            session.workspace.refresh_config(session.stack_name)
        except CommandError:
            pass  # never deployed: there is nothing to recover
    return {key: value.value for key, value in session.workspace.get_all_config(session.stack_name).items()}


def remove_if_never_updated(session: Session) -> bool:
    """Remove a stack this command created when no update ran on it (a preview, a declined or refused `up`),
    with its work dir: a cluster that never existed must not show up in `list`. `pulumi stack rm` without
    --force refuses a stack that has resources (pkg/cmd/pulumi/stack/stack_remove.go); True when removed."""
    from pulumi.automation.errors import CommandError

    if not session.created or session.stack is None:
        return False
    try:
        if session.stack.history(page_size=1, show_secrets=False):
            return False  # an update ran (even a failed one): what it did must stay on record
        session.workspace.remove_stack(session.stack_name)
    except CommandError:
        return False  # a teammate's run took it over meanwhile, or the backend is unreachable: leave it
    import shutil

    shutil.rmtree(session.workspace.work_dir, ignore_errors=True)
    session.created = False
    return True
