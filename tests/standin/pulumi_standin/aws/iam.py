"""IAM in the emulator: roles, inline role policies, managed policy attachments, instance profiles.
Each mapping follows the terraform-provider-aws file named in its table entry."""

from __future__ import annotations

import time
from typing import Any

from .core import Call, Props, resource, tag_changes, tag_list


def _tags(call: Call) -> dict[str, Any]:
    return {"Tags": tag_list(call.tags)} if call.tags else {}


def retag_role(call: Call, name: str, old: Props, new: Props) -> None:
    iam = call.client("iam")
    removed, changed = tag_changes(call, old)
    if removed:
        iam.untag_role(RoleName=name, TagKeys=removed)
    if changed:
        iam.tag_role(RoleName=name, Tags=tag_list(changed))


# --- role: internal/service/iam/role.go -----------------------------------------------------------------


def create_role(call: Call, props: Props) -> tuple[str, Props]:
    args: dict[str, Any] = {
        "RoleName": props["name"],
        "AssumeRolePolicyDocument": props["assumeRolePolicy"],
        **_tags(call),
    }
    for key, api in (
        ("path", "Path"),
        ("description", "Description"),
        ("maxSessionDuration", "MaxSessionDuration"),
        ("permissionsBoundary", "PermissionsBoundary"),
    ):
        if props.get(key) not in (None, ""):
            args[api] = props[key]
    role = call.client("iam").create_role(**args)["Role"]
    return role["RoleName"], {
        "arn": role["Arn"],
        "uniqueId": role["RoleId"],
        "name": role["RoleName"],
        "createDate": role["CreateDate"].isoformat()
        if hasattr(role["CreateDate"], "isoformat")
        else str(role["CreateDate"]),
    }


def update_role(call: Call, name: str, old: Props, new: Props, changed: set[str]) -> Props:
    iam = call.client("iam")
    if "assumeRolePolicy" in changed:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=new["assumeRolePolicy"])
    if "description" in changed:
        iam.update_role_description(RoleName=name, Description=new.get("description") or "")
    if "maxSessionDuration" in changed and new.get("maxSessionDuration"):
        iam.update_role(RoleName=name, MaxSessionDuration=int(new["maxSessionDuration"]))
    if changed & {"tags", "tagsAll"}:
        retag_role(call, name, old, new)
    return {}


def delete_role(call: Call, name: str, props: Props) -> None:
    """DeleteRole: take the role out of its instance profiles first; attached and inline policies only
    with force_detach_policies (else their own resources are deleted before the role)."""
    iam = call.client("iam")
    for profile in iam.list_instance_profiles_for_role(RoleName=name).get("InstanceProfiles", []):
        iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=name)
    if props.get("forceDetachPolicies"):
        for policy in iam.list_attached_role_policies(RoleName=name).get("AttachedPolicies", []):
            iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
        for policy in iam.list_role_policies(RoleName=name).get("PolicyNames", []):
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
    iam.delete_role(RoleName=name)


# --- inline policy: internal/service/iam/role_policy.go ------------------------------------------------


def create_role_policy(call: Call, props: Props) -> tuple[str, Props]:
    call.client("iam").put_role_policy(RoleName=props["role"], PolicyName=props["name"], PolicyDocument=props["policy"])
    return f"{props['role']}:{props['name']}", {}


def update_role_policy(call: Call, policy_id: str, old: Props, new: Props, changed: set[str]) -> Props:
    call.client("iam").put_role_policy(RoleName=new["role"], PolicyName=new["name"], PolicyDocument=new["policy"])
    return {}


def delete_role_policy(call: Call, policy_id: str, props: Props) -> None:
    call.client("iam").delete_role_policy(RoleName=props["role"], PolicyName=props["name"])


# --- managed policy attachment: internal/service/iam/role_policy_attachment.go -------------------------


def create_attachment(call: Call, props: Props) -> tuple[str, Props]:
    call.client("iam").attach_role_policy(RoleName=props["role"], PolicyArn=props["policyArn"])
    # id.PrefixedUniqueId(role + "-"): the role name, a dash and a timestamp-based suffix
    return f"{props['role']}-{time.strftime('%Y%m%d%H%M%S')}{time.time_ns() % 10**8:08d}", {}


def delete_attachment(call: Call, attachment_id: str, props: Props) -> None:
    call.client("iam").detach_role_policy(RoleName=props["role"], PolicyArn=props["policyArn"])


# --- instance profile: internal/service/iam/instance_profile.go ----------------------------------------


def create_instance_profile(call: Call, props: Props) -> tuple[str, Props]:
    iam = call.client("iam")
    args: dict[str, Any] = {"InstanceProfileName": props["name"], **_tags(call)}
    if props.get("path"):
        args["Path"] = props["path"]
    profile = iam.create_instance_profile(**args)["InstanceProfile"]
    if props.get("role"):
        iam.add_role_to_instance_profile(InstanceProfileName=props["name"], RoleName=props["role"])
    return profile["InstanceProfileName"], {"arn": profile["Arn"], "uniqueId": profile["InstanceProfileId"]}


def update_instance_profile(call: Call, name: str, old: Props, new: Props, changed: set[str]) -> Props:
    iam = call.client("iam")
    if "role" in changed:
        if old.get("role"):
            iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=old["role"])
        if new.get("role"):
            iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=new["role"])
    return {}


def delete_instance_profile(call: Call, name: str, props: Props) -> None:
    iam = call.client("iam")
    for role in iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"].get("Roles", []):
        iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=role["RoleName"])
    iam.delete_instance_profile(InstanceProfileName=name)


RESOURCES = {
    "aws:iam/role:Role": resource(
        "internal/service/iam/role.go",
        "name path description assumeRolePolicy maxSessionDuration permissionsBoundary forceDetachPolicies",
        create_role,
        delete_role,
        update_role,
        "assumeRolePolicy description maxSessionDuration forceDetachPolicies tags tagsAll",
    ),
    "aws:iam/rolePolicy:RolePolicy": resource(
        "internal/service/iam/role_policy.go",
        "name role policy",
        create_role_policy,
        delete_role_policy,
        update_role_policy,
        "policy",
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": resource(
        "internal/service/iam/role_policy_attachment.go", "role policyArn", create_attachment, delete_attachment
    ),
    "aws:iam/instanceProfile:InstanceProfile": resource(
        "internal/service/iam/instance_profile.go",
        "name path role",
        create_instance_profile,
        delete_instance_profile,
        update_instance_profile,
        "role",
    ),
}
