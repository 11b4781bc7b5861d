"""Where ftcluster keeps Pulumi state and secrets: backend URL, passphrase, private Pulumi home.

Pure file-system logic (no pulumi import), so it is cheap to call and easy to test.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..home import ftcluster_home
from ..spec.models import check_backend_url

PROJECT = "ftcluster"
PASSPHRASE_FILE = "passphrase"


@dataclass(frozen=True)
class EngineSettings:
    """Everything a Pulumi command needs besides the stack: one value per ftcluster run."""

    home: Path  # the ftcluster home (~/.ftcluster or $FTCLUSTER_HOME)
    backend_url: str
    env_vars: dict[str, str]  # added to every pulumi command (backend, login, passphrase)
    pulumi_home: Path  # PULUMI_HOME for our commands: keeps ~/.pulumi's current-stack files untouched
    user_pulumi_home: Path  # the user's own Pulumi home: its aws plugin and its `pulumi login`
    # ftcluster's own passphrase file when it does not exist yet: created with a new stack only (session.py)
    missing_passphrase_file: Path | None = None
    # PULUMI_DIY_BACKEND_LEGACY_LAYOUT: a new file backend gets Pulumi's legacy layout (pkg/backend/diy/meta.go)
    legacy_layout_requested: bool = False

    def work_dir(self, stack: str) -> Path:
        """A private folder per stack and backend for the Pulumi.yaml the Automation API writes."""
        import hashlib

        digest = hashlib.sha256(self.backend_url.encode()).hexdigest()[:8]
        return self.home / "workspaces" / f"{stack}-{digest}"


def default_backend_url(home: Path) -> str:
    return f"file://{home / 'state'}"


def backend_url(spec_backend: str | None, environ: Mapping[str, str], home: Path) -> str:
    """spec.state.backend, else $PULUMI_BACKEND_URL, else a file backend in the ftcluster home."""
    url = spec_backend or environ.get("PULUMI_BACKEND_URL") or default_backend_url(home)
    problem = check_backend_url(url)
    if problem:
        raise UsageError(problem)
    if url.startswith("file://"):
        path = Path(url[len("file://") :]).expanduser()
        path.mkdir(parents=True, exist_ok=True)  # "created on first use"
        url = f"file://{path}"
    return url


def passphrase_env(environ: Mapping[str, str], home: Path) -> tuple[dict[str, str], Path | None]:
    """(env vars for Pulumi, ftcluster's passphrase file if it still has to be created). Never empty."""
    if "PULUMI_CONFIG_PASSPHRASE" in environ:
        if not environ["PULUMI_CONFIG_PASSPHRASE"]:
            raise UsageError(
                "PULUMI_CONFIG_PASSPHRASE is set but empty; ftcluster never encrypts with an empty passphrase",
                hint="set a real passphrase, or unset it to let ftcluster keep one in its home folder",
            )
        return {}, None
    given = environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if given:
        # Pulumi resolves a relative path against its own working directory (ftcluster's private work
        # dir) and does not expand `~` (pkg/secrets/passphrase/manager.go): hand it an absolute path.
        path = Path(given).expanduser().resolve()
        if not path.is_file() or not path.read_text(encoding="utf-8").strip():
            raise UsageError(f"PULUMI_CONFIG_PASSPHRASE_FILE={given} is missing or empty")
        return {"PULUMI_CONFIG_PASSPHRASE_FILE": str(path)}, None
    path = home / PASSPHRASE_FILE
    return {"PULUMI_CONFIG_PASSPHRASE_FILE": str(path)}, None if path.exists() else path


def create_passphrase_file(path: Path) -> str:
    """Write a new random passphrase (mode 0600, never overwriting one); the notice for the user."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(secrets.token_urlsafe(32) + "\n")
    return (
        f"created {path} (mode 0600): the passphrase that encrypts this cluster's Pulumi secrets. "
        "Back it up; teammates sharing the state backend need it too (PULUMI_CONFIG_PASSPHRASE_FILE)."
    )


def user_pulumi_home(environ: Mapping[str, str]) -> Path:
    configured = environ.get("PULUMI_HOME")
    return Path(configured).expanduser() if configured else Path(environ.get("HOME") or Path.home()) / ".pulumi"


def engine_settings(spec_backend: str | None, environ: Mapping[str, str]) -> EngineSettings:
    home = ftcluster_home(environ)
    url = backend_url(spec_backend, environ, home)
    passphrase, missing = passphrase_env(environ, home)
    users = user_pulumi_home(environ)
    env_vars = {
        # The CLI reads PULUMI_BACKEND_URL before Pulumi.yaml's backend.url (pkg/workspace/creds.go), so a
        # PULUMI_BACKEND_URL in the user's shell would win over the spec's state.backend: always pass ours.
        "PULUMI_BACKEND_URL": url,
        # A `pulumi login` token lives in credentials.json of the folder PULUMI_CREDENTIALS_PATH, else of
        # PULUMI_HOME (sdk/go/common/workspace/creds.go getCredsFilePath); our PULUMI_HOME is private.
        "PULUMI_CREDENTIALS_PATH": environ.get("PULUMI_CREDENTIALS_PATH") or str(users),
        **passphrase,
    }
    return EngineSettings(
        home=home,
        backend_url=url,
        env_vars=env_vars,
        pulumi_home=home / "pulumi",
        user_pulumi_home=users,
        missing_passphrase_file=missing,
        legacy_layout_requested=environ.get("PULUMI_DIY_BACKEND_LEGACY_LAYOUT", "").lower() in ("1", "true", "yes"),
    )
