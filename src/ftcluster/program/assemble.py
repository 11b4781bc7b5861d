"""The program itself: declare every resource of one cluster, in dependency order, and export.

(Not named build.py: a submodule of that name would shadow the function `ftcluster.program.build`.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws

from ..spec import Spec
from .cluster import Cluster, attach_capacity_providers, build_cluster
from .completion import build_completion
from .context import Context
from .distributed import build_discovery, build_rendezvous
from .exports import collect_exports
from .fleet import build_fleet
from .iam import build_roles
from .logs import build_log_groups
from .names import names_for
from .network import build_network
from .options import ProgramOptions, effective_counts
from .provider import make_provider
from .recording import build_recording
from .scaling import build_scaling
from .security import build_security_group
from .service import build_training_service
from .storage import build_checkpoints
from .workers import build_workers


def build(spec: Spec, options: ProgramOptions = ProgramOptions()) -> dict[str, Any]:
    """Declare every resource of the cluster; returns the exports. Call inside a Pulumi program
    (or the mock runtime): it registers resources and runs lookups through the AWS provider."""
    counts = effective_counts(spec, options)  # bad overrides fail before anything is declared
    provider = make_provider(spec)
    lookup = pulumi.InvokeOptions(provider=provider)
    partition = aws.get_partition(opts=lookup)
    identity = aws.get_caller_identity(opts=lookup)
    ctx = Context(
        spec=spec,
        options=options,
        names=names_for(spec),
        counts=counts,
        provider=provider,
        partition=partition.partition,
        reverse_dns_prefix=partition.reverse_dns_prefix,
        account_id=identity.account_id,
    )
    network = build_network(ctx)
    security_group = build_security_group(ctx, network)
    log_groups = build_log_groups(ctx)
    log_group = log_groups.containers
    checkpoints = build_checkpoints(ctx)
    roles = build_roles(ctx, checkpoints)
    ecs_cluster = build_cluster(ctx, log_groups)
    fleet = build_fleet(ctx, ecs_cluster, network, security_group, roles)
    discovery = build_discovery(ctx, network)

    def workers_service(providers: aws.ecs.ClusterCapacityProviders | None) -> aws.ecs.Service | None:
        return build_workers(
            ctx, ecs_cluster, providers, network, security_group, roles, log_group, checkpoints, fleet, discovery
        )

    if fleet is not None and fleet.capacity_provider is not None:
        # The workers place through the group's provider: it is attached to the cluster first.
        providers = attach_capacity_providers(ctx, ecs_cluster, fleet.capacity_provider, after=[])
        workers = workers_service(providers)
    else:
        # No provider of ours; the provider list waits for the workers, so that a change from an Auto
        # Scaling group drops the old provider only once its workers are gone (cluster.py).
        workers = workers_service(None)
        providers = attach_capacity_providers(ctx, ecs_cluster, None, after=[workers] if workers else [])
    cluster = Cluster(ecs_cluster, providers)
    training = build_training_service(ctx, cluster, network, security_group, roles, log_group, checkpoints)
    scaling = build_scaling(ctx, cluster, training)
    rendezvous = build_rendezvous(ctx, discovery, ecs_cluster, providers, network, security_group, roles, log_group)
    recording = build_recording(ctx, ecs_cluster, fleet)
    completion = build_completion(
        ctx, ecs_cluster, training.service, scaling, workers, rendezvous.service if rendezvous else None, fleet
    )
    return collect_exports(
        ctx,
        network=network,
        cluster=cluster,
        training=training,
        checkpoints=checkpoints,
        log_group=log_group,
        fleet=fleet,
        workers=workers,
        discovery=discovery,
        rendezvous=rendezvous,
        recording=recording,
        completion=completion,
    )


def pulumi_program(spec: Spec, options: ProgramOptions = ProgramOptions()) -> Callable[[], None]:
    """The function to hand to the Automation API: builds everything, exports every output."""

    def program() -> None:
        for name, value in build(spec, options).items():
            pulumi.export(name, value)

    return program
