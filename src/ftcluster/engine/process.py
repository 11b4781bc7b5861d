"""The Pulumi CLI as a child process we control: found, version-checked, interruptible.

`PulumiCommand.run` starts `pulumi` in our process group (pulumi/automation/_cmd.py: `subprocess.Popen`
without `start_new_session`), so a terminal Ctrl-C reaches it *and* us, and Python's `Popen.__exit__`
then stops waiting for it after 0.25 s (CPython Lib/subprocess.py, `_sigint_wait_secs`).
Here the child gets its own session instead, and ftcluster decides which SIGINTs it receives.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..errors import FtclusterError

if TYPE_CHECKING:
    from pulumi.automation import CommandResult
    from semver import VersionInfo

MIN_VERSION = (3, 181, 0)  # inline programs for destroy/refresh (`--client`) arrived in 3.181
INSTALL_FOLDER = "pulumi-cli"  # `ftcluster install-pulumi` puts the CLI in <home>/pulumi-cli/bin
_INSTALL_HINT = "run `ftcluster install-pulumi`, or install it from https://www.pulumi.com/docs/install/"


def installed_root(home: Path) -> Path:
    return home / INSTALL_FOLDER


def find_pulumi(environ: Mapping[str, str], home: Path) -> Path | None:
    """The CLI that `ftcluster install-pulumi` installed, else `pulumi` on PATH."""
    ours = installed_root(home) / "bin" / "pulumi"
    if ours.is_file() and os.access(ours, os.X_OK):
        return ours
    found = shutil.which("pulumi", path=environ.get("PATH", os.defpath))
    return Path(found) if found else None


def _parse_version(text: str) -> VersionInfo | None:  # semver is imported lazily (it comes with pulumi)
    from semver import VersionInfo

    try:
        return VersionInfo.parse(text.strip().lstrip("v"))
    except ValueError:
        return None


def load_pulumi(environ: Mapping[str, str], home: Path) -> ManagedPulumiCommand:
    """Find the CLI and check its version; FtclusterError with the fix when missing or too old."""
    executable = find_pulumi(environ, home)
    if executable is None:
        raise FtclusterError("the Pulumi CLI (`pulumi`) was not found on PATH", hint=_INSTALL_HINT)
    return ManagedPulumiCommand(executable)


class ManagedPulumiCommand:
    """Stands in for `pulumi.automation.PulumiCommand` (same `command`, `version`, `run`)."""

    def __init__(self, executable: Path) -> None:
        self.command = str(executable)
        env = {**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"}
        try:
            completed = subprocess.run(
                [self.command, "version"], capture_output=True, text=True, env=env, timeout=60, check=False
            )
        except OSError as err:
            raise FtclusterError(f"cannot run {self.command}: {err.strerror}", hint=_INSTALL_HINT) from None
        self.version = _parse_version(completed.stdout) if completed.returncode == 0 else None
        if self.version is None:
            raise FtclusterError(
                f"`{self.command} version` did not report a version "
                f"({(completed.stderr or completed.stdout).strip()[:200] or f'exit code {completed.returncode}'})",
                hint=_INSTALL_HINT,
            )
        if self.version.major != MIN_VERSION[0] or self.version.to_tuple()[:3] < MIN_VERSION:
            minimum = ".".join(map(str, MIN_VERSION))
            raise FtclusterError(
                f"Pulumi CLI {self.version} at {self.command} is not supported; ftcluster needs 3.x, at least "
                f"{minimum}",
                hint="run `ftcluster install-pulumi` to get a matching CLI in the ftcluster home",
            )
        self._children: set[subprocess.Popen[str]] = set()
        self._lock = threading.Lock()

    def interrupt(self) -> int:
        """Send SIGINT to every running pulumi child (Pulumi: first = cancel cleanly, second = stop now)."""
        with self._lock:
            children = [child for child in self._children if child.poll() is None]
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGINT)
        return len(children)

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: Callable[[str], object] | None = None,
        on_error: Callable[[str], object] | None = None,
    ) -> CommandResult:
        """`PulumiCommand.run`, except that the child runs in its own session (see the module docstring)."""
        from ..pulumi_private import command_error, command_result, env_with_cli_on_path

        separator = args.index("--") if "--" in args else len(args)
        if "--non-interactive" not in args[:separator]:
            args.insert(0, "--non-interactive")
        # every call, `plugin install` included: no network check for a newer CLI (pkg/cmd/pulumi/pulumi.go)
        env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true", "PULUMI_SKIP_UPDATE_CHECK": "true"}
        if os.path.isabs(self.command):
            env = env_with_cli_on_path(env, os.path.dirname(self.command))
        stdout_chunks: list[str] = []
        stderr_chunks: list[str] = []

        def consume(stream: IO[str], callback: Callable[[str], object] | None, chunks: list[str]) -> None:
            for line in iter(stream.readline, ""):
                stripped = line.rstrip()
                if callback:
                    callback(stripped)
                chunks.append(stripped)
            stream.close()

        process = subprocess.Popen(
            [self.command, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=env,
            encoding="utf-8",
            start_new_session=os.name == "posix",
        )
        with self._lock:
            self._children.add(process)
        try:
            readers = [
                threading.Thread(target=consume, args=(process.stdout, on_output, stdout_chunks), daemon=True),
                threading.Thread(target=consume, args=(process.stderr, on_error, stderr_chunks), daemon=True),
            ]
            for reader in readers:
                reader.start()
            for reader in readers:
                reader.join()
            code = process.wait()
        finally:
            with self._lock:
                self._children.discard(process)
        result = command_result(stdout="\n".join(stdout_chunks), stderr="\n".join(stderr_chunks), code=code)
        if code != 0:
            error = command_error(result)
            # a negative code: the CLI was killed by a signal, with no chance to unlock the stack (see interrupts.py)
            error.killed_by_signal = -code if code < 0 else None  # type: ignore[attr-defined]
            raise error
        return result
