"""The default chain's sources, endpoints, retries, the credential cache, referent stores and
generator auth, as they reached the emulator."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aws_kit import ENV_KEY_ID, AuthWorld, params_tags, secret_doc

from extsecrets.errors import AuthError, ConfigError, TemporaryError
from extsecrets.model import SecretKeySelector
from extsecrets.types import GeneratorView, StoreView
from extsecrets_aws_auth.config import AWSAuth, AWSAuthSecretRef
from extsecrets_aws_auth.metrics import API_CALLS

STORE = """
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: store, namespace: app}
spec:
  provider:
    aws:
      service: SecretsManager
      region: eu-central-1
      role: team-b
"""


def env_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")


# --- the default chain ----------------------------------------------------------------------


class PodIdentityAgent(BaseHTTPRequestHandler):
    """Serves credentials as the EKS Pod Identity agent does: only with the right token."""

    token = "pod-identity-token"
    served: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != self.token:
            self.send_response(401)
            self.end_headers()
            return
        expiry = dt.datetime.now(dt.UTC) + dt.timedelta(hours=6)
        body = json.dumps(
            {
                "AccessKeyId": "ASIAPODIDENTITY00001",
                "SecretAccessKey": "pod-secret",
                "Token": "pod-session-token",
                "AccountId": "123456789012",
                "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ).encode()
        PodIdentityAgent.served.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def pod_identity_agent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), PodIdentityAgent)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    token_file = tmp_path / "eks-pod-identity-token"
    token_file.write_text(PodIdentityAgent.token)
    url = f"http://127.0.0.1:{server.server_address[1]}/v1/credentials"
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url)
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(token_file))
    PodIdentityAgent.served = []
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_eks_pod_identity_credentials_come_from_the_container_endpoint(
    aws, pod_identity_agent
) -> None:
    world = AuthWorld(STORE)
    (result,) = world.validate().values()
    assert result.ok, result.error
    assert PodIdentityAgent.served == ["/v1/credentials"]
    assert {r["access_key_id"] for r in aws.requests("sts")} == {"ASIAPODIDENTITY00001"}


def test_mounted_irsa_web_identity_uses_the_sts_endpoint_variable(
    aws, monkeypatch, tmp_path
) -> None:
    token = tmp_path / "token"
    token.write_text("a-projected-service-account-token")
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/controller")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    world = AuthWorld(STORE)
    (result,) = world.validate().values()
    assert result.ok, result.error
    exchange, whoami, assume = aws.requests("sts")
    assert exchange["operation"] == "AssumeRoleWithWebIdentity"
    # signed by the web identity's credentials, to resolve the bare role name
    assert whoami["operation"] == "GetCallerIdentity"
    assert whoami["access_key_id"] == assume["access_key_id"] != ENV_KEY_ID
    assert exchange["params"]["RoleArn"] == "arn:aws:iam::123456789012:role/controller"
    assert exchange["params"]["WebIdentityToken"] == "a-projected-service-account-token"
    assert assume["params"]["RoleArn"] == "arn:aws:iam::123456789012:role/team-b"


# --- endpoints ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("://no-scheme", 'parse "://no-scheme": missing protocol scheme'),
        ("http://bad\x7fhost", "net/url: invalid control character in URL"),
        ("http://host:port", 'parse "http://host:port": invalid port ":port" after host'),
    ],
)
def test_an_unparsable_endpoint_is_named(aws, monkeypatch, value: str, detail: str) -> None:
    env_keys(monkeypatch)
    monkeypatch.setenv("AWS_STS_ENDPOINT", value)
    world = AuthWorld(STORE)
    (result,) = world.validate().values()
    shown = value.replace("\x7f", "\\u007f")  # a control character is shown escaped
    assert (
        result.error == f"unable to create session: failed to parse sts endpoint {shown}: {detail}"
    )


def test_the_standard_endpoint_variables_keep_working(aws, monkeypatch) -> None:
    env_keys(monkeypatch)
    monkeypatch.delenv("AWS_STS_ENDPOINT")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", aws.url)
    world = AuthWorld(STORE)
    (result,) = world.validate().values()
    assert result.ok, result.error
    assert len(aws.requests("sts")) == 2


# --- retries --------------------------------------------------------------------------------


def retry_store(settings: str) -> str:
    return STORE + f"  retrySettings: {settings}\n"


def test_max_retries_counts_attempts(aws, monkeypatch) -> None:
    env_keys(monkeypatch)
    aws.fail("sts", "GetCallerIdentity", "Throttling", count=-1)
    world = AuthWorld(retry_store("{maxRetries: 3, retryInterval: 10ms}"))
    (result,) = world.validate().values()
    assert result.error is not None
    assert "Throttling" in result.error
    calls = aws.requests("sts", "GetCallerIdentity")
    assert len(calls) == 3
    assert [re.search(r"attempt=\d+", c["headers"]["amz-sdk-request"])[0] for c in calls] == [
        "attempt=1",
        "attempt=2",
        "attempt=3",
    ]


def test_throttling_is_temporary_and_a_retry_can_succeed(aws, monkeypatch) -> None:
    env_keys(monkeypatch)
    aws.fail("sts", "GetCallerIdentity", "Throttling", count=1)
    world = AuthWorld(retry_store("{maxRetries: 2, retryInterval: 10ms}"))
    (result,) = world.validate().values()
    assert result.ok, result.error
    aws.fail("sts", "AssumeRole", "Throttling", count=-1)
    world = AuthWorld(retry_store("{maxRetries: 1}"))
    view = StoreView(
        "SecretStore",
        "store",
        "app",
        "aws",
        "SecretsManager",
        world.stores()[0].spec.provider.config,
    )
    with pytest.raises(TemporaryError):
        world.host.authenticate(view, "app", world.cluster)


def test_an_invalid_retry_interval_is_eso_text() -> None:
    import attrs

    from extsecrets.model.store import RetrySettingsSpec
    from extsecrets.sync.stores import store_view

    world_store = AuthWorld(STORE).stores()[0]
    broken = attrs.evolve(
        world_store,
        spec=attrs.evolve(world_store.spec, retry_settings=RetrySettingsSpec(3, "10 parsecs")),
    )
    with pytest.raises(ConfigError) as info:
        store_view(broken)
    assert (
        str(info.value) == 'unable to initialize aws provider: time: invalid duration "10 parsecs"'
    )


# --- the credential cache -------------------------------------------------------------------


def test_credentials_are_renewed_five_minutes_before_they_expire(aws, monkeypatch) -> None:
    env_keys(monkeypatch)
    world = AuthWorld(STORE)
    world.validate()
    assert len(aws.requests("sts")) == 2
    world.clock.now += dt.timedelta(minutes=54)
    world.validate()
    assert len(aws.requests("sts")) == 2
    world.clock.now += dt.timedelta(minutes=2)  # 4 minutes left of moto's hour
    world.validate()
    assert len(aws.requests("sts")) == 4


def test_rotated_static_keys_are_used_at_the_next_sync(aws) -> None:
    text = (
        STORE
        + """      auth:
        secretRef:
          accessKeyIDSecretRef: {name: keys, key: id}
          secretAccessKeySecretRef: {name: keys, key: secret}
