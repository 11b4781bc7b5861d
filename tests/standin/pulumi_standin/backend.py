"""Stand-in state: a DIY-backend-like tree under a file:// URL, plus the project files in the work dir.

Layout (same paths as Pulumi's file backend, simplified contents; pkg/backend/diy/store.go, lock.go):
  project layout (`.pulumi/meta.yaml` says version 1; what a new backend gets):
    <root>/.pulumi/stacks/<project>/<stack>.json                 checkpoint (resources, outputs, pending ops)
    <root>/.pulumi/history/<project>/<stack>/<stack>-<ns>.history.json
    <root>/.pulumi/locks/organization/<project>/<stack>/<uuid>.json
  legacy layout (no meta.yaml, and stacks already there: pkg/backend/diy/meta.go ensurePulumiMeta):
    <root>/.pulumi/stacks/<stack>.json, history/<stack>/, locks/<stack>/<uuid>.json
  <root>/.pulumi/standin/cloud.json                              what "exists in the cloud" (retained resources stay)
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # what pulumi.automation parses
STACK_TYPE = "pulumi:pulumi:Stack"


class StandinError(Exception):
    """A failure reported like the real CLI: `error: <message>` on stderr, exit code 255."""


def now_text() -> str:
    return datetime.now(timezone.utc).strftime(TIME_FORMAT)


def parse_time(text: str) -> float:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc).timestamp()


def format_time(seconds: float) -> str:
    """pkg/cmd/pulumi/cmd/time.go FormatTime: RFC 5424 with milliseconds, `2006-01-02T15:04:05.000Z07:00`."""
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def cli_version(environ: dict[str, str]) -> tuple[int, ...]:
    text = environ.get("PULUMI_STANDIN_VERSION", "3.210.0")
    return tuple(int(part) for part in text.split(".")[:3])


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(temporary, path)


class Project:
    """Pulumi.yaml and Pulumi.<stack>.yaml in the working directory (written by the Automation API)."""

    def __init__(self, cwd: Path, environ: dict[str, str]) -> None:
        self.cwd = cwd
        settings_file = cwd / "Pulumi.yaml"
        if not settings_file.exists():
            raise StandinError(f"no Pulumi.yaml project file found (searching upwards from {cwd})")
        settings = yaml.safe_load(settings_file.read_text(encoding="utf-8")) or {}
        self.name: str = settings["name"]
        # pkg/workspace/creds.go GetCurrentCloudURLWithSource: PULUMI_BACKEND_URL first, then the project's
        # backend.url, then the login stored in the credentials file (modelled: Pulumi Cloud)
        url = environ.get("PULUMI_BACKEND_URL") or (settings.get("backend") or {}).get("url") or CLOUD_URL
        self.backend_url = url
        self.backend = open_backend(url, self.name, environ)

    def config_file(self, stack: str) -> Path:
        return self.cwd / f"Pulumi.{stack}.yaml"

    def load_config_file(self, stack: str) -> dict[str, Any]:
        path = self.config_file(stack)
        if not path.exists():
            return {}
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}

    def config(self, stack: str) -> dict[str, str]:
        return {key: str(value) for key, value in (self.load_config_file(stack).get("config") or {}).items()}

    def save_config(self, stack: str, config: dict[str, str]) -> None:
        document = self.load_config_file(stack)
        document["config"] = dict(sorted(config.items()))
        self.config_file(stack).write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    def qualify(self, key: str) -> str:
        return key if ":" in key else f"{self.name}:{key}"


CLOUD_URL = "https://api.pulumi.com"
DIY_SCHEMES = ("file://", "s3://", "gs://", "azblob://")  # pkg/backend/diy IsDIYBackendURL (postgres left out)


def open_backend(url: str, project: str, environ: dict[str, str]) -> Backend:
    """A file backend; or, once logged in, a Pulumi Cloud backend kept in $PULUMI_STANDIN_CLOUD_STATE."""
    if url.startswith("file://"):
        root = Path(url[len("file://") :]).expanduser()
        return Backend(root, project, legacy=_legacy_layout(root / ".pulumi", environ))
    if url.startswith(DIY_SCHEMES):
        raise StandinError(f"the pulumi stand-in supports only file:// among the diy backends, got {url!r}")
    access_token(url, environ)
    folder = environ.get("PULUMI_STANDIN_CLOUD_STATE")
    if not folder:
        raise StandinError(
            f"logged in to {url}, but the pulumi stand-in keeps a cloud backend's state only "
            "when PULUMI_STANDIN_CLOUD_STATE names a folder"
        )
    host = url.split("://", 1)[-1].strip("/").replace("/", "_")
    return Backend(Path(folder) / host, project, diy=False)


def access_token(url: str, environ: dict[str, str]) -> str:
    """How the CLI finds a Pulumi Cloud login (pkg/backend/httpstate/backend.go defaultLoginManager.Current,
    sdk/go/common/workspace/creds.go getCredsFilePath): PULUMI_ACCESS_TOKEN, else the token stored for
    the URL in credentials.json in the folder $PULUMI_CREDENTIALS_PATH, else in $PULUMI_HOME. No token in
    a non-interactive run is MissingEnvVarForNonInteractiveError (pkg/backend/backenderr/backenderr.go)."""
    if environ.get("PULUMI_ACCESS_TOKEN"):
        return environ["PULUMI_ACCESS_TOKEN"]
    folder = environ.get("PULUMI_CREDENTIALS_PATH") or environ.get("PULUMI_HOME") or str(Path.home() / ".pulumi")
    try:
        credentials = json.loads((Path(folder) / "credentials.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        credentials = {}
    account = (credentials.get("accounts") or {}).get(url) or {}
    token = account.get("accessToken") or (credentials.get("accessTokens") or {}).get(url)
    if not token:
        raise StandinError("PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions")
    return token


LEGACY_DEPRECATED = """
================================================================================
Legacy DIY state is deprecated, please upgrade your state to project mode using:
'pulumi state upgrade'

