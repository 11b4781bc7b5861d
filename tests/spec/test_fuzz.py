"""Whatever the file holds, the loader returns a Spec or raises a clean SpecError, nothing else."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftcluster.errors import SpecError
from ftcluster.spec import Spec, load_spec

EXAMPLES = Path(__file__).parents[2] / "configs"
VALID = [yaml.safe_load((EXAMPLES / name).read_text()) for name in ("us-east-1.yaml", "eu-west-1.yaml")]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["us-east-1", "g5.xlarge", "10.0.0.0/16", "vpc-0a1b2c3d4e5f67890", "X86_64", "per_az", "1024"]),
)
yaml_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(text: str) -> Spec | SpecError:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spec.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_spec(path)
        except SpecError as err:
            assert err.problems, "a SpecError must name at least one problem"
            lines = text.count("\n") + 1
            for problem in err.problems:
                assert problem.message.strip()
                assert problem.line is None or 1 <= problem.line <= lines + 1
                problem.render(str(path))
            return err


@FUZZ
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    outcome(text)


@FUZZ
@given(yaml_values)
def test_any_yaml_document(document: Any) -> None:
    outcome(yaml.safe_dump(document))


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated_specs(draw: st.DrawFn) -> Any:
    import copy

    document = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(yaml_values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(yaml_values)
    return document


@FUZZ
@given(mutated_specs())
def test_mutated_valid_specs(document: Any) -> None:
    outcome(yaml.safe_dump(document, sort_keys=False))
