"""Read-only views that join the state backend and AWS: a deployed cluster's live status and run-rate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import outputs as stack

if TYPE_CHECKING:
    from datetime import datetime

    from ..aws import AwsSession
    from ..cost import Estimate
    from ..drill.model import DrillPlan, DrillReport
    from ..drill.run import DrillHooks
    from ..ledger.model import Ledger
    from ..live.status_model import StatusReport


@dataclass(frozen=True)
class StatusView:
    """A deployed cluster to read from AWS (`status`, `status --watch`, `events`, `drill`), with one AWS session."""

    cluster: stack.ClusterOutputs
    outputs: dict[str, Any]  # the stack outputs, region and cluster name filled in
    session: AwsSession | None  # None when the stack knows no region

    @property
    def name(self) -> str:
        return str(self.outputs["cluster_name"])

    @property
    def scale(self) -> dict[str, dict[str, int | None]]:
        return self.cluster.scale

    def read(self) -> tuple[StatusReport, Estimate]:
        """The live status with its verdict, and the run-rate of what runs (live Spot prices when AWS gives them)."""
        from ..cost import cluster_run_rate
        from ..live.status import status_report

        spec = self.cluster.spec
        report = status_report(self.outputs, session=self.session)
        return report, cluster_run_rate(report.status, spec, endpoint_url=spec.endpoint_url if spec else None)

    def ledger(self, since: datetime, now: datetime | None = None) -> Ledger:
        """The interruption ledger since `since`: recorded events, interruptions, summary."""
        from ..ledger.read import read_ledger

        return read_ledger(self.outputs, self.cluster.spec, session=self._session(), since=since, now=now)

    def drill(
        self, *, fault: str, target: str | None, timeout_seconds: float, dry_run: bool, hooks: DrillHooks
    ) -> DrillPlan | DrillReport:
        """Plan the drill (a dry run stops there), inject the fault, watch the recovery."""
        from ..drill.run import run_drill

        return run_drill(
            self.outputs,
            self.cluster.spec,
            session=self._session(),
            fault=fault,
            target=target,
            timeout_seconds=timeout_seconds,
            dry_run=dry_run,
            hooks=hooks,
        )

    def _session(self) -> AwsSession:
        from ..errors import FtclusterError

        if self.session is None:
            raise FtclusterError(
                f"cluster {self.name}'s stack records no region, so there is no cluster to look at",
                hint="finish the deployment with `ftcluster up SPEC` first",
            )
        return self.session


def status_view(spec_path: Path | None, cluster: str | None, environ: Mapping[str, str]) -> StatusView:
    """The cluster named by SPEC, --cluster or the active one, ready to be read from AWS."""
    from ..aws import AwsSession

    resolved = stack.cluster_outputs(spec_path, cluster, environ)  # a bad spec stops here with exit code 2
    outputs = dict(resolved.outputs)
    outputs["region"] = outputs.get("region") or resolved.region
    outputs["cluster_name"] = outputs.get("cluster_name") or resolved.name
    endpoint_url = resolved.spec.endpoint_url if resolved.spec is not None else None
    # without a region status_report says what is wrong
    session = AwsSession(str(outputs["region"]), endpoint_url) if outputs.get("region") else None
    return StatusView(resolved, outputs, session)
