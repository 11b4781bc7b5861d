"""Checkpoints: an encrypted, versioned, private S3 bucket that outlives `destroy` unless asked.

A bucket named in the spec (`training.checkpoints.bucket`) is only referenced: never created,
changed or deleted here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from . import names as logical
from .context import Context


@dataclass(frozen=True)
class Checkpoints:
    bucket: pulumi.Input[str]  # bucket name
    uri: pulumi.Input[str]  # s3://bucket/prefix, given to every container as CHECKPOINT_URI
    created: bool


def tls_only_policy(partition: str, bucket: str) -> str:
    arn = f"arn:{partition}:s3:::{bucket}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyPlainHttp",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [arn, f"{arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def build_checkpoints(ctx: Context) -> Checkpoints:
    settings = ctx.spec.training.checkpoints
    if settings.bucket is not None:
        return Checkpoints(settings.bucket, f"s3://{settings.bucket}/{settings.prefix}", created=False)

    keep = not ctx.options.delete_checkpoints

    # retain_on_delete (not protect: protect would make `destroy` fail) keeps the bucket *and* its
    # settings when the stack goes away; deleting, say, the versioning resource would otherwise
    # suspend versioning on the kept bucket, and deleting the public access block would open it up.
    def kept(**options: object) -> pulumi.ResourceOptions:
        return ctx.opts(retain_on_delete=keep, **options)

    bucket = aws.s3.Bucket(
        logical.CHECKPOINT_BUCKET,
        bucket=ctx.names.checkpoint_bucket(ctx.account_id),
        force_destroy=not keep,  # only an explicit --delete-checkpoints empties and deletes it
        opts=kept(),
    )
    ownership = aws.s3.BucketOwnershipControls(
        logical.CHECKPOINT_OWNERSHIP,
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},  # no ACLs: the policy decides access
        opts=kept(),
    )
    public_block = aws.s3.BucketPublicAccessBlock(
        logical.CHECKPOINT_PUBLIC_ACCESS,
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=kept(),
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        logical.CHECKPOINT_ENCRYPTION,
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        opts=kept(),
    )
    versioning = aws.s3.BucketVersioning(
        logical.CHECKPOINT_VERSIONING,
        bucket=bucket.id,
        # An overwritten or deleted checkpoint can be restored until its version expires.
        versioning_configuration={"status": "Enabled"},
        opts=kept(),
    )
    aws.s3.BucketLifecycleConfiguration(
        logical.CHECKPOINT_LIFECYCLE,
        bucket=bucket.id,
        rules=[
            {
                "id": "expire-old-checkpoint-versions",
                "status": "Enabled",
                "filter": {},  # the whole bucket: it holds checkpoints only
                "noncurrent_version_expiration": {"noncurrent_days": settings.noncurrent_version_days},
                "expiration": {"expired_object_delete_marker": True},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
            }
        ],
        opts=kept(depends_on=[versioning]),  # noncurrent-version rules need versioning first
    )
    aws.s3.BucketPolicy(
        logical.CHECKPOINT_POLICY,
        bucket=bucket.id,
        policy=bucket.bucket.apply(lambda name: tls_only_policy(ctx.partition, name)),
        opts=kept(depends_on=[public_block, ownership]),
    )
    uri = pulumi.Output.concat("s3://", bucket.bucket, "/", settings.prefix)
    return Checkpoints(bucket.bucket, uri, created=True)
