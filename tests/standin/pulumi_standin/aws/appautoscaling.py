"""Application Auto Scaling in the emulator: scalable targets (internal/service/appautoscaling/target.go)
and scaling policies (internal/service/appautoscaling/policy.go)."""

from __future__ import annotations

from typing import Any

from .core import Call, Props, error_code, pick, resource

TARGET_SCOPE = {
    "serviceNamespace": "ServiceNamespace",
    "resourceId": "ResourceId",
    "scalableDimension": "ScalableDimension",
}


def _register(call: Call, props: Props, *, tags: bool) -> str:
    args: dict[str, Any] = {
        **pick(props, TARGET_SCOPE),
        **pick(props, {"minCapacity": "MinCapacity", "maxCapacity": "MaxCapacity", "roleArn": "RoleARN"}),
    }
    suspended = pick(
        props.get("suspendedState"),
        {
            "dynamicScalingInSuspended": "DynamicScalingInSuspended",
            "dynamicScalingOutSuspended": "DynamicScalingOutSuspended",
            "scheduledScalingSuspended": "ScheduledScalingSuspended",
        },
    )
    if suspended:
        args["SuspendedState"] = suspended
    if tags and call.tags:
        args["Tags"] = dict(call.tags)
    answer = call.client("application-autoscaling").register_scalable_target(**args)
    return str(answer.get("ScalableTargetARN") or "")


def create_target(call: Call, props: Props) -> tuple[str, Props]:
    arn = _register(call, props, tags=True)
    return props["resourceId"], {"arn": arn} if arn else {}


def update_target(call: Call, resource_id: str, old: Props, new: Props, changed: set[str]) -> Props:
    # resourceTargetUpdate: RegisterScalableTarget again with the new bounds
    _register(call, new, tags=False)
    return {}


def delete_target(call: Call, resource_id: str, props: Props) -> None:
    call.client("application-autoscaling").deregister_scalable_target(**pick(props, TARGET_SCOPE))


def _tracking(props: Props) -> dict[str, Any]:
    given = props.get("targetTrackingScalingPolicyConfiguration") or {}
    config = pick(
        given,
        {
            "targetValue": "TargetValue",
            "scaleInCooldown": "ScaleInCooldown",
            "scaleOutCooldown": "ScaleOutCooldown",
            "disableScaleIn": "DisableScaleIn",
        },
    )
    predefined = pick(
        given.get("predefinedMetricSpecification"),
        {"predefinedMetricType": "PredefinedMetricType", "resourceLabel": "ResourceLabel"},
    )
    if predefined:
        config["PredefinedMetricSpecification"] = predefined
    if "TargetValue" in config:
        config["TargetValue"] = float(config["TargetValue"])
    return config


def _put_policy(call: Call, props: Props) -> dict[str, Any]:
    args: dict[str, Any] = {
        "PolicyName": props["name"],
        "PolicyType": props.get("policyType") or "StepScaling",
        **pick(props, TARGET_SCOPE),
    }
    if props.get("targetTrackingScalingPolicyConfiguration"):
        args["TargetTrackingScalingPolicyConfiguration"] = _tracking(props)
    return call.client("application-autoscaling").put_scaling_policy(**args)


def create_policy(call: Call, props: Props) -> tuple[str, Props]:
    answer = _put_policy(call, props)
    return props["name"], {
        "arn": answer["PolicyARN"],
        "alarmArns": [alarm["AlarmARN"] for alarm in answer.get("Alarms", [])],
    }


def update_policy(call: Call, name: str, old: Props, new: Props, changed: set[str]) -> Props:
    answer = _put_policy(call, new)
    return {"arn": answer["PolicyARN"]}


def delete_policy(call: Call, name: str, props: Props) -> None:
    try:
        call.client("application-autoscaling").delete_scaling_policy(PolicyName=name, **pick(props, TARGET_SCOPE))
    except Exception as err:
        # resourcePolicyDelete: a policy that went with its deregistered target is already deleted
        if error_code(err) != "ObjectNotFoundException":
            raise


RESOURCES = {
    "aws:appautoscaling/target:Target": resource(
        "internal/service/appautoscaling/target.go",
        " ".join([*TARGET_SCOPE, "minCapacity", "maxCapacity", "roleArn", "suspendedState"]),
        create_target,
        delete_target,
        update_target,
        "minCapacity maxCapacity roleArn suspendedState tags tagsAll",
    ),
    "aws:appautoscaling/policy:Policy": resource(
        "internal/service/appautoscaling/policy.go",
        " ".join([*TARGET_SCOPE, "name", "policyType", "targetTrackingScalingPolicyConfiguration"]),
        create_policy,
        delete_policy,
        update_policy,
        "policyType targetTrackingScalingPolicyConfiguration",
    ),
}
