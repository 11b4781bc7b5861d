"""SSM parameters in the emulator (internal/service/ssm/parameter.go)."""

from __future__ import annotations

from typing import Any

from .core import Call, Props, pick, resource, tag_list

SETTINGS = {
    "name": "Name",
    "type": "Type",
    "description": "Description",
    "tier": "Tier",
    "dataType": "DataType",
    "allowedPattern": "AllowedPattern",
    "keyId": "KeyId",
}


def _put(call: Call, props: Props, *, overwrite: bool) -> int:
    args: dict[str, Any] = {
        **pick(props, SETTINGS),
        "Value": props.get("value", props.get("insecureValue")),
        "Overwrite": overwrite,
    }
    if not overwrite and call.tags:  # PutParameter takes tags only when it creates the parameter
        args["Tags"] = tag_list(call.tags)
    return int(call.client("ssm").put_parameter(**args)["Version"])


def create_parameter(call: Call, props: Props) -> tuple[str, Props]:
    version = _put(call, props, overwrite=False)
    name = props["name"]
    return name, {"arn": call.arn("ssm", f"parameter/{name.lstrip('/')}"), "version": version}


def update_parameter(call: Call, name: str, old: Props, new: Props, changed: set[str]) -> Props:
    """resourceParameterUpdate: anything but the tags changed puts the parameter again, with the value the
    provider holds (an ignored value is the old one)."""
    found: Props = {}
    if changed - {"tags", "tagsAll"}:
        found["version"] = _put(call, new, overwrite=True)
    if changed & {"tags", "tagsAll"}:
        client = call.client("ssm")
        before = old.get("tagsAll") or {}
        removed = [key for key in before if key not in call.tags]
        if removed:
            client.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=removed)
        if call.tags:
            client.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=tag_list(call.tags))
    return found


def delete_parameter(call: Call, name: str, props: Props) -> None:
    call.client("ssm").delete_parameter(Name=name)


RESOURCES = {
    "aws:ssm/parameter:Parameter": resource(
        "internal/service/ssm/parameter.go",
        " ".join([*SETTINGS, "value", "insecureValue", "overwrite"]),
        create_parameter,
        delete_parameter,
        update_parameter,
        " ".join([*SETTINGS, "value", "insecureValue", "overwrite", "tags", "tagsAll"]),
    ),
}
