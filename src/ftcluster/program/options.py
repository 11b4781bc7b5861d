"""What a run may override in the spec (set by `scale`, `destroy` and `up`), and what results:
the counts, and the training service's capacity provider strategy.

Pure Python (no pulumi import), so the engine and the CLI can check a request before any run.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

from ..errors import UsageError
from ..spec import Capacity, Spec


@dataclass(frozen=True)
class ProgramOptions:
    """Per-run overrides of the spec; the defaults change nothing."""

    tasks: int | None = None  # replaces spec.training.tasks (`ftcluster scale --tasks`)
    fleet_capacity: int | None = None  # replaces spec.fleet.instances
    workers: int | None = None  # replaces spec.fleet.workers.tasks (`ftcluster scale --workers`)
    min_tasks: int | None = None  # replaces spec.autoscaling.min_tasks (`scale --adjust-limits`)
    max_tasks: int | None = None  # replaces spec.autoscaling.max_tasks
    delete_checkpoints: bool = False  # True: the created checkpoint bucket goes with `destroy`
    # True: this run's UpdateService of the training service starts a new deployment (every task
    # restarts). The engine sets it only when `capacity_strategy_changed` says so; see there.
    force_new_deployment: bool = False
    # True: Container Insights already made its log group (a cluster deployed before the stack owned it):
    # this run imports it instead of creating it
    adopt_insights_log_group: bool = False
    # The jobs (TRAINING_JOB, WORKERS_JOB) that completed and stay stopped: their counts are 0, whatever
    # the spec or a scale override says (completion.py; the engine reads what the state machine recorded)
    completed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Counts:
    """The numbers the program deploys once the options are applied to the spec."""

    tasks: int  # the training service's desired count
    scaling_min: int  # bounds of the Application Auto Scaling target that owns the count
    scaling_max: int
    autoscaling: bool  # target-tracking policies exist (spec.autoscaling is set)
    # None: no fleet. Spot Fleet: its target capacity; Auto Scaling group: its max size (the workers'
    # task count decides how many of those run, through managed scaling)
    fleet_capacity: int | None
    fleet_on_demand: int  # Spot Fleet on-demand target / Auto Scaling group on-demand base
    workers: int | None  # the workers service's desired count; None: no workers service
    completed: frozenset[str] = frozenset()  # jobs held at 0 because they completed

    @property
    def rendezvous(self) -> int:
        """The rendezvous store's task count: it serves the workers' job until that job completed."""
        return 0 if WORKERS_JOB in self.completed else 1


# The jobs a cluster runs: the training service's tasks, and the fleet workers' tasks (one elastic torchrun
# job with `distributed`). Each completes on its own when one of its tasks exits 0 (completion.py).
TRAINING_JOB = "training"
WORKERS_JOB = "workers"
JOBS = (TRAINING_JOB, WORKERS_JOB)


def jobs_of(spec: Spec) -> list[str]:
    """The jobs the program declares for `spec`: the training service always, the fleet workers if any."""
    fleet = spec.fleet if spec.fleet is not None and spec.fleet.enabled else None
    return [job for job in JOBS if job == TRAINING_JOB or (fleet is not None and fleet.workers is not None)]


# The spec's allocation strategies (Spot Fleet's camelCase spelling) as an Auto Scaling group's
# InstancesDistribution.SpotAllocationStrategy spells them (pulumi_aws autoscaling/_inputs.py,
# GroupMixedInstancesPolicyInstancesDistributionArgs); `diversified` is refused by the spec. Here,
# without pulumi, so the cost model reads the same table.
GROUP_SPOT_ALLOCATION = {
    "priceCapacityOptimized": "price-capacity-optimized",
    "capacityOptimized": "capacity-optimized",
    "capacityOptimizedPrioritized": "capacity-optimized-prioritized",
    "lowestPrice": "lowest-price",
}
# The rendezvous store's task size (CPU units, MiB): it holds a few keys per rank, so the smallest
# Fargate size that runs the workers' image; the cost model prices it at the same size.
RENDEZVOUS_CPU, RENDEZVOUS_MEMORY = 512, 1024

# Seconds a new instance is counted as capacity on its way before managed scaling looks again. ECS's API
# default is 300 (API ManagedScaling.instanceWarmupPeriod), but terraform-provider-aws sends 0 when the
# argument is unset (internal/service/ecs/capacity_provider.go, expandManagedScaling): managed scaling then
# launches more GPU instances while the first ones still boot the ECS GPU AMI (NVIDIA driver, Docker, the ECS
# agent) and register, which takes minutes. 300 s covers that, and is the grace `status` gives a new
# instance to join the cluster (live/verdict.py JOIN_GRACE). Here, without pulumi, so status can
# read it cheaply.
INSTANCE_WARMUP_SECONDS = 300

MAX_TASKS = 5000  # the spec's own ceiling for training.tasks and autoscaling bounds


def effective_counts(spec: Spec, options: ProgramOptions = ProgramOptions()) -> Counts:
    """Apply `options` to `spec`; raises UsageError for an override the cluster cannot take.

    The training service's count always belongs to an Application Auto Scaling target:
    - without `autoscaling`, the target is pinned at min = max = tasks;
    - with `autoscaling`, its bounds are min_tasks..max_tasks, and an explicit `tasks`
      override pins it at min = max = tasks for that run (docs/deploying.md: "Scaling, and why `up`
      does not undo it").
    """
    tasks = spec.training.tasks if options.tasks is None else options.tasks
    _check_range("--tasks", tasks, 0, MAX_TASKS)
    scaling = spec.autoscaling
    if scaling is None:
        if options.min_tasks is not None or options.max_tasks is not None:
            raise UsageError(
                f"cluster {spec.name} has no auto scaling, so there are no limits to adjust",
                hint="add an `autoscaling:` section to the spec, or scale with --tasks",
            )
        low = high = tasks
    else:
        low = scaling.min_tasks if options.min_tasks is None else options.min_tasks
        high = scaling.max_tasks if options.max_tasks is None else options.max_tasks
        _check_range("the minimum task count", low, 0, MAX_TASKS)
        _check_range("the maximum task count", high, 1, MAX_TASKS)
        if low > high:
            raise UsageError(f"the minimum task count ({low}) exceeds the maximum ({high})")
        if options.tasks is not None:
            if not low <= tasks <= high:
                raise UsageError(
                    f"{tasks} tasks is outside the auto scaling limits {low}..{high}",
                    hint="adjust the limits first (min_tasks/max_tasks), or pick a count inside them",
                )
            low = high = tasks  # pin: Application Auto Scaling moves the count to exactly `tasks`
    fleet = spec.fleet if spec.fleet is not None and spec.fleet.enabled else None
    workers = _workers(spec, options)
    completed = options.completed
    if TRAINING_JOB in completed:
        tasks = low = high = 0  # the scaling target too: its policies must not start the job again
    if WORKERS_JOB in completed and workers is not None:
        workers = 0
    if fleet is None:
        if options.fleet_capacity is not None:
            raise UsageError(
                f"cluster {spec.name} has no fleet (no Spot Fleet or Auto Scaling group), "
                "so its capacity cannot be changed"
            )
        return Counts(tasks, low, high, scaling is not None, None, 0, workers, completed)
    capacity = fleet.instances if options.fleet_capacity is None else options.fleet_capacity
    _check_range("the fleet capacity", capacity, 0, 10000)
    if fleet.on_demand_capacity > capacity:
        raise UsageError(
            f"the fleet capacity ({capacity}) is below its on-demand part ({fleet.on_demand_capacity})",
            hint="lower fleet.on_demand_capacity in the spec first",
        )
    on_demand = fleet.on_demand_capacity
    if WORKERS_JOB in completed and fleet.workers is not None and fleet.type == "spot_fleet":
        # A Spot Fleet keeps its target whatever runs on it; an Auto Scaling group's capacity provider
        # scales in by itself once no worker task needs an instance (managed scaling).
        capacity = on_demand = 0
    return Counts(tasks, low, high, scaling is not None, capacity, on_demand, workers, completed)


def _workers(spec: Spec, options: ProgramOptions) -> int | None:
    """The worker task count: the spec's, or a `scale --workers` override it can take."""
    fleet = spec.fleet
    workers = fleet.workers if fleet is not None and fleet.enabled else None
    if workers is None:
        if options.workers is not None:
            raise UsageError(f"cluster {spec.name} has no fleet workers, so there is no worker count to change")
        return None
    count = workers.tasks if options.workers is None else options.workers
    _check_range("the worker count", count, 0, MAX_TASKS)
    elastic = workers.distributed
    if elastic is not None and count and not elastic.min_nodes <= count <= elastic.max_nodes:
        raise UsageError(
            f"{count} workers is outside the elastic job's {elastic.min_nodes}..{elastic.max_nodes} nodes",
            hint="pick a count within fleet.workers.distributed min_nodes..max_nodes, or 0 to pause the job",
        )
    return count


def _check_range(what: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise UsageError(f"{what} must be between {low} and {high}; got {value}")


def capacity_strategy(capacity: Capacity) -> list[dict[str, object]]:
    """On-demand base on FARGATE, then tasks split FARGATE : FARGATE_SPOT = (100 - spot) : spot.

    Weights are reduced (75 % -> 1 : 3). FARGATE_SPOT is left out at 0 %; at 100 % FARGATE keeps
    only its base (weight 0).
    """
    spot = capacity.spot_percent
    on_demand = 100 - spot
    if spot == 0:
        return [{"capacity_provider": "FARGATE", "base": capacity.on_demand_base, "weight": 1}]
    divisor = gcd(on_demand, spot)
    return [
        {"capacity_provider": "FARGATE", "base": capacity.on_demand_base, "weight": on_demand // divisor},
        {"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": spot // divisor},
    ]


def capacity_strategy_changed(applied: Spec | None, spec: Spec) -> bool:
    """Does deploying `spec` change the training service's capacity provider strategy?

    `applied` is the spec recorded at the last `up` (None before the first one). The answer is
    what `ProgramOptions.force_new_deployment` should be. terraform-provider-aws
    (internal/service/ecs/service.go) sends ForceNewDeployment=force_new_deployment on *every*
    UpdateService, so leaving it on restarts all training tasks on any change to the service;
    but a changed strategy without it is refused (capacityProviderStrategyCustomizeDiff: a
    replacement of the whole service in older releases, an error in newer ones). So: on only
    for the run that changes the strategy. A first deployment creates the service: no force.
    """
    if applied is None:
        return False
    return capacity_strategy(applied.training.capacity) != capacity_strategy(spec.training.capacity)
