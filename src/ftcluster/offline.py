"""Run the real program under the Pulumi SDK's mock runtime: no CLI, no credentials, no network.

Collects every registered resource with its inputs, dependencies and options. Values only AWS
knows (ids, ARNs, AZ names, the AMI id, the account id) become marked placeholders.
"""

from __future__ import annotations

import contextvars
import importlib.util
import json
import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .program import names as logical
from .program.options import JOBS, ProgramOptions
from .spec import Spec

PLACEHOLDER_PREFIX = "<known after deploy: "
MAX_ZONES = 6  # the spec allows at most 6 AZs


def placeholder(what: str) -> str:
    return f"{PLACEHOLDER_PREFIX}{what}>"


@dataclass(frozen=True)
class PlannedResource:
    type: str  # e.g. aws:ecs/service:Service
    name: str  # logical (Pulumi) name, unique in the program
    inputs: dict[str, Any]  # as sent to the provider: camelCase keys, resolved values
    dependencies: list[str]  # logical names of the resources it waits for
    options: dict[str, Any]  # provider, retainOnDelete, ignoreChanges, dependsOn-style flags

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "name": self.name,
            "inputs": self.inputs,
            "dependencies": self.dependencies,
            "options": self.options,
        }


@dataclass(frozen=True)
class OfflinePlan:
    resources: list[PlannedResource]  # in concern order, then by name
    exports: dict[str, Any]  # stack outputs as they would be exported
    diagnostics: list[str] = field(default_factory=list)  # pulumi log lines, kept off the terminal

    def by_name(self, name: str) -> PlannedResource:
        return next(r for r in self.resources if r.name == name)

    def of_type(self, type_token: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_token]


# --- grouping for display (pure data; the CLI renders it) -----------------------------------------

CONCERNS = (
    "provider",
    "network",
    "security",
    "iam",
    "logs",
    "event recording",
    "checkpoints",
    "compute",
    "scaling",
    "fleet",
    "fleet workers",
    "distributed",
    "completion",
)
_MODULE_CONCERN = {
    "ec2": "network",
    "iam": "iam",
    "cloudwatch": "logs",
    "s3": "checkpoints",
    "ecs": "compute",
    "appautoscaling": "scaling",
    "autoscaling": "fleet",
    "servicediscovery": "distributed",
}
_TYPE_CONCERN = {
    logical.PROVIDER_TYPE: "provider",
    logical.SECURITY_GROUP_TYPE: "security",
    logical.LAUNCH_TEMPLATE_TYPE: "fleet",
    logical.SPOT_FLEET_REQUEST_TYPE: "fleet",
    logical.CAPACITY_PROVIDER_TYPE: "fleet",
}


def concern_of(type_token: str, name: str) -> str:
    if type_token in _TYPE_CONCERN:
        return _TYPE_CONCERN[type_token]
    if name in logical.COMPLETION_NAMES or name in {logical.completion_marker(job) for job in JOBS}:
        return "completion"  # what ends a finished job: rule, state machine, their roles, the markers
    if name in logical.DISTRIBUTED_NAMES:
        return "distributed"  # the elastic job's Cloud Map namespace and registries, and its rendezvous
    if name in logical.FLEET_WORKERS_NAMES:
        return "fleet workers"
    if name in logical.EVENT_RECORDING_NAMES:
        return "event recording"  # the ledger's log group, its resource policy, rules and targets
    module = type_token.split(":")[1].split("/")[0]
    return _MODULE_CONCERN.get(module, "other")


