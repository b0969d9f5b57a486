"""Single reads, extract and their errors (spec §3.1 to §3.3), through the core's sync path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_kit import SM_STORE, AuthWorld, client, data_of, synced


def world_with(entries: dict[str, Any], prefix: str = "", **spec: Any) -> AuthWorld:
    es = {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "e", "namespace": "app"},
        "spec": {"secretStoreRef": {"name": "s"}, **entries, **spec},
    }
    return AuthWorld(SM_STORE % prefix, es)


def data(*items: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"data": [{"secretKey": k, "remoteRef": r} for k, r in items]}


DOC = {
    "user": "admin",
    "port": 5432,
    "ratio": 1.50,
    "on": True,
    "none": None,
    "nested": {"a": {"b": "deep"}},
    "dotted.key": "literal",
    "dotted": {"key": "nested"},
    "list": [{"name": "x"}, {"name": "y"}],
}


@pytest.fixture
def sm(aws) -> Any:
    sm = client(aws, "secretsmanager")
    sm.create_secret(Name="app/db", SecretString=json.dumps(DOC))
    sm.create_secret(Name="plain", SecretString="hello")
    sm.create_secret(Name="binary", SecretBinary=b"\x00\xffraw")
    sm.create_secret(
        Name="tagged",
        SecretString="x",
        Tags=[{"Key": "team", "Value": "a&b"}, {"Key": "env", "Value": "<prod>"}],
    )
    return sm


def test_values_binary_and_gjson_properties(aws, sm) -> None:
    world = world_with(
        data(
            ("plain", {"key": "plain"}),
            ("binary", {"key": "binary"}),
            ("user", {"key": "app/db", "property": "user"}),
            ("port", {"key": "app/db", "property": "port"}),
            ("ratio", {"key": "app/db", "property": "ratio"}),
            ("on", {"key": "app/db", "property": "on"}),
            ("none", {"key": "app/db", "property": "none"}),
            ("deep", {"key": "app/db", "property": "nested.a.b"}),
            ("object", {"key": "app/db", "property": "nested.a"}),
            ("literal", {"key": "app/db", "property": "dotted.key"}),
            ("second", {"key": "app/db", "property": "list.1.name"}),
            ("count", {"key": "app/db", "property": "list.#"}),
        )
    )
    assert synced(world)["app/e"].ok
    assert data_of(world, "e") == {
        "plain": b"hello",
        "binary": b"\x00\xffraw",
        "user": b"admin",
        "port": b"5432",
        "ratio": b"1.5",
        "on": b"true",
        "none": b"",
        "deep": b"deep",
        "object": b'{"b": "deep"}',
        "literal": b"literal",  # a literal dotted key wins over the nested path
        "second": b"y",
        "count": b"2",
    }
    # every distinct secret read once, in one batch
    (call,) = aws.requests("secretsmanager", "BatchGetSecretValue")
    assert sorted(call["params"]["SecretIdList"]) == ["app/db", "binary", "plain"]
    assert aws.requests("secretsmanager", "GetSecretValue") == []


def test_versions_by_stage_and_by_id(aws, sm) -> None:
    version = sm.put_secret_value(SecretId="plain", SecretString="second")["VersionId"]
    sm.put_secret_value(SecretId="plain", SecretString="third")
    world = world_with(
        data(
            ("current", {"key": "plain"}),
            ("explicit", {"key": "plain", "version": "AWSCURRENT"}),
            ("previous", {"key": "plain", "version": "AWSPREVIOUS"}),
            ("by-id", {"key": "plain", "version": f"uuid/{version}"}),
            ("by-id-again", {"key": "plain", "version": f"uuid/{version}"}),
        )
    )
    assert synced(world)["app/e"].ok
    assert data_of(world, "e") == {
        "current": b"third",
        "explicit": b"third",
        "previous": b"second",
        "by-id": b"second",
        "by-id-again": b"second",
    }
    reads = aws.requests("secretsmanager", "GetSecretValue")
    assert sorted((sorted(r["params"].items())) for r in reads) == sorted(
        [
            sorted({"SecretId": "plain", "VersionStage": "AWSPREVIOUS"}.items()),
            sorted({"SecretId": "plain", "VersionId": version}.items()),
        ]
    )
    assert len(aws.requests("secretsmanager", "BatchGetSecretValue")) == 1


def test_metadata_fetch_is_the_tags_as_go_json(aws, sm) -> None:
    world = world_with(
        data(
            ("tags", {"key": "tagged", "metadataPolicy": "Fetch"}),
            ("team", {"key": "tagged", "metadataPolicy": "Fetch", "property": "team"}),
        )
    )
    assert synced(world)["app/e"].ok
    assert data_of(world, "e") == {
        "tags": b'{"env":"\\u003cprod\\u003e","team":"a\\u0026b"}',
        "team": b"a&b",
    }
    assert len(aws.requests("secretsmanager", "DescribeSecret")) == 1


def test_prefix_is_put_in_front_of_every_key(aws, sm) -> None:
    world = world_with(data(("user", {"key": "db", "property": "user"})), prefix="app/")
    assert synced(world)["app/e"].ok
    assert data_of(world, "e") == {"user": b"admin"}


def test_extract_shares_the_read_with_data(aws, sm) -> None:
    world = world_with(
        {
            "data": [{"secretKey": "u", "remoteRef": {"key": "app/db", "property": "user"}}],
            "dataFrom": [
                {"extract": {"key": "app/db"}},
                {"extract": {"key": "app/db", "property": "nested"}},
            ],
        }
    )
    assert synced(world)["app/e"].ok
    stored = data_of(world, "e")
    assert stored["u"] == b"admin"
    assert stored["port"] == b"5432"
    assert stored["ratio"] == b"1.5"  # written as 1.5 by json.dumps: the text as written
    assert stored["nested"] == b'{"a": {"b": "deep"}}'
    assert stored["a"] == b'{"b": "deep"}'
    assert stored["none"] == b""
    assert stored["dotted.key"] == b"literal"
    (call,) = aws.requests("secretsmanager", "BatchGetSecretValue")
    assert call["params"]["SecretIdList"] == ["app/db"]


@pytest.mark.parametrize(
    ("entries", "error"),
    [
        (
            data(("x", {"key": "app/db", "property": "nope"})),
            "error processing spec.data[0] (key: app/db), err: key nope does not exist in "
            "secret app/db",
        ),
        (
            data(("x", {"key": "plain", "property": "a"})),
            "error processing spec.data[0] (key: plain), err: key a does not exist in secret plain",
        ),
        (
            {"dataFrom": [{"extract": {"key": "plain"}}]},
            "error processing spec.dataFrom[0].extract, err: unable to unmarshal secret plain: "
            "Expecting value",
        ),
        (
            {"dataFrom": [{"extract": {"key": "app/db", "property": "list"}}]},
            "error processing spec.dataFrom[0].extract, err: unable to unmarshal secret app/db: "
            "json: cannot unmarshal array into Go value of type map[string]json.RawMessage",
        ),
        (
            data(("x", {"key": "missing"})),
            "error processing spec.data[0] (key: missing), err: Secret does not exist",
        ),
        (
            data(("x", {"key": "missing", "metadataPolicy": "Fetch"})),
            "error processing spec.data[0] (key: missing), err: Secret does not exist",
        ),
        (
            data(("x", {"key": "plain", "version": "AWSPENDING"})),
            "error processing spec.data[0] (key: plain), err: Secret does not exist",
        ),
    ],
)
def test_read_errors(aws, sm, entries: dict[str, Any], error: str) -> None:
    world = world_with(entries)
    assert synced(world)["app/e"].error == error


def test_a_secret_scheduled_for_deletion_counts_as_missing(aws, sm) -> None:
    sm.delete_secret(SecretId="plain", RecoveryWindowInDays=7)
    world = world_with(
        data(("a", {"key": "plain"}), ("u", {"key": "app/db", "property": "user"})),
        target={"deletionPolicy": "Delete"},
    )
    assert synced(world)["app/e"].ok
    assert data_of(world, "e") == {"u": b"admin"}
    assert world.cluster.events[0].message == (
        "secret does not exist at provider using spec.data[0] (key=plain)"
    )


def test_a_payload_with_neither_string_nor_binary_is_esos_error() -> None:
    from extsecrets.types import RemoteRef
    from extsecrets_aws_secretsmanager.fetch import Payload, _answer

    outcome = _answer(RemoteRef("k"), Payload(None, None))
    assert str(outcome) == "invalid secret received. no secret string nor binary for key: k"
