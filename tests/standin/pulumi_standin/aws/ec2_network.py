"""EC2 networking in the emulator: VPC, subnets, gateways, route tables and routes, Elastic IPs, NAT
gateways, VPC endpoints, security groups and their rules. Each mapping follows the create, update and
delete functions of the terraform-provider-aws file named in its table entry."""

from __future__ import annotations

import zlib
from typing import Any

from .core import Call, NotEmulated, Props, resource, tag_changes, tag_list


def tag_specs(call: Call, resource_type: str) -> dict[str, Any]:
    """terraform-provider-aws internal/service/ec2/tags.go getTagSpecificationsIn: tags at creation."""
    if not call.tags:
        return {}
    return {"TagSpecifications": [{"ResourceType": resource_type, "Tags": tag_list(call.tags)}]}


def retag(call: Call, resource_id: str, old: Props, new: Props) -> None:
    """internal/service/ec2/tags_gen.go updateTags: CreateTags for new or changed, DeleteTags for removed."""
    ec2 = call.client("ec2")
    removed, changed = tag_changes(call, old)
    if removed:
        ec2.delete_tags(Resources=[resource_id], Tags=[{"Key": key} for key in removed])
    if changed:
        ec2.create_tags(Resources=[resource_id], Tags=tag_list(changed))


def _tags_only(call: Call, resource_id: str, old: Props, new: Props, changed: set[str]) -> Props:
    retag(call, resource_id, old, new)
    return {}


# --- VPC: internal/service/ec2/vpc_.go ---------------------------------------------------------------


def _vpc_attributes(call: Call, vpc_id: str, props: Props, defaults: dict[str, bool]) -> None:
    # ModifyVpcAttribute takes one attribute per call
    for key, attribute in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        wanted = props.get(key)
        if wanted is not None and bool(wanted) != defaults.get(key):
            call.client("ec2").modify_vpc_attribute(VpcId=vpc_id, **{attribute: {"Value": bool(wanted)}})


def create_vpc(call: Call, props: Props) -> tuple[str, Props]:
    args = {"CidrBlock": props["cidrBlock"], **tag_specs(call, "vpc")}
    if props.get("instanceTenancy"):
        args["InstanceTenancy"] = props["instanceTenancy"]
    vpc = call.client("ec2").create_vpc(**args)["Vpc"]
    vpc_id = vpc["VpcId"]
    # a new VPC has DNS support on and DNS hostnames off
    _vpc_attributes(call, vpc_id, props, {"enableDnsSupport": True, "enableDnsHostnames": False})
    tables = call.client("ec2").describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"]
    main_table = tables[0]["RouteTableId"] if tables else None
    return vpc_id, {
        "arn": call.arn("ec2", f"vpc/{vpc_id}"),
        "ownerId": vpc.get("OwnerId"),
        "dhcpOptionsId": vpc.get("DhcpOptionsId"),
        "mainRouteTableId": main_table,
        "defaultRouteTableId": main_table,
    }


def update_vpc(call: Call, vpc_id: str, old: Props, new: Props, changed: set[str]) -> Props:
    before = {key: bool(old.get(key)) for key in ("enableDnsSupport", "enableDnsHostnames")}
    _vpc_attributes(call, vpc_id, new, before)
    if changed & {"tags", "tagsAll"}:
        retag(call, vpc_id, old, new)
    return {}


def delete_vpc(call: Call, vpc_id: str, props: Props) -> None:
    call.client("ec2").delete_vpc(VpcId=vpc_id)


# --- subnets: internal/service/ec2/vpc_subnet.go -------------------------------------------------------


