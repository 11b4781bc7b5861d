"""What an EC2 instance type offers a task: GPUs, vCPUs, memory, network interfaces, architecture.

The shipped table (src/ftcluster/data/instance_types.json, which names its sources) covers every type of
the price table; `facts_from_describe` reads the same facts from an ec2:DescribeInstanceTypes answer.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class InstanceFacts:
    gpus: int
    gpu_memory_mib: int
    vcpus: int
    memory_mib: int  # installed memory; an ECS container instance registers less (see placement.py)
    max_enis: int  # MaximumNetworkInterfaces
    architecture: str  # X86_64 | ARM64, the ECS runtime-platform names

    @property
    def awsvpc_tasks(self) -> int:
        """awsvpc tasks per instance without ENI trunking: each takes a network interface, and the
        instance's primary interface counts as one (ECS Developer Guide, "Increasing Amazon ECS Linux
        container instance network interfaces": a c5.large with 3 interfaces runs 2 such tasks)."""
        return max(self.max_enis - 1, 0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_ARCHITECTURES = {"x86_64": "X86_64", "arm64": "ARM64"}


def facts_from_describe(item: dict[str, Any]) -> dict[str, Any]:
    """The facts of one InstanceTypes entry of ec2:DescribeInstanceTypes (botocore data/ec2 service-2.json:
    GpuInfo, VCpuInfo.DefaultVCpus, MemoryInfo.SizeInMiB, NetworkInfo.MaximumNetworkInterfaces,
    ProcessorInfo.SupportedArchitectures)."""
    gpu_info = item.get("GpuInfo") or {}
    architectures = item.get("ProcessorInfo", {}).get("SupportedArchitectures") or []
    architecture = next((_ARCHITECTURES[a] for a in architectures if a in _ARCHITECTURES), "X86_64")
    return {
        "gpus": sum(int(g.get("Count", 0)) for g in gpu_info.get("Gpus", [])),
        "gpu_memory_mib": int(gpu_info.get("TotalGpuMemoryInMiB", 0)),
        "vcpus": int(item.get("VCpuInfo", {}).get("DefaultVCpus", 0)),
        "memory_mib": int(item.get("MemoryInfo", {}).get("SizeInMiB", 0)),
        "max_enis": int(item.get("NetworkInfo", {}).get("MaximumNetworkInterfaces", 0)),
        "architecture": architecture,
    }


def described(item: dict[str, Any]) -> InstanceFacts:
    return InstanceFacts(**facts_from_describe(item))


@lru_cache(maxsize=1)
def shipped_table() -> dict[str, Any]:
    text = resources.files("ftcluster").joinpath("data/instance_types.json").read_text(encoding="utf-8")
    table: dict[str, Any] = json.loads(text)
    return table


@lru_cache(maxsize=1)
def shipped_facts() -> dict[str, InstanceFacts]:
    """Instance type -> facts, for every type the shipped table knows."""
    return {name: InstanceFacts(**facts) for name, facts in shipped_table()["types"].items()}
