"""`extsecrets run` against a real kube-apiserver (with the controller manager), AWS on the
emulator: what the operator writes, asserted on the objects the API server stores."""

from __future__ import annotations

import base64
import json
import signal
from typing import Any

import pytest
from aws_kit import client
from operator_kit import wait_for

pytestmark = pytest.mark.kube

KEYS = {"access-key": "AKIAOPERATOR00000001", "secret-access-key": "s"}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def keys_secret(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "awssm-secret", "namespace": namespace},
        "data": {k: b64(v) for k, v in KEYS.items()},
    }


def store(namespace: str, name: str = "store", **aws: Any) -> dict[str, Any]:
    provider = {
        "service": "SecretsManager",
        "region": "eu-central-1",
        "auth": {
            "secretRef": {
                "accessKeyIDSecretRef": {"name": "awssm-secret", "key": "access-key"},
                "secretAccessKeySecretRef": {"name": "awssm-secret", "key": "secret-access-key"},
            }
        },
        **aws,
    }
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "SecretStore",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"provider": {"aws": provider}},
    }


def external_secret(namespace: str, name: str = "app", **spec: Any) -> dict[str, Any]:
    body = {
        "secretStoreRef": {"name": "store"},
        "refreshInterval": "1h",
        "data": [{"secretKey": "password", "remoteRef": {"key": "app/db", "property": "password"}}],
    }
    body.update(spec)
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": namespace},
        "spec": body,
    }


def value(kube: Any, namespace: str, name: str, key: str) -> str | None:
    secret = kube.secret(namespace, name)
    if secret is None or not secret.data or key not in secret.data:
        return None
    return base64.b64decode(secret.data[key]).decode()


@pytest.fixture
def sm(aws) -> Any:
    sm = client(aws, "secretsmanager")
    sm.create_secret(Name="app/db", SecretString=json.dumps({"password": "s3cret-one"}))
    return sm


def assert_synced_and_owned(kube: Any, namespace: str, name: str) -> None:
    """Ready says synced, and the Secret is managed and controlled by its ExternalSecret."""
    wait_for(lambda: kube.ready(namespace, name), 30, "the Ready condition")
    assert kube.ready(namespace, name) == ("True", "SecretSynced", "secret synced")
    secret = kube.secret(namespace, name)
    owner = secret.metadata.owner_references[0]
    assert (owner.kind, owner.name, owner.controller) == ("ExternalSecret", name, True)
    assert secret.metadata.labels["reconcile.external-secrets.io/managed"] == "true"


def test_first_sync_refresh_and_repair(kube, aws, sm, run_operator) -> None:
    ns = kube.namespace()
    kube.apply(keys_secret(ns))
    kube.apply(store(ns))
    kube.apply(external_secret(ns, refreshInterval="2s"))
    operator = run_operator()
    wait_for(lambda: value(kube, ns, "app", "password") == "s3cret-one", 60, "the first sync")
    # the status is written right after the Secret
    assert_synced_and_owned(kube, ns, "app")
    es = kube.external_secret(ns, "app")
    assert (
        "externalsecrets.external-secrets.io/externalsecret-cleanup" in es["metadata"]["finalizers"]
    )
    # the store was validated
    store_obj = kube.custom.get_namespaced_custom_object(
        "external-secrets.io", "v1", ns, "secretstores", "store"
    )
    wait_for(
        lambda: (
            kube.custom.get_namespaced_custom_object(
                "external-secrets.io", "v1", ns, "secretstores", "store"
            ).get("status", {})
        ).get("conditions"),
        30,
        "the store status",
    )
    assert store_obj is not None

    # the value changes at AWS: the next refresh brings it
    sm.put_secret_value(SecretId="app/db", SecretString=json.dumps({"password": "s3cret-two"}))
    wait_for(lambda: value(kube, ns, "app", "password") == "s3cret-two", 60, "the refresh")

    # deleted by hand: recreated
    kube.core.delete_namespaced_secret("app", ns)
    wait_for(lambda: value(kube, ns, "app", "password") == "s3cret-two", 60, "the repair")

    # edited by hand: repaired
    kube.core.patch_namespaced_secret("app", ns, {"data": {"password": b64("tampered")}})
    wait_for(
        lambda: value(kube, ns, "app", "password") == "s3cret-two", 60, "the repair of an edit"
    )

    metrics = operator.scrape()
    assert f'externalsecret_sync_calls_total{{name="app",namespace="{ns}"}}' in metrics
    assert 'externalsecret_provider_api_calls_count{call="BatchGetSecretValue"' in metrics
    # structured logs: one JSON object per line, no secret value
    records = [json.loads(line) for line in operator.logs().splitlines() if line.strip()]
    assert records
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    ready = f'externalsecret_status_condition{{condition="Ready",name="app",namespace="{ns}",status="True"}} 1.0'
    assert ready in metrics.splitlines()
    assert "s3cret-one" not in operator.logs()
    assert "s3cret-two" not in operator.logs()


