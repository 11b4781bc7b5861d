"""Fixtures of the live-view tests: moto server set up so ECS tasks stay RUNNING while described."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ftcluster.spec import load_spec


@pytest.fixture
def live_aws(aws: str, monkeypatch: pytest.MonkeyPatch, keep_ecs_tasks: Callable[[str], None]) -> Iterator[str]:
    """The `aws` fixture, plus two emulator settings.

    - moto advances an ECS task one lifecycle step per DescribeTasks by default (RUNNING becomes
      DEACTIVATING on the first look); "manual" keeps tasks where the test put them.
    - moto answers APIs it lacks (DescribeScalingActivities) with HTTP 500, which botocore retries;
      AWS_MAX_ATTEMPTS (the user's standard knob) keeps that short.
    """
    keep_ecs_tasks(aws)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    yield aws


@pytest.fixture
def engine_outputs(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make `ftcluster.engine.outputs.cluster_outputs` (what `status` reads the stack with) answer with the given outputs (or raise the given error).

    Lets the status CLI tests seed any AWS state in moto without deploying a stack first; the
    path through the real engine and the stand-in pulumi is tested in tests/engine.
    """
    import ftcluster.engine as engine
    import ftcluster.engine.outputs as outputs_module

    calls: list[tuple[Any, ...]] = []

    def install(outputs: dict[str, Any] | None = None, error: Exception | None = None) -> list[tuple[Any, ...]]:
        def cluster_outputs(spec_path: Any, cluster: Any, environ: Any) -> engine.ClusterOutputs:
            calls.append((spec_path, cluster))
            spec = load_spec(spec_path) if spec_path is not None else None  # the engine reads the spec first
            if error is not None:
                raise error
            assert outputs is not None
            scale = {
                "tasks": {"spec": spec.training.tasks if spec else None, "effective": outputs.get("desired_tasks")}
            }
            return engine.ClusterOutputs(
                outputs["cluster_name"], outputs["region"], "stack", "file:///state", outputs, scale, spec=spec
            )

        monkeypatch.setattr(outputs_module, "cluster_outputs", cluster_outputs)
        return calls

    return install
