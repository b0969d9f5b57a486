"""Batching, the credential cache and plugin isolation, counted from what the fake plugin saw."""

from __future__ import annotations

import base64

import pytest
from engine_kit import external_secret, generator, ref, secret, store


def test_100_external_secrets_sharing_10_references_cause_one_fetch_of_10(world) -> None:
    data = {f"key-{i}": f"value-{i}" for i in range(10)}
    externals = [
        external_secret(
            f"es-{n}", data=[ref("v", f"key-{n % 10}"), ref("w", f"key-{(n + 1) % 10}")]
        )
        for n in range(100)
    ]
    w = world(store(data=data), *externals)
    results = w.sync()
    assert all(r.ok for r in results.values())
    fetches = w.calls("fetch")
    assert len(fetches) == 1
    assert fetches[0]["refs"] == 10
    assert len(w.calls("authenticate")) == 1
    assert w.data("es-37") == {"v": "value-7", "w": "value-8"}


def test_one_fetch_per_store_per_cycle(world) -> None:
    w = world(
        store("one", data={"k": "1"}),
        store("two", data={"k": "2"}),
        external_secret("a", store_name="one", data=[ref("v", "k")]),
        external_secret("b", store_name="two", data=[ref("v", "k")]),
        # an entry-level storeRef joins the other store's batch
        external_secret(
            "c",
            store_name="one",
            data=[
                ref("v", "k"),
                {
                    "secretKey": "w",
                    "remoteRef": {"key": "k"},
                    "sourceRef": {"storeRef": {"name": "two"}},
                },
            ],
        ),
    )
    w.sync()
    assert sorted((c["store"], c["refs"]) for c in w.calls("fetch")) == [("one", 1), ("two", 1)]
    assert w.data("c") == {"v": "1", "w": "2"}


def test_a_value_and_an_extract_of_the_same_key_are_two_references(world) -> None:
    w = world(
        store(data={"j": '{"a": "1"}'}),
        external_secret(data=[ref("whole", "j")], data_from=[{"extract": {"key": "j"}}]),
    )
    w.sync()
    assert w.calls("fetch")[0]["refs"] == 2
    assert w.data("e") == {"whole": '{"a": "1"}', "a": "1"}


# --- credentials -------------------------------------------------------------------------------


def test_credentials_are_reused_across_cycles_until_near_expiry(world) -> None:
    w = world(store(data={"k": "v"}, credentialsTtl=3600), external_secret(data=[ref("a", "k")]))
    w.sync()
    w.clock.advance(minutes=30)
    w.sync()
    assert len(w.calls("authenticate")) == 1
    assert len(w.calls("fetch")) == 2
    w.clock.advance(minutes=26)  # 4 minutes left: inside the renewal margin
    w.sync()
    assert len(w.calls("authenticate")) == 2


def test_a_rotated_credentials_secret_is_used_at_the_next_sync(world) -> None:
    auth = {"secretRef": {"name": "creds", "key": "password"}}
    w = world(
        store(data={"k": "v"}, auth=auth),
        secret("creds", data={"password": "first"}),
        external_secret(data=[ref("a", "k")]),
    )
    w.sync()
    w.sync()
    assert [c["credentials"] for c in w.calls("fetch")] == ["first", "first"]
    w.apply(secret("creds", data={"password": "second"}))
    w.sync()
    assert [c["credentials"] for c in w.calls("fetch")] == ["first", "first", "second"]
    assert len(w.calls("authenticate")) == 2


def test_an_auth_failure_fails_the_external_secrets_of_that_store_only(world) -> None:
    w = world(
        store("bad", data={"k": "v"}, failAuth=True),
        store("good", data={"k": "v"}),
        external_secret("a", store_name="bad", data=[ref("v", "k")]),
        external_secret("b", store_name="good", data=[ref("v", "k")]),
    )
    results = w.sync()
    assert results["app/a"].error == (
        "error processing spec.data[0] (key: k), err: unable to create session: the fake "
        "backend refused the password"
    )
    assert results["app/b"].ok
    assert [c["store"] for c in w.calls("fetch")] == ["good"]


