"""A plugin's generator kind whose CRD the cluster does not have (issue 17: its watch listed
404 for ever, and after 60 s the operator gave up starting).

The kind is served empty: the operator starts and serves everything else, says once which CRD
is missing, and keeps checking; the ExternalSecrets that use the kind fail saying so; once the
CRD is installed they sync. An in-memory plugin registers the kind (a name drawn for the session,
so no other test can have installed its CRD), the in-process Operator runs on the real API
server."""

from __future__ import annotations

import base64
import logging
import types
import uuid
from typing import Any

import attrs
import pytest
from engine_kit import external_secret
from kubernetes import client as k8s
from operator_inprocess import operator_in_process
from operator_kit import Kube, wait_for

import extsecrets
from extsecrets.plugins import PluginHost
from extsecrets.types import FrozenMap, Generated, GeneratorKind, Registration, SecretBytes

#: the generator kind of this session (an API server may be shared by several)
KIND = f"Missing{uuid.uuid4().hex[:8]}Token"
PLURAL = KIND.lower() + "s"
GROUP = "generators.external-secrets.io"
API_VERSION = f"{GROUP}/v1alpha1"
CRD = f"{PLURAL}.{GROUP}"


@attrs.frozen
class MissingToken:
    values: FrozenMap = FrozenMap()


def _plugin() -> types.ModuleType:
    module = types.ModuleType("missing_plugin")

    @extsecrets.hookimpl
    def extsecrets_register() -> Registration:
        kind = GeneratorKind(kind=KIND, api_version=API_VERSION, config_type=MissingToken)
        return Registration(generators=[kind])

    @extsecrets.hookimpl
    def extsecrets_generate(generator: Any) -> Generated:
        config: MissingToken = generator.config
        return Generated({k: SecretBytes(v.encode()) for k, v in config.values.items()})

    module.extsecrets_register = extsecrets_register  # type: ignore[attr-defined]
    module.extsecrets_generate = extsecrets_generate  # type: ignore[attr-defined]
    return module


def _crd() -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": CRD},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": PLURAL, "singular": KIND.lower(), "kind": KIND},
            "versions": [
                {
                    "name": "v1alpha1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }


def _event_messages(kube: Kube, namespace: str, name: str) -> list[str]:
    events = kube.core.list_namespaced_event(
        namespace, field_selector=f"involvedObject.name={name}"
    )
    return [e.message for e in events.items]


def test_a_generator_kind_without_its_crd_fails_only_its_users_until_installed(
    kube: Kube, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="extsecrets")
    host = PluginHost.from_plugins({"missing": _plugin()})
    namespace = kube.namespace("gen")
    ext = k8s.ApiextensionsV1Api(kube.api)
    unserved = f"the API server does not serve {KIND} ({API_VERSION}): is its CRD {CRD} installed?"
    ref = {"generatorRef": {"apiVersion": API_VERSION, "kind": KIND, "name": "gen"}}
    try:
        # (before the fix: never ready, the watch listing 404)
        with operator_in_process(host, kube.kubeconfig, namespace) as operator:
            kube.apply(external_secret("e", namespace, None, data_from=[{"sourceRef": ref}]))
            ready = wait_for(lambda: kube.ready(namespace, "e"), 60, "a Ready condition")
            assert ready[0] == "False"
            failure = f'could not get {KIND} "gen": {unserved}'
            wait_for(
                lambda: any(failure in m for m in _event_messages(kube, namespace, "e")),
                30,
                "the failure event",
            )

            ext.create_custom_resource_definition(_crd())
            informer = operator.cluster.generators[KIND]
            wait_for(lambda: informer.served, 60, "the kind served")
            kube.custom.create_namespaced_custom_object(
                GROUP,
                "v1alpha1",
                namespace,
                PLURAL,
                {
                    "apiVersion": API_VERSION,
                    "kind": KIND,
                    "metadata": {"name": "gen", "namespace": namespace},
                    "spec": {"values": {"token": "t0ken-after-install"}},
                },
            )
            wait_for(lambda: (kube.ready(namespace, "e") or ("",))[0] == "True", 90, "synced")
            secret = kube.secret(namespace, "e")
            assert secret is not None
            assert base64.b64decode(secret.data["token"]) == b"t0ken-after-install"
    finally:
        ext.delete_custom_resource_definition(CRD)
    said = [r.getMessage() for r in caplog.records if CRD in r.getMessage()]
    assert said == [f"informer {PLURAL}: {unserved}; checking again in the background"]
    assert f"informer {PLURAL}: the resource is served now" in caplog.messages
