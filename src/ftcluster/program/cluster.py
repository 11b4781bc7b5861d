"""The ECS cluster with Container Insights, and its Fargate / Fargate Spot capacity providers."""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import pulumi_aws as aws

from ..spec import Capacity
from .context import Context


def capacity_strategy(capacity: Capacity) -> list[dict[str, object]]:
    """On-demand base on FARGATE, then tasks split FARGATE : FARGATE_SPOT = (100 - spot) : spot.

    Weights are reduced (75 % -> 1 : 3). FARGATE_SPOT is left out at 0 %; at 100 % FARGATE keeps
    only its base (weight 0).
    """
    spot = capacity.spot_percent
    on_demand = 100 - spot
    if spot == 0:
        return [{"capacity_provider": "FARGATE", "base": capacity.on_demand_base, "weight": 1}]
    divisor = gcd(on_demand, spot)
    return [
        {"capacity_provider": "FARGATE", "base": capacity.on_demand_base, "weight": on_demand // divisor},
        {"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": spot // divisor},
    ]


@dataclass(frozen=True)
class Cluster:
    cluster: aws.ecs.Cluster
    capacity_providers: aws.ecs.ClusterCapacityProviders


def build_cluster(ctx: Context) -> Cluster:
    cluster = aws.ecs.Cluster(
        "cluster",
        name=ctx.names.cluster,
        settings=[{"name": "containerInsights", "value": "enabled"}],
        opts=ctx.opts(),
    )
    providers = aws.ecs.ClusterCapacityProviders(
        "cluster-capacity-providers",
        cluster_name=cluster.name,
        capacity_providers=["FARGATE", "FARGATE_SPOT"],
        default_capacity_provider_strategies=capacity_strategy(ctx.spec.training.capacity),
        opts=ctx.opts(),
    )
    return Cluster(cluster, providers)
