"""The scale a cluster runs at, kept in stack config so `up` does not silently undo `scale`.

Stack config (it travels with the stack's update history, so teammates see it too):
  ftcluster:spec           the spec as last applied (JSON)
  ftcluster:tasks, ftcluster:fleetCapacity, ftcluster:minTasks, ftcluster:maxTasks
                           values set by `ftcluster scale` that override the spec

The rule at `up`: an override stays while the spec's own value is the one it overrode; once the
spec's value changes (compared with the spec last applied), the spec wins and the override goes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from ..errors import UsageError
from ..program.options import Counts, ProgramOptions, effective_counts
from ..spec import Spec

SPEC_KEY = "ftcluster:spec"


def _fleet(spec: Spec) -> Any:
    return spec.fleet if spec.fleet is not None and spec.fleet.enabled else None


@dataclass(frozen=True)
class ScaleSetting:
    """One number `ftcluster scale` can set: where the spec keeps it, where the stack records an override,
    which stack output shows it as deployed, and how the program's counts hold it."""

    name: str  # the Overrides field and the key of every scale view: "tasks"
    label: str  # the spec key people know it by: "training.tasks"
    config_key: str  # stack config of the override: "ftcluster:tasks"
    output: str  # stack output of the deployed value: "desired_tasks"
    in_spec: Callable[[Spec], int | None]  # None: the spec has no such setting
    deployed: Callable[[Counts], int | None]  # what the program deploys


SCALE_SETTINGS: tuple[ScaleSetting, ...] = (
    ScaleSetting(
        "tasks",
        "training.tasks",
        "ftcluster:tasks",
        "desired_tasks",
        lambda spec: spec.training.tasks,
        lambda counts: counts.tasks,
    ),
    ScaleSetting(
        "instances",  # as the flag (`scale --instances`) and the spec key name it
        "fleet.instances",
        "ftcluster:fleetCapacity",
        "fleet_target_capacity",
        lambda spec: fleet.instances if (fleet := _fleet(spec)) else None,
        lambda counts: counts.fleet_capacity,
    ),
    ScaleSetting(
        "workers",
        "fleet.workers.tasks",
        "ftcluster:workers",
        "workers_desired",
        lambda spec: fleet.workers.tasks if (fleet := _fleet(spec)) and fleet.workers else None,
        lambda counts: counts.workers,
    ),
    ScaleSetting(
        "min_tasks",
        "autoscaling.min_tasks",
        "ftcluster:minTasks",
        "autoscaling_min",
        lambda spec: spec.autoscaling.min_tasks if spec.autoscaling else None,
        lambda counts: counts.scaling_min if counts.autoscaling else None,
    ),
    ScaleSetting(
        "max_tasks",
        "autoscaling.max_tasks",
        "ftcluster:maxTasks",
        "autoscaling_max",
        lambda spec: spec.autoscaling.max_tasks if spec.autoscaling else None,
        lambda counts: counts.scaling_max if counts.autoscaling else None,
    ),
)
SETTING = {setting.name: setting for setting in SCALE_SETTINGS}


