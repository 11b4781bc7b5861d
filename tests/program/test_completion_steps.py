"""The job-completed state machine and its permissions, in every example plan: a definition Step Functions'
grammar accepts (moto's ASL parser), AWS SDK calls whose parameters botocore's models accept, and a role
allowed exactly those calls on exactly the cluster's resources."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from program_helpers import EU_CENTRAL, EU_WEST, US_EAST, US_WEST, example

from ftcluster.offline import OfflinePlan
from ftcluster.program import ProgramOptions
from ftcluster.program.options import TRAINING_JOB, WORKERS_JOB

BOTOCORE = botocore.session.get_session()
PLANS = {"us_east": US_EAST, "us_west": US_WEST, "eu_central": EU_CENTRAL, "eu_west": EU_WEST}
SDK = "arn:aws:states:::aws-sdk:"


@pytest.fixture(params=sorted(PLANS), scope="module")
def plan(request: pytest.FixtureRequest) -> OfflinePlan:
    return request.getfixturevalue(request.param)


def _definition(plan: OfflinePlan) -> dict[str, Any]:
    return json.loads(plan.by_name("completion-state-machine").inputs["definition"])


def _tasks(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return [state for state in definition["States"].values() if state["Type"] == "Task"]


def _botocore_service(sfn_name: str) -> str:
    """Step Functions names an SDK service without hyphens (applicationautoscaling); botocore with them."""
    found = [name for name in BOTOCORE.get_available_services() if name.replace("-", "") == sfn_name]
    assert len(found) == 1, (sfn_name, found)
    return found[0]


def _call(task: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    """(botocore service model, operation model, parameters as botocore names them) of a Task state."""
    assert task["Resource"].startswith(SDK), task["Resource"]
    service_name, action = task["Resource"].removeprefix(SDK).split(":")
    model = BOTOCORE.get_service_model(_botocore_service(service_name))
    operation = model.operation_model(action[0].upper() + action[1:])
    members = operation.input_shape.members
    params: dict[str, Any] = {}
    for key, value in task["Parameters"].items():
        dynamic = key.endswith(".$")  # a JSONPath or intrinsic: a string at run time
        name = key.removesuffix(".$")
        # SDK integrations take PascalCase names, whatever the API's own casing (ECS: cluster, desiredCount)
        member = next((m for m in members if m[0].lower() + m[1:] == name[0].lower() + name[1:]), None)
        assert member is not None, f"{action} has no parameter {name}"
        params[member] = "value at run time" if dynamic else value
    return model, operation, params


def test_the_definition_is_valid_amazon_states_language(plan: OfflinePlan) -> None:
    AmazonStateLanguageParser.parse(plan.by_name("completion-state-machine").inputs["definition"])
    definition = _definition(plan)
    states = definition["States"]
    for name, state in states.items():
        targets = [state.get("Next"), state.get("Default"), *(c.get("Next") for c in state.get("Choices", []))]
        assert all(t in states for t in targets if t), name
        assert state["Type"] in ("Choice", "Succeed") or state.get("End") or state.get("Next"), name


def test_every_sdk_call_has_parameters_botocore_accepts(plan: OfflinePlan) -> None:
    tasks = _tasks(_definition(plan))
    assert tasks
    for task in tasks:
        _, operation, params = _call(task)
        report = ParamValidator().validate(params, operation.input_shape)
        assert not report.has_errors(), (operation.name, report.generate_report())
        assert task["Retry"] and task["ResultPath"] is None  # throttling is retried; the event is kept


def test_each_job_is_recorded_then_stopped(plan: OfflinePlan, us_west: OfflinePlan, eu_central: OfflinePlan) -> None:
    definition = _definition(plan)
    jobs = set(plan.exports["completion_parameters"])
    calls = {name: state for name, state in definition["States"].items() if state["Type"] == "Task"}
    for job in jobs:
        mark = calls[f"Mark{job.capitalize()}Completion"]
        assert mark["Parameters"]["Name"] == plan.exports["completion_parameters"][job]
    training = [s["Parameters"] for s in calls.values() if s["Parameters"].get("Service", "").endswith("-training")]
    assert training == [{"Cluster": plan.exports["cluster_name"], "Service": training[0]["Service"], "DesiredCount": 0}]
    hold = calls["HoldTrainingAtZero"]["Parameters"]
    assert (hold["MinCapacity"], hold["MaxCapacity"]) == (0, 0)
    assert hold["ResourceId"] == f"service/{plan.exports['cluster_name']}/{training[0]['Service']}"
    if WORKERS_JOB in jobs:
        assert calls["StopWorkers"]["Parameters"]["DesiredCount"] == 0
    # the elastic job's rendezvous goes with its workers; a Spot Fleet is emptied, an Auto Scaling group is not
    assert "StopRendezvous" in _definition(us_west)["States"]
    assert "EmptySpotFleet" in _definition(eu_central)["States"]
    assert "EmptySpotFleet" not in _definition(us_west)["States"]


def test_the_role_may_make_exactly_these_calls_on_these_resources(plan: OfflinePlan) -> None:
    policy = json.loads(plan.by_name("completion-steps-policy").inputs["policy"])
    allowed: set[str] = set()
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert statement["Effect"] == "Allow" and "*" not in resources
        allowed |= set(actions)
    needed = set()
    for task in _tasks(_definition(plan)):
        model, operation, _ = _call(task)
        needed.add(f"{model.signing_name}:{operation.name}")
    # RegisterScalableTarget of an ECS service also needs ecs:DescribeServices (ECS auto scaling IAM guide)
    assert allowed == needed | {"ecs:DescribeServices"}


def test_the_rule_matches_only_stops_of_the_jobs_own_services(plan: OfflinePlan) -> None:
    pattern = json.loads(plan.by_name("completion-rule").inputs["eventPattern"])
    detail = pattern["detail"]
    assert pattern["source"] == ["aws.ecs"] and pattern["detail-type"] == ["ECS Task State Change"]
    assert detail["stopCode"] == ["EssentialContainerExited"] and detail["lastStatus"] == ["STOPPED"]
    services = [plan.exports["service_name"]] + (
        [plan.exports["workers_service_name"]] if plan.exports["workers_service_name"] else []
    )
    assert detail["group"] == [f"service:{name}" for name in services]
    assert detail["clusterArn"] == ["<known after deploy: ARN of cluster>"]


def test_a_completed_job_is_declared_at_zero(plan_for: Any, us_west: OfflinePlan) -> None:
    completed = plan_for(example(US_WEST), ProgramOptions(completed=frozenset({TRAINING_JOB, WORKERS_JOB})))
    assert us_west.by_name("rendezvous-service").inputs["desiredCount"] == 1
    assert completed.by_name("workers-service").inputs["desiredCount"] == 0
    assert completed.by_name("rendezvous-service").inputs["desiredCount"] == 0
    target = completed.by_name("training-scaling").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (0, 0)
    assert completed.exports["completed_jobs"] == [TRAINING_JOB, WORKERS_JOB]
    assert (completed.exports["desired_tasks"], completed.exports["workers_desired"]) == (0, 0)


def test_a_completed_spot_fleet_job_lowers_the_fleet_and_an_auto_scaling_group_is_left_to_ecs(
    plan_for: Any,
) -> None:
    options = ProgramOptions(completed=frozenset({WORKERS_JOB}))
    spot = plan_for(example(EU_CENTRAL), options)
    fleet = spot.by_name("spot-fleet").inputs
    assert (fleet["targetCapacity"], fleet["onDemandTargetCapacity"]) == (0, 0)
    group = plan_for(example(US_WEST), options).by_name("gpu-instances").inputs
    assert group["maxSize"] == example(US_WEST)["fleet"]["instances"]  # managed scaling scales it in by itself
