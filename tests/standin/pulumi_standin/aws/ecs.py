"""ECS in the emulator: clusters, capacity providers and their attachment, task definitions, services.
Each mapping follows the terraform-provider-aws file named in its table entry."""

from __future__ import annotations

import json
from typing import Any

from .core import Call, Props, pick, resource, tag_changes, tag_list


def _tags(call: Call) -> dict[str, Any]:
    return {"tags": tag_list(call.tags, "key", "value")} if call.tags else {}


def retag(call: Call, arn: str, old: Props, new: Props) -> None:
    """internal/service/ecs/tags_gen.go updateTags: TagResource / UntagResource on the ARN."""
    ecs = call.client("ecs")
    removed, changed = tag_changes(call, old)
    if removed:
        ecs.untag_resource(resourceArn=arn, tagKeys=removed)
    if changed:
        ecs.tag_resource(resourceArn=arn, tags=tag_list(changed, "key", "value"))


def _strategy(items: list[Props] | None) -> list[dict[str, Any]]:
    return [
        pick(item, {"capacityProvider": "capacityProvider", "base": "base", "weight": "weight"}) for item in items or []
    ]


# --- cluster: internal/service/ecs/cluster.go ------------------------------------------------------------


def create_cluster(call: Call, props: Props) -> tuple[str, Props]:
    args: dict[str, Any] = {"clusterName": props["name"], **_tags(call)}
    if props.get("settings"):
        args["settings"] = [pick(s, {"name": "name", "value": "value"}) for s in props["settings"]]
    cluster = call.client("ecs").create_cluster(**args)["cluster"]
    return cluster["clusterArn"], {"arn": cluster["clusterArn"], "name": cluster["clusterName"]}


def update_cluster(call: Call, arn: str, old: Props, new: Props, changed: set[str]) -> Props:
    if "settings" in changed:
        settings = [pick(s, {"name": "name", "value": "value"}) for s in new.get("settings") or []]
        call.client("ecs").update_cluster(cluster=arn, settings=settings)
    if changed & {"tags", "tagsAll"}:
        retag(call, arn, old, new)
    return {}


def delete_cluster(call: Call, arn: str, props: Props) -> None:
    call.client("ecs").delete_cluster(cluster=arn)


# --- capacity providers of a cluster: internal/service/ecs/cluster_capacity_providers.go ---------------


def _put_providers(call: Call, props: Props) -> None:
    call.client("ecs").put_cluster_capacity_providers(
        cluster=props["clusterName"],
        capacityProviders=list(props.get("capacityProviders") or []),
        defaultCapacityProviderStrategy=_strategy(props.get("defaultCapacityProviderStrategies")),
    )


def create_cluster_providers(call: Call, props: Props) -> tuple[str, Props]:
    _put_providers(call, props)
    return props["clusterName"], {}


def update_cluster_providers(call: Call, name: str, old: Props, new: Props, changed: set[str]) -> Props:
    _put_providers(call, new)
    return {}


def delete_cluster_providers(call: Call, name: str, props: Props) -> None:
    # resourceClusterCapacityProvidersDelete: the cluster keeps no provider and no default strategy
    call.client("ecs").put_cluster_capacity_providers(
        cluster=name, capacityProviders=[], defaultCapacityProviderStrategy=[]
    )


# --- capacity provider: internal/service/ecs/capacity_provider.go ----------------------------------------


def _group_provider(props: Props, *, with_arn: bool) -> dict[str, Any]:
    given = props.get("autoScalingGroupProvider") or {}
    provider = pick(
        given,
        {
            "managedTerminationProtection": "managedTerminationProtection",
            "managedDraining": "managedDraining",
            **({"autoScalingGroupArn": "autoScalingGroupArn"} if with_arn else {}),
        },
    )
    scaling = pick(
        given.get("managedScaling"),
        {
            "status": "status",
            "targetCapacity": "targetCapacity",
            "minimumScalingStepSize": "minimumScalingStepSize",
            "maximumScalingStepSize": "maximumScalingStepSize",
            "instanceWarmupPeriod": "instanceWarmupPeriod",
        },
    )
    if scaling:
        provider["managedScaling"] = scaling
    return provider


def create_capacity_provider(call: Call, props: Props) -> tuple[str, Props]:
    provider = call.client("ecs").create_capacity_provider(
        name=props["name"], autoScalingGroupProvider=_group_provider(props, with_arn=True), **_tags(call)
    )["capacityProvider"]
    return provider["capacityProviderArn"], {"arn": provider["capacityProviderArn"], "name": provider["name"]}


def update_capacity_provider(call: Call, arn: str, old: Props, new: Props, changed: set[str]) -> Props:
    if "autoScalingGroupProvider" in changed:
        call.client("ecs").update_capacity_provider(
            name=new["name"], autoScalingGroupProvider=_group_provider(new, with_arn=False)
        )
    if changed & {"tags", "tagsAll"}:
        retag(call, arn, old, new)
    return {}


