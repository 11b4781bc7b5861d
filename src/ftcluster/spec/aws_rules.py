"""AWS rules that a deployment would otherwise only reveal by failing, as plain functions.

Each `check_*` returns None when the value is fine, else a sentence saying what was expected.
"""

from __future__ import annotations

import difflib
import importlib.util
import ipaddress
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

# Fargate task sizes: CPU units -> allowed memory (MiB). From the ECS API's RegisterTaskDefinition
# `memory` documentation (botocore/data/ecs/2014-11-13/service-2.json) and the table in
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html;
# 8192 and 16384 need Linux platform version 1.4.0 or later.
FARGATE_MEMORY: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}


def check_fargate_size(cpu: int, memory: int) -> str | None:
    choices = FARGATE_MEMORY.get(cpu)
    if choices is None or memory in choices:
        return None  # an unknown cpu is reported on the cpu field itself
    if len(choices) <= 3:
        allowed = ", ".join(map(str, choices))
    else:
        allowed = f"{choices[0]} to {choices[-1]} in steps of {choices[1] - choices[0]}"
    return f"Fargate has no {cpu} CPU / {memory} MiB size; with cpu {cpu}, memory must be {allowed} (MiB)"


# --- regions -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _partitions() -> list[dict[str, Any]]:
    """botocore's partition data (data/partitions.json), read without importing botocore."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return []
    data_file = Path(next(iter(spec.submodule_search_locations))) / "data" / "partitions.json"
    partitions: list[dict[str, Any]] = json.loads(data_file.read_text(encoding="utf-8"))["partitions"]
    return partitions


@lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    """Every region in botocore's own endpoint data."""
    return frozenset(
        region
        for partition in _partitions()
        for region in partition.get("regions", {})
        if not region.endswith("-global")  # pseudo-regions such as aws-global
    )


def service_name_prefix(region: str) -> str:
    """The prefix of VPC endpoint service names in `region`'s partition: `com.amazonaws`, `cn.com.amazonaws`.

    It is the partition's DNS suffix reversed, as the AWS provider's `aws.get_partition()` gives it to the
    program (terraform-provider-aws internal/conns/awsclient.go, ReverseDNSPrefix = dns.Reverse(DNSSuffix)).
    """
    partitions = _partitions()
    known = [p for p in partitions if region in p.get("regions", {})]
    matching = [p for p in partitions if re.match(p.get("regionRegex", "$^"), region)]
    for partition in known + matching:  # a region botocore lists, else one its pattern admits
        suffix = str(partition.get("outputs", {}).get("dnsSuffix") or "amazonaws.com")
        return ".".join(reversed(suffix.split(".")))
    return "com.amazonaws"


def check_region(region: str) -> str | None:
    regions = known_regions()
    if not regions or region in regions:
        return None
    close = difflib.get_close_matches(region.lower(), sorted(regions), n=1)  # names are lower case: EU-WEST-1
    hint = f"; did you mean `{close[0]}`?" if close else ""
    return f"`{region}` is not an AWS region{hint}"


# --- EC2 instance types ------------------------------------------------------------------------

# family "g5", "p4d", "c7gn", "u-6tb1", "m7i-flex"; size "xlarge", "48xlarge", "metal", "metal-24xl"
_INSTANCE_TYPE = re.compile(
    r"^(?P<family>[a-z][a-z0-9-]*[0-9][a-z0-9-]*)\."
    r"(?P<size>nano|micro|small|medium|large|[0-9]*xlarge|metal(-[0-9]+xl)?)$"
)
# Graviton families carry a "g" after the generation digit (c7g, m6gd, g5g, im4gn); a1 is the first.
_ARM_FAMILY = re.compile(r"^(a1|[a-z]+[0-9]+[a-z]*g[a-z]*(-flex)?)$")


def check_instance_type(value: str) -> str | None:
    if _INSTANCE_TYPE.match(value):
        return None
    return (
        f"`{value}` is not an EC2 instance type; expected family.size such as "
        "`g5.xlarge`, `p4d.24xlarge` or `c7i.2xlarge`"
    )


def instance_architecture(instance_type: str) -> str:
    """'ARM64' for Graviton families, else 'X86_64' (the ECS runtime-platform names)."""
    family = instance_type.split(".", 1)[0]
    return "ARM64" if _ARM_FAMILY.match(family) else "X86_64"


# --- networking --------------------------------------------------------------------------------


def check_vpc_cidr(value: str) -> str | None:
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        return f"`{value}` is not an IPv4 CIDR block such as `10.0.0.0/16`"
    if str(network) != value:
        return f"`{value}` has host bits set; did you mean `{network}`?"
    if not 16 <= network.prefixlen <= 28:
        return f"a VPC block must be between /16 and /28 (got /{network.prefixlen})"
    return None


# --- names, tags, variables ----------------------------------------------------------------------

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_env_name(name: str) -> str | None:
    if _ENV_NAME.match(name):
        return None
    return f"`{name}` is not a valid environment variable name: use letters, digits and `_`, not starting with a digit"


MAX_TAGS = 50  # per resource, user tags plus the ones ftcluster adds
_TAG_PUNCTUATION = set(" _.:/=+-@")


def _tag_chars_ok(text: str) -> bool:
    return all(ch.isalnum() or ch.isspace() or ch in _TAG_PUNCTUATION for ch in text)


def check_tag_key(key: str) -> str | None:
    if not 1 <= len(key) <= 128:
        return f"tag key must be 1 to 128 characters (got {len(key)})"
    if key.lower().startswith("aws:"):
        return f"tag key `{key}` uses the `aws:` prefix, which AWS reserves for itself"
    if not _tag_chars_ok(key):
        return f"tag key `{key}` has a character AWS does not allow; use letters, digits, spaces and _ . : / = + - @"
    return None


def check_tag_value(value: str) -> str | None:
    if len(value) > 256:
        return f"tag value must be at most 256 characters (got {len(value)})"
    if not _tag_chars_ok(value):
        return "tag value has a character AWS does not allow; use letters, digits, spaces and _ . : / = + - @"
    return None


RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", ".mrap")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def check_bucket_name(name: str) -> str | None:
    problem = None
    if not _BUCKET.match(name):
        problem = "3 to 63 characters of a-z, 0-9, `.` and `-`, starting and ending with a letter or digit"
    elif ".." in name or ".-" in name or "-." in name:
        problem = "no `..`, `.-` or `-.`"
    elif re.match(r"^\d+\.\d+\.\d+\.\d+$", name):
        problem = "not formatted like an IP address"
    elif name.startswith(RESERVED_BUCKET_PREFIXES) or name.endswith(RESERVED_BUCKET_SUFFIXES):
        problem = (
            f"no reserved prefix ({', '.join(RESERVED_BUCKET_PREFIXES)}) "
            f"or suffix ({', '.join(RESERVED_BUCKET_SUFFIXES)})"
        )
    return None if problem is None else f"`{name}` is not a valid S3 bucket name: {problem}"
