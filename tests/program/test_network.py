"""Choosing Availability Zones: stable, Fargate-capable, and a clear error when too few."""

from __future__ import annotations

import pytest

from ftcluster.errors import FtclusterError
from ftcluster.program.network import pick_zones


def test_zones_are_taken_by_name_skipping_those_without_fargate() -> None:
    names = ["us-east-1c", "us-east-1a", "us-east-1e", "us-east-1b"]
    ids = ["use1-az4", "use1-az6", "use1-az3", "use1-az1"]
    assert pick_zones("us-east-1", names, ids, 3) == ["us-east-1a", "us-east-1b", "us-east-1c"]


def test_regions_with_fargate_in_some_zones_only_use_those() -> None:
    names = ["us-west-1a", "us-west-1b", "us-west-1c"]
    ids = ["usw1-az1", "usw1-az2", "usw1-az3"]
    assert pick_zones("us-west-1", names, ids, 2) == ["us-west-1a", "us-west-1c"]


def test_asking_for_more_zones_than_usable_is_a_clear_error() -> None:
    with pytest.raises(FtclusterError, match=r"us-west-1 has 2 Availability Zones .* asks for 3") as caught:
        pick_zones("us-west-1", ["us-west-1a", "us-west-1b", "us-west-1c"], ["usw1-az1", "usw1-az2", "usw1-az3"], 3)
    assert "availability_zones to 2" in (caught.value.hint or "")
