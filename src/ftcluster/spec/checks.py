"""Rules that span several fields of a spec that is already well-formed.

Each check yields (key path, message) for every problem it finds; `cross_field_problems` runs all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from . import aws_rules, placement
from .instance_facts import shipped_facts
from .models import (
    ELASTIC_VARIABLES,
    MAX_FLEET_OVERRIDES,
    MAX_GROUP_INSTANCE_TYPES,
    TORCHRUN_PREFIX,
    AutoScalingGroupFleet,
    ExistingVpc,
    NewVpc,
    Spec,
)

Found = Iterator[tuple[str, str]]


def fargate_size(spec: Spec) -> Found:
    problem = aws_rules.check_fargate_size(spec.training.cpu, spec.training.memory)
    if problem:
        yield "training.memory", problem


def fargate_spot_needs_x86(spec: Spec) -> Found:
    training = spec.training
    if training.cpu_architecture == "ARM64" and training.capacity.spot_percent > 0:
        yield (
            "training.capacity.spot_percent",
            "Fargate Spot runs only X86_64 tasks; set spot_percent: 0 or cpu_architecture: X86_64",
        )


def task_count_within_autoscaling(spec: Spec) -> Found:
    scaling = spec.autoscaling
    if scaling is None:
        return
    if scaling.min_tasks > scaling.max_tasks:
        yield "autoscaling.min_tasks", f"must not exceed max_tasks ({scaling.min_tasks} > {scaling.max_tasks})"
    elif not scaling.min_tasks <= spec.training.tasks <= scaling.max_tasks:
        yield (
            "training.tasks",
            f"must lie within autoscaling min_tasks..max_tasks "
            f"({scaling.min_tasks}..{scaling.max_tasks}); got {spec.training.tasks}",
        )


def subnets_fit_in_vpc(spec: Spec) -> Found:
    network = spec.network
    if not isinstance(network, NewVpc):
        return
    prefix = int(network.cidr.split("/")[1])
    smallest = prefix + network.subnet_bits()
    if smallest > 28:
        yield (
            "network.cidr",
            f"/{prefix} is too small for {2 * network.availability_zones} subnets "
            f"({network.availability_zones} AZs x public and private; AWS subnets are /28 at the smallest); "
            f"use /{28 - network.subnet_bits()} or larger",
        )


def fleet_rules(spec: Spec) -> Found:
    fleet = spec.fleet
    if fleet is None:
        return
    if fleet.on_demand_capacity > fleet.capacity:
        yield (
            "fleet.on_demand_capacity",
            f"must not exceed {fleet.CAPACITY_KEY} ({fleet.on_demand_capacity} > {fleet.capacity})",
        )
    architectures = {t: aws_rules.instance_architecture(t) for t in fleet.instance_types}
    if len(set(architectures.values())) > 1:
        arm = sorted(t for t, arch in architectures.items() if arch == "ARM64")
        yield (
            "fleet.instance_types",
            f"mixes Graviton (ARM64: {', '.join(arm)}) and x86_64 types; one fleet uses one AMI, so pick one architecture",
        )
    elif fleet.gpu and "ARM64" in architectures.values():
        yield "fleet.gpu", "the GPU ECS-optimized AMI is x86_64 only; use x86_64 GPU instance types"
    workers = fleet.workers
    if workers is not None and workers.gpus > 0 and not fleet.gpu:
        yield "fleet.workers.gpus", "GPU tasks need the GPU AMI: set fleet.gpu: true"
    if workers is not None and workers.shared_memory_mib is not None and workers.shared_memory_mib > workers.memory:
        yield (
            "fleet.workers.shared_memory_mib",
            f"must not exceed fleet.workers.memory ({workers.shared_memory_mib} > {workers.memory}): "
            "/dev/shm is part of the task's memory",
        )
    if isinstance(fleet, AutoScalingGroupFleet):
        if len(fleet.instance_types) > MAX_GROUP_INSTANCE_TYPES:
            yield (
                "fleet.instance_types",
                f"an Auto Scaling group's mixed instances policy takes at most "
                f"{MAX_GROUP_INSTANCE_TYPES} instance types; got {len(fleet.instance_types)}",
            )
        return
    subnets = len(spec.network.subnet_ids) if isinstance(spec.network, ExistingVpc) else spec.network.availability_zones
    overrides = len(fleet.instance_types) * subnets
    if overrides > MAX_FLEET_OVERRIDES:
        yield (
            "fleet.instance_types",
            f"{len(fleet.instance_types)} types x {subnets} subnets = {overrides} launch template overrides; "
            f"a Spot Fleet takes at most {MAX_FLEET_OVERRIDES}",
        )


def elastic_job_rules(spec: Spec) -> Found:
    """An elastic torchrun job restarts every rank whenever its membership changes."""
    fleet = spec.fleet
    workers = fleet.workers if fleet is not None else None
    distributed = workers.distributed if workers is not None else None
    if fleet is None or workers is None or distributed is None:
        return
    if distributed.min_nodes > distributed.max_nodes:
        yield (
            "fleet.workers.distributed.min_nodes",
            f"must not exceed max_nodes ({distributed.min_nodes} > {distributed.max_nodes})",
        )
    elif workers.tasks and not distributed.min_nodes <= workers.tasks <= distributed.max_nodes:
        yield (
            "fleet.workers.tasks",
            f"an elastic job runs {distributed.min_nodes}..{distributed.max_nodes} "
            f"workers (distributed.min_nodes..max_nodes), or 0 while it is paused; got {workers.tasks}",
        )
    # After a loss the others meet again only once the lost node's heartbeats expired and the last call passed
    # (dynamic_rendezvous.py _sanitize, _RendezvousJoinOp): a shorter join timeout gives up on every loss.
    regroup = distributed.keep_alive_interval * distributed.keep_alive_max_attempt + distributed.last_call_timeout
    if distributed.join_timeout <= regroup:
        yield (
            "fleet.workers.distributed.join_timeout",
            f"must exceed keep_alive_interval x keep_alive_max_attempt + last_call_timeout ({regroup} s): "
            "after a loss the others wait that long before they meet again",
        )
    if isinstance(fleet, AutoScalingGroupFleet) and distributed.max_nodes > fleet.max_instances:
        yield (
            "fleet.workers.distributed.max_nodes",
            f"must not exceed fleet.max_instances ({distributed.max_nodes} > {fleet.max_instances}): each worker "
            "may need an instance of its own",
        )
    if spec.autoscaling is not None:
        yield (
            "autoscaling",
            "CPU/memory auto scaling does not go with an elastic job: every scale restarts all "
            "its ranks; remove `autoscaling:` (scale with `ftcluster scale --workers N`)",
        )
    reserved = sorted(
        name for name in spec.training.environment if name.startswith(TORCHRUN_PREFIX) or name in ELASTIC_VARIABLES
    )
    if reserved:
        yield (
            "training.environment",
            f"{', '.join(reserved)}: ftcluster sets torchrun's PET_* options and {', '.join(ELASTIC_VARIABLES)} "
            "for an elastic job, from fleet.workers.distributed; remove them",
        )


def cluster_name_can_start_a_bucket(spec: Spec) -> Found:
    """The checkpoint bucket ftcluster creates is named `<name>-ckpt-...`, so the name inherits S3's rules."""
    if spec.training.checkpoints.bucket is None and spec.name.startswith(aws_rules.RESERVED_BUCKET_PREFIXES):
        yield (
            "name",
            f"`{spec.name}` cannot start an S3 bucket name (reserved prefix), and the checkpoint bucket is "
            "named after the cluster; rename the cluster or give an existing training.checkpoints.bucket",
        )


