"""The stand-in `pulumi` itself, driven by the Automation API with a tiny program (not ftcluster's).

These pin down what the engine tests rely on: a real gRPC run of the inline program, both event
transports, diffs against the previous state, retained resources, locks, and loud failure on gaps.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest
from pulumi import automation as auto
from standin_harness import BIN, StandinState, process_env, standin_env

STACK = "dev"


def tiny_program(tasks: int, with_cluster: bool = True):
    def program() -> None:
        zones = aws.get_availability_zones(state="available")
        bucket = aws.s3.Bucket("checkpoints", opts=pulumi.ResourceOptions(retain_on_delete=True))
        service_args = {"desired_count": tasks}
        if with_cluster:
            cluster = aws.ecs.Cluster("cluster")
            service_args["cluster"] = cluster.arn
        service = aws.ecs.Service("service", **service_args)
        pulumi.export("bucket", bucket.bucket)
        pulumi.export("zones", zones.names[:2])
        pulumi.export("tasks", service.desired_count)

    return program


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[auto.LocalWorkspace]:
    env = standin_env(tmp_path, None)
    for key, value in env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse")
    work_dir = tmp_path / "work"
    work_dir.mkdir()
    workspace = auto.LocalWorkspace(
        work_dir=str(work_dir),
        pulumi_home=str(tmp_path / "pulumi-home"),
        secrets_provider="passphrase",
        project_settings=auto.ProjectSettings(
            name="ftcluster", runtime="python", backend=auto.ProjectBackend(f"file://{tmp_path / 'home' / 'state'}")
        ),
    )
    workspace.install_plugin(
        "aws", f"v{json.loads(Path(aws.__file__).with_name('pulumi-plugin.json').read_text())['version']}"
    )
    yield workspace
    assert not StandinState(tmp_path).unsupported()


def state_of(workspace: auto.LocalWorkspace) -> StandinState:
    return StandinState(Path(workspace.work_dir).parent)


def test_up_runs_the_program_over_grpc_and_streams_events(workspace: auto.LocalWorkspace) -> None:
    stack = auto.Stack.create_or_select(STACK, workspace)
    stack.set_config("aws:region", auto.ConfigValue("eu-west-1"))
    events: list[auto.EngineEvent] = []
    result = stack.up(program=tiny_program(2), on_event=events.append)
    assert {k: v.value for k, v in result.outputs.items()} == {
        "bucket": "checkpoints-" + result.outputs["bucket"].value.split("-")[1],
        "zones": ["eu-west-1a", "eu-west-1b"],
        "tasks": 2,
    }
    # stack, default provider, bucket, cluster, service
    assert result.summary.resource_changes == {"create": 5}
    kinds = [
        next(k for k, v in vars(e).items() if v is not None and k not in ("sequence", "timestamp")) for e in events
    ]
    assert kinds[0] == "prelude_event" and kinds[-2:] == ["summary_event", "cancel_event"]
    assert kinds.count("resource_pre_event") == kinds.count("res_outputs_event") == 5
    assert [e.sequence for e in events] == sorted(e.sequence for e in events)
    service = state_of(workspace).resources(STACK)["service"]
    assert service["inputs"]["desiredCount"] == 2 and service["outputs"]["id"].startswith("arn:aws:ecs:eu-west-1:")


def test_diffs_against_the_previous_state_targets_and_deletes(workspace: auto.LocalWorkspace) -> None:
    stack = auto.Stack.create_or_select(STACK, workspace)
    stack.up(program=tiny_program(2))
    assert stack.up(program=tiny_program(2)).summary.resource_changes == {"same": 5}
    urn = next(r["urn"] for r in stack.export_stack().deployment["resources"] if r["urn"].endswith("::service"))
    changed = stack.preview(program=tiny_program(3), on_event=lambda e: None)
    assert changed.change_summary == {"update": 1, "same": 4}
    targeted = stack.up(program=tiny_program(3, with_cluster=False), target=[urn])
    assert targeted.summary.resource_changes == {"replace": 1, "same": 3}  # the service's cluster is ForceNew
    assert "cluster" in state_of(workspace).resources(STACK)  # untargeted: kept although the program dropped it
    shrunk = stack.up(program=tiny_program(3, with_cluster=False))
    assert shrunk.summary.resource_changes == {"delete": 1, "same": 4}
    stack.destroy(program=tiny_program(3))
    cloud = state_of(workspace).cloud()
    assert [(urn.split("::")[-1], item["retained"]) for urn, item in cloud.items()] == [("checkpoints", True)]


def test_old_clis_get_events_through_the_file_log(workspace: auto.LocalWorkspace, monkeypatch) -> None:
    monkeypatch.setenv("PULUMI_STANDIN_VERSION", "3.200.0")  # <= 3.205: the Automation API tails a file
    workspace.pulumi_command = auto.PulumiCommand()
    stack = auto.Stack.create_or_select(STACK, workspace)
    events: list[auto.EngineEvent] = []
    stack.up(program=tiny_program(1), on_event=events.append)
    assert sum(1 for e in events if e.res_outputs_event) == 5 and events[-1].cancel_event


def test_a_held_lock_is_a_concurrent_update_until_cancel(workspace: auto.LocalWorkspace) -> None:
    stack = auto.Stack.create_or_select(STACK, workspace)
    state = state_of(workspace)
    lock = state.backend / "locks" / "organization" / "ftcluster" / STACK / "x.json"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": 1, "username": "u", "hostname": "h", "timestamp": "t"}))
    with pytest.raises(auto.ConcurrentUpdateError, match="currently locked by 1 lock"):
        stack.up(program=tiny_program(1))
    stack.cancel()
    assert not lock.exists()
    stack.up(program=tiny_program(1))
    assert not state.locks(STACK)


def test_a_wrong_passphrase_and_a_missing_plugin_fail_like_the_real_cli(
    workspace: auto.LocalWorkspace, monkeypatch
) -> None:
    stack = auto.Stack.create_or_select(STACK, workspace)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "wrong")
    with pytest.raises(auto.CommandError, match="incorrect passphrase"):
        stack.up(program=tiny_program(1))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse")
    workspace.pulumi_home = str(Path(workspace.work_dir).parent / "empty-home")
    with pytest.raises(auto.CommandError, match="no resource plugin 'pulumi-resource-aws' found"):
        stack.up(program=tiny_program(1))


def test_a_program_error_is_an_inline_source_error(workspace: auto.LocalWorkspace) -> None:
    def broken() -> None:
        aws.s3.Bucket("ok")
        raise ValueError("the spec said no")

    stack = auto.Stack.create_or_select(STACK, workspace)
    with pytest.raises(auto.InlineSourceRuntimeError, match="the spec said no"):
        stack.up(program=broken)


def test_unknown_invocations_fail_loudly_and_are_logged(tmp_path: Path) -> None:
    env = process_env(standin_env(tmp_path, None))
    result = subprocess.run(
        [str(BIN / "pulumi"), "import", "aws:s3/bucket:Bucket", "b", "id"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "unsupported invocation: pulumi import" in result.stderr
    assert StandinState(tmp_path).unsupported() == [["import", "aws:s3/bucket:Bucket", "b", "id"]]
    assert os.access(BIN / "pulumi", os.X_OK)


def test_only_real_plugin_folders_load_but_a_linked_plugins_folder_does(
    workspace: auto.LocalWorkspace, tmp_path: Path
) -> None:
    stack = auto.Stack.create_or_select(STACK, workspace)
    installed = next((Path(workspace.pulumi_home) / "plugins").glob("resource-aws-v*"))
    linked_one = tmp_path / "linked-one" / "plugins"
    linked_one.mkdir(parents=True)
    (linked_one / installed.name).symlink_to(installed, target_is_directory=True)
    workspace.pulumi_home = str(linked_one.parent)
    with pytest.raises(auto.CommandError, match="no resource plugin 'pulumi-resource-aws' found"):
        stack.up(program=tiny_program(1))  # tryPlugin: "Only directories contain plugins"
    linked_all = tmp_path / "linked-all"
    linked_all.mkdir()
    (linked_all / "plugins").symlink_to(installed.parent, target_is_directory=True)
    workspace.pulumi_home = str(linked_all)
    stack.up(program=tiny_program(1))


def test_the_environments_backend_url_wins_over_the_project_file(
    workspace: auto.LocalWorkspace, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path / 'from-env'}")
    auto.Stack.create_or_select(STACK, workspace)
    assert (tmp_path / "from-env" / ".pulumi" / "stacks" / "ftcluster" / f"{STACK}.json").exists()
    assert not state_of(workspace).has_stack(STACK)
    assert workspace.list_stacks()[0].update_in_progress is None  # a diy backend never reports it


def test_ignore_changes_keep_old_inputs_and_force_new_properties_replace(workspace: auto.LocalWorkspace) -> None:
    def program(tasks: int, family: str, launch_type: str = "FARGATE", **options) -> Callable[[], None]:
        def run() -> None:
            aws.ecs.TaskDefinition("task", family=family, container_definitions="[]")
            aws.ecs.Service(
                "service",
                desired_count=tasks,
                launch_type=launch_type,
                opts=pulumi.ResourceOptions(ignore_changes=["desired_count"], **options),
            )

        return run

    stack = auto.Stack.create_or_select(STACK, workspace)
    stack.up(program=program(1, "a"))
    ignored = stack.up(program=program(5, "a"))
    assert ignored.summary.resource_changes == {"same": 4}
    assert state_of(workspace).resources(STACK)["service"]["inputs"]["desiredCount"] == 1
    events: list[auto.EngineEvent] = []
    replaced = stack.up(program=program(5, "b"), on_event=events.append)
    assert replaced.summary.resource_changes == {"replace": 1, "same": 3}  # only logical steps count
    steps = [
        (e.resource_pre_event.metadata.op.value, e.resource_pre_event.metadata.logical)
        for e in events
        if e.resource_pre_event and e.resource_pre_event.metadata.urn.endswith("::task")
    ]
    # `logical` is omitempty (sdk/go/common/apitype/events.go): the halves of a replacement do not send it
    assert steps == [("create-replacement", None), ("replace", True), ("delete-replaced", None)]

    def service_steps(**options) -> list[str]:
        events.clear()
        stack.up(program=program(7, "b", **options), on_event=events.append)
        return [
            e.resource_pre_event.metadata.op.value
            for e in events
            if e.resource_pre_event and e.resource_pre_event.metadata.urn.endswith("::service")
        ]

    assert service_steps(replace_on_changes=["desiredCount"]) == ["same"]  # ignored, so never a change
    assert service_steps(launch_type="EC2", delete_before_replace=True) == [
        "delete-replaced",
        "replace",
        "create-replacement",
    ]


def test_refresh_keeps_pending_creates_and_up_only_warns(workspace: auto.LocalWorkspace) -> None:
    stack = auto.Stack.create_or_select(STACK, workspace)
    stack.up(program=tiny_program(1))
    path = state_of(workspace).backend / "stacks" / "ftcluster" / f"{STACK}.json"
    checkpoint = json.loads(path.read_text())
    service = next(r for r in checkpoint["checkpoint"]["latest"]["resources"] if r["urn"].endswith("::service"))
    checkpoint["checkpoint"]["latest"]["pending_operations"] = [
        {"resource": service, "type": "creating"},
        {"resource": service, "type": "updating"},
    ]
    path.write_text(json.dumps(checkpoint))
    stack.refresh()  # exit 0
    assert [op["type"] for op in stack.export_stack().deployment["pending_operations"]] == ["creating"]
    warnings: list[str] = []
    stack.up(
        program=tiny_program(1),
        on_event=lambda e: (
            e.diagnostic_event
            and e.diagnostic_event.severity == "warning"
            and warnings.append(e.diagnostic_event.message)
        ),
    )
    assert warnings and warnings[0].startswith("Attempting to deploy or update resources with 1 pending")
    assert [op["type"] for op in stack.export_stack().deployment["pending_operations"]] == ["creating"]
    stack.refresh(clear_pending_creates=True)
    assert stack.export_stack().deployment["pending_operations"] == []


def test_which_changes_replace() -> None:
    from pulumi_standin.schema import replace_keys

    service = "aws:ecs/service:Service"
    assert replace_keys(service, {"desiredCount"}, {}, {}, []) == []
    assert replace_keys(service, {"propagateTags"}, {}, {}, ["propagateTags"]) == ["propagateTags"]
    assert replace_keys(service, {"propagateTags", "name"}, {}, {}, ["*"]) == ["name", "propagateTags"]
    strategy = {"capacityProviderStrategies": [{"capacityProvider": "FARGATE"}]}
    changed = {"capacityProviderStrategies"}
    assert replace_keys(service, changed, {**strategy, "forceNewDeployment": True}, strategy, []) == []
    assert replace_keys(service, changed, strategy, strategy, []) == ["capacityProviderStrategies"]
    assert replace_keys("aws:ecs/taskDefinition:TaskDefinition", {"tags", "cpu"}, {}, {}, []) == ["cpu"]
    # what ends a finished job: a new definition or value updates in place, a new name replaces
    machine, parameter = "aws:sfn/stateMachine:StateMachine", "aws:ssm/parameter:Parameter"
    assert replace_keys(machine, {"definition", "roleArn"}, {}, {}, []) == []
    assert replace_keys(machine, {"name", "definition"}, {}, {}, []) == ["name"]
    assert replace_keys(parameter, {"insecureValue", "description"}, {}, {}, []) == []
    assert replace_keys("aws:cloudwatch/eventRule:EventRule", {"eventPattern"}, {}, {}, []) == []
    assert replace_keys("aws:cloudwatch/eventTarget:EventTarget", {"arn", "targetId"}, {}, {}, []) == ["targetId"]


def test_history_records_each_run_with_its_config_and_a_new_stack_has_no_deployment(
    workspace: auto.LocalWorkspace,
) -> None:
    stack = auto.Stack.create_or_select(STACK, workspace)
    fresh = workspace.list_stacks()[0]
    assert (fresh.last_update, fresh.resource_count) == (None, None)  # CreateStack saved an empty deployment
    assert stack.export_stack().deployment is None and stack.history() == []
    stack.set_all_config({"aws:region": auto.ConfigValue("eu-west-1"), "ftcluster:spec": auto.ConfigValue("one")})
    stack.up(program=tiny_program(1))
    stack.set_config("ftcluster:spec", auto.ConfigValue("two"))  # the config file only
    lock = state_of(workspace).backend / "locks" / "organization" / "ftcluster" / STACK / "x.json"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(json.dumps({"pid": 1, "username": "u", "hostname": "h", "timestamp": "t"}))
    with pytest.raises(auto.ConcurrentUpdateError):
        stack.up(program=tiny_program(2))
    lock.unlink()
    (entry,) = stack.history(show_secrets=False)  # the refused run left no record
    assert (entry.kind, entry.result, entry.version) == ("update", "succeeded", 0)
    assert {key: value.value for key, value in entry.config.items()} == {
        "aws:region": "eu-west-1",
        "ftcluster:spec": "one",
    }
    deployed = workspace.list_stacks()[0]
    assert deployed.resource_count == 5 and deployed.last_update is not None
    shown = subprocess.run(
        [str(BIN / "pulumi"), "stack", "history", "--json", "--stack", STACK],
        cwd=workspace.work_dir,
        env=process_env({}),
        capture_output=True,
        text=True,
        check=True,
    )
    raw = json.loads(shown.stdout)[0]
    assert raw["config"]["ftcluster:spec"] == {"value": "one", "secret": False}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", raw["startTime"])  # FormatTime


def test_a_targeted_run_that_needs_an_untargeted_create_is_error_2013(workspace: auto.LocalWorkspace) -> None:
    stack = auto.Stack.create_or_select(STACK, workspace)
    stack.up(program=tiny_program(1, with_cluster=False))
    service = next(r["urn"] for r in stack.export_stack().deployment["resources"] if r["urn"].endswith("::service"))
    cluster = service.replace("aws:ecs/service:Service::service", "aws:ecs/cluster:Cluster::cluster")
    expected = re.escape(f"Resource '{service}' depends on '{cluster}' which was was not specified in --target list.")
    with pytest.raises(auto.CommandError, match=expected):
        stack.preview(program=tiny_program(2), target=[service], on_event=lambda e: None)
    with pytest.raises(auto.CommandError, match=expected):
        stack.up(program=tiny_program(2), target=[service])
    assert "cluster" not in state_of(workspace).resources(STACK)
    assert state_of(workspace).resources(STACK)["service"]["inputs"]["desiredCount"] == 1


def test_a_backend_with_stacks_in_legacy_places_keeps_the_legacy_layout(
    workspace: auto.LocalWorkspace, monkeypatch
) -> None:
    meta = state_of(workspace).backend
    (meta / "stacks").mkdir(parents=True)
    other = {
        "version": 3,
        "checkpoint": {
            "stack": "webapp-prod",
            "latest": {"manifest": {"time": "2024-01-01T00:00:00.000000Z"}, "resources": [], "pending_operations": []},
        },
    }
    (meta / "stacks" / "webapp-prod.json").write_text(json.dumps(other))
    stack = auto.Stack.create_or_select(STACK, workspace)
    assert (meta / "stacks" / f"{STACK}.json").exists() and not (meta / "meta.yaml").exists()
    assert sorted(s.name for s in workspace.list_stacks()) == [STACK, "webapp-prod"]  # every project's stacks
    lock = meta / "locks" / STACK / "x.json"  # stackLockDir of a bare stack name
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": 1, "username": "u", "hostname": "h", "timestamp": "t"}))
    with pytest.raises(auto.ConcurrentUpdateError):
        stack.up(program=tiny_program(1))
    stack.cancel()
    stack.up(program=tiny_program(1))
    assert list((meta / "history" / STACK).glob(f"{STACK}-*.history.json"))
    monkeypatch.setenv("PULUMI_STANDIN_VERSION", "3.257.0")
    with pytest.raises(auto.CommandError, match="Legacy DIY state is deprecated"):
        workspace.list_stacks()
    monkeypatch.setenv("PULUMI_DIY_BACKEND_IGNORE_DEPRECATION_ERROR", "1")
    assert len(workspace.list_stacks()) == 2


def test_ctrl_c_before_the_run_starts_kills_the_cli_and_leaves_the_lock(workspace: auto.LocalWorkspace) -> None:
    auto.Stack.create_or_select(STACK, workspace)
    ready = Path(workspace.work_dir).parent / "ready"
    env = process_env({"PULUMI_STANDIN_STALL_AFTER_LOCK": "60", "PULUMI_STANDIN_READY_FILE": str(ready)})
    process = subprocess.Popen(
        [str(BIN / "pulumi"), "up", "--stack", STACK, "--yes", "--skip-preview", "--non-interactive"],
        cwd=workspace.work_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    assert process.wait(30) == -signal.SIGINT  # killed by the signal, no handler yet
    assert state_of(workspace).locks(STACK)
