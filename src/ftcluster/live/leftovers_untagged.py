"""Leftovers the Resource Groups Tagging API does not list, found through their own APIs: the Auto Scaling
group (by its `ftcluster:cluster` tag and by name), the ECS capacity provider and the Cloud Map namespace
of an elastic job with its services (by the names the program gives). Read-only; a few calls in all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..aws import AwsSession, aws_call, chunks, pages
from ..program.event_patterns import RULE_SOURCES
from ..program.names import CLUSTER_TAG, cluster_names, event_log_policy_name, event_rule_name

GROUP_KIND = "autoscaling auto-scaling-group"  # the ResourceType the Auto Scaling API gives its groups' tags
PROVIDER_KIND = "ecs capacity-provider"  # as the tagging API's ARNs would name them (capacity-provider/NAME)
NAMESPACE_KIND = "servicediscovery namespace"  # ARN servicediscovery:...:namespace/ns-...
SERVICE_KIND = "servicediscovery service"  # ARN servicediscovery:...:service/srv-...
RULE_KIND = "events rule"  # ARN events:...:rule/NAME
POLICY_KIND = "logs resource-policy"  # not a resource of its own in ARNs: found by name only
TEMPLATE_KIND = "fis experiment-template"
PROVIDERS_PER_CALL = 100  # DescribeCapacityProviders takes at most 100 names
GONE_PROVIDER_STATES = ("INACTIVE", None)  # a deleted capacity provider stays visible as INACTIVE for a while
Alive = dict[str, str | None]


@dataclass(frozen=True)
class Found:
    kind: str
    id: str
    arn: str | None
    found_by: str  # "tag" (the service's own tag filter) or "name"
    note: str | None = None


def auto_scaling_groups(aws: AwsSession, cluster: str) -> list[Found]:
    """Groups tagged with the cluster, and the one with the program's name (two calls: the API ANDs a
    name list with tag filters). The tagging API lists no Auto Scaling groups (moto and AWS alike)."""
    client = aws.client("autoscaling")
    name = cluster_names(cluster, aws.region).auto_scaling_group
    # DescribeAutoScalingGroups filter `tag:<key>` (botocore autoscaling Filter.Name)
    with aws_call("looking up the cluster's Auto Scaling groups"):
        tagged = pages(
            client,
            "describe_auto_scaling_groups",
            "AutoScalingGroups",
            Filters=[{"Name": f"tag:{CLUSTER_TAG}", "Values": [cluster]}],
        )
        named = pages(client, "describe_auto_scaling_groups", "AutoScalingGroups", AutoScalingGroupNames=[name])
    found = [_group(g, "tag") for g in tagged]
    found += [_group(g, "name") for g in named]
    return found


def _group(group: dict[str, Any], found_by: str) -> Found:
    instances = len(group.get("Instances") or [])
    parts = [f"being deleted ({group['Status']})"] if group.get("Status") else []
    if instances:
        parts.append(f"{instances} instance(s) still in it (they cost money every hour)")
    return Found(
        GROUP_KIND, group["AutoScalingGroupName"], group.get("AutoScalingGroupARN"), found_by, "; ".join(parts) or None
    )


def capacity_providers_alive(aws: AwsSession, names: list[str]) -> Alive:
    """Which of the capacity providers `names` still exist (not INACTIVE); ECS answers an unknown name
    with a `failures` entry, not an error."""
    ecs = aws.client("ecs")
    alive: Alive = {}
    with aws_call(f"describing {len(names)} ECS capacity provider(s)"):
        for batch in chunks(names, PROVIDERS_PER_CALL):
            for provider in ecs.describe_capacity_providers(capacityProviders=batch).get("capacityProviders", []):
                if provider.get("status") not in GONE_PROVIDER_STATES and provider.get("name") in names:
                    alive[provider["name"]] = _provider_note(provider)
    return alive


def capacity_provider_by_name(aws: AwsSession, cluster: str) -> list[Found]:
    name = cluster_names(cluster, aws.region).capacity_provider
    return [Found(PROVIDER_KIND, n, None, "name", note) for n, note in capacity_providers_alive(aws, [name]).items()]


def _provider_note(provider: dict[str, Any]) -> str | None:
    update = provider.get("updateStatus")
    if update in ("DELETE_IN_PROGRESS", "DELETE_FAILED"):
        reason = provider.get("updateStatusReason")
        return f"{update}" + (f": {reason}" if reason else "")
    return None


def cloud_map(aws: AwsSession, cluster: str) -> list[Found]:
    """The cluster's private DNS namespace and the services in it (a namespace with services cannot
    be deleted, and its Route 53 hosted zone lives as long as it does)."""
    client = aws.client("servicediscovery")
    name = cluster_names(cluster, aws.region).discovery_namespace
    # ListNamespaces filter NAME / EQ, ListServices filter NAMESPACE_ID (botocore servicediscovery
    # NamespaceFilter, ServiceFilter); the names are checked here too (moto ignores the filters)
    with aws_call("looking up the cluster's Cloud Map namespace"):
        namespaces = [
            n
            for n in pages(
                client, "list_namespaces", "Namespaces", Filters=[{"Name": "NAME", "Values": [name], "Condition": "EQ"}]
            )
            if n.get("Name") == name
        ]
        found = []
        for namespace in namespaces:
            found.append(
                Found(
                    NAMESPACE_KIND,
                    namespace["Id"],
                    namespace.get("Arn"),
                    "name",
                    f"{name}: its Route 53 private hosted zone goes with it",
                )
            )
            services = pages(
                client,
                "list_services",
                "Services",
                Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace["Id"]], "Condition": "EQ"}],
            )
            found += [
                Found(
                    SERVICE_KIND,
                    s["Id"],
                    s.get("Arn"),
                    "name",
                    f"{s.get('Name')} in {name}; blocks deleting the namespace",
                )
                for s in services
                if _namespace_of(s) in (None, namespace["Id"])
            ]
    return found


def cloud_map_alive(aws: AwsSession, kind: str, ids: list[str]) -> Alive:
    """Which namespaces or services (listed by the tagging API, which lags behind deletions) still exist:
    one listing of the region's namespaces or services, not one call each."""
    client = aws.client("servicediscovery")
    operation, key = ("list_namespaces", "Namespaces") if kind == "namespace" else ("list_services", "Services")
    with aws_call(f"listing Cloud Map {kind}s"):
        existing = {item["Id"] for item in pages(client, operation, key)}
    return {i: None for i in ids if i in existing}


