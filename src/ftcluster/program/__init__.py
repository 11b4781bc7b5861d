"""The inline Pulumi program: a validated Spec in, pulumi_aws resources and stack outputs out.

Importing this package is cheap: pulumi and pulumi_aws load only when `build` or
`pulumi_program` is called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .names import GPU_INSTANCES, RENDEZVOUS_SERVICE, SCALING_TARGET, SPOT_FLEET, TRAINING_SERVICE, WORKERS_SERVICE
from .options import Counts, ProgramOptions, capacity_strategy_changed, effective_counts

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = [
    "Counts",
    "ProgramOptions",
    "build",
    "capacity_strategy_changed",
    "effective_counts",
    "pulumi_program",
    "scale_targets",
]


def build(spec: Spec, options: ProgramOptions = ProgramOptions()) -> dict[str, Any]:
    """Declare every resource (inside a Pulumi program or the mock runtime); returns the exports."""
    from .assemble import build as build_resources

    return build_resources(spec, options)


def pulumi_program(spec: Spec, options: ProgramOptions = ProgramOptions()) -> Callable[[], None]:
    """The program function for the Automation API: calls `build` and exports every output."""
    from .assemble import pulumi_program as make_program

    return make_program(spec, options)


def scale_targets(spec: Spec) -> list[tuple[str, str]]:
    """(type token, logical name) of what a count change touches, for a targeted update.

    The training count lives on the Application Auto Scaling target (the service ignores its own
    desired_count); the fleet size on the Spot Fleet request, or on the Auto Scaling group (its max
    size). The service is listed too so a targeted update also picks up anything else the service
    carries.
    """
    targets = [
        ("aws:appautoscaling/target:Target", SCALING_TARGET),
        ("aws:ecs/service:Service", TRAINING_SERVICE),
    ]
    if spec.fleet is not None and spec.fleet.enabled:
        if spec.fleet.type == "spot_fleet":
            targets.append(("aws:ec2/spotFleetRequest:SpotFleetRequest", SPOT_FLEET))
        else:
            targets.append(("aws:autoscaling/group:Group", GPU_INSTANCES))
        if spec.fleet.workers is not None:
            targets.append(("aws:ecs/service:Service", WORKERS_SERVICE))
            if spec.fleet.workers.distributed is not None:
                # its count follows the workers' job: 0 once it completed, 1 when it starts again
                targets.append(("aws:ecs/service:Service", RENDEZVOUS_SERVICE))
    return targets
