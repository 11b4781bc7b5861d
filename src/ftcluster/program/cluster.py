"""The ECS cluster with Container Insights, and the capacity providers attached to it: Fargate and
Fargate Spot always, and the GPU instances' Auto Scaling group provider in that fleet mode."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from . import names as logical
from .context import Context
from .logs import LogGroups
from .options import capacity_strategy


@dataclass(frozen=True)
class Cluster:
    cluster: aws.ecs.Cluster
    capacity_providers: aws.ecs.ClusterCapacityProviders


def build_cluster(ctx: Context, log_groups: LogGroups) -> aws.ecs.Cluster:
    return aws.ecs.Cluster(
        logical.CLUSTER,
        name=ctx.names.cluster,
        settings=[{"name": "containerInsights", "value": "enabled"}],
        # The Insights log group must exist before ECS first writes to it (else ECS creates its
        # own, which the stack does not own), and outlive the cluster on destroy.
        opts=ctx.opts(depends_on=[log_groups.insights]),
    )


def attach_capacity_providers(
    ctx: Context,
    cluster: aws.ecs.Cluster,
    gpu_provider: aws.ecs.CapacityProvider | None,
    *,
    after: list[pulumi.Resource],
) -> aws.ecs.ClusterCapacityProviders:
    """Every capacity provider the cluster's services use. The default strategy stays Fargate: ECS
    takes no strategy that mixes Fargate and Auto Scaling group providers, so the workers service
    names its own (workers.py).

    `after`: what this must wait for. ECS disassociates a provider only once no task uses it
    (PutClusterCapacityProviders API), so when an Auto Scaling group fleet becomes a Spot Fleet the
    old workers service (on the provider) must be gone before this update drops the provider.
    """
    providers: list[pulumi.Input[str]] = ["FARGATE", "FARGATE_SPOT"]
    if gpu_provider is not None:
        providers.append(gpu_provider.name)
    return aws.ecs.ClusterCapacityProviders(
        logical.CLUSTER_CAPACITY_PROVIDERS,
        cluster_name=cluster.name,
        capacity_providers=providers,
        default_capacity_provider_strategies=capacity_strategy(ctx.spec.training.capacity),
        opts=ctx.opts(depends_on=after),
    )
