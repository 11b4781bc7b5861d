"""Who owns the training task count: an Application Auto Scaling target, always.

With `autoscaling` in the spec it gets target-tracking policies (CPU, optionally memory) and
moves the count between min and max. Without, it is pinned at min = max = tasks. Either way a
count change is a new min/max on the target, which Application Auto Scaling applies to the
service at once, with no ECS deployment (so no running task is restarted).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from . import names as logical
from .cluster import Cluster
from .context import Context
from .service import TrainingService


@dataclass(frozen=True)
class Scaling:
    target: aws.appautoscaling.Target
    policies: list[aws.appautoscaling.Policy]


def build_scaling(ctx: Context, cluster: Cluster, training: TrainingService) -> Scaling:
    target = aws.appautoscaling.Target(
        logical.SCALING_TARGET,
        service_namespace="ecs",
        scalable_dimension="ecs:service:DesiredCount",
        resource_id=pulumi.Output.concat("service/", cluster.cluster.name, "/", training.service.name),
        min_capacity=ctx.counts.scaling_min,
        max_capacity=ctx.counts.scaling_max,
        opts=ctx.opts(),
    )
    scaling = ctx.spec.autoscaling
    if scaling is None:
        return Scaling(target, [])
    metrics = [("cpu", ctx.names.cpu_policy, "ECSServiceAverageCPUUtilization", scaling.target_cpu_percent)]
    if scaling.target_memory_percent is not None:
        metrics.append(
            ("memory", ctx.names.memory_policy, "ECSServiceAverageMemoryUtilization", scaling.target_memory_percent)
        )
    policies = [
        aws.appautoscaling.Policy(
            logical.scaling_policy(metric),
            name=name,
            policy_type="TargetTrackingScaling",
            # Taken from the target, so each policy waits for it and always names the same service.
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": float(value),
                "predefined_metric_specification": {"predefined_metric_type": metric_type},
                "scale_in_cooldown": scaling.scale_in_cooldown,
                "scale_out_cooldown": scaling.scale_out_cooldown,
            },
            opts=ctx.opts(),
        )
        for metric, name, metric_type, value in metrics
    ]
    return Scaling(target, policies)
