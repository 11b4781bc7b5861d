"""The network: a new VPC spread over N Availability Zones, or the subnets of an existing one."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..errors import FtclusterError
from ..spec import ExistingVpc, NewVpc
from . import names as logical
from .context import Context

# Zones where ECS on Fargate is not offered, by the AWS "Supported Regions for Amazon ECS on
# AWS Fargate" table (only the listed zone ids of these regions run Fargate), plus use1-az3,
# which has none of the current instance families the fleet asks for.
FARGATE_ZONE_IDS = {
    "us-west-1": {"usw1-az1", "usw1-az3"},
    "ap-northeast-1": {"apne1-az1", "apne1-az2", "apne1-az4"},
    "cn-north-1": {"cnn1-az1", "cnn1-az2"},
}
EXCLUDED_ZONE_IDS = {"use1-az3"}


@dataclass(frozen=True)
class Network:
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]  # where tasks and fleet instances go, one per AZ
    assign_public_ip: bool  # tasks need a public IP to reach the internet (no NAT)
    # The ways out of the subnets (routes, their table associations, NAT gateways, the S3
    # endpoint). Whatever runs compute lists them in depends_on: created before any task or
    # instance starts (image pulls, ECS registration), deleted only after the last one stopped.
    # Without that, nothing orders a destroy: routes and NATs can go first, the ECS agents lose
    # the ECS API, the workers service hangs DRAINING and the fleet keeps billing. Empty for an
    # existing VPC: its paths are not ours to create or delete.
    paths: list[pulumi.Resource]


def build_network(ctx: Context) -> Network:
    network = ctx.spec.network
    if isinstance(network, ExistingVpc):
        return Network(network.vpc_id, list(network.subnet_ids), network.assign_public_ip, paths=[])
    return _new_vpc(ctx, network)


def pick_zones(region: str, names: list[str], zone_ids: list[str], count: int) -> list[str]:
    """The first `count` usable zones by name. Index i keeps naming the same zone on every run,
    so subnet i never moves (no state filter: an impaired zone must not shift the others)."""
    allowed = FARGATE_ZONE_IDS.get(region)
    usable = sorted(
        name
        for name, zone_id in zip(names, zone_ids, strict=False)
        if zone_id not in EXCLUDED_ZONE_IDS and (allowed is None or zone_id in allowed)
    )
    if len(usable) < count:
        raise FtclusterError(
            f"{region} has {len(usable)} Availability Zones that run Fargate ({', '.join(usable) or 'none'}); "
            f"the spec asks for {count}",
            hint=f"set network.availability_zones to {len(usable)} or fewer",
        )
    return usable[:count]


def _new_vpc(ctx: Context, network: NewVpc) -> Network:
    name = ctx.spec.name
    zones_found = aws.get_availability_zones(
        # Standard zones only: Local Zones and Wavelength Zones have no Fargate.
        filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
        opts=ctx.invoke_opts(),
    )
    zones = pick_zones(ctx.spec.region, list(zones_found.names), list(zones_found.zone_ids), network.availability_zones)

    vpc = aws.ec2.Vpc(
        logical.VPC,
        cidr_block=network.cidr,
        enable_dns_support=True,
        enable_dns_hostnames=True,  # ECS agents and the S3 endpoint rely on VPC DNS
        tags={"Name": name},
        opts=ctx.opts(),
    )
    gateway = aws.ec2.InternetGateway(logical.INTERNET_GATEWAY, vpc_id=vpc.id, tags={"Name": name}, opts=ctx.opts())
    public_table = aws.ec2.RouteTable(
        logical.PUBLIC_ROUTES, vpc_id=vpc.id, tags={"Name": f"{name}-public"}, opts=ctx.opts()
    )
    paths: list[pulumi.Resource] = [
        aws.ec2.Route(
            logical.PUBLIC_DEFAULT_ROUTE,
            route_table_id=public_table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=gateway.id,
            opts=ctx.opts(),
        )
    ]

    public_subnets, private_subnets, private_tables, nat_gateways = [], [], [], []
    for index, (zone, (private_block, public_block)) in enumerate(
        zip(zones, network.subnet_blocks(), strict=False), start=1
    ):
        public = aws.ec2.Subnet(
            logical.public_subnet(index),
            vpc_id=vpc.id,
            cidr_block=public_block,
            availability_zone=zone,
            # Only without NAT do instances in the public subnets need their own public address.
            map_public_ip_on_launch=network.nat == "none",
            tags={"Name": f"{name}-public-{index}", logical.TIER_TAG: "public"},
            opts=ctx.opts(),
        )
        paths.append(
            aws.ec2.RouteTableAssociation(
                logical.subnet_routes(logical.public_subnet(index)),
                subnet_id=public.id,
                route_table_id=public_table.id,
                opts=ctx.opts(),
            )
        )
        private = aws.ec2.Subnet(
            logical.private_subnet(index),
            vpc_id=vpc.id,
            cidr_block=private_block,
            availability_zone=zone,
            tags={"Name": f"{name}-private-{index}", logical.TIER_TAG: "private"},
            opts=ctx.opts(),
        )
        # One private route table per AZ, whatever the NAT mode, so switching modes only moves routes.
        table = aws.ec2.RouteTable(
            logical.private_routes(index), vpc_id=vpc.id, tags={"Name": f"{name}-private-{index}"}, opts=ctx.opts()
        )
        paths.append(
            aws.ec2.RouteTableAssociation(
                logical.subnet_routes(logical.private_subnet(index)),
                subnet_id=private.id,
                route_table_id=table.id,
                opts=ctx.opts(),
            )
        )
        if network.nat == "per_az" or (network.nat == "single" and index == 1):
            address = aws.ec2.Eip(
                logical.nat_address(index), domain="vpc", tags={"Name": f"{name}-nat-{index}"}, opts=ctx.opts()
            )
            nat_gateways.append(
                aws.ec2.NatGateway(
                    logical.nat_gateway(index),
                    allocation_id=address.id,
                    subnet_id=public.id,
                    connectivity_type="public",
                    tags={"Name": f"{name}-{index}"},
                    opts=ctx.opts(depends_on=[gateway]),  # a public NAT needs the VPC's internet gateway
                )
            )
            paths.append(nat_gateways[-1])
        if nat_gateways:
            # per_az: each AZ leaves through its own NAT; single: every AZ through the first one.
            paths.append(
                aws.ec2.Route(
                    logical.private_default_route(index),
                    route_table_id=table.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat_gateways[-1].id,
                    opts=ctx.opts(),
                )
            )
        public_subnets.append(public)
        private_subnets.append(private)
        private_tables.append(table)

    # Checkpoint traffic to S3 stays inside AWS and skips the NAT gateways (and their per-GB fee).
    paths.append(
        aws.ec2.VpcEndpoint(
            logical.S3_ENDPOINT,
            vpc_id=vpc.id,
            service_name=f"{ctx.reverse_dns_prefix}.{ctx.spec.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[public_table.id, *(table.id for table in private_tables)],
            tags={"Name": f"{name}-s3"},
            opts=ctx.opts(),
        )
    )

    # Without NAT the private subnets have no way out, so work runs in the public ones instead.
    task_subnets = public_subnets if network.nat == "none" else private_subnets
    return Network(vpc.id, [subnet.id for subnet in task_subnets], network.nat == "none", paths)
