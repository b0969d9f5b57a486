"""botocore failures as users see them: an unreachable AWS (connection refused, read timeout,
TLS), calls botocore refuses before sending, missing credentials; each a clear, value-free
message of the right class, counted as an error call. And an unparsable endpoint variable of
every service, named in the spec's words."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aws_kit import ENV_KEY_ID, PS_STORE, SM_STORE, AuthWorld, external_secret, synced
from botocore.config import Config
from botocore.exceptions import (
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
    SSLError,
)
from botocore.parsers import ResponseParserError
from prometheus_client import generate_latest

from extsecrets.errors import AuthError, PermanentError, TemporaryError
from extsecrets.operator.metrics import OperatorMetrics
from extsecrets.types import RetrySettings
from extsecrets_aws_auth.errors import classify
from extsecrets_aws_auth.metrics import CallCounter
from extsecrets_aws_auth.session import new_botocore_session

READ_K = external_secret("e", data=[{"secretKey": "a", "remoteRef": {"key": "k"}}])
FAST_RETRIES = "  retrySettings: {maxRetries: 2, retryInterval: 10ms}\n"


@pytest.fixture
def env_identity(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port of 127.0.0.1 that refuses connections: bound (so nobody else takes it), never
    listening."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def api_samples(host: Any) -> dict[str, float]:
    """The operator's ``externalsecret_provider_api_calls_count`` samples, as scraped."""
    text = generate_latest(OperatorMetrics(host).registry).decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("externalsecret_provider_api_calls_count{"):
            series, _, value = line.rpartition(" ")
            out[series] = float(value)
    return out


REFUSED_BATCH = (
    'externalsecret_provider_api_calls_count{call="BatchGetSecretValue",'
    'provider="AWS/SecretsManager",status="error"}'
)


# --- an unreachable AWS ---------------------------------------------------------------------


