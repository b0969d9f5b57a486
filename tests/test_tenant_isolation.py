"""Tenants sharing one ClusterSecretStore share its batches (issue 15): one tenant's bad
reference fails that tenant's ExternalSecret only, the others get their values in as few calls
as before, and every id form AWS accepts (name, full ARN, partial ARN, parameter ARN) resolves.
Everything is counted from what reached the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from aws_kit import ENV_KEY_ID, AuthWorld, client, data_of, external_secret

from extsecrets.model.external_secret import ExternalSecret

TENANTS = ("team-a", "team-b", "team-c")
BAD = "team-d"
SHARED = """
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: shared}
spec:
  provider:
    aws: {service: %s, region: eu-central-1}
"""
SM = SHARED % "SecretsManager"
PS = SHARED % "ParameterStore"
# What AWS would answer a batch that carries an id it refuses (injected: moto refuses none).
REFUSED = "1 validation error detected: the id is refused"


@pytest.fixture(autouse=True)
def env_identity(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The controller's own identity (environment keys); no fault left for the next test."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    yield
    aws.reset_faults()


def tenant_es(namespace: str, *keys: str, **spec: Any) -> dict[str, Any]:
    """ExternalSecret ``app`` of a tenant, reading ``keys`` through the shared store as
    ``k0``, ``k1``..."""
    data = [{"secretKey": f"k{i}", "remoteRef": {"key": key}} for i, key in enumerate(keys)]
    es = external_secret("app", namespace, data=data, **spec)
    es["spec"]["secretStoreRef"] = {"name": "shared", "kind": "ClusterSecretStore"}
    return es


def with_key(es: ExternalSecret, index: int, key: str) -> ExternalSecret:
    """``es`` with ``data[index].remoteRef.key`` replaced: how a key admission refuses (an empty
    one) reaches the engine anyway, as from an API server without our webhook."""
    data = list(es.spec.data)
    data[index] = attrs.evolve(
        data[index], remote_ref=attrs.evolve(data[index].remote_ref, key=key)
    )
    return attrs.evolve(es, spec=attrs.evolve(es.spec, data=tuple(data)))


def sync(world: AuthWorld, bad_key: str | None = None) -> dict[str, Any]:
    """One cycle over every ExternalSecret; the bad tenant's ``data[0]`` key replaced by
    ``bad_key`` when given. Results by namespace."""
    externals = world.cluster.external_secrets()
    if bad_key is not None:
        externals = [
            with_key(es, 0, bad_key) if es.metadata.namespace == BAD else es for es in externals
        ]
    return {r.namespace: r for r in world.engine.sync(externals)}


def ready(result: Any) -> tuple[str, str]:
    condition = result.status.condition("Ready")
    return condition.status, condition.reason


def calls(aws: Any, service: str) -> list[tuple[str, int]]:
    """(operation, number of ids) of every call that reached the emulator, in order."""
    out = []
    for request in aws.requests(service):
        params = request["params"]
        ids = params.get("SecretIdList") or params.get("Names") or []
        out.append((request["operation"], len(ids)))
    return out


def refuse(aws: Any, service: str, operation: str, contains: str) -> None:
    """Every ``operation`` call whose body contains ``contains`` answers AWS's refusal."""
    aws.fail(
        service, operation, "ValidationException", message=REFUSED, contains=contains, count=-1
    )


def finder_es(find: dict[str, Any]) -> dict[str, Any]:
    """ExternalSecret ``finder`` of tenant ``team-e``, finding through the shared store."""
    es = external_secret("finder", "team-e", dataFrom=[{"find": find}])
    es["spec"]["secretStoreRef"] = {"name": "shared", "kind": "ClusterSecretStore"}
    return es


def assert_good_tenants_synced(world: AuthWorld, results: dict[str, Any], value: str) -> None:
    for tenant in TENANTS:
        assert results[tenant].ok, results[tenant].error
        assert ready(results[tenant]) == ("True", "SecretSynced")
        assert data_of(world, "app", tenant) == {
            "k0": f"{value} of {tenant}".encode(),
            "k1": b"shared ca",
            "k2": f"{value} token of {tenant}".encode(),
        }


# --- Secrets Manager ---------------------------------------------------------------------------


@pytest.fixture
def sm(aws: Any) -> Any:
    sm = client(aws, "secretsmanager")
    sm.create_secret(Name="common/ca", SecretString="shared ca")
    for tenant in (*TENANTS, BAD):
        sm.create_secret(Name=f"{tenant}/db", SecretString=f"db of {tenant}")
        sm.create_secret(Name=f"{tenant}/token", SecretString=f"db token of {tenant}")
    return sm


