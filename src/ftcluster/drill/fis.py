"""A real Spot interruption through AWS Fault Injection Service, with everything it needs made for the
drill and deleted after it: the IAM role FIS assumes and the experiment template.

The template is the one AWS's own tooling uses (aws/amazon-ec2-spot-interrupter, the Karpenter e2e
tests): target type aws:ec2:spot-instance selected by ARN with selectionMode ALL, action
aws:ec2:send-spot-instance-interruptions with durationBeforeInterruption (the notice comes at once,
the interruption that long after it; FIS user guide, "AWS FIS actions reference"), stop condition
`none`. Request shapes: botocore/data/fis/2020-12-01 CreateExperimentTemplateRequest.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..aws import AwsError, AwsSession, aws_call, error_code
from ..program.names import CLUSTER_TAG, IAM_PATH, drill_role_prefix
from .model import DrillPlan
from .plan import FIS_NOTICE

TERMINAL = ("completed", "stopped", "failed", "cancelled")  # botocore fis ExperimentStatus
STOP_WAIT_SECONDS = 30  # how long cleanup waits for a stopped experiment before deleting what it uses


def drill_role_name(cluster: str, region: str, drill_id: str) -> str:
    """`<cluster>-<region>-drill-<id>`: the leftover check finds a role a failed cleanup left (IAM, 64 chars)."""
    return (drill_role_prefix(cluster, region) + drill_id.rsplit("-", 1)[-1])[:64]


@dataclass
class Experiment:
    role: str
    role_created: bool = False
    template_id: str | None = None
    experiment_id: str | None = None
    started_at: datetime | None = None
    cleanup: list[str] = field(default_factory=list)  # what cleanup did, or failed to do

    def state(self, session: AwsSession) -> tuple[str, str]:
        """(status, reason) of the experiment now."""
        assert self.experiment_id is not None
        with aws_call("reading the FIS experiment"):
            state = session.client("fis").get_experiment(id=self.experiment_id)["experiment"].get("state") or {}
        return str(state.get("status", "unknown")), str(state.get("reason", ""))


@contextmanager
def spot_interruption(
    session: AwsSession,
    plan: DrillPlan,
    drill_id: str,
    experiment: Experiment,
    *,
    role_wait_seconds: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Experiment]:
    """Create the role and template and start the experiment; on the way out (done, failed or Ctrl-C)
    stop the experiment if it still runs, then delete the template and the role. `experiment` (the
    caller's, so it can say what was cleaned up after a failure) records all of it."""
    tags = {CLUSTER_TAG: plan.cluster, "ftcluster:drill": drill_id}
    iam, fis = session.client("iam"), session.client("fis")
    try:
        with aws_call(f"creating the IAM role {experiment.role} for FIS"):
            role_arn = iam.create_role(
                RoleName=experiment.role,
                Path=IAM_PATH,
                Description=f"ftcluster drill {drill_id}: FIS sends one Spot interruption to {plan.target.id}",
                AssumeRolePolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "fis.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                ),
                Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
            )["Role"]["Arn"]
            experiment.role_created = True
            iam.put_role_policy(
                RoleName=experiment.role, PolicyName="spot-interruption", PolicyDocument=_role_policy(plan)
            )
        with aws_call("creating the FIS experiment template"):
            experiment.template_id = fis.create_experiment_template(
                clientToken=drill_id,
                description=f"ftcluster drill {drill_id}: Spot interruption of {plan.target.id} in {plan.cluster}"[
                    :512
                ],
                stopConditions=[{"source": "none"}],
                targets={
                    "SpotInstances": {
                        "resourceType": "aws:ec2:spot-instance",
                        "resourceArns": [plan.target.arn],
                        "selectionMode": "ALL",
                    }
                },
                actions={
                    "interrupt": {
                        "actionId": "aws:ec2:send-spot-instance-interruptions",
                        "parameters": {"durationBeforeInterruption": FIS_NOTICE},
                        "targets": {"SpotInstances": "SpotInstances"},
                    }
                },
                roleArn=role_arn,
                tags=tags,
            )["experimentTemplate"]["id"]
        experiment.experiment_id = _start(session, experiment.template_id, drill_id, tags, role_wait_seconds, sleep)
        experiment.started_at = datetime.now(timezone.utc)
        yield experiment
    finally:
        _clean_up(session, experiment, sleep)


def _role_policy(plan: DrillPlan) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "ec2:SendSpotInstanceInterruptions", "Resource": plan.target.arn},
                {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"},
            ],
        }
    )


def _start(
    session: AwsSession,
    template_id: str,
    drill_id: str,
    tags: dict[str, str],
    role_wait_seconds: float,
    sleep: Callable[[float], None],
) -> str:
    """StartExperiment, retried while the new role is not yet usable: IAM changes take a few seconds to
    reach every service (IAM User Guide, "Changes that I make are not always immediately visible")."""
    deadline = time.monotonic() + role_wait_seconds
    while True:
        try:
            with aws_call("starting the FIS experiment"):
                return str(
                    session.client("fis").start_experiment(
                        clientToken=drill_id, experimentTemplateId=template_id, tags=tags
                    )["experiment"]["id"]
                )
        except AwsError as err:
            if err.code != "ValidationException" or "role" not in err.message.lower() or time.monotonic() > deadline:
                raise
            sleep(3)


def _clean_up(session: AwsSession, experiment: Experiment, sleep: Callable[[float], None]) -> None:
    """Each step runs whatever the one before did; what fails is said, never hidden."""
    fis, iam = session.client("fis"), session.client("iam")

    def step(what: str, action: Callable[[], object]) -> None:
        try:
            with aws_call(what):
                action()
            experiment.cleanup.append(f"{what}: done")
        except AwsError as err:
            experiment.cleanup.append(f"{what}: FAILED ({err.message})")

    if experiment.experiment_id is not None:
        status = _status(session, experiment)
        if status not in TERMINAL:
            step(
                f"stopping FIS experiment {experiment.experiment_id}",
                lambda: fis.stop_experiment(id=experiment.experiment_id),
            )
            deadline = time.monotonic() + STOP_WAIT_SECONDS
            while _status(session, experiment) not in (*TERMINAL, "unknown") and time.monotonic() < deadline:
                sleep(1)
    if experiment.template_id is not None:
        step(
            f"deleting FIS experiment template {experiment.template_id}",
            lambda: fis.delete_experiment_template(id=experiment.template_id),
        )
    if experiment.role_created:
        step(f"deleting IAM role {experiment.role}", lambda: _delete_role(iam, experiment.role))


def _status(session: AwsSession, experiment: Experiment) -> str:
    try:
        return experiment.state(session)[0]
    except AwsError:
        return "unknown"


def _delete_role(iam: Any, role: str) -> None:
    for delete in (
        lambda: iam.delete_role_policy(RoleName=role, PolicyName="spot-interruption"),
        lambda: iam.delete_role(RoleName=role),
    ):
        try:
            delete()
        except Exception as err:  # botocore's ClientError; NoSuchEntity: already gone (or the policy never made)
            if error_code(err) != "NoSuchEntity":
                raise
