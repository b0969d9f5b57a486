"""`spec.target.template` through `extsecrets run` on the real API server, AWS on the emulator:
ESO's ECR pull-secret example (a `kubernetes.io/dockerconfigjson` Secret from an
`ECRAuthorizationToken`) and templateFrom sources read with the shipped RBAC; labels a template
no longer writes leave the Secret (the API server's field ownership); a failing template fails
its ExternalSecret without printing a value."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from operator_kit import wait_for
from test_operator import b64, external_secret, keys_secret, store
from test_operator import sm as sm  # (a fixture)
from test_operator_schedule_kube import AUTH, token_answer

pytestmark = pytest.mark.kube

DEPLOY = Path(__file__).parent.parent / "deploy"

# ESO's example (docs/api/generator/ecr.md), as a user would apply it in a namespace
DOCKERCONFIG = """{
  "auths": {
    "{{ .proxy_endpoint | replace "https://" "" }}": {
      "username": "{{ .username }}",
      "password": "{{ .password }}",
      "auth": "{{ printf "%s:%s" .username .password | b64enc }}"
    }
  }
}
"""


def ecr_external_secret(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "ecr-secret", "namespace": namespace},
        "spec": {
            "refreshInterval": "1h0m0s",
            "target": {
                "name": "ecr-secret",
                "template": {
                    "type": "kubernetes.io/dockerconfigjson",
                    "metadata": {"annotations": {"expiresAt": "{{ .expires_at }}"}},
                    "data": {".dockerconfigjson": DOCKERCONFIG},
                },
            },
            "dataFrom": [
                {
                    "sourceRef": {
                        "generatorRef": {
                            "apiVersion": "generators.external-secrets.io/v1alpha1",
                            "kind": "ECRAuthorizationToken",
                            "name": "ecr-gen",
                        }
                    }
                }
            ],
        },
    }


def shipped_rbac_kubeconfig(kube: Any, tmp_path: Path) -> Path:
    """A kubeconfig for the ServiceAccount of deploy/rbac.yaml, with nothing more."""
    from kubernetes import utils
    from kubernetes.client.rest import ApiException

    try:
        kube.core.create_namespace({"metadata": {"name": "extsecrets-system"}})
    except ApiException as exc:  # there from an earlier test on this server
        if exc.status != 409:
            raise
    for doc in yaml.safe_load_all((DEPLOY / "rbac.yaml").read_text()):
        if not doc:
            continue
        try:
            utils.create_from_dict(kube.api, doc)
        except utils.FailToCreateError as exc:
            if any(e.status != 409 for e in exc.api_exceptions):
                raise
            # an earlier test created it: bring its rules up to date
            if doc["kind"] == "ClusterRole":
                from kubernetes import client as k8s

                k8s.RbacAuthorizationV1Api(kube.api).replace_cluster_role(
                    doc["metadata"]["name"], doc
                )
    token = kube.core.create_namespaced_service_account_token(
        "extsecrets", "extsecrets-system", {"spec": {"expirationSeconds": 3600}}
    ).status.token
    admin = yaml.safe_load(Path(kube.kubeconfig).read_text())
    cluster = admin["clusters"][0]["name"]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": admin["clusters"],
        "users": [{"name": "extsecrets", "user": {"token": token}}],
        "contexts": [{"name": "sa", "context": {"cluster": cluster, "user": "extsecrets"}}],
        "current-context": "sa",
    }
    path = tmp_path / "sa.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


def data(kube: Any, namespace: str, name: str) -> dict[str, bytes] | None:
    secret = kube.secret(namespace, name)
    if secret is None:
        return None
    return {k: base64.b64decode(v) for k, v in (secret.data or {}).items()}


def test_ecr_pull_secret_and_template_sources_with_the_shipped_rbac(
    kube, aws, sm, run_operator, tmp_path
) -> None:
    ns = kube.namespace()
    kube.apply(keys_secret(ns))
    kube.apply(
        {
            "apiVersion": "generators.external-secrets.io/v1alpha1",
            "kind": "ECRAuthorizationToken",
            "metadata": {"name": "ecr-gen", "namespace": ns},
            "spec": {"region": "eu-west-1", "auth": AUTH},
        }
    )
    token = f"token-{time.time_ns()}"
    expires = int(time.time()) + 12 * 3600
    aws.answer("ecr", "GetAuthorizationToken", token_answer(token, expires))
    kube.apply(ecr_external_secret(ns))

    # templates from a ConfigMap and a Secret of the ExternalSecret's namespace
    kube.apply(store(ns))
    kube.core.create_namespaced_config_map(
        ns,
        {
            "metadata": {"name": "app-tpl", "namespace": ns},
            "data": {"app.ini": "[db]\npassword = {{ .password }}\n"},
        },
    )
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "app-tpl-secret", "namespace": ns},
            "data": {"kv": b64("DB_PASSWORD: '{{ .password }}'\nDB_USER: admin\n")},
        }
    )
    kube.apply(
        external_secret(
            ns,
            "app",
            target={
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "templateFrom": [
                        {"configMap": {"name": "app-tpl", "items": [{"key": "app.ini"}]}},
                        {
                            "secret": {
                                "name": "app-tpl-secret",
                                "items": [{"key": "kv", "templateAs": "KeysAndValues"}],
                            }
                        },
                    ],
                }
            },
        )
    )

    operator = run_operator("--kubeconfig", str(shipped_rbac_kubeconfig(kube, tmp_path)))
    wait_for(lambda: data(kube, ns, "ecr-secret"), 60, "the pull secret")
    pull = kube.secret(ns, "ecr-secret")
    assert pull.type == "kubernetes.io/dockerconfigjson"
    stored = base64.b64decode(pull.data[".dockerconfigjson"])
    assert json.loads(stored) == {
        "auths": {
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com": {
                "username": "AWS",
                "password": token,
                "auth": b64(f"AWS:{token}"),
            }
        }
    }
    assert (
        stored
        == DOCKERCONFIG.replace(
            '{{ .proxy_endpoint | replace "https://" "" }}',
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        )
        .replace("{{ .username }}", "AWS")
        .replace("{{ .password }}", token)
        .replace('{{ printf "%s:%s" .username .password | b64enc }}', b64(f"AWS:{token}"))
        .encode()
    )
    assert pull.metadata.annotations["expiresAt"] == str(expires)
    assert pull.metadata.labels["reconcile.external-secrets.io/managed"] == "true"
    assert kube.ready(ns, "ecr-secret") == ("True", "SecretSynced", "secret synced")
    (request,) = aws.requests("ecr", "GetAuthorizationToken")
    assert request["region"] == "eu-west-1"

    wait_for(lambda: data(kube, ns, "app"), 60, "the templated app Secret")
    assert data(kube, ns, "app") == {
        "app.ini": b"[db]\npassword = s3cret-one\n",
        "DB_PASSWORD": b"s3cret-one",
        "DB_USER": b"admin",
    }
    assert kube.secret(ns, "app").metadata.labels["app"] == "web"
    logs = operator.logs()
    assert "Forbidden" not in logs
    assert "403" not in logs


def test_template_edits_and_failures_on_the_api_server(kube, aws, sm, run_operator) -> None:
    ns = kube.namespace()
    kube.apply(keys_secret(ns))
    kube.apply(store(ns))
    first = {
        "metadata": {"labels": {"old": "x", "kept": "y"}, "annotations": {"note": "v1"}},
        "data": {"password": "{{ .password | upper }}"},
    }
    kube.apply(external_secret(ns, "app", refreshInterval="1h", target={"template": first}))
    kube.apply(
        external_secret(
            ns, "broken", target={"template": {"data": {"p": "{{ fail (.password | b64enc) }}"}}}
        )
    )
    kube.apply(
        external_secret(ns, "invalid", target={"template": {"data": {"p": "{{ .password "}}})
    )
    run_operator("--namespace", ns)
    wait_for(lambda: data(kube, ns, "app"), 60, "the templated Secret")
    assert data(kube, ns, "app") == {"password": b"S3CRET-ONE"}
    secret = kube.secret(ns, "app")
    assert (secret.metadata.labels["old"], secret.metadata.annotations["note"]) == ("x", "v1")

    # the template stops writing a label and an annotation: the API server's record of who
    # wrote what takes them off, and leaves what others wrote
    kube.core.patch_namespaced_secret("app", ns, {"metadata": {"labels": {"someone": "else"}}})
    es = kube.external_secret(ns, "app")
    es["spec"]["target"]["template"] = {
        "metadata": {"labels": {"kept": "y", "new": "z"}},
        "data": {"password": "{{ .password }}"},
    }
    kube.custom.replace_namespaced_custom_object(
        "external-secrets.io", "v1", ns, "externalsecrets", "app", es
    )
    wait_for(lambda: data(kube, ns, "app") == {"password": b"s3cret-one"}, 60, "the new render")
    labels = kube.secret(ns, "app").metadata.labels
    assert {k: labels.get(k) for k in ("old", "kept", "new", "someone")} == {
        "old": None,
        "kept": "y",
        "new": "z",
        "someone": "else",
    }
    assert "note" not in (kube.secret(ns, "app").metadata.annotations or {})

    # an execution error: Ready=False, the reason in an event, no value printed
    wait_for(lambda: kube.ready(ns, "broken"), 60, "the failed ExternalSecret's status")
    assert kube.ready(ns, "broken") == ("False", "SecretSyncedError", "could not update secret")
    assert kube.secret(ns, "broken") is None

    def failure_events() -> list[str]:
        return [
            e.message
            for e in kube.core.list_namespaced_event(ns).items
            if e.involved_object.name == "broken" and e.reason == "UpdateFailed"
        ]

    wait_for(failure_events, 30, "the UpdateFailed event")
    message = failure_events()[0]
    assert message == (
        "could not apply template: could not execute template: unable to execute template at "
        'key p: template: p:1:3: executing "p" at <fail (.password | b64enc)>: error calling '
        "fail: <redacted>"
    )

    # a template that does not parse: refused as the webhook would, with its path
    wait_for(lambda: kube.ready(ns, "invalid"), 60, "the invalid ExternalSecret's status")
    status, reason, text = kube.ready(ns, "invalid")
    assert (status, reason) == ("False", "SecretSyncedError")
    assert (
        "spec.target.template.data.p: unable to parse template at key p: template: p:1: "
        "unclosed action" in text
    )
