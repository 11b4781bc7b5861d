"""Fixtures for engine tests: an isolated ftcluster home with the stand-in `pulumi` first on PATH."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_helpers import Stand, make_stand


@pytest.fixture
def stand(tmp_path: Path, moto_server: str) -> Iterator[Stand]:
    stand = make_stand(tmp_path, moto_server)
    yield stand
    assert not stand.state.unsupported(), "the stand-in got invocations it does not support"
