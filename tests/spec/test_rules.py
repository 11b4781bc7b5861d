"""AWS rules whose inputs are too many for case files: tag limits, the Fargate table, names, regions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ftcluster.errors import SpecError
from ftcluster.spec import aws_rules, load_spec
from ftcluster.spec.models import NAME_MAX_LENGTH, NewVpc

BASE = {"name": "demo", "region": "us-east-1", "training": {"image": "trainer:1"}}


def problems_for(tmp_path: Path, **changes: object) -> list[str]:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump({**BASE, **changes}, sort_keys=False))
    try:
        load_spec(path)
    except SpecError as err:
        return [f"{p.path}: {p.message}" for p in err.problems]
    return []


def test_forty_eight_user_tags_are_one_too_many(tmp_path: Path) -> None:
    # A subnet carries ftcluster:cluster, Name and ftcluster:tier besides the user's tags, and
    # EC2 allows 50 per resource (tests/program/test_aws_names.py counts them on the plan).
    ok = {f"k{i}": "v" for i in range(47)}
    assert problems_for(tmp_path, tags=ok) == []
    assert problems_for(tmp_path, tags={**ok, "k47": "v"}) == [
        "tags: at most 47 tags (AWS allows 50 per resource and ftcluster adds up to 3 of its own: "
        "`ftcluster:cluster`, `Name`, `ftcluster:tier`); got 48"
    ]


def test_tag_key_and_value_lengths(tmp_path: Path) -> None:
    assert problems_for(tmp_path, tags={"k" * 128: "v" * 256}) == []
    assert problems_for(tmp_path, tags={"k" * 129: "v"}) == [
        f"tags.{'k' * 129}: tag key must be 1 to 128 characters (got 129)"
    ]
    assert problems_for(tmp_path, tags={"team": "v" * 257}) == [
        "tags.team: tag value must be at most 256 characters (got 257)"
    ]


def test_unicode_letters_are_allowed_in_tags(tmp_path: Path) -> None:
    assert problems_for(tmp_path, tags={"équipe": "données ML", "owner": "a@b.c"}) == []


def test_name_length_limit(tmp_path: Path) -> None:
    assert problems_for(tmp_path, name="a" * NAME_MAX_LENGTH) == []
    assert problems_for(tmp_path, name="a" * (NAME_MAX_LENGTH + 1))[0].startswith("name: `aaaa")
    assert problems_for(tmp_path, name="x")[0].startswith("name: `x` is not a valid cluster name")


@pytest.mark.parametrize("cpu", sorted(aws_rules.FARGATE_MEMORY))
def test_every_fargate_size_in_the_table_validates_and_neighbours_do_not(tmp_path: Path, cpu: int) -> None:
    allowed = aws_rules.FARGATE_MEMORY[cpu]
    for memory in allowed:
        assert aws_rules.check_fargate_size(cpu, memory) is None
    step = allowed[1] - allowed[0]
    for memory in (allowed[0] - step, allowed[-1] + step, allowed[0] + 1):
        assert aws_rules.check_fargate_size(cpu, memory) is not None, (cpu, memory)
    # and through the loader, the largest size of each cpu is accepted
    assert problems_for(tmp_path, training={"image": "t:1", "cpu": cpu, "memory": allowed[-1]}) == []


def test_fargate_256_cpu_has_no_1536_size() -> None:
    assert aws_rules.FARGATE_MEMORY[256] == (512, 1024, 2048)


@pytest.mark.parametrize(
    ("region", "prefix"),
    [
        ("us-east-1", "com.amazonaws"),
        ("cn-north-1", "cn.com.amazonaws"),
        ("cn-northwest-9", "cn.com.amazonaws"),  # not listed yet: the partition's region pattern decides
        ("us-gov-west-1", "com.amazonaws"),
        ("eusc-de-east-1", "eu.amazonaws"),
    ],
)
def test_service_name_prefix_is_the_partitions_dns_suffix_reversed(region: str, prefix: str) -> None:
    assert aws_rules.service_name_prefix(region) == prefix


def test_regions_come_from_botocore_partitions() -> None:
    regions = aws_rules.known_regions()
    assert {"us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"} <= regions
    assert not any(region.endswith("-global") for region in regions)


@pytest.mark.parametrize(
    "instance_type",
    [
        "g5.xlarge",
        "p4d.24xlarge",
        "p5.48xlarge",
        "c7gn.16xlarge",
        "m7i-flex.large",
        "u-6tb1.metal",
        "c6i.metal",
        "t4g.nano",
        "inf2.xlarge",
        "trn1n.32xlarge",
        "g6e.12xlarge",
        "m7i.metal-24xl",
    ],
)
def test_real_instance_types_are_accepted(instance_type: str) -> None:
    assert aws_rules.check_instance_type(instance_type) is None


@pytest.mark.parametrize("instance_type", ["g5", "G5.xlarge", "g5.", ".xlarge", "g5.huge", "xlarge.g5", "g5 .xlarge"])
def test_malformed_instance_types_are_rejected(instance_type: str) -> None:
    assert aws_rules.check_instance_type(instance_type) is not None


@pytest.mark.parametrize(
    ("instance_type", "arch"),
    [
        ("g5.xlarge", "X86_64"),
        ("g5g.xlarge", "ARM64"),
        ("c7gn.large", "ARM64"),
        ("m6gd.large", "ARM64"),
        ("g4dn.xlarge", "X86_64"),
        ("a1.large", "ARM64"),
        ("im4gn.large", "ARM64"),
        ("p4d.24xlarge", "X86_64"),
        ("c7i.large", "X86_64"),
        ("inf2.xlarge", "X86_64"),
    ],
)
def test_instance_architecture(instance_type: str, arch: str) -> None:
    assert aws_rules.instance_architecture(instance_type) == arch


def test_subnet_blocks_one_private_and_one_public_per_az_without_overlap() -> None:
    import ipaddress

    network = NewVpc(cidr="10.0.0.0/16", availability_zones=3)
    blocks = network.subnet_blocks()
    assert blocks == [
        ("10.0.0.0/19", "10.0.224.0/19"),
        ("10.0.32.0/19", "10.0.192.0/19"),
        ("10.0.64.0/19", "10.0.160.0/19"),
    ]
    flat = [ipaddress.IPv4Network(b) for pair in blocks for b in pair]
    assert not any(a.overlaps(b) for i, a in enumerate(flat) for b in flat[i + 1 :])


def test_adding_an_az_keeps_existing_subnets_in_place() -> None:
    three = NewVpc(cidr="10.0.0.0/16", availability_zones=3).subnet_blocks()
    four = NewVpc(cidr="10.0.0.0/16", availability_zones=4).subnet_blocks()
    assert four[:3] == three


def test_smallest_vpc_that_fits_six_azs(tmp_path: Path) -> None:
    assert problems_for(tmp_path, network={"cidr": "10.0.0.0/24", "availability_zones": 6}) == []
    assert NewVpc(cidr="10.0.0.0/24", availability_zones=6).subnet_blocks()[0][0] == "10.0.0.0/28"


def test_revised_replaces_keys_and_checks_the_result_as_a_spec_file() -> None:
    from ftcluster.errors import SpecError
    from ftcluster.spec import revised

    spec = load_spec(Path(__file__).parents[2] / "configs" / "us-east-1.yaml")
    scaled = revised(spec, {"training.tasks": 8, "fleet.max_instances": 6}, "test")
    assert (scaled.training.tasks, scaled.fleet.capacity) == (8, 6)
    assert scaled.model_copy(update={"training": spec.training, "fleet": spec.fleet}) == spec  # nothing else moved
    assert scaled.model_fields_set == spec.model_fields_set  # what the file set stays what it set
    with pytest.raises(SpecError) as caught:
        revised(spec, {"fleet.instances": 6, "training.tasks": 13}, "test")
    assert [(p.path, p.message) for p in caught.value.problems] == [
        (
            "fleet.instances",
            "`instances` is now `max_instances` for an Auto Scaling group (`type: auto_scaling_group`, the default): the most instances ECS managed scaling may start; a Spot Fleet (`type: spot_fleet`) keeps `instances`",
        )
    ]
