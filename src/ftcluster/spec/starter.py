"""The commented starter spec that `ftcluster init` writes."""

from __future__ import annotations

from importlib.resources import files
from string import Template

from ..errors import SpecError, UsageError
from .loader import parse_document, validate_document


def starter_spec(*, name: str, region: str) -> str:
    """The starter text for `name` in `region`; UsageError when either is not acceptable."""
    template = Template(files("ftcluster").joinpath("templates/starter.yaml").read_text(encoding="utf-8"))
    text = template.substitute(name=name, region=region)
    try:
        validate_document(parse_document(text, "starter spec"), "starter spec")
    except SpecError as err:
        reasons = "; ".join(f"{p.path}: {p.message}" for p in err.problems)
        raise UsageError(f"cannot write a starter spec: {reasons}") from None
    return text