def sm_world(*extra: dict[str, Any]) -> AuthWorld:
    """Four tenants reading their own secrets and a shared one through one store; the last
    tenant's first key is the one the tests make bad."""
    tenants = [tenant_es(t, f"{t}/db", "common/ca", f"{t}/token") for t in (*TENANTS, BAD)]
    return AuthWorld(SM, *tenants, *extra)


@pytest.mark.parametrize(
    ("bad_key", "message"),
    [
        ("", "invalid secret id: it is empty"),
        ("x" * 2049, "invalid secret id: 2049 characters, AWS accepts at most 2048"),
        (
            "team-d/db with spaces",
            "invalid secret id: it holds characters AWS never accepts (U+0020)",
        ),
        (
            "team-d/db\nforged",
            "invalid secret id: it holds characters AWS never accepts (U+000A)",
        ),
    ],
)
def test_sm_an_id_aws_always_refuses_fails_its_tenant_only_and_is_never_sent(
    aws: Any, sm: Any, bad_key: str, message: str
) -> None:
    world = sm_world()
    aws.clear_requests()
    results = sync(world, bad_key)
    assert_good_tenants_synced(world, results, "db")
    bad = results[BAD]
    assert not bad.ok
    assert bad.error == f"error processing spec.data[0] (key: {bad_key!s}), err: {message}".replace(
        "\n", "\\n"
    )
    assert ready(bad) == ("False", "SecretSyncedError")
    assert world.cluster.get_secret(BAD, "app") is None
    # 3 tenants x 2 own secrets + the shared one + the bad tenant's good token: 8 distinct ids,
    # one call; the refused id never reached AWS
    assert calls(aws, "secretsmanager") == [("BatchGetSecretValue", 8)]
    sent = aws.requests("secretsmanager")[0]["params"]["SecretIdList"]
    assert sorted(sent) == sorted(
        ["common/ca", "team-d/token"] + [f"{t}/{s}" for t in TENANTS for s in ("db", "token")]
    )


def test_sm_a_batch_aws_refuses_is_split_down_to_the_bad_id(aws: Any, sm: Any) -> None:
    world = sm_world()
    refuse(aws, "secretsmanager", "BatchGetSecretValue", "team-d/refused")
    aws.clear_requests()
    results = sync(world, "team-d/refused")
    assert_good_tenants_synced(world, results, "db")
    assert results[BAD].error == (
        "error processing spec.data[0] (key: team-d/refused), err: An error occurred "
        f"(ValidationException) when calling the BatchGetSecretValue operation: {REFUSED}"
    )
    assert ready(results[BAD]) == ("False", "SecretSyncedError")
    # 9 ids, the culprit 8th: the whole fails; its first half (5) is read; the second half
    # must hold the culprit, so it is split unasked: 2 read; the last 2 split: the culprit
    # fails alone, the id beside it is read. Five calls, not one a reference.
    assert calls(aws, "secretsmanager") == [
        ("BatchGetSecretValue", 9),
        ("BatchGetSecretValue", 5),
        ("BatchGetSecretValue", 2),
        ("BatchGetSecretValue", 1),
        ("BatchGetSecretValue", 1),
    ]
    assert [r["status"] for r in aws.requests("secretsmanager")] == [400, 200, 200, 400, 200]


def test_sm_throttling_still_fails_the_whole_batch_for_a_retry(aws: Any, sm: Any) -> None:
    """Not about an id: no splitting, every tenant retries (botocore's three attempts)."""
    world = sm_world()
    aws.fail("secretsmanager", "BatchGetSecretValue", "ThrottlingException", count=-1)
    aws.clear_requests()
    results = sync(world)
    assert all(r.retry and "ThrottlingException" in (r.error or "") for r in results.values())
    assert calls(aws, "secretsmanager") == [("BatchGetSecretValue", 9)] * 3


def test_sm_find_results_share_the_batch_with_a_bad_reference(aws: Any, sm: Any) -> None:
    world = sm_world(finder_es({"name": {"regexp": "/db$"}}))
    refuse(aws, "secretsmanager", "BatchGetSecretValue", "team-d/refused")
    aws.clear_requests()
    results = sync(world, "team-d/refused")
    assert_good_tenants_synced(world, results, "db")
    assert results["team-e"].ok, results["team-e"].error
    assert data_of(world, "finder", "team-e") == {
        f"{t}_db": f"db of {t}".encode() for t in (*TENANTS, BAD)
    }
    assert "refused" in (results[BAD].error or "")
    # the found names join the tenants' ids (team-d/db, whose reference was replaced, only
    # through the find): 10 ids, the culprit 8th. The whole fails, 5 are read, the other 5
    # split unasked: 3 fail, so 2 of them are read and the culprit is known without asking
    # it alone; the last 2 are read.
    assert calls(aws, "secretsmanager") == [
        ("ListSecrets", 0),
        ("BatchGetSecretValue", 10),
        ("BatchGetSecretValue", 5),
        ("BatchGetSecretValue", 3),
        ("BatchGetSecretValue", 2),
        ("BatchGetSecretValue", 2),
    ]
    assert [r["status"] for r in aws.requests("secretsmanager")] == [200, 400, 200, 400, 200, 200]


