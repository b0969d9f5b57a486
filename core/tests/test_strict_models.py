"""Strict structuring: every problem carries the path as written in the YAML."""

from __future__ import annotations

import pytest

from extsecrets.model import ExternalSecret, SecretStore
from extsecrets.plugins import PluginHost
from extsecrets.testing import check_yaml, checked_objects

ES_HEAD = """
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: es, namespace: team-a}
spec:
  secretStoreRef: {name: store}
"""

STORE = """
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: store, namespace: team-a}
spec:
  provider:
    fake:
      service: One
"""


def es(body: str) -> str:
    return ES_HEAD + body


def test_a_valid_external_secret_structures_with_defaults(host: PluginHost) -> None:
    (obj,) = checked_objects(es("  data:\n  - {secretKey: a, remoteRef: {key: k}}\n"), host)
    assert obj.problems == ()
    assert isinstance(obj.obj, ExternalSecret)
    spec = obj.obj.spec
    assert spec.refresh_interval.seconds == 3600
    assert (spec.target.creation_policy, spec.target.deletion_policy) == ("Owner", "Retain")
    ref = spec.data[0].remote_ref
    assert (ref.metadata_policy, ref.decoding_strategy, ref.conversion_strategy) == (
        "None",
        "None",
        "Default",
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "  data:\n  - {secretKey: a, remoteRef: {key: k, versoin: '1'}}\n",
            "spec.data[0].remoteRef.versoin: unknown field (did you mean version?)",
        ),
        (
            "  data:\n  - {secretKey: a, remoteRef: {key: 3}}\n",
            "spec.data[0].remoteRef.key: expected a string, got an integer",
        ),
        (
            "  data:\n  - {secretKey: a}\n",
            "spec.data[0].remoteRef: required field is missing",
        ),
        ("  data: {secretKey: a}\n", "spec.data: expected a list, got a mapping"),
        ("  data: a\n", "spec.data: expected a list, got a string"),
        (
            "  data:\n  - {secretKey: 'a b', remoteRef: {key: k}}\n",
            'spec.data[0].secretKey: "a b" does not match [-._a-zA-Z0-9]+',
        ),
        (
            "  refreshInterval: 1x\n  data:\n  - {secretKey: a, remoteRef: {key: k}}\n",
            'spec.refreshInterval: time: invalid duration "1x"',
        ),
        (
            "  refreshInterval: 60\n  data:\n  - {secretKey: a, remoteRef: {key: k}}\n",
            'spec.refreshInterval: expected a duration string such as "1h", got an integer',
        ),
        (
            "  target: {creationPolicy: owner}\n  data:\n  - {secretKey: a, remoteRef: {key: k}}\n",
            "spec.target.creationPolicy: must be one of Owner, Orphan, Merge, None, "
            'CreateOrMerge; got "owner"',
        ),
        (
            "  target: {immutable: 'true'}\n  data:\n  - {secretKey: a, remoteRef: {key: k}}\n",
            "spec.target.immutable: expected a boolean, got a string",
        ),
        (
            "  dataFrom:\n  - find: {tags: {team: 1}}\n",
            "spec.dataFrom[0].find.tags.team: expected a string, got an integer",
        ),
        (
            "  data:\n  - {secretKey: a, remoteRef: {key: k}}\n  - {secretKey: b}\n",
            "spec.data[1].remoteRef: required field is missing",
        ),
    ],
)
def test_structural_problems_name_the_yaml_path(host: PluginHost, body: str, expected: str) -> None:
    assert check_yaml(es(body), host) == [f"ExternalSecret team-a/es: {expected}"]


def test_a_snake_case_key_is_unknown_and_its_camel_case_twin_missing(host: PluginHost) -> None:
    assert check_yaml(es("  data:\n  - {secret_key: a, remoteRef: {key: k}}\n"), host) == [
        "ExternalSecret team-a/es: spec.data[0].secretKey: required field is missing",
        "ExternalSecret team-a/es: spec.data[0].secret_key: unknown field (did you mean secretKey?)",
    ]


def test_every_structural_problem_is_reported_not_only_the_first(host: PluginHost) -> None:
    text = es(
        "  bogus: 1\n  data:\n  - {secretKey: a, remoteRef: {key: k, extra: 1}}\n"
        "  - {secretKey: 3, remoteRef: {key: k}}\n"
    )
    assert check_yaml(text, host) == [
        "ExternalSecret team-a/es: spec.bogus: unknown field",
        "ExternalSecret team-a/es: spec.data[0].remoteRef.extra: unknown field",
        "ExternalSecret team-a/es: spec.data[1].secretKey: expected a string, got an integer",
    ]


