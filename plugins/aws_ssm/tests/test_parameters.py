"""Parameter Store reads, finds and batching (spec §4), through the core's sync path, counted
from what reached the emulator."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from aws_kit import PS_STORE, AuthWorld, client, data_of, external_secret, synced

from extsecrets_aws_auth.metrics import FALLBACKS


@pytest.fixture
def ssm(aws) -> Any:
    ssm = client(aws, "ssm")
    ssm.put_parameter(Name="/app/db", Value="v1", Type="SecureString")
    for i in range(2, 6):
        ssm.put_parameter(Name="/app/db", Value=f"v{i}", Type="SecureString", Overwrite=True)
    ssm.label_parameter_version(Name="/app/db", ParameterVersion=3, Labels=["prod"])
    ssm.put_parameter(
        Name="/app/json",
        Value=json.dumps({"user": "admin", "nested": {"port": 5432}, "a.b": "lit"}),
        Type="String",
        Tags=[{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "<prod>"}],
    )
    ssm.put_parameter(Name="/app/list", Value="x,y", Type="StringList")
    ssm.put_parameter(
        Name="/other/thing", Value="o", Type="String", Tags=[{"Key": "team", "Value": "a"}]
    )
    aws.clear_requests()
    return ssm


def ops(aws) -> list[str]:
    return [r["operation"] for r in aws.requests("ssm")]


def ref(key: str, name: str, **remote: Any) -> dict[str, Any]:
    return {"secretKey": key, "remoteRef": {"key": name, **remote}}


def test_values_versions_labels_and_properties_in_one_batch(aws, ssm) -> None:
    world = AuthWorld(
        PS_STORE % "",
        external_secret(
            "e",
            data=[
                ref("current", "/app/db"),
                *(ref(f"v{i}", "/app/db", version=str(i)) for i in range(1, 6)),
                ref("label", "/app/db", version="prod"),
                ref("list", "/app/list"),
                ref("user", "/app/json", property="user"),
                ref("port", "/app/json", property="nested.port"),
                ref("literal", "/app/json", property="a.b"),
            ],
            dataFrom=[{"extract": {"key": "/app/json", "property": "nested"}}],  # gives "port"
        ),
    )
    assert synced(world)["app/e"].ok
    assert data_of(world, "e") == {
        "current": b"v5",
        **{f"v{i}": f"v{i}".encode() for i in range(1, 6)},
        "label": b"v3",
        "list": b"x,y",
        "user": b"admin",
        "port": b"5432",
        "literal": b"lit",
    }
    calls = aws.requests("ssm", "GetParameters")
    assert all(c["params"]["WithDecryption"] is True for c in calls)
    # 9 distinct names; the plain and the labelled read of /app/db may not share a call
    assert sorted(len(c["params"]["Names"]) for c in calls) == [1, 8]
    assert ops(aws) == ["GetParameters", "GetParameters"]


def test_prefix_and_metadata(aws, ssm) -> None:
    world = AuthWorld(
        PS_STORE % "/app/",
        external_secret(
            "e",
            data=[
                ref("tags", "json", metadataPolicy="Fetch"),
                ref("team", "json", metadataPolicy="Fetch", property="team"),
                ref("user", "json", property="user"),
            ],
        ),
    )
    assert synced(world)["app/e"].ok
    assert data_of(world, "e") == {
        "tags": b'{"env":"\\u003cprod\\u003e","team":"a"}',
        "team": b"a",
        "user": b"admin",
    }
    assert ops(aws).count("ListTagsForResource") == 1


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        (
            ref("x", "/missing"),
            "error processing spec.data[0] (key: /missing), err: Secret does not exist",
        ),
        (
            ref("x", "/app/db", version="9"),
            "error processing spec.data[0] (key: /app/db), err: Secret does not exist",
        ),
        (
            ref("x", "/missing", metadataPolicy="Fetch"),
            "error processing spec.data[0] (key: /missing), err: Secret does not exist",
        ),
        (
            ref("x", "/app/json", property="nope"),
            "error processing spec.data[0] (key: /app/json), err: key nope does not exist in "
            "secret /app/json",
        ),
    ],
)
def test_read_errors(aws, ssm, entry: dict[str, Any], error: str) -> None:
    world = AuthWorld(PS_STORE % "", external_secret("e", data=[entry]))
    assert synced(world)["app/e"].error == error


@pytest.mark.parametrize(
    ("find", "keys", "calls"),
    [
        # by name: GetParametersByPath from / carries the values
        (
            {"name": {"regexp": "^/app/(db|list)$"}},
            {"_app_db", "_app_list"},
            ["GetParametersByPath"],
        ),
        (
            {"name": {"regexp": "thing"}, "path": "/other"},
            {"_other_thing"},
            ["GetParametersByPath"],
        ),
        # by tags: DescribeParameters, then the values in a batch
        (
            {"tags": {"team": "a"}},
            {"_app_json", "_other_thing"},
            ["DescribeParameters", "GetParameters"],
        ),
        (
            {"tags": {"team": "a"}, "path": "/other"},
            {"_other_thing"},
            ["DescribeParameters", "GetParameters"],
        ),
    ],
)
def test_find_modes(aws, ssm, find: dict[str, Any], keys: set[str], calls: list[str]) -> None:
    world = AuthWorld(PS_STORE % "/ignored/", external_secret("e", dataFrom=[{"find": find}]))
    assert synced(world)["app/e"].ok
    assert set(data_of(world, "e")) == keys
    assert ops(aws) == calls
    by_path = aws.requests("ssm", "GetParametersByPath")
    for call in by_path:
        assert call["params"]["Recursive"] is True
        assert call["params"]["WithDecryption"] is True


def test_denied_get_parameters_by_path_falls_back_to_describe(aws, ssm, caplog) -> None:
    aws.fail("ssm", "GetParametersByPath", "AccessDeniedException", count=-1)
    before = FALLBACKS.total("ssm")
    world = AuthWorld(
        PS_STORE % "", external_secret("e", dataFrom=[{"find": {"name": {"regexp": "^/app/"}}}])
    )
    with caplog.at_level(logging.WARNING):
        assert synced(world)["app/e"].ok
        aws.clear_requests()
        synced(world)
    assert set(data_of(world, "e")) == {"_app_db", "_app_json", "_app_list"}
    assert ops(aws) == ["DescribeParameters", "GetParameters"]
    describe = aws.requests("ssm", "DescribeParameters")[0]
    assert describe["params"]["ParameterFilters"] == [
        {"Key": "Path", "Option": "Recursive", "Values": ["/"]}
    ]
    assert FALLBACKS.total("ssm") == before + 1
    assert (
        len([r for r in caplog.records if "GetParametersByPath is denied" in r.getMessage()]) == 1
    )


def test_95_parameters_for_400_external_secrets_take_10_calls(aws, ssm) -> None:
    for i in range(95):
        ssm.put_parameter(Name=f"/bulk/{i}", Value=f"v{i}", Type="String")
    aws.clear_requests()
    externals = [
        external_secret(
            f"e{n}",
            data=[ref("a", f"/bulk/{n % 95}"), ref("b", f"/bulk/{(n * 3) % 95}")],
        )
        for n in range(400)
    ]
    world = AuthWorld(PS_STORE % "", *externals)
    assert all(r.ok for r in synced(world).values())
    assert data_of(world, "e97") == {"a": b"v2", "b": b"v6"}
    assert ops(aws) == ["GetParameters"] * 10


def test_throttling_is_temporary(aws, ssm) -> None:
    aws.fail("ssm", "GetParameters", "ThrottlingException", count=-1)
    world = AuthWorld(PS_STORE % "", external_secret("e", data=[ref("a", "/app/db")]))
    result = synced(world)["app/e"]
    assert result.retry
    assert "ThrottlingException" in (result.error or "")


def _denied_scenario(aws) -> None:
    """An identity denied GetParametersByPath describes, then reads in batches."""
    aws.fail("ssm", "GetParametersByPath", "AccessDeniedException", count=-1)
    aws.clear_requests()
    world = AuthWorld(
        PS_STORE % "", external_secret("e", dataFrom=[{"find": {"name": {"regexp": "^/app/"}}}])
    )
    assert synced(world)["app/e"].ok
    assert ops(aws) == ["GetParametersByPath", "DescribeParameters", "GetParameters"]
    aws.reset_faults()


def _allowed_scenario(aws) -> None:
    """The same identity (the same keys), allowed now, in an engine of its own: one call."""
    aws.clear_requests()
    world = AuthWorld(
        PS_STORE % "", external_secret("e", dataFrom=[{"find": {"name": {"regexp": "^/app/"}}}])
    )
    assert synced(world)["app/e"].ok
    assert set(data_of(world, "e")) == {"_app_db", "_app_json", "_app_list"}
    assert ops(aws) == ["GetParametersByPath"]


@pytest.mark.parametrize("order", ["denied first", "allowed first"])
def test_a_denial_is_remembered_by_its_own_engine_only(aws, ssm, order: str) -> None:
    """The denial lives with the denied session: a later engine with the same keys (another
    operator, another test) asks again. It used to be a process-wide memory, so a test that was
    denied changed the calls of every later test with the same keys."""
    scenarios = [_denied_scenario, _allowed_scenario]
    for scenario in scenarios if order == "denied first" else scenarios[::-1]:
        scenario(aws)
