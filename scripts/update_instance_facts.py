"""Rebuild src/ftcluster/data/instance_types.json: the facts `validate` places workers with.

    python scripts/update_instance_facts.py                 # from the DescribeInstanceTypes dump moto ships
    python scripts/update_instance_facts.py ANSWER.json     # from `aws ec2 describe-instance-types --instance-types ...`

Covers every instance type of the price table (src/ftcluster/data/prices.json). A type the dump lacks
must be in MANUAL, copied from the AWS documentation page named there, or the script stops.
"""

from __future__ import annotations

import datetime
import gzip
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ftcluster.spec.instance_facts import facts_from_describe  # noqa: E402

TABLE = ROOT / "src" / "ftcluster" / "data" / "instance_types.json"
PRICES = ROOT / "src" / "ftcluster" / "data" / "prices.json"
ACCELERATED_PAGE = "https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html"

# Types the dump lacks, from the AWS documentation's specification tables (accelerated computing:
# hardware specifications for GPUs, vCPUs and memory; network specifications for network interfaces).
MANUAL: dict[str, dict[str, Any]] = {
    "p3.2xlarge": {"gpus": 1, "gpu_memory_mib": 16384, "vcpus": 8, "memory_mib": 62464, "max_enis": 4},
    "p3.8xlarge": {"gpus": 4, "gpu_memory_mib": 65536, "vcpus": 32, "memory_mib": 249856, "max_enis": 8},
    "p3.16xlarge": {"gpus": 8, "gpu_memory_mib": 131072, "vcpus": 64, "memory_mib": 499712, "max_enis": 8},
}


def price_table_types() -> list[str]:
    prices = json.loads(PRICES.read_text(encoding="utf-8"))
    found = {
        t for section in prices["ec2_on_demand"]["sections"] for by_type in section["regions"].values() for t in by_type
    }
    return sorted(found)


def moto_dump() -> tuple[dict[str, Any], str]:
    import moto

    path = Path(moto.__file__).parent / "ec2" / "resources" / "instance_types.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        dump = json.load(handle)
    source = (
        f"EC2 DescribeInstanceTypes, as moto {moto.__version__} ships it (moto/ec2/resources/instance_types.json.gz, "
        "written by moto's scripts/get_instance_info.py from every region's DescribeInstanceTypes answer)"
    )
    return dump, source


def render(table: dict[str, Any]) -> str:
    """JSON with one line per instance type and per source's list of types, so a diff shows what changed."""
    lines = ["{"]
    for key in ("schema", "collected", "about", "sources"):
        lines.append(f" {json.dumps(key)}: {json.dumps(table[key])},")
    lines.append(' "types": {')
    entries = [f"  {json.dumps(name)}: {json.dumps(facts)}" for name, facts in table["types"].items()]
    lines.append(",\n".join(entries))
    lines.append(" }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    if argv:
        answer = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
        dump = {item["InstanceType"]: item for item in answer["InstanceTypes"]}
        source = f"EC2 DescribeInstanceTypes answer saved in {Path(argv[0]).name}"
    else:
        dump, source = moto_dump()
    types: dict[str, Any] = {}
    from_api, from_docs = [], []
    for name in price_table_types():
        if name in dump:
            facts = facts_from_describe(dump[name])
            from_api.append(name)
        elif name in MANUAL:
            facts = {**MANUAL[name], "architecture": "X86_64"}
            from_docs.append(name)
        else:
            raise SystemExit(f"{name}: not in the dump; add it to MANUAL from the AWS documentation")
        types[name] = facts
    table = {
        "schema": 1,
        "collected": datetime.date.today().isoformat(),
        "about": [
            "Instance facts ftcluster ships so that `validate` can tell, offline, whether the fleet's instances "
            "can hold a worker task. `preflight` reads the same facts live (DescribeInstanceTypes), also for "
            "types missing here.",
            "gpu_memory_mib is the EC2 API's figure, which can differ from the documentation's (22888 MiB for "
            "an A10G or L4 that the documentation lists as 24 GiB). max_enis is MaximumNetworkInterfaces; without ECS ENI trunking an "
            "instance runs max_enis - 1 awsvpc tasks (the primary interface counts as one).",
            "Spot-checked against the AWS documentation: GPUs, vCPUs and memory of g4dn, g5 and g6 "
            "(https://docs.aws.amazon.com/batch/latest/userguide/gpu-jobs.html) and c5.large's 3 network "
            "interfaces (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html). "
            "The dump lacks the P3 types; they come from the accelerated computing specifications page.",
            "Update: python scripts/update_instance_facts.py [DESCRIBE_INSTANCE_TYPES_ANSWER.json]",
        ],
        "sources": [
            {"types": from_api, "source": source},
            {
                "types": from_docs,
                "source": f"AWS documentation, {ACCELERATED_PAGE} (P3: hardware and network "
                "specifications); absent from the DescribeInstanceTypes dump",
            },
        ],
        "types": types,
    }
    TABLE.write_text(render(table), encoding="utf-8")
    print(f"wrote {len(types)} types to {TABLE.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