def test_a_refused_connection_is_a_temporary_error_with_botocores_text_and_is_counted(
    aws: Any, env_identity: None, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = f"http://127.0.0.1:{closed_port}"
    monkeypatch.setenv("AWS_SECRETSMANAGER_ENDPOINT", endpoint)
    world = AuthWorld(SM_STORE % "" + FAST_RETRIES, READ_K)
    before = api_samples(world.host).get(REFUSED_BATCH, 0.0)
    result = synced(world)["app/e"]
    expected = (
        "error processing spec.data[0] (key: k), err: "
        f'Could not connect to the endpoint URL: "{endpoint}/"'
    )
    assert (result.ok, result.error) == (False, expected)
    assert world.cluster.events[-1].message == expected
    # one API call (its two attempts are botocore's retries), counted as an error
    assert api_samples(world.host).get(REFUSED_BATCH) == before + 1


STS_CALL = (
    'externalsecret_provider_api_calls_count{call="AssumeRole",provider="AWS/STS",status="error"}'
)


def test_an_unreachable_sts_fails_the_session_with_botocores_text_and_is_counted(
    aws: Any, env_identity: None, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = f"http://127.0.0.1:{closed_port}"
    monkeypatch.setenv("AWS_STS_ENDPOINT", endpoint)
    role = "arn:aws:iam::123456789012:role/team-b"
    store = (SM_STORE % "").replace('prefix: ""', f"role: '{role}'") + FAST_RETRIES
    world = AuthWorld(store, READ_K)
    before = api_samples(world.host).get(STS_CALL, 0.0)
    result = synced(world)["app/e"]
    assert result.error == (
        "error processing spec.data[0] (key: k), err: unable to create session: "
        f'AssumeRole {role}: Could not connect to the endpoint URL: "{endpoint}/"'
    )
    assert api_samples(world.host).get(STS_CALL) == before + 1
    assert aws.requests() == []


def test_a_refused_connection_classifies_as_temporary(closed_port: int) -> None:
    counter = CallCounter()
    session = new_botocore_session(RetrySettings(max_retries=1), counter)
    session.set_credentials("AKIAREFUSED000000001", "secret")
    endpoint = f"http://127.0.0.1:{closed_port}"
    client = session.create_client("ssm", region_name="eu-central-1", endpoint_url=endpoint)
    with pytest.raises(EndpointConnectionError) as raised:
        client.get_parameters(Names=["a", "b"])
    error = classify(raised.value)
    assert isinstance(error, TemporaryError)
    assert str(error) == f'Could not connect to the endpoint URL: "{endpoint}/"'
    assert counter.snapshot() == {("ssm", "GetParameters", "error"): 1}


def test_a_read_timeout_is_a_temporary_error_and_is_counted(silent_port: int) -> None:
    counter = CallCounter()
    session = new_botocore_session(RetrySettings(max_retries=1), counter)
    session.set_credentials("AKIATIMEOUT000000001", "secret")
    endpoint = f"http://127.0.0.1:{silent_port}"
    client = session.create_client(
        "secretsmanager",
        region_name="eu-central-1",
        endpoint_url=endpoint,
        config=Config(read_timeout=0.3, connect_timeout=2),
    )
    with pytest.raises(ReadTimeoutError) as raised:
        client.get_secret_value(SecretId="k")
    error = classify(raised.value, "reading k: ")
    assert isinstance(error, TemporaryError)
    assert str(error) == f'reading k: Read timeout on endpoint URL: "{endpoint}/"'
    assert counter.snapshot() == {("secretsmanager", "GetSecretValue", "error"): 1}


def test_a_tls_failure_is_a_temporary_error_and_is_counted(aws: Any) -> None:
    # https to the emulator, which speaks plain http
    counter = CallCounter()
    session = new_botocore_session(RetrySettings(max_retries=1), counter)
    session.set_credentials("AKIATLS0000000000001", "secret")
    endpoint = aws.url.replace("http://", "https://")
    client = session.create_client("ssm", region_name="eu-central-1", endpoint_url=endpoint)
    with pytest.raises(SSLError) as raised:
        client.get_parameter(Name="p")
    error = classify(raised.value)
    assert isinstance(error, TemporaryError)
    assert str(error).startswith(f"SSL validation failed for {endpoint}/ ")
    assert counter.snapshot() == {("ssm", "GetParameter", "error"): 1}
    assert aws.requests() == []


def test_missing_credentials_are_an_auth_error_and_are_counted(aws: Any) -> None:
    counter = CallCounter()
    session = new_botocore_session(RetrySettings(max_retries=1), counter)
    client = session.create_client("ssm", region_name="eu-central-1")
    with pytest.raises(NoCredentialsError) as raised:
        client.get_parameter(Name="p")
    error = classify(raised.value, "fetching p: ")
    assert isinstance(error, AuthError)
    assert str(error) == "fetching p: Unable to locate credentials"
    assert counter.snapshot() == {("ssm", "GetParameter", "error"): 1}
    assert aws.requests() == []


# --- calls botocore refuses before sending ----------------------------------------------------


def test_a_refused_parameter_names_the_parameter_not_its_value_and_is_counted(aws: Any) -> None:
    counter = CallCounter()
    session = new_botocore_session(None, counter)
    session.set_credentials("AKIAVALIDATION000001", "secret")
    sts = session.create_client("sts", region_name="eu-central-1")
    with pytest.raises(ParamValidationError) as raised:
        # a token of the wrong type: botocore's report quotes it
        sts.assume_role_with_web_identity(
            RoleArn="arn:aws:iam::123456789012:role/r",
            RoleSessionName="session",
            WebIdentityToken=b"eyJhbGciOi.secret",
        )
    assert "eyJhbGciOi.secret" in str(raised.value)
    error = classify(raised.value, "AssumeRoleWithWebIdentity: ")
    assert isinstance(error, PermanentError)
    assert str(error) == (
        "AssumeRoleWithWebIdentity: Parameter validation failed: "
        "Invalid type for parameter WebIdentityToken, type: <class 'bytes'>, "
        "valid types: <class 'str'>"
    )
    sm = session.create_client("secretsmanager", region_name="eu-central-1")
    with pytest.raises(ParamValidationError) as raised:
        sm.batch_get_secret_value(SecretIdList=["", "ok", 7])
    assert str(classify(raised.value)) == (
        "Parameter validation failed: "
        "Invalid length for parameter SecretIdList[0], valid min length: 1; "
        "Invalid type for parameter SecretIdList[2], type: <class 'int'>, "
        "valid types: <class 'str'>"
    )
    assert counter.snapshot() == {
        ("sts", "AssumeRoleWithWebIdentity", "error"): 1,
        ("secretsmanager", "BatchGetSecretValue", "error"): 1,
    }
    assert aws.requests() == []


def test_a_refused_call_not_classified_is_counted_when_the_next_call_starts(aws: Any) -> None:
    counter = CallCounter()
    session = new_botocore_session(None, counter)
    session.set_credentials("AKIAVALIDATION000002", "secret")
    sm = session.create_client("secretsmanager", region_name="eu-central-1")
    with pytest.raises(ParamValidationError):
        sm.get_secret_value(SecretId="")
    assert counter.snapshot() == {}
    sm.list_secrets()
    assert counter.snapshot() == {
        ("secretsmanager", "GetSecretValue", "error"): 1,
        ("secretsmanager", "ListSecrets", "200"): 1,
    }
    # a call that was sent is not counted twice by a later classification
    classify(ValueError("later"))
    assert sum(counter.snapshot().values()) == 2
    assert [r["operation"] for r in aws.requests()] == ["ListSecrets"]


def test_an_unparsable_answer_does_not_quote_it() -> None:
    error = classify(ResponseParserError("Unable to parse response: {'SecretString': 'hunter2'"))
    assert isinstance(error, PermanentError)
    assert str(error) == "unable to parse the answer from AWS (malformed response)"


def test_an_error_that_is_not_botocores_is_named_without_its_text(caplog: Any) -> None:
    error = classify(TypeError("hunter2 is not callable"), "reading k: ")
    assert isinstance(error, PermanentError)
    assert str(error) == (
        "reading k: unexpected error in the AWS client (TypeError); the controller log shows where"
    )
    assert "hunter2" not in caplog.text


# --- endpoint variables -----------------------------------------------------------------------

GENERATORS = """
apiVersion: generators.external-secrets.io/v1alpha1
kind: ECRAuthorizationToken
metadata: {name: ecr, namespace: app}
spec: {region: eu-west-1}
---
apiVersion: generators.external-secrets.io/v1alpha1
kind: ECRAuthorizationToken
metadata: {name: ecr-public, namespace: app}
spec: {region: eu-west-1, scope: public}
"""


def uses(generator: str) -> dict[str, Any]:
    ref = {"generatorRef": {"kind": "ECRAuthorizationToken", "name": generator}}
    return external_secret("e", dataFrom=[{"sourceRef": ref}])


GENERATED = "error processing spec.dataFrom[0].sourceRef.generatorRef, err: error using generator: "
# variable -> (manifests, how the ExternalSecret's error starts, ESO's service name)
CASES = {
    "AWS_SECRETSMANAGER_ENDPOINT": (
        (SM_STORE % "", READ_K),
        "error processing spec.data[0] (key: k), err: ",
        "secretsmanager",
    ),
    "AWS_SSM_ENDPOINT": (
        (PS_STORE % "", READ_K),
        "error processing spec.data[0] (key: k), err: ",
        "ssm",
    ),
    "AWS_STS_ENDPOINT": (
        ((SM_STORE % "").replace('prefix: ""', "role: team-b"), READ_K),
        "error processing spec.data[0] (key: k), err: unable to create session: ",
        "sts",
    ),
    "AWS_ECR_ENDPOINT": ((GENERATORS, uses("ecr")), GENERATED, "ecr"),
    "AWS_ECR_PUBLIC_ENDPOINT": ((GENERATORS, uses("ecr-public")), GENERATED, "ecr public"),
}
BAD_VALUES = {
    "http://[::1": "missing ']' in host",
    "http://host:port-not-a-number": 'invalid port ":port-not-a-number" after host',
    "://no-scheme": "missing protocol scheme",
    "http://[::1]x": 'invalid port "x" after host',
    "http://[zz]:80": 'invalid host or port "[zz]:80"',
    "http://under_score:80": 'invalid host or port "under_score:80"',
    "ftp://h": "an endpoint needs http:// or https:// and a host",
}


@pytest.mark.parametrize("variable", sorted(CASES))
@pytest.mark.parametrize("value", sorted(BAD_VALUES))
def test_an_unparsable_endpoint_variable_is_named_in_the_specs_words(
    aws: Any, env_identity: None, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    (manifest, uses_it), start, service = CASES[variable]
    monkeypatch.setenv(variable, value)
    world = AuthWorld(manifest, uses_it)
    result = synced(world)["app/e"]
    detail = f'parse "{value}": {BAD_VALUES[value]}'
    expected = f"failed to parse {service} endpoint {value}: {detail}"
    assert result.error == start + expected
    assert aws.requests() == []
