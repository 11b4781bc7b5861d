"""AWS names: deterministic and within their limits. Logical names: in one place, never changed."""

from __future__ import annotations

import ast

import pytest
from program_helpers import MINIMAL, ROOT, as_spot_fleet, merged

from ftcluster.program import names as logical
from ftcluster.program.names import names_for
from ftcluster.spec.aws_rules import check_bucket_name, known_regions
from ftcluster.spec.models import NAME_MAX_LENGTH

LONGEST_NAME = "a" * (NAME_MAX_LENGTH - 1) + "1"
PROGRAM = ROOT / "src" / "ftcluster" / "program"


@pytest.fixture(scope="module")
def longest_region() -> str:
    regions = sorted(known_regions(), key=lambda r: (len(r), r))
    assert len(regions) > 20  # botocore's region list was found
    return regions[-1]


def test_every_name_fits_for_the_longest_cluster_and_region(spec_from, longest_region: str) -> None:
    spec = spec_from(merged(MINIMAL, {"name": LONGEST_NAME, "region": longest_region}))
    lengths = names_for(spec).lengths()
    assert len(lengths) >= 20
    too_long = {key: (name, len(name), limit) for key, (name, limit) in lengths.items() if len(name) > limit}
    assert not too_long
    bucket, _ = lengths["checkpoint_bucket"]
    assert check_bucket_name(bucket) is None, bucket


def test_names_depend_only_on_the_spec(spec_from) -> None:
    one = names_for(spec_from(merged(MINIMAL, {"name": "exp-7"})))
    two = names_for(spec_from(merged(MINIMAL, {"name": "exp-7"})))
    assert one == two
    assert one.checkpoint_bucket("123456789012") == "exp-7-ckpt-123456789012-us-east-1"
    assert one.task_role == "exp-7-us-east-1-task"  # IAM is account-wide: the region keeps clusters apart
    assert one.cluster == "exp-7" and one.training_service == "exp-7-training"


# Logical (Pulumi) names key the state: a renamed one replaces that resource on every deployed
# cluster. These lists may only grow; changing or dropping an entry needs a migration (aliases).
COMMON_LOGICAL_NAMES = {
    "aws-us-east-1",
    # network
    "vpc", "internet-gateway", "public-routes", "public-default-route", "s3-endpoint",
    *(f"public-subnet-{i}" for i in (1, 2, 3)),
    *(f"public-subnet-{i}-routes" for i in (1, 2, 3)),
    *(f"private-subnet-{i}" for i in (1, 2, 3)),
    *(f"private-subnet-{i}-routes" for i in (1, 2, 3)),
    *(f"private-routes-{i}" for i in (1, 2, 3)),
    *(f"private-default-route-{i}" for i in (1, 2, 3)),
    *(f"nat-address-{i}" for i in (1, 2, 3)),
    *(f"nat-gateway-{i}" for i in (1, 2, 3)),
    # security, iam, logs
    "tasks-security-group",
    "execution-role", "execution-role-policy", "task-role", "task-role-checkpoints",
    "instance-role", "instance-role-policy", "instance-profile",
    "log-group", "container-insights-log-group",
    # checkpoints
    "checkpoint-bucket", "checkpoint-bucket-ownership", "checkpoint-bucket-public-access",
    "checkpoint-bucket-encryption", "checkpoint-bucket-versioning", "checkpoint-bucket-lifecycle",
    "checkpoint-bucket-policy",
    # compute, scaling, fleet
    "cluster", "cluster-capacity-providers", "training-task", "training-service",
    "training-scaling", "training-scaling-cpu", "training-scaling-memory",
    "fleet-launch-template", "workers-task", "workers-service",
    # event recording (the interruption ledger)
    "event-log-group", "event-log-policy",
    *(f"event-rule-{source}" for source in ("tasks", "spot", "instances", "drills")),
    *(f"event-rule-{source}-target" for source in ("tasks", "spot", "instances", "drills")),
    # completion: a job that finished stays finished
    "completion-rule", "completion-rule-target", "completion-state-machine",
    "completion-events-role", "completion-events-policy", "completion-steps-role", "completion-steps-policy",
    "training-completion", "workers-completion",
}  # fmt: skip
# The us-east-1 example deployed a Spot Fleet until the Auto Scaling group became the default; a
# cluster that keeps `type: spot_fleet` must keep these names, or `up` would replace its fleet.
SPOT_FLEET_LOGICAL_NAMES = COMMON_LOGICAL_NAMES | {"spot-fleet-role", "spot-fleet-role-policy", "spot-fleet"}
US_EAST_LOGICAL_NAMES = COMMON_LOGICAL_NAMES | {"gpu-instances", "gpu-capacity-provider"}
DISTRIBUTED_LOGICAL_NAMES = {
    "discovery-namespace",
    "workers-discovery",
    "rendezvous-discovery",
    "rendezvous-task",
    "rendezvous-service",
}