# --- isolation ---------------------------------------------------------------------------------


def test_a_plugin_that_raises_fails_only_what_needed_it_and_leaks_nothing(world) -> None:
    w = world(
        store("boom", data={"k": "v"}, fail="raise"),
        store("fine", data={"k": "v"}),
        external_secret("a", store_name="boom", data=[ref("v", "k")]),
        external_secret("b", store_name="fine", data=[ref("v", "k")]),
    )
    results = w.sync()
    assert results["app/a"].error == (
        "error processing spec.data[0] (key: k), err: plugin fake failed in extsecrets_fetch: "
        "RuntimeError"
    )
    assert results["app/b"].ok
    everything = " ".join([*w.events(), str(w.status("a")), str(results)])
    assert "hunter2" not in everything


def test_a_plugin_that_hangs_is_abandoned_after_the_time_limit(world) -> None:
    w = world(
        store("stuck", data={"k": "v"}, fail="hang"),
        store("fine", data={"k": "v"}),
        external_secret("a", store_name="stuck", data=[ref("v", "k")]),
        external_secret("b", store_name="fine", data=[ref("v", "k")]),
        plugin_timeout=0.5,
    )
    results = w.sync()
    assert results["app/a"].error == (
        "error processing spec.data[0] (key: k), err: fetch from SecretStore app/stuck did not "
        "finish within 0.5s"
    )
    assert results["app/a"].retry
    assert results["app/b"].ok


def test_a_temporary_error_is_retryable_and_sanitised(world) -> None:
    w = world(store(data={"k": "v"}, fail="temporary"), external_secret(data=[ref("v", "k")]))
    result = w.sync()["app/e"]
    assert result.retry
    assert result.error == (
        "error processing spec.data[0] (key: k), err: fake backend is throttling "
        "(RequestId: <redacted>)"
    )


# --- generators --------------------------------------------------------------------------------


def test_generated_values_are_refreshed_before_they_expire(world) -> None:
    w = world(
        store(),
        generator(values={"token": "t"}, ttlSeconds=1800),
        external_secret(
            store_name=None,
            refreshInterval="1h",
            data_from=[{"sourceRef": {"generatorRef": {"kind": "FakeToken", "name": "gen"}}}],
        ),
        external_secret("plain", data=[ref("v", "k")], refreshInterval="1h"),
        store(data={"k": base64.b64encode(b"x").decode()}),
    )
    results = w.sync()
    assert w.data("e") == {"token": "t"}
    # 30 minutes of validity, renewed 5 minutes ahead
    assert results["app/e"].refresh_after == pytest.approx(25 * 60, abs=30)
    assert results["app/plain"].refresh_after == 3600
    assert [c["namespace"] for c in w.calls("generate")] == ["app"]


def test_refresh_interval_zero_means_no_refresh(world) -> None:
    w = world(store(data={"k": "v"}), external_secret(data=[ref("v", "k")], refreshInterval="0s"))
    assert w.sync()["app/e"].refresh_after is None


def test_a_hanging_generator_fails_only_its_external_secret(world) -> None:
    gen_ref = {"sourceRef": {"generatorRef": {"kind": "FakeToken", "name": "stuck"}}}
    w = world(
        store(data={"k": "v"}),
        generator("stuck", values={"t": "x"}, fail="hang"),
        generator("raises", values={"t": "x"}, fail="temporary"),
        external_secret("gen", store_name=None, data_from=[gen_ref]),
        external_secret(
            "gen2",
            store_name=None,
            data_from=[{"sourceRef": {"generatorRef": {"kind": "FakeToken", "name": "raises"}}}],
        ),
        external_secret("plain", data=[ref("v", "k")]),
        plugin_timeout=0.5,
    )
    results = w.sync()
    assert results["app/gen"].error == (
        "error processing spec.dataFrom[0].sourceRef.generatorRef, err: generator FakeToken "
        "did not finish within 0.5s"
    )
    assert results["app/gen2"].error == (
        "error processing spec.dataFrom[0].sourceRef.generatorRef, err: error using generator: "
        "fake backend is throttling (RequestId: <redacted>)"
    )
    assert results["app/plain"].ok
