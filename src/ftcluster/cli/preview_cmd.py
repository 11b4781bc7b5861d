"""`ftcluster preview`: what a spec creates. `--offline` runs the real program under Pulumi's mocks."""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from .options import SPEC_ARGUMENT
from .output import DEPLOY_PANEL, examples, print_json, stdout

if TYPE_CHECKING:
    from ..offline import OfflinePlan, PlannedResource
    from ..spec import Spec


def preview(
    spec_path: Path = SPEC_ARGUMENT,
    offline: bool = typer.Option(
        False, "--offline", help="Run the program against Pulumi's mocks: no AWS account, no Pulumi CLI needed."
    ),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print JSON: offline, {cluster, region, resources: [{type, name, inputs, dependencies, options}], cost}; "
        "online, {cluster, region, stack, changes, notes, cost} (and resources with --diff).",
    ),
    diff: bool = typer.Option(False, "--diff", help="Online: list each resource that would change, and how."),
    expect_no_changes: bool = typer.Option(
        False, "--expect-no-changes", help="Online: exit with 1 when anything would change (drift check in CI)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Online: no progress on stderr."),
) -> None:
    """Show what a spec creates or changes, and what the cluster will cost per hour and per month.

    With --offline nothing is contacted: the real program runs under Pulumi's mocks and every
    resource is shown with its key settings and what it depends on; values only AWS knows (ids,
    ARNs, AZ names, the AMI, the account id) appear as <known after deploy: ...>. Without it, a
    real Pulumi preview against the cluster's stack shows what `up` would change (needs the
    Pulumi CLI and AWS credentials), and the estimate uses live Spot prices.
    """
    if offline:
        offline_preview(spec_path, as_json=as_json)
        return
    online_preview(spec_path, diff=diff, expect_no_changes=expect_no_changes, as_json=as_json, quiet=quiet)


def online_preview(spec_path: Path, *, diff: bool, expect_no_changes: bool, as_json: bool, quiet: bool) -> None:
    """What `up` would change, from a real Pulumi preview against the stack, and the cost."""
    import os

    from .. import api
    from ..engine.events import describe_changes
    from .cost_view import estimate_json, render
    from .hooks import CliHooks

    outcome = api.preview(spec_path, os.environ, CliHooks(quiet=quiet or as_json), expect_no_changes=expect_no_changes)
    result = outcome.result
    if as_json:
        data: dict[str, Any] = {
            "cluster": result.spec.name,
            "region": result.spec.region,
            "stack": result.stack,
            "changes": result.changes,
            "notes": list(result.notes),
        }
        if diff:
            data["resources"] = [vars(change) for change in result.resources]
        data["cost"] = estimate_json(result.cost)
        print_json(data)
    else:
        from .progress_view import changes_table

        console = stdout()
        console.print(f"cluster {escape(result.cluster)}: {describe_changes(result.changes)}")
        if diff and result.resources:
            console.print(changes_table(result.resources))
        render(console, result.cost)
    if outcome.failure is not None:
        raise outcome.failure


def offline_preview(spec_path: Path, *, as_json: bool) -> None:
    """The --offline path: the plan under mocks, and what it costs."""
    from .. import api
    from .cost_view import estimate_json, render

    offline = api.preview_offline(spec_path)
    spec, plan, cost = offline.spec, offline.plan, offline.cost
    if as_json:
        print_json(
            {
                "cluster": spec.name,
                "region": spec.region,
                "resources": [resource.as_json() for resource in plan.resources],
                "cost": estimate_json(cost),
            }
        )
        return
    render_plan(plan, spec)
    render(stdout(), cost)


# --- rendering -----------------------------------------------------------------------------------


