"""The spec reference page (docs/spec-reference.md), rendered from the models' fields and JSON Schema.

`python scripts/generate_spec_docs.py` writes it; tests/test_docs.py fails when the committed page is stale.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Tag
from pydantic.fields import FieldInfo

from .models import Spec

HEADER = """\
# Spec reference

<!-- Generated from src/ftcluster/spec/models.py by `python scripts/generate_spec_docs.py`; do not edit. -->

One file describes one cluster in one region. Keys not listed here are rejected. Keys marked
*required* must be given; every other key has the default shown (*unset* means the key is absent,
and its description says what that means). The checks that span several keys (a Fargate size, the
auto scaling bounds, the fleet rules) are part of each key's description; `ftcluster validate`
reports every problem at once (see [Specs](specs.md)). The same descriptions feed the JSON Schema
(`ftcluster schema`) that editors show on hover.

The examples in `configs/` use most keys: `configs/us-east-1.yaml` (new VPC over three AZs, Fargate
+ Fargate Spot, GPU worker tasks on an Auto Scaling group, auto scaling), `configs/us-west-2.yaml`
(an elastic distributed job on GPU workers), `configs/eu-central-1.yaml` (GPU workers on a Spot
Fleet, kept as an explicit choice) and `configs/eu-west-1.yaml` (a smaller cluster in an existing
VPC).
"""


@dataclass
class Section:
    """One heading of the page: a model at a key path, or one variant of a union of models."""

    path: str  # dotted key prefix of the section's keys ("" for the top level)
    model: type[BaseModel] | None  # None for the heading over a union's variants
    level: int
    title: str
    intro: list[str]
    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)


def _unwrap(annotation: Any) -> Iterator[tuple[Any, str | None]]:
    """The leaf types of an annotation (through Annotated, Optional and unions), each with its union tag."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        tags = [item.tag for item in metadata if isinstance(item, Tag)]
        for leaf, tag in _unwrap(base):
            yield leaf, tag or (tags[0] if tags else None)
    elif origin is typing.Union or origin is types.UnionType:
        for arg in typing.get_args(annotation):
            yield from _unwrap(arg)
    else:
        yield annotation, None


def _models(info: FieldInfo) -> list[tuple[type[BaseModel], str | None]]:
    return [
        (leaf, tag) for leaf, tag in _unwrap(info.annotation) if isinstance(leaf, type) and issubclass(leaf, BaseModel)
    ]


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    return defs[node["$ref"].split("/")[-1]] if "$ref" in node else node


