"""What `ftcluster status` gathers from AWS, as plain data: no boto3 objects, easy to judge and to print.

Lists keep one entry per task / instance (with type, lifecycle and capacity provider) so later views,
such as a cost run-rate, can aggregate them their own way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .completion import Checkpoint, JobCompletion

from ..plain import to_plain as to_plain  # where the live views' callers have always found it

FindingLevel = Literal["down", "degraded", "info"]
VerdictState = Literal["HEALTHY", "DEGRADED", "DOWN", "COMPLETED"]

SPOT_INTERRUPTION_STOP_CODES = ("SpotInterruption", "TerminationNotice")
# The stoppedReason ECS gives a reclaimed Fargate Spot task (used when a stopCode is absent).
SPOT_INTERRUPTION_REASON = "Your Spot Task was interrupted"


@dataclass(frozen=True)
class Deployment:
    id: str
    status: str  # PRIMARY | ACTIVE | INACTIVE
    rollout_state: str | None  # COMPLETED | IN_PROGRESS | FAILED
    rollout_state_reason: str | None
    task_definition: str | None
    desired: int
    running: int
    pending: int
    failed_tasks: int
    created_at: datetime | None


@dataclass(frozen=True)
class ServiceEvent:
    created_at: datetime | None
    message: str


@dataclass(frozen=True)
class ServiceState:
    name: str
    status: str  # ACTIVE | DRAINING | INACTIVE | MISSING
    desired: int = 0
    running: int = 0
    pending: int = 0
    deployments: list[Deployment] = field(default_factory=list)
    events: list[ServiceEvent] = field(default_factory=list)  # newest first

    @property
    def exists(self) -> bool:
        return self.status not in ("MISSING", "INACTIVE")


@dataclass(frozen=True)
class TaskInfo:
    id: str
    service: str | None  # service name from the task group "service:NAME"; None for other tasks
    last_status: str
    desired_status: str
    availability_zone: str | None
    capacity_provider: str  # FARGATE | FARGATE_SPOT | EC2 | another provider name | unknown
    cpu: str | None
    memory: str | None
    container_instance_id: str | None
    started_at: datetime | None
    stopped_at: datetime | None
    stop_code: str | None
    stopped_reason: str | None

    @property
    def spot_interrupted(self) -> bool:
        return self.stop_code in SPOT_INTERRUPTION_STOP_CODES or (self.stopped_reason or "").startswith(
            SPOT_INTERRUPTION_REASON
        )


@dataclass(frozen=True)
class FleetInstance:
    id: str
    instance_type: str
    availability_zone: str | None
    state: str  # pending | running | shutting-down | terminated | stopping | stopped
    lifecycle: str  # spot | on-demand
    launched_at: datetime | None


@dataclass(frozen=True)
class FleetState:
    request_id: str
    state: str  # submitted | active | modifying | cancelled* | failed | MISSING
    activity_status: str | None  # fulfilled | pending_fulfillment | pending_termination | error
    target: int = 0
    fulfilled: float = 0.0
    on_demand_target: int = 0
    on_demand_fulfilled: float = 0.0
    instances: list[FleetInstance] = field(default_factory=list)

    @property
    def running_instances(self) -> int:
        return sum(1 for i in self.instances if i.state == "running")


@dataclass(frozen=True)
class GroupInstance:
    """An instance of the Auto Scaling group: the group's view of it, and EC2's (type, lifecycle, state)."""

    id: str
    instance_type: str
    availability_zone: str | None
    lifecycle_state: str  # Auto Scaling: Pending | InService | Terminating | Standby | Warmed:* | ...
    health: str  # Healthy | Unhealthy
    protected_from_scale_in: bool
    state: str  # EC2: pending | running | shutting-down | terminated | ...; unknown when EC2 was not read
    lifecycle: str  # spot | on-demand | unknown (EC2 was not read)
    launched_at: datetime | None

    @property
    def in_service(self) -> bool:
        return self.lifecycle_state == "InService" and self.health == "Healthy"


@dataclass(frozen=True)
class GroupState:
    """The Auto Scaling group behind the capacity provider (`fleet.type: auto_scaling_group`)."""

    name: str
    status: str  # ACTIVE | MISSING | the group's own Status while it is deleted ("Delete in progress")
    desired: int = 0
    min: int = 0
    max: int = 0
    on_demand_base: int | None = None
    spot_allocation_strategy: str | None = None
    instances: list[GroupInstance] = field(default_factory=list)

    @property
    def in_service(self) -> int:
        return sum(1 for i in self.instances if i.in_service)

    @property
    def running_instances(self) -> int:
        return sum(1 for i in self.instances if i.state == "running")


@dataclass(frozen=True)
class CapacityProviderState:
    """The ECS capacity provider of the group: ECS starts and stops instances through it (managed scaling)."""

    name: str
    status: str  # ACTIVE | INACTIVE | MISSING
    update_status: str | None = None  # UPDATE_IN_PROGRESS | UPDATE_COMPLETE | UPDATE_FAILED | DELETE_* | None
    update_status_reason: str | None = None
    managed_scaling: str | None = None  # ENABLED | DISABLED
    target_capacity: int | None = None  # percent
    managed_termination_protection: str | None = None
    managed_draining: str | None = None
    group_arn: str | None = None


@dataclass(frozen=True)
class ContainerInstance:
    id: str
    ec2_instance_id: str | None
    status: str  # ACTIVE | DRAINING | ...
    agent_connected: bool
    availability_zone: str | None
    running_tasks: int


@dataclass(frozen=True)
class ScalingActivity:
    status: str  # Successful | Failed | InProgress | ...
    description: str
    cause: str | None
    message: str | None
    started_at: datetime | None


@dataclass(frozen=True)
class ScalingState:
    resource_id: str
    registered: bool
    min: int | None = None
    max: int | None = None
    suspended: bool = False
    activities: list[ScalingActivity] = field(default_factory=list)  # newest first


@dataclass(frozen=True)
class ClusterStatus:
    """Everything gathered in one pass; `notes` says what could not be read and why."""

    cluster_name: str
    region: str
    cluster_arn: str | None
    cluster_state: str
    capacity_providers: list[str]
    expected_azs: list[str]  # AZs of the cluster's subnets
    training: ServiceState
    workers: ServiceState | None
    tasks: list[TaskInfo]  # running and recently stopped, every service of the cluster
    fleet: FleetState | None
    container_instances: list[ContainerInstance]
    scaling: ScalingState | None
    stack: dict[str, Any]  # the stack outputs this status was read with
    gathered_at: datetime
    notes: list[str] = field(default_factory=list)
    fleet_type: str | None = None  # auto_scaling_group | spot_fleet | None (no fleet, or an older stack)
    group: GroupState | None = None
    capacity_provider: CapacityProviderState | None = None
    rendezvous: ServiceState | None = None  # the rendezvous service of an elastic job
    rendezvous_endpoint: str | None = None
    distributed_min_nodes: int | None = None  # the elastic job's fewest workers; None: not elastic
    jobs: list[str] = field(default_factory=list)  # the cluster's jobs ("training", "workers"); [] for older stacks
    completions: dict[str, JobCompletion] = field(default_factory=dict)  # the jobs that completed
    newest_checkpoint: Checkpoint | None = None  # the newest object under the checkpoint prefix
    # The interruption ledger (`ftcluster events`): does the cluster record events (None: not read),
    # and the newest interruption of the last LEDGER_DAYS (ftcluster.ledger.model.Interruption)
    recording: bool | None = None
    last_interruption: Any = None

    @property
    def completed(self) -> bool:
        """Every job of the cluster completed: nothing is meant to run any more."""
        return bool(self.jobs) and all(job in self.completions for job in self.jobs)

    def running_tasks(self, service: str | None) -> list[TaskInfo]:
        return [t for t in self.tasks if t.service == service and t.last_status == "RUNNING"]

    def stopped_tasks(self, service: str | None = None) -> list[TaskInfo]:
        stopped = [t for t in self.tasks if t.last_status == "STOPPED" and (service is None or t.service == service)]
        return sorted(stopped, key=lambda t: t.stopped_at or self.gathered_at, reverse=True)

    def running_by_az(self, service: str | None) -> dict[str, int]:
        counts = Counter(t.availability_zone or "unknown" for t in self.running_tasks(service))
        return {az: counts.get(az, 0) for az in sorted(set(self.expected_azs) | set(counts))}

    def running_by_capacity_provider(self, service: str | None) -> dict[str, int]:
        return dict(sorted(Counter(t.capacity_provider for t in self.running_tasks(service)).items()))

    def spot_interruptions(self) -> list[TaskInfo]:
        return [t for t in self.stopped_tasks() if t.spot_interrupted]


@dataclass(frozen=True)
class Finding:
    level: FindingLevel
    message: str


@dataclass(frozen=True)
class Verdict:
    state: VerdictState
    findings: list[Finding]

    @property
    def reasons(self) -> list[str]:
        return [f.message for f in self.findings if f.level != "info"]


@dataclass(frozen=True)
class StatusReport:
    status: ClusterStatus
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        status = self.status
        data = to_plain(status)
        training, workers = status.training.name, status.workers.name if status.workers else None
        data["verdict"] = to_plain(self.verdict)
        data["summary"] = {
            "training_running_by_az": status.running_by_az(training),
            "training_running_by_capacity_provider": status.running_by_capacity_provider(training),
            "workers_running_by_az": status.running_by_az(workers) if workers else {},
            "stopped_recently": len(status.stopped_tasks()),
            "spot_interruptions": len(status.spot_interruptions()),
            "fleet_running_instances": status.fleet.running_instances if status.fleet else None,
            "group_instances_in_service": status.group.in_service if status.group else None,
            "group_desired_instances": status.group.desired if status.group else None,
            "container_instances_registered": len(status.container_instances),
        }
        head = {"cluster": data.pop("cluster_name"), "region": data.pop("region")}  # named as in every command's JSON
        return {**head, "verdict": data.pop("verdict"), "summary": data.pop("summary"), **data}
