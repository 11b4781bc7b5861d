"""Shared runs of the real program under the Pulumi SDK's mock runtime (one per spec variant).

Each run costs about half a second, so the example configs run once per session and variants
are built on demand through `plan_for`, cached by their YAML text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from program_helpers import EU_WEST, US_EAST

from ftcluster.offline import OfflinePlan, run_offline
from ftcluster.program import ProgramOptions
from ftcluster.spec import Spec, load_spec

@pytest.fixture(scope="session")
def spec_from(tmp_path_factory: pytest.TempPathFactory) -> Callable[[dict[str, Any]], Spec]:
    """A spec through the real loader (all validation), from a dict."""
    folder = tmp_path_factory.mktemp("specs")
    counter = iter(range(10_000))

    def make(data: dict[str, Any]) -> Spec:
        path = folder / f"spec-{next(counter)}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return load_spec(path)

    return make


@pytest.fixture(scope="session")
def plan_for(spec_from: Callable[[dict[str, Any]], Spec]) -> Callable[..., OfflinePlan]:
    cache: dict[tuple[str, ProgramOptions], OfflinePlan] = {}

    def run(data: dict[str, Any], options: ProgramOptions = ProgramOptions()) -> OfflinePlan:
        key = (yaml.safe_dump(data, sort_keys=True), options)
        if key not in cache:
            cache[key] = run_offline(spec_from(data), options)
        return cache[key]

    return run


@pytest.fixture(scope="session")
def us_east() -> OfflinePlan:
    return run_offline(load_spec(US_EAST))


@pytest.fixture(scope="session")
def eu_west() -> OfflinePlan:
    return run_offline(load_spec(EU_WEST))
