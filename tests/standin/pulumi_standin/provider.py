"""The stand-in's fake AWS: plausible ids, ARNs and auto-names for created resources, canned invoke answers.

Nothing here talks to AWS. Values are deterministic per URN so repeated runs give stable outputs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .backend import StandinError

ACCOUNT = "123456789012"

# type token -> (id prefix or None for "id is the ARN/name", auto-named property or None)
_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "sgrule-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/route:Route": "r-rtb-",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/spotFleetRequest:SpotFleetRequest": "sfr-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": "ns-",
    "aws:servicediscovery/service:Service": "srv-",
}
_AUTONAME = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
}
_NAMED_BY_DEFAULT_SKIP = {"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/eip:Eip"}


def _hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _uuid(seed: str) -> str:
    digits = _hex(seed, 32)
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def _name_property(type_: str, inputs: dict[str, Any]) -> str | None:
    if type_ in _AUTONAME:
        return _AUTONAME[type_]
    if type_ in _ID_PREFIX or type_ in _NAMED_BY_DEFAULT_SKIP:
        return "name" if "namePrefix" in inputs else None
    return "name"


def _auto_name(logical: str, urn: str, prefix: str | None, bucket: bool) -> str:
    base = prefix if prefix is not None else f"{logical}-"
    name = f"{base}{_hex(urn, 7)}"
    return name.lower().replace("_", "-") if bucket else name


def create_outputs(
    type_: str, urn: str, logical: str, inputs: dict[str, Any], region: str, previous: dict[str, Any] | None = None
) -> tuple[str, dict]:
    """(id, outputs) for a newly created resource: its inputs plus what AWS would compute.

    `previous` is the resource a replacement takes the place of: the new one gets other ids.
    """
    if previous is not None:
        resource_id, outputs = create_outputs(type_, f"{urn}#{previous.get('id', '')}", logical, inputs, region)
        if type_ == "aws:ecs/taskDefinition:TaskDefinition":  # a replacement is the family's next revision
            outputs = update_outputs(type_, previous["outputs"], inputs)
            resource_id = previous["id"]
        return resource_id, outputs
    outputs = dict(inputs)
    name_property = _name_property(type_, inputs)
    if name_property and not inputs.get(name_property):
        prefix = inputs.get(f"{name_property}Prefix")
        outputs[name_property] = _auto_name(logical, urn, prefix, bucket=name_property == "bucket")
    name = outputs.get(name_property or "name") or logical
    module = type_.split(":")[1].split("/")[0] if ":" in type_ else "x"
    kind = type_.rsplit(":", 1)[-1]
    arn = f"arn:aws:{module}:{region}:{ACCOUNT}:{kind[0].lower() + kind[1:]}/{name}"
    if type_ == "aws:ecs/cluster:Cluster":
        arn = f"arn:aws:ecs:{region}:{ACCOUNT}:cluster/{name}"
        resource_id = arn
    elif type_ == "aws:ecs/service:Service":
        cluster = str(inputs.get("cluster", "cluster")).rsplit("/", 1)[-1]
        arn = f"arn:aws:ecs:{region}:{ACCOUNT}:service/{cluster}/{name}"
        resource_id = arn
    elif type_ == "aws:ecs/taskDefinition:TaskDefinition":
        outputs["revision"] = 1
        arn = f"arn:aws:ecs:{region}:{ACCOUNT}:task-definition/{inputs.get('family', name)}:1"
        outputs["arnWithoutRevision"] = arn.rsplit(":", 1)[0]
        resource_id = str(inputs.get("family", name))
    elif type_ in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
        arn = f"arn:aws:s3:::{name}"
        outputs["bucketDomainName"] = f"{name}.s3.amazonaws.com"
        outputs["region"] = inputs.get("region") or region
        resource_id = name
    elif type_.startswith("aws:iam/"):
        arn = f"arn:aws:iam::{ACCOUNT}:{kind[0].lower() + kind[1:]}/{name}"
        resource_id = name if kind in ("Role", "InstanceProfile", "User") else arn
        if kind == "Role":
            outputs["uniqueId"] = "AROA" + _hex(urn, 17).upper()
    elif type_ == "aws:cloudwatch/logGroup:LogGroup":
        arn = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}"
        resource_id = name
    elif type_ == "aws:appautoscaling/target:Target":
        resource_id = str(inputs.get("resourceId", name))
    elif type_ == "aws:autoscaling/group:Group":
        # terraform-provider-aws internal/service/autoscaling/group.go: the id is the group's name
        arn = f"arn:aws:autoscaling:{region}:{ACCOUNT}:autoScalingGroup:{_uuid(urn)}:autoScalingGroupName/{name}"
        resource_id = str(name)
    elif type_ == "aws:ecs/capacityProvider:CapacityProvider":
        # internal/service/ecs/capacity_provider.go: the id is the capacity provider's ARN
        arn = f"arn:aws:ecs:{region}:{ACCOUNT}:capacity-provider/{name}"
        resource_id = arn
    elif type_.startswith("aws:servicediscovery/"):
        # Cloud Map ids: ns-... for a namespace, srv-... for a service; ARNs name them so
        resource_id = _ID_PREFIX[type_] + _hex(urn, 16)
        kind_path = "namespace" if resource_id.startswith("ns-") else "service"
        arn = f"arn:aws:servicediscovery:{region}:{ACCOUNT}:{kind_path}/{resource_id}"
        if kind_path == "namespace":
            outputs["hostedZone"] = "Z" + _hex(urn, 13).upper()
    elif type_ in _ID_PREFIX:
        resource_id = _ID_PREFIX[type_] + _hex(urn, 17)
        arn = f"arn:aws:{module}:{region}:{ACCOUNT}:{kind.lower()}/{resource_id}"
        if type_ == "aws:ec2/launchTemplate:LaunchTemplate":
            outputs["latestVersion"] = 1
            outputs["defaultVersion"] = 1
        if type_ == "aws:ec2/eip:Eip":
            digest = hashlib.sha256(urn.encode()).digest()
            outputs["publicIp"] = f"203.0.113.{digest[0] % 250 + 1}"
    else:
        resource_id = str(name)
    outputs.setdefault("arn", arn)
    outputs["id"] = resource_id
    if "tags" in outputs:
        outputs.setdefault("tagsAll", outputs["tags"])
    return resource_id, outputs


def update_outputs(type_: str, old_outputs: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    outputs = {**old_outputs, **inputs}
    if type_ == "aws:ec2/launchTemplate:LaunchTemplate":
        outputs["latestVersion"] = int(old_outputs.get("latestVersion", 1)) + 1
    if type_ == "aws:ecs/taskDefinition:TaskDefinition":
        revision = int(old_outputs.get("revision", 1)) + 1
        outputs["revision"] = revision
        outputs["arn"] = f"{old_outputs.get('arnWithoutRevision', old_outputs.get('arn', ''))}:{revision}"
    if "tags" in inputs:
        outputs["tagsAll"] = inputs["tags"]
    return outputs


# --- invokes ---------------------------------------------------------------------------------------


def _policy_document(args: dict[str, Any]) -> dict[str, Any]:
    statements = []
    for statement in args.get("statements") or []:
        rendered: dict[str, Any] = {"Effect": statement.get("effect", "Allow")}
        if statement.get("sid"):
            rendered["Sid"] = statement["sid"]
        if statement.get("actions"):
            rendered["Action"] = statement["actions"]
        if statement.get("resources"):
            rendered["Resource"] = statement["resources"]
        for principal in statement.get("principals") or []:
            rendered.setdefault("Principal", {})[principal["type"]] = principal["identifiers"]
        for condition in statement.get("conditions") or []:
            rendered.setdefault("Condition", {}).setdefault(condition["test"], {})[condition["variable"]] = condition[
                "values"
            ]
        statements.append(rendered)
    text = json.dumps({"Version": args.get("version", "2012-10-17"), "Statement": statements})
    return {"json": text, "minifiedJson": text, "id": _hex(text, 10)}


def invoke(token: str, args: dict[str, Any], default_region: str) -> dict[str, Any]:
    """Canned answers for the data sources our programs call; anything else fails loudly."""
    region = args.get("region") or default_region
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        letters = "abcdef"
        return {
            "id": region,
            "names": [f"{region}{c}" for c in letters],
            "zoneIds": [f"use1-az{i + 1}" for i in range(len(letters))],
            "groupNames": [region] * len(letters),
            "state": args.get("state") or "available",
            "region": region,
        }
    if token == "aws:ssm/getParameter:getParameter":
        value = "ami-0abcdef1234567890"
        name = args.get("name", "")
        return {
            "id": name,
            "name": name,
            "value": value,
            "insecureValue": value,
            "type": "String",
            "arn": f"arn:aws:ssm:{region}::parameter{name}",
            "version": 1,
            "withDecryption": args.get("withDecryption", True),
            "region": region,
        }
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "id": ACCOUNT,
            "accountId": ACCOUNT,
            "arn": f"arn:aws:iam::{ACCOUNT}:user/standin",
            "userId": "AIDASTANDIN",
        }
    if token == "aws:index/getRegion:getRegion":
        return {
            "id": region,
            "name": region,
            "region": region,
            "description": region,
            "endpoint": f"ec2.{region}.amazonaws.com",
        }
    if token == "aws:index/getPartition:getPartition":
        return {"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}
    if token == "aws:iam/getPolicyDocument:getPolicyDocument":
        return _policy_document(args)
    if token == "aws:ec2/getSubnet:getSubnet":
        subnet = args.get("id") or "subnet-00000000"
        return {
            "id": subnet,
            "availabilityZone": f"{region}{'abc'[int(_hex(subnet, 2), 16) % 3]}",
            "vpcId": args.get("vpcId") or "vpc-00000000",
            "cidrBlock": "10.0.0.0/24",
            "region": region,
        }
    if token == "aws:ec2/getVpc:getVpc":
        vpc = args.get("id") or "vpc-00000000"
        return {
            "id": vpc,
            "cidrBlock": "10.0.0.0/16",
            "arn": f"arn:aws:ec2:{region}:{ACCOUNT}:vpc/{vpc}",
            "region": region,
        }
    raise StandinError(f"pulumi stand-in: no canned answer for invoke {token}")