def test_the_logical_names_of_the_us_east_1_plan_never_change(us_east) -> None:
    assert sorted(r.name for r in us_east.resources) == sorted(US_EAST_LOGICAL_NAMES)


def test_the_spot_fleet_mode_keeps_every_logical_name_it_always_had(us_east_spot) -> None:
    assert sorted(r.name for r in us_east_spot.resources) == sorted(SPOT_FLEET_LOGICAL_NAMES)


def test_an_elastic_job_adds_only_its_own_resources(us_west) -> None:
    names = {r.name for r in us_west.resources}
    # us-west-2 has no auto scaling policies of the training service (an elastic job refuses them)
    without = US_EAST_LOGICAL_NAMES - {"training-scaling-cpu", "training-scaling-memory", "aws-us-east-1"}
    assert names == {n.replace("aws-us-east-1", "aws-us-west-2") for n in without | DISTRIBUTED_LOGICAL_NAMES} | {
        "aws-us-west-2"
    }


def test_the_names_other_layers_address_keep_their_values() -> None:
    assert (logical.SCALING_TARGET, logical.TRAINING_SERVICE) == ("training-scaling", "training-service")
    assert (logical.SPOT_FLEET, logical.CHECKPOINT_BUCKET) == ("spot-fleet", "checkpoint-bucket")
    assert (logical.GPU_INSTANCES, logical.WORKERS_SERVICE) == ("gpu-instances", "workers-service")


def test_the_launch_template_is_named_for_its_fleet_type(spec_from) -> None:
    # Its name is ForceNew: a change of type must replace it (and so every instance), never edit it.
    group_spec = merged(MINIMAL, {"name": "exp-7", "fleet": {"max_instances": 2, "instance_types": ["g5.xlarge"]}})
    group = names_for(spec_from(group_spec))
    spot = names_for(spec_from(as_spot_fleet(group_spec)))
    assert (spot.launch_template, group.launch_template) == ("exp-7-fleet", "exp-7-gpu")
    assert group.auto_scaling_group == group.capacity_provider == "exp-7-gpu"
    assert group.discovery_namespace == "exp-7.ftcluster"


def resource_calls(tree: ast.AST) -> list[ast.Call]:
    """Calls of a pulumi_aws resource class: `aws.Provider(...)`, `aws.ec2.Vpc(...)`."""
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        parts, value = [node.func.attr], node.func.value
        while isinstance(value, ast.Attribute):
            parts.append(value.attr)
            value = value.value
        if isinstance(value, ast.Name) and value.id == "aws" and parts[0][:1].isupper():
            calls.append(node)
    return calls


def test_no_program_module_spells_a_logical_name_itself() -> None:
    modules = sorted(PROGRAM.glob("*.py"))
    checked = 0
    for module in modules:
        if module.name == "names.py":
            continue
        for call in resource_calls(ast.parse(module.read_text(), filename=str(module))):
            checked += 1
            first = call.args[0] if call.args else None
            spelled = isinstance(first, ast.JoinedStr) or (
                isinstance(first, ast.Constant) and isinstance(first.value, str)
            )
            assert first is not None and not spelled, f"{module.name}:{call.lineno}: use a name from program/names.py"
    assert checked >= 30  # the walk really found the resource declarations


TYPE_TOKENS = {name: value for name, value in vars(logical).items() if name.endswith("_TYPE")}


def test_each_type_token_is_the_one_its_pulumi_aws_class_registers() -> None:
    import inspect

    from program_helpers import resource_class

    assert len(TYPE_TOKENS) >= 35
    for name, token in TYPE_TOKENS.items():
        if token.startswith("pulumi:"):
            continue  # Pulumi's own: the stack and the provider
        registered = inspect.getsource(resource_class(token)._internal_init)
        assert f"'{token}'" in registered, f"{name}: pulumi_aws registers no {token}"


def test_the_program_declares_no_type_other_layers_cannot_name(us_east, us_east_spot, us_west, eu_west) -> None:
    declared = {r.type for plan in (us_east, us_east_spot, us_west, eu_west) for r in plan.resources}
    assert declared <= set(TYPE_TOKENS.values())
    assert set(TYPE_TOKENS.values()) - declared == {logical.STACK_TYPE}  # and nothing stale


def test_the_plan_groups_the_names_of_the_elastic_job_and_the_workers(us_west) -> None:
    from ftcluster.offline import concern_of

    concerns = {r.name: concern_of(r.type, r.name) for r in us_west.resources}
    assert {n for n, c in concerns.items() if c == "distributed"} == logical.DISTRIBUTED_NAMES
    assert {n for n, c in concerns.items() if c == "fleet workers"} == logical.FLEET_WORKERS_NAMES
