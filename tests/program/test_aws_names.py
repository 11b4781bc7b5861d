"""Every name, description and tag in the plan passes the rules AWS and the provider apply.

A name AWS rejects fails every `up` (an apostrophe in a security group rule description failed
every preview); the mocks accept anything, so the rules are written down here, one row each,
with the source they come from: terraform-provider-aws (the provider pulumi_aws 7 wraps), or the
API model in botocore's service-2.json where the API is stricter than the provider. The rules
run over several spec variants, the longest names included.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from program_helpers import (
    EU_CENTRAL,
    EU_WEST,
    MINIMAL,
    US_EAST,
    US_WEST,
    defaults_reach,
    example,
    merged,
    tag_map,
    taggable,
)

from ftcluster.offline import PLACEHOLDER_PREFIX, OfflinePlan, placeholder
from ftcluster.spec.aws_rules import MAX_TAGS, check_bucket_name, known_regions
from ftcluster.spec.models import MAX_USER_TAGS, NAME_MAX_LENGTH

ACCOUNT_ID = "123456789012"  # stands in for the account id AWS fills into the bucket name

TF = "hashicorp/terraform-provider-aws "
BOTOCORE = "botocore/data "


@dataclass(frozen=True)
class Rule:
    """Length bounds plus an allowed-value test, as the source states them."""

    low: int
    high: int
    allowed: Callable[[str], bool] = lambda value: True
    meaning: str = ""

    def problem(self, value: str) -> str | None:
        if not self.low <= len(value) <= self.high:
            return f"length {len(value)} is outside {self.low}..{self.high}"
        if not self.allowed(value):
            return f"not {self.meaning}"
        return None


def pattern(regex: str, meaning: str = "") -> Callable[[str], bool]:
    compiled = re.compile(regex)
    return lambda value: compiled.fullmatch(value) is not None


def unicode_chars(categories: str, extra: str) -> Callable[[str], bool]:
    """`[\\p{L}\\p{Z}\\p{N}...]*` for Python's re, which has no \\p classes: by Unicode category."""
    return lambda value: all(unicodedata.category(ch)[0] in categories or ch in extra for ch in value)


def both(*tests: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda value: all(test(value) for test in tests)


EC2_CHARS = r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*"  # EC2 GroupName / GroupDescription / IpRange
EC2_GROUP_PAIR_CHARS = r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=;{}!$*]*"  # UserIdGroupPair: no `&`
IAM_NAME = pattern(r"[\w+=,.@-]*")
IAM_PATH = pattern(r"(/)|(/[\u0021-\u007E]+/)")
ECS_NAME = pattern(r"[0-9A-Za-z_-]+")
TAG_CHARS = unicode_chars("LZN", "_.:/=+-@")
NOT_AWS_PREFIX = lambda value: not value.lower().startswith("aws:")  # noqa: E731


def provider_bucket_name(value: str) -> bool:
    """validBucketName outside us-east-1 (stricter, so it must hold everywhere)."""
    return (
        re.fullmatch(r"[0-9a-z-.]+", value) is not None
        and re.fullmatch(r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}", value) is None
        and not value.startswith(".")
        and not value.endswith(".")
        and ".." not in value
    )


SG = "aws:ec2/securityGroup:SecurityGroup"
ROLE = "aws:iam/role:Role"
PROFILE = "aws:iam/instanceProfile:InstanceProfile"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
BUCKET = "aws:s3/bucket:Bucket"
GROUP = "aws:autoscaling/group:Group"
CAPACITY_PROVIDER = "aws:ecs/capacityProvider:CapacityProvider"
NAMESPACE = "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace"
REGISTRY = "aws:servicediscovery/service:Service"
# botocore servicediscovery ServiceName: DNS labels of 1-63 characters, at most 127 in all
CLOUD_MAP_SERVICE = r"(?=.{1,127}$)([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9])(\.([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9]))*"