"""
    )
    world = AuthWorld(text, secret_doc("keys", "app", id="AKIAFIRST00000000001", secret="s"))
    world.validate()
    world.validate()
    world.cluster.apply(secret_doc("keys", "app", id="AKIASECOND0000000001", secret="s"))
    world.validate()
    assert [r["access_key_id"] for r in aws.requests("sts", "GetCallerIdentity")] == [
        "AKIAFIRST00000000001",
        "AKIASECOND0000000001",
    ]


def test_sts_calls_and_token_requests_are_counted(aws) -> None:
    world = AuthWorld(
        """
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
  namespace: app
  annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::123456789012:role/a"}
---
"""
        + STORE
        + "      auth: {jwt: {serviceAccountRef: {name: sa}}}\n"
    )
    before = API_CALLS.snapshot()
    world.validate()
    after = API_CALLS.snapshot()

    def delta(key: tuple[str, str, str]) -> int:
        return after.get(key, 0) - before.get(key, 0)

    assert delta(("sts", "AssumeRoleWithWebIdentity", "200")) == 1
    assert delta(("sts", "AssumeRole", "200")) == 1
    assert delta(("kubernetes", "TokenRequest", "201")) == 1


# --- referent cluster stores ----------------------------------------------------------------

REFERENT = """
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: shared}
spec:
  provider:
    aws:
      service: SecretsManager
      region: eu-central-1
      auth:
        secretRef:
          accessKeyIDSecretRef: {name: keys, key: id}
          secretAccessKeySecretRef: {name: keys, key: secret}
