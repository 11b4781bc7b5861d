"""An elastic torchrun job: the workers' torchrun environment and the rendezvous store's command.

Pure Python (no pulumi): containers.py puts these into the task definitions.
"""

from __future__ import annotations

from ..spec import Spec
from .names import RENDEZVOUS_DISCOVERY_NAME, Names

# In an awsvpc task on EC2 the task's own network interface is `eth0`; the agent also adds `ecs-eth0`, a
# link-local bridge to the credentials endpoint (amazon-ecs-agent ecscni: defaultENIName, defaultVethName),
# which other ranks cannot reach. NCCL and Gloo pick an interface themselves and may take that one.
SOCKET_INTERFACE = "eth0"

# Defaults only: a key the spec's training.environment sets wins (NCCL_DEBUG=INFO to debug, say).
NCCL_DEFAULTS = {
    "NCCL_SOCKET_IFNAME": SOCKET_INTERFACE,
    "GLOO_SOCKET_IFNAME": SOCKET_INTERFACE,
    "NCCL_DEBUG": "WARN",  # a failed collective says why in the logs, without INFO's volume
}

# The store torchrun's c10d rendezvous meets at (torch/distributed/elastic/rendezvous/
# c10d_rendezvous_backend.py `_create_tcp_store`: a multi-tenant TCPStore, the workers connect as
# clients because PET_RDZV_CONF says is_host=false). It holds only the rendezvous state, so it never
# needs to exit: a stopped store ends every rendezvous in progress.
RENDEZVOUS_SCRIPT = (
    "import threading; from torch.distributed import TCPStore; "
    'store = TCPStore("0.0.0.0", {port}, is_master=True, multi_tenant=True, wait_for_workers=False); '
    'print("rendezvous store listening on port {port}", flush=True); '
    "threading.Event().wait()"
)


def rendezvous_endpoint(names: Names, port: int) -> str:
    """host:port of the rendezvous store: its Cloud Map A record inside the cluster's namespace."""
    return f"{RENDEZVOUS_DISCOVERY_NAME}.{names.discovery_namespace}:{port}"


def rendezvous_command(port: int) -> list[str]:
    return ["python", "-c", RENDEZVOUS_SCRIPT.format(port=port)]


def torchrun_environment(spec: Spec, names: Names) -> dict[str, str]:
    """torchrun's own options as PET_<OPTION> variables (torch/distributed/run.py reads each option
    from its environment through argparse_util `env`), so the command is just `torchrun train.py`."""
    assert spec.fleet is not None and spec.fleet.workers is not None
    workers = spec.fleet.workers
    elastic = workers.distributed
    assert elastic is not None
    return {
        "PET_RDZV_BACKEND": "c10d",
        "PET_RDZV_ENDPOINT": rendezvous_endpoint(names, elastic.rendezvous_port),
        # the store runs in its own service; no worker may try to host it
        "PET_RDZV_CONF": "is_host=false",
        "PET_RDZV_ID": spec.name,  # one job per cluster
        "PET_NNODES": f"{elastic.min_nodes}:{elastic.max_nodes}",
        "PET_NPROC_PER_NODE": str(workers.procs_per_node()),
        "PET_MAX_RESTARTS": str(elastic.max_restarts),
    }
