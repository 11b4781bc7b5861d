"""destroy --delete-checkpoints and --keep-stack, and the leftover check on its own."""

from __future__ import annotations

import json

from engine_helpers import EU_WEST, TINY
from starting_points import DeployedCopy

STACK = "tiny-eu-west-1"


def test_delete_checkpoints_lets_go_of_the_bucket_first_then_destroys_everything(deployed_copy: DeployedCopy) -> None:
    stand, _ = deployed_copy(TINY)
    retained = {name for name, r in stand.state.resources(STACK).items() if r.get("retainOnDelete")}
    assert "checkpoint-bucket" in retained

    result = stand.run("destroy", "--yes", "--delete-checkpoints", "--keep-stack", "--quiet")
    assert result.exit_code == 0, result.output
    assert "cannot be undone" in result.stderr
    first, second = [c["argv"] for c in stand.state.calls() if {"up", "destroy"} & set(c["argv"])][-2:]
    assert "up" in first and sorted(a.split("::")[-1] for a in first if a.startswith("urn:")) == sorted(retained)
    assert "destroy" in second
    assert stand.state.cloud() == {}  # nothing kept back this time
    assert stand.state.has_stack(STACK) and stand.state.resources(STACK) == {}  # --keep-stack

    check = stand.run("destroy", "--verify-only", "--cluster", STACK, "--json")
    assert check.exit_code == 0, check.output
    assert json.loads(check.stdout)["clean"] is True


def test_a_bucket_the_spec_named_is_not_reported_as_kept(deployed_copy: DeployedCopy) -> None:
    stand, _ = deployed_copy(EU_WEST)
    result = stand.run("destroy", "--yes")
    assert result.exit_code == 0, result.output
    # example-finetune-checkpoints is the user's: ftcluster never created it, so it keeps nothing of it
    assert "destroyed finetune" in result.stderr and "kept the checkpoint bucket" not in result.stderr


def test_destroy_reports_what_it_kept_and_a_failed_leftover_check_comes_last(deployed_copy: DeployedCopy) -> None:
    """(`destroy --json` with a leftover report: test_engine_lifecycle.py's last test.)"""
    stand, _ = deployed_copy(TINY)
    resources = stand.state.resources(STACK)
    kept = {name for name, r in resources.items() if r.get("retainOnDelete")}
    bucket = resources["checkpoint-bucket"]["outputs"]["bucket"]
    # the leftover check cannot reach the Resource Groups Tagging API; everything else works
    unreachable = {"AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API": "http://127.0.0.1:9"}
    result = stand.run("destroy", "--yes", extra_env=unreachable)
    assert result.exit_code == 1, result.output
    assert not stand.state.has_stack(STACK)
    lines = [" ".join(line.split()) for line in result.stderr.splitlines()]
    # a retained resource leaves the stack but stays in AWS: not "deleted", and counted apart
    assert not [line for line in lines if line.startswith("deleted") and "checkpoint-" in line]
    assert "kept in AWS aws:s3/bucket:Bucket checkpoint-bucket" in " ".join(lines)
    text = " ".join(lines)
    # AWS resources only, in the question and in the summary alike (not the stack and its provider)
    deleted = sum(1 for r in resources.values() if not r["type"].startswith("pulumi:")) - len(kept)
    assert f"destroy deletes {deleted} resources of cluster tiny in region eu-west-1 and keeps {len(kept)}" in text
    summary = text.index(f"destroyed tiny (eu-west-1): {deleted} deleted, {len(kept)} kept in AWS")
    assert summary < text.index(f"kept the checkpoint bucket {bucket}") < text.index(f"removed stack {STACK}")
    failure = text.index("error: the leftover check failed: looking up resources tagged ftcluster:cluster=tiny")
    assert text.index(f"removed stack {STACK}") < failure
    assert f"ftcluster destroy --verify-only --cluster {STACK}" in text[failure:]
    check = stand.run("destroy", "--verify-only", "--cluster", STACK, "--json")
    assert check.exit_code == 0 and json.loads(check.stdout)["clean"] is True