def test_sm_a_found_name_aws_refuses_fails_the_find_only(aws: Any, sm: Any) -> None:
    world = sm_world(finder_es({"name": {"regexp": "/db$"}}))
    refuse(aws, "secretsmanager", "BatchGetSecretValue", "team-d/db")
    results = sync(world)
    assert_good_tenants_synced(world, results, "db")
    assert results[BAD].error == (
        "error processing spec.data[0] (key: team-d/db), err: An error occurred "
        f"(ValidationException) when calling the BatchGetSecretValue operation: {REFUSED}"
    )
    assert results["team-e"].error == (
        "error processing spec.dataFrom[0].find, err: error getting all secrets: "
        "could not read every matching secret: "
        "team-d/db (An error occurred (ValidationException) when calling the "
        f"BatchGetSecretValue operation: {REFUSED})"
    )


def test_sm_a_malformed_answer_fails_only_what_it_concerns(aws: Any, sm: Any) -> None:
    """An answer with a value of the wrong type fails that secret's readers; ids it leaves
    unanswered are read alone (never "not found" by a guess)."""
    world = AuthWorld(
        SM,
        tenant_es("team-a", "team-a/db"),
        tenant_es("team-b", "team-b/db", target={"deletionPolicy": "Delete"}),
    )
    aws.answer(
        "secretsmanager",
        "BatchGetSecretValue",
        {"SecretValues": [{"Name": "team-a/db", "SecretString": 5}, {"ARN": 7}], "Errors": []},
    )
    aws.clear_requests()
    results = sync(world)
    assert results["team-a"].error == (
        "error processing spec.data[0] (key: team-a/db), err: malformed answer from Secrets "
        "Manager: the value is not text"
    )
    assert results["team-b"].ok
    assert data_of(world, "app", "team-b") == {"k0": b"db of team-b"}
    assert [(r["operation"], r["params"].get("SecretId")) for r in aws.requests()] == [
        ("BatchGetSecretValue", None),
        ("GetSecretValue", "team-b/db"),
    ]


# --- every id form --------------------------------------------------------------------------------


def test_sm_name_full_arn_and_partial_arn_read_one_secret(aws: Any, sm: Any) -> None:
    arn = sm.describe_secret(SecretId="team-a/db")["ARN"]
    partial = arn[: -len("-AbCdEf")]
    world = AuthWorld(
        SM,
        tenant_es("team-a", "team-a/db", arn, partial, target={"deletionPolicy": "Delete"}),
    )
    aws.clear_requests()
    results = sync(world)
    assert results["team-a"].ok, results["team-a"].error
    assert data_of(world, "app", "team-a") == dict.fromkeys(("k0", "k1", "k2"), b"db of team-a")
    assert calls(aws, "secretsmanager") == [("BatchGetSecretValue", 3)]


def test_sm_a_store_prefix_that_is_an_arn_head(aws: Any, sm: Any) -> None:
    """``prefix`` is concatenated as written (spec §1.1): with the ARN up to ``secret:`` as
    prefix, a key with the random suffix makes a full ARN and one without a partial ARN."""
    arn = sm.describe_secret(SecretId="team-a/db")["ARN"]
    head = arn[: arn.index(":secret:") + len(":secret:")]
    store = SM.replace("region: eu-central-1}", f'region: eu-central-1, prefix: "{head}"}}')
    world = AuthWorld(store, tenant_es("team-a", "team-a/db", arn[len(head) :], "team-b/token"))
    aws.clear_requests()
    results = sync(world)
    assert results["team-a"].ok, results["team-a"].error
    assert data_of(world, "app", "team-a") == {
        "k0": b"db of team-a",
        "k1": b"db of team-a",
        "k2": b"db token of team-b",
    }
    assert calls(aws, "secretsmanager") == [("BatchGetSecretValue", 3)]


def test_sm_a_missing_partial_arn_is_not_found(aws: Any, sm: Any) -> None:
    arn = sm.describe_secret(SecretId="team-a/db")["ARN"]
    missing = arn.replace("team-a/db", "team-a/gone")[: -len("-AbCdEf")]
    world = AuthWorld(SM, tenant_es("team-a", missing, target={"deletionPolicy": "Delete"}))
    aws.clear_requests()
    result = sync(world)["team-a"]
    assert result.ok
    assert ready(result) == ("True", "SecretDeleted")
    assert calls(aws, "secretsmanager") == [("BatchGetSecretValue", 1)]


# --- Parameter Store -------------------------------------------------------------------------------


