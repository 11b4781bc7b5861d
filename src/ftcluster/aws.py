"""How ftcluster reads AWS (status, preflight, leftovers, Spot prices, the credentials check):
boto3 clients for one region, and AWS errors turned into messages a user can act on.

boto3 and botocore are imported inside functions: importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from .errors import AwsError

# How long a call may take against an endpoint that accepts connections and never answers (or does
# not accept them): botocore's standard retry mode retries read and connect timeouts like any
# transient error (botocore/retries/standard.py, TransientRetryableChecker: ConnectionError and
# HTTPClientError, the bases of ConnectTimeoutError and ReadTimeoutError in botocore/exceptions.py),
# with a backoff of rand() x 50 ms x 2^attempt for them. So a dead endpoint costs about
# attempts x timeout: 3 x 5 s, well under 20 s, instead of 5 x 30 s. 3 is botocore's own default
# for standard mode (DEFAULT_MAX_ATTEMPTS there); AWS's read APIs answer within a second or two,
# and one slow answer is retried. The user's AWS_MAX_ATTEMPTS / max_attempts and retry_mode win.
DEFAULT_MAX_ATTEMPTS = 3  # total attempts per call when the user's AWS config sets none
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 5
UNREACHABLE_HINT = "check the network, and AWS_ENDPOINT_URL or the spec's endpoint_url if one is set"

_CREDENTIAL_CODES = {
    "ExpiredToken": "the AWS session token has expired",
    "ExpiredTokenException": "the AWS session token has expired",
    "RequestExpired": "AWS rejected the request as expired; check this machine's clock",
    "InvalidClientTokenId": "AWS does not know the access key in use",
    "UnrecognizedClientException": "AWS does not know the access key in use",
    "InvalidAccessKeyId": "AWS does not know the access key in use",
    "SignatureDoesNotMatch": "the secret access key does not match the access key id",
    "AuthFailure": "AWS could not validate the credentials (or the region is not enabled for the account)",
    "IncompleteSignature": "the request signature is incomplete; check the credentials",
    "MissingAuthenticationToken": "the request carried no credentials",
}
_ACCESS_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedException",
    "AuthorizationError",
    "Forbidden",
}
_THROTTLE_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
}
_NOT_FOUND_CODES = {
    "ResourceNotFoundException",
    "ClusterNotFoundException",
    "ServiceNotFoundException",
    "NoSuchEntity",
    "NoSuchBucket",
    "NotFoundException",
}
CREDENTIALS_HINT = (
    "configure credentials the usual AWS way: AWS_PROFILE (then `aws sso login` if it uses SSO), "
    "`aws configure`, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN"
)


class AwsSession:
    """boto3 clients for one region, made the same way everywhere ftcluster reads AWS.

    Uses the standard configuration chain (profile, environment, config files), so AWS_PROFILE,
    AWS_ENDPOINT_URL and AWS_RETRY_MODE work as with the AWS CLI. `endpoint_url` (the spec's
    `endpoint_url`) wins over AWS_ENDPOINT_URL when given.
    """

    def __init__(self, region: str, endpoint_url: str | None = None) -> None:
        import boto3
        import botocore.config
        import botocore.session

        self.region = region
        self.endpoint_url = endpoint_url
        with aws_call("reading the AWS configuration"):
            core = botocore.session.get_session()  # reads the environment and config files, as boto3 does
            core.register_component("data_loader", _shared_loader(core.get_config_variable("data_path")))
            self._session = boto3.session.Session(botocore_session=core, region_name=region)
            retries: dict[str, Any] = {
                # botocore's own default is "standard"; a user's "adaptive" is kept
                "mode": core.get_config_variable("retry_mode") or "standard",
                "total_max_attempts": core.get_config_variable("max_attempts") or DEFAULT_MAX_ATTEMPTS,
            }
        self._config = botocore.config.Config(
            region_name=region,
            retries=retries,
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            user_agent_extra="ftcluster",
        )
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            extra = {"endpoint_url": self.endpoint_url} if self.endpoint_url else {}
            with aws_call(f"creating the {service} client"):
                self._clients[service] = self._session.client(service, config=self._config, **extra)
        return self._clients[service]

    def endpoint(self, service: str) -> str:
        """Where calls to `service` go (shows AWS_ENDPOINT_URL or the spec's endpoint_url at work)."""
        return str(self.client(service).meta.endpoint_url)


@lru_cache(maxsize=4)
def _shared_loader(data_path: str | None) -> Any:
    """botocore's loader of API models, shared by every session: loading the JSON models is
    most of the cost of a client, and `status --watch` makes a session per refresh."""
    import botocore.loaders

    return botocore.loaders.create_loader(data_path)


def error_code(err: BaseException) -> str | None:
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def translate(err: BaseException, action: str) -> AwsError:
    """A botocore exception as an AwsError that says what failed and what to do about it."""
    from botocore import exceptions as bx

    if isinstance(err, AwsError):
        return err
    if isinstance(err, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return AwsError(f"{action}: no AWS credentials found", kind="credentials", hint=CREDENTIALS_HINT)
    if isinstance(err, (bx.SSOError, bx.TokenRetrievalError)):
        return AwsError(
            f"{action}: the AWS SSO session is missing or expired ({err})",
            kind="credentials",
            hint="run `aws sso login` (with the same AWS_PROFILE) and try again",
        )
    if isinstance(err, bx.CredentialRetrievalError):
        return AwsError(f"{action}: could not get AWS credentials: {err}", kind="credentials", hint=CREDENTIALS_HINT)
    if isinstance(err, bx.ProfileNotFound):
        return AwsError(
            f"{action}: {err}", kind="credentials", hint="check AWS_PROFILE against `aws configure list-profiles`"
        )
    if isinstance(err, bx.ReadTimeoutError):
        return AwsError(
            f"{action}: no answer from {_endpoint_of(err)} within {READ_TIMEOUT} s, on every attempt",
            kind="unreachable",
            hint=UNREACHABLE_HINT,
        )
    if isinstance(err, bx.ConnectTimeoutError):
        return AwsError(
            f"{action}: could not connect to {_endpoint_of(err)} within {CONNECT_TIMEOUT} s, on every attempt",
            kind="unreachable",
            hint=UNREACHABLE_HINT,
        )
    if isinstance(err, (bx.EndpointConnectionError, bx.ConnectionClosedError, bx.ProxyConnectionError, bx.SSLError)):
        return AwsError(f"{action}: cannot reach AWS: {err}", kind="unreachable", hint=UNREACHABLE_HINT)
    code = error_code(err)
    message = _client_message(err)
    if code and code.isdigit():  # botocore could not parse the body; it may be an XML AWS error document
        code, message = _xml_error(err) or (code, message)
    if code in _CREDENTIAL_CODES:
        return AwsError(
            f"{action}: {_CREDENTIAL_CODES[code]} ({code})", kind="credentials", code=code, hint=CREDENTIALS_HINT
        )
    if code in _ACCESS_CODES:
        return AwsError(
            f"{action}: access denied ({code}): {message}",
            kind="access",
            code=code,
            hint="the AWS identity in use needs read permission for this call; "
            "see `aws sts get-caller-identity` for which identity that is",
        )
    if code in _THROTTLE_CODES:
        return AwsError(
            f"{action}: AWS kept throttling the requests ({code})",
            kind="throttled",
            code=code,
            hint="try again in a minute; AWS_MAX_ATTEMPTS raises the number of retries",
        )
    if code and (code in _NOT_FOUND_CODES or code.endswith((".NotFound", "NotFound"))):
        return AwsError(f"{action}: not found ({code}): {message}", kind="not_found", code=code)
    if code:
        return AwsError(f"{action}: AWS answered {code}: {message}", kind="other", code=code)
    return AwsError(f"{action}: {type(err).__name__}: {err}", kind="other")


def _endpoint_of(err: BaseException) -> str:
    """scheme://host[:port] of the URL a botocore connection error carries (its path adds nothing)."""
    from urllib.parse import urlsplit

    url = str(getattr(err, "kwargs", {}).get("endpoint_url") or "")
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else url or "the AWS endpoint"


def _xml_error(err: BaseException) -> tuple[str, str] | None:
    """(code, message) of an AWS XML error document (<Error><Code>..</Code><Message>..</Message>), which
    some endpoints answer for a JSON-protocol service: an access denial of moto's IAM check, for one. The
    status alone would hide what was denied."""
    import re

    response = getattr(err, "response", None)
    body = str((response or {}).get("Error", {}).get("Message") or "") if isinstance(response, dict) else ""
    code, message = re.search(r"<Code>([^<]+)</Code>", body), re.search(r"<Message>([^<]*)</Message>", body)
    if not code:
        return None
    return code.group(1).strip(), (message.group(1).strip() if message else "no message")[:300]


def _client_message(err: BaseException) -> str:
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        text = str(response.get("Error", {}).get("Message") or "").strip()
        if text.startswith("<"):  # an HTML error page (a proxy, or an emulator without this API)
            return "the endpoint returned an HTML error page instead of an AWS answer"
        return text[:300] or "no message"
    return str(err)


@contextmanager
def aws_call(action: str) -> Iterator[None]:
    """Run AWS calls; any botocore failure leaves as an AwsError naming `action`."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as err:
        raise translate(err, action) from None


def pages(client: Any, operation: str, result_key: str, **kwargs: Any) -> list[Any]:
    """Every item under `result_key` across all pages of `operation`."""
    if client.can_paginate(operation):
        items: list[Any] = []
        for page in client.get_paginator(operation).paginate(**kwargs):
            items.extend(page.get(result_key) or [])
        return items
    return list(getattr(client, operation)(**kwargs).get(result_key) or [])


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
