"""A finished job stays finished: an EventBridge rule on "ECS Task State Change" starts a Step Functions
state machine that records the completion in an SSM parameter and stops the job (completion_steps.py).

AWS-native, with no code of ours running in the account: EventBridge matches the event, Step Functions
calls the APIs through its AWS SDK integrations. `up` reads the parameters (engine) and keeps a completed
job at 0 (ProgramOptions.completed); `status` reads them too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from . import names as logical
from .completion_steps import (
    NOT_COMPLETED,
    Job,
    definition,
    event_pattern,
    start_execution_policy,
    steps_policy,
    training_job,
    workers_job,
)
from .context import Context
from .fleet import Fleet
from .iam import role_with_policy, trust
from .scaling import Scaling


@dataclass(frozen=True)
class Completion:
    parameters: dict[str, str]  # job -> name of the SSM parameter that records its completion
    state_machine: aws.sfn.StateMachine
    rule: aws.cloudwatch.EventRule


def build_completion(
    ctx: Context,
    cluster: aws.ecs.Cluster,
    training: aws.ecs.Service,
    scaling: Scaling,
    workers: aws.ecs.Service | None,
    rendezvous: aws.ecs.Service | None,
    fleet: Fleet | None,
) -> Completion:
    names, region, account, partition = ctx.names, ctx.spec.region, ctx.account_id, ctx.partition
    spot_fleet = fleet.request if fleet is not None else None

    def jobs(spot_fleet_id: str | None) -> list[Job]:
        found = [training_job(names)]
        if workers is not None:
            found.append(workers_job(names, rendezvous=rendezvous is not None, spot_fleet_id=spot_fleet_id))
        return found

    for job in jobs(None):
        aws.ssm.Parameter(
            logical.completion_marker(job.name),
            name=job.parameter,
            type="String",
            insecure_value=NOT_COMPLETED,
            description=f"ftcluster {ctx.spec.name}: whether the {job.name} job completed (a task of it exited 0)",
            # The state machine writes the completion; `up` must never write it back. The provider's update
            # sends the value it holds whenever anything but the tags changes (internal/service/ssm/parameter.go,
            # resourceParameterUpdate), so nothing else here may ever change: name, type and description are
            # fixed per cluster and job.
            opts=ctx.opts(ignore_changes=["insecureValue"]),
        )
    fleet_id: pulumi.Output[str | None] = (
        spot_fleet.id if spot_fleet is not None and workers is not None else pulumi.Output.from_input(None)
    )
    state_machine_arn = f"arn:{partition}:states:{region}:{account}:stateMachine:{names.completion_state_machine}"
    rule_arn = f"arn:{partition}:events:{region}:{account}:rule/{names.completion_rule}"

    steps_role, steps_permissions = role_with_policy(
        ctx,
        (logical.COMPLETION_STEPS_ROLE, logical.COMPLETION_STEPS_POLICY),
        name=names.completion_steps_role,
        purpose="the job-completed state machine stops a finished job",
        # only this state machine may take the role (confused-deputy guard, Step Functions Developer Guide)
        assume_role_policy=trust(
            "states.amazonaws.com",
            {"StringEquals": {"aws:SourceAccount": account}, "ArnLike": {"aws:SourceArn": state_machine_arn}},
        ),
        policy_name="stop-finished-job",
        policy=pulumi.Output.all(fleet_id, scaling.target.arn).apply(
            lambda resolved: steps_policy(partition, region, account, names, jobs(resolved[0]), resolved[1])
        ),
    )
    services = [service for service in (training, workers, rendezvous) if service is not None]
    state_machine = aws.sfn.StateMachine(
        logical.COMPLETION_STATE_MACHINE,
        name=names.completion_state_machine,
        role_arn=steps_role.arn,
        type="STANDARD",  # each execution stays in its history for 90 days: when and why a job was ended
        definition=fleet_id.apply(lambda fleet_id: json.dumps(definition(partition, jobs(fleet_id)))),
        # deleted before the services on destroy, so it never acts on a half-deleted cluster
        opts=ctx.opts(depends_on=[steps_permissions, *services]),
    )
    events_role, events_permissions = role_with_policy(
        ctx,
        (logical.COMPLETION_EVENTS_ROLE, logical.COMPLETION_EVENTS_POLICY),
        name=names.completion_events_role,
        purpose="EventBridge starts the job-completed state machine",
        assume_role_policy=trust(
            "events.amazonaws.com",
            {"StringEquals": {"aws:SourceAccount": account}, "ArnLike": {"aws:SourceArn": rule_arn}},
        ),
        policy_name="start-job-completed",
        policy=start_execution_policy(state_machine_arn),
    )
    rule = aws.cloudwatch.EventRule(
        logical.COMPLETION_RULE,
        name=names.completion_rule,
        description=f"ftcluster {ctx.spec.name}: a task of a job stopped because its container exited",
        event_pattern=cluster.arn.apply(lambda arn: json.dumps(event_pattern(arn, jobs(None)))),
        opts=ctx.opts(),
    )
    aws.cloudwatch.EventTarget(
        logical.COMPLETION_RULE_TARGET,
        rule=rule.name,
        target_id="job-completed",
        arn=state_machine.arn,
        role_arn=events_role.arn,
        opts=ctx.opts(depends_on=[events_permissions]),
    )
    return Completion(
        {job.name: job.parameter for job in jobs(None)},
        state_machine,
        rule,
    )
