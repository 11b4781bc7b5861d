"""The ftcluster home folder: local state backend, passphrase file, active cluster, Pulumi CLI."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

HOME_VARIABLE = "FTCLUSTER_HOME"


def ftcluster_home(environ: Mapping[str, str]) -> Path:
    """`$FTCLUSTER_HOME`, else `~/.ftcluster`. Not created here: callers create what they write."""
    configured = environ.get(HOME_VARIABLE)
    return Path(configured).expanduser() if configured else Path.home() / ".ftcluster"
