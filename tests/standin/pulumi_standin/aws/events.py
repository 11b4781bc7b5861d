"""EventBridge in the emulator: rules (internal/service/events/rule.go) and their targets
(internal/service/events/target.go)."""

from __future__ import annotations

from typing import Any

from .core import AwsFailure, Call, Props, pick, resource, tag_changes, tag_list

RULE_SETTINGS = {
    "name": "Name",
    "eventPattern": "EventPattern",
    "scheduleExpression": "ScheduleExpression",
    "description": "Description",
    "roleArn": "RoleArn",
    "eventBusName": "EventBusName",
    "state": "State",
}


def _bus(props: Props) -> dict[str, Any]:
    return {"EventBusName": props["eventBusName"]} if props.get("eventBusName") else {}


def _put_rule(call: Call, props: Props, *, tags: bool) -> str:
    args = pick(props, RULE_SETTINGS)
    if "State" not in args and props.get("isEnabled") is not None:  # the older switch
        args["State"] = "ENABLED" if props["isEnabled"] else "DISABLED"
    if tags and call.tags:
        args["Tags"] = tag_list(call.tags)
    return str(call.client("events").put_rule(**args)["RuleArn"])


def create_rule(call: Call, props: Props) -> tuple[str, Props]:
    arn = _put_rule(call, props, tags=True)
    # rule.go ruleCreateResourceID: the name, prefixed by the bus when it is not the default one
    bus = props.get("eventBusName")
    rule_id = props["name"] if not bus or bus == "default" else f"{bus}/{props['name']}"
    return rule_id, {"arn": arn}


def update_rule(call: Call, rule_id: str, old: Props, new: Props, changed: set[str]) -> Props:
    if changed - {"tags", "tagsAll"}:
        _put_rule(call, new, tags=False)
    if changed & {"tags", "tagsAll"}:
        events = call.client("events")
        arn = str(old["arn"])
        removed, changed_tags = tag_changes(call, old)
        if removed:
            events.untag_resource(ResourceARN=arn, TagKeys=removed)
        if changed_tags:
            events.tag_resource(ResourceARN=arn, Tags=tag_list(changed_tags))
    return {}


def delete_rule(call: Call, rule_id: str, props: Props) -> None:
    call.client("events").delete_rule(Name=props["name"], **_bus(props))


TARGET_SETTINGS = {"targetId": "Id", "arn": "Arn", "roleArn": "RoleArn", "input": "Input", "inputPath": "InputPath"}
TARGET_BLOCKS = ("inputTransformer", "deadLetterConfig", "retryPolicy", "sqsTarget")


def _target(props: Props) -> dict[str, Any]:
    target = pick(props, TARGET_SETTINGS)
    transformer = pick(props.get("inputTransformer"), {"inputPaths": "InputPathsMap", "inputTemplate": "InputTemplate"})
    if transformer:
        target["InputTransformer"] = transformer
    dead_letter = pick(props.get("deadLetterConfig"), {"arn": "Arn"})
    if dead_letter:
        target["DeadLetterConfig"] = dead_letter
    retry = pick(
        props.get("retryPolicy"),
        {"maximumEventAgeInSeconds": "MaximumEventAgeInSeconds", "maximumRetryAttempts": "MaximumRetryAttempts"},
    )
    if retry:
        target["RetryPolicy"] = retry
    sqs = pick(props.get("sqsTarget"), {"messageGroupId": "MessageGroupId"})
    if sqs:
        target["SqsParameters"] = sqs
    return target


def _put_target(call: Call, props: Props) -> None:
    answer = call.client("events").put_targets(Rule=props["rule"], Targets=[_target(props)], **_bus(props))
    if answer.get("FailedEntryCount"):
        entry = answer["FailedEntries"][0]
        raise AwsFailure(f"creating EventBridge Target: {entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")


def create_target(call: Call, props: Props) -> tuple[str, Props]:
    _put_target(call, props)
    # target.go targetCreateResourceID: [bus/]rule-targetId
    bus = props.get("eventBusName")
    prefix = f"{bus}/" if bus and bus != "default" else ""
    return f"{prefix}{props['rule']}-{props['targetId']}", {}


def update_target(call: Call, target_id: str, old: Props, new: Props, changed: set[str]) -> Props:
    _put_target(call, new)
    return {}


def delete_target(call: Call, target_id: str, props: Props) -> None:
    call.client("events").remove_targets(Rule=props["rule"], Ids=[props["targetId"]], **_bus(props))


RESOURCES = {
    "aws:cloudwatch/eventRule:EventRule": resource(
        "internal/service/events/rule.go",
        " ".join([*RULE_SETTINGS, "isEnabled"]),
        create_rule,
        delete_rule,
        update_rule,
        "eventPattern scheduleExpression description roleArn state isEnabled tags tagsAll",
    ),
    "aws:cloudwatch/eventTarget:EventTarget": resource(
        "internal/service/events/target.go",
        " ".join(["rule", "eventBusName", *TARGET_SETTINGS, *TARGET_BLOCKS]),
        create_target,
        delete_target,
        update_target,
        " ".join(["arn", "roleArn", "input", "inputPath", *TARGET_BLOCKS]),
    ),
}
