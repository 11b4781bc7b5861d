"""Helpers shared by the program tests: example paths, a minimal spec, dict merging, resource classes, tags."""

from __future__ import annotations

import copy
import importlib
import inspect
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[2]
US_EAST = ROOT / "configs" / "us-east-1.yaml"
EU_WEST = ROOT / "configs" / "eu-west-1.yaml"
US_WEST = ROOT / "configs" / "us-west-2.yaml"  # Auto Scaling group, elastic distributed job
EU_CENTRAL = ROOT / "configs" / "eu-central-1.yaml"  # Spot Fleet

MINIMAL: dict[str, Any] = {
    "name": "demo",
    "region": "us-east-1",
    "training": {"image": "ghcr.io/example/train:1", "command": ["python", "train.py"]},
}


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with `changes` laid over it; a None value removes the key."""
    result = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def example(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def resource_class(type_token: str) -> type:
    """`aws:ec2/subnet:Subnet` -> pulumi_aws.ec2.Subnet."""
    _, path, class_name = type_token.split(":")
    module = path.split("/")[0]
    package = importlib.import_module("pulumi_aws" if module == "index" else f"pulumi_aws.{module}")
    return getattr(package, class_name)


def taggable(type_token: str) -> bool:
    """Takes `tags`, so the provider's default tags reach it."""
    return "tags" in inspect.signature(resource_class(type_token)._internal_init).parameters


def as_spot_fleet(data: dict[str, Any]) -> dict[str, Any]:
    """The same spec with its fleet as a Spot Fleet (the legacy mode, kept for clusters that chose it):
    the group's `max_instances` becomes the fleet's `instances`."""
    fleet = {("instances" if key == "max_instances" else key): value for key, value in data["fleet"].items()}
    return {**merged(data, {"fleet": None}), "fleet": {**fleet, "type": "spot_fleet"}}


def tag_map(inputs: dict[str, Any]) -> dict[str, str]:
    """A resource's own tags: a map on most types, a list of {key, value, propagateAtLaunch} on an
    Auto Scaling group."""
    tags = inputs.get("tags", {})
    return {tag["key"]: tag["value"] for tag in tags} if isinstance(tags, list) else dict(tags)


def defaults_reach(type_token: str) -> bool:
    """The provider's default tags reach this type (it has the computed `tags_all`); an Auto Scaling
    group has none: its `tag` blocks are no tags map (pulumi_aws autoscaling/group.py)."""
    return "tags_all" in inspect.signature(resource_class(type_token).get).parameters  # its state's fields