# (resource type, path in the inputs, rule, source). `a[].b` is field b of every item of list a;
# `tags{key}` / `tags{value}` are every key / value of a tag map. Tag rows apply to every type.
RULES: list[tuple[str, str, Rule, str]] = [
    (SG, "name", Rule(0, 255, lambda v: not v.startswith("sg-"), "free of the sg- prefix"),
     TF + "internal/service/ec2/vpc_security_group.go (name)"),
    (SG, "name", Rule(0, 255, pattern(EC2_CHARS), "EC2 group name characters"),
     BOTOCORE + "ec2/2016-11-15 CreateSecurityGroupRequest.GroupName"),
    (SG, "description", Rule(0, 255), TF + "internal/service/ec2/vpc_security_group.go (description)"),
    (SG, "description", Rule(0, 255, pattern(EC2_CHARS), "EC2 group description characters"),
     BOTOCORE + "ec2/2016-11-15 CreateSecurityGroupRequest.GroupDescription"),
    (SG, "ingress[].description", Rule(0, 255, pattern(EC2_CHARS), "a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$*"),
     TF + "internal/service/ec2/validate.go (validSecurityGroupRuleDescription)"),
    (SG, "ingress[].description", Rule(0, 255, pattern(EC2_GROUP_PAIR_CHARS), "group-pair description characters"),
     BOTOCORE + "ec2/2016-11-15 UserIdGroupPair.Description (a self rule is a group pair)"),
    (SG, "egress[].description", Rule(0, 255, pattern(EC2_CHARS), "a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$*"),
     TF + "internal/service/ec2/validate.go (validSecurityGroupRuleDescription)"),
    (ROLE, "name", Rule(1, 64, IAM_NAME, r"[\w+=,.@-]"),
     TF + "internal/service/iam/role.go (validResourceName(roleNameMaxLen = 64)), iam/validate.go"),
    (ROLE, "path", Rule(0, 512), TF + "internal/service/iam/role.go (path)"),
    (ROLE, "path", Rule(1, 512, IAM_PATH, "/ or /.../"), BOTOCORE + "iam/2010-05-08 pathType"),
    (ROLE, "description",
     Rule(0, 1000, both(lambda v: not re.search("[“‘]", v), unicode_chars("LMZSNP", "")), "printable, no curly quotes"),
     TF + "internal/service/iam/role.go (description)"),
    (ROLE, "description", Rule(0, 1000, pattern("[\u0009\u000a\u000d\u0020-\u007e\u00a1-\u00ff]*"), "Latin-1 text"),
     BOTOCORE + "iam/2010-05-08 roleDescriptionType"),
    ("aws:iam/rolePolicy:RolePolicy", "name", Rule(1, 128, IAM_NAME, r"[\w+=,.@-]"),
     TF + "internal/service/iam/role_policy.go (validRolePolicyName, rolePolicyNameMaxLen = 128)"),
    ("aws:iam/rolePolicy:RolePolicy", "role",
     Rule(1, 128, both(IAM_NAME, lambda v: not v.startswith("arn:")), "a role name, not an ARN"),
     TF + "internal/service/iam/validate.go (validRolePolicyRole)"),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "role", Rule(1, 64, IAM_NAME, r"[\w+=,.@-]"),
     BOTOCORE + "iam/2010-05-08 roleNameType (AttachRolePolicy.RoleName)"),
    (PROFILE, "name", Rule(1, 128, IAM_NAME, r"[\w+=,.@-]"),
     TF + "internal/service/iam/instance_profile.go (validResourceName(instanceProfileNameMaxLen = 128))"),
    (PROFILE, "path", Rule(1, 512, IAM_PATH, "/ or /.../"), BOTOCORE + "iam/2010-05-08 pathType"),
    (PROFILE, "role", Rule(1, 64, IAM_NAME, r"[\w+=,.@-]"),
     BOTOCORE + "iam/2010-05-08 roleNameType (AddRoleToInstanceProfile.RoleName)"),
    ("aws:ecs/cluster:Cluster", "name", Rule(1, 255, ECS_NAME, "[0-9A-Za-z_-]"),
     TF + "internal/service/ecs/validate.go (validateClusterName)"),
    ("aws:ecs/service:Service", "name", Rule(1, 255, ECS_NAME, "letters, numbers, _ and -"),
     BOTOCORE + "ecs/2014-11-13 CreateServiceRequest.serviceName (the provider checks none)"),
    (TASK_DEFINITION, "family", Rule(1, 255, ECS_NAME, "[0-9A-Za-z_-]"),
     TF + "internal/service/ecs/task_definition.go (family)"),
    (TASK_DEFINITION, "containerDefinitions[].name", Rule(1, 255, ECS_NAME, "letters, numbers, _ and -"),
     BOTOCORE + "ecs/2014-11-13 ContainerDefinition.name"),
    ("aws:cloudwatch/logGroup:LogGroup", "name", Rule(1, 512, pattern(r"[0-9A-Za-z_./#-]+"), "[0-9A-Za-z_./#-]"),
     TF + "internal/service/logs/validate.go (validLogGroupName)"),
    (TEMPLATE, "name", Rule(3, 125, pattern(r"[0-9A-Za-z()./_\-]+"), "[0-9A-Za-z()./_-]"),
     TF + "internal/verify/validate.go (ValidLaunchTemplateName)"),
    (TEMPLATE, "description", Rule(0, 255),
     TF + "internal/service/ec2/ec2_launch_template.go (description); VersionDescription max 255 in botocore"),
    (SCALING_POLICY, "name", Rule(1, 255, str.isprintable, "printable"),
     TF + "internal/service/appautoscaling/policy.go (name 0..255); PolicyName \\p{Print}+ in botocore"),
    (SCALING_POLICY, "resourceId", Rule(1, 1600), BOTOCORE + "application-autoscaling ResourceIdMaxLen1600"),
    ("aws:appautoscaling/target:Target", "resourceId", Rule(1, 1600),
     BOTOCORE + "application-autoscaling ResourceIdMaxLen1600"),
    (BUCKET, "bucket", Rule(3, 63, provider_bucket_name, "a DNS-compliant bucket name"),
     TF + "internal/service/s3/bucket.go (validBucketName)"),
    (BUCKET, "bucket", Rule(3, 63, lambda v: check_bucket_name(v) is None, "a valid bucket name"),
     "S3 bucket naming rules, as the spec checks them (ftcluster/spec/aws_rules.py check_bucket_name)"),
    ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "rules[].id", Rule(1, 255),
     BOTOCORE + "s3 LifecycleRule.ID"),
    (GROUP, "name", Rule(0, 255), TF + "internal/service/autoscaling/group.go (name: StringLenBetween(0, 255))"),
    (GROUP, "name", Rule(1, 255, lambda v: v.isascii() and v.isprintable() and ":" not in v, "ASCII, no colon"),
     BOTOCORE + "autoscaling CreateAutoScalingGroupType.AutoScalingGroupName (ASCII 33-126, no colon)"),
    (CAPACITY_PROVIDER, "name",
     Rule(1, 255, both(ECS_NAME, lambda v: not v.lower().startswith(("aws", "ecs", "fargate"))),
          "letters, numbers, _ and -, not prefixed aws, ecs or fargate"),
     BOTOCORE + "ecs CreateCapacityProviderRequest.name (the provider checks none)"),
    (NAMESPACE, "name", Rule(1, 1024, pattern(r"[0-9A-Za-z._-]+"), "[0-9A-Za-z._-]"),
     TF + "internal/service/servicediscovery/validate.go (validNamespaceName)"),
    (NAMESPACE, "name", Rule(1, 253, lambda v: not v.startswith("arn:"), "no ARN"),
     BOTOCORE + "servicediscovery NamespaceNamePrivate"),
    (NAMESPACE, "description", Rule(0, 1024), BOTOCORE + "servicediscovery ResourceDescription"),
    (REGISTRY, "name", Rule(1, 127, pattern(CLOUD_MAP_SERVICE), "DNS labels"), BOTOCORE + "servicediscovery ServiceName"),
    (REGISTRY, "description", Rule(0, 1024), BOTOCORE + "servicediscovery ResourceDescription"),
    ("aws:cloudwatch/eventRule:EventRule", "name", Rule(1, 64, pattern(r"[.\-_A-Za-z0-9]+"), "[.-_A-Za-z0-9]"),
     BOTOCORE + "events PutRuleRequest.Name"),
    ("aws:cloudwatch/eventRule:EventRule", "description", Rule(0, 512), BOTOCORE + "events PutRuleRequest.Description"),
    ("aws:sfn/stateMachine:StateMachine", "name", Rule(1, 80, pattern(r"[0-9A-Za-z_-]+"), "letters, digits, - and _"),
     BOTOCORE + "stepfunctions CreateStateMachineInput.name (1..80); the Step Functions API reference allows no "
     "whitespace, brackets, wildcards, punctuation or control characters"),
    ("aws:ssm/parameter:Parameter", "name",
     Rule(1, 1011, both(pattern(r"/[a-zA-Z0-9_.\-/]+"), lambda v: not v.lower().lstrip("/").startswith(("aws", "ssm"))),
          "a path of a-zA-Z0-9_.-/, not starting with aws or ssm"),
     "SSM User Guide, 'Parameter naming requirements' (1011 characters with the path; botocore allows 2048)"),
    ("aws:ssm/parameter:Parameter", "description", Rule(0, 1024), BOTOCORE + "ssm PutParameterRequest.Description"),
    ("*", "tags{key}", Rule(1, 128, both(TAG_CHARS, NOT_AWS_PREFIX), "letters, digits, spaces, _.:/=+-@; no aws:"),
     BOTOCORE + "iam tagKeyType, logs TagKey, ecs TagKey (the strictest services the default tags reach)"),
    ("*", "tags{value}", Rule(0, 256, TAG_CHARS, "letters, digits, spaces, _.:/=+-@"),
     BOTOCORE + "iam tagValueType, logs TagValue, ecs TagValue"),
]  # fmt: skip

