"""Preflight checks of what the account must already have, as pure functions (facts in, one check out):
the service-linked roles of the fleet, EC2 vCPU quotas, a kept checkpoint bucket, an S3 gateway endpoint.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ..spec.aws_rules import service_name_prefix
from ..spec.models import AutoScalingGroupFleet, ExistingVpc, Fleet, NewVpc
from .preflight_checks import Check

ROLES_TITLE = "Service-linked roles"
# The service-linked roles EC2 uses for Spot (EC2 User Guide, "Spot Fleet permissions" and
# "Service-linked role for Spot Instance requests"): the console creates them; with the API, EC2
# creates one at the first request only if the caller may call iam:CreateServiceLinkedRole, else the
# request fails with AuthFailure.ServiceLinkedRoleCreationNotPermitted.
SPOT_ROLE = ("AWSServiceRoleForEC2Spot", "spot.amazonaws.com")
SPOT_FLEET_ROLE = ("AWSServiceRoleForEC2SpotFleet", "spotfleet.amazonaws.com")
# An Auto Scaling group uses AWSServiceRoleForAutoScaling, which Auto Scaling creates at the first
# CreateAutoScalingGroup if the caller may call iam:CreateServiceLinkedRole (EC2 Auto Scaling User
# Guide, "Service-linked roles" and "API permissions"). That role launches the Spot instances and may
# itself create AWSServiceRoleForEC2Spot (managed policy AutoScalingServiceRolePolicy, statement
# EC2SpotManagement: iam:CreateServiceLinkedRole for spot.amazonaws.com), so the group needs no Spot
# role in advance. ECS managed scaling calls Auto Scaling through AWSServiceRoleForECS (ECS Developer
# Guide, "Cluster auto scaling considerations"), which ECS creates with the cluster on the same terms.
AUTO_SCALING_ROLE = ("AWSServiceRoleForAutoScaling", "autoscaling.amazonaws.com")
ECS_ROLE = ("AWSServiceRoleForECS", "ecs.amazonaws.com")
# While rebalancing, a group at its maximum may run up to 10 % more instances for a few minutes (it
# launches before it terminates; EC2 Auto Scaling Developer Guide, "Auto Scaling behavior: rebalancing").
REBALANCING_MARGIN = 0.10


@dataclass(frozen=True)
class QuotaFamily:
    """EC2's vCPU quotas (Service Quotas, service code ec2) for a group of instance families."""

    name: str
    pattern: str  # matches the instance type's family, e.g. "g5" of g5.xlarge
    on_demand_code: str
    spot_code: str

    def covers(self, instance_type: str) -> bool:
        return re.match(self.pattern, instance_type) is not None


# Quota codes as listed by Service Quotas ("Running On-Demand G and VT instances", "All G and VT
# Spot Instance Requests", ...); families outside these three are reported as not checked.
QUOTA_FAMILIES = (
    QuotaFamily("G and VT", r"(g|vt)\d", "L-DB2E81BA", "L-3819A6DF"),
    QuotaFamily("P", r"p\d", "L-417A185B", "L-7212CCBC"),
    QuotaFamily("Standard", r"[acdhimrtz]\d", "L-1216C47A", "L-34B43A08"),
)


def spot_roles_needed(fleet: Fleet | None) -> list[tuple[str, str]]:
    """(role name, AWS service name) of each service-linked role the fleet needs before `up`."""
    if fleet is None or not fleet.enabled:
        return []
    if isinstance(fleet, AutoScalingGroupFleet):
        return [AUTO_SCALING_ROLE, ECS_ROLE]
    needed = [SPOT_FLEET_ROLE]
    if fleet.capacity > fleet.on_demand_capacity:
        needed.insert(0, SPOT_ROLE)
    return needed


