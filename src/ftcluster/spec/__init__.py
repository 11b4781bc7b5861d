"""The YAML cluster spec: typed models, AWS rules and the loader that reports problems by line."""

from .loader import load_spec
from .models import (
    Autoscaling,
    Capacity,
    Checkpoints,
    Distributed,
    ExistingVpc,
    Fleet,
    FleetWorkers,
    Logs,
    NewVpc,
    Spec,
    State,
    Training,
)

__all__ = [
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
    "State",
    "Training",
    "load_spec",
]
