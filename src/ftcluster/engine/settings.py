"""Where ftcluster keeps Pulumi state and secrets: backend URL, passphrase, private Pulumi home.

Pure file-system logic (no pulumi import), so it is cheap to call and easy to test.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    env_vars: dict[str, str]  # added to every pulumi command (passphrase)
    pulumi_home: Path  # PULUMI_HOME for our commands: keeps ~/.pulumi's current-stack files untouched
    user_pulumi_home: Path  # the user's own Pulumi home, where an aws plugin may already be
    notices: tuple[str, ...] = field(default=())  # things to tell the user once (e.g. a new passphrase file)

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
        path = Path(url[len("file://"):]).expanduser()
        path.mkdir(parents=True, exist_ok=True)  # "created on first use"
        url = f"file://{path}"
    return url


def passphrase_env(environ: Mapping[str, str], home: Path) -> tuple[dict[str, str], str | None]:
    """(env vars for Pulumi, notice or None). Never an empty passphrase."""
    if "PULUMI_CONFIG_PASSPHRASE" in environ:
        if not environ["PULUMI_CONFIG_PASSPHRASE"]:
            raise UsageError(
                "PULUMI_CONFIG_PASSPHRASE is set but empty; ftcluster never encrypts with an empty passphrase",
                hint="set a real passphrase, or unset it to let ftcluster keep one in its home folder",
            )
        return {}, None
    given = environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if given:
        path = Path(given).expanduser()
        if not path.is_file() or not path.read_text(encoding="utf-8").strip():
            raise UsageError(f"PULUMI_CONFIG_PASSPHRASE_FILE={given} is missing or empty")
        return {}, None
    path = home / PASSPHRASE_FILE
    notice = None
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
        notice = (
            f"created {path} (mode 0600): the passphrase that encrypts this cluster's Pulumi secrets. "
            "Back it up; teammates sharing the state backend need it too (PULUMI_CONFIG_PASSPHRASE_FILE)."
        )
    return {"PULUMI_CONFIG_PASSPHRASE_FILE": str(path)}, notice


def user_pulumi_home(environ: Mapping[str, str]) -> Path:
    configured = environ.get("PULUMI_HOME")
    return Path(configured).expanduser() if configured else Path(environ.get("HOME") or Path.home()) / ".pulumi"


def engine_settings(spec_backend: str | None, environ: Mapping[str, str]) -> EngineSettings:
    home = ftcluster_home(environ)
    url = backend_url(spec_backend, environ, home)
    env_vars, notice = passphrase_env(environ, home)
    return EngineSettings(
        home=home,
        backend_url=url,
        env_vars=env_vars,
        pulumi_home=home / "pulumi",
        user_pulumi_home=user_pulumi_home(environ),
        notices=(notice,) if notice else (),
    )
