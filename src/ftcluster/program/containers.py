"""ECS container definitions as plain Python data (RegisterTaskDefinition's camelCase shape).

No pulumi here: the callers fill in resolved values inside `apply` and `json.dumps` the list.
"""

from __future__ import annotations

from typing import Any

from ..spec import Spec
from ..spec.models import CHECKPOINT_URI_VARIABLE

TRAINING_CONTAINER = "trainer"
WORKER_CONTAINER = "worker"


def _environment(spec: Spec, checkpoint_uri: str) -> list[dict[str, str]]:
    variables = {**spec.training.environment, CHECKPOINT_URI_VARIABLE: checkpoint_uri}
    return [{"name": name, "value": variables[name]} for name in sorted(variables)]


def _logging(log_group: str, region: str, stream_prefix: str) -> dict[str, Any]:
    return {
        "logDriver": "awslogs",
        "options": {"awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": stream_prefix},
    }


def training_container(spec: Spec, *, log_group: str, checkpoint_uri: str) -> dict[str, Any]:
    training = spec.training
    container: dict[str, Any] = {
        "name": TRAINING_CONTAINER,
        "image": training.image,
        "essential": True,
        "environment": _environment(spec, checkpoint_uri),
        "logConfiguration": _logging(log_group, spec.region, "training"),
        # Time between SIGTERM (Fargate Spot's 2-minute notice, scale-in, deployment) and SIGKILL:
        # the training code saves a checkpoint in it.
        "stopTimeout": training.stop_timeout,
    }
    if training.command is not None:
        container["command"] = list(training.command)
    if training.port is not None:
        container["portMappings"] = [{"containerPort": training.port, "protocol": "tcp"}]
    return container


def worker_container(spec: Spec, *, log_group: str, checkpoint_uri: str) -> dict[str, Any]:
    """The container the fleet workers run: the training job unless the spec says otherwise."""
    training, fleet = spec.training, spec.fleet
    assert fleet is not None and fleet.workers is not None
    workers = fleet.workers
    command = workers.command if workers.command is not None else training.command
    container: dict[str, Any] = {
        "name": WORKER_CONTAINER,
        "image": workers.image or training.image,
        "essential": True,
        "memory": workers.memory,  # hard limit; also what ECS reserves on the instance
        "environment": _environment(spec, checkpoint_uri),
        "logConfiguration": _logging(log_group, spec.region, "workers"),
        "stopTimeout": training.stop_timeout,
    }
    if workers.cpu is not None:
        container["cpu"] = workers.cpu
    if command is not None:
        container["command"] = list(command)
    if training.port is not None:
        container["portMappings"] = [{"containerPort": training.port, "protocol": "tcp"}]
    if workers.gpus > 0:
        container["resourceRequirements"] = [{"type": "GPU", "value": str(workers.gpus)}]
    # NCCL and PyTorch DataLoader workers exchange data through /dev/shm; Docker gives 64 MiB.
    # EC2 launch type only: Fargate rejects sharedMemorySize (ECS LinuxParameters API).
    container["linuxParameters"] = {"sharedMemorySize": workers.shared_memory()}
    return container
