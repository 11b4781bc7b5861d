"""AWS names: deterministic and within their limits. Logical names: in one place, never changed."""

from __future__ import annotations

import ast

import pytest
from program_helpers import MINIMAL, ROOT, merged

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
    assert len(lengths) >= 15
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
# cluster. This list may only grow; changing or dropping an entry needs a migration (aliases).
US_EAST_LOGICAL_NAMES = {
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
    "instance-role", "instance-role-policy", "instance-profile", "spot-fleet-role", "spot-fleet-role-policy",
    "log-group", "container-insights-log-group",
    # checkpoints
    "checkpoint-bucket", "checkpoint-bucket-ownership", "checkpoint-bucket-public-access",
    "checkpoint-bucket-encryption", "checkpoint-bucket-versioning", "checkpoint-bucket-lifecycle",
    "checkpoint-bucket-policy",
    # compute, scaling, fleet
    "cluster", "cluster-capacity-providers", "training-task", "training-service",
    "training-scaling", "training-scaling-cpu", "training-scaling-memory",
    "fleet-launch-template", "spot-fleet", "workers-task", "workers-service",
}  # fmt: skip


def test_the_logical_names_of_the_us_east_1_plan_never_change(us_east) -> None:
    assert sorted(r.name for r in us_east.resources) == sorted(US_EAST_LOGICAL_NAMES)


def test_the_names_other_layers_address_keep_their_values() -> None:
    assert (logical.SCALING_TARGET, logical.TRAINING_SERVICE) == ("training-scaling", "training-service")
    assert (logical.SPOT_FLEET, logical.CHECKPOINT_BUCKET) == ("spot-fleet", "checkpoint-bucket")


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
            spelled = isinstance(first, ast.JoinedStr) or (isinstance(first, ast.Constant) and isinstance(first.value, str))
            assert first is not None and not spelled, f"{module.name}:{call.lineno}: use a name from program/names.py"
    assert checked >= 30  # the walk really found the resource declarations