RESERVED_CAPACITY_PROVIDER_PREFIXES = ("aws", "ecs", "fargate")


def cluster_name_can_start_a_capacity_provider(spec: Spec) -> Found:
    """An Auto Scaling group fleet's capacity provider is named `<name>-gpu`, and ECS refuses capacity
    provider names that start with aws, ecs or fargate (botocore ecs CreateCapacityProviderRequest.name)."""
    fleet = spec.fleet
    if (
        fleet is not None
        and fleet.enabled
        and isinstance(fleet, AutoScalingGroupFleet)
        and spec.name.startswith(RESERVED_CAPACITY_PROVIDER_PREFIXES)
    ):
        yield (
            "name",
            f"`{spec.name}` cannot start an ECS capacity provider name (aws, ecs and fargate are "
            "reserved prefixes), and the fleet's capacity provider is named after the cluster; rename the "
            "cluster or use fleet.type: spot_fleet",
        )


def placement_findings(spec: Spec) -> list[placement.Finding]:
    """Whether the fleet's instances can hold its workers, by the shipped instance facts."""
    return placement.judge(spec.fleet, shipped_facts()) if spec.fleet is not None else []


def workers_fit_the_fleet(spec: Spec) -> Found:
    for finding in placement_findings(spec):
        if finding.level == "error":
            yield finding.key, finding.message


def warnings(spec: Spec) -> list[tuple[str, str]]:
    """What a valid spec may still get wrong on AWS: (key path, message), for `validate` to show."""
    return [(f.key, f.message) for f in placement_findings(spec) if f.level == "warning"]


CHECKS: tuple[Callable[[Spec], Found], ...] = (
    cluster_name_can_start_a_capacity_provider,
    cluster_name_can_start_a_bucket,
    fargate_size,
    fargate_spot_needs_x86,
    task_count_within_autoscaling,
    subnets_fit_in_vpc,
    fleet_rules,
    elastic_job_rules,
    workers_fit_the_fleet,
)


def cross_field_problems(spec: Spec) -> list[tuple[str, str]]:
    return [problem for check in CHECKS for problem in check(spec)]