@cache
def key_inputs() -> dict[str, tuple[str, ...]]:
    """The few inputs worth reading for each resource type (imported on use: the names pull in the spec)."""
    from ..program import names as n

    return {
        n.PROVIDER_TYPE: ("region", "defaultTags.tags", "endpoints"),
        n.VPC_TYPE: ("cidrBlock",),
        n.SUBNET_TYPE: ("cidrBlock", "availabilityZone", "mapPublicIpOnLaunch"),
        n.EIP_TYPE: ("domain",),
        n.NAT_GATEWAY_TYPE: ("subnetId",),
        n.ROUTE_TYPE: ("destinationCidrBlock", "gatewayId", "natGatewayId"),
        n.ROUTE_TABLE_ASSOCIATION_TYPE: ("subnetId", "routeTableId"),
        n.VPC_ENDPOINT_TYPE: ("serviceName", "vpcEndpointType"),
        n.SECURITY_GROUP_TYPE: ("name", "ingress", "egress"),
        n.ROLE_TYPE: ("name", "assumeRolePolicy"),
        n.ROLE_POLICY_ATTACHMENT_TYPE: ("policyArn",),
        n.ROLE_POLICY_TYPE: ("name", "policy"),
        n.INSTANCE_PROFILE_TYPE: ("name",),
        n.LOG_GROUP_TYPE: ("name", "retentionInDays"),
        n.LOG_RESOURCE_POLICY_TYPE: ("policyName", "policyDocument"),
        n.BUCKET_TYPE: ("bucket", "forceDestroy"),
        n.BUCKET_OWNERSHIP_TYPE: ("rule.objectOwnership",),
        n.BUCKET_PUBLIC_ACCESS_TYPE: (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        ),
        n.BUCKET_ENCRYPTION_TYPE: ("rules",),
        n.BUCKET_VERSIONING_TYPE: ("versioningConfiguration.status",),
        n.BUCKET_LIFECYCLE_TYPE: ("rules",),
        n.BUCKET_POLICY_TYPE: ("policy",),
        n.ECS_CLUSTER_TYPE: ("name", "settings"),
        n.CLUSTER_CAPACITY_PROVIDERS_TYPE: (
            "capacityProviders",
            "defaultCapacityProviderStrategies",
        ),
        n.TASK_DEFINITION_TYPE: (
            "family",
            "requiresCompatibilities",
            "networkMode",
            "cpu",
            "memory",
            "containerDefinitions",
        ),
        n.ECS_SERVICE_TYPE: (
            "name",
            "desiredCount",
            "launchType",
            "capacityProviderStrategies",
            "networkConfiguration",
            "orderedPlacementStrategies",
            "deploymentCircuitBreaker",
        ),
        n.SCALING_TARGET_TYPE: ("resourceId", "minCapacity", "maxCapacity"),
        n.SCALING_POLICY_TYPE: ("name", "targetTrackingScalingPolicyConfiguration"),
        n.LAUNCH_TEMPLATE_TYPE: (
            "name",
            "imageId",
            "userData",
            "metadataOptions.httpTokens",
            "blockDeviceMappings",
        ),
        n.SPOT_FLEET_REQUEST_TYPE: (
            "targetCapacity",
            "onDemandTargetCapacity",
            "allocationStrategy",
            "fleetType",
            "spotPrice",
            "launchTemplateConfigs",
        ),
        n.AUTO_SCALING_GROUP_TYPE: (
            "name",
            "minSize",
            "maxSize",
            "mixedInstancesPolicy.instancesDistribution",
            "mixedInstancesPolicy.launchTemplate.overrides",
            "capacityRebalance",
            "protectFromScaleIn",
        ),
        n.CAPACITY_PROVIDER_TYPE: (
            "name",
            "autoScalingGroupProvider.managedScaling",
            "autoScalingGroupProvider.managedTerminationProtection",
            "autoScalingGroupProvider.managedDraining",
        ),
        n.DNS_NAMESPACE_TYPE: ("name", "vpc"),
        n.DISCOVERY_SERVICE_TYPE: ("name", "dnsConfig.dnsRecords", "dnsConfig.routingPolicy"),
        n.EVENT_RULE_TYPE: ("name", "eventPattern"),
        n.EVENT_TARGET_TYPE: ("rule", "targetId", "arn"),
        n.STATE_MACHINE_TYPE: ("name", "type"),
        n.SSM_PARAMETER_TYPE: ("name", "insecureValue"),
    }


MAX_VALUE = 160


def render_plan(plan: OfflinePlan, spec: Spec) -> None:
    from rich.tree import Tree

    from ..offline import CONCERNS, concern_of
    from .tables import Table

    console = stdout()
    tree = Tree(
        f"[bold]{escape(spec.name)}[/bold] in {escape(spec.region)}: {len(plan.resources)} resources "
        "[dim](offline: no AWS account or Pulumi CLI was used; <known after deploy: …> marks what AWS assigns)[/dim]"
    )
    groups: dict[str, Tree] = {}
    for resource in plan.resources:
        concern = concern_of(resource.type, resource.name)
        if concern not in groups:
            count = sum(1 for r in plan.resources if concern_of(r.type, r.name) == concern)
            groups[concern] = tree.add(f"[bold cyan]{escape(concern)}[/bold cyan] [dim]({count})[/dim]")
        node = groups[concern].add(f"[bold]{escape(resource.name)}[/bold]  [dim]{escape(resource.type)}[/dim]")
        for key, value in key_properties(resource):
            node.add(f"{escape(key)}: {escape(value)}")
        for note in option_notes(resource):
            node.add(f"[yellow]{escape(note)}[/yellow]")
        if resource.dependencies:
            node.add(f"[dim]depends on: {escape(', '.join(resource.dependencies))}[/dim]")
    assert set(groups) <= set(CONCERNS)
    console.print(tree)

    table = Table(title="Resources by type")
    table.add_column("type")
    table.add_column("count", justify="right")
    counts = Counter(resource.type for resource in plan.resources)
    for type_token, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        table.add_row(escape(type_token), str(count))
    table.add_row("[bold]total[/bold]", f"[bold]{len(plan.resources)}[/bold]")
    console.print(table)


