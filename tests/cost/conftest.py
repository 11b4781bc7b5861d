"""Fixtures of the cost tests; helpers live in cost_helpers.py."""

from __future__ import annotations

import pytest
from cost_helpers import fixed_table

from ftcluster.cost import PriceTable


@pytest.fixture
def table() -> PriceTable:
    return fixed_table()
