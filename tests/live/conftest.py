"""Fixtures of the live-view tests: moto server set up so ECS tasks stay RUNNING while described."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest


@pytest.fixture
def live_aws(aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The `aws` fixture, plus two emulator settings.

    - moto advances an ECS task one lifecycle step per DescribeTasks by default (RUNNING becomes
      DEACTIVATING on the first look); "manual" keeps tasks where the test put them.
    - moto answers APIs it lacks (DescribeScalingActivities) with HTTP 500, which botocore retries;
      AWS_MAX_ATTEMPTS (the user's standard knob) keeps that short.
    """
    body = json.dumps({"model_name": "ecs::task", "transition": {"progression": "manual", "times": 10**6}})
    request = urllib.request.Request(f"{aws}/moto-api/state-manager/set-transition", data=body.encode(), method="POST")
    urllib.request.urlopen(request, timeout=10)  # noqa: S310 - loopback only
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    yield aws


@dataclass
class FakeClusterOutputs:
    """Stands in for `ftcluster.engine.ClusterOutputs` (issue 4): the fields `status` reads."""

    name: str
    region: str
    outputs: dict[str, Any]
    stack_name: str = "stack"
    calls: list[tuple[Any, ...]] = field(default_factory=list)


@pytest.fixture
def engine_outputs(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make `ftcluster.engine.cluster_outputs` answer with the given outputs (or raise the given error).

    Lets the status CLI tests seed any AWS state in moto without deploying a stack first; the
    path through the real engine and the stand-in pulumi is tested in tests/engine.
    """
    import ftcluster.engine as engine

    calls: list[tuple[Any, ...]] = []

    def install(outputs: dict[str, Any] | None = None, error: Exception | None = None) -> list[tuple[Any, ...]]:
        def cluster_outputs(spec_path: Any, cluster: Any, environ: Any) -> FakeClusterOutputs:
            calls.append((spec_path, cluster))
            if error is not None:
                raise error
            assert outputs is not None
            return FakeClusterOutputs(outputs["cluster_name"], outputs["region"], outputs)

        monkeypatch.setattr(engine, "cluster_outputs", cluster_outputs)
        return calls

    return install
