"""Store resolution (spec §6.2): SecretStore namespaces, ClusterSecretStore conditions, the
texts ESO users see."""

from __future__ import annotations

import pytest
from engine_kit import external_secret, ref, store


def namespace(name: str, **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def cluster_store(conditions: list[dict] | None = None, **fake) -> dict:
    doc = store("shared", None, "ClusterSecretStore", data={"k": "v"}, **fake)
    if conditions is not None:
        doc["spec"]["conditions"] = conditions
    return doc


def user(ns: str) -> dict:
    return external_secret(
        "e", ns, store_name="shared", store_kind="ClusterSecretStore", data=[ref("v", "k")]
    )


@pytest.mark.parametrize(
    ("conditions", "allowed"),
    [
        (None, {"team-a", "team-b", "other"}),
        ([{"namespaces": ["team-a"]}], {"team-a"}),
        ([{"namespaceSelector": {"matchLabels": {"tier": "gold"}}}], {"team-b"}),
        (
            [
                {
                    "namespaceSelector": {
                        "matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]
                    }
                }
            ],
            {"team-a", "other"},
        ),
        # unanchored, as Go's regexp.MatchString
        ([{"namespaceRegexes": ["team-"]}], {"team-a", "team-b"}),
        ([{"namespaceRegexes": ["^oth"]}, {"namespaces": ["team-a"]}], {"team-a", "other"}),
        ([{}], set()),
    ],
)
def test_cluster_store_conditions(world, conditions, allowed: set[str]) -> None:
    w = world(
        cluster_store(conditions),
        namespace("team-b", tier="gold"),
        *(user(ns) for ns in ("team-a", "team-b", "other")),
    )
    results = w.sync()
    assert {key.split("/")[0] for key, r in results.items() if r.ok} == allowed
    for ns in {"team-a", "team-b", "other"} - allowed:
        assert results[f"{ns}/e"].error == (
            'error processing spec.data[0] (key: k), err: using cluster store "shared" is not '
            f'allowed from namespace "{ns}": denied by spec.condition'
        )


def test_one_cluster_store_used_from_many_namespaces_is_fetched_once(world) -> None:
    w = world(cluster_store(), *(user(f"ns-{i}") for i in range(5)))
    assert all(r.ok for r in w.sync().values())
    assert len(w.calls("fetch")) == 1


def test_a_secret_store_is_looked_up_in_the_external_secrets_namespace(world) -> None:
    w = world(
        store(namespace="a", data={"k": "v"}),
        external_secret("e", "a", data=[ref("v", "k")]),
        external_secret("e", "b", data=[ref("v", "k")]),
    )
    results = w.sync()
    assert results["a/e"].ok
    assert results["b/e"].error == (
        'error processing spec.data[0] (key: k), err: could not get SecretStore "s", '
        'secretstores.external-secrets.io "s" not found'
    )


def test_missing_cluster_store(world) -> None:
    w = world(user("a"))
    assert w.sync()["a/e"].error == (
        'error processing spec.data[0] (key: k), err: could not get ClusterSecretStore "shared", '
        'clustersecretstores.external-secrets.io "shared" not found'
    )


def test_a_store_for_another_controller_is_refused(world) -> None:
    doc = store(data={"k": "v"})
    doc["spec"]["controller"] = "someone-else"
    w = world(doc, external_secret(data=[ref("v", "k")]))
    assert w.sync()["app/e"].error == (
        "error processing spec.data[0] (key: k), err: can not reference unmanaged store"
    )


def test_a_store_reported_not_ready_is_not_used(world) -> None:
    doc = store(data={"k": "v"})
    doc["status"] = {"conditions": [{"type": "Ready", "status": "False"}]}
    w = world(doc, external_secret(data=[ref("v", "k")]))
    assert w.sync()["app/e"].error == (
        'error processing spec.data[0] (key: k), err: SecretStore "s" is not ready'
    )
    assert w.calls("fetch") == []


def test_an_invalid_store_manifest_is_named(world) -> None:
    w = world(external_secret(data=[ref("v", "k")]))
    w.cluster.apply(store(data={"k": "v"}, unknownField=1))
    assert w.sync()["app/e"].error == (
        'error processing spec.data[0] (key: k), err: could not get SecretStore "s", '
        "SecretStore app/s is not valid: spec.provider.fake.unknownField: unknown field"
    )
