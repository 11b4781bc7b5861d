"""A fixed price table for the arithmetic tests, so updating the shipped table never moves the expected figures.

Its figures are the shipped ones for the regions and types the example configs use.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from ftcluster.cost import PriceTable
from ftcluster.spec import Spec, load_spec

CONFIGS = Path(__file__).parents[2] / "configs"

FIXED: dict[str, Any] = {
    "schema": 1,
    "collected": "2026-11-28",
    "fargate": {
        "as_of": "test",
        "source": "test",
        "regions": {
            "us-east-1": {
                "X86_64": {"vcpu_hour": 0.04048, "gb_hour": 0.004445},
                "ARM64": {"vcpu_hour": 0.03238, "gb_hour": 0.00356},
            },
            "eu-west-1": {"X86_64": {"vcpu_hour": 0.04048, "gb_hour": 0.004445}},
        },
    },
    "fargate_spot": {"as_of": "test", "source": "test", "max_discount": 0.70},
    "ec2_spot": {"as_of": "test", "source": "test", "max_discount": 0.90},
    "nat_gateway": {
        "as_of": "test",
        "source": "test",
        "regions": {"us-east-1": {"hour": 0.045, "per_gb_processed": 0.045}, "eu-west-1": {"hour": 0.048}},
    },
    "ebs_gp3": {"as_of": "test", "source": "test", "regions": {"us-east-1": {"gb_month": 0.08}}},
    "ec2_on_demand": {
        "sections": [
            {
                "families": ["g4dn", "g5", "g6"],
                "as_of": "test",
                "source": "test",
                "regions": {
                    "us-east-1": {
                        "g4dn.xlarge": 0.526,
                        "g4dn.2xlarge": 0.752,
                        "g5.xlarge": 1.006,
                        "g5.2xlarge": 1.212,
                        "g6.xlarge": 0.8048,
                    },
                    "eu-west-1": {"g5.xlarge": 1.123},
                },
            }
        ]
    },
}


def fixed_table() -> PriceTable:
    return PriceTable(copy.deepcopy(FIXED))


def example(name: str) -> Spec:
    return load_spec(CONFIGS / name)


def variant(tmp_path: Path, name: str, **changes: Any) -> Spec:
    """The example config `name` with dotted-key `changes` applied (None deletes), loaded like a user file."""
    data = yaml.safe_load((CONFIGS / name).read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    path = tmp_path / f"variant-{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_spec(path)
