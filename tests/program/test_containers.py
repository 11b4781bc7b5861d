"""The task definitions pass botocore's own validation of ECS RegisterTaskDefinition."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator
from program_helpers import MINIMAL, merged

from ftcluster.offline import OfflinePlan


@pytest.fixture(scope="module")
def register_task_definition() -> Any:
    model = botocore.session.get_session().get_service_model("ecs")
    return model.operation_model("RegisterTaskDefinition").input_shape


def request_of(plan: OfflinePlan, task: str) -> dict[str, Any]:
    """The RegisterTaskDefinition request the provider makes from the task definition's inputs."""
    inputs = plan.by_name(task).inputs
    request: dict[str, Any] = {
        "family": inputs["family"],
        "containerDefinitions": json.loads(inputs["containerDefinitions"]),
        "networkMode": inputs["networkMode"],
        "requiresCompatibilities": inputs["requiresCompatibilities"],
        "executionRoleArn": inputs["executionRoleArn"],
    }
    for key in ("cpu", "memory", "runtimePlatform", "taskRoleArn"):
        if key in inputs:
            request[key] = inputs[key]
    if "ephemeralStorage" in inputs:
        request["ephemeralStorage"] = {"sizeInGiB": inputs["ephemeralStorage"]["sizeInGib"]}
    return request


def problems(shape: Any, request: dict[str, Any]) -> str:
    report = ParamValidator().validate(request, shape)
    return report.generate_report() if report.has_errors() else ""


@pytest.mark.parametrize("task", ["training-task", "workers-task"])
def test_example_task_definitions_are_valid_requests(
    us_east: OfflinePlan, register_task_definition: Any, task: str
) -> None:
    assert problems(register_task_definition, request_of(us_east, task)) == ""


@pytest.mark.parametrize("task", ["workers-task", "rendezvous-task"])
def test_elastic_job_task_definitions_are_valid_requests(
    us_west: OfflinePlan, register_task_definition: Any, task: str
) -> None:
    assert problems(register_task_definition, request_of(us_west, task)) == ""


def test_minimal_and_existing_vpc_task_definitions_are_valid(
    eu_west: OfflinePlan, plan_for, register_task_definition: Any
) -> None:
    minimal = merged(MINIMAL, {"training": {"command": None, "environment": {"A": "1"}}})
    for plan in (eu_west, plan_for(minimal)):
        request = request_of(plan, "training-task")
        assert problems(register_task_definition, request) == ""
    (container,) = request_of(plan_for(minimal), "training-task")["containerDefinitions"]
    assert "command" not in container and "portMappings" not in container  # the image's own default


def test_the_validator_does_reject_a_wrong_shape(us_east: OfflinePlan, register_task_definition: Any) -> None:
    request = request_of(us_east, "training-task")
    request["containerDefinitions"][0]["stopTimeout"] = "120"  # a string where ECS wants an integer
    request["containerDefinitions"][0]["environment"] = {"EPOCHS": "40"}  # a map where ECS wants a list
    report = problems(register_task_definition, request)
    assert "stopTimeout" in report and "environment" in report
