"""When a changed input replaces a resource instead of updating it: the provider's ForceNew properties.

The aws provider is bridged from terraform-provider-aws; a property marked `ForceNew` in its schema
makes Pulumi's diff report a replacement. Only the resource types whose replacement ftcluster's
flows can trigger are listed (top-level Pulumi input names); everything else updates in place.
"""

from __future__ import annotations

import re
from typing import Any

# terraform-provider-aws internal/service/ecs/task_definition.go: every argument is ForceNew except
# tags, skip_destroy and track_latest (ECS task definitions are immutable; a change registers a new revision).
_TASK_DEFINITION_MUTABLE = {"tags", "tagsAll", "skipDestroy", "trackLatest"}

FORCE_NEW: dict[str, set[str]] = {
    # terraform-provider-aws internal/service/ecs/service.go (name, cluster, iam_role, launch_type,
    # scheduling_strategy are ForceNew; capacity_provider_strategy see _service_replace_keys)
    "aws:ecs/service:Service": {"name", "cluster", "iamRole", "launchType", "schedulingStrategy"},
    # terraform-provider-aws internal/service/ec2/vpc_subnet.go
    "aws:ec2/subnet:Subnet": {
        "vpcId",
        "cidrBlock",
        "availabilityZone",
        "availabilityZoneId",
        "ipv6Native",
        "ipv4IpamPoolId",
        "ipv4NetmaskLength",
        "ipv6IpamPoolId",
        "ipv6NetmaskLength",
        "outpostArn",
    },
    # internal/service/ec2/ec2_launch_template.go: name and name_prefix (everything else makes a new version)
    "aws:ec2/launchTemplate:LaunchTemplate": {"name", "namePrefix"},
    # internal/service/autoscaling/group.go: name, name_prefix and initial_lifecycle_hook
    "aws:autoscaling/group:Group": {"name", "namePrefix", "initialLifecycleHooks"},
    # internal/service/ecs/capacity_provider.go: name, cluster, managed_instances_provider; the Auto
    # Scaling group's ARN inside auto_scaling_group_provider, see _nested_replace_keys
    "aws:ecs/capacityProvider:CapacityProvider": {"name", "cluster", "managedInstancesProvider"},
    # internal/service/servicediscovery/private_dns_namespace.go: name and vpc
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": {"name", "vpc"},
    # internal/service/ec2/ec2_spot_fleet_request.go: all but target_capacity, on_demand_target_capacity,
    # excess_capacity_termination_policy, terminate_instances_on_delete, wait_for_fulfillment and tags
    # (ModifySpotFleetRequest changes only those); a new launch template version replaces the fleet
    "aws:ec2/spotFleetRequest:SpotFleetRequest": {
        "allocationStrategy",
        "context",
        "fleetType",
        "iamFleetRole",
        "instanceInterruptionBehaviour",
        "instancePoolsToUseCount",
        "launchSpecifications",
        "launchTemplateConfigs",
        "loadBalancers",
        "onDemandAllocationStrategy",
        "onDemandMaxTotalPrice",
        "replaceUnhealthyInstances",
        "spotPrice",
        "targetCapacityUnitType",
        "targetGroupArns",
        "terminateInstancesWithExpiration",
        "validFrom",
        "validUntil",
    },
    # internal/service/servicediscovery/service.go: name, namespace_id, type, health_check_custom_config;
    # inside dns_config see _nested_replace_keys
    "aws:servicediscovery/service:Service": {"name", "namespaceId", "type", "healthCheckCustomConfig"},
    # what ends a finished job (ftcluster program/completion.py):
    # internal/service/events/rule.go: name, name_prefix, event_bus_name
    "aws:cloudwatch/eventRule:EventRule": {"name", "namePrefix", "eventBusName"},
    # internal/service/events/target.go: rule, target_id, event_bus_name
    "aws:cloudwatch/eventTarget:EventTarget": {"rule", "targetId", "eventBusName"},
    # internal/service/sfn/state_machine.go: name, name_prefix, type (a new definition is an update)
    "aws:sfn/stateMachine:StateMachine": {"name", "namePrefix", "type"},
    # internal/service/ssm/parameter.go: name and data_type (a new value or type is a PutParameter)
    "aws:ssm/parameter:Parameter": {"name", "dataType"},
}

