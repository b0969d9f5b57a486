"""Core admission rules: ESO's ExternalSecret and generic store checks (spec §7.1, §7.3) with
their exact texts, and the checks extsecrets adds. Each rule is shown failing and passing."""

from __future__ import annotations

import pytest

from extsecrets.plugins import PluginHost
from extsecrets.testing import check_yaml

ES = """
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {{name: es, namespace: team-a}}
spec:
  secretStoreRef: {{name: store}}
{body}
"""
ONE_ENTRY = "  data:\n  - {secretKey: a, remoteRef: {key: k}}\n"


def es_lines(host: PluginHost, body: str) -> list[str]:
    prefix = "ExternalSecret team-a/es: "
    return [line.replace(prefix, "") for line in check_yaml(ES.format(body=body), host)]


DELETE_NOT_OWNED = (
    "spec.target.deletionPolicy: deletionPolicy=Delete must not be used when the controller "
    "doesn't own the secret. Please set creationPolicy=Owner"
)


@pytest.mark.parametrize("creation", ["Merge", "None", "CreateOrMerge"])
def test_delete_needs_an_owned_secret(host: PluginHost, creation: str) -> None:
    body = f"  target: {{creationPolicy: {creation}, deletionPolicy: Delete}}\n" + ONE_ENTRY
    assert es_lines(host, body) == [DELETE_NOT_OWNED]


@pytest.mark.parametrize("creation", ["Owner", "Orphan"])
def test_delete_with_an_owned_secret_is_fine(host: PluginHost, creation: str) -> None:
    body = f"  target: {{creationPolicy: {creation}, deletionPolicy: Delete}}\n" + ONE_ENTRY
    assert es_lines(host, body) == []


def test_merge_needs_a_secret_to_merge_with(host: PluginHost) -> None:
    body = "  target: {creationPolicy: None, deletionPolicy: Merge}\n" + ONE_ENTRY
    assert es_lines(host, body) == [
        "spec.target.deletionPolicy: deletionPolicy=Merge must not be used with "
        "creationPolicy=None. There is no Secret to merge with"
    ]
    ok = "  target: {creationPolicy: Merge, deletionPolicy: Merge}\n" + ONE_ENTRY
    assert es_lines(host, ok) == []


def test_data_or_data_from_is_required(host: PluginHost) -> None:
    assert es_lines(host, "  data: []\n") == ["spec: either data or dataFrom should be specified"]
    assert es_lines(host, "  dataFrom:\n  - extract: {key: k}\n") == []


@pytest.mark.parametrize(
    "entry",
    [
        "{extract: {key: k}, find: {tags: {a: b}}}",
        "{extract: {key: k}, sourceRef: {generatorRef: {kind: Password, name: p}}}",
        "{find: {tags: {a: b}}, sourceRef: {generatorRef: {kind: Password, name: p}}}",
    ],
)
def test_one_source_per_data_from_entry(host: PluginHost, entry: str) -> None:
    assert es_lines(host, f"  dataFrom:\n  - {entry}\n") == [
        "spec.dataFrom[0]: extract, find, or generatorRef cannot be set at the same time"
    ]


def test_a_data_from_entry_needs_a_source(host: PluginHost) -> None:
    assert es_lines(host, "  dataFrom:\n  - {rewrite: []}\n") == [
        "spec.dataFrom[0]: either extract, find, or sourceRef must be set to dataFrom"
    ]


def test_source_ref_needs_a_generator_or_a_store(host: PluginHost) -> None:
    assert es_lines(host, "  dataFrom:\n  - {sourceRef: {}}\n") == [
        "spec.dataFrom[0].sourceRef: generatorRef or storeRef must be set when using sourceRef "
        "in dataFrom"
    ]
    generator = "  dataFrom:\n  - {sourceRef: {generatorRef: {kind: Password, name: p}}}\n"
    assert es_lines(host, generator) == []


def test_duplicate_secret_keys_are_refused_under_retain_only(host: PluginHost) -> None:
    body = (
        "  data:\n  - {secretKey: a, remoteRef: {key: k}}\n  - {secretKey: a, remoteRef: {key: j}}"
        "\n  - {secretKey: a, remoteRef: {key: i}}\n"
    )
    assert es_lines(host, body) == [
        "spec.data[1].secretKey: duplicate secretKey found: a",
        "spec.data[2].secretKey: duplicate secretKey found: a",
    ]
    assert es_lines(host, "  target: {deletionPolicy: Delete}\n" + body) == []


def test_all_problems_are_reported_in_eso_order(host: PluginHost) -> None:
    body = "  target: {creationPolicy: None, deletionPolicy: Delete}\n  dataFrom:\n  - {}\n"
    assert es_lines(host, body) == [
        DELETE_NOT_OWNED,
        "spec.dataFrom[0]: either extract, find, or sourceRef must be set to dataFrom",
    ]


def test_every_entry_reading_a_store_needs_one(host: PluginHost) -> None:
    text = ES.format(body=ONE_ENTRY).replace("  secretStoreRef: {name: store}\n", "")
    assert [line.split(": ", 1)[1] for line in check_yaml(text, host)] == [
        "spec.data[0]: no store to read from: set spec.secretStoreRef or this entry's "
        "sourceRef.storeRef"
    ]
    with_override = text.replace("key: k}", "key: k}, sourceRef: {storeRef: {name: s}}")
    assert check_yaml(with_override, host) == []


