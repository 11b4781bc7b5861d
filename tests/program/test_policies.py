"""Policy checks over the whole registered graph, for every spec shape we ship or allow."""

from __future__ import annotations

import json
from typing import Any

import pytest
from program_helpers import MINIMAL, defaults_reach, merged, tag_map, taggable

from ftcluster.offline import OfflinePlan

VARIANTS: dict[str, dict[str, Any]] = {
    "minimal": MINIMAL,
    "single-nat": merged(MINIMAL, {"network": {"nat": "single", "availability_zones": 2}}),
    "no-nat-with-fleet": merged(
        MINIMAL,
        {
            "network": {"nat": "none"},
            "training": {"port": 8000},
            "fleet": {"max_instances": 2, "instance_types": ["c7g.large"], "workers": {"tasks": 1}},
        },
    ),
    "no-nat-spot-fleet": merged(
        MINIMAL,
        {
            "network": {"nat": "none"},
            "fleet": {"type": "spot_fleet", "instances": 2, "instance_types": ["c7g.large"], "workers": {"tasks": 1}},
        },
    ),
}
EXAMPLES = ("us-east-1", "eu-west-1", "us-west-2", "eu-central-1")  # Auto Scaling group, none, elastic, Spot Fleet


@pytest.fixture(params=[*EXAMPLES, *VARIANTS])
def plan(
    request: pytest.FixtureRequest,
    us_east: OfflinePlan,
    eu_west: OfflinePlan,
    us_west: OfflinePlan,
    eu_central: OfflinePlan,
    plan_for,
) -> OfflinePlan:
    examples = dict(zip(EXAMPLES, (us_east, eu_west, us_west, eu_central), strict=False))
    return examples.get(request.param) or plan_for(VARIANTS[request.param])


def test_every_taggable_resource_is_tagged_through_the_provider(plan: OfflinePlan) -> None:
    (provider,) = plan.of_type("pulumi:providers:aws")
    tags = provider.inputs["defaultTags"]["tags"]
    cluster = plan.exports["cluster_name"]
    assert tags["ftcluster:cluster"] == cluster
    taggable_resources = [r for r in plan.resources if r is not provider and taggable(r.type)]
    assert len(taggable_resources) >= 5  # the check has something to check
    for resource in taggable_resources:
        assert resource.options["provider"] == provider.name, resource.name
        own = tag_map(resource.inputs)
        if defaults_reach(resource.type):
            # A resource tag may add to the default tags but never overrides the cluster tag.
            assert own.get("ftcluster:cluster", cluster) == cluster, resource.name
        else:
            # The default tags do not reach it (an Auto Scaling group): it carries every one itself.
            assert tags.items() <= own.items(), resource.name


def test_what_the_fleet_launches_carries_the_cluster_tags_itself(plan: OfflinePlan) -> None:
    (provider,) = plan.of_type("pulumi:providers:aws")
    expected = provider.inputs["defaultTags"]["tags"]
    for template in plan.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        for spec in template.inputs["tagSpecifications"]:
            assert expected.items() <= spec["tags"].items(), spec["resourceType"]


def test_no_ingress_from_the_internet(plan: OfflinePlan) -> None:
    rules = [
        rule
        for group in plan.of_type("aws:ec2/securityGroup:SecurityGroup")
        for rule in group.inputs.get("ingress", [])
    ]
    rules += [r.inputs for r in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")]
    for rule in rules:
        assert "0.0.0.0/0" not in rule.get("cidrBlocks", []) and rule.get("cidrIpv4") != "0.0.0.0/0"
        assert "::/0" not in rule.get("ipv6CidrBlocks", []) and rule.get("cidrIpv6") != "::/0"
        assert rule.get("self") or rule.get("securityGroups") or rule.get("referencedSecurityGroupId")


def test_every_created_bucket_is_encrypted_versioned_and_private(plan: OfflinePlan) -> None:
    def settings_of(type_token: str, bucket_id: str) -> list[dict[str, Any]]:
        return [r.inputs for r in plan.of_type(type_token) if r.inputs["bucket"] == bucket_id]

    for bucket in plan.of_type("aws:s3/bucket:Bucket"):
        bucket_id = f"<known after deploy: id of {bucket.name}>"
        (encryption,) = settings_of(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", bucket_id
        )
        (rule,) = encryption["rules"]
        assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] in ("AES256", "aws:kms")
        (versioning,) = settings_of("aws:s3/bucketVersioning:BucketVersioning", bucket_id)
        assert versioning["versioningConfiguration"]["status"] == "Enabled"
        (block,) = settings_of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket_id)
        assert all(
            block[key] is True
            for key in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        )
        assert "acl" not in bucket.inputs and "policy" not in bucket.inputs


