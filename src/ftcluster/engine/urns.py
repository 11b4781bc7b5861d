"""Pulumi URNs: `urn:pulumi:STACK::PROJECT::[PARENT-TYPE$]TYPE::NAME`."""

from __future__ import annotations


def type_and_name(urn: str) -> tuple[str, str]:
    """(resource type, logical name); ("", urn) for something that is not a URN."""
    parts = urn.split("::")
    return (parts[2].split("$")[-1], parts[3]) if len(parts) >= 4 else ("", urn)
