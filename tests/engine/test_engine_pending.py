"""Pending operations an interrupted run left in the state: what `up`, `destroy` and `refresh` do then.

The state is edited the way an interrupted CLI leaves it (an operation in `pending_operations`, the
resource itself not yet recorded for a create), like the lock files of the concurrency tests.
"""

from __future__ import annotations

import json

import pytest
from engine_helpers import EU_WEST, Stand, spec_copy
from starting_points import DeployedCopy

STACK = "finetune-eu-west-1"
UP = ("up", str(EU_WEST), "--yes", "--skip-preflight")


@pytest.fixture
def deployed(deployed_copy: DeployedCopy) -> Stand:
    stand, _ = deployed_copy(EU_WEST)
    return stand


def interrupt(stand: Stand, name: str, kind: str) -> None:
    """Leave `name` pending as if the CLI had been killed while `kind` it (a create is not yet recorded)."""
    path = stand.state.backend / "stacks" / "ftcluster" / f"{STACK}.json"
    checkpoint = json.loads(path.read_text())
    latest = checkpoint["checkpoint"]["latest"]
    resource = next(r for r in latest["resources"] if r["urn"].endswith(f"::{name}"))
    if kind == "creating":
        latest["resources"].remove(resource)
    latest["pending_operations"].append({"resource": resource, "type": kind})
    path.write_text(json.dumps(checkpoint))


def pending(stand: Stand) -> list[tuple[str, str]]:
    ops = stand.state.checkpoint(STACK)["checkpoint"]["latest"]["pending_operations"]
    return [(op["resource"]["urn"].split("::")[-1], op["type"]) for op in ops]


def test_a_pending_create_stops_up_and_destroy_and_refresh_says_it_stays(deployed: Stand) -> None:
    interrupt(deployed, "training-service", "creating")
    for command in (UP, ("destroy", "--yes")):
        stopped = deployed.run(*command)
        assert stopped.exit_code == 1, stopped.output
        assert "aws:ecs/service:Service training-service (interrupted while creating)" in stopped.stderr
        assert f"ftcluster refresh --clear-pending-creates --cluster {STACK}" in " ".join(stopped.stderr.split())
    assert not {"up", "destroy"} & set(deployed.state.commands()[-6:])  # stopped before Pulumi ran
    kept = deployed.run("refresh")  # Pulumi exits 0 and keeps the pending create
    assert kept.exit_code == 1 and "still pending" in kept.stderr
    assert pending(deployed) == [("training-service", "creating")]
    cleared = deployed.run("refresh", "--clear-pending-creates", "--json")
    assert cleared.exit_code == 0, cleared.output
    assert (json.loads(cleared.stdout)["cluster"], json.loads(cleared.stdout)["region"]) == ("finetune", "eu-west-1")
    assert pending(deployed) == []
    again = deployed.run(*UP)  # now knowingly created (again)
    assert again.exit_code == 0, again.output
    assert "training-service" in deployed.state.resources(STACK)


def test_other_pending_operations_are_shown_with_pulumis_warning_and_dropped_by_the_run(
    deployed: Stand, tmp_path
) -> None:
    interrupt(deployed, "training-service", "updating")
    three = spec_copy(tmp_path, EU_WEST, "three.yaml", {"tasks: 2": "tasks: 3"})  # so that `up` runs Pulumi
    result = deployed.run("up", str(three), "--yes", "--skip-preflight")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stderr.split())
    assert "aws:ecs/service:Service training-service (interrupted while updating)" in text
    assert "pulumi warned: Attempting to deploy or update resources with 1 pending operations" in text
    assert pending(deployed) == []  # pkg/backend/snapshot.go: only pending creates survive a run
