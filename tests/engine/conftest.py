"""Fixtures for engine tests: an isolated ftcluster home with the stand-in `pulumi` first on PATH, empty or
with a cluster deployed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_helpers import Stand, make_stand
from starting_points import DeployedCopy, StartingPoints


@pytest.fixture
def stand(tmp_path: Path, moto_server: str) -> Iterator[Stand]:
    stand = make_stand(tmp_path, moto_server)
    yield stand
    assert not stand.state.unsupported(), "the stand-in got invocations it does not support"


@pytest.fixture(scope="session")
def starting_points(tmp_path_factory: pytest.TempPathFactory, pristine_moto_server: str) -> StartingPoints:
    return StartingPoints(tmp_path_factory.mktemp("starting-points"), pristine_moto_server)


@pytest.fixture
def deployed_copy(starting_points: StartingPoints, tmp_path: Path, moto_server: str) -> Iterator[DeployedCopy]:
    """`deployed_copy(SPEC)`: a machine of this test's own (under tmp_path, talking to `moto_server`) as
    `ftcluster up SPEC --yes --skip-preflight` left it, and its spec file; SPEC is a file or a spec's text.
    The `up` runs once per test process and spec; each test gets a copy of what it left."""
    copies: list[Stand] = []

    def deployed(spec: Path | str) -> tuple[Stand, Path]:
        stand, spec_path = starting_points.copy(spec, tmp_path / f"machine-{len(copies)}", moto_server)
        copies.append(stand)
        return stand, spec_path

    yield deployed
    for stand in copies:
        assert not stand.state.unsupported(), "the stand-in got invocations it does not support"
