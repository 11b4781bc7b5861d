"""Create and destroy order: whatever runs compute waits for the network paths out of its subnets.

Pulumi creates a resource after everything it depends on and deletes it before them. Without
these edges a destroy deleted routes, NAT gateways and the S3 endpoint while tasks and instances
still ran: the ECS agents lost the ECS API, the workers service hung DRAINING and the GPU fleet
kept billing; and `up` started tasks before a NAT gateway existed.
"""

from __future__ import annotations

import pytest
from program_helpers import MINIMAL, as_spot_fleet, merged

from ftcluster.offline import OfflinePlan

COMPUTE = ("training-service", "workers-service", "fleet-launch-template")
LAUNCHERS = {"auto_scaling_group": "gpu-instances", "spot_fleet": "spot-fleet"}
PATH_TYPES = (
    "aws:ec2/route:Route",  # public (internet gateway) and private (NAT) default routes
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/vpcEndpoint:VpcEndpoint",
)
FLEET = {"fleet": {"max_instances": 1, "instance_types": ["m6i.large"], "workers": {"tasks": 1}}}
SPOT_FLEET = {"fleet": as_spot_fleet(FLEET)["fleet"]}
ELASTIC = {"fleet": {**FLEET["fleet"], "workers": {"tasks": 1, "distributed": {"min_nodes": 1, "max_nodes": 1}}}}
VARIANTS = {
    "per-az-nat": merged(MINIMAL, FLEET),
    "single-nat": merged(MINIMAL, {**FLEET, "network": {"nat": "single", "availability_zones": 2}}),
    "no-nat": merged(MINIMAL, {**FLEET, "network": {"nat": "none"}}),
    "spot-fleet": merged(MINIMAL, SPOT_FLEET),
    "no-nat-spot-fleet": merged(MINIMAL, {**SPOT_FLEET, "network": {"nat": "none"}}),
    "elastic": merged(MINIMAL, ELASTIC),
}


def closure(plan: OfflinePlan, name: str) -> set[str]:
    """Everything `name` waits for, directly or through other resources."""
    direct = {r.name: set(r.dependencies) for r in plan.resources}
    seen: set[str] = set()
    todo = list(direct[name])
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(direct.get(current, ()))
    return seen


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_everything_that_runs_waits_for_every_network_path(plan_for, variant: str) -> None:
    plan = plan_for(VARIANTS[variant])
    paths = {r.name for r in plan.resources if r.type in PATH_TYPES}
    assert "public-default-route" in paths and "s3-endpoint" in paths
    if "no-nat" not in variant:
        assert {"nat-gateway-1", "private-default-route-1"} <= paths
    launcher = LAUNCHERS[plan.exports["fleet_type"]]
    running = [*COMPUTE, launcher, *(["rendezvous-service"] if variant == "elastic" else [])]
    for name in running:
        missing = paths - closure(plan, name)
        assert not missing, f"{name} does not wait for {sorted(missing)}"


def test_with_an_existing_vpc_there_is_no_path_to_wait_for(eu_west: OfflinePlan) -> None:
    assert not [r for r in eu_west.resources if r.type in PATH_TYPES]
    service = eu_west.by_name("training-service")
    assert set(service.dependencies) == {
        "cluster",
        "cluster-capacity-providers",
        "tasks-security-group",
        "training-task",
    }


def test_the_workers_go_before_their_instances_and_the_group_provider_after_the_workers(plan_for) -> None:
    group = plan_for(VARIANTS["per-az-nat"])
    # destroy: workers service, then the provider list, then the provider, then the group
    assert {"cluster-capacity-providers", "gpu-capacity-provider", "gpu-instances"} <= closure(group, "workers-service")
    assert "gpu-instances" in closure(group, "gpu-capacity-provider")
    spot = plan_for(VARIANTS["spot-fleet"])
    assert "spot-fleet" in closure(spot, "workers-service")
    # A Spot Fleet cluster's provider list waits for the workers: coming from an Auto Scaling group, ECS
    # drops the old provider only once no worker uses it (PutClusterCapacityProviders).
    assert "workers-service" in spot.by_name("cluster-capacity-providers").dependencies
    assert "workers-service" not in closure(group, "cluster-capacity-providers")  # there the workers wait instead


def test_the_rendezvous_is_registered_and_waits_for_the_fargate_providers(plan_for) -> None:
    plan = plan_for(VARIANTS["elastic"])
    assert {"cluster-capacity-providers", "rendezvous-discovery", "discovery-namespace"} <= closure(
        plan, "rendezvous-service"
    )
    assert {"workers-discovery", "discovery-namespace"} <= closure(plan, "workers-service")
