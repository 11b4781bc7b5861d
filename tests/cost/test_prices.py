"""The shipped price table: its shape, its provenance, and that it prices what the example configs use."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from cost_helpers import FIXED, example

from ftcluster.cost import PriceTable, estimate
from ftcluster.errors import FtclusterError

REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1")


def test_shipped_table_loads_and_names_a_date_and_source_for_every_section() -> None:
    table = PriceTable.shipped()
    sources = table.sources()
    assert {s.section.split(" ")[0] for s in sources} == {
        "fargate",
        "fargate_spot",
        "ec2_spot",
        "nat_gateway",
        "ebs_gp3",
        "ec2_on_demand",
    }
    assert all(s.as_of and len(s.source) > 40 for s in sources)
    assert table.collected


def test_shipped_table_has_fargate_for_the_regions_the_package_knows() -> None:
    table = PriceTable.shipped()
    for region in REGIONS:
        rate = table.fargate(region)
        assert rate is not None and rate.vcpu_hour > rate.gb_hour > 0, region
    assert table.fargate("us-east-1").vcpu_hour == 0.04048  # the AWS list price, cross-checked in the file


def test_every_instance_type_of_the_example_configs_is_priced_in_its_region() -> None:
    table = PriceTable.shipped()
    for name in ("us-east-1.yaml", "eu-west-1.yaml"):
        spec = example(name)
        if spec.fleet:
            for instance_type in spec.fleet.instance_types:
                assert table.on_demand(spec.region, instance_type) is not None, instance_type
        assert not estimate(spec, table).not_estimated, name


def test_shipped_table_covers_the_common_training_types_in_us_east_1() -> None:
    table = PriceTable.shipped()
    for instance_type in (
        "g4dn.xlarge",
        "g5.12xlarge",
        "g6.xlarge",
        "g6e.xlarge",
        "p3.2xlarge",
        "p4d.24xlarge",
        "p5.48xlarge",
        "c5.xlarge",
        "c6i.xlarge",
        "c7i.xlarge",
        "m5.xlarge",
        "m6i.xlarge",
        "m7i.xlarge",
    ):
        assert table.on_demand("us-east-1", instance_type), instance_type


def test_lookups_answer_none_for_what_is_not_in_the_table() -> None:
    table = PriceTable.shipped()
    assert table.on_demand("us-east-1", "z1d.large") is None
    assert table.on_demand("sa-east-1", "g5.xlarge") is None
    assert table.fargate("sa-east-1") is None
    assert table.nat_hour("sa-east-1") is None and table.gp3_gb_month("sa-east-1") is None
    assert "sa-east-1" not in table.regions()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d.pop("nat_gateway"), "section `nat_gateway` is missing"),
        (lambda d: d["ebs_gp3"].pop("source"), "has no as_of or source"),
        (lambda d: d["fargate"]["regions"]["us-east-1"]["X86_64"].update(vcpu_hour=-1), "non-negative number"),
        (
            lambda d: d["ec2_on_demand"]["sections"][0]["regions"]["us-east-1"].update({"g5.xlarge": "1.0"}),
            "non-negative number",
        ),
        (lambda d: d["fargate_spot"].update(max_discount=70), "fraction between 0 and 1"),
        (lambda d: d.update(schema=2), "schema 1"),
    ],
)
def test_a_broken_table_fails_with_a_clear_message(damage, message) -> None:
    data = copy.deepcopy(FIXED)
    damage(data)
    with pytest.raises(FtclusterError, match=message):
        PriceTable(data)


def test_from_file_reports_unreadable_files(tmp_path: Path) -> None:
    broken = tmp_path / "prices.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(FtclusterError, match="cannot read price table"):
        PriceTable.from_file(broken)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(FIXED), encoding="utf-8")
    assert PriceTable.from_file(good).on_demand("eu-west-1", "g5.xlarge") == 1.123