def key_properties(resource: PlannedResource) -> list[tuple[str, str]]:
    """The few inputs worth reading for each resource type, as display text."""
    rows = []
    for path in key_inputs().get(resource.type, ()):
        value = _lookup(resource.inputs, path)
        if value is None:
            continue
        rows.append((path.split(".")[-1] if "." in path else path, _describe(path, value)))
    return rows


def option_notes(resource: PlannedResource) -> list[str]:
    notes = []
    if resource.options.get("retainOnDelete"):
        notes.append("kept on destroy (retain_on_delete)")
    if resource.options.get("protect"):
        notes.append("protected")
    for name in resource.options.get("ignoreChanges", []):
        notes.append(f"ignores later changes to {name}")
    return notes


def _lookup(inputs: dict[str, Any], path: str) -> Any:
    value: Any = inputs
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _describe(path: str, value: Any) -> str:
    if path == "userData" and isinstance(value, str):
        return _user_data(value)
    if path == "containerDefinitions" and isinstance(value, str):
        return _containers(value)
    if path in ("assumeRolePolicy", "policy") and isinstance(value, str):
        return _policy(value)
    if path == "launchTemplateConfigs" and isinstance(value, list):
        overrides = [o for config in value for o in config.get("overrides", [])]
        types = {o.get("instanceType") for o in overrides}
        subnets = {o.get("subnetId") for o in overrides}
        version = value[0].get("launchTemplateSpecification", {}).get("version") if value else None
        return f"{len(overrides)} overrides ({len(types)} instance types x {len(subnets)} subnets), template version {version}"
    return _short(value)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "))
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _user_data(encoded: str) -> str:
    try:
        script = base64.b64decode(encoded).decode()
    except (binascii.Error, UnicodeDecodeError):
        return _short(encoded)
    settings = [line for line in script.splitlines() if line.startswith("ECS_")]
    return "ecs.config " + "; ".join(settings)


def _containers(text: str) -> str:
    try:
        containers = json.loads(text)
    except ValueError:
        return _short(text)
    parts = []
    for container in containers:
        environment = ", ".join(item["name"] for item in container.get("environment", []))
        # a script argument (the rendezvous store's `python -c`) as one word: --json has its text
        arguments = [f"<{len(a.splitlines())}-line script>" if "\n" in a else a for a in container.get("command", [])]
        command = " ".join(arguments) or "(image default)"
        gpus = [r["value"] for r in container.get("resourceRequirements", []) if r.get("type") == "GPU"]
        parts.append(
            f"{container['name']}: {container['image']}; command {command}; env {environment}; "
            f"stopTimeout {container.get('stopTimeout')}s" + (f"; GPUs {gpus[0]}" if gpus else "")
        )
    return " | ".join(parts)


def _policy(text: str) -> str:
    try:
        statements = json.loads(text).get("Statement", [])
    except (ValueError, AttributeError):
        return _short(text)
    parts = []
    for statement in statements:
        principal = statement.get("Principal")
        actions = statement.get("Action")
        actions = actions if isinstance(actions, list) else [actions]
        who = f"{principal.get('Service')} " if isinstance(principal, dict) and "Service" in principal else ""
        resources = statement.get("Resource")
        where = f" on {', '.join(resources) if isinstance(resources, list) else resources}" if resources else ""
        parts.append(f"{statement.get('Effect')} {who}{', '.join(str(a) for a in actions)}{where}")
    return _short("; ".join(parts))


def register(app: typer.Typer) -> None:
    app.command(
        rich_help_panel=DEPLOY_PANEL,
        epilog=examples(
            "ftcluster preview configs/us-east-1.yaml --offline",
            "ftcluster preview configs/us-east-1.yaml --offline --json > plan.json",
        ),
    )(preview)
