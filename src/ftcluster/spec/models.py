"""The cluster spec as typed models: shapes, types, ranges and every default, in one place.

Rules that span several fields live in `checks.py`; rules about single AWS values in `aws_rules.py`.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
)

from . import aws_rules

NAME_MAX_LENGTH = 20  # keeps every derived AWS name in bounds (the checkpoint bucket is the longest)
# ECS service quota "Tasks per service" (Amazon ECS Developer Guide, service quotas): every task count
# of the spec (training tasks, auto scaling bounds, fleet workers, elastic nodes) stays within it.
MAX_TASKS = 5000
MAX_FLEET_INSTANCES = 10000  # the spec's ceiling for a fleet's instance count (target or maximum)
MAX_FLEET_OVERRIDES = 300  # Spot Fleet: launch template overrides across all templates
MAX_GROUP_INSTANCE_TYPES = 40  # "The maximum number of instance types ... associated with an Auto Scaling group is 40" (CDK MixedInstancesPolicy docs)
TORCHRUN_PREFIX = "PET_"  # torchrun reads every option from PET_<OPTION> (torch/distributed/argparse_util.py)
CHECKPOINT_URI_VARIABLE = "CHECKPOINT_URI"  # set by ftcluster in every training container
# Set by ftcluster in an elastic job's workers (program/elastic.py says why), so not by the spec's environment
SHARE_STORE_VARIABLE = "TORCH_DISABLE_SHARE_RDZV_TCP_STORE"
SHUTDOWN_TIMEOUT_VARIABLE = "TORCH_ELASTIC_SHUTDOWN_TIMEOUT"
PROCESS_GROUP_TIMEOUT_VARIABLE = "PROCESS_GROUP_TIMEOUT_SECONDS"
ELASTIC_VARIABLES = (SHARE_STORE_VARIABLE, SHUTDOWN_TIMEOUT_VARIABLE, PROCESS_GROUP_TIMEOUT_VARIABLE)


def _rule(check: Callable[[Any], str | None]) -> AfterValidator:
    """Turn a check that returns a problem sentence (or None) into a pydantic validator."""

    def validate(value: Any) -> Any:
        problem = check(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(validate)


def _matches(pattern: str, expected: str) -> AfterValidator:
    compiled = re.compile(pattern)
    return _rule(lambda v: None if compiled.match(v) else f"`{v}` is not {expected}")


def _command_list(value: Any) -> Any:
    if isinstance(value, str):
        suggestion = json.dumps(shlex.split(value)) if value.strip() else '["python", "train.py"]'
        raise ValueError(f"expected a list of strings; did you mean {suggestion}?")
    return value


def _env_text(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(
            f'true/false is ambiguous here; quote the text the container should see, e.g. "{str(value).lower()}"'
        )
    # ECS wants strings; YAML turns `EPOCHS: 10` into a number, which the user meant as text.
    return str(value) if isinstance(value, int | float) else value


def _env_name(name: str) -> str | None:
    if name == CHECKPOINT_URI_VARIABLE:
        return f"`{name}` is set by ftcluster to the checkpoint location; remove it"
    return aws_rules.check_env_name(name)


# ftcluster's own tag keys (program/names.py passes them on to the program, live/ and cli/).
TAG_PREFIX = "ftcluster:"
CLUSTER_TAG = f"{TAG_PREFIX}cluster"  # on every taggable resource: the cluster's name
TIER_TAG = f"{TAG_PREFIX}tier"  # on subnets: public or private


def _tag_key(key: str) -> str | None:
    if key.lower().startswith(TAG_PREFIX):
        return f"tag key `{key}`: the `{TAG_PREFIX}` prefix is reserved for ftcluster's own tags"
    return aws_rules.check_tag_key(key)


# ftcluster's own tags on one resource: `ftcluster:cluster` (everywhere, provider default tags)
# plus `Name` and `ftcluster:tier` (subnets, program/network.py). The provider sends default and
# resource tags together, so the user's share of AWS's 50 per resource is what remains.
OWN_TAGS = (CLUSTER_TAG, "Name", TIER_TAG)
MAX_USER_TAGS = aws_rules.MAX_TAGS - len(OWN_TAGS)


def _tag_count(tags: dict[str, str]) -> str | None:
    if len(tags) <= MAX_USER_TAGS:
        return None
    own = ", ".join(f"`{tag}`" for tag in OWN_TAGS)
    return (
        f"at most {MAX_USER_TAGS} tags (AWS allows {aws_rules.MAX_TAGS} per resource and "
        f"ftcluster adds up to {len(OWN_TAGS)} of its own: {own}); got {len(tags)}"
    )


def _unique(items: list[str]) -> str | None:
    repeated = sorted({item for item in items if items.count(item) > 1})
    return f"listed more than once: {', '.join(repeated)}" if repeated else None


def _checkpoint_prefix(prefix: str) -> str | None:
    return None if prefix.endswith("/") and not prefix.startswith("/") else "must end with `/` and not start with `/`"


_BACKEND_URL = re.compile(r"^(file|s3|gs|azblob|https?)://\S+$")


def check_backend_url(url: str) -> str | None:
    """A Pulumi state backend URL ftcluster can use (the spec's, $PULUMI_BACKEND_URL or --backend)."""
    if not _BACKEND_URL.match(url):
        return (
            f"`{url}` is not a Pulumi backend URL: file:///ABSOLUTE/PATH, s3://BUCKET, gs://BUCKET, "
            "azblob://CONTAINER or https://api.pulumi.com"
        )
    if url.startswith("file://") and not url[len("file://") :].startswith(("/", "~")):
        return f"`{url}` is a relative file backend (Pulumi would resolve it in a private folder); use file:///ABSOLUTE/PATH"
    return None


class Model(BaseModel):
    # strict: YAML already has types, so "5" is not silently an integer and "no" not a bool.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


ClusterName = Annotated[
    str,
    _matches(
        rf"^[a-z][a-z0-9-]{{0,{NAME_MAX_LENGTH - 2}}}[a-z0-9]$",
        f"a valid cluster name: 2 to {NAME_MAX_LENGTH} characters of a-z, 0-9 and `-`, "
        "starting with a letter and not ending with `-` (it becomes part of AWS resource names)",
    ),
]
Region = Annotated[str, _rule(aws_rules.check_region)]
InstanceType = Annotated[str, _rule(aws_rules.check_instance_type)]
BucketName = Annotated[str, _rule(aws_rules.check_bucket_name)]
ImageRef = Annotated[
    str,
    _matches(
        r"^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$",
        "a container image reference such as `123456789012.dkr.ecr.us-east-1.amazonaws.com/trainer:1.0` "
        "(no spaces, at most 255 characters)",
    ),
]
VpcId = Annotated[str, _matches(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$", "a VPC id such as `vpc-0a1b2c3d4e5f67890`")]
SubnetId = Annotated[
    str, _matches(r"^subnet-[0-9a-f]{8}([0-9a-f]{9})?$", "a subnet id such as `subnet-0a1b2c3d4e5f67890`")
]
EndpointUrl = Annotated[str, _matches(r"^https?://[^\s/]+(/\S*)?$", "an http(s) URL such as `http://localhost:4566`")]
BackendUrl = Annotated[str, _rule(check_backend_url)]
Command = Annotated[list[str], Field(min_length=1), BeforeValidator(_command_list, json_schema_input_type=list[str])]
EnvName = Annotated[str, _rule(_env_name)]
EnvValue = Annotated[str, BeforeValidator(_env_text, json_schema_input_type=str | int | float)]
Tags = Annotated[
    dict[Annotated[str, _rule(_tag_key)], Annotated[str, _rule(aws_rules.check_tag_value)]],
    _rule(_tag_count),
]
Percent = Annotated[float, Field(gt=0, le=100)]
Cooldown = Annotated[int, Field(ge=0, le=86400, description="Seconds.")]


def _fargate_sizes() -> str:
    """The Fargate CPU -> memory table, as the memory field's description says it."""
    parts = []
    for cpu, memory in aws_rules.FARGATE_MEMORY.items():
        if len(memory) <= 3:
            parts.append(f"{cpu} → {'/'.join(map(str, memory))}")
        else:
            parts.append(f"{cpu} → {memory[0]}–{memory[-1]} (steps of {memory[1] - memory[0]})")
    return "; ".join(parts)


# --- sections ------------------------------------------------------------------------------------


class State(Model):
    backend: BackendUrl | None = Field(
        None,
        description="Pulumi backend URL for this cluster's state: `file:///ABSOLUTE/PATH`, `s3://BUCKET`, "
        "`gs://…`, `azblob://…` or `https://api.pulumi.com`. Unset: `$PULUMI_BACKEND_URL`, else a local file "
        "backend under the ftcluster home (`~/.ftcluster`, or `$FTCLUSTER_HOME`).",
    )


class NewVpc(Model):
    """A new VPC, with a public and a private subnet in each Availability Zone."""

    cidr: Annotated[str, _rule(aws_rules.check_vpc_cidr)] = Field(
        "10.0.0.0/16",
        description="IPv4 block of the new VPC, `/16` to `/28`. It is split into equal blocks, one private and "
        "one public subnet per AZ (private blocks from the start, public ones from the end, so adding an AZ "
        "moves no existing subnet).",
    )
    availability_zones: int = Field(3, ge=2, le=6, description="How many AZs to spread over.")
    nat: Literal["per_az", "single", "none"] = Field(
        "per_az",
        description="`per_az`: one NAT gateway per AZ, so losing an AZ cuts no one else off; "
        "`single`: one NAT gateway (cheaper); `none`: no NAT, tasks get public IPs (experiments only).",
    )

    def subnet_bits(self) -> int:
        """Extra prefix bits that split the VPC into equal blocks, one private and one public per AZ."""
        return math.ceil(math.log2(2 * self.availability_zones))

    def subnet_blocks(self) -> list[tuple[str, str]]:
        """(private, public) CIDR block for each AZ, in AZ order.

        Private blocks count up from the start of the VPC and public ones down from its end, so
        adding an AZ leaves the blocks of the existing AZs where they are.
        """
        blocks = [str(b) for b in ipaddress.IPv4Network(self.cidr).subnets(prefixlen_diff=self.subnet_bits())]
        return [(blocks[i], blocks[-1 - i]) for i in range(self.availability_zones)]


class ExistingVpc(Model):
    """A VPC that already exists, chosen by giving `vpc_id`; tasks and instances go into the given subnets."""

    vpc_id: VpcId = Field(description="Id of the VPC, e.g. `vpc-0a1b2c3d4e5f67890`.")
    subnet_ids: Annotated[list[SubnetId], Field(min_length=2), _rule(_unique)] = Field(
        description="At least two subnets (in different AZs) for tasks and fleet instances. They need a route "
        "to the internet (NAT) or VPC endpoints to pull images."
    )
    assign_public_ip: bool = Field(False, description="Give tasks public IPs; only for public subnets without NAT.")


def _network_kind(value: Any) -> str:
    if isinstance(value, ExistingVpc) or (isinstance(value, dict) and "vpc_id" in value):
        return "existing VPC"
    return "new VPC"


Network = Annotated[
    Annotated[NewVpc, Tag("new VPC")] | Annotated[ExistingVpc, Tag("existing VPC")],
    Discriminator(_network_kind),
]
# The union's tags appear in pydantic error locations (they are not keys of the file).
NETWORK_VARIANTS: dict[str, type[Model]] = {"new VPC": NewVpc, "existing VPC": ExistingVpc}


class Capacity(Model):
    """How the training tasks split between on-demand Fargate and Fargate Spot."""

    on_demand_base: int = Field(
        1, ge=0, le=100000, description="Tasks that always run on on-demand Fargate before any Spot is used."
    )
    spot_percent: int = Field(
        75, ge=0, le=100, description="Share (%) of the tasks beyond the base that run on Fargate Spot."
    )


class Checkpoints(Model):
    """Where the training code keeps its checkpoints (`CHECKPOINT_URI` in every container)."""

    bucket: BucketName | None = Field(
        None,
        description="An existing S3 bucket to use. Unset: ftcluster creates a versioned, encrypted, private "
        "bucket, which `destroy` keeps. In a bucket you name, the task role lists only the prefix, so a missing "
        'checkpoint reads as 403, not 404 (docs/what-up-creates.md, "Checkpoint permissions", says why).',
    )
    prefix: Annotated[
        str,
        _rule(_checkpoint_prefix),
        Field(min_length=1, max_length=512),
    ] = Field(
        "checkpoints/",
        description="Key prefix inside the bucket; ends with `/` and does not start with one. The task role "
        "may read and write only under this prefix.",
    )
    noncurrent_version_days: int = Field(
        30, ge=1, le=3650, description="Days an overwritten checkpoint version is kept before it expires."
    )


class Training(Model):
    """The training job, run as an ECS service on Fargate and Fargate Spot."""

    image: ImageRef = Field(
        description="Container image, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com/trainer:1.0`."
    )
    command: Command | None = Field(
        None, description='Command as a list of strings: `["python", "train.py"]`. Unset: the image\'s own.'
    )
    environment: dict[EnvName, EnvValue] = Field(
        default_factory=dict,
        description='Environment variables. Numbers are passed as text; write `"true"` in quotes. '
        f"`{CHECKPOINT_URI_VARIABLE}` is reserved: ftcluster sets it to `s3://BUCKET/PREFIX`. With "
        f"`fleet.workers.distributed`, no `{TORCHRUN_PREFIX}*` names either: ftcluster sets torchrun's.",
    )
    cpu: Literal[256, 512, 1024, 2048, 4096, 8192, 16384] = Field(
        1024, description="Fargate CPU units per task (1024 = 1 vCPU)."
    )
    memory: int = Field(
        2048, ge=512, le=122880, description=f"MiB per task. Must be a Fargate size for `cpu`: {_fargate_sizes()}."
    )
    cpu_architecture: Literal["X86_64", "ARM64"] = Field(
        "X86_64",
        description="CPU architecture of the tasks. Fargate Spot runs only X86_64, so `ARM64` needs "
        "`training.capacity.spot_percent: 0`.",
    )
    tasks: int = Field(
        2,
        ge=0,
        le=MAX_TASKS,
        description="Desired number of training tasks. With `autoscaling` it must lie within `min_tasks..max_tasks`.",
    )
    port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port the training container (and a fleet worker container) listens on: its port mapping. "
        "It opens nothing by itself: the security group already lets in all traffic from the cluster's own "
        "tasks and instances, on every port (NCCL and Gloo also use ephemeral ports), and nothing from elsewhere.",
    )
    capacity: Capacity = Field(
        default_factory=Capacity, description="How the tasks split between on-demand Fargate and Fargate Spot."
    )
    stop_timeout: int = Field(
        120,
        ge=2,
        le=120,
        description="Seconds between SIGTERM (a Spot interruption gives two minutes' notice) and SIGKILL: "
        "time to save a checkpoint.",
    )
    ephemeral_storage_gib: int = Field(21, ge=21, le=200, description="Scratch disk per task, in GiB.")
    checkpoints: Checkpoints = Field(
        default_factory=Checkpoints,
        description="Where the training code keeps its checkpoints (`CHECKPOINT_URI` in every container).",
    )


LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


class Logs(Model):
    retention_days: Literal[LOG_RETENTION_DAYS] = Field(  # type: ignore[valid-type]
        30,
        description="Days CloudWatch Logs keeps the cluster's log group (and its Container Insights group); "
        "one of the values CloudWatch accepts.",
    )


class Autoscaling(Model):
    """Target-tracking auto scaling of the training service's task count. Without this section the task count
    stays at `training.tasks`."""

    min_tasks: int = Field(ge=0, le=MAX_TASKS, description="Floor for the task count.")
    max_tasks: int = Field(ge=1, le=MAX_TASKS, description="Ceiling for the task count.")
    target_cpu_percent: Percent = Field(70, description="Average service CPU utilisation to hold (target tracking).")
    target_memory_percent: Percent | None = Field(
        None, description="Average service memory utilisation to hold as well. Unset: memory is not tracked."
    )
    scale_in_cooldown: Cooldown = Field(
        300,
        description="Seconds after a scale-in before the next one. Keep it long: a stopped task loses its work "
        "since the last checkpoint.",
    )
    scale_out_cooldown: Cooldown = Field(60, description="Seconds after a scale-out before the next one.")


class Distributed(Model):
    """Elastic distributed training under torchrun: the workers find each other through a rendezvous (see
    docs/elastic-training.md, which also says why each default is what it is: they are for Spot capacity on
    ECS). With it, the spec may not have an `autoscaling:` section (CPU/memory auto scaling would restart every
    rank at each step), and `training.environment` may not set `PET_*` or the variables ftcluster sets for
    torch (`TORCH_DISABLE_SHARE_RDZV_TCP_STORE`, `TORCH_ELASTIC_SHUTDOWN_TIMEOUT`,
    `PROCESS_GROUP_TIMEOUT_SECONDS`)."""

    min_nodes: int = Field(
        ge=1,
        le=MAX_TASKS,
        description="Fewest workers the elastic job runs with (torchrun's `PET_NNODES=MIN:MAX`); "
        "`fleet.workers.tasks` must lie within min..max, or be 0 (the job paused).",
    )
    max_nodes: int = Field(
        ge=1,
        le=MAX_TASKS,
        description="Most workers the job takes (`PET_NNODES=MIN:MAX`); with an Auto Scaling group at most "
        "`fleet.max_instances`.",
    )
    procs_per_node: int | None = Field(
        None,
        ge=1,
        le=64,
        description="Processes torchrun starts per worker (`PET_NPROC_PER_NODE`). Unset: `fleet.workers.gpus`, else 1.",
    )
    max_restarts: int = Field(
        100,
        ge=0,
        le=10000,
        description="Restarts each worker's torchrun makes after a failure (`PET_MAX_RESTARTS`); every survivor "
        "spends one per lost peer, a joining worker costs none. Once they are spent the worker exits and ECS "
        "starts it again.",
    )
    rendezvous_port: int = Field(
        29400, ge=1024, le=65535, description="Port of the c10d rendezvous store the workers meet at."
    )
    join_timeout: int = Field(
        1800,
        ge=10,
        le=86400,
        description="Seconds a worker waits for `min_nodes` workers before it gives up, exits and ECS starts it "
        "again (rendezvous `join_timeout`). Must exceed the heartbeat expiry plus `last_call_timeout`.",
    )
    last_call_timeout: int = Field(
        15,
        ge=1,
        le=600,
        description="Seconds the rendezvous waits for more workers once `min_nodes` have joined "
        "(rendezvous `last_call_timeout`).",
    )
    keep_alive_interval: int = Field(
        5,
        ge=1,
        le=60,
        description="Seconds between a worker's heartbeats to the rendezvous (`keep_alive_interval`; torch 2.7+).",
    )
    keep_alive_max_attempt: int = Field(
        3,
        ge=1,
        le=20,
        description="Heartbeats a worker may miss before the rendezvous drops it as lost "
        "(`keep_alive_max_attempt`; torch 2.7+).",
    )
    process_group_timeout: int = Field(
        600,
        ge=5,
        le=86400,
        description="Seconds a collective may wait for a silent peer: `PROCESS_GROUP_TIMEOUT_SECONDS`, which the "
        "trainer passes to `init_process_group(timeout=...)`.",
    )


class FleetWorkers(Model):
    """The worker tasks ECS places on the fleet's instances, so the fleet does real work."""

    image: ImageRef | None = Field(None, description="Image of the worker tasks. Unset: the training image.")
    command: Command | None = Field(None, description="Their command. Unset: the training command.")
    tasks: int = Field(
        1,
        ge=0,
        le=MAX_TASKS,
        description="How many worker tasks to run (`ftcluster scale --workers N` changes it). They must fit on the "
        "fleet's instance count, at the most workers any of its types holds per instance (GPUs, memory, CPU, and "
        "a network interface per worker beyond the instance's own).",
    )
    gpus: int = Field(
        0,
        ge=0,
        le=16,
        description="GPUs per worker task (needs `fleet.gpu: true`). An instance type with fewer GPUs holds no "
        'worker; `validate` refuses a fleet none of whose types can hold one (docs/specs.md, "Workers the fleet '
        'can place").',
    )
    cpu: int | None = Field(
        None,
        ge=128,
        le=196608,
        description="CPU units reserved per worker task (1024 per vCPU of the instance). Unset: no reservation.",
    )
    memory: int = Field(
        4096,
        ge=128,
        le=3_145_728,
        description="MiB per worker task (hard limit). More than an instance type has: it holds no worker; within "
        "7.5 % of it: a warning (an ECS container instance registers less memory than its type has).",
    )
    shared_memory_mib: int | None = Field(
        None,
        ge=1,
        le=3_145_728,
        description="Size of `/dev/shm` per worker task in MiB, at most `memory` (it counts against it). NCCL "
        "and PyTorch DataLoader workers need far more than Docker's 64 MiB. Unset: half of `memory`.",
    )
    distributed: Distributed | None = Field(
        None,
        description="Run the workers as one elastic torchrun job (a rendezvous, torchrun's `PET_*` environment); "
        "not together with `autoscaling`.",
    )

    def shared_memory(self) -> int:
        """MiB of /dev/shm. Docker's own default (64 MiB) stalls NCCL and DataLoader workers;
        half the task's memory leaves the other half to the process (tmpfs pages count
        against the container's memory limit)."""
        return self.shared_memory_mib if self.shared_memory_mib is not None else self.memory // 2

    def procs_per_node(self) -> int:
        distributed = self.distributed
        if distributed is not None and distributed.procs_per_node is not None:
            return distributed.procs_per_node
        return self.gpus or 1


FleetType = Literal["auto_scaling_group", "spot_fleet"]
# Spot allocation strategies, in the Spot Fleet API's spelling: EC2 AllocationStrategy (botocore
# data/ec2 service-2.json) takes all five; an Auto Scaling group's SpotAllocationStrategy (botocore
# data/autoscaling service-2.json, InstancesDistribution) takes the same but `diversified`, spelt
# price-capacity-optimized etc. (program/options.py GROUP_SPOT_ALLOCATION maps them).
GroupAllocationStrategy = Literal[
    "priceCapacityOptimized", "capacityOptimized", "capacityOptimizedPrioritized", "lowestPrice"
]
SpotFleetAllocationStrategy = Literal[
    "priceCapacityOptimized", "capacityOptimized", "capacityOptimizedPrioritized", "diversified", "lowestPrice"
]


def _group_strategy(value: Any) -> Any:
    if value == "diversified":
        raise ValueError(
            "`diversified` is a Spot Fleet strategy; an Auto Scaling group takes "
            "priceCapacityOptimized, capacityOptimized, capacityOptimizedPrioritized or lowestPrice"
        )
    return value


class Fleet(Model):
    """What both fleet types share: EC2 instances (usually GPU) that join the ECS cluster, diversified over
    instance types and AZs, and the worker tasks that run on them. A spec holds one of two kinds, chosen by
    `type`: `AutoScalingGroupFleet` (the default) or `SpotFleet`. (Before ftcluster 0.2 this section was
    `spot_fleet:` with `target_capacity`, and an Auto Scaling group's `max_instances` was `instances`; such
    a file gets a message saying what to rename, and a spec recorded by an older `up` is migrated.)"""

    CAPACITY_KEY: ClassVar[str]  # the key of the instance count this type keeps in the spec

    type: FleetType = Field(
        "auto_scaling_group",
        description="`auto_scaling_group`: an Auto Scaling group behind an ECS capacity provider; the worker "
        "tasks decide how many instances run (managed scaling), and ECS drains an instance before it goes. "
        "`spot_fleet`: an EC2 Spot Fleet of a fixed size (a legacy API AWS discourages; kept for existing "
        "clusters). Changing it on a deployed cluster replaces every instance.",
    )
    enabled: bool = Field(True, description="`false` keeps the section but deploys no fleet.")
    instance_types: Annotated[list[InstanceType], Field(min_length=1, max_length=50), _rule(_unique)] = Field(
        description="Instance types to diversify over (more types, fewer interruptions), all of one "
        f"architecture. At most {MAX_FLEET_OVERRIDES} types × subnets (Spot Fleet), {MAX_GROUP_INSTANCE_TYPES} "
        "types (Auto Scaling group)."
    )
    allocation_strategy: SpotFleetAllocationStrategy = Field(
        "priceCapacityOptimized",
        description="How Spot pools are picked: `priceCapacityOptimized` (AWS's recommendation: least likely to "
        "be interrupted, then cheapest), `capacityOptimized`, `capacityOptimizedPrioritized`, `lowestPrice`, or "
        "(Spot Fleet only) `diversified`.",
    )
    on_demand_capacity: int = Field(
        0,
        ge=0,
        description="Instances bought on demand (never interrupted); the rest is Spot. At most `instances` "
        "(Spot Fleet) or `max_instances` (Auto Scaling group).",
    )
    max_price: float | None = Field(
        None,
        gt=0,
        description="Price cap in USD per instance-hour. Unset is what AWS recommends: you pay the current Spot "
        "price and are interrupted less.",
    )
    gpu: bool = Field(
        False,
        description="Use the GPU variant of the ECS-optimized AMI (x86_64 only); every instance type then needs a GPU.",
    )
    root_volume_gib: int = Field(100, ge=30, le=16384, description="Encrypted gp3 root volume per instance, in GiB.")
    if TYPE_CHECKING:  # declared by each kind after its instance count, so the section reads in that order
        workers: FleetWorkers | None

    @property
    def capacity(self) -> int:
        """The instance count the spec sets: a Spot Fleet's target, an Auto Scaling group's maximum."""
        raise NotImplementedError


def _workers_field() -> Any:
    return Field(None, description="The worker tasks that run on the fleet's instances.")


class AutoScalingGroupFleet(Fleet):
    """An EC2 Auto Scaling group behind an ECS capacity provider (the default): the worker tasks decide
    how many instances run, up to `max_instances`, and ECS drains an instance before it goes."""

    CAPACITY_KEY: ClassVar[str] = "max_instances"

    type: Literal["auto_scaling_group"] = Field(
        "auto_scaling_group",
        description="`auto_scaling_group` (the default): an Auto Scaling group behind an ECS capacity provider; "
        "the worker tasks decide how many instances run (managed scaling), and ECS drains an instance before it "
        "goes. Changing it on a deployed cluster replaces every instance.",
    )
    allocation_strategy: Annotated[GroupAllocationStrategy, BeforeValidator(_group_strategy)] = Field(
        "priceCapacityOptimized",
        description="How Spot pools are picked (the group's SpotAllocationStrategy): `priceCapacityOptimized` "
        "(AWS's recommendation: least likely to be interrupted, then cheapest), `capacityOptimized`, "
        "`capacityOptimizedPrioritized` (in the order of `instance_types`) or `lowestPrice`. Not `diversified`: "
        "that is a Spot Fleet strategy.",
    )
    max_instances: int = Field(
        ge=0,
        le=MAX_FLEET_INSTANCES,
        description="The most instances ECS managed scaling may start (the group's maximum size); the worker "
        "tasks decide how many run (`ftcluster scale --instances N` changes it). Earlier specs called it "
        "`instances`.",
    )
    workers: FleetWorkers | None = _workers_field()

    @property
    def capacity(self) -> int:
        return self.max_instances


class SpotFleet(Fleet):
    """An EC2 Spot Fleet of a fixed size (`type: spot_fleet`; a legacy API AWS discourages, kept for
    clusters that chose it)."""

    CAPACITY_KEY: ClassVar[str] = "instances"

    type: Literal["spot_fleet"] = Field(
        description="`spot_fleet`: an EC2 Spot Fleet of a fixed size (a legacy API AWS discourages; kept for "
        "existing clusters). Changing it on a deployed cluster replaces every instance."
    )
    allocation_strategy: SpotFleetAllocationStrategy = Field(
        "priceCapacityOptimized",
        description="How Spot pools are picked (the Spot Fleet's AllocationStrategy): `priceCapacityOptimized` "
        "(AWS's recommendation: least likely to be interrupted, then cheapest), `capacityOptimized`, "
        "`capacityOptimizedPrioritized`, `diversified` (evenly over every pool) or `lowestPrice`.",
    )
    instances: int = Field(
        ge=0,
        le=MAX_FLEET_INSTANCES,
        description="Instances the fleet keeps running, its target capacity (`ftcluster scale --instances N` "
        "changes it).",
    )
    workers: FleetWorkers | None = _workers_field()

    @property
    def capacity(self) -> int:
        return self.instances


# The union's tags (readable: they appear in pydantic error locations, not keys of the file).
FLEET_VARIANTS: dict[str, type[Fleet]] = {"Auto Scaling group": AutoScalingGroupFleet, "Spot Fleet": SpotFleet}
_FLEET_TAGS = {"auto_scaling_group": "Auto Scaling group", "spot_fleet": "Spot Fleet"}


def _fleet_kind(value: Any) -> str | None:
    """`type` decides; unset means the default, an Auto Scaling group. An unknown type is no tag (the
    loader says which types exist)."""
    if isinstance(value, Fleet):
        return _FLEET_TAGS[value.type]
    kind = value.get("type", "auto_scaling_group") if isinstance(value, dict) else "auto_scaling_group"
    return _FLEET_TAGS.get(kind) if isinstance(kind, str) else None


AnyFleet = Annotated[
    Annotated[AutoScalingGroupFleet, Tag("Auto Scaling group")] | Annotated[SpotFleet, Tag("Spot Fleet")],
    Discriminator(_fleet_kind),
]
# Every union of the spec by its tags, and the key that picks a variant (the loader's messages).
VARIANTS: dict[str, type[Model]] = {**NETWORK_VARIANTS, **FLEET_VARIANTS}
VARIANT_KEY = {**dict.fromkeys(NETWORK_VARIANTS, "vpc_id"), **dict.fromkeys(FLEET_VARIANTS, "type")}


class Spec(Model):
    """One fault-tolerant training cluster in one AWS region."""

    name: ClusterName = Field(
        description=f"Cluster name: 2–{NAME_MAX_LENGTH} characters of `a-z`, `0-9`, `-`, starting with a letter, "
        "not ending with `-`. It is part of every AWS resource name, which is why it is short. With an Auto "
        "Scaling group fleet it may not start with `aws`, `ecs` or `fargate` (ECS reserves them for capacity "
        "provider names); when ftcluster creates the checkpoint bucket, not with a prefix S3 reserves "
        f"({', '.join(aws_rules.RESERVED_BUCKET_PREFIXES)})."
    )
    region: Region = Field(
        description="AWS region, checked against botocore's endpoint data (`us-east-1`, `eu-west-1`, …)."
    )
    endpoint_url: EndpointUrl | None = Field(
        None,
        description="Send every AWS call to this `http(s)://` endpoint instead of AWS (LocalStack or another "
        "emulator).",
    )
    state: State = Field(default_factory=State, description="Where Pulumi keeps this cluster's state.")
    network: Network = Field(default_factory=NewVpc, description="A new VPC, or an existing one.")
    training: Training = Field(description="The training service on Fargate and Fargate Spot.")
    logs: Logs = Field(default_factory=Logs, description="Container logs.")
    autoscaling: Autoscaling | None = Field(
        None,
        description="Target-tracking auto scaling of the training service. Without it the task count stays at "
        "`training.tasks`.",
    )
    fleet: AnyFleet | None = Field(
        None, description="EC2 (GPU) instances that join the cluster, and their worker tasks."
    )
    tags: Tags = Field(
        default_factory=dict,
        description="Tags on every taggable resource, in addition to ftcluster's own (`ftcluster:cluster=<name>` "
        f"everywhere, `Name` and `ftcluster:tier` on some). At most {MAX_USER_TAGS}, so no resource exceeds "
        f"AWS's {aws_rules.MAX_TAGS}; keys 1–128 and values 0–256 characters of letters, digits, spaces and "
        "`_ . : / = + - @`; no `aws:` or `ftcluster:` prefix.",
    )
