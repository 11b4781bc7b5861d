"""What `scale`, `up` and `outputs` build from: the spec and scale of the last update that succeeded.

An `up` that never ran (refused by the lock) writes its spec into the stack config file first, as the
Automation API must; only the backend's update history says what a run really applied.
"""

from __future__ import annotations

import json
from pathlib import Path

from engine_helpers import EU_WEST, Stand, spec_copy, write_lock
from starting_points import DeployedCopy

STACK = "finetune-eu-west-1"
ON_DEMAND = {"on_demand_base: 0 ": "on_demand_base: 1 ", "spot_percent: 100": "spot_percent: 50"}


def hold_lock(stand: Stand) -> Path:
    """Another run's lock, where Pulumi's file backend keeps it."""
    lock = stand.state.backend / "locks" / "organization" / "ftcluster" / STACK / "5b6c.json"
    return write_lock(lock)


def test_an_up_refused_by_the_lock_is_not_what_scale_builds_from(deployed_copy: DeployedCopy, tmp_path: Path) -> None:
    stand, _ = deployed_copy(EU_WEST)  # as `ftcluster up` of it left it
    before = stand.state.resources(STACK)["training-service"]
    lock = hold_lock(stand)
    changed = spec_copy(tmp_path, EU_WEST, "on-demand.yaml", ON_DEMAND)
    refused = stand.run("up", str(changed), "--yes", "--skip-preflight")
    assert refused.exit_code == 1 and "being changed by another" in refused.stderr
    assert stand.state.history(STACK)[0]["result"] == "succeeded"  # the refused run left no record
    lock.unlink()

    scaled = stand.run("scale", "--tasks", "3", "--yes", "--json")
    assert scaled.exit_code == 0, scaled.output
    after = stand.state.resources(STACK)["training-service"]
    # the capacity strategy nobody confirmed was not deployed, so the service was not replaced for it
    assert after["inputs"]["capacityProviderStrategies"] == before["inputs"]["capacityProviderStrategies"]
    assert after["id"] == before["id"] and json.loads(scaled.stdout)["after"]["tasks"] == 3
    assert "replace" not in stand.state.history(STACK)[0]["resourceChanges"]
    shown = json.loads(stand.run("outputs", "--json").stdout)
    assert shown["scale"]["tasks"] == {"spec": 2, "effective": 3} and shown["overrides"] == {"tasks": 3}

    # a spec change that moves no resource (the spec now says what `scale` set) is recorded all the same
    three = spec_copy(tmp_path, EU_WEST, "three.yaml", {"tasks: 2": "tasks: 3"})
    first = stand.run("up", str(three), "--yes", "--skip-preflight")
    assert first.exit_code == 0, first.output
    assert "training.tasks changed in the spec (2 -> 3)" in first.stderr and "no changes" in first.stderr
    assert stand.state.history(STACK)[0]["resourceChanges"] == {"same": len(stand.state.resources(STACK))}
    shown = json.loads(stand.run("outputs", "--json").stdout)
    assert shown["scale"]["tasks"] == {"spec": 3, "effective": 3} and shown["overrides"] == {}
    again = stand.run("up", str(three), "--yes", "--skip-preflight")
    assert again.exit_code == 0 and "changed in the spec" not in again.stderr  # said once: it is recorded


def test_scale_after_a_failed_up_of_another_spec_asks_to_finish_that_up(
    deployed_copy: DeployedCopy, tmp_path: Path
) -> None:
    stand, _ = deployed_copy(EU_WEST)  # as `ftcluster up` of it left it
    changed = spec_copy(tmp_path, EU_WEST, "on-demand.yaml", ON_DEMAND)
    failed = stand.run(
        "up", str(changed), "--yes", "--skip-preflight", extra_env={"PULUMI_STANDIN_FAIL": "training-service"}
    )
    assert failed.exit_code == 1
    before = stand.state.history(STACK)
    refused = stand.run("scale", "--tasks", "3", "--yes")
    assert refused.exit_code == 1, refused.output
    text = " ".join(refused.stderr.split())
    assert "last update of finetune (eu-west-1) failed" in text and "ftcluster up SPEC" in text
    assert stand.state.history(STACK) == before  # nothing ran
    assert stand.run("up", str(changed), "--yes", "--skip-preflight").exit_code == 0
    assert stand.run("scale", "--tasks", "3", "--yes").exit_code == 0


def test_a_scale_the_state_cannot_take_says_to_run_up_first(deployed_copy: DeployedCopy) -> None:
    """A cluster deployed by an older ftcluster lacks a resource the scaled service now depends on: a targeted
    update may not create it (error 2013 of the real engine)."""
    stand, _ = deployed_copy(EU_WEST)  # as `ftcluster up` of it left it
    path = stand.state.backend / "stacks" / "ftcluster" / f"{STACK}.json"
    checkpoint = json.loads(path.read_text())
    latest = checkpoint["checkpoint"]["latest"]
    latest["resources"] = [r for r in latest["resources"] if not r["urn"].endswith("::cluster-capacity-providers")]
    path.write_text(json.dumps(checkpoint))

    refused = stand.run("scale", "--tasks", "3", "--yes")
    assert refused.exit_code == 1, refused.output
    text = " ".join(refused.stderr.split())
    assert "cluster-capacity-providers" in text and "older ftcluster" in text
    assert "run `ftcluster up SPEC` first" in text and "Traceback" not in refused.output
    assert "cluster-capacity-providers" not in stand.state.resources(STACK)  # the targeted run created nothing
