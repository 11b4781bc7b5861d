"""One update, preview, destroy or refresh: steps computed against the previous checkpoint, with events.

The ResourceMonitor (monitor.py) calls `register`/`read`/`invoke`/`register_outputs` from gRPC threads;
everything that touches shared state holds `self.lock`.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import provider, schema
from .aws import AwsFailure, Emulator
from .backend import STACK_TYPE, Backend, now_text
from .events import EventSink, step_metadata


class Aborted(Exception):
    """The deployment stopped (a resource failed or the user cancelled): the monitor answers UNAVAILABLE."""


def normalize(value: Any) -> Any:
    """Struct numbers arrive as floats; keep integral ones as ints so state and outputs read naturally."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


@dataclass(frozen=True)
class Options:
    """The resource options the stand-in honours (RegisterResourceRequest fields)."""

    retain_on_delete: bool = False
    protect: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool | None = None  # None: the provider decides (the aws provider: create first)
    import_id: str = ""  # the `import` option: adopt the existing resource with this id instead of creating it


def installed_plugins(folder: Path) -> set[str]:
    """Plugin folder names the engine can load, as sdk/go/common/workspace/plugins.go GetPluginsFromDir
    finds them: os.ReadDir entries, and tryPlugin skips every entry that is not a directory itself
    ("Only directories contain plugins": a symlink is not one), and any with a `.partial` file beside it."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return set()
    return {
        entry.name
        for entry in entries
        if entry.is_dir(follow_symlinks=False) and not (folder / f"{entry.name}.partial").exists()
    }


class Knobs:
    """Test controls, from the environment: make a named resource fail or hang until Ctrl-C."""

    def __init__(self, environ: dict[str, str]) -> None:
        self.fail = environ.get("PULUMI_STANDIN_FAIL", "")
        self.fail_message = environ.get("PULUMI_STANDIN_FAIL_MESSAGE", "")  # the provider's error (may span lines)
        self.hang = environ.get("PULUMI_STANDIN_HANG", "")
        # "cancel": the hung operation finishes on the first Ctrl-C; "kill": it never finishes (a slow
        # NAT gateway), so only a second Ctrl-C ends the run
        self.hang_until = environ.get("PULUMI_STANDIN_HANG_UNTIL", "cancel")
        self.ready_file = environ.get("PULUMI_STANDIN_READY_FILE", "")


class Deployment:
    def __init__(
        self,
        *,
        backend: Backend,
        stack: str,
        project: str,
        checkpoint: dict[str, Any],
        config: dict[str, str],
        sink: EventSink,
        dry_run: bool,
        targets: list[str],
        target_dependents: bool,
        knobs: Knobs,
        pulumi_home: Path,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.backend = backend
        self.stack = stack
        self.project = project
        self.checkpoint = checkpoint
        self.config = config
        self.sink = sink
        self.dry_run = dry_run
        self.targets = set(targets)
        self.target_dependents = target_dependents
        self.knobs = knobs
        self.pulumi_home = pulumi_home
        self.lock = threading.RLock()
        latest = checkpoint["checkpoint"]["latest"]
        # resources a replacement of an earlier run condemned (`delete: true`) are deleted in this run's
        # delete phase; they never match a registration
        self.condemned = [r for r in latest["resources"] if r.get("delete")]
        self.old = {r["urn"]: r for r in latest["resources"] if not r.get("delete")}
        # pkg/backend/snapshot.go: a run's checkpoint keeps the base's pending CREATE operations (they need
        # the user) plus its own unfinished ones; every other pending operation of the base is dropped
        self.base_pending_creates = [op for op in latest["pending_operations"] if op["type"] == "creating"]
        self.in_flight: list[dict[str, Any]] = []
        self.replaced: list[dict[str, Any]] = []  # old resources to delete after the creates (create-before-delete)
        self.new: dict[str, dict[str, Any]] = {}  # completed steps, in order
        self.deleted: set[str] = set()
        self.changes: Counter[str] = Counter()
        self.failed = False
        self.saw_error = False  # a preview that found an untargeted create goes on, then fails
        self.skipped_creates: set[str] = set()  # untargeted resources the program would have created
        self.cancelled = threading.Event()
        self.errors: list[tuple[str, str]] = []  # (urn, message) shown under Diagnostics
        self.warnings: list[tuple[str, str]] = []
        self.default_providers: dict[str, str] = {}
        self.provider_regions: dict[str, str] = {}
        # the AWS provider's steps in an emulator when its endpoints point at one (aws/__init__.py); a
        # destroy runs no program, so the providers of the previous state are configured here already
        self.aws = Emulator(environ or {})
        for old in [*self.old.values(), *self.condemned]:
            if old["type"] == "pulumi:providers:aws":
                reference = f"{old['urn']}::{old['id']}"
                self.provider_regions[reference] = str(old["inputs"].get("region") or self.default_region())
                self.aws.configure(reference, old["inputs"], self.default_region())
        self.cloud = backend.cloud()
        self.started = time.monotonic()

    # --- helpers ------------------------------------------------------------------------------

    def urn(self, parent: str, type_: str, name: str) -> str:
        qualified = type_
        if parent and parent != self.stack_urn():
            qualified = parent.split("::")[2] + "$" + type_
        return f"urn:pulumi:{self.stack}::{self.project}::{qualified}::{name}"

    def stack_urn(self) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{STACK_TYPE}::{self.project}-{self.stack}"

    def default_region(self) -> str:
        return self.config.get("aws:region", "us-east-1")

    def _targeted(self, urn: str, dependencies: list[str]) -> bool:
        # step_generator.go: providers (and the root stack) are implicitly targeted (pulumi#13557, #13591)
        if not self.targets or urn in self.targets or urn.split("::")[2].startswith("pulumi:providers:"):
            return True
        if self.target_dependents and any(d in self.targets for d in dependencies):
            self.targets.add(urn)
            return True
        return False

    def _check_skipped_dependencies(self, urn: str, dependencies: list[str]) -> None:
        """pkg/resource/deploy/step_generator.go, targeted runs: a step whose resource depends on a skipped create
        is error 2013 (sdk/go/common/diag/errors.go GetResourceWillBeCreatedButWasNotSpecifiedInTargetList,
        its "was was" included); an update bails at once ("untargeted create"), a preview reports every one
        and fails at the end."""
        for dependency in dependencies:
            if dependency not in self.skipped_creates:
                continue
            message = f"Resource '{urn}' depends on '{dependency}' which was was not specified in --target list."
            self.errors.append((urn, message))
            self.sink.diagnostic(message, "error", urn)
            self.saw_error = True
            if not self.dry_run:
                self.failed = True
                raise Aborted()
            self.skipped_creates.discard(dependency)  # no duplicate diagnostics

    def _check_open(self) -> None:
        if self.failed or self.cancelled.is_set():
            raise Aborted()

    def _fail(self, urn: str, message: str, metadata: dict[str, Any] | None = None) -> None:
        self.failed = True
        self.errors.append((urn, message))
        self.sink.diagnostic(message, "error", urn)
        if metadata is not None:
            self.sink.resource_failed(metadata)
        raise Aborted()

    def _require_plugin(self, package: str, version: str, urn: str) -> None:
        if package == "pulumi" or not version:
            return
        if f"resource-{package}-v{version}" not in installed_plugins(self.pulumi_home / "plugins"):
            self._fail(
                urn, f"no resource plugin 'pulumi-resource-{package}' found in the workspace at version v{version}"
            )

    def _hang_if_asked(self, name: str, resource: dict[str, Any], op: str) -> None:
        if self.knobs.hang != name or self.dry_run:
            return
        kind = {
            "create": "creating",
            "create-replacement": "creating",
            "delete": "deleting",
            "delete-replaced": "deleting",
        }.get(op, "updating")
        operation = {"resource": resource, "type": kind}
        self.in_flight.append(operation)
        self.save_checkpoint(final=False)
        if self.knobs.ready_file:
            Path(self.knobs.ready_file).write_text(str(os.getpid()), encoding="utf-8")
        self.cancelled.wait()  # released by the first Ctrl-C; the operation then completes
        if self.knobs.hang_until == "kill":
            threading.Event().wait()  # never: the second Ctrl-C ends the process
        self.in_flight.remove(operation)

    def _step(
        self,
        op: str,
        urn: str,
        type_: str,
        old: dict | None,
        new: dict | None,
        diffs: list[str],
        keys: list[str] | None = None,
        action: Callable[[], None] | None = None,
    ) -> None:
        """One step with its events; `action` carries it out in the AWS emulator (it may fail the run)."""
        name = urn.rsplit("::", 1)[-1]
        # pkg/resource/deploy/step.go: the create and delete halves of a replacement are not logical
        # steps; pkg/engine/update.go counts only logical ones in the change summary
        logical = op not in ("create-replacement", "delete-replaced")
        metadata = step_metadata(op, urn, type_, old, new, diffs, keys, logical)
        self.sink.resource_pre(metadata, self.dry_run)
        if self.knobs.fail == name and not self.dry_run and op != "replace":
            self._fail(
                urn,
                self.knobs.fail_message
                or f"{op} of {type_} {name} failed: InvalidParameterException: "
                f"the pulumi stand-in was told to fail `{name}` (PULUMI_STANDIN_FAIL)",
                metadata,
            )
        if op != "replace":
            self._hang_if_asked(name, new or old or {}, op)
        if action is not None and not self.dry_run:
            try:
                action()
            except AwsFailure as err:
                self._fail(urn, str(err), metadata)
            metadata = step_metadata(op, urn, type_, old, new, diffs, keys, logical)  # the emulator's outputs
        if logical:
            self.changes[op] += 1
        self.sink.resource_outputs(metadata, self.dry_run)

    # --- ResourceMonitor operations -------------------------------------------------------------

    def register(
        self,
        type_: str,
        name: str,
        parent: str,
        custom: bool,
        inputs: dict[str, Any],
        provider_ref: str,
        version: str,
        dependencies: list[str],
        options: Options,
    ) -> tuple[str, str, dict]:
        inputs = normalize(inputs)
        with self.lock:
            self._check_open()
            urn = self.urn(parent, type_, name)
            if type_ == STACK_TYPE:
                return self._register_stack(urn)
            if custom and not type_.startswith("pulumi:providers:"):
                provider_ref = provider_ref or self._default_provider(type_.split(":")[0], version)
            if type_.startswith("pulumi:providers:"):
                self._require_plugin(type_.split(":")[2], version or str(inputs.get("version", "")), urn)
            old = self.old.get(urn)
            targeted = self._targeted(urn, dependencies)
            if not targeted and old is None:
                self.skipped_creates.add(urn)  # an untargeted create is skipped (a "skipped create" same step)
                return urn, "", inputs
            self._check_skipped_dependencies(urn, [*dependencies, parent, provider_ref.rsplit("::", 1)[0]])
            if not targeted:
                self.new[urn] = old
                self.changes["same"] += 1
                return urn, old.get("id", ""), old.get("outputs", {})
            keys: list[str] = []
            if old is None:
                # pkg/resource/deploy/step_generator.go: a new resource with an import id is an ImportStep
                op, diffs = ("import" if options.import_id else "create"), []
            else:
                inputs = schema.apply_ignore_changes(inputs, old["inputs"], options.ignore_changes)
                diffs = sorted(k for k in set(inputs) | set(old["inputs"]) if inputs.get(k) != old["inputs"].get(k))
                keys = schema.replace_keys(type_, set(diffs), inputs, old["inputs"], options.replace_on_changes)
                op = "replace" if keys else "update" if diffs else "same"
            resource = {
                "urn": urn,
                "type": type_,
                "custom": custom,
                "parent": parent,
                "provider": provider_ref,
                "inputs": inputs,
                "dependencies": dependencies,
                "retainOnDelete": options.retain_on_delete,
                "protect": options.protect,
            }
            region = self.provider_regions.get(provider_ref, self.default_region())
            if op in ("create", "replace", "import"):
                resource_id, outputs = (
                    ("", inputs)
                    if self.dry_run
                    else provider.create_outputs(type_, urn, name, inputs, region, previous=old)
                )
                if op == "import":
                    resource_id = outputs["id"] = options.import_id
            elif op == "update":
                resource_id, outputs = old["id"], provider.update_outputs(type_, old["outputs"], inputs)
            else:
                resource_id, outputs = old["id"], old["outputs"]
            if type_.startswith("pulumi:providers:"):
                resource_id = resource_id if op != "create" else f"{abs(hash(urn)) % 10**12:012d}-provider"
                self.provider_regions[f"{urn}::{resource_id}"] = str(inputs.get("region") or self.default_region())
                if type_ == "pulumi:providers:aws":
                    self.aws.configure(f"{urn}::{resource_id}", inputs, self.default_region())
            resource.update(id=resource_id, outputs=outputs if custom else {})
            action = self._cloud_action(op, resource, old, diffs)
            if op == "replace":
                self._replace(old, resource, diffs, keys, options.delete_before_replace, action)
            else:
                self._step(op, urn, type_, old, resource, diffs, action=action)
            self.new[urn] = resource
            if not self.dry_run and custom and op in ("create", "replace", "import"):
                self.cloud[urn] = {"type": type_, "id": resource_id, "arn": outputs.get("arn", ""), "retained": False}
            return urn, resource["id"], resource["outputs"]

    def _cloud_action(
        self, op: str, resource: dict[str, Any], old: dict[str, Any] | None, diffs: list[str]
    ) -> Callable[[], None] | None:
        """The emulator call that carries out a create, replacement or update (None: canned answers)."""
        if self.dry_run or op not in ("create", "replace", "update") or not resource["custom"]:
            return None
        type_, name = resource["type"], resource["urn"].rsplit("::", 1)[-1]
        account = self.aws.account(resource["provider"], type_)
        if account is None:
            return None

        def create() -> None:
            resource_id, outputs = self.aws.create(account, type_, name, resource["inputs"], resource["outputs"])
            resource.update(id=resource_id, outputs=outputs)

        def update() -> None:
            assert old is not None
            outputs = self.aws.update(account, type_, name, old["id"], old["outputs"], resource["inputs"], diffs)
            resource.update(id=outputs.get("id", old["id"]), outputs=outputs)

        return update if op == "update" else create

    def _delete_action(self, resource: dict[str, Any]) -> Callable[[], None] | None:
        """The emulator call that deletes a resource; None when canned, or when it is kept (retainOnDelete:
        the engine never asks the provider to delete it)."""
        if self.dry_run or resource.get("retainOnDelete") or not resource.get("custom"):
            return None
        type_, name = resource["type"], resource["urn"].rsplit("::", 1)[-1]
        account = self.aws.account(resource.get("provider", ""), type_)
        if account is None:
            return None
        return lambda: self.aws.delete(account, type_, name, resource["id"], resource.get("outputs") or {})

    def _replace(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        diffs: list[str],
        keys: list[str],
        delete_before_replace: bool | None,
        create: Callable[[], None] | None = None,
    ) -> None:
        """pkg/resource/deploy/step_generator.go: create-replacement then replace, the old one deleted
        after all creates and updates (delete-replaced); deleteBeforeReplace deletes it first instead."""
        urn, type_ = new["urn"], new["type"]
        if delete_before_replace:  # the aws provider never asks for it itself; only the option does
            self._step("delete-replaced", urn, type_, old, None, diffs, keys, action=self._delete_action(old))
            self._forget_in_cloud(old)
            self._step("replace", urn, type_, old, new, diffs, keys)
            self._step("create-replacement", urn, type_, old, new, diffs, keys, action=create)
        else:
            self._step("create-replacement", urn, type_, old, new, diffs, keys, action=create)
            self._step("replace", urn, type_, old, new, diffs, keys)
            self.replaced.append({**old, "delete": True})
        if not self.dry_run:
            self.save_checkpoint(final=False)

    def _register_stack(self, urn: str) -> tuple[str, str, dict[str, Any]]:
        old = self.old.get(urn)
        resource = {
            "urn": urn,
            "type": STACK_TYPE,
            "custom": False,
            "parent": "",
            "provider": "",
            "inputs": {},
            "outputs": (old or {}).get("outputs", {}),
            "dependencies": [],
        }
        self._step("create" if old is None else "same", urn, STACK_TYPE, old, resource, [])
        self.new[urn] = resource
        return urn, "", {}

    def _default_provider(self, package: str, version: str) -> str:
        key = f"{package}@{version}"
        if key not in self.default_providers:
            name = f"default_{version.replace('.', '_')}" if version else "default"
            urn, resource_id, _ = self.register(
                f"pulumi:providers:{package}", name, "", True, {"version": version}, "", version, [], Options()
            )
            self.default_providers[key] = f"{urn}::{resource_id}"
        return self.default_providers[key]

    def read(self, type_: str, name: str, parent: str, resource_id: str, properties: dict[str, Any]) -> tuple:
        with self.lock:
            self._check_open()
            urn = self.urn(parent, type_, name)
            outputs = {**normalize(properties), "id": resource_id}
            resource = {
                "urn": urn,
                "type": type_,
                "custom": True,
                "external": True,
                "parent": parent,
                "provider": "",
                "inputs": {},
                "outputs": outputs,
                "id": resource_id,
                "dependencies": [],
            }
            self._step("read", urn, type_, self.old.get(urn), resource, [])
            self.new[urn] = resource
            return urn, outputs

    def invoke(self, token: str, args: dict[str, Any], provider_ref: str = "") -> dict[str, Any]:
        args = normalize(args)
        found = self.aws.invoke(provider_ref, token, args)
        return found if found is not None else provider.invoke(token, args, self.provider_region(provider_ref))

    def provider_region(self, provider_ref: str) -> str:
        return self.provider_regions.get(provider_ref, self.default_region())

    def register_outputs(self, urn: str, outputs: dict[str, Any]) -> None:
        with self.lock:
            if urn in self.new:
                self.new[urn]["outputs"] = normalize(outputs)

    def log(self, severity: str, message: str, urn: str) -> None:
        if "Resource monitor has terminated" in message and (self.failed or self.cancelled.is_set()):
            return  # the SDK's echo of our own shutdown
        self.sink.diagnostic(message, severity, urn)
        if severity == "error":
            self.errors.append((urn or self.stack_urn(), message))
        elif severity == "warning":
            self.warnings.append((urn or self.stack_urn(), message))

    # --- finishing ------------------------------------------------------------------------------

    def program_failed(self, message: str) -> None:
        with self.lock:
            if not (self.failed or self.cancelled.is_set()):
                self.failed = True
                if not any(message in m for _, m in self.errors):
                    self.errors.append((self.stack_urn(), message))
                    self.sink.diagnostic(message, "error", self.stack_urn())

    def delete_unregistered(self) -> None:
        """After a complete run: replaced resources, then old resources the program no longer declares,
        are deleted (newest first)."""
        for old in reversed(self.condemned + self.replaced):
            if not self.targets or old["urn"] in self.targets:
                self.delete(old, op="delete-replaced")
        for urn, old in reversed(list(self.old.items())):
            if urn in self.new or (self.targets and urn not in self.targets):
                continue
            self.delete(old)

    def delete(self, resource: dict[str, Any], op: str = "delete") -> None:
        with self.lock:
            self._step(op, resource["urn"], resource["type"], resource, None, [], action=self._delete_action(resource))
            if op == "delete":
                self.deleted.add(resource["urn"])
            else:
                self._drop_condemned(resource)
            self._forget_in_cloud(resource)
            if not self.dry_run:
                self.save_checkpoint(final=False)

    def _drop_condemned(self, resource: dict[str, Any]) -> None:
        for group in (self.condemned, self.replaced):
            for index, item in enumerate(group):
                if item["urn"] == resource["urn"] and item.get("id") == resource.get("id"):
                    del group[index]
                    return

    def _forget_in_cloud(self, resource: dict[str, Any]) -> None:
        entry = self.cloud.get(resource["urn"])
        identity = (resource.get("id"), (resource.get("outputs") or {}).get("arn", ""))
        if self.dry_run or entry is None or (entry.get("id"), entry.get("arn", identity[1])) != identity:
            return  # a replacement already took this URN's place in the cloud
        if resource.get("retainOnDelete"):
            entry["retained"] = True
        else:
            del self.cloud[resource["urn"]]

    def refresh(self) -> None:
        for resource in self.resources():
            metadata = step_metadata("refresh", resource["urn"], resource["type"], resource, resource)
            self.sink.resource_pre(metadata, self.dry_run)
            self.sink.resource_outputs(metadata, self.dry_run)
            self.new[resource["urn"]] = resource
            self.changes["same"] += 1

    def resources(self) -> list[dict[str, Any]]:
        kept = [r for urn, r in self.old.items() if urn not in self.new and urn not in self.deleted]
        live = [r for r in self.new.values() if r["urn"] not in self.deleted] + kept
        return live + self.condemned + self.replaced  # condemned ones stay, marked `delete`, until deleted

    def save_checkpoint(self, *, final: bool) -> None:
        if self.dry_run:
            return
        self.checkpoint["checkpoint"].pop("no_deployment", None)  # the stack has a deployment from now on
        latest = self.checkpoint["checkpoint"]["latest"]
        latest["resources"] = self.resources()
        latest["pending_operations"] = [*self.base_pending_creates, *self.in_flight]
        if final:
            latest["manifest"]["time"] = now_text()
        self.backend.save(self.stack, self.checkpoint)
        self.backend.save_cloud(self.cloud)

    def summary(self) -> dict[str, int]:
        return dict(self.changes)

    def elapsed(self) -> int:
        return max(1, int(time.monotonic() - self.started))
