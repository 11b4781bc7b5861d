"""ECS container definitions as plain Python data (RegisterTaskDefinition's camelCase shape).

No pulumi here: the callers fill in resolved values inside `apply` and `json.dumps` the list.
"""

from __future__ import annotations

from typing import Any

from ..spec import Spec
from ..spec.models import CHECKPOINT_URI_VARIABLE
from .elastic import NCCL_DEFAULTS, rendezvous_command, torchrun_environment
from .names import Names

TRAINING_CONTAINER = "trainer"
WORKER_CONTAINER = "worker"
RENDEZVOUS_CONTAINER = "rendezvous"


def _environment(
    spec: Spec, checkpoint_uri: str, *, defaults: dict[str, str] | None = None, fixed: dict[str, str] | None = None
) -> list[dict[str, str]]:
    """`defaults` give way to the spec's training.environment; `fixed` (and CHECKPOINT_URI) do not
    (the spec refuses the keys ftcluster fixes)."""
    variables = {
        **(defaults or {}),
        **spec.training.environment,
        **(fixed or {}),
        CHECKPOINT_URI_VARIABLE: checkpoint_uri,
    }
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


def worker_image(spec: Spec) -> str:
    assert spec.fleet is not None and spec.fleet.workers is not None
    return spec.fleet.workers.image or spec.training.image


def worker_container(spec: Spec, names: Names, *, log_group: str, checkpoint_uri: str) -> dict[str, Any]:
    """The container the fleet workers run: the training job unless the spec says otherwise; as one
    elastic torchrun job (torchrun's PET_* settings, NCCL defaults) with `distributed`."""
    training, fleet = spec.training, spec.fleet
    assert fleet is not None and fleet.workers is not None
    workers = fleet.workers
    command = workers.command if workers.command is not None else training.command
    elastic = workers.distributed is not None
    environment = _environment(
        spec,
        checkpoint_uri,
        defaults=NCCL_DEFAULTS if elastic else None,
        fixed=torchrun_environment(spec, names) if elastic else None,
    )
    container: dict[str, Any] = {
        "name": WORKER_CONTAINER,
        "image": worker_image(spec),
        "essential": True,
        "memory": workers.memory,  # hard limit; also what ECS reserves on the instance
        "environment": environment,
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


def rendezvous_container(spec: Spec, *, log_group: str) -> dict[str, Any]:
    """The elastic job's rendezvous store: the workers' image (it has torch), listening on the port."""
    assert spec.fleet is not None and spec.fleet.workers is not None and spec.fleet.workers.distributed is not None
    port = spec.fleet.workers.distributed.rendezvous_port
    return {
        "name": RENDEZVOUS_CONTAINER,
        "image": worker_image(spec),
        "essential": True,
        "command": rendezvous_command(spec),
        "portMappings": [{"containerPort": port, "protocol": "tcp"}],
        "logConfiguration": _logging(log_group, spec.region, "rendezvous"),
        "stopTimeout": 2,  # the store has nothing to save: a replacement starts sooner
    }