# ForceNew properties inside a nested block: (top-level input, path below it as a list of keys, "[]"
# for every item of a list). A change there replaces the resource too.
NESTED_FORCE_NEW: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "aws:ecs/capacityProvider:CapacityProvider": [("autoScalingGroupProvider", ("autoScalingGroupArn",))],
    "aws:servicediscovery/service:Service": [
        ("dnsConfig", ("namespaceId",)),
        ("dnsConfig", ("routingPolicy",)),
        ("dnsConfig", ("dnsRecords", "[]", "type")),
    ],
}


def _service_replace_keys(diffs: set[str], inputs: dict[str, Any], old_inputs: dict[str, Any]) -> set[str]:
    # service.go capacityProviderStrategyCustomizeDiff: a changed strategy forces a new service unless
    # force_new_deployment is true and neither the old nor the new strategy is empty.
    key = "capacityProviderStrategies"
    if key in diffs and not (inputs.get("forceNewDeployment") and inputs.get(key) and old_inputs.get(key)):
        return {key}
    return set()


def _nested_values(value: Any, path: tuple[str, ...]) -> list[Any]:
    if not path:
        return [value]
    head, rest = path[0], path[1:]
    if head == "[]":
        return [found for item in (value if isinstance(value, list) else []) for found in _nested_values(item, rest)]
    return _nested_values(value.get(head), rest) if isinstance(value, dict) else [None]


def _nested_replace_keys(type_: str, diffs: set[str], inputs: dict[str, Any], old_inputs: dict[str, Any]) -> set[str]:
    return {
        top
        for top, path in NESTED_FORCE_NEW.get(type_, [])
        if top in diffs and _nested_values(inputs.get(top), path) != _nested_values(old_inputs.get(top), path)
    }


def replace_keys(
    type_: str, diffs: set[str], inputs: dict[str, Any], old_inputs: dict[str, Any], replace_on_changes: list[str]
) -> list[str]:
    """The changed properties that force a replacement (empty: an update in place)."""
    if type_ == "aws:ecs/taskDefinition:TaskDefinition":
        keys = diffs - _TASK_DEFINITION_MUTABLE
    else:
        keys = diffs & FORCE_NEW.get(type_, set())
    if type_ == "aws:ecs/service:Service":
        keys |= _service_replace_keys(diffs, inputs, old_inputs)
    keys |= _nested_replace_keys(type_, diffs, inputs, old_inputs)
    # replaceOnChanges (pkg/resource/deploy/step_generator.go): a listed property that changed replaces;
    # "*" means any property.
    for path in replace_on_changes:
        top = path_parts(path)[0] if path else ""
        if top == "*":
            keys |= diffs
        elif top in diffs:
            keys.add(top)
    return sorted(keys)


def path_parts(path: str) -> list[str]:
    """`a.b[0].c` -> ["a", "b", "0", "c"] (Pulumi property paths, without quoting)."""
    return re.findall(r"[^.\[\]\"]+", path)


def apply_ignore_changes(inputs: dict[str, Any], old_inputs: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """The engine's processIgnoreChanges: an ignored property keeps its old value (or stays unset)."""
    import copy

    result = copy.deepcopy(inputs)
    for path in paths:
        parts = path_parts(path)
        old_value, old_found = _get(old_inputs, parts)
        if old_found:
            _set(result, parts, copy.deepcopy(old_value))
        else:
            _delete(result, parts)
    return result


def _get(value: Any, parts: list[str]) -> tuple[Any, bool]:
    for part in parts:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None, False
    return value, True


def _set(value: Any, parts: list[str], new: Any) -> None:
    for part in parts[:-1]:
        if isinstance(value, dict):
            value = value.setdefault(part, {})
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return
    if isinstance(value, dict):
        value[parts[-1]] = new
    elif isinstance(value, list) and parts[-1].isdigit() and int(parts[-1]) < len(value):
        value[int(parts[-1])] = new


def _delete(value: Any, parts: list[str]) -> None:
    parent, found = _get(value, parts[:-1])
    if found and isinstance(parent, dict):
        parent.pop(parts[-1], None)