def _natural(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _ordered(resources: list[PlannedResource]) -> list[PlannedResource]:
    """By concern, and inside a concern in dependency order (ties by name): reads top-down."""

    def concern_rank(resource: PlannedResource) -> int:
        concern = concern_of(resource.type, resource.name)
        return CONCERNS.index(concern) if concern in CONCERNS else len(CONCERNS)

    ordered: list[PlannedResource] = []
    for rank in sorted({concern_rank(r) for r in resources}):
        group = sorted((r for r in resources if concern_rank(r) == rank), key=lambda r: _natural(r.name))
        placed: set[str] = set()
        names = {r.name for r in group}
        while group:
            ready = next((r for r in group if all(d in placed or d not in names for d in r.dependencies)), group[0])
            ordered.append(ready)
            placed.add(ready.name)
            group.remove(ready)
    return ordered


# --- the mock runtime ----------------------------------------------------------------------------


def _partition(region: str) -> dict[str, str]:
    """Partition facts of a region from botocore's own endpoint data (no network)."""
    found = importlib.util.find_spec("botocore")
    locations = list(found.submodule_search_locations or []) if found else []
    data_file = Path(locations[0]) / "data" / "partitions.json" if locations else None
    entries = json.loads(data_file.read_text(encoding="utf-8"))["partitions"] if data_file else []
    for entry in entries:
        if region in entry.get("regions", {}) or re.match(entry.get("regionRegex", "^$"), region):
            suffix = entry["outputs"]["dnsSuffix"]
            return {
                "partition": entry["id"],
                "dnsSuffix": suffix,
                "reverseDnsPrefix": ".".join(reversed(suffix.split("."))),
                "id": entry["id"],
            }
    return {"partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws", "id": "aws"}


def _mocks_class() -> type:
    from pulumi.runtime import Mocks

    class OfflineMocks(Mocks):
        """Answers lookups and creations with placeholders where only AWS would know the value."""

        def __init__(self, region: str) -> None:
            self.region = region

        def call(self, args: Any) -> Any:  # a dict of outputs (Mocks.call also takes a tuple with failures)
            token = args.token
            if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
                zones = range(1, MAX_ZONES + 1)
                return {
                    "names": [placeholder(f"AZ {i} of {self.region}") for i in zones],
                    "zoneIds": [placeholder(f"zone id {i}") for i in zones],
                    "id": self.region,
                }
            if token == "aws:index/getCallerIdentity:getCallerIdentity":
                account = placeholder("account id")
                return {
                    "accountId": account,
                    "arn": placeholder("caller ARN"),
                    "userId": placeholder("user id"),
                    "id": account,
                }
            if token == "aws:index/getPartition:getPartition":
                return _partition(self.region)
            if token == "aws:ssm/getParameter:getParameter":
                value = placeholder(f"AMI id from SSM {args.args.get('name')}")
                return {"name": args.args.get("name"), "value": value, "insecureValue": value, "type": "String"}
            return {}

        def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
            state = dict(args.inputs)
            state.setdefault("arn", placeholder(f"ARN of {args.name}"))
            if args.typ == logical.LAUNCH_TEMPLATE_TYPE:
                state["latestVersion"] = placeholder("launch template version")
            return placeholder(f"id of {args.name}"), state

    return OfflineMocks


def _monitor_class() -> type:
    from .pulumi_private import mock_monitor_class

    class RecordingMonitor(mock_monitor_class()):  # type: ignore[misc]
        """The SDK's mock monitor, also keeping what a policy check needs: deps and options."""

        def __init__(self, mocks: Any) -> None:
            super().__init__(mocks)
            self.registrations: list[dict[str, Any]] = []

        def RegisterResource(self, request: Any) -> Any:
            response = super().RegisterResource(request)
            if request.type != logical.STACK_TYPE:
                self.registrations.append(
                    {
                        "urn": response.urn,
                        "type": request.type,
                        "name": request.name,
                        "dependencies": list(request.dependencies),
                        "provider": request.provider,
                        "retainOnDelete": bool(request.retainOnDelete),
                        "protect": bool(request.protect),
                        "ignoreChanges": list(request.ignoreChanges),
                        "deleteBeforeReplace": bool(request.deleteBeforeReplace),
                        "importId": request.importId or None,
                    }
                )
            return response

    return RecordingMonitor


def run_offline(spec: Spec, options: ProgramOptions = ProgramOptions()) -> OfflinePlan:
    """Build the cluster's program against mocks and return what it registered.

    Runs in a fresh context, so repeated runs in one process do not share Pulumi state.
    Errors of the program itself (FtclusterError, e.g. a bad override) propagate unchanged.
    """
    return contextvars.Context().run(_run, spec, options)


def _run(spec: Spec, options: ProgramOptions) -> OfflinePlan:
    messages: list[str] = []
    logger = logging.getLogger(f"ftcluster.offline.{id(messages)}")
    logger.propagate = False  # never to the terminal: pulumi's warnings are ours to show or not
    logger.addHandler(_ListHandler(messages))
    logger.setLevel(logging.INFO)  # pulumi's debug trace is noise even for --debug
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pulumi_aws deprecation chatter on import
            return _run_quietly(spec, options, logger, messages)
    finally:
        logger.handlers.clear()
        logging.Logger.manager.loggerDict.pop(logger.name, None)


def _run_quietly(spec: Spec, options: ProgramOptions, logger: logging.Logger, messages: list[str]) -> OfflinePlan:
    import pulumi
    from pulumi.runtime import set_mocks

    from .program import build
    from .pulumi_private import run_program, wait_for

    monitor = _monitor_class()(_mocks_class()(spec.region))
    set_mocks(monitor.mocks, project="ftcluster", stack=spec.name, preview=False, logger=logger, monitor=monitor)
    exports: dict[str, Any] = {}

    def program() -> None:
        outputs = build(spec, options)
        resolved: dict[str, Any] | None = wait_for(pulumi.Output.from_input(outputs).future())
        exports.update(resolved or {})

    run_program(program)
    return OfflinePlan(_planned(monitor), exports, messages)


def _planned(monitor: Any) -> list[PlannedResource]:
    registered = monitor.get_registered_resources()
    names = {record["urn"]: record["name"] for record in monitor.registrations}
    resources = []
    for record in monitor.registrations:
        provider_urn = record["provider"].rsplit("::", 1)[0] if record["provider"] else ""
        options: dict[str, Any] = {
            "provider": names.get(provider_urn),
            "retainOnDelete": record["retainOnDelete"],
            "protect": record["protect"],
            "ignoreChanges": record["ignoreChanges"],
            "deleteBeforeReplace": record["deleteBeforeReplace"],
            "importId": record["importId"],
        }
        state = registered[record["urn"]].state
        resources.append(
            PlannedResource(
                type=record["type"],
                name=record["name"],
                inputs=_inputs_of(record["type"], record["name"], state),
                dependencies=sorted({names[urn] for urn in record["dependencies"] if urn in names}),
                options=options,
            )
        )
    return _ordered(resources)


def _inputs_of(type_token: str, name: str, state: dict[str, Any]) -> dict[str, Any]:
    """The inputs as registered: the mock state minus the outputs our mocks added (its own ARN; an
    `arn` input naming another resource, as an EventBridge target's, stays)."""
    inputs = _plain(state)
    if inputs.get("arn") == placeholder(f"ARN of {name}"):
        inputs.pop("arn")
    if type_token == logical.LAUNCH_TEMPLATE_TYPE:
        inputs.pop("latestVersion", None)
    if type_token == logical.PROVIDER_TYPE:
        # Provider inputs travel as JSON text; show them as data.
        inputs = {key: _maybe_json(value) for key, value in inputs.items()}
    return inputs


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _plain(value: Any) -> Any:
    """JSON-ready and stable: sorted keys, and whole numbers back to int (the wire has doubles)."""
    if isinstance(value, dict):
        return {key: _plain(value[key]) for key in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__()
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(f"{record.levelname.lower()}: {record.getMessage()}")