def test_an_owner_external_secret_takes_over_an_unmanaged_secret_of_its_name(
    kube, aws, sm, run_operator
) -> None:
    """The operator creates Owner targets without reading first (its cache knows the managed
    ones); a Secret of that name made by someone else makes the create conflict, and the retry
    reads it and takes it over, as ESO does."""
    ns = kube.namespace()
    kube.core.create_namespaced_secret(
        ns, {"metadata": {"name": "app"}, "stringData": {"password": "made-by-hand"}}
    )
    kube.apply(keys_secret(ns))
    kube.apply(store(ns))
    kube.apply(external_secret(ns))
    run_operator()
    wait_for(lambda: value(kube, ns, "app", "password") == "s3cret-one", 60, "the take-over")
    assert_synced_and_owned(kube, ns, "app")


def test_deletion_policies_on_delete(kube, aws, sm, run_operator) -> None:
    ns = kube.namespace()
    kube.apply(keys_secret(ns))
    kube.apply(store(ns))
    kube.apply(external_secret(ns, "deleted", target={"deletionPolicy": "Delete"}))
    kube.apply(external_secret(ns, "kept", target={"creationPolicy": "Orphan"}))
    kube.apply(external_secret(ns, "owned"))
    run_operator()
    for name in ("deleted", "kept", "owned"):
        wait_for(
            lambda n=name: value(kube, ns, n, "password") == "s3cret-one", 60, f"sync of {name}"
        )
    for name in ("deleted", "kept", "owned"):
        kube.custom.delete_namespaced_custom_object(
            "external-secrets.io", "v1", ns, "externalsecrets", name
        )
    # the finalizer runs deletionPolicy Delete, then lets the object go
    wait_for(lambda: kube.external_secret(ns, "deleted") is None, 60, "the ExternalSecret to go")
    wait_for(lambda: kube.secret(ns, "deleted") is None, 30, "the Secret to be deleted")
    # Owner without Delete: the garbage collector removes the Secret through its owner reference
    wait_for(lambda: kube.secret(ns, "owned") is None, 60, "garbage collection")
    # Orphan: nothing owns it, it stays
    assert value(kube, ns, "kept", "password") == "s3cret-one"


def test_merge_into_an_existing_secret(kube, aws, sm, run_operator) -> None:
    ns = kube.namespace()
    kube.apply(keys_secret(ns))
    kube.apply(store(ns))
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "shared", "namespace": ns},
            "data": {"theirs": b64("keep")},
        }
    )
    kube.apply(external_secret(ns, target={"name": "shared", "creationPolicy": "Merge"}))
    run_operator()
    wait_for(lambda: value(kube, ns, "shared", "password") == "s3cret-one", 60, "the merge")
    assert value(kube, ns, "shared", "theirs") == "keep"
    assert not kube.secret(ns, "shared").metadata.owner_references


def test_cluster_store_conditions_deny_a_namespace(kube, aws, sm, run_operator) -> None:
    allowed = kube.namespace("allowed", labels={"team": "a"})
    denied = kube.namespace("denied")
    keys_ns = kube.namespace("keys")
    kube.apply(keys_secret(keys_ns))
    name = f"css-{allowed}"
    refs = {
        "accessKeyIDSecretRef": {"name": "awssm-secret", "key": "access-key", "namespace": keys_ns},
        "secretAccessKeySecretRef": {
            "name": "awssm-secret",
            "key": "secret-access-key",
            "namespace": keys_ns,
        },
    }
    kube.apply(
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ClusterSecretStore",
            "metadata": {"name": name},
            "spec": {
                "conditions": [{"namespaceSelector": {"matchLabels": {"team": "a"}}}],
                "provider": {
                    "aws": {
                        "service": "SecretsManager",
                        "region": "eu-central-1",
                        "auth": {"secretRef": refs},
                    }
                },
            },
        }
    )
    try:
        for ns in (allowed, denied):
            kube.apply(
                external_secret(ns, secretStoreRef={"name": name, "kind": "ClusterSecretStore"})
            )
        run_operator()
        wait_for(
            lambda: value(kube, allowed, "app", "password") == "s3cret-one", 60, "the allowed sync"
        )
        wait_for(lambda: kube.ready(denied, "app"), 60, "the denied status")
        assert kube.ready(denied, "app") == (
            "False",
            "SecretSyncedError",
            "could not get secret data from provider",
        )
        denial = (
            f'using cluster store "{name}" is not allowed from namespace "{denied}": denied by '
            "spec.condition"
        )
        # the event is recorded right after the status
        wait_for(
            lambda: any(
                denial in (e.message or "") for e in kube.core.list_namespaced_event(denied).items
            ),
            30,
            "the UpdateFailed event",
        )
        assert kube.secret(denied, "app") is None
    finally:
        kube.custom.delete_cluster_custom_object(
            "external-secrets.io", "v1", "clustersecretstores", name
        )


