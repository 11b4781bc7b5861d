"""Run a drill against moto server while the test plays AWS's part of the recovery.

moto runs no ECS scheduler, no Auto Scaling replacement and no FIS action: after a fault the state
stays broken. The test therefore does what AWS would (start the replacement task, save the
checkpoint the restarted trainer writes) once the drill has seen the loss; the drill measures the
recovery from moto's state and the checkpoint objects alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftcluster.aws import AwsSession
from ftcluster.drill.model import DrillPlan, DrillReport
from ftcluster.drill.run import run_drill
from ftcluster.spec import Spec, load_spec

ROOT = Path(__file__).parents[2]
SPEC = ROOT / "configs" / "us-east-1.yaml"  # prices and the stop timeout (the outputs name the cluster)
GUARD = 60.0  # seconds; only so that a regression cannot hang the suite


@dataclass
class Hooks:
    """The drill's hooks: confirms, keeps every progress text, and calls `on_progress` with it."""

    on_progress: Callable[[str], None] | None = None
    plans: list[DrillPlan] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def confirm(self, plan: DrillPlan) -> None:
        self.plans.append(plan)

    def progress(self, text: str) -> None:
        self.texts.append(text)
        if self.on_progress:
            self.on_progress(text)

    def detected(self) -> bool:
        """The drill saw the target go (its wait list no longer waits for that)."""
        return any("injected" not in t and "(it still runs)" not in t for t in self.texts)


def drill(
    outputs: dict[str, Any],
    fault: str,
    *,
    hooks: Hooks | None = None,
    timeout: float = 20.0,
    spec: Spec | None = None,
    **kwargs: Any,
) -> DrillPlan | DrillReport:
    return run_drill(
        outputs,
        spec or load_spec(SPEC),
        session=AwsSession(str(outputs["region"])),
        fault=fault,
        target=kwargs.pop("target", None),
        timeout_seconds=timeout,
        dry_run=kwargs.pop("dry_run", False),
        hooks=hooks or Hooks(),
        poll_seconds=0.2,
        **kwargs,
    )


class Background:
    """A drill in a thread, so the test can act as AWS meanwhile."""

    def __init__(self, outputs: dict[str, Any], fault: str, **kwargs: Any) -> None:
        self.hooks = Hooks()
        self.result: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(outputs, fault), kwargs=kwargs, daemon=True)
        self.thread.start()

    def _run(self, outputs: dict[str, Any], fault: str, **kwargs: Any) -> None:
        try:
            self.result = drill(outputs, fault, hooks=self.hooks, **kwargs)
        except BaseException as err:  # handed to the test thread by `report`
            self.error = err

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + GUARD
        while not condition():
            assert self.thread.is_alive() or condition(), f"the drill ended before {what}: {self.error or self.result}"
            assert time.monotonic() < deadline, f"no {what} within {GUARD} s"
            time.sleep(0.05)

    def report(self) -> DrillReport:
        self.thread.join(GUARD)
        assert not self.thread.is_alive(), "the drill did not end"
        if self.error:
            raise self.error
        assert isinstance(self.result, DrillReport)
        return self.result
