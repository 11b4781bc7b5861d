"""CloudWatch Logs in the emulator: log groups (internal/service/logs/group.go) and resource policies
(internal/service/logs/resource_policy.go)."""

from __future__ import annotations

from typing import Any

from .core import Call, Props, resource, tag_changes


def _retention(call: Call, name: str, days: Any) -> None:
    logs = call.client("logs")
    if days:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(days))
    else:  # 0 or unset: never expire
        logs.delete_retention_policy(logGroupName=name)


def create_log_group(call: Call, props: Props) -> tuple[str, Props]:
    name = props["name"]
    args: dict[str, Any] = {"logGroupName": name}
    if props.get("kmsKeyId"):
        args["kmsKeyId"] = props["kmsKeyId"]
    if props.get("logGroupClass"):
        args["logGroupClass"] = props["logGroupClass"]
    if call.tags:
        args["tags"] = dict(call.tags)
    call.client("logs").create_log_group(**args)
    if props.get("retentionInDays"):
        _retention(call, name, props["retentionInDays"])
    # the group's ARN without the ":*" suffix DescribeLogGroups gives it
    return name, {"arn": call.arn("logs", f"log-group:{name}")}


def update_log_group(call: Call, name: str, old: Props, new: Props, changed: set[str]) -> Props:
    logs = call.client("logs")
    if "retentionInDays" in changed:
        _retention(call, name, new.get("retentionInDays"))
    if changed & {"tags", "tagsAll"}:
        arn = call.arn("logs", f"log-group:{name}")
        removed, changed_tags = tag_changes(call, old)
        if removed:
            logs.untag_resource(resourceArn=arn, tagKeys=removed)
        if changed_tags:
            logs.tag_resource(resourceArn=arn, tags=changed_tags)
    return {}


def delete_log_group(call: Call, name: str, props: Props) -> None:
    if not props.get("skipDestroy"):
        call.client("logs").delete_log_group(logGroupName=name)


def create_resource_policy(call: Call, props: Props) -> tuple[str, Props]:
    call.client("logs").put_resource_policy(policyName=props["policyName"], policyDocument=props["policyDocument"])
    return props["policyName"], {}


def update_resource_policy(call: Call, name: str, old: Props, new: Props, changed: set[str]) -> Props:
    call.client("logs").put_resource_policy(policyName=name, policyDocument=new["policyDocument"])
    return {}


def delete_resource_policy(call: Call, name: str, props: Props) -> None:
    call.client("logs").delete_resource_policy(policyName=name)


RESOURCES = {
    "aws:cloudwatch/logGroup:LogGroup": resource(
        "internal/service/logs/group.go",
        "name retentionInDays kmsKeyId logGroupClass skipDestroy",
        create_log_group,
        delete_log_group,
        update_log_group,
        "retentionInDays skipDestroy tags tagsAll",
    ),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": resource(
        "internal/service/logs/resource_policy.go",
        "policyName policyDocument",
        create_resource_policy,
        delete_resource_policy,
        update_resource_policy,
        "policyDocument",
    ),
}
