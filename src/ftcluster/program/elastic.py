"""An elastic torchrun job: the workers' torchrun environment and the rendezvous store's command.

Pure Python (no pulumi): containers.py puts these into the task definitions. Every setting is read
by torch itself; the paths below are under torch/distributed/ (torch 2.13), and docs/elastic-training.md
says which torch version each one needs.
"""

from __future__ import annotations

from ..spec import Spec
from ..spec.models import (
    PROCESS_GROUP_TIMEOUT_VARIABLE,
    SHARE_STORE_VARIABLE,
    SHUTDOWN_TIMEOUT_VARIABLE,
    Distributed,
)
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
    # torchrun logs each restart ("Worker group FAILED. 2/100 attempts left") at INFO, and its logger's
    # level is LOGLEVEL, else WARNING (elastic/utils/logging.py get_logger): without this no restart
    # reaches CloudWatch. A default, so LOGLEVEL=DEBUG in training.environment still works.
    "LOGLEVEL": "INFO",
}

# Seconds ECS's stop timeout keeps for torchrun itself after its workers' grace period: it then
# SIGKILLs what is left of them and exits (elastic/multiprocessing/api.py PContext.close) before ECS's
# own SIGKILL.
AGENT_STOP_MARGIN = 5

# The rendezvous store, run as `python -c STORE_SCRIPT PORT RUN_ID QUIET_SECONDS` in the workers' image
# (it has torch). It hosts the TCPStore torchrun's c10d rendezvous meets at (elastic/rendezvous/
# c10d_rendezvous_backend.py: the state of job RUN_ID is the base64 pickle of a `_RendezvousState` under
# the key `torch.rendezvous.RUN_ID`; the workers connect as clients because PET_RDZV_CONF says
# is_host=false) and keeps that rendezvous usable for the job's whole life:
#
# - torchrun closes the rendezvous when it ends for any reason but a signal (launcher/api.py
#   launch_agent: `spec.rdzv_handler.shutdown()`): after success, but also after its join timeout or its
#   last restart. A closed rendezvous refuses every node that comes later (elastic/rendezvous/
#   dynamic_rendezvous.py, _RendezvousJoinOp: ERROR_CLOSED -> RendezvousClosedError), so ECS's
#   replacements would fail forever. The store tells the two apart by torchrun's exit barrier, which
#   only an agent whose workers all exited 0 enters (elastic/agent/server/api.py _invoke_run ->
#   _exit_barrier) and which counts its members in the store under the round's prefix
#   (elastic/utils/store.py barrier: `<key_prefix>/num_members`; the prefix is
#   `torch.rendezvous.RUN_ID.ROUND/`, dynamic_rendezvous.py _wrap_store).
# - closed by a failure: once no node has written the state for QUIET_SECONDS (the heartbeat expiry,
#   so the nodes that saw it closed have exited), it is replaced by a fresh one in the next round
#   number (never a round whose keys are still in the store, such as MASTER_ADDR). Nodes ECS starts
#   again then meet there and the job resumes from its checkpoint.
# - finished: it stays closed, so a node ECS starts afterwards exits at once instead of training.
STORE_SCRIPT = """\
import base64, pickle, sys, time
from torch.distributed import TCPStore
from torch.distributed.elastic.rendezvous.dynamic_rendezvous import _RendezvousState

port, run_id, quiet = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
store = TCPStore("0.0.0.0", port, is_master=True, multi_tenant=True, wait_for_workers=False)
key = "torch.rendezvous." + run_id

def say(text):
    print(time.strftime("%Y-%m-%dT%H:%M:%S"), "rendezvous store:", text, flush=True)

say(f"listening on port {port} for job {run_id}")
seen, changed, finished = None, time.monotonic(), False
while True:
    time.sleep(1)
    value = store.get(key) if store.check([key]) else None
    if value != seen:
        seen, changed = value, time.monotonic()
        continue
    if finished or value is None or time.monotonic() - changed < quiet:
        continue
    try:
        state = pickle.loads(base64.b64decode(value))
    except Exception:
        continue  # the backend's empty-state sentinel
    if not state.closed:
        continue
    if store.check([f"{key}.{state.round}/torchelastic/agent/terminal_state/num_members"]):
        finished = True
        say(f"the job finished in round {state.round}: the rendezvous stays closed")
        continue
    fresh = _RendezvousState()
    fresh.round = state.round + 1
    store.compare_set(key, value, base64.b64encode(pickle.dumps(fresh)).decode())
    say(f"the rendezvous was closed by a failure in round {state.round}: reopened as round {fresh.round}")
"""