def create_subnet(call: Call, props: Props) -> tuple[str, Props]:
    args = {"VpcId": props["vpcId"], "CidrBlock": props["cidrBlock"], **tag_specs(call, "subnet")}
    if props.get("availabilityZone"):
        args["AvailabilityZone"] = props["availabilityZone"]
    if props.get("availabilityZoneId"):
        args["AvailabilityZoneId"] = props["availabilityZoneId"]
    subnet = call.client("ec2").create_subnet(**args)["Subnet"]
    subnet_id = subnet["SubnetId"]
    if props.get("mapPublicIpOnLaunch"):
        call.client("ec2").modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    return subnet_id, {
        "arn": subnet.get("SubnetArn") or call.arn("ec2", f"subnet/{subnet_id}"),
        "availabilityZone": subnet.get("AvailabilityZone"),
        "availabilityZoneId": subnet.get("AvailabilityZoneId"),
        "ownerId": subnet.get("OwnerId"),
    }


def update_subnet(call: Call, subnet_id: str, old: Props, new: Props, changed: set[str]) -> Props:
    if "mapPublicIpOnLaunch" in changed:
        call.client("ec2").modify_subnet_attribute(
            SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": bool(new.get("mapPublicIpOnLaunch"))}
        )
    if changed & {"tags", "tagsAll"}:
        retag(call, subnet_id, old, new)
    return {}


def delete_subnet(call: Call, subnet_id: str, props: Props) -> None:
    call.client("ec2").delete_subnet(SubnetId=subnet_id)


# --- internet gateway: internal/service/ec2/vpc_internet_gateway.go ------------------------------------


def create_internet_gateway(call: Call, props: Props) -> tuple[str, Props]:
    gateway = call.client("ec2").create_internet_gateway(**tag_specs(call, "internet-gateway"))["InternetGateway"]
    gateway_id = gateway["InternetGatewayId"]
    if props.get("vpcId"):
        call.client("ec2").attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=props["vpcId"])
    return gateway_id, {"arn": call.arn("ec2", f"internet-gateway/{gateway_id}"), "ownerId": gateway.get("OwnerId")}


def delete_internet_gateway(call: Call, gateway_id: str, props: Props) -> None:
    if props.get("vpcId"):
        call.client("ec2").detach_internet_gateway(InternetGatewayId=gateway_id, VpcId=props["vpcId"])
    call.client("ec2").delete_internet_gateway(InternetGatewayId=gateway_id)


# --- route tables, routes, associations: vpc_route_table.go, vpc_route.go, vpc_route_table_association.go


def create_route_table(call: Call, props: Props) -> tuple[str, Props]:
    if props.get("routes") or props.get("propagatingVgws"):
        raise NotEmulated("inline routes of a route table are not mapped (declare aws.ec2.Route resources)")
    table = call.client("ec2").create_route_table(VpcId=props["vpcId"], **tag_specs(call, "route-table"))
    table_id = table["RouteTable"]["RouteTableId"]
    return table_id, {"arn": call.arn("ec2", f"route-table/{table_id}"), "ownerId": table["RouteTable"].get("OwnerId")}


def delete_route_table(call: Call, table_id: str, props: Props) -> None:
    call.client("ec2").delete_route_table(RouteTableId=table_id)


ROUTE_TARGETS = {
    "gatewayId": "GatewayId",
    "natGatewayId": "NatGatewayId",
    "networkInterfaceId": "NetworkInterfaceId",
    "transitGatewayId": "TransitGatewayId",
    "vpcEndpointId": "VpcEndpointId",
    "vpcPeeringConnectionId": "VpcPeeringConnectionId",
    "egressOnlyGatewayId": "EgressOnlyInternetGatewayId",
}
ROUTE_DESTINATIONS = {
    "destinationCidrBlock": "DestinationCidrBlock",
    "destinationIpv6CidrBlock": "DestinationIpv6CidrBlock",
    "destinationPrefixListId": "DestinationPrefixListId",
}


def _route_args(props: Props) -> dict[str, Any]:
    args = {"RouteTableId": props["routeTableId"]}
    args.update({api: props[key] for key, api in {**ROUTE_DESTINATIONS, **ROUTE_TARGETS}.items() if props.get(key)})
    return args


