"""AWS credentials check before any engine command: STS GetCallerIdentity in the cluster's region."""

from __future__ import annotations

from ..errors import FtclusterError

_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_REJECTED = {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "AccessDenied"}
_SETUP_HINT = (
    "configure credentials the usual AWS way (`aws configure`, `aws sso login`, AWS_PROFILE, or "
    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), then check them with `aws sts get-caller-identity`"
)


def check_aws_credentials(region: str, endpoint_url: str | None = None) -> str:
    """The caller's ARN; FtclusterError with the fix when there are no usable credentials."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

    try:
        client = boto3.session.Session(region_name=region).client(
            "sts", endpoint_url=endpoint_url or None,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=10, read_timeout=20),
        )
        return client.get_caller_identity()["Arn"]
    except (NoCredentialsError, PartialCredentialsError):
        raise FtclusterError(f"no AWS credentials found (needed for region {region})", hint=_SETUP_HINT) from None
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code in _EXPIRED:
            raise FtclusterError(
                "your AWS credentials have expired",
                hint="refresh them (e.g. `aws sso login`, or new temporary keys) and run the command again",
            ) from None
        if code in _REJECTED:
            raise FtclusterError(f"AWS rejected the credentials ({code}) in region {region}", hint=_SETUP_HINT) from None
        raise FtclusterError(f"AWS credentials check failed in region {region}: {err}") from None
    except BotoCoreError as err:
        raise FtclusterError(
            f"cannot check AWS credentials in region {region}: {err}",
            hint="check your network, proxy or AWS_ENDPOINT_URL settings",
        ) from None
