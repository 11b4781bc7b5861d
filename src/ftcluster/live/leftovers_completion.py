"""Whether the resources that end a finished job still exist (leftovers.py finds them by tag): the
EventBridge rule, the Step Functions state machine and the jobs' SSM parameters. The tagging API lists a
deleted resource for a while, so each is read itself."""

from __future__ import annotations

from ..aws import AwsError, AwsSession, aws_call, pages
from .leftovers_untagged import Found

Alive = dict[str, str | None]  # resource id -> note

# (service, resource type) as they appear in these resources' ARNs
KINDS = {("events", "rule"), ("states", "stateMachine"), ("ssm", "parameter")}


def completion_alive(aws: AwsSession, service: str, ids: list[str]) -> Alive:
    if service == "events":
        return {name: None for name in ids if _rule_exists(aws, name)}
    if service == "ssm":
        # a parameter named "/a/b" has the ARN ...:parameter/a/b: its id here lost the leading slash
        names = {f"/{i}": i for i in ids}
        with aws_call(f"looking up {len(ids)} SSM parameter(s)"):
            found = aws.client("ssm").get_parameters(Names=sorted(names)).get("Parameters", [])
        return {names[p["Name"]]: None for p in found if p["Name"] in names}
    sfn = aws.client("stepfunctions")  # "states": the id is the state machine's name
    alive: Alive = {}
    with aws_call("looking up Step Functions state machines"):
        arns = {m["name"]: m["stateMachineArn"] for m in pages(sfn, "list_state_machines", "stateMachines")}
        for name in ids:
            if name in arns:
                status = sfn.describe_state_machine(stateMachineArn=arns[name]).get("status")
                alive[name] = "being deleted (Step Functions deletes asynchronously)" if status == "DELETING" else None
    return alive


def _rule_exists(aws: AwsSession, name: str) -> bool:
    try:
        with aws_call(f"looking up EventBridge rule {name}"):
            aws.client("events").describe_rule(Name=name)
    except AwsError as err:
        if err.kind == "not_found":
            return False
        raise
    return True


def rule_by_name(aws: AwsSession, cluster: str) -> list[Found]:
    """The rule under the name the program gives it (program/names.py: `<cluster>-job-completed`), whatever
    its tags: it is the one resource that keeps acting (starting the state machine) once left behind."""
    name = f"{cluster}-job-completed"
    try:
        with aws_call(f"looking up EventBridge rule {name}"):
            rule = aws.client("events").describe_rule(Name=name)
    except AwsError as err:
        if err.kind == "not_found":
            return []
        raise
    return [Found("events rule", name, rule.get("Arn"), "name")]
