"""Worker placement by the shipped instance facts: the table itself, and the warnings a valid spec gets
(the errors are spec cases: tests/spec/cases/workers_*.yaml, fleet_*instances*.yaml, fleet_gpu_*.yaml)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import moto

from ftcluster.spec import Spec, aws_rules
from ftcluster.spec.checks import warnings
from ftcluster.spec.instance_facts import facts_from_describe, shipped_facts, shipped_table

ROOT = Path(__file__).resolve().parents[2]


def price_table_types() -> set[str]:
    prices = json.loads((ROOT / "src" / "ftcluster" / "data" / "prices.json").read_text())
    return {t for s in prices["ec2_on_demand"]["sections"] for by_type in s["regions"].values() for t in by_type}


def test_the_table_covers_every_priced_type_and_names_its_sources() -> None:
    table = shipped_table()
    assert set(table["types"]) == price_table_types()
    sourced = [t for source in table["sources"] for t in source["types"]]
    assert sorted(sourced) == sorted(table["types"])  # each type from exactly one named source
    assert all(source["source"] for source in table["sources"]) and table["collected"]


def test_the_table_agrees_with_the_describe_instance_types_dump_it_was_built_from() -> None:
    """moto ships every region's DescribeInstanceTypes answer; the types it has must read the same here."""
    dump_file = Path(moto.__file__).parent / "ec2" / "resources" / "instance_types.json.gz"
    with gzip.open(dump_file, "rt") as handle:
        dump = json.load(handle)
    facts = shipped_facts()
    assert {t for t in facts if t not in dump} == {"p3.2xlarge", "p3.8xlarge", "p3.16xlarge"}  # from the AWS docs
    for name, fact in facts.items():
        if name in dump:
            assert fact.to_dict() == facts_from_describe(dump[name]), name


def test_the_architecture_rule_agrees_with_the_table() -> None:
    for name, fact in shipped_facts().items():
        assert aws_rules.instance_architecture(name) == fact.architecture, name


def test_documented_facts() -> None:
    """Figures stated in AWS documentation: the ECS guide's c5.large (3 interfaces, so 2 awsvpc tasks)."""
    facts = shipped_facts()
    assert (facts["c5.large"].max_enis, facts["c5.large"].awsvpc_tasks) == (3, 2)
    assert (facts["g5.xlarge"].gpus, facts["g5.xlarge"].vcpus, facts["g5.xlarge"].memory_mib) == (1, 4, 16384)
    assert (facts["p4d.24xlarge"].gpus, facts["g6e.48xlarge"].gpus, facts["g4dn.12xlarge"].gpus) == (8, 8, 4)


def spec_with(fleet: dict[str, Any]) -> Spec:
    return Spec.model_validate({"name": "demo", "region": "us-east-1", "training": {"image": "t:1"}, "fleet": fleet})


def test_types_that_hold_no_worker_beside_types_that_do_are_a_warning() -> None:
    spec = spec_with(
        {"max_instances": 2, "gpu": True, "instance_types": ["g5.xlarge", "g5.12xlarge"], "workers": {"gpus": 4}}
    )
    assert warnings(spec) == [
        (
            "fleet.instance_types",
            "g5.xlarge: a worker needs 4 GPUs, it has 1; instances of that type would run no worker, "
            "only g5.12xlarge can",
        )
    ]


def test_types_the_table_does_not_know_make_an_error_a_warning() -> None:
    spec = spec_with(
        {"max_instances": 2, "gpu": True, "instance_types": ["g5.xlarge", "p5e.48xlarge"], "workers": {"gpus": 4}}
    )
    assert [key for key, _ in warnings(spec)] == ["fleet.instance_types"]
    assert "only p5e.48xlarge can" in warnings(spec)[0][1]


def test_a_count_that_fits_only_on_the_larger_types_is_a_warning() -> None:
    spec = spec_with(
        {
            "max_instances": 2,
            "gpu": True,
            "instance_types": ["g5.xlarge", "g5.12xlarge"],
            "workers": {"tasks": 5, "gpus": 1, "memory": 8192},
        }
    )
    assert warnings(spec) == [
        (
            "fleet.workers.tasks",
            "5 worker tasks fit on 2 instances only if the fleet gets types that hold more than g5.xlarge "
            "(1 per instance: 1 GPU, a worker needs 1)",
        )
    ]


def test_a_count_held_back_only_by_network_interfaces_is_a_warning_that_names_eni_trunking() -> None:
    spec = spec_with({"max_instances": 1, "instance_types": ["c5.large"], "workers": {"tasks": 3, "memory": 512}})
    ((key, message),) = warnings(spec)
    assert key == "fleet.workers.tasks"
    assert message.startswith(
        "3 worker tasks do not fit on 1 instance: an instance holds at most 2 (c5.large: 3 network interfaces, "
        "one of them the instance's own (each awsvpc task takes one))"
    )
    assert message.endswith("(or turn on ECS ENI trunking, the awsvpcTrunking account setting, for more interfaces)")


def test_memory_within_the_systems_share_of_the_instance_is_a_warning() -> None:
    fits = spec_with(
        {"max_instances": 1, "instance_types": ["g5.xlarge"], "gpu": True, "workers": {"gpus": 1, "memory": 15155}}
    )
    assert warnings(fits) == []  # 16384 x 92.5 % = 15155.2
    tight = spec_with(
        {"max_instances": 1, "instance_types": ["g5.xlarge"], "gpu": True, "workers": {"gpus": 1, "memory": 15156}}
    )
    assert warnings(tight) == [
        (
            "fleet.workers.memory",
            "15156 MiB per worker leaves less than 7.5% of g5.xlarge (16384 MiB) to the system; an ECS container "
            "instance registers less memory than its type has (kernel and platform overhead), so a worker may not "
            "fit there",
        )
    ]


def test_the_example_specs_have_no_placement_warnings() -> None:
    from ftcluster.spec import load_spec

    for config in sorted((ROOT / "configs").glob("*.yaml")):
        assert warnings(load_spec(config)) == [], config.name
