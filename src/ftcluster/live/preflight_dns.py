"""Preflight: an elastic job in an existing VPC needs the VPC's DNS, or its rendezvous name never resolves.

The workers find the rendezvous through a Cloud Map private DNS namespace (program/distributed.py), that
is a Route 53 private hosted zone, and "to use private hosted zones, you must set the following Amazon VPC
settings to true: enableDnsHostnames, enableDnsSupport"
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-private-considerations.html).
A VPC made with CreateVpc has enableDnsHostnames off (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-dns.html).
"""

from __future__ import annotations

from typing import Any

from ..aws import AwsError, aws_call
from ..spec.models import ExistingVpc, Spec
from .preflight_checks import Check

TITLE = "VPC DNS"
ATTRIBUTES = {"enableDnsSupport": "EnableDnsSupport", "enableDnsHostnames": "EnableDnsHostnames"}
FLAGS = {"enableDnsSupport": "--enable-dns-support", "enableDnsHostnames": "--enable-dns-hostnames"}


def needs_vpc_dns(spec: Spec) -> bool:
    fleet = spec.fleet
    workers = fleet.workers if fleet is not None and fleet.enabled else None
    return workers is not None and workers.distributed is not None


def vpc_dns_check(spec: Spec, ec2: Any) -> Check:
    """Read the two attributes (ec2:DescribeVpcAttribute, one attribute per call) and judge them."""
    network = spec.network
    if not needs_vpc_dns(spec):
        return Check("vpc_dns", TITLE, "skip", "no elastic job: no rendezvous name to resolve")
    if not isinstance(network, ExistingVpc):
        return Check("vpc_dns", TITLE, "skip", "the new VPC has DNS support and hostnames on")
    values: dict[str, bool] = {}
    for attribute, key in ATTRIBUTES.items():
        try:
            with aws_call(f"reading {attribute} of VPC {network.vpc_id}"):
                answer = ec2.describe_vpc_attribute(VpcId=network.vpc_id, Attribute=attribute)
        except AwsError as err:
            if err.kind == "not_found":  # the network check says so
                return Check("vpc_dns", TITLE, "skip", "needs the VPC named in network.vpc_id")
            raise
        values[attribute] = bool(answer.get(key, {}).get("Value"))
    return judge(network.vpc_id, values)


def judge(vpc_id: str, values: dict[str, bool]) -> Check:
    data: dict[str, Any] = {"vpc_id": vpc_id, **values}
    off = [attribute for attribute, on in values.items() if not on]
    if not off:
        return Check("vpc_dns", TITLE, "pass", f"VPC {vpc_id} has DNS support and DNS hostnames on", data=data)
    fixes = [f"aws ec2 modify-vpc-attribute --vpc-id {vpc_id} {FLAGS[a]} '{{\"Value\": true}}'" for a in off]
    return Check(
        "vpc_dns",
        TITLE,
        "fail",
        f"VPC {vpc_id} has {' and '.join(off)} off: the elastic job's rendezvous name would never resolve",
        [
            "the workers find the rendezvous by a name in a private DNS namespace, which resolves only in a "
            "VPC with enableDnsSupport and enableDnsHostnames on"
        ],
        fix="; ".join(fixes),  # one attribute per call
        data=data,
    )
