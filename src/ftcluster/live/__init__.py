"""Read-only views of a cluster in AWS through boto3: status, preflight and the leftover check.

boto3 is only imported when a view runs; `render` (rich) is for the CLI only.
"""

from .leftovers import Leftover, LeftoverReport, find_leftovers
from .preflight import PreflightReport, run_preflight
from .preflight_checks import Check
from .status import gather_status, status_report
from .status_model import ClusterStatus, StatusReport, Verdict
from .verdict import judge

__all__ = [
    "Check",
    "ClusterStatus",
    "Leftover",
    "LeftoverReport",
    "PreflightReport",
    "StatusReport",
    "Verdict",
    "find_leftovers",
    "gather_status",
    "judge",
    "run_preflight",
    "status_report",
]