def _namespace_of(service: dict[str, Any]) -> str | None:
    return service.get("NamespaceId") or (service.get("DnsConfig") or {}).get("NamespaceId")


def event_rules(aws: AwsSession, cluster: str) -> list[Found]:
    """The cluster's EventBridge rules by their names (a rule with targets cannot be deleted, and a
    left one keeps recording into a log group that may be gone)."""
    wanted = {event_rule_name(cluster, source) for source in RULE_SOURCES}
    alive = event_rules_alive(aws, sorted(wanted), prefix=f"{cluster}-")
    return [Found(RULE_KIND, name, None, "name", note) for name, note in alive.items()]


def event_rules_alive(aws: AwsSession, names: list[str], *, prefix: str = "") -> Alive:
    """Which rules of the default event bus still exist (one listing, not one call each)."""
    with aws_call("listing EventBridge rules"):
        rules = (
            pages(aws.client("events"), "list_rules", "Rules", NamePrefix=prefix)
            if prefix
            else pages(aws.client("events"), "list_rules", "Rules")
        )
    existing = {r.get("Name") for r in rules}
    return {name: None for name in names if name in existing}


def event_log_policy(aws: AwsSession, cluster: str) -> list[Found]:
    """The CloudWatch Logs resource policy that lets EventBridge write the ledger (one of 10 a region allows)."""
    name = event_log_policy_name(cluster)
    with aws_call("listing CloudWatch Logs resource policies"):
        policies = pages(aws.client("logs"), "describe_resource_policies", "resourcePolicies")
    note = "one of the 10 account-wide resource policies CloudWatch Logs allows per region"
    return [Found(POLICY_KIND, name, None, "name", note) for p in policies if p.get("policyName") == name]


def drill_templates(aws: AwsSession, cluster: str) -> list[Found]:
    """FIS experiment templates of the cluster's drills (`ftcluster drill` deletes its own after the drill)."""
    with aws_call("listing FIS experiment templates"):
        templates = pages(aws.client("fis"), "list_experiment_templates", "experimentTemplates")
    return [
        Found(TEMPLATE_KIND, t["id"], t.get("arn"), "tag", "a drill's template that its cleanup did not delete")
        for t in templates
        if (t.get("tags") or {}).get(CLUSTER_TAG) == cluster
    ]
