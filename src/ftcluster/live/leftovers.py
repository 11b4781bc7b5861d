"""What survived a destroy: everything still tagged `ftcluster:cluster=<name>` (Resource Groups
Tagging API, plus IAM under /ftcluster/, which is global) and everything still in the cluster's VPC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..aws import AwsError, AwsSession, aws_call, chunks, pages

CLUSTER_TAG = "ftcluster:cluster"
IAM_PATH = "/ftcluster/"  # the program creates its IAM roles and instance profile under this path
GONE_STATES = {"terminated", "deleted", "deleting", "cancelled", "inactive", "failed"}
# EC2 kinds (as in their ARNs) that can be looked up by id without an error when they are gone
EC2_LOOKUPS = {
    "instance": ("describe_instances", "Reservations", "instance-id"),
    "security-group": ("describe_security_groups", "SecurityGroups", "group-id"),
    "subnet": ("describe_subnets", "Subnets", "subnet-id"),
    "vpc": ("describe_vpcs", "Vpcs", "vpc-id"),
    "network-interface": ("describe_network_interfaces", "NetworkInterfaces", "network-interface-id"),
    "internet-gateway": ("describe_internet_gateways", "InternetGateways", "internet-gateway-id"),
    "route-table": ("describe_route_tables", "RouteTables", "route-table-id"),
    "natgateway": ("describe_nat_gateways", "NatGateways", "nat-gateway-id"),
    "vpc-endpoint": ("describe_vpc_endpoints", "VpcEndpoints", "vpc-endpoint-id"),
    "elastic-ip": ("describe_addresses", "Addresses", "allocation-id"),
}


@dataclass(frozen=True)
class Leftover:
    kind: str  # "<service> <resource type>", e.g. "ec2 security-group", "logs log-group", "s3 bucket"
    id: str
    arn: str | None
    found_by: str  # "tag", "vpc" or "tag, vpc"
    expected: bool  # True for what destroy keeps on purpose (the checkpoint bucket)
    note: str | None = None


@dataclass(frozen=True)
class LeftoverReport:
    cluster: str
    region: str
    vpc_id: str | None
    items: list[Leftover] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be checked, and caveats

    @property
    def unexpected(self) -> list[Leftover]:
        return [i for i in self.items if not i.expected]

    @property
    def clean(self) -> bool:
        return not self.unexpected

    def to_dict(self) -> dict[str, Any]:
        from .status_model import to_plain

        return {**to_plain(self), "clean": self.clean, "unexpected": len(self.unexpected)}


def find_leftovers(
    cluster_name: str,
    region: str,
    vpc_id: str | None = None,
    *,
    endpoint_url: str | None = None,
    checkpoint_bucket: str | None = None,
    checkpoints_kept: bool = True,
    session: AwsSession | None = None,
) -> LeftoverReport:
    """Look for what is left of cluster `cluster_name` in `region` (read-only).

    `checkpoint_bucket`: the bucket destroy keeps (any tagged bucket counts as it when None);
    `checkpoints_kept=False` when the destroy was asked to delete checkpoints too.
    """
    aws = session or AwsSession(region, endpoint_url)
    finder = _Finder(aws, cluster_name, checkpoint_bucket, checkpoints_kept)
    finder.tagged()
    finder.iam_roles()
    if vpc_id:
        finder.in_vpc(vpc_id)
    return LeftoverReport(cluster_name, region, vpc_id, sorted(finder.items.values(), key=_order), finder.notes)


class _Finder:
    def __init__(self, aws: AwsSession, cluster: str, bucket: str | None, checkpoints_kept: bool) -> None:
        self.aws, self.cluster, self.bucket, self.checkpoints_kept = aws, cluster, bucket, checkpoints_kept
        self.items: dict[tuple[str, str], Leftover] = {}  # by (kind, resource id)
        self.notes: list[str] = []
        self.tag_filter = [{"Key": CLUSTER_TAG, "Values": [cluster]}]

    def add(self, kind: str, resource_id: str, arn: str | None, found_by: str, note: str | None = None,
            expected: bool = False) -> None:
        key = (kind, resource_id)
        known = self.items.get(key)
        if known:
            found = ", ".join(sorted({*known.found_by.split(", "), found_by}, key=("tag", "vpc").index))
            self.items[key] = Leftover(kind, resource_id, known.arn or arn, found, known.expected, known.note or note)
        else:
            self.items[key] = Leftover(kind, resource_id, arn, found_by, expected, note)

    def optional(self, what: str, read: Callable[[], Any]) -> Any:
        try:
            return read()
        except AwsError as err:
            if err.kind in ("credentials", "unreachable"):
                raise
            self.notes.append(f"{what} not checked: {err.message}")
            return None

    # --- by tag ----------------------------------------------------------------------------------

    def tagged(self) -> None:
        tagging = self.aws.client("resourcegroupstaggingapi")
        with aws_call(f"looking up resources tagged {CLUSTER_TAG}={self.cluster}"):
            mappings = pages(tagging, "get_resources", "ResourceTagMappingList", TagFilters=self.tag_filter)
        for mapping in mappings:
            arn = mapping["ResourceARN"]
            service, kind, resource_id = _parse_arn(arn)
            state = self.optional(f"the state of {resource_id}", partial(self._state, service, kind, resource_id))
            gone, note = state or (False, "state not verified")
            if gone is True:
                continue  # deleted; the tagging API forgets such resources a little later
            expected, why = self._expected(service, kind, resource_id)
            self.add(f"{service} {kind}".strip(), resource_id, arn, "tag", why or note, expected)
        self.notes.append(
            "the tagging API can list a deleted resource for a few minutes; run the check again to confirm"
        )

    def _state(self, service: str, kind: str, resource_id: str) -> tuple[bool, str | None]:
        """(gone, note): the tagging API lists deleted resources for a while, so look at the resource
        itself where a cheap read can; kinds without one are taken as existing."""
        if service == "ec2" and kind in EC2_LOOKUPS:
            operation, result_key, id_filter = EC2_LOOKUPS[kind]
            ec2 = self.aws.client("ec2")
            with aws_call(f"describing {kind} {resource_id}"):
                found = pages(ec2, operation, result_key, Filters=[{"Name": id_filter, "Values": [resource_id]}])
            if kind == "instance":
                found = [i for r in found for i in r.get("Instances", [])]
            states = [_state_name(item) for item in found]
            return (not found or all(state in GONE_STATES for state in states)), None
        if service == "ec2" and kind == "launch-template":  # no id filter: ask by id, NotFound = gone
            try:
                with aws_call(f"describing launch template {resource_id}"):
                    self.aws.client("ec2").describe_launch_templates(LaunchTemplateIds=[resource_id])
            except AwsError as err:
                if err.kind == "not_found" or "NotFound" in (err.code or ""):
                    return True, None
                raise
            return False, None
        if service == "ec2" and kind == "spot-fleet-request":
            with aws_call(f"describing Spot Fleet request {resource_id}"):
                configs = self.aws.client("ec2").describe_spot_fleet_requests(
                    SpotFleetRequestIds=[resource_id]).get("SpotFleetRequestConfigs", [])
            state = configs[0].get("SpotFleetRequestState") if configs else None
            note = "cancelled, but its instances still run" if state == "cancelled_running" else None
            return (state is None or state in GONE_STATES or state == "cancelled_terminating"), note
        if service == "ecs" and kind in ("cluster", "service", "task-definition"):
            return self._ecs_state(kind, resource_id)
        if service == "logs" and kind == "log-group":
            logs = self.aws.client("logs")
            with aws_call(f"describing log group {resource_id}"):
                groups = pages(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=resource_id)
            return not any(g.get("logGroupName") == resource_id for g in groups), None
        if service == "s3":
            try:
                with aws_call(f"looking at bucket {resource_id}"):
                    self.aws.client("s3").head_bucket(Bucket=resource_id)
            except AwsError as err:
                if err.code in ("404", "NoSuchBucket", "NotFound"):
                    return True, None
                raise
        return False, None

    def _ecs_state(self, kind: str, resource_id: str) -> tuple[bool, str | None]:
        ecs = self.aws.client("ecs")
        with aws_call(f"describing ECS {kind} {resource_id}"):
            if kind == "cluster":
                clusters = ecs.describe_clusters(clusters=[resource_id]).get("clusters", [])
                status = clusters[0].get("status") if clusters else None
            elif kind == "service":
                cluster, _, name = resource_id.rpartition("/")
                found = ecs.describe_services(cluster=cluster or self.cluster, services=[name]).get("services", [])
                status = found[0].get("status") if found else None
            else:
                status = ecs.describe_task_definition(taskDefinition=resource_id)["taskDefinition"].get("status")
        return status in (None, "INACTIVE", "DELETE_IN_PROGRESS"), None

    def _expected(self, service: str, kind: str, resource_id: str) -> tuple[bool, str | None]:
        if service == "s3" and self.checkpoints_kept and (self.bucket is None or resource_id == self.bucket):
            return True, "checkpoint bucket: kept on destroy so training state survives"
        return False, None

    # --- IAM (global, outside the regional tagging API) --------------------------------------------

    def iam_roles(self) -> None:
        """Roles and instance profiles under ftcluster's IAM path that carry the cluster's tag."""
        iam = self.aws.client("iam")

        def read() -> None:
            with aws_call("listing IAM roles"):
                for role in pages(iam, "list_roles", "Roles", PathPrefix=IAM_PATH):
                    role_tags = pages(iam, "list_role_tags", "Tags", RoleName=role["RoleName"])
                    if self._ours(role_tags):
                        self.add("iam role", role["RoleName"], role.get("Arn"), "tag")
            with aws_call("listing IAM instance profiles"):
                for profile in pages(iam, "list_instance_profiles", "InstanceProfiles", PathPrefix=IAM_PATH):
                    name = profile["InstanceProfileName"]
                    found = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
                    if self._ours(found.get("Tags", [])):
                        self.add("iam instance-profile", name, profile.get("Arn"), "tag")

        self.optional("IAM roles", read)

    def _ours(self, tags: list[dict[str, Any]]) -> bool:
        return any(t.get("Key") == CLUSTER_TAG and t.get("Value") == self.cluster for t in tags)

    # --- in the VPC ------------------------------------------------------------------------------

    def in_vpc(self, vpc_id: str) -> None:
        ec2 = self.aws.client("ec2")
        by_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
        with aws_call(f"describing VPC {vpc_id}"):
            vpcs = pages(ec2, "describe_vpcs", "Vpcs", Filters=by_vpc)
        if not vpcs:
            self.notes.append(f"VPC {vpc_id} no longer exists")
            return
        owned = self._ours(vpcs[0].get("Tags", []))
        if not owned:  # the user's own VPC: only what ftcluster put there counts
            self._enis_of_our_groups(vpc_id)
            return
        self.add("ec2 vpc", vpc_id, None, "vpc")
        with aws_call(f"listing what is left in VPC {vpc_id}"):
            for subnet in pages(ec2, "describe_subnets", "Subnets", Filters=by_vpc):
                self.add("ec2 subnet", subnet["SubnetId"], subnet.get("SubnetArn"), "vpc")
            for group in pages(ec2, "describe_security_groups", "SecurityGroups", Filters=by_vpc):
                if group.get("GroupName") != "default":  # goes away with the VPC
                    self.add("ec2 security-group", group["GroupId"], None, "vpc")
            for table in pages(ec2, "describe_route_tables", "RouteTables", Filters=by_vpc):
                if not any(a.get("Main") for a in table.get("Associations", [])):
                    self.add("ec2 route-table", table["RouteTableId"], None, "vpc")
            for gateway in pages(ec2, "describe_internet_gateways", "InternetGateways",
                                 Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]):
                self.add("ec2 internet-gateway", gateway["InternetGatewayId"], None, "vpc")
            for nat in pages(ec2, "describe_nat_gateways", "NatGateways", Filters=by_vpc):
                if nat.get("State") not in GONE_STATES:
                    self.add("ec2 natgateway", nat["NatGatewayId"], None, "vpc", "costs money every hour")
            for endpoint in pages(ec2, "describe_vpc_endpoints", "VpcEndpoints", Filters=by_vpc):
                if str(endpoint.get("State", "")).lower() not in GONE_STATES:
                    self.add("ec2 vpc-endpoint", endpoint["VpcEndpointId"], None, "vpc")
            for interface in pages(ec2, "describe_network_interfaces", "NetworkInterfaces", Filters=by_vpc):
                self.add("ec2 network-interface", interface["NetworkInterfaceId"], None, "vpc", _eni_note(interface))
            for reservation in pages(ec2, "describe_instances", "Reservations", Filters=by_vpc):
                for instance in reservation.get("Instances", []):
                    if instance["State"]["Name"] not in GONE_STATES:
                        self.add("ec2 instance", instance["InstanceId"], None, "vpc")

    def _enis_of_our_groups(self, vpc_id: str) -> None:
        ours = [i.id for i in self.items.values() if i.kind == "ec2 security-group"]
        if not ours:
            return
        ec2 = self.aws.client("ec2")
        with aws_call(f"listing network interfaces in VPC {vpc_id}"):
            interfaces = []
            for batch in chunks(ours, 100):
                interfaces += pages(ec2, "describe_network_interfaces", "NetworkInterfaces",
                                    Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                             {"Name": "group-id", "Values": batch}])
        for interface in interfaces:
            self.add("ec2 network-interface", interface["NetworkInterfaceId"], None, "vpc", _eni_note(interface))


def _state_name(item: dict[str, Any]) -> str:
    state = item.get("State")
    return str(state.get("Name", "") if isinstance(state, dict) else state or "").lower()


def _eni_note(interface: dict[str, Any]) -> str:
    if interface.get("RequesterManaged") or str(interface.get("Description", "")).startswith("arn:aws:ecs"):
        return ("made by ECS for a task; ECS deletes it minutes after the task stops, "
                "and it blocks deleting its security group")
    return "blocks deleting its security group and subnet while it exists"


def _parse_arn(arn: str) -> tuple[str, str, str]:
    """(service, resource type, resource id) of an ARN; S3 buckets have no type in theirs."""
    parts = arn.split(":", 5)
    service, resource = parts[2], parts[5] if len(parts) > 5 else ""
    if service == "s3":
        return "s3", "bucket", resource
    if service == "logs" and resource.startswith("log-group:"):
        return "logs", "log-group", resource.removeprefix("log-group:").removesuffix(":*")
    kind, sep, rest = resource.partition("/")
    if not sep:
        kind, sep, rest = resource.partition(":")
    return (service, kind, rest) if sep else (service, "", resource)


def _order(item: Leftover) -> tuple[bool, str, str]:
    return (item.expected, item.kind, item.id)
