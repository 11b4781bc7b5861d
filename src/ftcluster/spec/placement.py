"""Can the fleet's instances hold its worker tasks? One judgment, from the shipped instance facts
(`validate`) or from ec2:DescribeInstanceTypes (`preflight`).

ECS places a worker only on an instance with enough free GPUs, CPU units, memory and, for an awsvpc
task, a free network interface; a worker that fits nowhere stays PROVISIONING while the instances bill.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from .instance_facts import InstanceFacts
from .models import Fleet, FleetWorkers

# An ECS container instance registers the memory the OS reports, less ECS_RESERVED_MEMORY (0 unless set;
# ftcluster sets none): less than the type's installed memory, by "platform memory overhead and memory
# occupied by the system kernel" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/memory-management.html:
# an m4.large's 8192 MiB register as 7985). AWS publishes no figure per type; Karpenter estimates the
# overhead at 7.5 % of the installed memory (aws/karpenter-provider-aws charts/karpenter/values.yaml,
# settings.vmMemoryOverheadPercent: 0.075). A worker above that share may not fit: a warning, as only the
# installed memory is certain.
MEMORY_OVERHEAD = 0.075
PROVISIONING = "on AWS the tasks would stay PROVISIONING while the instances bill"


@dataclass(frozen=True)
class Finding:
    level: str  # error | warning
    key: str  # the spec key it is about
    message: str


@dataclass
class TypeFit:
    instance_type: str
    facts: InstanceFacts
    misses: dict[str, str] = field(default_factory=dict)  # key -> what the type has, when it cannot hold a worker
    per_instance: int = 0  # worker tasks one instance holds
    bound: str = ""  # what limits `per_instance`, in words

    @property
    def holds_a_worker(self) -> bool:
        return not self.misses and self.per_instance > 0


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def type_fit(fleet: Fleet, instance_type: str, facts: InstanceFacts) -> TypeFit:
    fit = TypeFit(instance_type, facts)
    if fleet.gpu and facts.gpus == 0:
        fit.misses["fleet.gpu"] = instance_type
    workers = fleet.workers
    if workers is None:
        return fit
    units = facts.vcpus * 1024  # ECS registers 1024 CPU units per vCPU
    if workers.gpus > facts.gpus and "fleet.gpu" not in fit.misses:
        fit.misses["fleet.workers.gpus"] = f"{instance_type} has {facts.gpus}"
    if workers.memory > facts.memory_mib:
        fit.misses["fleet.workers.memory"] = f"{instance_type} has {facts.memory_mib} MiB"
    if workers.cpu is not None and workers.cpu > units:
        fit.misses["fleet.workers.cpu"] = f"{instance_type} has {units} CPU units ({_plural(facts.vcpus, 'vCPU')})"
    if facts.awsvpc_tasks == 0:
        fit.misses["fleet.instance_types"] = f"{instance_type} has no network interface to spare"
    if fit.misses:
        return fit
    limits = _limits(workers, facts, units)
    fit.per_instance, fit.bound = min(limits, key=lambda limit: limit[0])
    return fit


def _limits(workers: FleetWorkers, facts: InstanceFacts, units: int) -> list[tuple[int, str]]:
    """How many workers each resource of an instance allows, and why, in the order they are named."""
    limits = []
    if workers.gpus:
        limits.append((facts.gpus // workers.gpus, f"{_plural(facts.gpus, 'GPU')}, a worker needs {workers.gpus}"))
    limits.append((facts.memory_mib // workers.memory, f"{facts.memory_mib} MiB, a worker needs {workers.memory}"))
    if workers.cpu:
        limits.append((units // workers.cpu, f"{units} CPU units, a worker reserves {workers.cpu}"))
    limits.append(
        (
            facts.awsvpc_tasks,
            f"{facts.max_enis} network interfaces, one of them the instance's own (each awsvpc task takes one)",
        )
    )
    return limits


def _needs(workers: FleetWorkers | None) -> dict[str, str]:
    if workers is None:
        return {}
    return {
        "fleet.workers.gpus": f"a worker needs {_plural(workers.gpus, 'GPU')}",
        "fleet.workers.memory": f"a worker needs {workers.memory} MiB",
        "fleet.workers.cpu": f"a worker reserves {workers.cpu} CPU units",
        "fleet.instance_types": "each awsvpc worker needs a network interface",
    }


def judge(fleet: Fleet, facts: Mapping[str, InstanceFacts]) -> list[Finding]:
    """Findings for `fleet` from the facts of the types in `facts` (types missing there are not judged,
    and turn what would be an error into a warning: they might hold the workers)."""
    if not fleet.enabled:
        return []
    fits = [type_fit(fleet, t, facts[t]) for t in fleet.instance_types if t in facts]
    unknown = [t for t in fleet.instance_types if t not in facts]
    holding = [fit for fit in fits if fit.holds_a_worker]
    findings = _unfit_types(fleet, fits, holding, unknown)
    workers = fleet.workers
    if workers is not None and workers.tasks > 0:
        findings += _counts(fleet, workers, holding, unknown)
        findings += _tight_memory(workers, holding)
    return findings


def _unfit_types(fleet: Fleet, fits: list[TypeFit], holding: list[TypeFit], unknown: list[str]) -> list[Finding]:
    unfit = [fit for fit in fits if fit.misses]
    if not unfit:
        return []
    if holding or unknown:  # some instances can hold workers, the others run none
        others = ", ".join([f.instance_type for f in holding] + unknown)
        details = "; ".join(f"{f.instance_type}: {_missing(fleet, f)}" for f in unfit)
        return [
            Finding(
                "warning",
                "fleet.instance_types",
                f"{details}; instances of {'that type' if len(unfit) == 1 else 'those types'} would run no "
                f"worker, only {others} can",
            )
        ]
    findings = []
    needs = _needs(fleet.workers)
    keys = [key for key in ("fleet.gpu", *needs) if any(key in f.misses for f in unfit)]
    for key in keys:
        haves = [f.misses[key] for f in unfit if key in f.misses]
        if key == "fleet.gpu":
            message = f"`gpu: true` needs GPU instance types; none of {', '.join(haves)} has a GPU"
        else:
            message = f"{needs[key]}; {', '.join(haves)}: no instance type of the fleet can hold one ({PROVISIONING})"
        findings.append(Finding("error", key, message))
    return findings


def _missing(fleet: Fleet, fit: TypeFit) -> str:
    needs = _needs(fleet.workers)
    parts = []
    for key, have in fit.misses.items():
        parts.append("no GPU for `gpu: true`" if key == "fleet.gpu" else f"{needs[key]}, it has {_have(have)}")
    return "; ".join(parts)


def _have(text: str) -> str:
    """`g5.xlarge has 1` -> `1`: the type is named once already."""
    return text.split(" has ", 1)[1] if " has " in text else text


def _counts(fleet: Fleet, workers: FleetWorkers, holding: list[TypeFit], unknown: list[str]) -> list[Finding]:
    key = f"fleet.{fleet.CAPACITY_KEY}"
    if fleet.capacity == 0:
        return [
            Finding(
                "error",
                key,
                f"is 0, but the {workers.tasks} worker tasks need instances to run on (on AWS they would stay "
                f"PROVISIONING); raise it, or set fleet.workers.tasks: 0",
            )
        ]
    if not holding:
        return []
    best = max(holding, key=lambda f: f.per_instance)
    worst = min(holding, key=lambda f: f.per_instance)
    if fleet.capacity * best.per_instance < workers.tasks:
        network_bound = best.bound.startswith(f"{best.facts.max_enis} network")
        # ENI trunking (an ECS account setting ftcluster does not change) gives an instance more interfaces,
        # and a type missing from the facts might hold more: neither is certain to fail.
        level = "warning" if network_bound or unknown else "error"
        message = (
            f"{workers.tasks} worker tasks do not fit on {_plural(fleet.capacity, 'instance')}: an instance holds "
            f"at most {best.per_instance} ({best.instance_type}: {best.bound}); raise {key} to "
            f"{math.ceil(workers.tasks / best.per_instance)}, or run fewer tasks"
        )
        if network_bound:
            message += " (or turn on ECS ENI trunking, the awsvpcTrunking account setting, for more interfaces)"
        return [Finding(level, "fleet.workers.tasks", message)]
    if fleet.capacity * worst.per_instance < workers.tasks:
        return [
            Finding(
                "warning",
                "fleet.workers.tasks",
                f"{workers.tasks} worker tasks fit on {_plural(fleet.capacity, 'instance')} only if the fleet gets "
                f"types that hold more than {worst.instance_type} ({worst.per_instance} per instance: {worst.bound})",
            )
        ]
    return []


def _tight_memory(workers: FleetWorkers, holding: list[TypeFit]) -> list[Finding]:
    tight = [f for f in holding if workers.memory > f.facts.memory_mib * (1 - MEMORY_OVERHEAD)]
    if not tight:
        return []
    named = ", ".join(f"{f.instance_type} ({f.facts.memory_mib} MiB)" for f in tight)
    return [
        Finding(
            "warning",
            "fleet.workers.memory",
            f"{workers.memory} MiB per worker leaves less than {MEMORY_OVERHEAD:.1%} of {named} to the system; "
            "an ECS container instance registers less memory than its type has (kernel and platform overhead), "
            "so a worker may not fit there",
        )
    ]