def delete_capacity_provider(call: Call, arn: str, props: Props) -> None:
    call.client("ecs").delete_capacity_provider(capacityProvider=arn)


# --- task definition: internal/service/ecs/task_definition.go --------------------------------------------

TASK_SETTINGS = {
    "family": "family",
    "taskRoleArn": "taskRoleArn",
    "executionRoleArn": "executionRoleArn",
    "networkMode": "networkMode",
    "cpu": "cpu",
    "memory": "memory",
    "requiresCompatibilities": "requiresCompatibilities",
    "pidMode": "pidMode",
    "ipcMode": "ipcMode",
}


def create_task_definition(call: Call, props: Props) -> tuple[str, Props]:
    args: dict[str, Any] = {
        **pick(props, TASK_SETTINGS),
        "containerDefinitions": json.loads(props["containerDefinitions"]),
        **_tags(call),
    }
    platform = pick(
        props.get("runtimePlatform"),
        {"operatingSystemFamily": "operatingSystemFamily", "cpuArchitecture": "cpuArchitecture"},
    )
    if platform:
        args["runtimePlatform"] = platform
    storage = pick(props.get("ephemeralStorage"), {"sizeInGib": "sizeInGiB"})
    if storage:
        args["ephemeralStorage"] = storage
    definition = call.client("ecs").register_task_definition(**args)["taskDefinition"]
    arn = definition["taskDefinitionArn"]
    # the resource's id is the family; the ARN names the revision
    return definition["family"], {
        "arn": arn,
        "arnWithoutRevision": arn.rsplit(":", 1)[0],
        "revision": int(definition["revision"]),
    }


def update_task_definition(call: Call, family: str, old: Props, new: Props, changed: set[str]) -> Props:
    if changed & {"tags", "tagsAll"}:
        retag(call, str(old["arn"]), old, new)
    return {}


def delete_task_definition(call: Call, family: str, props: Props) -> None:
    if not props.get("skipDestroy"):
        call.client("ecs").deregister_task_definition(taskDefinition=props["arn"])


# --- service: internal/service/ecs/service.go ----------------------------------------------------------


def _network(props: Props) -> dict[str, Any] | None:
    given = props.get("networkConfiguration")
    if not given:
        return None
    config: dict[str, Any] = {"subnets": list(given.get("subnets") or [])}
    if given.get("securityGroups"):
        config["securityGroups"] = list(given["securityGroups"])
    # expandNetworkConfiguration: assign_public_ip is a bool in the schema, an enum in the API
    config["assignPublicIp"] = "ENABLED" if given.get("assignPublicIp") else "DISABLED"
    return {"awsvpcConfiguration": config}


def _deployment(props: Props) -> dict[str, Any]:
    config = pick(
        props,
        {"deploymentMaximumPercent": "maximumPercent", "deploymentMinimumHealthyPercent": "minimumHealthyPercent"},
    )
    breaker = pick(props.get("deploymentCircuitBreaker"), {"enable": "enable", "rollback": "rollback"})
    if breaker:
        config["deploymentCircuitBreaker"] = {
            "enable": bool(breaker.get("enable")),
            "rollback": bool(breaker.get("rollback")),
        }
    return config


def _registries(props: Props) -> list[dict[str, Any]]:
    given = props.get("serviceRegistries")
    items = given if isinstance(given, list) else [given] if given else []
    return [
        pick(
            item,
            {
                "registryArn": "registryArn",
                "port": "port",
                "containerName": "containerName",
                "containerPort": "containerPort",
            },
        )
        for item in items
    ]


SERVICE_SETTINGS = {
    "taskDefinition": "taskDefinition",
    "desiredCount": "desiredCount",
    "launchType": "launchType",
    "platformVersion": "platformVersion",
    "schedulingStrategy": "schedulingStrategy",
    "propagateTags": "propagateTags",
    "enableEcsManagedTags": "enableECSManagedTags",
    "enableExecuteCommand": "enableExecuteCommand",
    "healthCheckGracePeriodSeconds": "healthCheckGracePeriodSeconds",
    "availabilityZoneRebalancing": "availabilityZoneRebalancing",
    "iamRole": "role",
}
SERVICE_STRUCTURED = (
    "cluster",
    "name",
    "networkConfiguration",
    "deploymentMaximumPercent",
    "deploymentMinimumHealthyPercent",
    "deploymentCircuitBreaker",
    "capacityProviderStrategies",
    "orderedPlacementStrategies",
    "serviceRegistries",
)
SERVICE_PROVIDER_ONLY = ("waitForSteadyState", "forceNewDeployment", "forceDelete")