It is due to be removed in a future release before the end of this year (2026).
If you have any feedback or concerns, please let us know by commenting on the
issue at https://github.com/pulumi/pulumi/issues/19566.
Set PULUMI_DIY_BACKEND_IGNORE_DEPRECATION_{what}=1 to disable this {kind}.
================================================================================"""


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def _legacy_layout(meta: Path, environ: dict[str, str]) -> bool:
    """pkg/backend/diy/meta.go ensurePulumiMeta, on opening a file backend: `.pulumi/meta.yaml` decides; without
    one, stacks already stored in the legacy places (`.pulumi/stacks/<stack>.json`) or
    PULUMI_DIY_BACKEND_LEGACY_LAYOUT mean the legacy layout (and no meta.yaml is written); otherwise a
    `version: 1` meta.yaml is written and stacks live per project.

    pkg/backend/diy/backend.go newDIYBackend: a legacy layout is deprecated, a warning from 3.228 and an
    error unless PULUMI_DIY_BACKEND_IGNORE_DEPRECATION_ERROR from 3.257 (#19625, #24216)."""
    meta_file = meta / "meta.yaml"
    if meta_file.exists():
        version = (yaml.safe_load(meta_file.read_text(encoding="utf-8")) or {}).get("version")
        if version is None:
            raise StandinError(f'corrupt store: missing version in "{meta_file.relative_to(meta.parent)}"')
        legacy = version == 0
    else:
        stacks = meta / "stacks"
        legacy = (stacks.is_dir() and any(p.is_file() and p.suffix == ".json" for p in stacks.iterdir())) or _truthy(
            environ.get("PULUMI_DIY_BACKEND_LEGACY_LAYOUT")
        )
        if not legacy:
            meta_file.parent.mkdir(parents=True, exist_ok=True)
            meta_file.write_text("version: 1\n", encoding="utf-8")
    if legacy:
        version = cli_version(environ)
        if version >= (3, 257) and not _truthy(environ.get("PULUMI_DIY_BACKEND_IGNORE_DEPRECATION_ERROR")):
            raise StandinError(LEGACY_DEPRECATED.format(what="ERROR", kind="error"))
        if (3, 228) <= version < (3, 257) and not _truthy(environ.get("PULUMI_DIY_BACKEND_IGNORE_DEPRECATION_WARNING")):
            print("warning: " + LEGACY_DEPRECATED.format(what="WARNING", kind="warning"), file=sys.stderr)
    return legacy


class Backend:
    def __init__(self, root: Path, project: str, *, diy: bool = True, legacy: bool = False) -> None:
        self.root = root
        self.project = project
        self.meta = root / ".pulumi"
        self.diy = diy  # diy backends report no update progress (pkg/backend/diy/backend.go SupportsProgress)
        self.legacy = legacy  # pkg/backend/diy/store.go legacyReferenceStore: no project in any path

    # --- stacks ------------------------------------------------------------------------------

    def _scoped(self, kind: str) -> Path:
        """Where a kind of file lives: `.pulumi/<kind>/<project>` (projectReferenceStore) or `.pulumi/<kind>`."""
        return self.meta / kind if self.legacy else self.meta / kind / self.project

    def stack_file(self, stack: str) -> Path:
        return self._scoped("stacks") / f"{stack}.json"

    def exists(self, stack: str) -> bool:
        return self.stack_file(stack).exists()

    def stacks(self) -> list[str]:
        """Every stack of the project; in the legacy layout, every stack in the backend, whatever its project
        (legacyReferenceStore.ListReferences; ListStacks' project filter skips stacks without one)."""
        folder = self._scoped("stacks")
        return sorted(p.stem for p in folder.glob("*.json") if p.is_file()) if folder.exists() else []

    def qualified(self, stack: str) -> str:
        """diyBackendReference.FullyQualifiedName: `organization/<project>/<stack>`, or the bare name (legacy)."""
        return stack if self.legacy else f"organization/{self.project}/{stack}"

    def create(self, stack: str, secrets_state: dict[str, str]) -> None:
        if self.exists(stack):
            raise StandinError(f"stack '{stack}' already exists")
        self.save(
            stack,
            {
                "version": 3,
                "checkpoint": {
                    "stack": self.qualified(stack),
                    # pkg/backend/diy/backend.go CreateStack saves an empty deployment: `latest` is nil until the
                    # first update, so `stack ls` shows no last update or resource count and `stack export`
                    # a null deployment. The stand-in keeps its secrets check in `latest` and marks it unused.
                    "no_deployment": True,
                    "latest": {
                        "manifest": {"time": now_text(), "version": "standin"},
                        "secrets_providers": {"type": "passphrase", "state": secrets_state},
                        "resources": [],
                        "pending_operations": [],
                    },
                },
            },
        )

    def load(self, stack: str) -> dict[str, Any]:
        if not self.exists(stack):
            raise StandinError(f"no stack named '{stack}' found")
        return json.loads(self.stack_file(stack).read_text(encoding="utf-8"))

    def save(self, stack: str, checkpoint: dict[str, Any]) -> None:
        _write_json(self.stack_file(stack), checkpoint)

    def remove(self, stack: str) -> None:
        self.stack_file(stack).unlink()
        for entry in self.history_folder(stack).glob("*.json"):
            entry.unlink()

    # --- history -----------------------------------------------------------------------------

    def history_folder(self, stack: str) -> Path:
        return self._scoped("history") / stack

    def history(self, stack: str) -> list[dict[str, Any]]:
        """The stored update records (backend.UpdateInfo, pkg/backend/updates.go), newest first like
        pkg/backend/diy/state.go getHistory: times in Unix seconds, config values as stored, and
        `version` 0 (the diy backend never numbers its updates)."""
        files = sorted(self.history_folder(stack).glob("*.history.json"), reverse=True)
        return [json.loads(f.read_text(encoding="utf-8")) for f in files]

    def append_history(self, stack: str, entry: dict[str, Any]) -> None:
        """pkg/backend/diy/state.go addToHistory: `<stack>-<unix nanoseconds>.history.json`."""
        _write_json(self.history_folder(stack) / f"{stack}-{time.time_ns()}.history.json", {"version": 0, **entry})

    # --- locks -------------------------------------------------------------------------------

    def lock_folder(self, stack: str) -> Path:
        """pkg/backend/diy/lock.go stackLockDir: `.pulumi/locks/<fully qualified stack name>`."""
        return self.meta / "locks" / self.qualified(stack)

    def locks(self, stack: str) -> list[Path]:
        folder = self.lock_folder(stack)
        return sorted(folder.glob("*.json")) if folder.exists() else []

    def acquire_lock(self, stack: str) -> Path:
        held = self.locks(stack)
        if held and not self.diy:
            raise StandinError("[409] Conflict: Another update is currently in progress.")
        if held:
            details = []
            for path in held:
                info = json.loads(path.read_text(encoding="utf-8"))
                details.append(
                    f"  file://{path}: created by {info['username']}@{info['hostname']} "
                    f"(pid {info['pid']}) at {info['timestamp']}"
                )
            raise StandinError(
                f"the stack is currently locked by {len(held)} lock(s). Either wait for the other "
                "process(es) to end or delete the lock file with `pulumi cancel`.\n" + "\n".join(details)
            )
        import getpass  # here, as in new_secrets_state: most CLI calls take no lock and make no stack
        import socket
        import uuid

        path = self.lock_folder(stack) / f"{uuid.uuid4()}.json"
        _write_json(
            path,
            {
                "pid": os.getpid(),
                "username": getpass.getuser(),
                "hostname": socket.gethostname(),
                "timestamp": now_text(),
            },
        )
        return path

    # --- the emulated cloud ------------------------------------------------------------------

    def cloud_file(self) -> Path:
        return self.meta / "standin" / "cloud.json"

    def cloud(self) -> dict[str, Any]:
        path = self.cloud_file()
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def save_cloud(self, cloud: dict[str, Any]) -> None:
        _write_json(self.cloud_file(), cloud)


# --- passphrase secrets provider -----------------------------------------------------------------


def passphrase(environ: dict[str, str]) -> str:
    if "PULUMI_CONFIG_PASSPHRASE" in environ:
        return environ["PULUMI_CONFIG_PASSPHRASE"]
    path = environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if path:
        # pkg/secrets/passphrase/manager.go readPassphrase: filepath.Abs (against the CLI's own cwd, the
        # Automation API's work dir) and no `~` expansion; the content is whitespace-trimmed
        try:
            return Path(os.path.abspath(path)).read_text(encoding="utf-8").strip()
        except OSError as err:
            raise StandinError(f"unable to read PULUMI_CONFIG_PASSPHRASE_FILE: {err}") from None
    raise StandinError(
        "getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
        "PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
    )


def new_secrets_state(environ: dict[str, str]) -> dict[str, str]:
    import uuid

    salt = uuid.uuid4().hex
    return {"salt": salt, "check": hashlib.sha256((salt + passphrase(environ)).encode()).hexdigest()}


def verify_passphrase(checkpoint: dict[str, Any], environ: dict[str, str]) -> None:
    state = checkpoint["checkpoint"]["latest"]["secrets_providers"]["state"]
    if hashlib.sha256((state["salt"] + passphrase(environ)).encode()).hexdigest() != state["check"]:
        raise StandinError("incorrect passphrase")


def workspace_selection_file(pulumi_home: Path, project_name: str, cwd: Path) -> Path:
    """Where `stack select` records the current stack, keyed by the project file's path like Pulumi."""
    digest = hashlib.sha1(str(cwd / "Pulumi.yaml").encode()).hexdigest()
    return pulumi_home / "workspaces" / f"{project_name}-{digest}-workspace.json"


def stack_outputs(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """The outputs the program registered on its stack resource."""
    for resource in checkpoint["checkpoint"]["latest"]["resources"]:
        if resource["type"] == STACK_TYPE:
            return resource.get("outputs", {})
    return {}