def rendezvous_endpoint(names: Names, port: int) -> str:
    """host:port of the rendezvous store: its Cloud Map A record inside the cluster's namespace."""
    return f"{RENDEZVOUS_DISCOVERY_NAME}.{names.discovery_namespace}:{port}"


def rendezvous_command(spec: Spec) -> list[str]:
    elastic = _distributed(spec)
    quiet = elastic.keep_alive_interval * (elastic.keep_alive_max_attempt + 1)
    return ["python", "-c", STORE_SCRIPT, str(elastic.rendezvous_port), spec.name, str(quiet)]


def shutdown_timeout(spec: Spec) -> int:
    """Seconds torchrun gives its workers after SIGTERM before it kills them: ECS's stop timeout less
    the agent's margin, so a checkpoint saved on the Spot notice is not cut at torch's default 30 s."""
    return max(1, spec.training.stop_timeout - AGENT_STOP_MARGIN)


def torchrun_environment(spec: Spec, names: Names) -> dict[str, str]:
    """torchrun's own options as PET_<OPTION> variables (torch/distributed/run.py reads each option
    from its environment through argparse_util `env`), so the command is just `torchrun train.py`,
    and the few settings torch reads from variables of their own."""
    assert spec.fleet is not None and spec.fleet.workers is not None
    workers = spec.fleet.workers
    elastic = _distributed(spec)
    # dynamic_rendezvous.py create_handler reads the timeouts; keep_alive_* from torch 2.7 (older ones
    # ignore unknown keys and keep 5 s x 3).
    rendezvous_conf = {
        "is_host": "false",  # the store runs in its own service; no worker may try to host it
        "join_timeout": elastic.join_timeout,
        "last_call_timeout": elastic.last_call_timeout,
        "keep_alive_interval": elastic.keep_alive_interval,
        "keep_alive_max_attempt": elastic.keep_alive_max_attempt,
    }
    return {
        "PET_RDZV_BACKEND": "c10d",
        "PET_RDZV_ENDPOINT": rendezvous_endpoint(names, elastic.rendezvous_port),
        "PET_RDZV_CONF": ",".join(f"{key}={value}" for key, value in rendezvous_conf.items()),
        "PET_RDZV_ID": spec.name,  # one job per cluster
        "PET_NNODES": f"{elastic.min_nodes}:{elastic.max_nodes}",
        "PET_NPROC_PER_NODE": str(workers.procs_per_node()),
        "PET_MAX_RESTARTS": str(elastic.max_restarts),
        # By default (torch 2.5+) the rendezvous hands its store to the workers and only rank 0 writes
        # MASTER_ADDR/MASTER_PORT into it once: a replacement waits for a key nobody writes again and a
        # lost rank 0 leaves the others on a dead port (dynamic_rendezvous.py next_rendezvous; pytorch
        # issue 135712). Off, rank 0 publishes a fresh address in every round.
        SHARE_STORE_VARIABLE: "1",
        # launcher/api.py LaunchConfig.shutdown_timeout (torch 2.12+; before, a fixed 30 s)
        SHUTDOWN_TIMEOUT_VARIABLE: str(shutdown_timeout(spec)),
        # torch has no variable for it: the trainer passes it to init_process_group(timeout=...)
        PROCESS_GROUP_TIMEOUT_VARIABLE: str(elastic.process_group_timeout),
    }


def _distributed(spec: Spec) -> Distributed:
    workers = spec.fleet.workers if spec.fleet is not None else None
    assert workers is not None and workers.distributed is not None
    return workers.distributed
