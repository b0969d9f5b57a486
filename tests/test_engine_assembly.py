"""How the engine assembles a Secret's data (spec §6.3, §6.6), seen in the stored Secret."""

from __future__ import annotations

import base64
import json

import pytest
from engine_kit import external_secret, generator, ref, store

DB = json.dumps({"user": "admin", "password": "s3cret", "port": 5432})


def test_data_from_in_order_then_data_overwrites(world) -> None:
    w = world(
        store(
            data={
                "a": json.dumps({"k": "from-a", "only-a": "1"}),
                "b": json.dumps({"k": "from-b"}),
                "v": "from-data",
            }
        ),
        external_secret(
            data_from=[{"extract": {"key": "a"}}, {"extract": {"key": "b"}}],
            data=[ref("only-a", "v")],
            target={"name": "out"},
        ),
    )
    assert w.sync()["app/e"].ok
    assert w.data("out") == {"k": "from-b", "only-a": "from-data"}


def test_property_version_and_metadata_reads(world) -> None:
    w = world(
        store(
            data={"app/db": DB},
            versions={"app/db#v1": json.dumps({"user": "old"})},
            tags={"app/db": "team=a,env=prod"},
        ),
        external_secret(
            data=[
                ref("user", "app/db", property="user"),
                ref("port", "app/db", property="port"),
                ref("old", "app/db", property="user", version="v1"),
                ref("tags", "app/db", metadataPolicy="Fetch"),
            ]
        ),
    )
    assert w.sync()["app/e"].ok
    assert w.data("e") == {
        "user": "admin",
        "port": "5432",
        "old": "old",
        "tags": '{"env": "prod", "team": "a"}',
    }


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("Default", {"app_db_user": "x", "k.ok-1": "y"}),
        ("Unicode", {"app_U002f_db_U0020_user": "x", "k.ok-1": "y"}),
    ],
)
def test_conversion_strategy_on_extract(world, strategy: str, expected: dict[str, str]) -> None:
    w = world(
        store(data={"j": json.dumps({"app/db user": "x", "k.ok-1": "y"})}),
        external_secret(data_from=[{"extract": {"key": "j", "conversionStrategy": strategy}}]),
    )
    assert w.sync()["app/e"].ok
    assert w.data("e") == expected


def test_find_converts_names_and_a_collision_is_an_error(world) -> None:
    w = world(
        store(data={"/team/a": "1", "/team/b": "2", "other": "3"}),
        external_secret(data_from=[{"find": {"name": {"regexp": "^/team/"}}}]),
        external_secret("clash", data_from=[{"find": {"name": {"regexp": "."}}}]),
        store("s2", data={"a/b": "1", "a b": "2"}),
        external_secret(
            "clash2", store_name="s2", data_from=[{"find": {"name": {"regexp": "^a"}}}]
        ),
    )
    results = w.sync()
    assert w.data("e") == {"_team_a": "1", "_team_b": "2"}
    assert results["app/clash"].ok
    assert results["app/clash2"].error == (
        "error processing spec.dataFrom[0].find, err: error applying conversion strategy "
        "Default to keys: secret name collision during conversion: a_b"
    )


def test_decoding_strategies_and_their_errors(world) -> None:
    b64 = base64.b64encode(b"\x00binary\xff").decode()
    w = world(
        store(
            data={
                "b64": b64,
                "url": base64.urlsafe_b64encode(b"\xfb\xff").decode(),
                "plain": "not base64!",
                "j": json.dumps({"x": base64.b64encode(b"one").decode(), "y": "two"}),
            }
        ),
        external_secret(
            data=[
                ref("std", "b64", decodingStrategy="Base64"),
                ref("url", "url", decodingStrategy="Base64URL"),
                ref("auto-url", "url", decodingStrategy="Auto"),
                ref("auto-raw", "plain", decodingStrategy="Auto"),
                ref("none", "b64", decodingStrategy="None"),
            ],
            data_from=[{"extract": {"key": "j", "decodingStrategy": "Auto"}}],
        ),
        external_secret("bad-value", data=[ref("x", "plain", decodingStrategy="Base64")]),
        external_secret(
            "bad-map", data_from=[{"extract": {"key": "j", "decodingStrategy": "Base64"}}]
        ),
    )
    results = w.sync()
    stored = w.secret("e")
    assert stored is not None
    assert stored.data["std"] == b"\x00binary\xff"
    assert stored.data["url"] == b"\xfb\xff"
    assert stored.data["auto-url"] == b"\xfb\xff"
    assert stored.data["auto-raw"] == b"not base64!"
    assert stored.data["none"] == b64.encode()
    assert stored.data["x"] == b"one"
    assert stored.data["y"] == b"two"
    assert results["app/bad-value"].error == (
        "error processing spec.data[0] (key: plain), err: error applying decoding strategy "
        "Base64 to data: illegal base64 data"
    )
    assert results["app/bad-map"].error == (
        "error processing spec.dataFrom[0].extract, err: error applying decoding strategy "
        "Base64 to data: failure decoding key y: illegal base64 data"
    )


