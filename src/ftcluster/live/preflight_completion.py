"""Preflight: the names of what ends a finished job (program/completion.py) are free, or the deployed
cluster's own. A destroy that left them behind would make `up` fail to create them (IAM roles, the state
machine, the jobs' SSM parameters), or take over a rule that another cluster of the same name set up."""

from __future__ import annotations

from ..aws import AwsError, AwsSession, aws_call, pages
from ..spec import Spec
from .preflight_checks import Check

TITLE = "Job completion names"


def completion_names_check(spec: Spec, aws: AwsSession, deployed: bool) -> Check:
    from ..program.names import names_for
    from ..program.options import jobs_of

    if deployed:
        return Check("completion_names", TITLE, "pass", f"in use by the deployed cluster {spec.name}")
    names = names_for(spec)
    taken = [
        f"IAM role {role}" for role in (names.completion_events_role, names.completion_steps_role) if _role(aws, role)
    ]
    if _found(lambda: aws.client("events").describe_rule(Name=names.completion_rule)):
        taken.append(f"EventBridge rule {names.completion_rule}")
    with aws_call("listing Step Functions state machines"):
        machines = {m["name"] for m in pages(aws.client("stepfunctions"), "list_state_machines", "stateMachines")}
    if names.completion_state_machine in machines:
        taken.append(f"state machine {names.completion_state_machine}")
    parameters = [names.completion_parameter(job) for job in jobs_of(spec)]
    with aws_call("looking up the jobs' SSM parameters"):
        found = aws.client("ssm").get_parameters(Names=parameters).get("Parameters", [])
    taken += [f"SSM parameter {p['Name']}" for p in found]
    if not taken:
        return Check("completion_names", TITLE, "pass", "the rule, state machine, roles and parameters are free")
    return Check(
        "completion_names",
        TITLE,
        "fail",
        f"{len(taken)} name(s) that `up` creates already exist, left by an earlier cluster {spec.name}",
        details=taken,
        fix=f"`ftcluster destroy --cluster {spec.name}-{spec.region} --verify-only` lists what is left; delete those",
        data={"taken": taken},
    )


def _role(aws: AwsSession, name: str) -> bool:
    return _found(lambda: aws.client("iam").get_role(RoleName=name))


def _found(read: object) -> bool:
    try:
        with aws_call("looking up a name"):
            read()  # type: ignore[operator]
    except AwsError as err:
        if err.kind == "not_found":
            return False
        raise
    return True
