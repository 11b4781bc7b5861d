"""The scale a cluster runs at, kept in stack config so `up` does not silently undo `scale`.

Stack config (it travels with the stack's update history, so teammates see it too):
  ftcluster:spec           the spec as last applied (recorded.py)
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
from ..program.options import Counts, ProgramOptions, effective_counts, override_paths
from ..spec import Spec


@dataclass(frozen=True)
class ScaleSetting:
    """One number `ftcluster scale` can set: where the stack records an override, which stack output
    shows it as deployed, and how the program's counts hold it. Where the spec keeps it depends on
    the spec (a group's `fleet.max_instances`, a Spot Fleet's `fleet.instances`): `override_paths`."""

    name: str  # the Overrides field and the key of every scale view: "tasks"
    config_key: str  # stack config of the override: "ftcluster:tasks"
    output: str  # stack output of the deployed value: "desired_tasks"
    deployed: Callable[[Counts], int | None]  # what the program deploys
    option: str = ""  # the ProgramOptions field it becomes, when not `name`

    @property
    def program_option(self) -> str:
        return self.option or self.name


SCALE_SETTINGS: tuple[ScaleSetting, ...] = (
    ScaleSetting("tasks", "ftcluster:tasks", "desired_tasks", lambda counts: counts.tasks),
    ScaleSetting(
        "instances",  # as the flag (`scale --instances`) names it
        "ftcluster:fleetCapacity",
        "fleet_target_capacity",
        lambda counts: counts.fleet_capacity,
        option="fleet_capacity",
    ),
    ScaleSetting("workers", "ftcluster:workers", "workers_desired", lambda counts: counts.workers),
    ScaleSetting(
        "min_tasks",
        "ftcluster:minTasks",
        "autoscaling_min",
        lambda counts: counts.scaling_min if counts.autoscaling else None,
    ),
    ScaleSetting(
        "max_tasks",
        "ftcluster:maxTasks",
        "autoscaling_max",
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


def spec_keys(spec: Spec) -> dict[str, str | None]:
    """Each setting's key in `spec` ("fleet.max_instances"); None where the spec has no such key."""
    paths = override_paths(spec)
    return {setting.name: paths[setting.program_option] for setting in SCALE_SETTINGS}


def spec_values(spec: Spec) -> dict[str, int | None]:
    """Each setting's value in `spec`; None where the spec has no such key."""
    return {name: _value_at(spec, path) if path else None for name, path in spec_keys(spec).items()}


def _value_at(spec: Spec, dotted: str) -> int:
    value: Any = spec
    for key in dotted.split("."):
        value = getattr(value, key)
    return int(value)


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
    applied: Spec | None = None  # the spec of the last successful update (None: never deployed)

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
    keys = {**(spec_keys(applied) if applied is not None else {}), **_present(spec_keys(spec))}
    kept: dict[str, int] = {}
    notes: list[str] = []
    for name, value in overrides.items().items():
        label = keys.get(name) or name
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


@dataclass(frozen=True)
class ScaleRequest:
    """What `ftcluster scale` was asked to do."""

    tasks: int | None = None
    instances: int | None = None
    adjust_limits: bool = False
    reset: bool = False
    workers: int | None = None

    def check(self) -> None:
        """The usage rules that need no stack (exit 2 before anything is opened)."""
        counts = (self.tasks, self.instances, self.workers)
        if self.reset and (any(n is not None for n in counts) or self.adjust_limits):
            raise UsageError("--reset goes back to the spec's values; it takes no other option")
        if not self.reset and all(n is None for n in counts):
            raise UsageError("nothing to scale", hint="pass --tasks N, --workers W and/or --instances M, or --reset")
        if self.adjust_limits and self.tasks is None:
            raise UsageError("--adjust-limits moves the auto scaling limits to include --tasks; give --tasks too")


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
    ScaleRequest(tasks, instances, adjust_limits, workers=workers).check()
    result = overrides
    if instances is not None:
        result = replace(result, instances=instances)
    if workers is not None:
        result = replace(result, workers=workers)
    widened = None
    if tasks is not None:
        result = replace(result, tasks=tasks)
        widened = _limits_widened_to(spec, result, tasks)
        if adjust_limits:
            if widened is None:
                raise UsageError(f"cluster {spec.name} has no auto scaling, so there are no limits to adjust")
            result = widened
    try:
        effective_counts(spec, result.options())  # the spec's own model and rules, on the scaled values
    except UsageError as err:
        raise UsageError(err.message, hint=_adjust_limits_hint(spec, widened, result) or err.hint) from None
    return result


def _adjust_limits_hint(spec: Spec, widened: Overrides | None, asked: Overrides) -> str | None:
    """When moving the auto scaling limits alone lets the request through: how to do that."""
    if widened is None or widened == asked:
        return None
    try:
        effective_counts(spec, widened.options())
    except UsageError:
        return None
    return (
        f"pass --adjust-limits to move the limits to {widened.min_tasks}..{widened.max_tasks}, "
        "or pick a count within them"
    )


def _limits_widened_to(spec: Spec, overrides: Overrides, tasks: int) -> Overrides | None:
    """`overrides` with the auto scaling limits moved just enough to take `tasks` (the same overrides
    when they already do); None without auto scaling."""
    current = effective_values(spec, overrides)
    low, high = current["min_tasks"], current["max_tasks"]
    if low is None or high is None:
        return None
    if (min(low, tasks), max(high, tasks)) == (low, high):
        return overrides
    return replace(overrides, min_tasks=min(low, tasks), max_tasks=max(high, tasks))


def _present(paths: dict[str, str | None]) -> dict[str, str]:
    return {name: path for name, path in paths.items() if path is not None}
