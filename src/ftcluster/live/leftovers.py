"""What survived a destroy: everything still tagged `ftcluster:cluster=<name>` (Resource Groups
Tagging API), what that API does not list (Auto Scaling group, capacity provider, Cloud Map:
leftovers_untagged), the cluster's IAM roles (global, found by their names) and what is still in its VPC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..aws import AwsError, AwsSession, aws_call, chunks, pages
from ..program.names import CLUSTER_TAG, IAM_PATH, cluster_names, drill_role_prefix
from . import leftovers_untagged as untagged
from .leftovers_completion import KINDS as COMPLETION_KINDS
from .leftovers_completion import completion_alive, rule_by_name

GONE_STATES = {"terminated", "deleted", "deleting", "cancelled", "inactive", "failed"}
# EC2 kinds (as in their ARNs) looked up with an id filter, which lists what exists and ignores ids
# that are gone: (operation, result key, id filter, id field)
EC2_LOOKUPS = {
    "instance": ("describe_instances", "Reservations", "instance-id", "InstanceId"),
    "security-group": ("describe_security_groups", "SecurityGroups", "group-id", "GroupId"),
    "subnet": ("describe_subnets", "Subnets", "subnet-id", "SubnetId"),
    "vpc": ("describe_vpcs", "Vpcs", "vpc-id", "VpcId"),
    "network-interface": (
        "describe_network_interfaces",
        "NetworkInterfaces",
        "network-interface-id",
        "NetworkInterfaceId",
    ),
    "internet-gateway": ("describe_internet_gateways", "InternetGateways", "internet-gateway-id", "InternetGatewayId"),
    "route-table": ("describe_route_tables", "RouteTables", "route-table-id", "RouteTableId"),
    "natgateway": ("describe_nat_gateways", "NatGateways", "nat-gateway-id", "NatGatewayId"),
    "vpc-endpoint": ("describe_vpc_endpoints", "VpcEndpoints", "vpc-endpoint-id", "VpcEndpointId"),
    "elastic-ip": ("describe_addresses", "Addresses", "allocation-id", "AllocationId"),
}
EC2_FILTER_VALUES = 200  # EC2 refuses more filter values in one call (FilterLimitExceeded)
ECS_SERVICES_PER_CALL = 10  # DescribeServices takes at most 10 services, DescribeClusters 100 clusters
ECS_CLUSTERS_PER_CALL = 100
Alive = dict[str, str | None]  # resource id -> note, for the resources of one kind that still exist


@dataclass(frozen=True)
class Leftover:
    kind: str  # "<service> <resource type>", e.g. "ec2 security-group", "logs log-group", "s3 bucket"
    id: str
    arn: str | None
    found_by: str  # "tag" (tagging API), "name" (IAM), "vpc" (in the cluster's VPC), or "tag, vpc"
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
    finder = _Finder(aws, cluster_name, region, checkpoint_bucket, checkpoints_kept)
    finder.tagged()
    finder.untagged()
    finder.iam_roles()
    # without stack outputs (destroy --verify-only): the VPC the tagging API found, else the VPCs of
    # the cluster's security groups (a VPC of the user's own)
    vpc_ids = (
        [vpc_id]
        if vpc_id
        else list(
            dict.fromkeys(
                [i.id for i in finder.items.values() if i.kind == "ec2 vpc"] + list(finder.group_vpcs.values())
            )
        )
    )
    for found in vpc_ids:
        finder.in_vpc(found)
    return LeftoverReport(
        cluster_name, region, vpc_ids[0] if vpc_ids else None, sorted(finder.items.values(), key=_order), finder.notes
    )


def iam_names(cluster: str, region: str) -> tuple[set[str], set[str]]:
    """(role names, instance profile names) the program gives cluster `cluster` in `region`, of either fleet type."""
    names = cluster_names(cluster, region)
    roles = {names.execution_role, names.task_role, names.instance_role, names.fleet_role}
    roles |= {names.completion_events_role, names.completion_steps_role}
    return roles, {names.instance_profile}


class _Finder:
    def __init__(self, aws: AwsSession, cluster: str, region: str, bucket: str | None, checkpoints_kept: bool) -> None:
        self.aws, self.cluster, self.region = aws, cluster, region
        self.bucket, self.checkpoints_kept = bucket, checkpoints_kept
        self.items: dict[tuple[str, str], Leftover] = {}  # by (kind, resource id)
        self.notes: list[str] = []
        self.tag_filter = [{"Key": CLUSTER_TAG, "Values": [cluster]}]
        self.group_vpcs: dict[str, str] = {}  # tagged security group -> its VPC

    def add(
        self,
        kind: str,
        resource_id: str,
        arn: str | None,
        found_by: str,
        note: str | None = None,
        expected: bool = False,
    ) -> None:
        key = (kind, resource_id)
        known = self.items.get(key)
        if known:
            found = ", ".join(sorted({*known.found_by.split(", "), found_by}, key=("tag", "name", "vpc").index))
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
            mappings = pages(
                tagging, "get_resources", "ResourceTagMappingList", TagFilters=self.tag_filter, ResourcesPerPage=100
            )
        by_kind: dict[tuple[str, str], dict[str, str]] = {}  # (service, kind) -> resource id -> ARN
        for mapping in mappings:
            service, kind, resource_id = _parse_arn(mapping["ResourceARN"])
            by_kind.setdefault((service, kind), {})[resource_id] = mapping["ResourceARN"]
        for (service, kind), arns in by_kind.items():
            # the tagging API lists deleted resources for a while: look at each kind itself, in batches
            what = f"the state of {len(arns)} {service} {kind}".rstrip()
            alive = self.optional(what, partial(self._alive, service, kind, sorted(arns)))
            if alive is None:
                alive = dict.fromkeys(arns, "state not verified")
            for resource_id, note in alive.items():
                expected, why = self._expected(service, kind, resource_id)
                self.add(f"{service} {kind}".strip(), resource_id, arns[resource_id], "tag", why or note, expected)
        self.notes.append(
            "the tagging API can list a deleted resource for a few minutes; run the check again to confirm"
        )

    def _alive(self, service: str, kind: str, ids: list[str]) -> Alive:
        """Which of `ids` (one kind) still exist, each with a note; kinds without a cheap read count as existing."""
        if service == "ec2" and kind in EC2_LOOKUPS:
            return self._ec2_alive(kind, ids)
        if service == "ec2" and kind == "launch-template":  # no id filter; the cluster's are tagged
            with aws_call("listing the cluster's launch templates"):
                found = pages(
                    self.aws.client("ec2"),
                    "describe_launch_templates",
                    "LaunchTemplates",
                    Filters=[{"Name": f"tag:{CLUSTER_TAG}", "Values": [self.cluster]}],
                )
            existing = {t.get("LaunchTemplateId") for t in found}
            return {i: None for i in ids if i in existing}
        if service == "ec2" and kind == "spot-fleet-request":
            return self._fleets_alive(ids)
        if service == "ecs" and kind in ("cluster", "service", "task-definition"):
            return self._ecs_alive(kind, ids)
        if service == "ecs" and kind == "capacity-provider":
            return untagged.capacity_providers_alive(self.aws, ids)
        if service == "events" and kind == "rule":
            return untagged.event_rules_alive(self.aws, ids)
        if service == "servicediscovery" and kind in ("namespace", "service"):
            return untagged.cloud_map_alive(self.aws, kind, ids)
        if (service, kind) in COMPLETION_KINDS:
            return completion_alive(self.aws, service, ids)
        if service == "logs" and kind == "log-group":
            return self._log_groups_alive(ids)
        if service == "s3":  # no batch read by name; a cluster has one or two buckets
            return {name: None for name in ids if self._bucket_exists(name)}
        return dict.fromkeys(ids)

    def _ec2_alive(self, kind: str, ids: list[str]) -> Alive:
        operation, result_key, id_filter, id_field = EC2_LOOKUPS[kind]
        ec2 = self.aws.client("ec2")
        found: list[dict[str, Any]] = []
        with aws_call(f"describing {len(ids)} {kind}(s)"):
            for batch in chunks(ids, EC2_FILTER_VALUES):
                found += pages(ec2, operation, result_key, Filters=[{"Name": id_filter, "Values": batch}])
        if kind == "instance":
            found = [i for r in found for i in r.get("Instances", [])]
        if kind == "security-group":
            self.group_vpcs.update({g[id_field]: g["VpcId"] for g in found if g.get("VpcId")})
        wanted = set(ids)
        return {
            item[id_field]: None
            for item in found
            if item.get(id_field) in wanted and _state_name(item) not in GONE_STATES
        }

    def _fleets_alive(self, ids: list[str]) -> Alive:
        ec2 = self.aws.client("ec2")
        alive: Alive = {}
        for request_id in ids:  # one per cluster; an unknown id would fail a call that names several
            try:
                with aws_call(f"describing Spot Fleet request {request_id}"):
                    configs = ec2.describe_spot_fleet_requests(SpotFleetRequestIds=[request_id]).get(
                        "SpotFleetRequestConfigs", []
                    )
            except AwsError as err:
                if err.kind == "not_found":
                    continue
                raise
            state = configs[0].get("SpotFleetRequestState") if configs else None
            if state and state not in GONE_STATES and state != "cancelled_terminating":
                alive[request_id] = "cancelled, but its instances still run" if state == "cancelled_running" else None
        return alive

    def _ecs_alive(self, kind: str, ids: list[str]) -> Alive:
        ecs = self.aws.client("ecs")
        active: set[str] = set()
        with aws_call(f"describing {len(ids)} ECS {kind}(s)"):
            if kind == "cluster":
                for batch in chunks(ids, ECS_CLUSTERS_PER_CALL):
                    active |= {
                        c["clusterName"]
                        for c in ecs.describe_clusters(clusters=batch).get("clusters", [])
                        if c.get("status") not in ("INACTIVE", None)
                    }
            elif kind == "service":  # "<cluster>/<service>" (the old ARN format has no cluster)
                by_cluster: dict[str, dict[str, str]] = {}  # cluster -> service name -> resource id
                for resource_id in ids:
                    cluster, _, name = resource_id.rpartition("/")
                    by_cluster.setdefault(cluster or self.cluster, {})[name] = resource_id
                for cluster, named in by_cluster.items():
                    for batch in chunks(sorted(named), ECS_SERVICES_PER_CALL):
                        found = ecs.describe_services(cluster=cluster, services=batch).get("services", [])
                        active |= {
                            named[s["serviceName"]]
                            for s in found
                            if s.get("serviceName") in named and s.get("status") not in ("INACTIVE", "DRAINING", None)
                        }
            else:  # "family:revision"; the ACTIVE revisions of each family, listed once per family
                for family in sorted({i.rpartition(":")[0] for i in ids}):
                    arns = pages(
                        ecs, "list_task_definitions", "taskDefinitionArns", familyPrefix=family, status="ACTIVE"
                    )
                    active |= {arn.rpartition("/")[2] for arn in arns}
        return {i: None for i in ids if i in active}

    def _log_groups_alive(self, names: list[str]) -> Alive:
        logs = self.aws.client("logs")
        existing: set[str] = set()
        listed: list[str] = []  # prefixes asked for; sorted names put a prefix before what it covers
        with aws_call(f"describing {len(names)} log group(s)"):
            for name in sorted(names):
                if any(name.startswith(prefix) for prefix in listed):
                    continue
                listed.append(name)
                existing |= {
                    g["logGroupName"] for g in pages(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=name)
                }
        return {name: None for name in names if name in existing}

    def _bucket_exists(self, name: str) -> bool:
        try:
            with aws_call(f"looking at bucket {name}"):
                self.aws.client("s3").head_bucket(Bucket=name)
        except AwsError as err:
            if err.code in ("404", "NoSuchBucket", "NotFound"):
                return False
            raise
        return True

    def _expected(self, service: str, kind: str, resource_id: str) -> tuple[bool, str | None]:
        if service == "s3" and self.checkpoints_kept and (self.bucket is None or resource_id == self.bucket):
            return True, "checkpoint bucket: kept on destroy so training state survives"
        return False, None

    # --- outside the tagging API ------------------------------------------------------------------

    def untagged(self) -> None:
        for what, read in (
            ("Auto Scaling groups", untagged.auto_scaling_groups),
            ("ECS capacity providers", untagged.capacity_provider_by_name),
            ("the Cloud Map namespace", untagged.cloud_map),
            ("the EventBridge rules", untagged.event_rules),
            ("the event log's resource policy", untagged.event_log_policy),
            ("FIS experiment templates", untagged.drill_templates),
            ("the job-completed EventBridge rule", rule_by_name),
        ):
            for item in self.optional(what, partial(read, self.aws, self.cluster)) or []:
                self.add(item.kind, item.id, item.arn, item.found_by, item.note)

    # --- IAM (global, outside the regional tagging API) --------------------------------------------

    def iam_roles(self) -> None:
        """The roles and instance profile the program names for this cluster in this region, under
        ftcluster's IAM path. IAM is global: the same cluster name in another region has its own
        (`<name>-<other region>-...`), and those are not leftovers of this one."""
        iam = self.aws.client("iam")
        roles, profiles = iam_names(self.cluster, self.region)
        drill_roles = drill_role_prefix(self.cluster, self.region)

        def read() -> None:
            with aws_call("listing IAM roles"):
                for role in pages(iam, "list_roles", "Roles", PathPrefix=IAM_PATH):
                    if role["RoleName"] in roles:
                        self.add("iam role", role["RoleName"], role.get("Arn"), "name")
                    elif role["RoleName"].startswith(drill_roles):
                        note = "a drill's FIS role that its cleanup did not delete"
                        self.add("iam role", role["RoleName"], role.get("Arn"), "name", note)
            with aws_call("listing IAM instance profiles"):
                for profile in pages(iam, "list_instance_profiles", "InstanceProfiles", PathPrefix=IAM_PATH):
                    if profile["InstanceProfileName"] in profiles:
                        self.add("iam instance-profile", profile["InstanceProfileName"], profile.get("Arn"), "name")

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
            for gateway in pages(
                ec2,
                "describe_internet_gateways",
                "InternetGateways",
                Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}],
            ):
                self.add("ec2 internet-gateway", gateway["InternetGatewayId"], None, "vpc")
            nat_interfaces: dict[str, str] = {}  # network interface -> the NAT gateway it belongs to
            for nat in pages(ec2, "describe_nat_gateways", "NatGateways", Filters=by_vpc):
                if nat.get("State") not in GONE_STATES:
                    self.add("ec2 natgateway", nat["NatGatewayId"], None, "vpc", "costs money every hour")
                    for address in nat.get("NatGatewayAddresses") or []:
                        if address.get("NetworkInterfaceId"):
                            nat_interfaces[address["NetworkInterfaceId"]] = nat["NatGatewayId"]
            for endpoint in pages(ec2, "describe_vpc_endpoints", "VpcEndpoints", Filters=by_vpc):
                if str(endpoint.get("State", "")).lower() not in GONE_STATES:
                    self.add("ec2 vpc-endpoint", endpoint["VpcEndpointId"], None, "vpc")
            for interface in pages(ec2, "describe_network_interfaces", "NetworkInterfaces", Filters=by_vpc):
                note = _eni_note(interface, nat_interfaces.get(interface["NetworkInterfaceId"]))
                self.add("ec2 network-interface", interface["NetworkInterfaceId"], None, "vpc", note)
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
                interfaces += pages(
                    ec2,
                    "describe_network_interfaces",
                    "NetworkInterfaces",
                    Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-id", "Values": batch}],
                )
        for interface in interfaces:
            self.add("ec2 network-interface", interface["NetworkInterfaceId"], None, "vpc", _eni_note(interface))


def _state_name(item: dict[str, Any]) -> str:
    state = item.get("State")
    return str(state.get("Name", "") if isinstance(state, dict) else state or "").lower()


def _eni_note(interface: dict[str, Any], nat_gateway: str | None = None) -> str:
    """What a network interface left in the VPC is. A NAT gateway's is requester-managed too (EC2
    NetworkInterface.InterfaceType "natGateway"), but it is the NAT gateway's, not a task's."""
    if nat_gateway or interface.get("InterfaceType") == "natGateway":
        owner = f"NAT gateway {nat_gateway}" if nat_gateway else "a NAT gateway"
        return f"the network interface of {owner}: it goes with the NAT gateway"
    if interface.get("RequesterManaged") or str(interface.get("Description", "")).startswith("arn:aws:ecs"):
        return (
            "made by ECS for a task; ECS deletes it minutes after the task stops, "
            "and it blocks deleting its security group"
        )
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