def _alternatives(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a schema node (Optional adds a null one)."""
    options = node.get("anyOf") or node.get("oneOf") or [node]
    return [option for option in options if option.get("type") != "null"]


def _type_name(node: dict[str, Any], defs: dict[str, Any]) -> str:
    names = []
    for option in _alternatives(node):
        option = _resolve(option, defs)
        kind = option.get("type")
        if kind == "array":
            names.append(f"list of {_type_name(option.get('items', {}), defs)}")
        elif kind == "object" and "additionalProperties" in option:
            names.append(f"map of string to {_type_name(option['additionalProperties'], defs)}")
        else:
            names.append(str(kind or "any"))
    unique = list(dict.fromkeys(names))
    return unique[0] if len(unique) == 1 else f"{', '.join(unique[:-1])} or {unique[-1]}"


def _span(low: Any, high: Any, unit: str = "", *, exclusive_low: bool = False) -> str:
    if low is not None and high is not None and not exclusive_low:
        return f"{low}–{high}{unit}"
    bounds = [f"{'>' if exclusive_low else '≥'} {low}{unit}"] if low is not None else []
    bounds += [f"≤ {high}{unit}"] if high is not None else []
    return ", ".join(bounds)


def _constraints(node: dict[str, Any], defs: dict[str, Any]) -> str:
    found = []
    for option in (_resolve(o, defs) for o in _alternatives(node)):
        if "enum" in option:
            found.append("one of " + ", ".join(f"`{value}`" for value in option["enum"]))
        if "const" in option:
            found.append(f"`{option['const']}`")
        if "exclusiveMinimum" in option:
            found.append(_span(option["exclusiveMinimum"], option.get("maximum"), exclusive_low=True))
        elif "minimum" in option or "maximum" in option:
            found.append(_span(option.get("minimum"), option.get("maximum")))
        if "minItems" in option or "maxItems" in option:
            found.append(_span(option.get("minItems"), option.get("maxItems"), " items"))
        if "minLength" in option or "maxLength" in option:
            found.append(_span(option.get("minLength"), option.get("maxLength"), " characters"))
        if "pattern" in option:
            found.append(f"matches `{option['pattern']}`")
    return "; ".join(found)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]
    if value is None:
        return "unset"
    if isinstance(value, BaseModel):
        return "see below"
    return f"`{json.dumps(value)}`" if not isinstance(value, str) else f"`{value}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _describe(model: type[BaseModel], path: str, level: int, title: str, intro: str) -> Iterator[Section]:
    """The section of one model, then the sections of the models nested in it, depth first."""
    section = Section(path, model, level, title, [intro] if intro else [])
    nested: list[tuple[str, FieldInfo]] = []
    properties = model.model_json_schema()
    defs = properties.get("$defs", {})
    for name, info in model.model_fields.items():
        key = f"{path}{name}"
        if _models(info):
            nested.append((key, info))
            continue
        node = properties["properties"][name]
        section.rows.append(
            (f"`{key}`", _type_name(node, defs), _default(info), _constraints(node, defs), info.description or "")
        )
    yield section
    # The top level's sections sit beside it, deeper ones below their parent.
    child_level = level if not path else level + 1
    for key, info in nested:
        yield from _nested(key, info, child_level)


def _nested(key: str, info: FieldInfo, level: int) -> Iterator[Section]:
    """A section per model a field holds; a union of models gets a subsection per variant, default first."""
    models = _models(info)
    optional = not info.is_required() and info.default is None and info.default_factory is None
    heading = f"`{key}`" + (" (optional)" if optional else "")
    if len(models) == 1:
        model = models[0][0]
        yield from _describe(model, f"{key}.", level, heading, _docstring(model) or info.description or "")
        return
    default = info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]
    yield Section(key, None, level, heading, [info.description or "", "One of these shapes:"])
    ordered = sorted(models, key=lambda pair: not isinstance(default, pair[0]))
    for model, tag in ordered:
        title = (tag or model.__name__) + (" (the default)" if isinstance(default, model) else "")
        yield from _describe(model, f"{key}.", level + 1, title, _docstring(model))


def _docstring(model: type[BaseModel]) -> str:
    return " ".join((model.__doc__ or "").split())


def render_reference() -> str:
    """The whole page, as Markdown."""
    parts: list[str] = [HEADER]
    seen: set[tuple[str, type[BaseModel] | None]] = set()
    repeated: list[str] = []  # key prefixes of sections already documented under an earlier variant
    for section in _describe(Spec, "", 2, "Top level", _docstring(Spec)):
        if (section.path, section.model) in seen:
            # A model nested in every variant of a union: documented under the first variant.
            if not any(section.path.startswith(prefix) for prefix in repeated):
                repeated.append(section.path)
                parts.append(f"\n{section.title}: the same keys as above.\n")
            continue
        seen.add((section.path, section.model))
        parts.append(f"\n{'#' * section.level} {section.title}\n")
        for line in section.intro:
            if line:
                parts.append(f"\n{line}\n")
        if section.rows:
            parts.append("\n| key | type | default | allowed | meaning |\n|---|---|---|---|---|\n")
            parts.extend("| " + " | ".join(_cell(cell) for cell in row) + " |\n" for row in section.rows)
    return "".join(parts)