@dataclass(frozen=True)
class Overrides:
    tasks: int | None = None
    instances: int | None = None
    workers: int | None = None
    min_tasks: int | None = None
    max_tasks: int | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, str]) -> Overrides:
        values = {}
        for setting in SCALE_SETTINGS:
            text = config.get(setting.config_key)
            if text not in (None, ""):
                try:
                    values[setting.name] = int(text)
                except ValueError:
                    pass  # a hand-edited, unusable value counts as no override
        return cls(**values)

    def items(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def config(self) -> dict[str, str]:
        """Config entries for the overrides that are set."""
        return {SETTING[name].config_key: str(value) for name, value in self.items().items()}

    def options(self, *, delete_checkpoints: bool = False, completed: frozenset[str] = frozenset()) -> ProgramOptions:
        return ProgramOptions(
            tasks=self.tasks,
            fleet_capacity=self.instances,
            workers=self.workers,
            min_tasks=self.min_tasks,
            max_tasks=self.max_tasks,
            delete_checkpoints=delete_checkpoints,
            completed=completed,
        )


def spec_values(spec: Spec) -> dict[str, int | None]:
    return {setting.name: setting.in_spec(spec) for setting in SCALE_SETTINGS}


def effective_values(spec: Spec, overrides: Overrides) -> dict[str, int | None]:
    values = spec_values(spec)
    values.update(overrides.items())
    return values


def deployed_values(spec: Spec, overrides: Overrides, completed: frozenset[str] = frozenset()) -> dict[str, int | None]:
    """Each setting as the program deploys it (its own arithmetic: pinned bounds, no fleet, completed jobs...)."""
    counts = effective_counts(spec, overrides.options(completed=completed))
    return {setting.name: setting.deployed(counts) for setting in SCALE_SETTINGS}


def scale_view(spec: Spec | None, outputs: Mapping[str, Any]) -> dict[str, dict[str, int | None]]:
    """{"tasks": {"spec": 6, "effective": 8}, ...}: the spec's value next to the deployed one (stack outputs)."""
    specified = spec_values(spec) if spec is not None else dict.fromkeys(SETTING)
    return {s.name: {"spec": specified[s.name], "effective": outputs.get(s.output)} for s in SCALE_SETTINGS}


@dataclass(frozen=True)
class UpPlan:
    overrides: Overrides  # what stays in force for this `up`
    notes: tuple[str, ...]
    force_new_deployment: bool = False  # the training service's capacity strategy changes: redeploy it
    adopt_insights_log_group: bool = False  # Container Insights' own log group exists: import it
    completed: frozenset[str] = frozenset()  # jobs that completed and stay at 0
    restarted: frozenset[str] = frozenset()  # completed jobs `up --restart` starts again

    def options(self) -> ProgramOptions:
        return replace(
            self.overrides.options(completed=self.completed),
            force_new_deployment=self.force_new_deployment,
            adopt_insights_log_group=self.adopt_insights_log_group,
        )

    def counts(self, spec: Spec) -> dict[str, int]:
        """The counts this `up` deploys (overrides and completed jobs applied), for the cost estimate."""
        values = deployed_values(spec, self.overrides, self.completed)
        return {name: value for name in ("tasks", "instances", "workers") if (value := values[name]) is not None}


def plan_up(spec: Spec, applied: Spec | None, overrides: Overrides) -> UpPlan:
    """Which `scale` overrides survive an `up` of `spec`, given the spec applied last time."""
    new, old = spec_values(spec), spec_values(applied) if applied is not None else None
    kept: dict[str, int] = {}
    notes: list[str] = []
    for name, value in overrides.items().items():
        label = SETTING[name].label
        if new[name] is None:
            notes.append(f"dropping the scaled {label} ({value}): the spec no longer has that setting")
        elif old is not None and new[name] != old[name]:
            notes.append(
                f"{label} changed in the spec ({old[name]} -> {new[name]}); it replaces the scaled value {value}"
            )
        else:
            kept[name] = value
            notes.append(
                f"keeping {label} = {value} from `ftcluster scale` (the spec says {new[name]}); "
                f"change it in the spec, or run `ftcluster scale --reset`"
            )
    result = Overrides(**kept)
    try:
        effective_counts(spec, result.options())
    except UsageError as err:
        notes.append(f"dropping the scaled values ({err.message}); the spec's own values apply")
        result = Overrides()
    return UpPlan(result, tuple(notes))


def plan_scale(
    spec: Spec,
    overrides: Overrides,
    *,
    tasks: int | None,
    instances: int | None,
    adjust_limits: bool,
    workers: int | None = None,
) -> Overrides:
    """The overrides after `ftcluster scale`; UsageError when the request cannot apply to `spec`."""
    if tasks is None and instances is None and workers is None:
        raise UsageError("nothing to scale", hint="pass --tasks N, --workers W and/or --instances M (or --reset)")
    if adjust_limits and tasks is None:
        raise UsageError("--adjust-limits moves the auto scaling limits to include --tasks; give --tasks too")
    result = overrides
    if instances is not None:
        result = replace(result, instances=instances)
    if workers is not None:
        result = replace(result, workers=workers)
    if tasks is not None:
        result = replace(result, tasks=tasks)
        current = effective_values(spec, result)
        low, high = current["min_tasks"], current["max_tasks"]
        if low is not None and high is not None and not low <= tasks <= high:
            if not adjust_limits:
                raise UsageError(
                    f"{tasks} tasks is outside the auto scaling limits {low}..{high} of cluster {spec.name}",
                    hint=f"pass --adjust-limits to move the limits to {min(low, tasks)}..{max(high, tasks)}, "
                    "or pick a count within them",
                )
            result = replace(result, min_tasks=min(low, tasks), max_tasks=max(high, tasks))
        elif adjust_limits and low is None:
            raise UsageError(f"cluster {spec.name} has no auto scaling, so there are no limits to adjust")
    effective_counts(spec, result.options())  # the program's own rules (fleet present, on-demand part, ranges)
    return result


def recorded_spec(config: Mapping[str, str]) -> Spec | None:
    """The spec as last applied, from stack config; None when absent or unreadable."""
    import json

    text = config.get(SPEC_KEY)
    if not text:
        return None
    try:
        return Spec.model_validate(_migrated(json.loads(text)))
    except ValueError:
        return None


def _migrated(data: Any) -> Any:
    """A spec recorded by an earlier ftcluster, in today's shape: `spot_fleet` (a Spot Fleet, with
    `target_capacity`) became `fleet` with `type: spot_fleet` and `instances`."""
    if isinstance(data, dict) and isinstance(data.get("spot_fleet"), dict):
        fleet = dict(data.pop("spot_fleet"))
        fleet["instances"] = fleet.pop("target_capacity", 0)
        data = {**data, "fleet": {"type": "spot_fleet", **fleet}}
    elif isinstance(data, dict) and "spot_fleet" in data:
        data = {key: value for key, value in data.items() if key != "spot_fleet"}
    return data


def spec_config(spec: Spec) -> str:
    return spec.model_dump_json(exclude_defaults=False)
