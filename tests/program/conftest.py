"""Shared runs of the real program under the Pulumi SDK's mock runtime (one per spec variant).

Each run costs about half a second, so the example configs run once per session and variants
are built on demand through `plan_for`, cached by their YAML text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from program_helpers import EU_CENTRAL, EU_WEST, US_EAST, US_WEST, as_spot_fleet, example

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


@pytest.fixture(scope="session")
def us_west() -> OfflinePlan:
    """An Auto Scaling group fleet running an elastic distributed job."""
    return run_offline(load_spec(US_WEST))


@pytest.fixture(scope="session")
def eu_central() -> OfflinePlan:
    """A Spot Fleet cluster."""
    return run_offline(load_spec(EU_CENTRAL))


@pytest.fixture(scope="session")
def us_east_spot(plan_for) -> OfflinePlan:
    """The us-east-1 example with `fleet.type: spot_fleet`: what it deployed before the Auto Scaling group."""
    return plan_for(as_spot_fleet(example(US_EAST)))
