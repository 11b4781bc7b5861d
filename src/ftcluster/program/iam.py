"""IAM: who may do what. AWS managed policies where AWS maintains the exact list, and one inline
policy of our own, limited to the checkpoint bucket and prefix."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ..spec import SpotFleet
from . import names as logical
from .context import Context
from .storage import Checkpoints


@dataclass(frozen=True)
class Roles:
    execution: aws.iam.Role  # pulls images, writes logs (ECS agent / Fargate)
    task: aws.iam.Role  # what the training code may do: read and write checkpoints
    task_policy: aws.iam.RolePolicy
    instance_profile: aws.iam.InstanceProfile | None  # fleet instances joining the cluster
    instance_policy: aws.iam.RolePolicyAttachment | None
    # Spot Fleet launching and tagging instances. None for an Auto Scaling group: it launches with
    # its service-linked role, AWSServiceRoleForAutoScaling, which AWS creates itself.
    fleet: aws.iam.Role | None
    fleet_policy: aws.iam.RolePolicyAttachment | None


def trust(service: str, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def checkpoint_policy(partition: str, bucket: str, prefix: str, *, own_bucket: bool) -> str:
    """Read and write under the checkpoint prefix only: no `*` action, no other bucket.

    Listing: S3 answers a GET/HEAD of a missing key with 404 only to a caller that may
    s3:ListBucket, else with 403 (S3 API reference, GetObject/HeadObject permissions), and
    HeadBucket needs s3:ListBucket too. A listing limited by an s3:prefix condition covers
    neither, so "resume if a checkpoint exists" would crash on the first run. The bucket
    ftcluster creates holds checkpoints only: listing it whole is granted. A bucket named in the
    spec may hold other data: there listing stays limited to the prefix (docs/what-up-creates.md,
    "Checkpoint permissions", says what that means for a missing checkpoint).
    """
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    listing: dict[str, Any] = {
        "Sid": "ListCheckpoints",
        "Effect": "Allow",
        "Action": ["s3:ListBucket", "s3:ListBucketVersions"],
        "Resource": bucket_arn,
    }
    if not own_bucket:
        listing["Condition"] = {"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}}
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                listing,
                {
                    "Sid": "FindBucket",
                    "Effect": "Allow",
                    "Action": ["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
                    "Resource": bucket_arn,
                },
                {
                    "Sid": "ReadWriteCheckpoints",
                    "Effect": "Allow",
                    "Action": [
                        "s3:GetObject",
                        "s3:GetObjectVersion",
                        "s3:PutObject",
                        "s3:DeleteObject",
                        "s3:AbortMultipartUpload",
                        "s3:ListMultipartUploadParts",
                    ],
                    "Resource": f"{bucket_arn}/{prefix}*",
                },
            ],
        }
    )


def _role(ctx: Context, resource_name: str, *, name: str, purpose: str, assume_role_policy: str) -> aws.iam.Role:
    """A role under ftcluster's IAM path, its description saying which cluster it serves and why."""
    return aws.iam.Role(
        resource_name,
        name=name,
        path=logical.IAM_PATH,
        description=f"ftcluster {ctx.spec.name}: {purpose}",
        assume_role_policy=assume_role_policy,
        opts=ctx.opts(),
    )


def service_role(
    ctx: Context, resource_name: str, *, name: str, purpose: str, service: str, managed_policy: str
) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
    """A role `service` may assume, with one AWS managed policy attached."""
    role = _role(ctx, resource_name, name=name, purpose=purpose, assume_role_policy=trust(service))
    attachment = aws.iam.RolePolicyAttachment(
        logical.managed_policy_attachment(resource_name),
        role=role.name,
        policy_arn=ctx.managed_policy(managed_policy),
        opts=ctx.opts(),
    )
    return role, attachment


def role_with_policy(
    ctx: Context,
    resource_names: tuple[str, str],
    *,
    name: str,
    purpose: str,
    assume_role_policy: str,
    policy_name: str,
    policy: pulumi.Input[str],
) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """A role with one inline policy; `resource_names` are the role's and the policy's logical names."""
    role_name, policy_resource_name = resource_names
    role = _role(ctx, role_name, name=name, purpose=purpose, assume_role_policy=assume_role_policy)
    permissions = aws.iam.RolePolicy(
        policy_resource_name, name=policy_name, role=role.name, policy=policy, opts=ctx.opts()
    )
    return role, permissions


def build_roles(ctx: Context, checkpoints: Checkpoints) -> Roles:
    names, spec = ctx.names, ctx.spec
    execution, _ = service_role(
        ctx,
        logical.EXECUTION_ROLE,
        name=names.execution_role,
        purpose="ECS pulls images and writes logs",
        service="ecs-tasks.amazonaws.com",
        managed_policy="service-role/AmazonECSTaskExecutionRolePolicy",
    )
    prefix = spec.training.checkpoints.prefix
    task, task_policy = role_with_policy(
        ctx,
        (logical.TASK_ROLE, logical.TASK_ROLE_POLICY),
        name=names.task_role,
        purpose="training containers read and write checkpoints",
        # Only ECS tasks of this account and region may take the role (confused-deputy guard
        # from the ECS task role documentation).
        assume_role_policy=trust(
            "ecs-tasks.amazonaws.com",
            {
                "StringEquals": {"aws:SourceAccount": ctx.account_id},
                "ArnLike": {"aws:SourceArn": f"arn:{ctx.partition}:ecs:{spec.region}:{ctx.account_id}:*"},
            },
        ),
        policy_name=names.checkpoint_policy,
        policy=pulumi.Output.from_input(checkpoints.bucket).apply(
            lambda bucket: checkpoint_policy(ctx.partition, bucket, prefix, own_bucket=checkpoints.created)
        ),
    )

    fleet = spec.fleet
    if fleet is None or not fleet.enabled:
        return Roles(execution, task, task_policy, None, None, None, None)

    spot_fleet = isinstance(fleet, SpotFleet)
    instance_role, instance_policy = service_role(
        ctx,
        logical.INSTANCE_ROLE,
        name=names.instance_role,
        purpose=f"{'Spot Fleet' if spot_fleet else 'Auto Scaling group'} instances register with the ECS cluster",
        service="ec2.amazonaws.com",
        managed_policy="service-role/AmazonEC2ContainerServiceforEC2Role",
    )
    profile = aws.iam.InstanceProfile(
        logical.INSTANCE_PROFILE,
        name=names.instance_profile,
        path=logical.IAM_PATH,
        role=instance_role.name,
        opts=ctx.opts(),
    )
    if not spot_fleet:
        return Roles(execution, task, task_policy, profile, instance_policy, None, None)
    fleet_role, fleet_policy = service_role(
        ctx,
        logical.FLEET_ROLE,
        name=names.fleet_role,
        purpose="Spot Fleet launches, tags and replaces instances",
        service="spotfleet.amazonaws.com",
        managed_policy="service-role/AmazonEC2SpotFleetTaggingRole",
    )
    return Roles(execution, task, task_policy, profile, instance_policy, fleet_role, fleet_policy)
