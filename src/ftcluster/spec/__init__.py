"""The YAML cluster spec: typed models, AWS rules and the loader that reports problems by line."""

from .loader import load_spec, revised
from .models import (
    Autoscaling,
    AutoScalingGroupFleet,
    Capacity,
    Checkpoints,
    Distributed,
    ExistingVpc,
    Fleet,
    FleetWorkers,
    Logs,
    NewVpc,
    Spec,
    SpotFleet,
    State,
    Training,
)

__all__ = [
    "AutoScalingGroupFleet",
    "Autoscaling",
    "Capacity",
    "Checkpoints",
    "Distributed",
    "ExistingVpc",
    "Fleet",
    "FleetWorkers",
    "Logs",
    "NewVpc",
    "Spec",
    "SpotFleet",
    "State",
    "Training",
    "load_spec",
    "revised",
]
