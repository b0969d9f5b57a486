"""find's decision table, batching across ExternalSecrets, the BatchGetSecretValue fallback
and error classes, counted from what reached the emulator."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aws_kit import SM_STORE, AuthWorld, client, data_of, synced

from extsecrets_aws_auth.metrics import FALLBACKS


def es(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": "app"},
        "spec": {"secretStoreRef": {"name": "s"}, **spec},
    }


@pytest.fixture
def sm(aws) -> Any:
    sm = client(aws, "secretsmanager")
    for name, team, env in [
        ("/team/a/db", "a", "prod"),
        ("/team/a/api", "a", "dev"),
        ("/team/b/db", "b", "prod"),
        ("other", "c", "prod"),
    ]:
        sm.create_secret(
            Name=name,
            SecretString=f"value of {name}",
            Tags=[{"Key": "team", "Value": team}, {"Key": "env", "Value": env}],
        )
    return sm


def ops(aws) -> list[str]:
    return [r["operation"] for r in aws.requests("secretsmanager")]


@pytest.mark.parametrize(
    ("find", "keys", "calls"),
    [
        # name, no path: ListSecrets, then the matches are read in the cycle's batch
        (
            {"name": {"regexp": "db$"}},
            {"_team_a_db", "_team_b_db"},
            ["ListSecrets", "BatchGetSecretValue"],
        ),
        # name and path: BatchGetSecretValue filtered by name prefix, then the regexp
        (
            {"path": "/team/a", "name": {"regexp": "api"}},
            {"_team_a_api"},
            ["BatchGetSecretValue"],
        ),
        # tags: BatchGetSecretValue with tag filters
        ({"tags": {"team": "a"}}, {"_team_a_db", "_team_a_api"}, ["BatchGetSecretValue"]),
        # tags and path
        (
            {"tags": {"env": "prod"}, "path": "/team"},
            {"_team_a_db", "_team_b_db"},
            ["BatchGetSecretValue"],
        ),
        # name and tags, no path: ListSecrets with tag filters
        (
            {"name": {"regexp": "^/team/"}, "tags": {"env": "prod"}},
            {"_team_a_db", "_team_b_db"},
            ["ListSecrets", "BatchGetSecretValue"],
        ),
        # all three
        (
            {"name": {"regexp": "b/"}, "tags": {"env": "prod"}, "path": "/team"},
            {"_team_b_db"},
            ["BatchGetSecretValue"],
        ),
    ],
)
def test_find_modes(aws, sm, find: dict[str, Any], keys: set[str], calls: list[str]) -> None:
    aws.clear_requests()
    world = AuthWorld(SM_STORE % "", es("e", dataFrom=[{"find": find}]))
    assert synced(world)["app/e"].ok
    stored = data_of(world, "e")
    assert set(stored) == keys
    assert stored[sorted(keys)[0]].decode().startswith("value of /team/")
    assert ops(aws) == calls


def test_find_never_applies_the_prefix_twice(aws, sm) -> None:
    world = AuthWorld(
        SM_STORE % "/team/", es("e", dataFrom=[{"find": {"name": {"regexp": "a/db"}}}])
    )
    assert synced(world)["app/e"].ok
    assert data_of(world, "e") == {"_team_a_db": b"value of /team/a/db"}


def test_find_matching_nothing_is_empty(aws, sm) -> None:
    world = AuthWorld(
        SM_STORE % "",
        es(
            "e",
            dataFrom=[{"find": {"name": {"regexp": "^nothing"}}}],
            target={"deletionPolicy": "Delete"},
        ),
    )
    result = synced(world)["app/e"]
    assert result.ok
    assert result.status.condition("Ready").reason == "SecretDeleted"  # type: ignore[union-attr]


def test_list_secrets_pages_are_followed(aws, sm) -> None:
    for i in range(130):
        sm.create_secret(Name=f"bulk/{i:03}", SecretString=str(i))
    aws.clear_requests()
    world = AuthWorld(SM_STORE % "", es("e", dataFrom=[{"find": {"name": {"regexp": "^bulk/"}}}]))
    assert synced(world)["app/e"].ok
    assert len(data_of(world, "e")) == 130
    assert ops(aws).count("ListSecrets") >= 2
    # 130 matches read 20 a call
    assert ops(aws).count("BatchGetSecretValue") == 7


def test_45_distinct_secrets_for_300_external_secrets_take_3_batch_calls(aws, sm) -> None:
    for i in range(45):
        sm.create_secret(Name=f"shared/{i}", SecretString=f"v{i}")
    externals = [
        es(
            f"e{n}",
            data=[
                {"secretKey": "a", "remoteRef": {"key": f"shared/{n % 45}"}},
                {"secretKey": "b", "remoteRef": {"key": f"shared/{(n * 7) % 45}"}},
            ],
        )
        for n in range(300)
    ]
    aws.clear_requests()
    world = AuthWorld(SM_STORE % "", *externals)
    results = synced(world)
    assert all(r.ok for r in results.values())
    assert data_of(world, "e46") == {"a": b"v1", "b": b"v7"}
    assert ops(aws) == ["BatchGetSecretValue"] * 3
    assert all(len(r["params"]["SecretIdList"]) <= 20 for r in aws.requests("secretsmanager"))


def test_a_missing_secret_in_a_batch_fails_only_what_named_it(aws, sm) -> None:
    aws.clear_requests()
    world = AuthWorld(
        SM_STORE % "",
        es("good", data=[{"secretKey": "a", "remoteRef": {"key": "other"}}]),
        es("bad", data=[{"secretKey": "a", "remoteRef": {"key": "missing"}}]),
    )
    results = synced(world)
    assert results["app/good"].ok
    assert results["app/bad"].error == (
        "error processing spec.data[0] (key: missing), err: Secret does not exist"
    )
    assert ops(aws) == ["BatchGetSecretValue"]


def test_denied_batches_fall_back_to_single_reads_and_say_so_once(aws, sm, caplog) -> None:
    aws.fail("secretsmanager", "BatchGetSecretValue", "AccessDeniedException", count=-1)
    before = FALLBACKS.total("secretsmanager")
    world = AuthWorld(
        SM_STORE % "",
        es(
            "e",
            data=[
                {"secretKey": "a", "remoteRef": {"key": "/team/a/db"}},
                {"secretKey": "b", "remoteRef": {"key": "/team/b/db"}},
            ],
            dataFrom=[{"find": {"tags": {"team": "a"}}}],
        ),
    )
    with caplog.at_level(logging.WARNING):
        assert synced(world)["app/e"].ok, synced(world)["app/e"].error
        aws.clear_requests()
        synced(world)
    assert set(data_of(world, "e")) == {"a", "b", "_team_a_db", "_team_a_api"}
    # the second cycle does not try the batch again
    assert "BatchGetSecretValue" not in ops(aws)
    # three distinct secrets, /team/a/db named twice
    assert sorted(ops(aws)) == ["GetSecretValue"] * 3 + ["ListSecrets"]
    assert FALLBACKS.total("secretsmanager") == before + 1
    warnings = [r for r in caplog.records if "BatchGetSecretValue is denied" in r.getMessage()]
    assert len(warnings) == 1


def test_throttling_is_retried_then_temporary(aws, sm) -> None:
    aws.fail("secretsmanager", "BatchGetSecretValue", "ThrottlingException", count=-1)
    world = AuthWorld(
        SM_STORE % "", es("e", data=[{"secretKey": "a", "remoteRef": {"key": "other"}}])
    )
    result = synced(world)["app/e"]
    assert result.retry
    assert "ThrottlingException" in (result.error or "")
    assert ops(aws).count("BatchGetSecretValue") == 3  # botocore's standard attempts


def test_access_denied_on_a_read_is_not_retried_and_sanitised(aws, sm) -> None:
    aws.fail(
        "secretsmanager",
        "GetSecretValue",
        "AccessDeniedException",
        message="not allowed, request id: 1234abcd-ef",
        count=-1,
    )
    world = AuthWorld(
        SM_STORE % "",
        es("e", data=[{"secretKey": "a", "remoteRef": {"key": "other", "version": "AWSPREVIOUS"}}]),
    )
    result = synced(world)["app/e"]
    assert result.error == (
        "error processing spec.data[0] (key: other), err: An error occurred "
        "(AccessDeniedException) when calling the GetSecretValue operation: not allowed, "
        "request id: <redacted>"
    )
    assert ops(aws).count("GetSecretValue") == 1


def _denied_scenario(aws) -> None:
    """An identity denied BatchGetSecretValue reads one by one."""
    aws.fail("secretsmanager", "BatchGetSecretValue", "AccessDeniedException", count=-1)
    aws.clear_requests()
    world = AuthWorld(
        SM_STORE % "", es("e", data=[{"secretKey": "a", "remoteRef": {"key": "other"}}])
    )
    assert synced(world)["app/e"].ok
    assert ops(aws) == ["BatchGetSecretValue", "GetSecretValue"]
    aws.reset_faults()


def _allowed_scenario(aws) -> None:
    """The same identity (the same keys), allowed now, in an engine of its own: one batch."""
    aws.clear_requests()
    world = AuthWorld(
        SM_STORE % "", es("e", data=[{"secretKey": "a", "remoteRef": {"key": "other"}}])
    )
    assert synced(world)["app/e"].ok
    assert data_of(world, "e") == {"a": b"value of other"}
    assert ops(aws) == ["BatchGetSecretValue"]


@pytest.mark.parametrize("order", ["denied first", "allowed first"])
def test_a_denial_is_remembered_by_its_own_engine_only(aws, sm, order: str) -> None:
    """The denial lives with the denied session: a later engine with the same keys (another
    operator, another test) asks again. It used to be a process-wide memory, so a test that was
    denied changed the calls of every later test with the same keys."""
    scenarios = [_denied_scenario, _allowed_scenario]
    for scenario in scenarios if order == "denied first" else scenarios[::-1]:
        scenario(aws)