def _destination(props: Props) -> str:
    return next(str(props[key]) for key in ROUTE_DESTINATIONS if props.get(key))


def create_route(call: Call, props: Props) -> tuple[str, Props]:
    call.client("ec2").create_route(**_route_args(props))
    # vpc_route.go routeCreateID: "r-" + route table id + the destination's create.StringHashcode (CRC-32)
    route_id = f"r-{props['routeTableId']}{zlib.crc32(_destination(props).encode())}"
    return route_id, {"origin": "CreateRoute", "state": "active"}


def update_route(call: Call, route_id: str, old: Props, new: Props, changed: set[str]) -> Props:
    call.client("ec2").replace_route(**_route_args(new))
    return {}


def delete_route(call: Call, route_id: str, props: Props) -> None:
    destination = {api: props[key] for key, api in ROUTE_DESTINATIONS.items() if props.get(key)}
    call.client("ec2").delete_route(RouteTableId=props["routeTableId"], **destination)


def create_association(call: Call, props: Props) -> tuple[str, Props]:
    target = {"SubnetId": props["subnetId"]} if props.get("subnetId") else {"GatewayId": props["gatewayId"]}
    answer = call.client("ec2").associate_route_table(RouteTableId=props["routeTableId"], **target)
    return answer["AssociationId"], {}


def update_association(call: Call, association_id: str, old: Props, new: Props, changed: set[str]) -> Props:
    answer = call.client("ec2").replace_route_table_association(
        AssociationId=association_id, RouteTableId=new["routeTableId"]
    )
    return {"id": answer["NewAssociationId"]}


def delete_association(call: Call, association_id: str, props: Props) -> None:
    call.client("ec2").disassociate_route_table(AssociationId=association_id)


# --- Elastic IP and NAT gateway: ec2_eip.go, vpc_nat_gateway.go ----------------------------------------


def create_eip(call: Call, props: Props) -> tuple[str, Props]:
    address = call.client("ec2").allocate_address(Domain=props.get("domain") or "vpc", **tag_specs(call, "elastic-ip"))
    allocation = address["AllocationId"]
    return allocation, {
        "allocationId": allocation,
        "publicIp": address.get("PublicIp"),
        "domain": address.get("Domain"),
        "arn": call.arn("ec2", f"elastic-ip/{allocation}"),
    }


def delete_eip(call: Call, allocation_id: str, props: Props) -> None:
    call.client("ec2").release_address(AllocationId=allocation_id)


def create_nat_gateway(call: Call, props: Props) -> tuple[str, Props]:
    args = {"SubnetId": props["subnetId"], **tag_specs(call, "natgateway")}
    if props.get("allocationId"):
        args["AllocationId"] = props["allocationId"]
    if props.get("connectivityType"):
        args["ConnectivityType"] = props["connectivityType"]
    nat = call.client("ec2").create_nat_gateway(**args)["NatGateway"]
    addresses = nat.get("NatGatewayAddresses") or [{}]
    return nat["NatGatewayId"], {
        "networkInterfaceId": addresses[0].get("NetworkInterfaceId"),
        "privateIp": addresses[0].get("PrivateIp"),
        "publicIp": addresses[0].get("PublicIp"),
    }


def delete_nat_gateway(call: Call, nat_id: str, props: Props) -> None:
    call.client("ec2").delete_nat_gateway(NatGatewayId=nat_id)


# --- VPC endpoint: internal/service/ec2/vpc_endpoint.go -------------------------------------------------