@pytest.fixture
def ssm(aws: Any) -> Any:
    ssm = client(aws, "ssm")
    ssm.put_parameter(Name="/common/ca", Value="shared ca", Type="String")
    for tenant in (*TENANTS, BAD):
        ssm.put_parameter(Name=f"/{tenant}/db", Value=f"param of {tenant}", Type="SecureString")
        ssm.put_parameter(Name=f"/{tenant}/token", Value=f"param token of {tenant}", Type="String")
    return ssm


def ps_world(*extra: dict[str, Any]) -> AuthWorld:
    """As :func:`sm_world`, over Parameter Store."""
    tenants = [tenant_es(t, f"/{t}/db", "/common/ca", f"/{t}/token") for t in (*TENANTS, BAD)]
    return AuthWorld(PS, *tenants, *extra)


@pytest.mark.parametrize(
    ("bad_key", "message"),
    [
        ("", "invalid parameter name: it is empty"),
        ("/" + "x" * 2048, "invalid parameter name: 2049 characters, AWS accepts at most 2048"),
        (
            "/team-d/bad name",
            "invalid parameter name: it holds characters AWS never accepts (U+0020)",
        ),
        ("/team-d/db#1", "invalid parameter name: it holds characters AWS never accepts (U+0023)"),
    ],
)
def test_ps_a_name_aws_always_refuses_fails_its_tenant_only_and_is_never_sent(
    aws: Any, ssm: Any, bad_key: str, message: str
) -> None:
    world = ps_world()
    aws.clear_requests()
    results = sync(world, bad_key)
    assert_good_tenants_synced(world, results, "param")
    assert results[BAD].error == f"error processing spec.data[0] (key: {bad_key}), err: {message}"
    assert ready(results[BAD]) == ("False", "SecretSyncedError")
    # 8 distinct names, 10 a call: one call
    assert calls(aws, "ssm") == [("GetParameters", 8)]


def test_ps_a_batch_aws_refuses_is_split_down_to_the_bad_name(aws: Any, ssm: Any) -> None:
    world = ps_world()
    refuse(aws, "ssm", "GetParameters", "/team-d/refused")
    aws.clear_requests()
    results = sync(world, "/team-d/refused")
    assert_good_tenants_synced(world, results, "param")
    assert results[BAD].error == (
        "error processing spec.data[0] (key: /team-d/refused), err: An error occurred "
        f"(ValidationException) when calling the GetParameters operation: {REFUSED}"
    )
    # the same split as for Secrets Manager (see there)
    assert calls(aws, "ssm") == [
        ("GetParameters", 9),
        ("GetParameters", 5),
        ("GetParameters", 2),
        ("GetParameters", 1),
        ("GetParameters", 1),
    ]
    assert [r["status"] for r in aws.requests("ssm")] == [400, 200, 200, 400, 200]


def test_ps_name_and_arn_read_one_parameter(aws: Any, ssm: Any) -> None:
    ssm.put_parameter(Name="/team-a/db", Value="second", Type="SecureString", Overwrite=True)
    arn = ssm.get_parameter(Name="/team-a/db")["Parameter"]["ARN"]
    world = AuthWorld(
        PS,
        tenant_es(
            "team-a",
            "/team-a/db",
            arn,
            f"{arn}:1",
            "/team-a/db:1",
            target={"deletionPolicy": "Delete"},
        ),
    )
    aws.clear_requests()
    results = sync(world)
    assert results["team-a"].ok, results["team-a"].error
    assert data_of(world, "app", "team-a") == {
        "k0": b"second",
        "k1": b"second",
        "k2": b"param of team-a",
        "k3": b"param of team-a",
    }
    assert calls(aws, "ssm") == [("GetParameters", 4)]


def test_ps_find_results_share_the_batch_with_a_bad_reference(aws: Any, ssm: Any) -> None:
    for tenant in (*TENANTS, BAD):
        ssm.add_tags_to_resource(
            ResourceType="Parameter",
            ResourceId=f"/{tenant}/db",
            Tags=[{"Key": "kind", "Value": "db"}],
        )
    world = ps_world(finder_es({"tags": {"kind": "db"}}))
    refuse(aws, "ssm", "GetParameters", "/team-d/refused")
    aws.clear_requests()
    results = sync(world, "/team-d/refused")
    assert_good_tenants_synced(world, results, "param")
    assert results["team-e"].ok, results["team-e"].error
    assert data_of(world, "finder", "team-e") == {
        f"_{t}_db": f"param of {t}".encode() for t in (*TENANTS, BAD)
    }
    assert "ValidationException" in (results[BAD].error or "")
    # the found /team-d/db joins the 9 names: 10, the culprit 8th; split as for Secrets Manager
    assert calls(aws, "ssm") == [
        ("DescribeParameters", 0),
        ("GetParameters", 10),
        ("GetParameters", 5),
        ("GetParameters", 3),
        ("GetParameters", 2),
        ("GetParameters", 2),
    ]