def test_null_byte_policy(world) -> None:
    w = world(
        store(data={"nul": base64.b64encode(b"a\x00b").decode()}),
        external_secret("ignore", data=[ref("v", "nul", decodingStrategy="Base64")]),
        external_secret(
            "fail", data=[ref("v", "nul", decodingStrategy="Base64", nullBytePolicy="Fail")]
        ),
    )
    results = w.sync()
    assert results["app/ignore"].ok
    assert results["app/fail"].error == (
        'error processing spec.data[0] (key: nul), err: fetched secret value for key "v" '
        "contains null bytes"
    )


def test_rewrite_regexp_replaces_like_go(world) -> None:
    w = world(
        store(data={"j": json.dumps({"db-user": "u", "db-pass": "p", "other": "o"})}),
        external_secret(
            data_from=[
                {
                    "extract": {"key": "j"},
                    "rewrite": [
                        {"regexp": {"source": "^db-(?P<what>.*)$", "target": "DB_${what}"}},
                        {"regexp": {"source": "(.)(.*)", "target": "${1}${2}x"}},
                    ],
                }
            ]
        ),
        external_secret(
            "clash",
            data_from=[
                {
                    "extract": {"key": "j"},
                    "rewrite": [{"regexp": {"source": ".*", "target": "same"}}],
                }
            ],
        ),
    )
    results = w.sync()
    assert w.data("e") == {"DB_userx": "u", "DB_passx": "p", "otherx": "o"}
    assert results["app/clash"].error == (
        "error processing spec.dataFrom[0].extract, err: error applying rewrite to keys: "
        "failed rewrite operation[0]: secret name collision during rewrite: same"
    )


def test_rewrite_skips_conversion_so_keys_are_validated_as_they_are(world) -> None:
    w = world(
        store(data={"j": json.dumps({"a/b": "1"})}),
        external_secret(
            data_from=[
                {"extract": {"key": "j"}, "rewrite": [{"regexp": {"source": "^a", "target": "x"}}]}
            ]
        ),
    )
    assert w.sync()["app/e"].error == (
        "error processing spec.dataFrom[0].extract, err: invalid secret keys (TIP: use rewrite "
        "or conversionStrategy to change keys): key has invalid character /, only alphanumeric, "
        "'-', '.' and '_' are allowed: x/b"
    )


def test_generator_output_is_validated_not_converted(world) -> None:
    w = world(
        store(),
        generator("ok", values={"token": "t1", "": "dropped"}),
        generator("bad", values={"a b": "x"}),
        external_secret(
            "gen",
            store_name=None,
            data_from=[{"sourceRef": {"generatorRef": {"kind": "FakeToken", "name": "ok"}}}],
        ),
        external_secret(
            "badgen",
            store_name=None,
            data_from=[{"sourceRef": {"generatorRef": {"kind": "FakeToken", "name": "bad"}}}],
        ),
        external_secret(
            "nogen",
            store_name=None,
            data_from=[{"sourceRef": {"generatorRef": {"kind": "FakeToken", "name": "none"}}}],
        ),
    )
    results = w.sync()
    assert w.data("gen") == {"token": "t1"}
    assert results["app/badgen"].error == (
        "error processing spec.dataFrom[0].sourceRef.generatorRef, err: invalid secret keys "
        "(TIP: use rewrite or conversionStrategy to change keys): key has invalid character  , "
        "only alphanumeric, '-', '.' and '_' are allowed: a b"
    )
    assert results["app/nogen"].error == (
        "error processing spec.dataFrom[0].sourceRef.generatorRef, err: could not get "
        'FakeToken "none", faketokens.generators.external-secrets.io "none" not found'
    )


def test_the_two_data_hash_values_of_the_spec(world) -> None:
    w = world(
        store(data={"foo": "bar"}),
        external_secret(data=[ref("foo", "foo")]),
        external_secret(
            "empty",
            data_from=[{"find": {"name": {"regexp": "^nothing$"}}}],
            target={"creationPolicy": "Owner", "deletionPolicy": "Merge"},
        ),
    )
    w.sync()
    foo, empty = w.secret("e"), w.secret("empty")
    assert foo is not None
    assert empty is not None
    hash_key = "reconcile.external-secrets.io/data-hash"
    assert foo.annotations[hash_key] == "f2a604b87eb0cf673761e8cfea850f901fe73a3d1b2f338802107f36"
    assert empty.annotations[hash_key] == "74a974446e359fb3e6baff9bd0058950e6edd0f040888d9989b0a11b"
    assert dict(empty.data) == {}


def test_errors_name_the_first_failing_entry_in_esos_order(world) -> None:
    w = world(
        store(data={"ok": "1"}, failKeys=["broken"]),
        external_secret(
            data=[ref("a", "broken")],
            data_from=[{"extract": {"key": "missing"}}],
        ),
    )
    assert w.sync()["app/e"].error == (
        "error processing spec.dataFrom[0].extract, err: Secret does not exist"
    )