def test_jwt_auth_with_a_real_token_request(kube, aws, sm, run_operator) -> None:
    ns = kube.namespace()
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {
                "name": "reader",
                "namespace": ns,
                "annotations": {
                    "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/reader"
                },
            },
        }
    )
    doc = store(ns)
    doc["spec"]["provider"]["aws"]["auth"] = {"jwt": {"serviceAccountRef": {"name": "reader"}}}
    kube.apply(doc)
    kube.apply(external_secret(ns))
    run_operator("--namespace", ns)  # (other tests leave ExternalSecrets behind)
    wait_for(
        lambda: value(kube, ns, "app", "password") == "s3cret-one", 60, "the sync through IRSA"
    )
    (exchange,) = aws.requests("sts", "AssumeRoleWithWebIdentity")
    token = exchange["params"]["WebIdentityToken"]
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert payload["sub"] == f"system:serviceaccount:{ns}:reader"
    assert payload["aud"] == ["sts.amazonaws.com"]


def test_leader_election_hands_over(kube, aws, sm, run_operator) -> None:
    ns = kube.namespace()
    kube.apply(keys_secret(ns))
    kube.apply(store(ns))
    kube.apply(external_secret(ns, refreshInterval="1s"))
    lease = f"lease-{ns}"
    args = ("--leader-elect", "--leader-election-namespace", ns, "--lease-name", lease)
    first = run_operator(*args)
    wait_for(lambda: value(kube, ns, "app", "password") == "s3cret-one", 60, "the leader's sync")
    second = run_operator(*args, wait=False)
    coordination = __import__("kubernetes").client.CoordinationV1Api(kube.api)
    holder = coordination.read_namespaced_lease(lease, ns).spec.holder_identity
    assert holder
    # the standby is up (it answers /healthz and says it waits for the lease), not ready, and
    # the lease stays with the first; a standby that never started would answer nothing (0)
    wait_for(lambda: second.get("/healthz") == (200, "ok"), 60, "the standby to serve /healthz")
    wait_for(lambda: "waiting for the leader lease" in second.logs(), 30, "the standby to wait")
    assert second.get("/readyz") == (503, "not ready")
    assert coordination.read_namespaced_lease(lease, ns).spec.holder_identity == holder
    first.stop(signal.SIGKILL)
    sm.put_secret_value(SecretId="app/db", SecretString=json.dumps({"password": "s3cret-three"}))
    wait_for(
        lambda: (
            coordination.read_namespaced_lease(lease, ns).spec.holder_identity not in ("", holder)
        ),
        60,
        "the standby to take the lease",
    )
    wait_for(
        lambda: value(kube, ns, "app", "password") == "s3cret-three", 60, "the new leader's sync"
    )


def test_a_stale_write_is_a_conflict(kube) -> None:
    from extsecrets.cluster.kube import KubeCluster
    from extsecrets.cluster.objects import SecretObject
    from extsecrets.cluster.port import ConflictError
    from extsecrets.plugins import PluginHost

    ns = kube.namespace()
    cluster = KubeCluster(kube.api, PluginHost.from_plugins({}))
    created = cluster.create_secret(SecretObject(ns, "s", {"a": b"1"}), "test", frozenset({"a"}))
    cluster.update_secret(
        SecretObject(ns, "s", {"a": b"2"}, resource_version=created.resource_version),
        "test",
        frozenset({"a"}),
    )
    with pytest.raises(ConflictError):
        cluster.update_secret(
            SecretObject(ns, "s", {"a": b"3"}, resource_version=created.resource_version),
            "test",
            frozenset({"a"}),
        )


