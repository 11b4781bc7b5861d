"""S3 in the emulator: the bucket and the resources that configure it (ownership, public access block,
encryption, versioning, lifecycle, policy). Each follows the terraform-provider-aws file in its table entry."""

from __future__ import annotations

from typing import Any

from .core import Call, Props, error_code, pick, resource, tag_list

# --- bucket: internal/service/s3/bucket.go ---------------------------------------------------------------


def _put_tags(call: Call, bucket: str) -> None:
    if call.tags:
        call.client("s3").put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(call.tags)})
    else:
        call.client("s3").delete_bucket_tagging(Bucket=bucket)


def create_bucket(call: Call, props: Props) -> tuple[str, Props]:
    name = props["bucket"]
    args: dict[str, Any] = {"Bucket": name}
    region = props.get("region") or call.region
    if region != "us-east-1":  # resourceBucketCreate: us-east-1 takes no LocationConstraint
        args["CreateBucketConfiguration"] = {"LocationConstraint": region}
    if props.get("objectLockEnabled"):
        args["ObjectLockEnabledForBucket"] = True
    call.client("s3").create_bucket(**args)
    if call.tags:
        _put_tags(call, name)
    return name, {
        "arn": f"arn:aws:s3:::{name}",
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
        "region": region,
    }


def update_bucket(call: Call, name: str, old: Props, new: Props, changed: set[str]) -> Props:
    if changed & {"tags", "tagsAll"}:
        _put_tags(call, name)
    return {}  # force_destroy is the provider's own setting


def delete_bucket(call: Call, name: str, props: Props) -> None:
    """resourceBucketDelete: with force_destroy, every object version and delete marker goes first."""
    s3 = call.client("s3")
    if props.get("forceDestroy"):
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            doomed = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            ]
            if doomed:
                s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
    s3.delete_bucket(Bucket=name)


# --- the bucket's configuration resources: one S3 setting each, keyed by the bucket's name ------------


def _setting(source: str, inputs: str, put: Any, remove: Any) -> Any:
    """A resource that is one Put... call on its bucket (create and update alike) and one Delete... call."""

    def create(call: Call, props: Props) -> tuple[str, Props]:
        put(call.client("s3"), props)
        return props["bucket"], {}

    def update(call: Call, bucket: str, old: Props, new: Props, changed: set[str]) -> Props:
        put(call.client("s3"), new)
        return {}

    def delete(call: Call, bucket: str, props: Props) -> None:
        try:
            remove(call.client("s3"), props)
        except Exception as err:
            if error_code(err) != "NoSuchBucket":  # gone with its bucket: nothing left to undo
                raise

    return resource(source, inputs, create, delete, update, inputs.replace("bucket ", ""))


def _ownership(s3: Any, props: Props) -> None:
    rule = pick(props.get("rule"), {"objectOwnership": "ObjectOwnership"})
    s3.put_bucket_ownership_controls(Bucket=props["bucket"], OwnershipControls={"Rules": [rule]})


def _public_access(s3: Any, props: Props) -> None:
    config = {
        api: bool(props.get(key))
        for key, api in (
            ("blockPublicAcls", "BlockPublicAcls"),
            ("blockPublicPolicy", "BlockPublicPolicy"),
            ("ignorePublicAcls", "IgnorePublicAcls"),
            ("restrictPublicBuckets", "RestrictPublicBuckets"),
        )
    }
    s3.put_public_access_block(Bucket=props["bucket"], PublicAccessBlockConfiguration=config)


def _encryption(s3: Any, props: Props) -> None:
    rules = []
    for rule in props.get("rules") or []:
        item: dict[str, Any] = {}
        default = pick(
            rule.get("applyServerSideEncryptionByDefault"),
            {"sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID"},
        )
        if default:
            item["ApplyServerSideEncryptionByDefault"] = default
        if rule.get("bucketKeyEnabled") is not None:
            item["BucketKeyEnabled"] = bool(rule["bucketKeyEnabled"])
        rules.append(item)
    s3.put_bucket_encryption(Bucket=props["bucket"], ServerSideEncryptionConfiguration={"Rules": rules})