"""


def test_a_referent_cluster_store_is_valid_without_contacting_aws(aws) -> None:
    world = AuthWorld(REFERENT)
    (result,) = world.validate().values()
    assert (result.ok, result.reason, result.contacted) == (True, "Valid", False)
    assert aws.requests() == []
    status = world.cluster.store_statuses[("ClusterSecretStore", "", "shared")]
    ready = status.condition("Ready")
    assert ready is not None
    assert (ready.status, ready.message) == ("True", "store validated")


def test_a_referent_cluster_store_reads_keys_in_the_external_secrets_namespace(aws) -> None:
    world = AuthWorld(
        REFERENT.replace("role", "x"),
        secret_doc("keys", "team-a", id="AKIATEAMA00000000001", secret="s"),
    )
    view = StoreView(
        "ClusterSecretStore",
        "shared",
        None,
        "aws",
        "SecretsManager",
        world.stores()[0].spec.provider.config,
    )
    creds = world.host.authenticate(view, "team-a", world.cluster)
    assert creds is not None
    creds.value.client("sts").get_caller_identity()
    assert [r["access_key_id"] for r in aws.requests("sts")] == ["AKIATEAMA00000000001"]
    with pytest.raises(AuthError, match='from namespace "team-b"'):
        world.host.authenticate(view, "team-b", world.cluster)


# --- generators -----------------------------------------------------------------------------


def test_generator_auth_reads_in_the_callers_namespace_and_assumes_a_plain_role(aws) -> None:
    from extsecrets_aws_ecr.config import ECRAuthorizationTokenSpec

    world = AuthWorld("", secret_doc("keys", "team-a", id="AKIAGENERATOR0000001", secret="s"))
    config = ECRAuthorizationTokenSpec(
        region="eu-west-1",
        role="puller",
        auth=AWSAuth(
            secret_ref=AWSAuthSecretRef(
                SecretKeySelector("keys", "id", namespace="elsewhere"),
                SecretKeySelector("keys", "secret", namespace="elsewhere"),
            )
        ),
    )
    view = GeneratorView(
        "generators.external-secrets.io/v1alpha1", "ECRAuthorizationToken", "ecr", "team-a", config
    )
    creds = world.host.authenticate(view, "team-a", world.cluster)
    assert creds is not None
    assert creds.expires_at is not None
    whoami, assume = aws.requests("sts")
    assert whoami["access_key_id"] == "AKIAGENERATOR0000001"
    assert assume["params"]["RoleArn"] == "arn:aws:iam::123456789012:role/puller"
    assert assume["region"] == "eu-west-1"
    assert params_tags(assume["params"]) == {}
    view_elsewhere = GeneratorView(view.api_version, view.kind, view.name, "team-b", config)
    with pytest.raises(AuthError) as info:
        world.host.authenticate(view_elsewhere, "team-b", world.cluster)
    assert str(info.value).startswith(
        "unable to create aws session: could not fetch SecretAccessKey secret: cannot get "
        'Kubernetes secret "keys" from namespace "team-b"'
    )


def test_the_shared_credentials_file_is_part_of_the_default_chain(
    aws, monkeypatch, tmp_path
) -> None:
    path = tmp_path / "credentials"
    path.write_text(
        "[default]\naws_access_key_id = AKIASHAREDFILE000001\naws_secret_access_key = s\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(path))
    world = AuthWorld(STORE)
    (result,) = world.validate().values()
    assert result.ok, result.error
    assert {r["access_key_id"] for r in aws.requests("sts")} == {"AKIASHAREDFILE000001"}


def test_a_cluster_store_selector_namespace_wins_over_the_callers(aws) -> None:
    text = REFERENT.replace("{name: keys, key: id}", "{name: keys, key: id, namespace: vault}")
    text = text.replace("{name: keys, key: secret}", "{name: keys, key: secret, namespace: vault}")
    world = AuthWorld(text, secret_doc("keys", "vault", id="AKIAVAULT00000000001", secret="s"))
    (result,) = world.validate().values()
    # not referent: its keys are read (static keys need no AWS call to be had)
    assert (result.ok, result.contacted) == (True, True)
    view = StoreView(
        "ClusterSecretStore",
        "shared",
        None,
        "aws",
        "SecretsManager",
        world.stores()[0].spec.provider.config,
    )
    creds = world.host.authenticate(view, "team-a", world.cluster)
    assert creds is not None
    creds.value.client("sts").get_caller_identity()
    assert [r["access_key_id"] for r in aws.requests("sts")] == ["AKIAVAULT00000000001"]
