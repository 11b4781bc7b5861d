"""Gather the live state of one cluster from AWS (read-only) and judge it: `status_report(outputs)`.

The stack outputs say which resources to look at; the judging itself lives in `verdict.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from ..aws import AwsError, AwsSession, aws_call, chunks, pages
from ..errors import FtclusterError
from ..ledger.read import last_interruption
from .completion import newest_checkpoint, read_completions
from .status_capacity import read_capacity_provider, read_fleet, read_group
from .status_model import (
    ClusterStatus,
    ContainerInstance,
    Deployment,
    ScalingActivity,
    ScalingState,
    ServiceEvent,
    ServiceState,
    StatusReport,
    TaskInfo,
)
from .verdict import judge

EVENTS_KEPT = 10
LEDGER_DAYS = 7  # how far back status looks for the last interruption
SCALING_ACTIVITIES_KEPT = 10
_OPTIONAL_FAILURES = ("access", "not_found", "other")  # a section we can leave out, with a note


def status_report(
    outputs: Mapping[str, Any],
    *,
    endpoint_url: str | None = None,
    now: datetime | None = None,
    session: AwsSession | None = None,
) -> StatusReport:
    """Read the cluster named by the stack `outputs` from AWS and give it a verdict."""
    status = gather_status(outputs, endpoint_url=endpoint_url, now=now, session=session)
    return StatusReport(status=status, verdict=judge(status))


def gather_status(
    outputs: Mapping[str, Any],
    *,
    endpoint_url: str | None = None,
    now: datetime | None = None,
    session: AwsSession | None = None,
) -> ClusterStatus:
    plain = {key: getattr(value, "value", value) for key, value in outputs.items()}  # unwrap OutputValue
    cluster_name, region = plain.get("cluster_name"), plain.get("region")
    if not cluster_name or not region:
        raise FtclusterError(
            "the stack has no cluster_name/region outputs, so there is no cluster to look at",
            hint="finish the deployment with `ftcluster up SPEC` first",
        )
    aws = session or AwsSession(str(region), endpoint_url)
    gatherer = _Gatherer(aws, str(cluster_name), str(region), now or datetime.now(timezone.utc))
    return gatherer.gather(plain)


class _Gatherer:
    def __init__(self, aws: AwsSession, cluster: str, region: str, now: datetime) -> None:
        self.aws, self.cluster, self.region, self.now = aws, cluster, region, now
        self.ecs = aws.client("ecs")
        self.notes: list[str] = []
        self.subnet_azs: dict[str, str] = {}

    def gather(self, outputs: dict[str, Any]) -> ClusterStatus:
        described = self._cluster()
        training_name = str(outputs.get("service_name") or "")
        workers_name = outputs.get("workers_service_name") or None
        rendezvous_name = outputs.get("rendezvous_service_name") or None
        services = self._services([n for n in (training_name, workers_name, rendezvous_name) if n])
        subnet_ids = [str(s) for s in outputs.get("subnet_ids") or []]
        self._optional("the subnets' Availability Zones", lambda: self._load_subnet_azs(subnet_ids))
        container_instances = self._optional("container instances", self._container_instances) or []
        tasks = self._tasks(container_instances)
        fleet_id = outputs.get("spot_fleet_request_id")
        fleet = self._optional("the Spot Fleet", lambda: read_fleet(self.aws, str(fleet_id))) if fleet_id else None
        group_name, provider_name = outputs.get("auto_scaling_group_name"), outputs.get("capacity_provider_name")
        group = (
            self._optional("the Auto Scaling group", lambda: read_group(self.aws, str(group_name), self._optional))
            if group_name
            else None
        )
        provider = (
            self._optional("the capacity provider", lambda: read_capacity_provider(self.aws, str(provider_name)))
            if provider_name
            else None
        )
        scaling = None
        if outputs.get("autoscaling_min") is not None and training_name:
            scaling = self._optional("auto scaling", lambda: self._scaling(training_name))
        min_nodes = outputs.get("distributed_min_nodes")
        instances = {i.id for i in group.instances} if group else set()
        instances |= {i.id for i in fleet.instances} if fleet else set()
        recording, interruption = self._optional(
            "the interruption ledger",
            lambda: last_interruption(
                self.aws, outputs, since=self.now - timedelta(days=LEDGER_DAYS), instances=instances
            ),
        ) or (None, None)
        parameters = {str(k): str(v) for k, v in (outputs.get("completion_parameters") or {}).items()}
        completions = self._optional("which jobs completed", lambda: read_completions(self.aws, parameters)) or {}
        checkpoint = None
        if outputs.get("checkpoint_uri"):  # its age in every status; a completed job's last one too
            uri = str(outputs["checkpoint_uri"])
            checkpoint = self._optional("the newest checkpoint", lambda: newest_checkpoint(self.aws, uri))
        return ClusterStatus(
            cluster_name=self.cluster,
            region=self.region,
            cluster_arn=described.get("clusterArn"),
            cluster_state=str(described.get("status", "UNKNOWN")),
            capacity_providers=list(described.get("capacityProviders") or []),
            expected_azs=sorted({self.subnet_azs[s] for s in subnet_ids if s in self.subnet_azs}),
            training=services.get(training_name) or ServiceState(name=training_name or "(none)", status="MISSING"),
            workers=_named(services, workers_name),
            tasks=tasks,
            fleet=fleet,
            container_instances=container_instances,
            scaling=scaling,
            stack={k: v for k, v in outputs.items() if _is_plain(v)},
            gathered_at=self.now,
            notes=self.notes,
            fleet_type=outputs.get("fleet_type") or ("spot_fleet" if fleet_id else None),
            group=group,
            capacity_provider=provider,
            rendezvous=_named(services, rendezvous_name),
            rendezvous_endpoint=outputs.get("rendezvous_endpoint") or None,
            distributed_min_nodes=int(min_nodes) if min_nodes is not None else None,
            jobs=sorted(parameters),
            completions=completions,
            newest_checkpoint=checkpoint,
            recording=recording,
            last_interruption=interruption,
        )

    def _optional(self, what: str, read: Any) -> Any:
        """Read a section that the status can show without; an error becomes a note."""
        try:
            return read()
        except AwsError as err:
            if err.kind not in _OPTIONAL_FAILURES:
                raise
            self.notes.append(f"{what} not shown: {err.message}")
            return None

    # --- ECS -------------------------------------------------------------------------------------

    def _cluster(self) -> dict[str, Any]:
        with aws_call(f"describing ECS cluster {self.cluster}"):
            answer = self.ecs.describe_clusters(clusters=[self.cluster])
        clusters = [c for c in answer.get("clusters", []) if c.get("status") != "INACTIVE"]
        if not clusters:
            raise FtclusterError(
                f"no ECS cluster named {self.cluster} in {self.region}",
                hint="it may have been deleted outside ftcluster; `ftcluster destroy --verify-only` "
                "lists what is left of it",
            )
        cluster: dict[str, Any] = clusters[0]
        return cluster

    def _services(self, names: list[str]) -> dict[str, ServiceState]:
        if not names:
            return {}
        with aws_call(f"describing the services of cluster {self.cluster}"):
            answer = self.ecs.describe_services(cluster=self.cluster, services=names)
        return {s["serviceName"]: _service(s) for s in answer.get("services", [])}

    def _container_instances(self) -> list[ContainerInstance]:
        with aws_call(f"listing container instances of cluster {self.cluster}"):
            arns = pages(self.ecs, "list_container_instances", "containerInstanceArns", cluster=self.cluster)
            described = []
            for batch in chunks(arns, 100):
                answer = self.ecs.describe_container_instances(cluster=self.cluster, containerInstances=batch)
                described.extend(answer.get("containerInstances", []))
        return [_container_instance(c) for c in described]

    def _tasks(self, container_instances: list[ContainerInstance]) -> list[TaskInfo]:
        with aws_call(f"listing tasks of cluster {self.cluster}"):
            arns: list[str] = []
            for desired in ("RUNNING", "STOPPED"):  # ECS keeps stopped tasks visible for about an hour
                arns += pages(self.ecs, "list_tasks", "taskArns", cluster=self.cluster, desiredStatus=desired)
            described = []
            for batch in chunks(list(dict.fromkeys(arns)), 100):
                described.extend(self.ecs.describe_tasks(cluster=self.cluster, tasks=batch).get("tasks", []))
        task_subnets = {s for t in described if (s := _task_subnet(t)) and s not in self.subnet_azs}
        if task_subnets:
            self._optional("the tasks' subnets", lambda: self._load_subnet_azs(sorted(task_subnets)))
        instance_azs = {c.id: c.availability_zone for c in container_instances}
        return [self._task(t, instance_azs) for t in described]

    def _task(self, task: dict[str, Any], instance_azs: dict[str, str | None]) -> TaskInfo:
        container_instance = _last_part(task.get("containerInstanceArn"))
        # availabilityZone is what ECS reports; the subnet or the instance say the same when it is absent
        az = (
            task.get("availabilityZone")
            or self.subnet_azs.get(_task_subnet(task) or "")
            or (instance_azs.get(container_instance) if container_instance else None)
        )
        group = str(task.get("group") or "")
        return TaskInfo(
            id=_last_part(task.get("taskArn")) or "?",
            service=group.removeprefix("service:") if group.startswith("service:") else None,
            last_status=str(task.get("lastStatus", "UNKNOWN")),
            desired_status=str(task.get("desiredStatus", "UNKNOWN")),
            availability_zone=az,
            capacity_provider=str(task.get("capacityProviderName") or task.get("launchType") or "unknown"),
            cpu=task.get("cpu"),
            memory=task.get("memory"),
            container_instance_id=container_instance,
            started_at=task.get("startedAt"),
            stopped_at=task.get("stoppedAt"),
            stop_code=task.get("stopCode"),
            stopped_reason=_stop_reason(task),
        )

    # --- EC2 -------------------------------------------------------------------------------------

    def _load_subnet_azs(self, subnet_ids: list[str]) -> None:
        if not subnet_ids:
            return
        ec2 = self.aws.client("ec2")
        with aws_call("describing the cluster's subnets"):
            subnets = pages(ec2, "describe_subnets", "Subnets", Filters=[{"Name": "subnet-id", "Values": subnet_ids}])
        self.subnet_azs.update({s["SubnetId"]: s["AvailabilityZone"] for s in subnets})
        missing = sorted(set(subnet_ids) - {s["SubnetId"] for s in subnets})
        if missing:
            self.notes.append(f"subnets not found: {', '.join(missing)}")

    # --- Application Auto Scaling ------------------------------------------------------------------

    def _scaling(self, service: str) -> ScalingState:
        client = self.aws.client("application-autoscaling")
        resource_id = f"service/{self.cluster}/{service}"
        scope = {"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount"}
        with aws_call("describing the auto scaling target"):
            targets = client.describe_scalable_targets(ResourceIds=[resource_id], **scope).get("ScalableTargets", [])
        if not targets:
            return ScalingState(resource_id=resource_id, registered=False)
        target = targets[0]
        suspended = target.get("SuspendedState") or {}
        activities = self._optional(
            "auto scaling activities",
            lambda: _scaling_activities(client, resource_id, scope),
        )
        return ScalingState(
            resource_id=resource_id,
            registered=True,
            min=target.get("MinCapacity"),
            max=target.get("MaxCapacity"),
            suspended=any(bool(v) for v in suspended.values()),
            activities=activities or [],
        )


def _scaling_activities(client: Any, resource_id: str, scope: dict[str, str]) -> list[ScalingActivity]:
    with aws_call("describing auto scaling activities"):
        answer = client.describe_scaling_activities(ResourceId=resource_id, MaxResults=SCALING_ACTIVITIES_KEPT, **scope)
    return [
        ScalingActivity(
            status=str(a.get("StatusCode", "")),
            description=str(a.get("Description", "")),
            cause=a.get("Cause"),
            message=a.get("StatusMessage"),
            started_at=a.get("StartTime"),
        )
        for a in answer.get("ScalingActivities", [])
    ]


def _service(s: dict[str, Any]) -> ServiceState:
    return ServiceState(
        name=s["serviceName"],
        status=str(s.get("status", "UNKNOWN")),
        desired=int(s.get("desiredCount", 0)),
        running=int(s.get("runningCount", 0)),
        pending=int(s.get("pendingCount", 0)),
        deployments=[
            Deployment(
                id=str(d.get("id", "")),
                status=str(d.get("status", "")),
                rollout_state=d.get("rolloutState"),
                rollout_state_reason=d.get("rolloutStateReason"),
                task_definition=_last_part(d.get("taskDefinition")),
                desired=int(d.get("desiredCount", 0)),
                running=int(d.get("runningCount", 0)),
                pending=int(d.get("pendingCount", 0)),
                failed_tasks=int(d.get("failedTasks", 0)),
                created_at=d.get("createdAt"),
            )
            for d in s.get("deployments", [])
        ],
        events=[ServiceEvent(e.get("createdAt"), str(e.get("message", ""))) for e in s.get("events", [])[:EVENTS_KEPT]],
    )


def _container_instance(c: dict[str, Any]) -> ContainerInstance:
    attributes = {a.get("name"): a.get("value") for a in c.get("attributes", [])}
    return ContainerInstance(
        id=_last_part(c.get("containerInstanceArn")) or "?",
        ec2_instance_id=c.get("ec2InstanceId"),
        status=str(c.get("status", "UNKNOWN")),
        agent_connected=bool(c.get("agentConnected", False)),
        availability_zone=attributes.get("ecs.availability-zone"),
        running_tasks=int(c.get("runningTasksCount", 0)),
    )


def _task_subnet(task: dict[str, Any]) -> str | None:
    for attachment in task.get("attachments", []):
        for detail in attachment.get("details", []):
            if detail.get("name") == "subnetId":
                return str(detail.get("value"))
    return None


def _stop_reason(task: dict[str, Any]) -> str | None:
    reason = task.get("stoppedReason") or None
    exited = [c for c in task.get("containers", []) if c.get("reason") or c.get("exitCode") not in (None, 0)]
    if exited and task.get("lastStatus") == "STOPPED":
        first = exited[0]
        detail = first.get("reason") or f"exit code {first.get('exitCode')}"
        reason = f"{reason} ({first.get('name')}: {detail})" if reason else f"{first.get('name')}: {detail}"
    return reason


def _named(services: dict[str, ServiceState], name: str | None) -> ServiceState | None:
    """The service the stack names, MISSING when ECS does not know it; None when the stack names none."""
    if not name:
        return None
    return services.get(name) or ServiceState(name=name, status="MISSING")


def _last_part(arn: Any) -> str | None:
    return str(arn).rsplit("/", 1)[-1] if arn else None


def _is_plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)