def test_an_empty_remote_key_is_refused_with_its_path(host: PluginHost) -> None:
    body = (
        "  data:\n  - {secretKey: a, remoteRef: {key: k}}\n  - {secretKey: b, remoteRef: {key: ''}}"
        "\n  dataFrom:\n  - extract: {key: k}\n  - extract: {key: ''}\n  - find: {tags: {a: b}}\n"
    )
    assert es_lines(host, body) == [
        "spec.data[1].remoteRef.key: must not be empty: no provider has a secret without a name",
        "spec.dataFrom[1].extract.key: must not be empty: no provider has a secret without a name",
    ]
    # a key of one space is the provider's to judge (its plugin checks it before sending)
    assert es_lines(host, "  data:\n  - {secretKey: a, remoteRef: {key: ' '}}\n") == []


def test_a_template_is_accepted(host: PluginHost) -> None:
    # (the template rules: core/tests/test_template_admission.py)
    body = "  target: {template: {type: kubernetes.io/dockerconfigjson}}\n" + ONE_ENTRY
    assert es_lines(host, body) == []


def test_find_needs_a_name_or_tags_and_a_valid_re2_pattern(host: PluginHost) -> None:
    assert es_lines(host, "  dataFrom:\n  - find: {path: /a}\n") == [
        "spec.dataFrom[0].find: unexpected find operator"
    ]
    assert es_lines(host, "  dataFrom:\n  - find: {name: {regexp: '['}}\n") == [
        "spec.dataFrom[0].find.name.regexp: could not compile find.name.regexp [[]: "
        "error parsing regexp: missing closing ]: `[`"
    ]
    # RE2 has no lookarounds: what Python's re would accept is refused, as ESO (Go) does.
    (line,) = es_lines(host, "  dataFrom:\n  - find: {name: {regexp: '(?<=a)b'}}\n")
    assert "invalid or unsupported Perl syntax" in line
    assert es_lines(host, "  dataFrom:\n  - find: {name: {regexp: '^db-.*'}, tags: {}}\n") == []


def test_rewrite_entries_hold_exactly_one_valid_operation(host: PluginHost) -> None:
    body = (
        "  dataFrom:\n  - extract: {key: k}\n    rewrite:\n    - {}\n"
        "    - regexp: {source: '(', target: x}\n    - regexp: {source: '^a', target: b}\n"
    )
    assert es_lines(host, body) == [
        "spec.dataFrom[0].rewrite[0]: exactly one of regexp, transform or merge must be set",
        "spec.dataFrom[0].rewrite[1].regexp.source: error parsing regexp: missing closing ): `(`",
    ]


STORE = """
apiVersion: external-secrets.io/v1
kind: {kind}
metadata: {{name: store{ns}}}
spec:
{body}  provider:
    fake: {{service: One}}
"""


def store_lines(host: PluginHost, body: str, kind: str = "ClusterSecretStore") -> list[str]:
    ns = ", namespace: team-a" if kind == "SecretStore" else ""
    lines = check_yaml(STORE.format(kind=kind, ns=ns, body=body), host)
    return [line.split(": ", 1)[1] if not line.startswith("warning") else line for line in lines]


def test_namespace_regexes_must_compile(host: PluginHost) -> None:
    body = "  conditions:\n  - namespaceRegexes: ['^ok$']\n  - namespaceRegexes: ['a', '(']\n"
    assert store_lines(host, body) == [
        "spec.conditions[1].namespaceRegexes[1]: failed to compile 1th namespace regex in 1th "
        "condition: error parsing regexp: missing closing ): `(`"
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-5s", 'spec.refreshInterval: invalid refreshInterval "-5s": must not be negative'),
        ("-1", 'spec.refreshInterval: invalid refreshInterval "-1": must not be negative'),
        (
            "5x",
            'spec.refreshInterval: invalid refreshInterval "5x": time: invalid duration "5x"',
        ),
    ],
)
def test_store_refresh_interval(host: PluginHost, value: str, expected: str) -> None:
    assert store_lines(host, f"  refreshInterval: {value}\n") == [expected]


@pytest.mark.parametrize("value", ["300", "5m", "1h30m", "0"])
def test_store_refresh_interval_accepts_seconds_and_durations(host: PluginHost, value: str) -> None:
    assert store_lines(host, f"  refreshInterval: {value}\n") == []


def test_retry_settings(host: PluginHost) -> None:
    assert store_lines(host, "  retrySettings: {maxRetries: 0, retryInterval: 10q}\n") == [
        'spec.retrySettings.retryInterval: time: invalid duration "10q"',
        "spec.retrySettings.maxRetries: must be at least 1 (it counts attempts, the first one "
        "included)",
    ]
    assert store_lines(host, "  retrySettings: {maxRetries: 5, retryInterval: 10s}\n") == []


def test_conditions_on_a_namespaced_store_are_a_warning(host: PluginHost) -> None:
    body = "  conditions:\n  - namespaces: [a]\n"
    assert store_lines(host, body, kind="SecretStore") == [
        "warning: SecretStore team-a/store: spec.conditions: conditions only apply to a "
        "ClusterSecretStore; ignored on a SecretStore"
    ]
