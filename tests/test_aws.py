"""How the live views reach AWS: client settings from the standard chain, and AWS errors as messages."""

from __future__ import annotations

import pytest
from botocore import exceptions as bx

from ftcluster.aws import AwsError, AwsSession, aws_call, translate


@pytest.fixture
def plain_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("AWS_ENDPOINT_URL", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    return monkeypatch


def client_error(code: str, message: str = "details") -> bx.ClientError:
    return bx.ClientError({"Error": {"Code": code, "Message": message}}, "DescribeThings")


def test_default_retries_and_timeouts_bound_a_call_to_a_dead_endpoint(plain_env: pytest.MonkeyPatch) -> None:
    client = AwsSession("eu-west-1").client("ecs")
    assert client.meta.region_name == "eu-west-1"
    config = client.meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    # an endpoint that never answers fails a call after attempts x timeout (backoff is milliseconds)
    assert (config.connect_timeout, config.read_timeout) == (5, 5)


def test_the_users_retry_settings_win(plain_env: pytest.MonkeyPatch) -> None:
    plain_env.setenv("AWS_RETRY_MODE", "adaptive")
    plain_env.setenv("AWS_MAX_ATTEMPTS", "9")
    assert AwsSession("eu-west-1").client("ec2").meta.config.retries == {"mode": "adaptive", "total_max_attempts": 9}


def test_endpoint_from_the_environment_and_from_the_spec(plain_env: pytest.MonkeyPatch) -> None:
    plain_env.setenv("AWS_ENDPOINT_URL", "http://localhost:4566")
    assert AwsSession("us-east-1").endpoint("sts") == "http://localhost:4566"
    assert AwsSession("us-east-1", "http://127.0.0.1:5000").endpoint("sts") == "http://127.0.0.1:5000"


def test_unknown_profile_is_a_credentials_error(plain_env: pytest.MonkeyPatch) -> None:
    plain_env.setenv("AWS_PROFILE", "no-such-profile")
    with pytest.raises(AwsError) as caught:
        AwsSession("us-east-1").client("sts")
    assert caught.value.kind == "credentials"
    assert "no-such-profile" in caught.value.message


@pytest.mark.parametrize(
    ("error", "kind", "text"),
    [
        (bx.NoCredentialsError(), "credentials", "reading X: no AWS credentials found"),
        (client_error("ExpiredToken"), "credentials", "reading X: the AWS session token has expired (ExpiredToken)"),
        (client_error("InvalidClientTokenId"), "credentials", "AWS does not know the access key in use"),
        (bx.UnauthorizedSSOTokenError(), "credentials", "the AWS SSO session is missing or expired"),
        (
            client_error("AccessDeniedException", "User x is not authorized to perform ecs:DescribeServices"),
            "access",
            "reading X: access denied (AccessDeniedException): User x is not authorized to perform ecs:DescribeServices",
        ),
        (client_error("UnauthorizedOperation"), "access", "access denied (UnauthorizedOperation)"),
        (client_error("ThrottlingException"), "throttled", "AWS kept throttling the requests"),
        (
            client_error("InvalidVpcID.NotFound", "no vpc"),
            "not_found",
            "reading X: not found (InvalidVpcID.NotFound): no vpc",
        ),
        (client_error("ClusterNotFoundException"), "not_found", "not found (ClusterNotFoundException)"),
        (
            client_error("500", "<!doctype html><title>500</title>"),
            "other",
            "reading X: AWS answered 500: the endpoint returned an HTML error page instead of an AWS answer",
        ),
        (
            # an XML error document where botocore expected JSON (moto's IAM check answers ECS calls so)
            client_error(
                "403",
                "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:"
                "user/op is not authorized to perform: ecs:StopTask</Message></Error></Errors></ErrorResponse>",
            ),
            "access",
            "reading X: access denied (AccessDenied): User: arn:aws:iam::123456789012:user/op is not authorized "
            "to perform: ecs:StopTask",
        ),
        (bx.EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "unreachable", "cannot reach AWS"),
        (
            bx.ReadTimeoutError(endpoint_url="http://127.0.0.1:9/some/path", error="timed out"),
            "unreachable",
            "reading X: no answer from http://127.0.0.1:9 within 5 s, on every attempt",
        ),
        (
            bx.ConnectTimeoutError(endpoint_url="https://ecs.eu-west-1.amazonaws.com/"),
            "unreachable",
            "reading X: could not connect to https://ecs.eu-west-1.amazonaws.com within 5 s, on every attempt",
        ),
    ],
)
def test_errors_become_messages(error: Exception, kind: str, text: str) -> None:
    translated = translate(error, "reading X")
    assert translated.kind == kind
    assert text in translated.message
    assert translated.exit_code == 1


def test_hints_say_what_to_do() -> None:
    assert "aws sso login" in (translate(bx.UnauthorizedSSOTokenError(), "x").hint or "")
    assert "AWS_PROFILE" in (translate(bx.NoCredentialsError(), "x").hint or "")
    assert "AWS_ENDPOINT_URL" in (translate(bx.EndpointConnectionError(endpoint_url="u"), "x").hint or "")
    assert "sts get-caller-identity" in (translate(client_error("AccessDenied"), "x").hint or "")


def test_aws_call_turns_botocore_errors_into_aws_errors() -> None:
    with pytest.raises(AwsError, match="listing tasks: access denied"), aws_call("listing tasks"):
        raise client_error("AccessDenied")
    # other exceptions are not AWS's to explain
    with pytest.raises(ValueError), aws_call("listing tasks"):
        raise ValueError("bug")


def test_unreachable_endpoint_is_reported_not_raised_as_a_traceback(plain_env: pytest.MonkeyPatch) -> None:
    plain_env.setenv("AWS_ACCESS_KEY_ID", "testing")
    plain_env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    plain_env.setenv("AWS_MAX_ATTEMPTS", "1")
    session = AwsSession("us-east-1", "http://127.0.0.1:9")
    with pytest.raises(AwsError) as caught, aws_call("checking credentials"):
        session.client("sts").get_caller_identity()
    assert caught.value.kind == "unreachable"
