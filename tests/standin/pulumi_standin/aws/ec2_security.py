"""Security groups with inline rules (internal/service/ec2/vpc_security_group.go) and the separate rule
resources (vpc_security_group_ingress_rule.go, vpc_security_group_egress_rule.go) in the emulator."""

from __future__ import annotations

from typing import Any

from .core import Call, Props, resource, tag_list
from .ec2_network import retag, tag_specs


def permission(rule: Props, group_id: str) -> dict[str, Any]:
    """One inline rule as an IpPermission (vpc_security_group.go expandIPPerm): ports, CIDR ranges with the
    rule's description, and the group itself for `self`, other groups for `securityGroups`."""
    description = {"Description": rule["description"]} if rule.get("description") else {}
    perm: dict[str, Any] = {
        "IpProtocol": str(rule["protocol"]),
        "FromPort": int(rule.get("fromPort", 0)),
        "ToPort": int(rule.get("toPort", 0)),
    }
    ranges = [{"CidrIp": cidr, **description} for cidr in rule.get("cidrBlocks") or []]
    ranges6 = [{"CidrIpv6": cidr, **description} for cidr in rule.get("ipv6CidrBlocks") or []]
    groups = [{"GroupId": group, **description} for group in rule.get("securityGroups") or []]
    if rule.get("self"):
        groups.append({"GroupId": group_id, **description})
    prefixes = [{"PrefixListId": p, **description} for p in rule.get("prefixListIds") or []]
    for key, values in (("IpRanges", ranges), ("Ipv6Ranges", ranges6), ("UserIdGroupPairs", groups)):
        if values:
            perm[key] = values
    if prefixes:
        perm["PrefixListIds"] = prefixes
    return perm


def _apply_rules(call: Call, group_id: str, direction: str, old: list[Props], new: list[Props]) -> None:
    """updateSecurityGroupRules: revoke what is no longer declared, authorize what is new."""
    ec2 = call.client("ec2")
    before = [permission(rule, group_id) for rule in old]
    after = [permission(rule, group_id) for rule in new]
    gone = [perm for perm in before if perm not in after]
    added = [perm for perm in after if perm not in before]
    if gone:
        getattr(ec2, f"revoke_security_group_{direction}")(GroupId=group_id, IpPermissions=gone)
    if added:
        getattr(ec2, f"authorize_security_group_{direction}")(GroupId=group_id, IpPermissions=added)


def create_security_group(call: Call, props: Props) -> tuple[str, Props]:
    ec2 = call.client("ec2")
    args = {"GroupName": props["name"], "Description": props.get("description") or "Managed by Pulumi"}
    if props.get("vpcId"):
        args["VpcId"] = props["vpcId"]
    group_id = ec2.create_security_group(**args, **tag_specs(call, "security-group"))["GroupId"]
    # "AWS defaults all Security Groups to have an ALLOW ALL egress rule. Here we revoke that rule"
    everywhere = {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0}
    ec2.revoke_security_group_egress(
        GroupId=group_id, IpPermissions=[{**everywhere, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    _apply_rules(call, group_id, "ingress", [], props.get("ingress") or [])
    _apply_rules(call, group_id, "egress", [], props.get("egress") or [])
    owner = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0].get("OwnerId")
    return group_id, {"arn": call.arn("ec2", f"security-group/{group_id}"), "ownerId": owner}


def update_security_group(call: Call, group_id: str, old: Props, new: Props, changed: set[str]) -> Props:
    for direction in ("ingress", "egress"):
        if direction in changed:
            _apply_rules(call, group_id, direction, old.get(direction) or [], new.get(direction) or [])
    if changed & {"tags", "tagsAll"}:
        retag(call, group_id, old, new)
    return {}


def delete_security_group(call: Call, group_id: str, props: Props) -> None:
    ec2 = call.client("ec2")
    if props.get("revokeRulesOnDelete"):  # forceRevokeSecurityGroupRules: every rule of the group
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
        for rule in rules.get("SecurityGroupRules", []):
            direction = "egress" if rule.get("IsEgress") else "ingress"
            getattr(ec2, f"revoke_security_group_{direction}")(
                GroupId=group_id, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]]
            )
    ec2.delete_security_group(GroupId=group_id)


# --- aws:vpc SecurityGroupIngressRule / SecurityGroupEgressRule -------------------------------------------

RULE_FIELDS = {
    "ipProtocol": "IpProtocol",
    "fromPort": "FromPort",
    "toPort": "ToPort",
    "cidrIpv4": "CidrIpv4",
    "cidrIpv6": "CidrIpv6",
    "referencedSecurityGroupId": "ReferencedGroupId",
    "prefixListId": "PrefixListId",
    "description": "Description",
}


def _rule_permission(props: Props) -> dict[str, Any]:
    """vpc_security_group_ingress_rule.go expandIPPermission: one source per rule."""
    description = {"Description": props["description"]} if props.get("description") else {}
    perm: dict[str, Any] = {"IpProtocol": str(props["ipProtocol"])}
    if str(props["ipProtocol"]) != "-1":
        perm.update(FromPort=int(props.get("fromPort", 0)), ToPort=int(props.get("toPort", 0)))
    if props.get("cidrIpv4"):
        perm["IpRanges"] = [{"CidrIp": props["cidrIpv4"], **description}]
    if props.get("cidrIpv6"):
        perm["Ipv6Ranges"] = [{"CidrIpv6": props["cidrIpv6"], **description}]
    if props.get("referencedSecurityGroupId"):
        perm["UserIdGroupPairs"] = [{"GroupId": props["referencedSecurityGroupId"], **description}]
    if props.get("prefixListId"):
        perm["PrefixListIds"] = [{"PrefixListId": props["prefixListId"], **description}]
    return perm


def _rule_resource(direction: str) -> Any:
    def create(call: Call, props: Props) -> tuple[str, Props]:
        specs = {}
        if call.tags:
            specs = {"TagSpecifications": [{"ResourceType": "security-group-rule", "Tags": tag_list(call.tags)}]}
        answer = getattr(call.client("ec2"), f"authorize_security_group_{direction}")(
            GroupId=props["securityGroupId"], IpPermissions=[_rule_permission(props)], **specs
        )
        rule_id = answer["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        return rule_id, {"securityGroupRuleId": rule_id, "arn": call.arn("ec2", f"security-group-rule/{rule_id}")}

    def delete(call: Call, rule_id: str, props: Props) -> None:
        getattr(call.client("ec2"), f"revoke_security_group_{direction}")(
            GroupId=props["securityGroupId"], SecurityGroupRuleIds=[rule_id]
        )

    def update(call: Call, rule_id: str, old: Props, new: Props, changed: set[str]) -> Props:
        retag(call, rule_id, old, new)
        return {}

    return resource(
        f"internal/service/ec2/vpc_security_group_{direction}_rule.go",
        " ".join(["securityGroupId", *RULE_FIELDS]),
        create,
        delete,
        update,
        "tags tagsAll",
    )


RESOURCES = {
    "aws:ec2/securityGroup:SecurityGroup": resource(
        "internal/service/ec2/vpc_security_group.go",
        "name description vpcId ingress egress revokeRulesOnDelete",
        create_security_group,
        delete_security_group,
        update_security_group,
        "ingress egress revokeRulesOnDelete tags tagsAll",
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _rule_resource("ingress"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _rule_resource("egress"),
}