def create_vpc_endpoint(call: Call, props: Props) -> tuple[str, Props]:
    args: dict[str, Any] = {
        "VpcId": props["vpcId"],
        "ServiceName": props["serviceName"],
        "VpcEndpointType": props.get("vpcEndpointType") or "Gateway",
        **tag_specs(call, "vpc-endpoint"),
    }
    for key, api in (
        ("routeTableIds", "RouteTableIds"),
        ("subnetIds", "SubnetIds"),
        ("securityGroupIds", "SecurityGroupIds"),
        ("policy", "PolicyDocument"),
    ):
        if props.get(key):
            args[api] = props[key]
    endpoint = call.client("ec2").create_vpc_endpoint(**args)["VpcEndpoint"]
    endpoint_id = endpoint["VpcEndpointId"]
    return endpoint_id, {
        "arn": call.arn("ec2", f"vpc-endpoint/{endpoint_id}"),
        "state": endpoint.get("State"),
        "ownerId": endpoint.get("OwnerId"),
    }


def update_vpc_endpoint(call: Call, endpoint_id: str, old: Props, new: Props, changed: set[str]) -> Props:
    if "routeTableIds" in changed:
        before, after = set(old.get("routeTableIds") or []), set(new.get("routeTableIds") or [])
        call.client("ec2").modify_vpc_endpoint(
            VpcEndpointId=endpoint_id,
            AddRouteTableIds=sorted(after - before),
            RemoveRouteTableIds=sorted(before - after),
        )
    if changed & {"tags", "tagsAll"}:
        retag(call, endpoint_id, old, new)
    return {}


def delete_vpc_endpoint(call: Call, endpoint_id: str, props: Props) -> None:
    call.client("ec2").delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])


RESOURCES = {
    "aws:ec2/vpc:Vpc": resource(
        "internal/service/ec2/vpc_.go",
        "cidrBlock enableDnsSupport enableDnsHostnames instanceTenancy",
        create_vpc,
        delete_vpc,
        update_vpc,
        "enableDnsSupport enableDnsHostnames tags tagsAll",
    ),
    "aws:ec2/subnet:Subnet": resource(
        "internal/service/ec2/vpc_subnet.go",
        "vpcId cidrBlock availabilityZone availabilityZoneId mapPublicIpOnLaunch",
        create_subnet,
        delete_subnet,
        update_subnet,
        "mapPublicIpOnLaunch tags tagsAll",
    ),
    "aws:ec2/internetGateway:InternetGateway": resource(
        "internal/service/ec2/vpc_internet_gateway.go",
        "vpcId",
        create_internet_gateway,
        delete_internet_gateway,
        _tags_only,
        "tags tagsAll",
    ),
    "aws:ec2/routeTable:RouteTable": resource(
        "internal/service/ec2/vpc_route_table.go",
        "vpcId routes propagatingVgws",
        create_route_table,
        delete_route_table,
        _tags_only,
        "tags tagsAll",
    ),
    "aws:ec2/route:Route": resource(
        "internal/service/ec2/vpc_route.go",
        " ".join(["routeTableId", *ROUTE_DESTINATIONS, *ROUTE_TARGETS]),
        create_route,
        delete_route,
        update_route,
        " ".join(ROUTE_TARGETS),
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": resource(
        "internal/service/ec2/vpc_route_table_association.go",
        "subnetId gatewayId routeTableId",
        create_association,
        delete_association,
        update_association,
        "routeTableId",
    ),
    "aws:ec2/eip:Eip": resource(
        "internal/service/ec2/ec2_eip.go", "domain", create_eip, delete_eip, _tags_only, "tags tagsAll"
    ),
    "aws:ec2/natGateway:NatGateway": resource(
        "internal/service/ec2/vpc_nat_gateway.go",
        "allocationId subnetId connectivityType",
        create_nat_gateway,
        delete_nat_gateway,
        _tags_only,
        "tags tagsAll",
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": resource(
        "internal/service/ec2/vpc_endpoint.go",
        "vpcId serviceName vpcEndpointType routeTableIds subnetIds securityGroupIds policy",
        create_vpc_endpoint,
        delete_vpc_endpoint,
        update_vpc_endpoint,
        "routeTableIds tags tagsAll",
    ),
}
