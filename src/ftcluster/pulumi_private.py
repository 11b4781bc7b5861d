"""Every use of the Pulumi SDK's private API, in one place; tests/test_pulumi_private.py pins each.

The Automation API has no public way to start the `pulumi` child process differently (ftcluster
gives it its own session, so Ctrl-C reaches it only as we decide: engine/process.py), and the mock
runtime has no public way to run a program function outside a test decorator (offline.py). An SDK
upgrade that changes any of these fails that test, not a user's run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from pulumi.automation import CommandResult

T = TypeVar("T")


def command_result(*, stdout: str, stderr: str, code: int) -> CommandResult:
    """A `pulumi.automation._cmd.CommandResult`, what `PulumiCommand.run` returns."""
    from pulumi.automation._cmd import CommandResult

    return CommandResult(stdout=stdout, stderr=stderr, code=code)


def command_error(result: CommandResult) -> Exception:
    """The CommandError subclass the Automation API raises for this failed result (matched on its output)."""
    from pulumi.automation.errors import create_command_error

    return create_command_error(result)


def env_with_cli_on_path(env: Mapping[str, str], cli_folder: str) -> dict[str, str]:
    """`env` with the CLI's folder first on PATH, as `PulumiCommand.run` does for an absolute CLI path."""
    from pulumi.automation._cmd import _fixup_path

    return _fixup_path(dict(env), cli_folder)


def wait_for(awaitable: Awaitable[T]) -> T:
    """Run the SDK's event loop until `awaitable` is done (outside a Pulumi program run)."""
    from pulumi.runtime.sync_await import _sync_await

    return _sync_await(awaitable)


def run_program(program: Callable[[], None]) -> None:
    """Run a program function under the runtime `set_mocks` configured, until every resource is registered."""
    from pulumi.runtime.stack import run_pulumi_func

    wait_for(run_pulumi_func(program))


def mock_monitor_class() -> type:
    """The SDK's in-memory resource monitor of `set_mocks` (subclassed to record registrations)."""
    from pulumi.runtime.mocks import MockMonitor

    return MockMonitor
