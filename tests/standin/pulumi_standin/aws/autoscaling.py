"""EC2 Auto Scaling groups in the emulator (internal/service/autoscaling/group.go)."""

from __future__ import annotations

from typing import Any

from .core import Call, Props, flag, pick, resource

GROUP_SETTINGS = {
    "minSize": "MinSize",
    "maxSize": "MaxSize",
    "desiredCapacity": "DesiredCapacity",
    "defaultCooldown": "DefaultCooldown",
    "healthCheckType": "HealthCheckType",
    "healthCheckGracePeriod": "HealthCheckGracePeriod",
    "capacityRebalance": "CapacityRebalance",
    "protectFromScaleIn": "NewInstancesProtectedFromScaleIn",
    "maxInstanceLifetime": "MaxInstanceLifetime",
    "terminationPolicies": "TerminationPolicies",
}
PROVIDER_ONLY = ("forceDelete", "waitForCapacityTimeout", "waitForElbCapacity", "minElbCapacity")


def _mixed_policy(props: Props) -> dict[str, Any] | None:
    given = props.get("mixedInstancesPolicy")
    if not given:
        return None
    distribution = pick(
        given.get("instancesDistribution"),
        {
            "onDemandAllocationStrategy": "OnDemandAllocationStrategy",
            "onDemandBaseCapacity": "OnDemandBaseCapacity",
            "onDemandPercentageAboveBaseCapacity": "OnDemandPercentageAboveBaseCapacity",
            "spotAllocationStrategy": "SpotAllocationStrategy",
            "spotInstancePools": "SpotInstancePools",
            "spotMaxPrice": "SpotMaxPrice",
        },
    )
    template = given.get("launchTemplate") or {}
    spec = pick(
        template.get("launchTemplateSpecification"),
        {"launchTemplateId": "LaunchTemplateId", "launchTemplateName": "LaunchTemplateName", "version": "Version"},
    )
    overrides = [
        pick(item, {"instanceType": "InstanceType", "weightedCapacity": "WeightedCapacity"})
        for item in template.get("overrides") or []
    ]
    policy: dict[str, Any] = {"LaunchTemplate": {"LaunchTemplateSpecification": spec}}
    if overrides:
        policy["LaunchTemplate"]["Overrides"] = overrides
    if distribution:
        policy["InstancesDistribution"] = distribution
    return policy


def _launch_template(props: Props) -> dict[str, Any] | None:
    spec = pick(
        props.get("launchTemplate"), {"id": "LaunchTemplateId", "name": "LaunchTemplateName", "version": "Version"}
    )
    return spec or None


def _group_args(props: Props) -> dict[str, Any]:
    args: dict[str, Any] = pick(props, GROUP_SETTINGS)
    for key in ("CapacityRebalance", "NewInstancesProtectedFromScaleIn"):
        if key in args:
            args[key] = bool(flag(args[key]))
    if props.get("vpcZoneIdentifiers"):
        args["VPCZoneIdentifier"] = ",".join(props["vpcZoneIdentifiers"])
    policy = _mixed_policy(props)
    if policy:
        args["MixedInstancesPolicy"] = policy
    template = _launch_template(props)
    if template:
        args["LaunchTemplate"] = template
    return args


def _tags(name: str, props: Props) -> list[dict[str, Any]]:
    """The group's `tag` blocks (the provider's default tags do not reach an Auto Scaling group)."""
    return [
        {
            "ResourceId": name,
            "ResourceType": "auto-scaling-group",
            "Key": tag["key"],
            "Value": str(tag["value"]),
            "PropagateAtLaunch": bool(tag.get("propagateAtLaunch")),
        }
        for tag in props.get("tags") or []
    ]


def create_group(call: Call, props: Props) -> tuple[str, Props]:
    client = call.client("autoscaling")
    name = props["name"]
    args = {"AutoScalingGroupName": name, **_group_args(props)}
    tags = _tags(name, props)
    if tags:
        args["Tags"] = tags
    client.create_auto_scaling_group(**args)
    group = client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    return name, {"arn": group["AutoScalingGroupARN"], "desiredCapacity": group.get("DesiredCapacity")}


def update_group(call: Call, name: str, old: Props, new: Props, changed: set[str]) -> Props:
    client = call.client("autoscaling")
    settings = _group_args(new)
    wanted = {GROUP_SETTINGS.get(key) for key in changed} | {
        {
            "vpcZoneIdentifiers": "VPCZoneIdentifier",
            "mixedInstancesPolicy": "MixedInstancesPolicy",
            "launchTemplate": "LaunchTemplate",
        }.get(key)
        for key in changed
    }
    update = {key: value for key, value in settings.items() if key in wanted}
    if update:
        client.update_auto_scaling_group(AutoScalingGroupName=name, **update)
    if "tags" in changed:
        before = {tag["Key"]: tag for tag in _tags(name, old)}
        after = {tag["Key"]: tag for tag in _tags(name, new)}
        removed = [tag for key, tag in before.items() if key not in after]
        if removed:
            client.delete_tags(Tags=removed)
        upserted = [tag for key, tag in after.items() if before.get(key) != tag]
        if upserted:
            client.create_or_update_tags(Tags=upserted)
    return {}


def delete_group(call: Call, name: str, props: Props) -> None:
    call.client("autoscaling").delete_auto_scaling_group(
        AutoScalingGroupName=name, ForceDelete=bool(props.get("forceDelete"))
    )


RESOURCES = {
    "aws:autoscaling/group:Group": resource(
        "internal/service/autoscaling/group.go",
        " ".join(
            ["name", "vpcZoneIdentifiers", "mixedInstancesPolicy", "launchTemplate", *GROUP_SETTINGS, *PROVIDER_ONLY]
        ),
        create_group,
        delete_group,
        update_group,
        " ".join(
            ["vpcZoneIdentifiers", "mixedInstancesPolicy", "launchTemplate", *GROUP_SETTINGS, *PROVIDER_ONLY, "tags"]
        ),
    ),
}