# Named fields that are not names we choose, so no rule applies.
NOT_NAMES = {
    ("aws:ecs/cluster:Cluster", "settings[].name"): "a ClusterSettingName enum value (containerInsights)",
    (TASK_DEFINITION, "containerDefinitions[].environment[].name"): "checked by the spec (aws_rules.check_env_name)",
}

NAME_KEYS = {"name", "namePrefix", "description", "family", "path", "bucket", "role", "resourceId", "id"}


def named_values(inputs: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(path, value) of every name-like string and every tag key and value in the inputs."""

    def walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
        if isinstance(value, list):
            for item in value:
                yield from walk(item, f"{path}[]")
        if not isinstance(value, dict):
            return
        for key, item in value.items():
            here = f"{path}.{key}" if path else key
            if key == "tags" and isinstance(item, dict):
                for tag, text in item.items():
                    yield f"{here}{{key}}", tag
                    yield f"{here}{{value}}", text
            elif key == "tags" and isinstance(item, list):  # an Auto Scaling group's tag blocks
                for tag in item:
                    yield f"{here}{{key}}", tag["key"]
                    yield f"{here}{{value}}", tag["value"]
            elif key in NAME_KEYS and isinstance(item, str):
                yield here, item
            else:
                yield from walk(item, here)

    if isinstance(inputs.get("containerDefinitions"), str):  # JSON text, as the provider gets it
        inputs = {**inputs, "containerDefinitions": json.loads(inputs["containerDefinitions"])}
    for path, value in walk(inputs, ""):
        if value.startswith(PLACEHOLDER_PREFIX) and value.endswith(">") and value.count(">") == 1:
            continue  # a reference to another resource's id or ARN: that resource is checked itself
        yield path, value.replace(placeholder("account id"), ACCOUNT_ID)


def rules_for(type_token: str, path: str) -> list[tuple[Rule, str]]:
    tag_path = path.rsplit("tags", 1)
    generic = "tags" + tag_path[1] if len(tag_path) == 2 and tag_path[1] in ("{key}", "{value}") else None
    return [
        (rule, source) for t, p, rule, source in RULES if (t, p) == (type_token, path) or (t == "*" and p == generic)
    ]


# --- spec variants ---------------------------------------------------------------------------------


def longest_region() -> str:
    return sorted(known_regions(), key=lambda r: (len(r), r))[-1]


def many_tags() -> dict[str, str]:
    """As many tags as the spec allows, the longest key and value among them."""
    tags = {"k" * 128: "v" * 256, "team": "ml platform_1.2:3/4=5+6-7@8"}
    tags.update({f"tag-{i}": f"value {i}" for i in range(MAX_USER_TAGS - len(tags))})
    return tags


VARIANTS: dict[str, Callable[[], dict[str, Any]]] = {
    "us-east-1": lambda: example(US_EAST),
    "eu-west-1": lambda: example(EU_WEST),
    "us-west-2": lambda: example(US_WEST),
    "eu-central-1": lambda: example(EU_CENTRAL),
    "longest": lambda: {
        **merged(
            example(US_WEST),  # an Auto Scaling group fleet and an elastic job: the most names
            {
                "name": "a" * (NAME_MAX_LENGTH - 1) + "1",
                "region": longest_region(),
                "network": {"availability_zones": 6, "nat": "single"},
            },
        ),
        "tags": many_tags(),  # replaces the example's tags
    },
    "no-nat": lambda: merged(
        MINIMAL,
        {
            "network": {"nat": "none", "availability_zones": 2},
            "fleet": {"instances": 1, "instance_types": ["c7g.large"], "workers": {"tasks": 1}},
        },
    ),
}


def plan_of(name: str, plan_for, us_east: OfflinePlan, eu_west: OfflinePlan) -> OfflinePlan:
    return {"us-east-1": us_east, "eu-west-1": eu_west}.get(name) or plan_for(VARIANTS[name]())


@pytest.fixture(params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest, plan_for, us_east: OfflinePlan, eu_west: OfflinePlan) -> OfflinePlan:
    return plan_of(request.param, plan_for, us_east, eu_west)


def test_every_name_description_and_tag_passes_its_rules(variant: OfflinePlan) -> None:
    problems, unruled = [], set()
    for resource in variant.resources:
        for path, value in named_values(resource.inputs):
            rules = rules_for(resource.type, path)
            if not rules and (resource.type, path) not in NOT_NAMES:
                unruled.add((resource.type, path))
            for rule, source in rules:
                problem = rule.problem(value)
                if problem:
                    problems.append(f"{resource.name} {path} = {value!r}: {problem} ({source})")
    assert not unruled, f"add a row to RULES (or NOT_NAMES) for: {sorted(unruled)}"
    assert not problems, "\n".join(problems)


def test_no_resource_carries_more_tags_than_aws_allows(variant: OfflinePlan) -> None:
    # The provider sends its default tags and the resource's own together (tags_all); AWS allows
    # 50 per resource (botocore ecs Tag: "Maximum number of tags per resource - 50").
    (provider,) = variant.of_type("pulumi:providers:aws")
    default = provider.inputs["defaultTags"]["tags"]
    counted = 0
    for resource in variant.resources:
        if resource is provider or not taggable(resource.type):
            continue
        counted += 1
        reached = default if defaults_reach(resource.type) else {}
        assert len({**reached, **tag_map(resource.inputs)}) <= MAX_TAGS, resource.name
        for spec in resource.inputs.get("tagSpecifications", []):  # what the fleet launches
            assert len(spec["tags"]) <= MAX_TAGS, f"{resource.name} {spec['resourceType']}"
            # an instance also gets the group's tags that propagate at launch
            propagated = {t["key"] for g in variant.of_type(GROUP) for t in g.inputs["tags"] if t["propagateAtLaunch"]}
            assert len(set(spec["tags"]) | propagated) <= MAX_TAGS, f"{resource.name} {spec['resourceType']}"
    assert counted >= 5


def test_the_longest_variant_reaches_the_limits_it_is_meant_to_test(plan_for) -> None:
    plan = plan_for(VARIANTS["longest"]())
    assert len(plan.by_name("cluster").inputs["name"]) == NAME_MAX_LENGTH
    assert plan.by_name("gpu-instances") and plan.by_name("rendezvous-service")
    assert len(plan.of_type("pulumi:providers:aws")[0].inputs["defaultTags"]["tags"]) == MAX_USER_TAGS + 1
    assert plan.by_name("public-subnet-6")  # the highest AZ index


def test_every_rule_row_is_used_by_some_variant(plan_for, us_east: OfflinePlan, eu_west: OfflinePlan) -> None:
    used = set()
    for name in VARIANTS:
        for resource in plan_of(name, plan_for, us_east, eu_west).resources:
            for path, _ in named_values(resource.inputs):
                used.update((t, p) for t, p, _, _ in RULES if (t, p) == (resource.type, path))
                used.update(("*", p) for t, p, _, _ in RULES if t == "*" and path.endswith(p))
    assert {(t, p) for t, p, _, _ in RULES} <= used


@pytest.mark.parametrize(
    ("type_token", "path", "bad"),
    [
        (SG, "ingress[].description", "training traffic between the cluster's tasks"),  # the old one
        (SG, "name", "sg-tasks"),
        (ROLE, "name", "a" * 65),
        ("aws:cloudwatch/logGroup:LogGroup", "name", "/ftcluster/a b"),
        (TEMPLATE, "name", "ab"),
        (BUCKET, "bucket", "Upper-Case"),
        (CAPACITY_PROVIDER, "name", "ecs-train-gpu"),
        (GROUP, "name", "a:b"),
        (REGISTRY, "name", "-workers"),
        ("*", "tags{key}", "aws:owner"),
        ("*", "tags{value}", "a#b"),
    ],
)
def test_the_rules_reject_what_aws_rejects(type_token: str, path: str, bad: str) -> None:
    rules = [rule for t, p, rule, _ in RULES if (t, p) == (type_token, path)]
    assert rules and any(rule.problem(bad) for rule in rules)
