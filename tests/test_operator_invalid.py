"""Objects that fail admission, made through the real API server, are visible where users look
(issue 15, item 4): Ready=False with the reason and every problem as `extsecrets validate`
prints it, one Warning event, written once; an edit that fixes them flips Ready back."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from aws_kit import client
from operator_kit import wait_for

pytestmark = pytest.mark.kube

ESO = "external-secrets.io/v1"
GENERATORS = "generators.external-secrets.io/v1alpha1"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret_ref(namespace: str | None = None, key: str | None = "access-key") -> dict[str, Any]:
    access: dict[str, Any] = {"name": "awssm-secret"}
    if key is not None:
        access["key"] = key
    secret: dict[str, Any] = {"name": "awssm-secret", "key": "secret-access-key"}
    if namespace is not None:
        access["namespace"] = secret["namespace"] = namespace
    return {"secretRef": {"accessKeyIDSecretRef": access, "secretAccessKeySecretRef": secret}}


def aws_store(kind: str, name: str, namespace: str | None, auth: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    provider = {"service": "SecretsManager", "region": "eu-central-1", "auth": auth}
    return {
        "apiVersion": ESO,
        "kind": kind,
        "metadata": meta,
        "spec": {"provider": {"aws": provider}},
    }


def external_secret(namespace: str, name: str, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "secretStoreRef": {"name": "store"},
        "refreshInterval": "1h",
        "data": [{"secretKey": "password", "remoteRef": {"key": "app/db", "property": "password"}}],
    }
    body.update(spec)
    return {
        "apiVersion": ESO,
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": namespace},
        "spec": body,
    }


class Objects:
    """Reads of the objects under test, whatever their kind."""

    def __init__(self, kube: Any, namespace: str, css: str) -> None:
        self.kube = kube
        self.ns = namespace
        self.css = css

    def get(self, kind: str, name: str) -> dict[str, Any]:
        custom = self.kube.custom
        if kind == "ClusterSecretStore":
            return custom.get_cluster_custom_object(
                "external-secrets.io", "v1", "clustersecretstores", name
            )  # type: ignore[no-any-return]
        group, version = (GENERATORS if kind == "ECRAuthorizationToken" else ESO).split("/")
        return custom.get_namespaced_custom_object(
            group, version, self.ns, kind.lower() + "s", name
        )  # type: ignore[no-any-return]

    def patch(self, kind: str, name: str, body: dict[str, Any]) -> None:
        custom = self.kube.custom
        if kind == "ClusterSecretStore":
            custom.patch_cluster_custom_object(
                "external-secrets.io", "v1", "clustersecretstores", name, body
            )
            return
        group, version = (GENERATORS if kind == "ECRAuthorizationToken" else ESO).split("/")
        custom.patch_namespaced_custom_object(
            group, version, self.ns, kind.lower() + "s", name, body
        )

    def ready(self, kind: str, name: str) -> tuple[str, str, str] | None:
        for cond in (self.get(kind, name).get("status") or {}).get("conditions") or []:
            if cond.get("type") == "Ready":
                return cond["status"], cond["reason"], cond["message"]
        return None

    def version(self, kind: str, name: str) -> str:
        return str(self.get(kind, name)["metadata"]["resourceVersion"])

    def events(self, kind: str, name: str) -> list[tuple[str, str, str]]:
        where = self.ns if kind != "ClusterSecretStore" else "default"
        found = self.kube.core.list_namespaced_event(where).items
        return sorted(
            (e.type, e.reason, e.message)
            for e in found
            if e.involved_object.kind == kind and e.involved_object.name == name
        )


def test_invalid_objects_say_why_once_and_recover(kube, aws, run_operator) -> None:
    sm = client(aws, "secretsmanager")
    sm.create_secret(Name="app/db", SecretString=json.dumps({"password": "s3cret-one"}))
    ns = kube.namespace("inv")
    css = f"css-{ns}"
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "awssm-secret", "namespace": ns},
            "data": {"access-key": b64("AKIAOPERATOR00000001"), "secret-access-key": b64("s")},
        }
    )
    kube.apply(aws_store("SecretStore", "store", ns, secret_ref()))
    # a required key missing in the credentials reference
    kube.apply(aws_store("SecretStore", "bad-store", ns, secret_ref(key=None)))
    # a namespace condition that does not compile
    bad_css = aws_store("ClusterSecretStore", css, None, secret_ref(namespace=ns))
    bad_css["spec"]["conditions"] = [{"namespaceRegexes": ["("]}]
    kube.apply(bad_css)
    # a refreshInterval that is not a duration
    kube.apply(external_secret(ns, "bad-es", refreshInterval="1x"))
    # a generator with a region that does not exist
    kube.apply(
        {
            "apiVersion": GENERATORS,
            "kind": "ECRAuthorizationToken",
            "metadata": {"name": "bad-gen", "namespace": ns},
            "spec": {"region": "not a region!"},
        }
    )
    # ExternalSecrets that use them
    kube.apply(external_secret(ns, "uses-bad-store", secretStoreRef={"name": "bad-store"}))
    gen_ref = {
        "apiVersion": GENERATORS,
        "kind": "ECRAuthorizationToken",
        "name": "bad-gen",
    }
    kube.apply(
        external_secret(
            ns, "uses-bad-gen", data=[], dataFrom=[{"sourceRef": {"generatorRef": gen_ref}}]
        )
    )
    objects = Objects(kube, ns, css)
    expected = {
        ("SecretStore", "bad-store"): (
            "False",
            "InvalidProviderConfig",
            "invalid manifest: spec.provider.aws.auth.secretRef.accessKeyIDSecretRef.key: "
            "required field is missing",
        ),
        ("ClusterSecretStore", css): (
            "False",
            "InvalidStoreConfiguration",
            "invalid manifest: spec.conditions[0].namespaceRegexes[0]: failed to compile 0th "
            "namespace regex in 0th condition: error parsing regexp: missing closing ): `(`",
        ),
        ("ExternalSecret", "bad-es"): (
            "False",
            "SecretSyncedError",
            'invalid manifest: spec.refreshInterval: time: invalid duration "1x"',
        ),
        ("ECRAuthorizationToken", "bad-gen"): (
            "False",
            "InvalidProviderConfig",
            "invalid manifest: spec.region: region not found: not a region!",
        ),
    }

    operator = run_operator("--namespace", ns)
    for (kind, name), ready in expected.items():
        wait_for(lambda k=kind, n=name: objects.ready(k, n), 60, f"the Ready of {kind} {name}")
        assert objects.ready(kind, name) == ready
    for (kind, name), (_, reason, message) in expected.items():
        event_reason = "UpdateFailed" if kind == "ExternalSecret" else reason
        wait_for(lambda k=kind, n=name: objects.events(k, n), 30, f"the event of {kind} {name}")
        assert objects.events(kind, name) == [("Warning", event_reason, message)]
    # the ExternalSecrets using them fail naming the problem
    problems = {
        "uses-bad-store": f"SecretStore {ns}/bad-store is not valid: "
        + expected[("SecretStore", "bad-store")][2].removeprefix("invalid manifest: "),
        "uses-bad-gen": f"ECRAuthorizationToken {ns}/bad-gen is not valid: "
        + expected[("ECRAuthorizationToken", "bad-gen")][2].removeprefix("invalid manifest: "),
    }
    for name, problem in problems.items():
        wait_for(
            lambda n=name, p=problem: any(p in e[2] for e in objects.events("ExternalSecret", n)),
            60,
            f"the event of {name} naming the problem",
        )
        assert objects.ready("ExternalSecret", name)[:2] == ("False", "SecretSyncedError")
    versions = {key: objects.version(*key) for key in expected}
    assert operator.stop() == 0

    # a fresh operator finds the statuses already written: it writes nothing, says nothing
    operator = run_operator("--namespace", ns)
    kube.apply(external_secret(ns, "sentinel"))
    wait_for(lambda: kube.ready(ns, "sentinel"), 60, "the sentinel to sync")
    assert kube.ready(ns, "sentinel") == ("True", "SecretSynced", "secret synced")
    assert {key: objects.version(*key) for key in expected} == versions
    for (kind, name), (_, reason, message) in expected.items():
        event_reason = "UpdateFailed" if kind == "ExternalSecret" else reason
        assert objects.events(kind, name) == [("Warning", event_reason, message)]

    # each one fixed by an edit: Ready flips back
    objects.patch(
        "SecretStore",
        "bad-store",
        {"spec": {"provider": {"aws": {"auth": secret_ref()}}}},
    )
    objects.patch(
        "ClusterSecretStore", css, {"spec": {"conditions": [{"namespaceRegexes": [".*"]}]}}
    )
    objects.patch("ExternalSecret", "bad-es", {"spec": {"refreshInterval": "1h"}})
    objects.patch("ECRAuthorizationToken", "bad-gen", {"spec": {"region": "eu-central-1"}})
    fixed = {
        ("SecretStore", "bad-store"): ("True", "Valid", "store validated"),
        ("ClusterSecretStore", css): ("True", "Valid", "store validated"),
        ("ExternalSecret", "bad-es"): ("True", "SecretSynced", "secret synced"),
        ("ECRAuthorizationToken", "bad-gen"): ("True", "Valid", "valid again"),
    }
    for (kind, name), ready in fixed.items():
        wait_for(
            lambda k=kind, n=name, r=ready: objects.ready(k, n) == r,
            60,
            f"{kind} {name} to be valid again (last: {objects.ready(kind, name)})",
        )
    for kind, name in (
        ("ExternalSecret", "bad-es"),
        ("SecretStore", "bad-store"),
        ("ClusterSecretStore", css),
        ("ECRAuthorizationToken", "bad-gen"),
    ):
        wait_for(
            lambda k=kind, n=name: ("Normal", "Valid", "valid again") in objects.events(k, n),
            30,
            f"the valid-again event of {kind} {name}",
        )
        assert objects.events(kind, name).count(("Normal", "Valid", "valid again")) == 1
    logs = operator.logs()
    assert "Traceback" not in logs
    records = [json.loads(line) for line in logs.splitlines() if line.strip()]
    assert [r for r in records if r["level"] in ("ERROR", "CRITICAL")] == []
    kube.custom.delete_cluster_custom_object(
        "external-secrets.io", "v1", "clustersecretstores", css
    )
