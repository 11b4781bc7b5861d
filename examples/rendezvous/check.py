"""Run ftcluster's rendezvous store and two torchrun "nodes" on this machine, with exactly the command and
environment an elastic spec gives the store and the worker containers, and check that the nodes meet as one
job and all-reduce.

It needs torch (`pip install torch`; the CPU build is enough) and nothing from AWS. What changes from the
cluster is what local_job.py makes local: the store's address, the network interface, the local address.
The tests (tests/drill) run the same harness with the example trainer and inject every fault.

    python examples/rendezvous/check.py configs/us-west-2.yaml
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

from local_job import LocalJob, Mark

from ftcluster.errors import SpecError
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
RANK_LINE = re.compile(r"^rank (\d+) of (\d+): all_reduce sum (\S+)")
DEADLINE = 300  # seconds; torch imports alone take several on a busy machine


def main(spec_path: str) -> int:
    try:
        spec = load_spec(spec_path)
    except SpecError as error:
        print(error, file=sys.stderr)
        return 2
    if spec.fleet is None or spec.fleet.workers is None or spec.fleet.workers.distributed is None:
        print(f"{spec_path}: no fleet.workers.distributed: not an elastic job", file=sys.stderr)
        return 2
    if not Path(sys.executable).with_name("torchrun").exists():
        print(f"no torchrun beside {sys.executable}: pip install torch (the CPU build is enough)", file=sys.stderr)
        return 2
    distributed = spec.fleet.workers.distributed
    if distributed.min_nodes > NODES or distributed.max_nodes < NODES:
        # the spec's own PET_NNODES: two nodes must be a job it accepts
        print(f"{spec_path}: min_nodes..max_nodes must allow {NODES} nodes for this check", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder, "job.py")
        script.write_text(JOB)
        job = LocalJob(spec, Path(folder), Path(folder), nodes=NODES, script=script)
        job.ecs = False  # a node that exits stays down: the check runs once
        job.start()
        try:
            found = job.wait_for(Mark(0, 0.0), RANK_LINE, time.monotonic() + DEADLINE, count=NODES)
            codes = [node.wait(DEADLINE) for node in job.nodes]
        except AssertionError as error:
            print(f"the nodes did not meet as one job: {error}", file=sys.stderr)
            return 1
        finally:
            job.close()
    found.sort(key=lambda hit: int(hit[1].group(1)))  # the two nodes print in whichever order they finish
    print("\n".join(line.text for line, _ in found))
    expected = NODES * (NODES + 1) / 2
    ok = codes == [0] * NODES and all(int(m.group(2)) == NODES and float(m.group(3)) == expected for _, m in found)
    if not ok:
        print(f"the nodes did not meet as one job (exit codes {codes}); their output:\n{job.tail()}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "configs/us-west-2.yaml"))
