"""Step Functions state machines in the emulator (internal/service/sfn/state_machine.go)."""

from __future__ import annotations

from typing import Any

from .core import Call, Props, pick, resource, tag_changes, tag_list


def _configurations(props: Props) -> dict[str, Any]:
    args: dict[str, Any] = {}
    logging = pick(
        props.get("loggingConfiguration"),
        {"level": "level", "includeExecutionData": "includeExecutionData"},
    )
    destination = (props.get("loggingConfiguration") or {}).get("logDestination")
    if destination:
        logging["destinations"] = [{"cloudWatchLogsLogGroup": {"logGroupArn": destination}}]
    if logging:
        args["loggingConfiguration"] = logging
    tracing = pick(props.get("tracingConfiguration"), {"enabled": "enabled"})
    if tracing:
        args["tracingConfiguration"] = tracing
    return args


def create_state_machine(call: Call, props: Props) -> tuple[str, Props]:
    args: dict[str, Any] = {
        "name": props["name"],
        "definition": props["definition"],
        "roleArn": props["roleArn"],
        "type": props.get("type") or "STANDARD",
        **_configurations(props),
    }
    if call.tags:
        args["tags"] = tag_list(call.tags, "key", "value")
    answer = call.client("stepfunctions").create_state_machine(**args)
    arn = answer["stateMachineArn"]
    return arn, {"arn": arn, "status": "ACTIVE"}


def update_state_machine(call: Call, arn: str, old: Props, new: Props, changed: set[str]) -> Props:
    client = call.client("stepfunctions")
    update = pick(new, {"definition": "definition", "roleArn": "roleArn"})
    update.update(_configurations(new))
    if changed - {"tags", "tagsAll"}:
        client.update_state_machine(stateMachineArn=arn, **update)
    if changed & {"tags", "tagsAll"}:
        removed, changed_tags = tag_changes(call, old)
        if removed:
            client.untag_resource(resourceArn=arn, tagKeys=removed)
        if changed_tags:
            client.tag_resource(resourceArn=arn, tags=tag_list(changed_tags, "key", "value"))
    return {}


def delete_state_machine(call: Call, arn: str, props: Props) -> None:
    call.client("stepfunctions").delete_state_machine(stateMachineArn=arn)


RESOURCES = {
    "aws:sfn/stateMachine:StateMachine": resource(
        "internal/service/sfn/state_machine.go",
        "name definition roleArn type loggingConfiguration tracingConfiguration publish",
        create_state_machine,
        delete_state_machine,
        update_state_machine,
        "definition roleArn loggingConfiguration tracingConfiguration publish tags tagsAll",
    ),
}