def test_every_launch_template_requires_imdsv2_and_encrypts_its_disks(plan: OfflinePlan) -> None:
    for template in plan.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        assert template.inputs["metadataOptions"]["httpTokens"] == "required"
        assert all(m["ebs"]["encrypted"] == "true" for m in template.inputs["blockDeviceMappings"])


def test_no_inline_iam_policy_allows_a_wildcard_action_or_resource(plan: OfflinePlan) -> None:
    policies = plan.of_type("aws:iam/rolePolicy:RolePolicy")
    assert policies
    for policy in policies:
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert all(a != "*" and not a.endswith(":*") for a in actions), policy.name
            assert all(r != "*" for r in resources), policy.name


def test_no_role_uses_the_deprecated_inline_or_managed_policy_arguments(plan: OfflinePlan) -> None:
    for role in plan.of_type("aws:iam/role:Role"):
        assert "inlinePolicies" not in role.inputs and "managedPolicyArns" not in role.inputs


def test_every_name_is_unique_and_nothing_uses_the_ambient_provider(plan: OfflinePlan) -> None:
    names = [r.name for r in plan.resources]
    assert len(names) == len(set(names))
    assert all(r.options["provider"] for r in plan.resources if not r.type.startswith("pulumi:providers:"))


def test_checkpoints_survive_destroy_by_default_but_nothing_is_protected(us_east: OfflinePlan) -> None:
    checkpoint_resources = [r for r in us_east.resources if r.type.startswith("aws:s3/")]
    assert len(checkpoint_resources) == 7
    assert all(r.options["retainOnDelete"] for r in checkpoint_resources)
    assert us_east.by_name("checkpoint-bucket").inputs["forceDestroy"] is False
    assert not any(r.options["protect"] for r in us_east.resources)  # protect would block destroy
    others = [r for r in us_east.resources if not r.type.startswith("aws:s3/")]
    assert not any(r.options["retainOnDelete"] for r in others)


def test_nothing_an_elastic_job_depends_on_runs_on_spot(plan: OfflinePlan) -> None:
    # A lost rendezvous store ends the job on every worker: on-demand Fargate only.
    for service in plan.of_type("aws:ecs/service:Service"):
        if service.name.startswith("rendezvous-"):
            assert service.inputs["capacityProviderStrategies"] == [
                {"base": 1, "capacityProvider": "FARGATE", "weight": 1}
            ]
            assert "launchType" not in service.inputs


def test_every_auto_scaling_group_is_managed_by_ecs_and_protects_busy_instances(plan: OfflinePlan) -> None:
    groups = plan.of_type("aws:autoscaling/group:Group")
    providers = plan.of_type("aws:ecs/capacityProvider:CapacityProvider")
    assert len(groups) == len(providers)
    for group, provider in zip(groups, providers, strict=False):
        assert group.inputs["protectFromScaleIn"] is True and group.inputs["minSize"] == 0
        assert tag_map(group.inputs).get("AmazonECSManaged") == "true"
        settings = provider.inputs["autoScalingGroupProvider"]
        assert settings["autoScalingGroupArn"] == f"<known after deploy: ARN of {group.name}>"
        assert (settings["managedTerminationProtection"], settings["managedDraining"]) == ("ENABLED", "ENABLED")
        assert settings["managedScaling"]["status"] == "ENABLED"
