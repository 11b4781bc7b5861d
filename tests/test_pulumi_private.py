"""Pins every private Pulumi SDK piece ftcluster relies on (src/ftcluster/pulumi_private.py).

An SDK upgrade that renames or reshapes one of them fails here, with the name, instead of in a
user's `ftcluster up`.
"""

from __future__ import annotations

import inspect
import os

import pytest
from pulumi.automation import PulumiCommand
from pulumi.automation import errors as auto_errors

from ftcluster import pulumi_private
from ftcluster.engine.process import ManagedPulumiCommand


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_automation_api_calls_our_command_the_way_we_implement_it() -> None:
    # LocalWorkspace and Stack call `pulumi_command.run(args, cwd, additional_env, on_output, on_error)`
    # and read `.command` and `.version`; ManagedPulumiCommand stands in for PulumiCommand.
    assert parameters(PulumiCommand.run) == ["self", "args", "cwd", "additional_env", "on_output", "on_error"]
    assert parameters(ManagedPulumiCommand.run) == parameters(PulumiCommand.run)
    source = inspect.getsource(PulumiCommand.__init__)
    assert "self.command" in source and "self.version" in source


def test_command_results_and_errors_keep_their_shape() -> None:
    result = pulumi_private.command_result(
        stdout="out", stderr="error: the stack is currently locked by 1 lock(s)", code=255
    )
    assert (result.stdout, result.stderr, result.code) == (
        "out",
        "error: the stack is currently locked by 1 lock(s)",
        255,
    )
    # The Automation API tells failures apart by their output; our translation relies on the classes.
    assert isinstance(pulumi_private.command_error(result), auto_errors.ConcurrentUpdateError)
    missing = pulumi_private.command_result(stdout="", stderr="error: no stack named 'x' found", code=255)
    assert isinstance(pulumi_private.command_error(missing), auto_errors.StackNotFoundError)


def test_the_cli_folder_goes_first_on_path_without_touching_the_input() -> None:
    env = {"PATH": "/usr/bin", "HOME": "/h"}
    fixed = pulumi_private.env_with_cli_on_path(env, "/opt/pulumi/bin")
    assert fixed["PATH"] == os.pathsep.join(["/opt/pulumi/bin", "/usr/bin"])
    assert fixed["HOME"] == "/h" and env["PATH"] == "/usr/bin"


def test_the_mock_runtime_pieces_exist_with_the_methods_we_override() -> None:
    monitor = pulumi_private.mock_monitor_class()
    assert parameters(monitor.RegisterResource) == ["self", "request"]
    assert hasattr(monitor, "get_registered_resources")
    from pulumi.runtime import stack

    assert parameters(stack.run_pulumi_func) == ["func"]


@pytest.mark.parametrize("value", [1, "text"])
def test_wait_for_runs_the_sdks_event_loop(value: object) -> None:
    async def answer() -> object:
        return value

    assert pulumi_private.wait_for(answer()) == value
