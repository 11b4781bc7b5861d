"""Lookups (data sources) answered by the emulator. getPartition, getRegion and getPolicyDocument need no
AWS call in the real provider either (they are computed from the provider's settings and the arguments),
so those keep the canned answers of ../provider.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .core import Account, Props


def caller_identity(account: Account, args: Props) -> Props:
    """internal/service/sts/caller_identity_data_source.go: GetCallerIdentity."""
    found = account.client("sts").get_caller_identity()
    return {"id": found["Account"], "accountId": found["Account"], "arn": found["Arn"], "userId": found["UserId"]}


def availability_zones(account: Account, args: Props) -> Props:
    """internal/service/ec2/availability_zones_data_source.go: DescribeAvailabilityZones with the given
    filters (and `state`), then the exclusions, sorted by name."""
    filters = [{"Name": f["name"], "Values": list(f["values"])} for f in args.get("filters") or []]
    if args.get("state"):
        filters.append({"Name": "state", "Values": [args["state"]]})
    request: dict[str, Any] = {"Filters": filters} if filters else {}
    if args.get("allAvailabilityZones") is not None:
        request["AllAvailabilityZones"] = bool(args["allAvailabilityZones"])
    zones = account.client("ec2").describe_availability_zones(**request)["AvailabilityZones"]
    excluded_names, excluded_ids = set(args.get("excludeNames") or []), set(args.get("excludeZoneIds") or [])
    zones = sorted(
        (z for z in zones if z["ZoneName"] not in excluded_names and z["ZoneId"] not in excluded_ids),
        key=lambda z: z["ZoneName"],
    )
    return {
        "id": account.region,
        "names": [z["ZoneName"] for z in zones],
        "zoneIds": [z["ZoneId"] for z in zones],
        "groupNames": sorted({z.get("GroupName") or account.region for z in zones}),
        "region": account.region,
    }


def parameter(account: Account, args: Props) -> Props:
    """internal/service/ssm/parameter_data_source.go: GetParameter; `insecureValue` is the value of a
    parameter that is not a SecureString."""
    decrypt = args.get("withDecryption", True)
    found = account.client("ssm").get_parameter(Name=args["name"], WithDecryption=bool(decrypt))["Parameter"]
    return {
        "id": found["Name"],
        "name": found["Name"],
        "arn": found.get("ARN"),
        "type": found["Type"],
        "value": found["Value"],
        "insecureValue": found["Value"] if found["Type"] != "SecureString" else None,
        "version": found.get("Version"),
        "withDecryption": decrypt,
        "region": account.region,
    }


def subnet(account: Account, args: Props) -> Props:
    """internal/service/ec2/vpc_subnet_data_source.go (lookup by id)."""
    found = account.client("ec2").describe_subnets(SubnetIds=[args["id"]])["Subnets"][0]
    return {
        "id": found["SubnetId"],
        "arn": found.get("SubnetArn"),
        "availabilityZone": found["AvailabilityZone"],
        "availabilityZoneId": found.get("AvailabilityZoneId"),
        "vpcId": found["VpcId"],
        "cidrBlock": found["CidrBlock"],
        "region": account.region,
    }


def vpc(account: Account, args: Props) -> Props:
    """internal/service/ec2/vpc_data_source.go (lookup by id)."""
    found = account.client("ec2").describe_vpcs(VpcIds=[args["id"]])["Vpcs"][0]
    return {
        "id": found["VpcId"],
        "cidrBlock": found["CidrBlock"],
        "arn": f"arn:aws:ec2:{account.region}:{found.get('OwnerId')}:vpc/{found['VpcId']}",
        "region": account.region,
    }


INVOKES: dict[str, Callable[[Account, Props], Props]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": caller_identity,
    "aws:index/getAvailabilityZones:getAvailabilityZones": availability_zones,
    "aws:ssm/getParameter:getParameter": parameter,
    "aws:ec2/getSubnet:getSubnet": subnet,
    "aws:ec2/getVpc:getVpc": vpc,
}
