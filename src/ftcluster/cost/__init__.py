"""What a cluster costs: an estimate for a spec and a run-rate of what runs, from a shipped price table.

`live_spot_prices` (boto3) lives in `ftcluster.cost.spot_live` and is not imported here.
"""

from .estimate import estimate, fargate_split
from .model import HOURS_PER_MONTH, Cost, Estimate, Line, LivePrice, TaskRange
from .prices import PriceTable
from .run_rate import (
    RunningInstances,
    RunningSnapshot,
    RunningTasks,
    cluster_run_rate,
    run_rate,
    snapshot_from_status,
)

__all__ = [
    "HOURS_PER_MONTH",
    "Cost",
    "Estimate",
    "Line",
    "LivePrice",
    "PriceTable",
    "RunningInstances",
    "RunningSnapshot",
    "RunningTasks",
    "TaskRange",
    "cluster_run_rate",
    "estimate",
    "fargate_split",
    "run_rate",
    "snapshot_from_status",
]