def test_a_watch_that_expires_lists_again(kube, kube_server) -> None:
    """etcd compacted past the informer's resourceVersion: the watch gets 410 Gone, the informer
    lists again and keeps watching."""
    import urllib.request
    from functools import partial
    from pathlib import Path

    from extsecrets.cluster.informer import Informer

    etcd = (Path(kube_server).parent / "etcd-url").read_text().strip()

    def etcd_call(path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(etcd + path, json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())  # type: ignore[no-any-return]

    ns = kube.namespace()
    kube.core.create_namespaced_config_map(ns, {"metadata": {"name": "one"}})
    informer = Informer(
        "configmaps",
        partial(kube.core.list_namespaced_config_map, ns),
        api_version="v1",
        kind="ConfigMap",
        watch_seconds=2,  # short watches: the next one starts from the remembered version
    ).start()
    try:
        wait_for(lambda: informer.get(ns, "one"), 30, "the first list")
        # move etcd on, then compact it past everything the informer has seen
        for i in range(5):
            kube.core.create_namespaced_config_map(
                "default", {"metadata": {"generateName": f"x{i}-"}}
            )
        revision = etcd_call("/v3/kv/range", {"key": base64.b64encode(b"a").decode()})
        etcd_call("/v3/kv/compaction", {"revision": revision["header"]["revision"]})
        wait_for(lambda: informer.lists >= 2, 30, "a list after 410 Gone")
        kube.core.create_namespaced_config_map(ns, {"metadata": {"name": "two"}})
        wait_for(lambda: informer.get(ns, "two"), 30, "the watch to resume")
        assert informer.get(ns, "one") is not None
        # one 410, one relist: the watch resumed from the new list's version
        assert informer.lists == 2
    finally:
        informer.stop()


def test_an_informer_lists_in_pages_and_answers_label_queries(kube, monkeypatch) -> None:
    from functools import partial

    from extsecrets.cluster import informer as informer_module
    from extsecrets.cluster.informer import Informer

    monkeypatch.setattr(informer_module, "LIST_PAGE", 2)
    ns = kube.namespace()
    for i in range(5):
        labels = {"created-by": "a" if i % 2 else "b", "other": "x"}
        kube.core.create_namespaced_config_map(
            ns, {"metadata": {"name": f"c{i}", "labels": labels}}
        )
    before = kube.requests_served()["LIST configmaps"]
    informer = Informer(
        "configmaps",
        partial(kube.core.list_namespaced_config_map, ns),
        api_version="v1",
        kind="ConfigMap",
        label_selector="other=x",  # not the namespace's kube-root-ca.crt
        index_label="created-by",
    ).start()
    try:
        assert informer.synced.wait(30)
        assert len(informer) == 5
        assert kube.requests_served()["LIST configmaps"] - before == 3  # 2 + 2 + 1
        by_label = informer.matching(ns, {"created-by": "a", "other": "x"})
        assert [o["metadata"]["name"] for o in by_label] == ["c1", "c3"]
        kube.core.patch_namespaced_config_map(
            "c1", ns, {"metadata": {"labels": {"created-by": "b"}}}
        )
        wait_for(
            lambda: (
                [o["metadata"]["name"] for o in informer.matching(ns, {"created-by": "a"})]
                == ["c3"]
            ),
            30,
            "the relabelled object to leave the index",
        )
    finally:
        informer.stop()


def test_the_seed_examples_sync(kube, aws, run_operator) -> None:
    """The seed page's stores, verbatim (they live in namespace default), through the operator."""
    import yaml
    from aws_kit import ENV_KEY_ID, SEED

    sm = client(aws, "secretsmanager")
    sm.create_secret(Name="seed/value", SecretString="from-the-seed")
    applied: list[dict[str, Any]] = []
    docs = [
        *yaml.safe_load_all((SEED / "02-secret-ref.yaml").read_text()),
        *yaml.safe_load_all((SEED / "03-service-account.yaml").read_text()),
        *yaml.safe_load_all((SEED / "04-jwt.yaml").read_text()),
    ]
    suffix = kube.namespace("seed")  # a unique name for this run's objects
    for doc in docs:
        doc["metadata"].setdefault("namespace", "default")
        doc["metadata"]["name"] = f"{doc['metadata']['name']}-{suffix}"
    docs[0]["spec"]["provider"]["aws"]["auth"]["secretRef"]["accessKeyIDSecretRef"]["name"] += (
        f"-{suffix}"
    )
    docs[0]["spec"]["provider"]["aws"]["auth"]["secretRef"]["secretAccessKeySecretRef"]["name"] += (
        f"-{suffix}"
    )
    docs[2]["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]["name"] += f"-{suffix}"
    keys = keys_secret("default")
    keys["metadata"]["name"] = f"awssm-secret-{suffix}"
    docs.append(keys)
    for store_doc in (docs[0], docs[2]):
        es = external_secret(
            "default",
            f"from-{store_doc['metadata']['name']}",
            secretStoreRef={"name": store_doc["metadata"]["name"]},
            data=[{"secretKey": "v", "remoteRef": {"key": "seed/value"}}],
        )
        docs.append(es)
    try:
        for doc in docs:
            applied.append(kube.apply(doc))
        run_operator()
        for store_doc in (docs[0], docs[2]):
            target = f"from-{store_doc['metadata']['name']}"
            wait_for(lambda t=target: value(kube, "default", t, "v") == "from-the-seed", 60, target)
        # the role of the first example was assumed with the static keys, the second's through IRSA
        assert {r["access_key_id"] for r in aws.requests("sts", "GetCallerIdentity")} == {
            KEYS["access-key"]
        }
        exchanges = aws.requests("sts", "AssumeRoleWithWebIdentity")
        assert exchanges
        assert {r["status"] for r in exchanges} == {200}
        assert ENV_KEY_ID  # the environment identity is not used by these stores
    finally:
        for doc in docs:
            name = doc["metadata"]["name"]
            if doc["kind"] == "Secret":
                kube.core.delete_namespaced_secret(name, "default")
            elif doc["kind"] == "ServiceAccount":
                kube.core.delete_namespaced_service_account(name, "default")
            else:
                kube.custom.delete_namespaced_custom_object(
                    "external-secrets.io", "v1", "default", doc["kind"].lower() + "s", name
                )


def test_graceful_shutdown_hands_the_lease_back(kube, run_operator) -> None:
    from kubernetes import client as k8s

    ns = kube.namespace()
    lease = f"lease-{ns}"
    operator = run_operator(
        "--leader-elect", "--leader-election-namespace", ns, "--lease-name", lease
    )
    coordination = k8s.CoordinationV1Api(kube.api)
    assert coordination.read_namespaced_lease(lease, ns).spec.holder_identity
    # exit status 0: it stopped by itself (stop() kills it after 30 s, which reads -9)
    assert operator.stop(signal.SIGTERM) == 0
    # handed back: no holder, and a duration of one second, so a standby takes it at once
    released = coordination.read_namespaced_lease(lease, ns).spec
    assert not released.holder_identity
    assert released.lease_duration_seconds == 1


def test_the_shipped_rbac_is_enough(kube, aws, sm, run_operator, tmp_path) -> None:
    """The operator runs as the ServiceAccount of deploy/rbac.yaml, with nothing more."""
    from pathlib import Path

    import yaml
    from kubernetes import utils

    deploy = Path(__file__).parent.parent / "deploy"
    from kubernetes.client.rest import ApiException

    try:
        kube.core.create_namespace({"metadata": {"name": "extsecrets-system"}})
    except ApiException as exc:  # already there from an earlier run on this server
        if exc.status != 409:
            raise
    for doc in yaml.safe_load_all((deploy / "rbac.yaml").read_text()):
        if doc:
            try:
                utils.create_from_dict(kube.api, doc)
            except utils.FailToCreateError as exc:
                if any(e.status != 409 for e in exc.api_exceptions):
                    raise
    token = kube.core.create_namespaced_service_account_token(
        "extsecrets", "extsecrets-system", {"spec": {"expirationSeconds": 3600}}
    ).status.token
    admin = yaml.safe_load(Path(kube.kubeconfig).read_text())
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": admin["clusters"],
        "users": [{"name": "extsecrets", "user": {"token": token}}],
        "contexts": [
            {
                "name": "sa",
                "context": {"cluster": admin["clusters"][0]["name"], "user": "extsecrets"},
            }
        ],
        "current-context": "sa",
    }
    kubeconfig = tmp_path / "sa.kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))

    ns = kube.namespace()
    kube.apply(keys_secret(ns))
    kube.apply(store(ns))
    kube.apply(external_secret(ns))
    operator = run_operator(
        "--kubeconfig",
        str(kubeconfig),
        "--leader-elect",
        "--leader-election-namespace",
        "extsecrets-system",
    )
    wait_for(
        lambda: value(kube, ns, "app", "password") == "s3cret-one",
        60,
        "a sync with the shipped RBAC",
    )
    assert "Forbidden" not in operator.logs()
    assert "403" not in operator.logs()


def test_namespace_flag_watches_one_namespace(kube, aws, sm, run_operator) -> None:
    watched, other = kube.namespace("watched"), kube.namespace("other")
    for ns in (watched, other):
        kube.apply(keys_secret(ns))
        kube.apply(store(ns))
        kube.apply(external_secret(ns))
    run_operator("--namespace", watched)
    wait_for(
        lambda: value(kube, watched, "app", "password") == "s3cret-one", 60, "the watched sync"
    )
    assert kube.secret(other, "app") is None
    assert kube.ready(other, "app") is None