def test_metadata_namespace_defaults_like_kubectl(host: PluginHost) -> None:
    text = es("  data:\n  - {secretKey: a, remoteRef: {key: k}}\n").replace(
        ", namespace: team-a", ""
    )
    (obj,) = checked_objects(text, host)
    assert str(obj.ident) == "ExternalSecret default/es"
    assert obj.obj is not None
    assert obj.obj.metadata.namespace == "default"


def test_server_fields_of_objects_read_back_from_a_cluster_are_accepted(host: PluginHost) -> None:
    text = (
        STORE.replace(
            "namespace: team-a}",
            "namespace: team-a, uid: u, resourceVersion: '7', generation: 2, "
            "creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [{manager: x}]}",
        )
        + "status: {conditions: []}\n"
    )
    (obj,) = checked_objects(text, host)
    assert obj.problems == ()
    assert isinstance(obj.obj, SecretStore)
    assert obj.obj.metadata.resource_version == "7"


def test_provider_block_is_structured_by_the_plugin_config_type(host: PluginHost) -> None:
    (obj,) = checked_objects(STORE + "      values: {a: b}\n", host)
    assert isinstance(obj.obj, SecretStore)
    provider = obj.obj.spec.provider
    assert (provider.name, provider.service) == ("fake", "One")
    assert type(provider.config).__name__ == "FakeProvider"
    assert provider.config.values == {"a": "b"}


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("      label: bad\n", "spec.provider.fake.label: label must not be bad"),
        ("      lable: x\n", "spec.provider.fake.lable: unknown field (did you mean label?)"),
        (
            "      values: [a]\n",
            "spec.provider.fake.values: expected a mapping of strings, got a list",
        ),
    ],
)
def test_provider_block_problems_carry_the_full_path(
    host: PluginHost, block: str, expected: str
) -> None:
    assert check_yaml(STORE + block, host) == [f"SecretStore team-a/store: {expected}"]


def test_unserved_provider_and_service_list_what_is_installed(host: PluginHost) -> None:
    installed = "installed: fake/One (fake), fake/Two (fake)"
    assert check_yaml(STORE.replace("fake:\n      service: One", "vault: {}"), host) == [
        f'SecretStore team-a/store: spec.provider.vault: no installed plugin serves provider "vault"; {installed}'
    ]
    assert check_yaml(STORE.replace("service: One", "service: Three"), host) == [
        f"SecretStore team-a/store: spec.provider.fake.service: no installed plugin serves provider fake/Three; {installed}"
    ]


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ("{}", "spec.provider: storeSpec is missing provider"),
        (
            "{fake: {service: One}, other: {}}",
            "spec.provider: secret stores must only have exactly one backend specified, found 2",
        ),
    ],
)
def test_provider_must_hold_exactly_one_block(
    host: PluginHost, provider: str, expected: str
) -> None:
    text = STORE.replace("provider:\n    fake:\n      service: One", f"provider: {provider}")
    assert check_yaml(text, host) == [f"SecretStore team-a/store: {expected}"]


def test_old_api_versions_are_refused_with_the_way_out(host: PluginHost) -> None:
    text = STORE.replace("external-secrets.io/v1", "external-secrets.io/v1beta1")
    assert check_yaml(text, host) == [
        "SecretStore team-a/store: apiVersion: external-secrets.io/v1beta1 is not supported: "
        "extsecrets reads external-secrets.io/v1 (the SecretStore fields are the same; change "
        "the apiVersion)"
    ]


def test_generator_spec_is_structured_by_its_plugin(host: PluginHost) -> None:
    text = """
apiVersion: generators.external-secrets.io/v1alpha1
kind: Password
metadata: {name: pw}
spec: {length: "8"}
"""
    assert check_yaml(text, host) == [
        "Password default/pw: spec.length: expected an integer, got a string"
    ]
    (obj,) = checked_objects(text.replace('"8"', "12"), host)
    assert obj.obj is not None
    assert obj.obj.spec.length == 12


def test_generator_kinds_nobody_serves_are_a_warning(host: PluginHost) -> None:
    text = """
apiVersion: generators.external-secrets.io/v1alpha1
kind: UUID
metadata: {name: u}
spec: {}
"""
    assert check_yaml(text, host) == [
        "warning: UUID default/u: kind: no installed plugin serves generator kind UUID; "
        "installed: Password (fake)"
    ]


def test_kinds_extsecrets_does_not_check_are_accepted_silently(host: PluginHost) -> None:
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {a: b}\n"
    (obj,) = checked_objects(text, host)
    assert (obj.problems, obj.modelled, obj.obj) == ((), False, None)