def _service_args(props: Props) -> dict[str, Any]:
    args: dict[str, Any] = pick(props, SERVICE_SETTINGS)
    network = _network(props)
    if network:
        args["networkConfiguration"] = network
    deployment = _deployment(props)
    if deployment:
        args["deploymentConfiguration"] = deployment
    if props.get("capacityProviderStrategies"):
        args["capacityProviderStrategy"] = _strategy(props["capacityProviderStrategies"])
    if props.get("orderedPlacementStrategies"):
        args["placementStrategy"] = [
            pick(item, {"type": "type", "field": "field"}) for item in props["orderedPlacementStrategies"]
        ]
    registries = _registries(props)
    if registries:
        args["serviceRegistries"] = registries
    return args


def create_service(call: Call, props: Props) -> tuple[str, Props]:
    service = call.client("ecs").create_service(
        cluster=props["cluster"], serviceName=props["name"], **_service_args(props), **_tags(call)
    )["service"]
    return service["serviceArn"], {"name": service["serviceName"], "cluster": props["cluster"]}


# resourceServiceUpdate sends each changed setting under its API name (these are what UpdateService takes)
SERVICE_UPDATE = {
    "desiredCount": "desiredCount",
    "taskDefinition": "taskDefinition",
    "capacityProviderStrategies": "capacityProviderStrategy",
    "networkConfiguration": "networkConfiguration",
    "deploymentMaximumPercent": "deploymentConfiguration",
    "deploymentMinimumHealthyPercent": "deploymentConfiguration",
    "deploymentCircuitBreaker": "deploymentConfiguration",
    "orderedPlacementStrategies": "placementStrategy",
    "serviceRegistries": "serviceRegistries",
    "propagateTags": "propagateTags",
    "enableEcsManagedTags": "enableECSManagedTags",
    "enableExecuteCommand": "enableExecuteCommand",
    "healthCheckGracePeriodSeconds": "healthCheckGracePeriodSeconds",
    "availabilityZoneRebalancing": "availabilityZoneRebalancing",
    "platformVersion": "platformVersion",
}


def update_service(call: Call, arn: str, old: Props, new: Props, changed: set[str]) -> Props:
    args = _service_args(new)
    wanted = {SERVICE_UPDATE[key] for key in changed if key in SERVICE_UPDATE}
    update = {key: value for key, value in args.items() if key in wanted}
    if "capacityProviderStrategies" in changed and "capacityProviderStrategy" not in update:
        update["capacityProviderStrategy"] = []  # an emptied strategy
    if new.get("forceNewDeployment") and (update or "forceNewDeployment" in changed):
        update["forceNewDeployment"] = True  # a new deployment (ECS takes a new strategy only with one)
    if update:
        call.client("ecs").update_service(cluster=new["cluster"], service=new["name"], **update)
    if changed & {"tags", "tagsAll"}:
        retag(call, arn, old, new)
    return {}


def delete_service(call: Call, arn: str, props: Props) -> None:
    """resourceServiceDelete: a REPLICA service is drained to 0 tasks first (unless it is draining already,
    or force_delete skips that and passes Force), then deleted."""
    ecs = call.client("ecs")
    force = bool(props.get("forceDelete"))
    found = ecs.describe_services(cluster=props["cluster"], services=[arn]).get("services", [])
    if not found or found[0].get("status") == "INACTIVE":
        return
    if found[0].get("schedulingStrategy") != "DAEMON" and found[0].get("status") != "DRAINING" and not force:
        ecs.update_service(cluster=props["cluster"], service=arn, desiredCount=0)
    ecs.delete_service(cluster=props["cluster"], service=arn, force=force)


RESOURCES = {
    "aws:ecs/cluster:Cluster": resource(
        "internal/service/ecs/cluster.go",
        "name settings",
        create_cluster,
        delete_cluster,
        update_cluster,
        "settings tags tagsAll",
    ),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": resource(
        "internal/service/ecs/cluster_capacity_providers.go",
        "clusterName capacityProviders defaultCapacityProviderStrategies",
        create_cluster_providers,
        delete_cluster_providers,
        update_cluster_providers,
        "capacityProviders defaultCapacityProviderStrategies",
    ),
    "aws:ecs/capacityProvider:CapacityProvider": resource(
        "internal/service/ecs/capacity_provider.go",
        "name autoScalingGroupProvider",
        create_capacity_provider,
        delete_capacity_provider,
        update_capacity_provider,
        "autoScalingGroupProvider tags tagsAll",
    ),
    "aws:ecs/taskDefinition:TaskDefinition": resource(
        "internal/service/ecs/task_definition.go",
        " ".join([*TASK_SETTINGS, "containerDefinitions", "runtimePlatform", "ephemeralStorage", "skipDestroy"]),
        create_task_definition,
        delete_task_definition,
        update_task_definition,
        "skipDestroy tags tagsAll",
    ),
    "aws:ecs/service:Service": resource(
        "internal/service/ecs/service.go",
        " ".join([*SERVICE_SETTINGS, *SERVICE_STRUCTURED, *SERVICE_PROVIDER_ONLY]),
        create_service,
        delete_service,
        update_service,
        " ".join([*SERVICE_UPDATE, *SERVICE_PROVIDER_ONLY, "tags", "tagsAll"]),
    ),
}
