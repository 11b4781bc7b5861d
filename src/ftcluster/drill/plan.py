"""Plan a drill: which task or instance it breaks, how, and what recovery it waits for.

Read-only. A drill the cluster cannot take (no fleet for an instance fault, no Spot instance for a
Spot interruption, no elastic job for the rendezvous) is bad usage (exit 2), refused before anything
is touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..aws import AwsSession
from ..cost.jobs import TRAINING_JOB, WORKERS_JOB
from ..errors import FtclusterError, UsageError
from ..spec import Spec
from . import model as m
from .state import InstanceState, Snapshot, TaskState, snapshot

FIS_NOTICE = "PT2M"  # durationBeforeInterruption: the real two-minute notice (FIS user guide, fis-actions-reference)
DEFAULT_STOP_TIMEOUT = 30  # ECS's default when a container sets no stopTimeout (StopTask, botocore ecs model)


def plan_drill(
    outputs: Mapping[str, Any],
    spec: Spec | None,
    *,
    fault: str,
    target: str | None,
    timeout_seconds: float,
    session: AwsSession,
) -> tuple[m.DrillPlan, Snapshot]:
    """The plan, and the snapshot it was made from (the tasks and instances before the fault)."""
    if fault not in m.FAULTS:
        raise UsageError(f"unknown fault {fault!r}; pick one of {', '.join(m.FAULTS)}")
    cluster = str(outputs["cluster_name"])
    if fault in (m.SPOT_INTERRUPTION, m.TERMINATE_INSTANCE) and not (
        outputs.get("auto_scaling_group_name") or outputs.get("spot_fleet_request_id")
    ):
        raise UsageError(
            f"cluster {cluster} has no GPU instances (no fleet), so there is no instance to {_verb(fault)}",
            hint="use --fault stop-task: a Fargate Spot reclaim stops a task the same way (SIGTERM, then SIGKILL)",
        )
    if fault == m.RENDEZVOUS and not outputs.get("rendezvous_service_name"):
        raise UsageError(
            f"cluster {cluster} runs no elastic job, so it has no rendezvous to stop",
            hint="fleet.workers.distributed in the spec makes one; use --fault stop-task for a worker",
        )
    state = snapshot(session, outputs, with_instances=fault in (m.SPOT_INTERRUPTION, m.TERMINATE_INSTANCE))
    chosen = _target(outputs, fault, target, state)
    actions, recovery = _steps(outputs, spec, fault, chosen)
    plan = m.DrillPlan(
        cluster=cluster,
        region=str(outputs["region"]),
        fault=fault,
        target=chosen,
        actions=actions,
        recovery=recovery,
        iam_actions=m.iam_actions(fault),
        timeout_seconds=timeout_seconds,
    )
    return plan, state


def _target(outputs: Mapping[str, Any], fault: str, wanted: str | None, state: Snapshot) -> m.Target:
    if fault in (m.STOP_TASK, m.RENDEZVOUS):
        services = (
            [str(outputs["rendezvous_service_name"])]
            if fault == m.RENDEZVOUS
            else [str(outputs[k]) for k in ("workers_service_name", "service_name") if outputs.get(k)]
        )
        tasks = [t for s in services for t in state.running(s)]
        return _task_target(outputs, fault, wanted, tasks)
    return _instance_target(outputs, fault, wanted, state.instances)


def _task_target(outputs: Mapping[str, Any], fault: str, wanted: str | None, tasks: list[TaskState]) -> m.Target:
    cluster = str(outputs["cluster_name"])
    if not tasks:
        what = "rendezvous" if fault == m.RENDEZVOUS else "training or worker"
        raise FtclusterError(
            f"cluster {cluster} has no running {what} task to stop",
            hint="`ftcluster status` shows what runs; a drill needs something running to break",
        )
    if wanted:
        matches = [t for t in tasks if wanted in (t.id, t.arn) or t.id.startswith(wanted)]
        if len(matches) != 1:
            listed = ", ".join(f"{t.id} ({t.service})" for t in tasks)
            raise UsageError(
                f"--target {wanted} is {'ambiguous' if matches else 'no running task'}: pick one of {listed}"
            )
        task = matches[0]
    else:
        # An elastic job's worker first (the job that must re-form), else a training task on Fargate Spot
        # (what a reclaim would hit); the lowest id among equals, so the choice is repeatable.
        workers = outputs.get("workers_service_name")
        task = min(tasks, key=lambda t: (t.service != workers, t.capacity_provider != "FARGATE_SPOT", t.id))
    job = TRAINING_JOB if task.service == outputs.get("service_name") else WORKERS_JOB
    where = ", ".join(x for x in (task.capacity_provider, task.availability_zone) if x)
    return m.Target("task", task.id, task.arn, task.service, f"task {task.id[:8]} of {task.service} ({where})", job)


def _instance_target(
    outputs: Mapping[str, Any], fault: str, wanted: str | None, instances: list[InstanceState]
) -> m.Target:
    cluster = str(outputs["cluster_name"])
    running = [i for i in instances if i.state == "running"]
    candidates = [i for i in running if i.lifecycle == "spot"] if fault == m.SPOT_INTERRUPTION else running
    if not candidates:
        if fault == m.SPOT_INTERRUPTION:
            why = (
                f"none of its {len(running)} running GPU instance(s) is a Spot instance "
                "(fleet.on_demand_capacity covers them all, or the group has not started Spot ones yet)"
                if running
                else "its group or fleet runs no instance now"
            )
            raise UsageError(
                f"cluster {cluster} cannot take a Spot interruption: {why}",
                hint="FIS interrupts EC2 Spot instances only (aws:ec2:send-spot-instance-interruptions); "
                "use --fault terminate-instance, or --fault stop-task for a Fargate Spot task",
            )
        raise FtclusterError(
            f"cluster {cluster}'s group or fleet runs no instance to terminate", hint="see `ftcluster status`"
        )
    if wanted:
        matches = [i for i in candidates if i.id == wanted]
        if not matches:
            listed = ", ".join(f"{i.id} ({i.lifecycle})" for i in candidates)
            raise UsageError(f"--target {wanted} is not one of the instances this fault can take: {listed}")
        instance = matches[0]
    else:
        instance = min(candidates, key=lambda i: (i.lifecycle != "spot", i.id))  # Spot first: what dies in practice
    partition, account = _partition_and_account(outputs)
    arn = f"arn:{partition}:ec2:{outputs['region']}:{account}:instance/{instance.id}"
    where = ", ".join(x for x in (instance.instance_type, instance.lifecycle, instance.availability_zone) if x)
    return m.Target(
        "instance",
        instance.id,
        arn,
        outputs.get("workers_service_name") or None,
        f"instance {instance.id} ({where})",
        WORKERS_JOB,
    )


def _steps(outputs: Mapping[str, Any], spec: Spec | None, fault: str, target: m.Target) -> tuple[list[str], list[str]]:
    stop_timeout = spec.training.stop_timeout if spec is not None else DEFAULT_STOP_TIMEOUT
    if fault == m.SPOT_INTERRUPTION:
        actions = [
            "create an IAM role FIS may assume, allowed ec2:SendSpotInstanceInterruptions and ec2:DescribeInstances",
            f"create a FIS experiment template: aws:ec2:send-spot-instance-interruptions on {target.id}, "
            f"durationBeforeInterruption {FIS_NOTICE}",
            "start the experiment: the instance gets the two-minute Spot notice, then EC2 interrupts it",
            "delete the template and the role afterwards (also on Ctrl-C or failure)",
        ]
    elif fault == m.TERMINATE_INSTANCE:
        actions = [f"terminate {target.id} with EC2 TerminateInstances: no notice, its tasks die with it"]
    else:
        actions = [
            f"stop {target.description} with ECS StopTask: SIGTERM now, SIGKILL after {stop_timeout} s (stop_timeout)"
        ]
    actions.append("record the drill in the cluster's event ledger (EventBridge PutEvents)")
    recovery = [f"{target.service or 'the service'} running its desired count again, with a new task"]
    if target.kind == "instance":
        recovery.append("the group or fleet back at its size")
    if fault == m.RENDEZVOUS and outputs.get("workers_service_name"):
        recovery.append(f"the elastic job back at its size ({outputs['workers_service_name']})")
    recovery.append(f"a checkpoint newer than the fault in {outputs.get('checkpoint_uri') or 'the checkpoint bucket'}")
    return actions, recovery


def _verb(fault: str) -> str:
    return "interrupt" if fault == m.SPOT_INTERRUPTION else "terminate"


def _partition_and_account(outputs: Mapping[str, Any]) -> tuple[str, str]:
    """From the cluster's ARN (arn:PARTITION:ecs:region:ACCOUNT:cluster/name)."""
    parts = str(outputs.get("cluster_arn") or "").split(":")
    if len(parts) > 4 and parts[1] and parts[4]:
        return parts[1], parts[4]
    raise FtclusterError("the stack outputs have no cluster ARN to tell the account", hint="run `ftcluster up SPEC`")
