"""Every derived AWS name is deterministic and fits its AWS limit, for the longest inputs."""

from __future__ import annotations

import pytest
from program_helpers import MINIMAL, merged

from ftcluster.program.names import names_for
from ftcluster.spec.aws_rules import check_bucket_name, known_regions
from ftcluster.spec.models import NAME_MAX_LENGTH

LONGEST_NAME = "a" * (NAME_MAX_LENGTH - 1) + "1"


@pytest.fixture(scope="module")
def longest_region() -> str:
    regions = sorted(known_regions(), key=lambda r: (len(r), r))
    assert len(regions) > 20  # botocore's region list was found
    return regions[-1]


def test_every_name_fits_for_the_longest_cluster_and_region(spec_from, longest_region: str) -> None:
    spec = spec_from(merged(MINIMAL, {"name": LONGEST_NAME, "region": longest_region}))
    lengths = names_for(spec).lengths()
    assert len(lengths) >= 15
    too_long = {key: (name, len(name), limit) for key, (name, limit) in lengths.items() if len(name) > limit}
    assert not too_long
    bucket, _ = lengths["checkpoint_bucket"]
    assert check_bucket_name(bucket) is None, bucket


def test_names_depend_only_on_the_spec(spec_from) -> None:
    one = names_for(spec_from(merged(MINIMAL, {"name": "exp-7"})))
    two = names_for(spec_from(merged(MINIMAL, {"name": "exp-7"})))
    assert one == two
    assert one.checkpoint_bucket("123456789012") == "exp-7-ckpt-123456789012-us-east-1"
    assert one.task_role == "exp-7-us-east-1-task"  # IAM is account-wide: the region keeps clusters apart
    assert one.cluster == "exp-7" and one.training_service == "exp-7-training"
