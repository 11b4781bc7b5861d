"""Run ftcluster's rendezvous store and two torchrun "nodes" on this machine, with exactly the
environment an elastic spec gives the worker containers, and check that the nodes meet as one job.

It needs torch (`pip install torch`; the CPU build is enough) and nothing from AWS. The only
changes from the cluster: the store's Cloud Map name becomes 127.0.0.1, Gloo talks over loopback,
and the rendezvous closes 5 s after the minimum number of nodes joined (not 30 s).

    python examples/rendezvous/check.py configs/us-west-2.yaml
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ftcluster.errors import SpecError
from ftcluster.program.elastic import rendezvous_command, torchrun_environment
from ftcluster.program.names import names_for
from ftcluster.spec import load_spec

NODES = 2
JOB = """
import torch, torch.distributed as dist
dist.init_process_group("gloo")
total = torch.tensor([float(dist.get_rank() + 1)])
dist.all_reduce(total)
print(f"rank {dist.get_rank()} of {dist.get_world_size()}: all_reduce sum {total.item():g}", flush=True)
dist.destroy_process_group()
"""


def main(spec_path: str) -> int:
    try:
        spec = load_spec(spec_path)
    except SpecError as error:
        print(error, file=sys.stderr)
        return 2
    elastic = spec.fleet.workers.distributed if spec.fleet and spec.fleet.workers else None
    if elastic is None:
        print(f"{spec_path}: no fleet.workers.distributed: not an elastic job", file=sys.stderr)
        return 2
    port = elastic.rendezvous_port
    env = dict(os.environ, **torchrun_environment(spec, names_for(spec)))
    env.update(
        PET_RDZV_ENDPOINT=f"127.0.0.1:{port}",
        PET_NNODES=f"{NODES}:{NODES + 1}",
        GLOO_SOCKET_IFNAME="lo",
        PET_NPROC_PER_NODE="1",
    )
    env["PET_RDZV_CONF"] += ",last_call_timeout=5"
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    if not Path(torchrun).exists():
        print(f"no torchrun beside {sys.executable}: pip install torch (the CPU build is enough)", file=sys.stderr)
        return 2
    store = subprocess.Popen([sys.executable, *rendezvous_command(port)[1:]], stdout=subprocess.DEVNULL)
    try:
        time.sleep(3)  # the store binds its port
        with tempfile.TemporaryDirectory() as folder:
            job = Path(folder, "job.py")
            job.write_text(JOB)
            nodes = [
                subprocess.Popen(
                    [torchrun, str(job)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                )
                for _ in range(NODES)
            ]
            outputs = [node.communicate(timeout=300)[0] for node in nodes]
    finally:
        store.kill()
    lines = [line for out in outputs for line in out.splitlines() if line.startswith("rank ")]
    print("\n".join(lines))
    expected = NODES * (NODES + 1) / 2
    ok = (
        all(n.returncode == 0 for n in nodes)
        and len(lines) == NODES
        and all(f"of {NODES}: all_reduce sum {expected:g}" in line for line in lines)
    )
    if not ok:
        print("the nodes did not meet as one job; their output:\n" + "\n".join(outputs), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "configs/us-west-2.yaml"))