def _versioning(s3: Any, props: Props) -> None:
    config = pick(props.get("versioningConfiguration"), {"status": "Status", "mfaDelete": "MFADelete"})
    s3.put_bucket_versioning(Bucket=props["bucket"], VersioningConfiguration=config)


def _suspend_versioning(s3: Any, props: Props) -> None:
    # bucket_versioning.go resourceBucketVersioningDelete: versioning cannot be switched off, only suspended
    status = (props.get("versioningConfiguration") or {}).get("status")
    if status == "Enabled":
        s3.put_bucket_versioning(Bucket=props["bucket"], VersioningConfiguration={"Status": "Suspended"})


def _lifecycle_rule(rule: Props) -> dict[str, Any]:
    item: dict[str, Any] = {"ID": rule.get("id"), "Status": rule.get("status")}
    given = rule.get("filter")
    if given is not None:
        found = pick(given, {"prefix": "Prefix", "objectSizeGreaterThan": "ObjectSizeGreaterThan"})
        item["Filter"] = found or {"Prefix": ""}  # an empty filter block: the whole bucket
    expiration = pick(
        rule.get("expiration"),
        {"days": "Days", "date": "Date", "expiredObjectDeleteMarker": "ExpiredObjectDeleteMarker"},
    )
    if expiration:
        item["Expiration"] = expiration
    noncurrent = pick(
        rule.get("noncurrentVersionExpiration"),
        {"noncurrentDays": "NoncurrentDays", "newerNoncurrentVersions": "NewerNoncurrentVersions"},
    )
    if noncurrent:
        item["NoncurrentVersionExpiration"] = {k: int(v) for k, v in noncurrent.items()}
    abort = pick(rule.get("abortIncompleteMultipartUpload"), {"daysAfterInitiation": "DaysAfterInitiation"})
    if abort:
        item["AbortIncompleteMultipartUpload"] = abort
    return item


def _lifecycle(s3: Any, props: Props) -> None:
    rules = [_lifecycle_rule(rule) for rule in props.get("rules") or []]
    s3.put_bucket_lifecycle_configuration(Bucket=props["bucket"], LifecycleConfiguration={"Rules": rules})


RESOURCES = {
    "aws:s3/bucket:Bucket": resource(
        "internal/service/s3/bucket.go",
        "bucket forceDestroy objectLockEnabled",
        create_bucket,
        delete_bucket,
        update_bucket,
        "forceDestroy tags tagsAll",
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _setting(
        "internal/service/s3/bucket_ownership_controls.go",
        "bucket rule",
        _ownership,
        lambda s3, props: s3.delete_bucket_ownership_controls(Bucket=props["bucket"]),
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _setting(
        "internal/service/s3/bucket_public_access_block.go",
        "bucket blockPublicAcls blockPublicPolicy ignorePublicAcls restrictPublicBuckets",
        _public_access,
        lambda s3, props: s3.delete_public_access_block(Bucket=props["bucket"]),
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _setting(
        "internal/service/s3/bucket_server_side_encryption_configuration.go",
        "bucket rules",
        _encryption,
        lambda s3, props: s3.delete_bucket_encryption(Bucket=props["bucket"]),
    ),
    "aws:s3/bucketVersioning:BucketVersioning": _setting(
        "internal/service/s3/bucket_versioning.go", "bucket versioningConfiguration", _versioning, _suspend_versioning
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _setting(
        "internal/service/s3/bucket_lifecycle_configuration.go",
        "bucket rules",
        _lifecycle,
        lambda s3, props: s3.delete_bucket_lifecycle(Bucket=props["bucket"]),
    ),
    "aws:s3/bucketPolicy:BucketPolicy": _setting(
        "internal/service/s3/bucket_policy.go",
        "bucket policy",
        lambda s3, props: s3.put_bucket_policy(Bucket=props["bucket"], Policy=props["policy"]),
        lambda s3, props: s3.delete_bucket_policy(Bucket=props["bucket"]),
    ),
}