def spot_roles_check(fleet: Fleet | None, existing: dict[str, bool]) -> Check:
    """`existing` maps each needed role name to whether iam:GetRole found it."""
    needed = spot_roles_needed(fleet)
    if not needed or fleet is None:
        return Check("spot_roles", ROLES_TITLE, "skip", "no fleet in this spec")
    missing = [(name, service) for name, service in needed if not existing.get(name)]
    data = {"roles": {name: bool(existing.get(name)) for name, _ in needed}}
    if isinstance(fleet, AutoScalingGroupFleet):
        why = (
            "Auto Scaling and ECS create them with the first group and cluster only if the identity that runs "
            "`ftcluster up` may call iam:CreateServiceLinkedRole; otherwise creating the group or the capacity "
            "provider fails"
        )
        spot = (
            "the group's role creates AWSServiceRoleForEC2Spot itself when it first launches Spot, "
            "so that one is not needed in advance"
        )
    else:
        why = (
            "EC2 creates them at the first Spot request only if the identity that runs `ftcluster up` may call "
            "iam:CreateServiceLinkedRole; otherwise the Spot Fleet fails with "
            "AuthFailure.ServiceLinkedRoleCreationNotPermitted"
        )
        spot = ""
    if not missing:
        return Check(
            "spot_roles",
            ROLES_TITLE,
            "pass",
            f"{' and '.join(n for n, _ in needed)} exist",
            [spot] if spot else [],
            data=data,
        )
    return Check(
        "spot_roles",
        ROLES_TITLE,
        "warn",
        f"missing: {', '.join(n for n, _ in missing)}",
        [why, *([spot] if spot else [])],
        fix="; ".join(f"aws iam create-service-linked-role --aws-service-name {s}" for _, s in missing),
        data=data,
    )


def rebalancing_margin(fleet: Fleet) -> int:
    """Instances an Auto Scaling group may run above its maximum while it rebalances (0 for a Spot Fleet)."""
    if not isinstance(fleet, AutoScalingGroupFleet) or fleet.max_instances <= fleet.on_demand_capacity:
        return 0
    return math.ceil(fleet.max_instances * REBALANCING_MARGIN)


