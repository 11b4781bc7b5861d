"""An elastic distributed job (fleet.workers.distributed): a Cloud Map private DNS namespace, the
workers and the rendezvous registered in it, and the rendezvous store as an ECS service.

The store runs on on-demand Fargate only, never on Spot and never on the GPU instances: torchrun's
c10d rendezvous lives in it, and a lost store ends the job on every worker at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi_aws as aws

from ..spec.aws_rules import instance_architecture
from . import names as logical
from .containers import rendezvous_container
from .context import Context
from .elastic import rendezvous_endpoint
from .iam import Roles
from .network import Network
from .options import RENDEZVOUS_CPU, RENDEZVOUS_MEMORY

# The store's image is the workers' (torch and its CUDA libraries: 10-20 GB unpacked), and Fargate
# counts image layers against the task's ephemeral storage (21 GiB by default).
RENDEZVOUS_STORAGE_GIB = 50
DNS_TTL = 10  # seconds: a replaced store's new address reaches the workers soon


@dataclass(frozen=True)
class Discovery:
    namespace: aws.servicediscovery.PrivateDnsNamespace
    workers: aws.servicediscovery.Service  # A records of the worker tasks
    rendezvous: aws.servicediscovery.Service  # the A record of the rendezvous store
    endpoint: str  # host:port the workers meet at (PET_RDZV_ENDPOINT)


@dataclass(frozen=True)
class Rendezvous:
    task_definition: aws.ecs.TaskDefinition
    service: aws.ecs.Service


def build_discovery(ctx: Context, network: Network) -> Discovery | None:
    fleet = ctx.spec.fleet
    workers = fleet.workers if fleet is not None and fleet.enabled else None
    if workers is None or workers.distributed is None:
        return None
    namespace = aws.servicediscovery.PrivateDnsNamespace(
        logical.DISCOVERY_NAMESPACE,
        name=ctx.names.discovery_namespace,
        vpc=network.vpc_id,  # resolvable inside the VPC only (it needs VPC DNS, which network.py turns on)
        description=f"ftcluster {ctx.spec.name}: the elastic job's rendezvous and workers",
        opts=ctx.opts(),
    )

    def registry(resource_name: str, name: str, what: str) -> aws.servicediscovery.Service:
        return aws.servicediscovery.Service(
            resource_name,
            name=name,
            description=f"ftcluster {ctx.spec.name}: {what}",
            dns_config={
                "namespace_id": namespace.id,
                # awsvpc tasks register their own address: A records (ECS service discovery)
                "dns_records": [{"type": "A", "ttl": DNS_TTL}],
                "routing_policy": "MULTIVALUE",
            },
            # ECS reports each task's health to Cloud Map, so a stopping task leaves DNS at once
            # (ECS Developer Guide, service discovery tutorial: HealthCheckCustomConfig). Not an empty
            # block: the provider drops `{}` from its state and the block is ForceNew, so every later `up`
            # would plan to replace the service (terraform-provider-aws#44285, pulumi-aws#6289). 1 is the
            # value AWS itself uses (the argument is deprecated and may warn).
            health_check_custom_config={"failure_threshold": 1},
            # Only ECS registers here; a destroy must not fail on an instance ECS had not yet removed.
            force_destroy=True,
            opts=ctx.opts(),
        )

    return Discovery(
        namespace,
        registry(logical.WORKERS_DISCOVERY, logical.WORKERS_DISCOVERY_NAME, "the worker tasks"),
        registry(logical.RENDEZVOUS_DISCOVERY, logical.RENDEZVOUS_DISCOVERY_NAME, "the rendezvous store"),
        rendezvous_endpoint(ctx.names, workers.distributed.rendezvous_port),
    )


def build_rendezvous(
    ctx: Context,
    discovery: Discovery | None,
    cluster: aws.ecs.Cluster,
    providers: aws.ecs.ClusterCapacityProviders,
    network: Network,
    security_group: aws.ec2.SecurityGroup,
    roles: Roles,
    log_group: aws.cloudwatch.LogGroup,
) -> Rendezvous | None:
    fleet = ctx.spec.fleet
    if discovery is None or fleet is None:
        return None
    containers = log_group.name.apply(lambda group: json.dumps([rendezvous_container(ctx.spec, log_group=group)]))
    task_definition = aws.ecs.TaskDefinition(
        logical.RENDEZVOUS_TASK,
        family=ctx.names.rendezvous_family,
        requires_compatibilities=["FARGATE"],
        network_mode="awsvpc",
        cpu=str(RENDEZVOUS_CPU),
        memory=str(RENDEZVOUS_MEMORY),
        # the workers' image, so the workers' architecture
        runtime_platform={
            "operating_system_family": "LINUX",
            "cpu_architecture": instance_architecture(fleet.instance_types[0]),
        },
        ephemeral_storage={"size_in_gib": RENDEZVOUS_STORAGE_GIB},
        execution_role_arn=roles.execution.arn,  # no task role: the store calls no AWS API
        container_definitions=containers,
        opts=ctx.opts(),
    )
    service = aws.ecs.Service(
        logical.RENDEZVOUS_SERVICE,
        name=ctx.names.rendezvous_service,
        cluster=cluster.arn,
        task_definition=task_definition.arn,
        desired_count=ctx.counts.rendezvous,  # 0 once the workers' job completed
        # On-demand Fargate only: a Spot interruption of the store would end the job.
        capacity_provider_strategies=[{"capacity_provider": "FARGATE", "base": 1, "weight": 1}],
        network_configuration={
            "subnets": network.subnet_ids,
            "security_groups": [security_group.id],  # the workers reach it like any other member
            "assign_public_ip": network.assign_public_ip,
        },
        service_registries={"registry_arn": discovery.rendezvous.arn},
        # Never two stores at once (workers could meet at different ones): a deployment stops the
        # old store first. The job restarts then anyway: its rendezvous state was in that store.
        deployment_maximum_percent=100,
        deployment_minimum_healthy_percent=0,
        deployment_circuit_breaker={"enable": True, "rollback": True},
        # A store moved to even out AZs ends every rendezvous in progress (see service.py).
        availability_zone_rebalancing="DISABLED",
        propagate_tags="SERVICE",
        enable_ecs_managed_tags=True,
        wait_for_steady_state=False,
        opts=ctx.opts(depends_on=[providers, *network.paths]),
    )
    return Rendezvous(task_definition, service)
