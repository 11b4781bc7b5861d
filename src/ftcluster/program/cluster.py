"""The ECS cluster with Container Insights, and its Fargate / Fargate Spot capacity providers."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi_aws as aws

from . import names as logical
from .context import Context
from .logs import LogGroups
from .options import capacity_strategy


@dataclass(frozen=True)
class Cluster:
    cluster: aws.ecs.Cluster
    capacity_providers: aws.ecs.ClusterCapacityProviders


def build_cluster(ctx: Context, log_groups: LogGroups) -> Cluster:
    cluster = aws.ecs.Cluster(
        logical.CLUSTER,
        name=ctx.names.cluster,
        settings=[{"name": "containerInsights", "value": "enabled"}],
        # The Insights log group must exist before ECS first writes to it (else ECS creates its
        # own, which the stack does not own), and outlive the cluster on destroy.
        opts=ctx.opts(depends_on=[log_groups.insights]),
    )
    providers = aws.ecs.ClusterCapacityProviders(
        logical.CLUSTER_CAPACITY_PROVIDERS,
        cluster_name=cluster.name,
        capacity_providers=["FARGATE", "FARGATE_SPOT"],
        default_capacity_provider_strategies=capacity_strategy(ctx.spec.training.capacity),
        opts=ctx.opts(),
    )
    return Cluster(cluster, providers)