def vcpu_quotas_check(
    fleet: Fleet | None, vcpus: dict[str, int], quotas: dict[str, float], unread: dict[str, str] | None = None
) -> Check:
    """`vcpus`: instance type -> vCPUs (DescribeInstanceTypes); `quotas`: quota code -> vCPUs;
    `unread`: quota code -> why it could not be read.

    The fleet may put an instance in any of its types, so for each purchase option (the Spot part and
    the on-demand part) the quotas of every family it uses together hold between `worst` (all of the
    largest types) and `best` (all of the smallest) instances. An Auto Scaling group counts at its
    maximum (`instances`), and its Spot part with the instances rebalancing may add above it.
    """
    title = "EC2 vCPU quotas"
    if fleet is None or not fleet.enabled:
        return Check("vcpu_quotas", title, "skip", "no fleet in this spec")
    margin = rebalancing_margin(fleet)
    by_family: dict[QuotaFamily, list[str]] = {}
    details = []
    for t in fleet.instance_types:
        family = _family(t)
        if family and t in vcpus:
            by_family.setdefault(family, []).append(t)
        else:
            details.append(f"not checked: {t} ({'no quota family known' if family is None else 'no vCPU count'})")
    fails, warns, fits, data = [], [], [], {}
    for label, count, code_field in (
        ("Spot", fleet.capacity - fleet.on_demand_capacity, "spot_code"),
        ("on-demand", fleet.on_demand_capacity, "on_demand_code"),
    ):
        if count <= 0 or not by_family:
            continue
        best = worst = 0
        known = True
        for family, types in by_family.items():
            code = getattr(family, code_field)
            quota = quotas.get(code)
            smallest, largest = min(vcpus[t] for t in types), max(vcpus[t] for t in types)
            data[code] = {
                "family": family.name,
                "purchase": label,
                "quota_vcpus": quota,
                "types": types,
                "instances": count,
                "vcpus_needed": [count * smallest, count * largest],
            }
            if quota is None:
                known = False
                continue
            best += int(quota // smallest)
            worst += int(quota // largest)
            details.append(
                f"{family.name} {label} quota {code}: {quota:g} vCPUs; {count} instance(s) of "
                f"{', '.join(types)} need {_span(count * smallest, count * largest)}"
            )
        if not known:
            continue
        if best < count:
            fails.append(f"the {label} quotas hold {best} of the {count} {label} instance(s) at most")
        elif worst < count:
            warns.append(
                f"the {label} quotas hold all {count} {label} instance(s) only if the fleet picks the smaller types"
            )
        elif label == "Spot" and margin and best < count + margin:
            warns.append(
                f"the Spot quotas leave no room for the {margin} instance(s) a rebalancing group may "
                f"start above its maximum of {fleet.capacity}"
            )
        else:
            fits.append(f"{count} {label}")
    if margin:
        details.append(
            f"an Auto Scaling group at its maximum may run up to {margin} more instance(s) for a few "
            "minutes while it rebalances (it launches before it terminates)"
        )
    details.append("the account's other running instances count against the same quotas")
    fix = (
        "ask for more in Service Quotas (console, or `aws service-quotas request-service-quota-increase "
        f"--service-code ec2 --quota-code CODE --desired-value VCPUS`), or lower fleet.{fleet.CAPACITY_KEY}"
    )
    missing = [code for code, entry in data.items() if entry["quota_vcpus"] is None]
    if fails:
        return Check("vcpu_quotas", title, "fail", fails[0], fails[1:] + warns + details, fix=fix, data=data)
    if warns:
        return Check("vcpu_quotas", title, "warn", warns[0], warns[1:] + details, fix=fix, data=data)
    if missing:
        return Check(
            "vcpu_quotas",
            title,
            "warn",
            f"could not read the quota(s) {', '.join(missing)}",
            [(unread or {}).get(code, f"{code}: not read") for code in missing] + details,
            fix=f"look them up (`aws service-quotas get-service-quota --service-code ec2 --quota-code "
            f"{missing[0]}`) before relying on the fleet; reading them needs servicequotas:GetServiceQuota",
            data=data,
        )
    if not fits:
        return Check("vcpu_quotas", title, "skip", "no instance type with a known quota", details, data=data)
    return Check("vcpu_quotas", title, "pass", f"the quotas hold {' + '.join(fits)} instance(s)", details, data=data)


def _family(instance_type: str) -> QuotaFamily | None:
    return next((f for f in QUOTA_FAMILIES if f.covers(instance_type)), None)


def _span(low: int, high: int) -> str:
    return f"{low} vCPUs" if low == high else f"{low}-{high} vCPUs"


def checkpoint_bucket_check(
    spec_bucket: str | None, name: str | None, region: str, status: int | None, cluster_deployed: bool
) -> Check:
    """`name`: the bucket ftcluster would create; `status`: HTTP status of HeadBucket on it (None: not asked)."""
    title = "Checkpoint bucket"
    if spec_bucket:
        return Check(
            "checkpoint_bucket", title, "skip", f"the spec names its own bucket ({spec_bucket}); ftcluster creates none"
        )
    data = {"bucket": name, "head_bucket_status": status}
    if status == 404:
        return Check("checkpoint_bucket", title, "pass", f"{name} is free; ftcluster will create it", data=data)
    if status == 200 and cluster_deployed:
        return Check("checkpoint_bucket", title, "pass", f"{name} belongs to the deployed cluster", data=data)
    if status == 200:
        # CreateBucket on a bucket its owner has answers 200 in us-east-1 only (legacy behaviour) and
        # BucketAlreadyOwnedByYou elsewhere (S3 API reference, CreateBucket errors)
        consequence = (
            "S3 would hand the old bucket to the new stack, so a later `destroy --delete-checkpoints` "
            "would delete its checkpoints"
            if region == "us-east-1"
            else "the deploy would fail with BucketAlreadyOwnedByYou"
        )
        return Check(
            "checkpoint_bucket",
            title,
            "fail",
            f"{name} already exists (kept by an earlier destroy, with its checkpoints)",
            [
                consequence,
                "if an `up` of this cluster stopped before creating its ECS cluster, the bucket is "
                "that run's: run `ftcluster up --skip-preflight` to finish it",
            ],
            fix=f"to train on from those checkpoints, set `training.checkpoints.bucket: {name}` in the spec; "
            "or delete the bucket once its checkpoints are no longer needed",
            data=data,
        )
    return Check(
        "checkpoint_bucket",
        title,
        "warn",
        f"could not tell whether {name} exists (HeadBucket answered HTTP {status})",
        ["HTTP 403: another account owns the name, or this identity lacks s3:ListBucket on it"],
        fix="check with `aws s3api head-bucket --bucket NAME`; if it is yours, set training.checkpoints.bucket to it",
        data=data,
    )


def s3_service_name(region: str) -> str:
    """The S3 gateway endpoint's service name, as program/network.py names it (the partition's prefix)."""
    return f"{service_name_prefix(region)}.{region}.s3"


def s3_endpoint_check(
    network: NewVpc | ExistingVpc,
    region: str,
    vpc_found: bool,
    endpoints: list[dict[str, Any]],
    subnet_route_tables: dict[str, str | None],
) -> Check:
    """`endpoints`: the VPC's S3 gateway endpoints; `subnet_route_tables`: subnet -> its route table."""
    title = "S3 gateway endpoint"
    if not isinstance(network, ExistingVpc):
        return Check("s3_endpoint", title, "skip", "the new VPC gets one on every route table")
    if not vpc_found:
        return Check("s3_endpoint", title, "skip", "needs the VPC named in network.vpc_id")
    service = s3_service_name(region)
    fix = (
        f"add one: `aws ec2 create-vpc-endpoint --vpc-id {network.vpc_id} --vpc-endpoint-type Gateway "
        f"--service-name {service} --route-table-ids ...` with the route tables of network.subnet_ids"
    )
    covered = {table for e in endpoints for table in e.get("RouteTableIds") or []}
    uncovered = sorted(s for s, table in subnet_route_tables.items() if table not in covered)
    endpoint_ids = [str(e.get("VpcEndpointId")) for e in endpoints]
    data = {"endpoints": endpoint_ids, "subnets_without": uncovered}
    why = (
        "checkpoint traffic to S3 then goes through a NAT gateway (paid per GB), or has no way to S3 "
        "in subnets without one"
    )
    if not endpoints:
        return Check(
            "s3_endpoint",
            title,
            "warn",
            f"VPC {network.vpc_id} has no S3 gateway endpoint ({service})",
            [why],
            fix=fix,
            data=data,
        )
    if uncovered:
        return Check(
            "s3_endpoint",
            title,
            "warn",
            f"the S3 gateway endpoint is not on the route table of {', '.join(uncovered)}",
            [why],
            fix=f"add those subnets' route tables to {', '.join(endpoint_ids)} "
            "(`aws ec2 modify-vpc-endpoint --add-route-table-ids ...`)",
            data=data,
        )
    return Check(
        "s3_endpoint",
        title,
        "pass",
        f"{', '.join(endpoint_ids)} serves the route tables of every subnet",
        data=data,
    )


LOGS_POLICIES_PER_REGION = (
    10  # account-scoped CloudWatch Logs resource policies (PutResourcePolicy, botocore logs model)
)


def event_recording_check(policy: str, existing: list[str]) -> Check:
    """Room for the event ledger's resource policy (`policy`) among the region's `existing` ones."""
    title, data = "Event recording", {"policy": policy, "existing": len(existing)}
    if policy in existing:
        return Check("event_recording", title, "pass", f"the cluster's resource policy {policy} exists", data=data)
    if len(existing) < LOGS_POLICIES_PER_REGION:
        summary = (
            f"{len(existing)} of {LOGS_POLICIES_PER_REGION} CloudWatch Logs resource policies used; up adds {policy}"
        )
        return Check("event_recording", title, "pass", summary, data=data)
    return Check(
        "event_recording",
        title,
        "fail",
        f"the region has all {LOGS_POLICIES_PER_REGION} CloudWatch Logs resource policies an account may have",
        [
            "EventBridge writes the cluster's events (`ftcluster events`) into a log group only where a "
            "resource policy allows it; `up` would fail creating " + policy,
            "existing: " + ", ".join(sorted(existing)),
        ],
        fix="delete an unused one (`aws logs delete-resource-policy --policy-name NAME`), or merge two into one",
        data=data,
    )
