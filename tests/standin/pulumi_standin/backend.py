"""Stand-in state: a DIY-backend-like tree under a file:// URL, plus the project files in the work dir.

Layout (same paths as Pulumi's file backend, simplified contents):
  <root>/.pulumi/stacks/<project>/<stack>.json                 checkpoint (resources, outputs, pending ops)
  <root>/.pulumi/history/<project>/<stack>/<stack>-<ns>.history.json
  <root>/.pulumi/locks/organization/<project>/<stack>/<uuid>.json
  <root>/.pulumi/standin/cloud.json                            what "exists in the cloud" (retained resources stay)
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # what pulumi.automation parses


class StandinError(Exception):
    """A failure reported like the real CLI: `error: <message>` on stderr, exit code 255."""


def now_text() -> str:
    return datetime.now(timezone.utc).strftime(TIME_FORMAT)


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
        return Backend(Path(url[len("file://") :]).expanduser(), project)
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


class Backend:
    def __init__(self, root: Path, project: str, *, diy: bool = True) -> None:
        self.root = root
        self.project = project
        self.meta = root / ".pulumi"
        self.diy = diy  # diy backends report no update progress (pkg/backend/diy/backend.go SupportsProgress)

    # --- stacks ------------------------------------------------------------------------------

    def stack_file(self, stack: str) -> Path:
        return self.meta / "stacks" / self.project / f"{stack}.json"

    def exists(self, stack: str) -> bool:
        return self.stack_file(stack).exists()

    def stacks(self) -> list[str]:
        folder = self.meta / "stacks" / self.project
        return sorted(p.stem for p in folder.glob("*.json")) if folder.exists() else []

    def create(self, stack: str, secrets_state: dict[str, str]) -> None:
        if self.exists(stack):
            raise StandinError(f"stack '{stack}' already exists")
        (self.meta / "meta.yaml").parent.mkdir(parents=True, exist_ok=True)
        (self.meta / "meta.yaml").write_text("version: 1\n", encoding="utf-8")
        self.save(
            stack,
            {
                "version": 3,
                "checkpoint": {
                    "stack": f"organization/{self.project}/{stack}",
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
        return self.meta / "history" / self.project / stack

    def history(self, stack: str) -> list[dict[str, Any]]:
        """Newest first, like `pulumi stack history --json`."""
        files = sorted(self.history_folder(stack).glob("*.history.json"), reverse=True)
        return [json.loads(f.read_text(encoding="utf-8")) for f in files]

    def append_history(self, stack: str, entry: dict[str, Any]) -> None:
        entry["version"] = len(self.history(stack)) + 1
        _write_json(self.history_folder(stack) / f"{stack}-{time.time_ns()}.history.json", entry)

    # --- locks -------------------------------------------------------------------------------

    def lock_folder(self, stack: str) -> Path:
        return self.meta / "locks" / "organization" / self.project / stack

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
    salt = uuid.uuid4().hex
    return {"salt": salt, "check": hashlib.sha256((salt + passphrase(environ)).encode()).hexdigest()}


def verify_passphrase(checkpoint: dict[str, Any], environ: dict[str, str]) -> None:
    state = checkpoint["checkpoint"]["latest"]["secrets_providers"]["state"]
    if hashlib.sha256((state["salt"] + passphrase(environ)).encode()).hexdigest() != state["check"]:
        raise StandinError("incorrect passphrase")


def workspace_selection_file(pulumi_home: Path, project: Project) -> Path:
    """Where `stack select` records the current stack, keyed by the project file's path like Pulumi."""
    digest = hashlib.sha1(str(project.cwd / "Pulumi.yaml").encode()).hexdigest()
    return pulumi_home / "workspaces" / f"{project.name}-{digest}-workspace.json"
