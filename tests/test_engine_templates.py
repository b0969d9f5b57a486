"""`spec.target.template` through the engine and the local cluster (templates spec §1.3-1.9,
§3, §4): the acceptance cases of §6 with their expected outputs, ESO's order and merge rules,
ConfigMap and Secret sources, decoding, errors and their sanitising, rewrite transforms, and the
CLI (`validate`, `render`) with the fake plugin."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_kit import external_secret, generator, ref, secret, store

MANAGED = "reconcile.external-secrets.io/managed"
DATA_HASH = "reconcile.external-secrets.io/data-hash"


def b64(value: str | bytes) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode()


def templated(
    template: dict[str, Any], values: dict[str, str] | None = None, name: str = "e", **spec: Any
) -> dict[str, Any]:
    """An ExternalSecret reading each of ``values``' keys into the key of the same name."""
    target = dict(spec.pop("target", {}))
    target["template"] = template
    data = [ref(k, k) for k in sorted(values or {})] or [ref("unused", "unused")]
    return external_secret(name=name, data=spec.pop("data", data), target=target, **spec)


def config_map(name: str, data: dict[str, str], namespace: str = "app") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


def ready(w: Any, name: str = "e") -> tuple[str, str, str]:
    cond = w.status(name).condition("Ready")
    assert cond is not None
    return cond.status, cond.reason, cond.message


def sync_one(w: Any, name: str = "e") -> Any:
    return w.sync()[f"app/{name}"]


# --- §6: the acceptance cases (Values scope, target Data) ----------------------------------------

MULTILINE = """datasources:
- name: Graphite
  type: graphite
  access: proxy
  url: http://localhost:8080
  password: "{{ .password }}"
  user: "{{ .user }}"
"""

CASES = [
    # (case, template, data, expected output)
    (1, "{{ .secret | b64dec }}", {"secret": "MTIzNA=="}, "1234"),
    (2, "{{ $var := .secret | fromJson }}{{ $var.foo }}", {"secret": '{"foo": "bar"}'}, "bar"),
    (
        3,
        "{{ $var := .secret | fromJson }}{{ $var.foo | toJson }}",
        {"secret": '{"foo": {"baz":"bang"}}'},
        '{"baz":"bang"}',
    ),
    (
        4,
        "{{ $var := .secret | fromJson | toYaml }}{{ $var }}",
        {"secret": '{"foo": "bar"}'},
        "foo: bar",
    ),
    (
        5,
        "{{ $var := .secret | fromYaml | toJson }}{{ $var }}",
        {"secret": "foo: bar"},
        '{"foo":"bar"}',
    ),
    (6, "{{ .path | ext }}", {"path": "foo/bar/baz.exe"}, ".exe"),
    (
        7,
        '{{ .conn | replace "postgres://" "db+postgresql://"}}',
        {"conn": "postgres://user:pass@db.host:5432/dbname"},
        "db+postgresql://user:pass@db.host:5432/dbname",
    ),
    (8, "{{ .value | upper }}", {"value": "username"}, "USERNAME"),
    (
        9,
        MULTILINE,
        {"user": "foobert", "password": "harharhar"},
        MULTILINE.replace("{{ .password }}", "harharhar").replace("{{ .user }}", "foobert"),
    ),
    (10, '{{ "123412341234" | b64enc | b64dec }}', {}, "123412341234"),
    (
        11,
        "{{ .example | sha256sum | hexdec | b64enc }}",
        {"example": "example"},
        "UNhY4JhezH9gQYqvDMWrWH9CwlcKiECVqejMrND2VFw=",
    ),
    (
        12,
        '{{ htpasswd .username .password "sha" }}',
        {"username": "foo1", "password": "FZ4jR;l]ON;pHKi=_'zh79P"},
        "foo1:{SHA}wtdJD6OIjUniEJkTlewnKzfFxA4=",
    ),
    (
        13,
        "{{ .example | b64dec }}",
        {"example": "iam_no_base64"},
        "illegal base64 data at input byte 3",
    ),
    (14, '{{ "{ # no json # }" | fromJson }}', {}, "<no value>"),
]


@pytest.mark.parametrize(
    ("case", "text", "values", "expected"), CASES, ids=[f"case{c[0]}" for c in CASES]
)
def test_acceptance_cases_render_eso_s_outputs(
    world, case: int, text: str, values: dict[str, str], expected: str
) -> None:
    w = world(store(data={**values, "unused": "x"}), templated({"data": {"out": text}}, values))
    result = sync_one(w)
    assert result.ok, result.error
    assert w.data("e") == {"out": expected}
    assert w.secret("e").type == "Opaque"


def test_case16_a_missing_key_fails_the_external_secret_with_eso_s_text(world) -> None:
    w = world(store(data={"unused": "x"}), templated({"data": {"key": "{{ .unknown }}"}}))
    result = sync_one(w)
    assert not result.ok
    assert result.retry
    assert result.error == (
        "could not apply template: could not execute template: unable to execute template at "
        'key key: template: key:1:3: executing "key" at <.unknown>: map has no entry for key '
        '"unknown"'
    )
    assert w.secret("e") is None
    assert ready(w) == ("False", "SecretSyncedError", "could not update secret")
    assert w.events("UpdateFailed") == [result.error]


def test_case23_labels_and_annotations_are_templated(world) -> None:
    values = {"env": "ZGV2"}
    template = {
        "metadata": {
            "labels": {"bar": "{{ .env | b64dec }}"},
            "annotations": {"bar": "{{ .env | b64dec }}"},
        },
        "data": {"k": "v"},
    }
    w = world(store(data={"env": "ZGV2"}), templated(template, values))
    assert sync_one(w).ok
    secret_obj = w.secret("e")
    assert secret_obj.labels["bar"] == "dev"
    assert secret_obj.annotations["bar"] == "dev"
    assert w.data("e") == {"k": "v"}


@pytest.mark.parametrize("target", ["Data", "data", "AnNoTaTiOnS", "LABELS"])
def test_cases28_30_a_static_literal_reaches_its_target_whatever_the_case(world, target) -> None:
    template = {"templateFrom": [{"target": target, "literal": "foo: bar"}]}
    w = world(store(data={"unused": "x"}), templated(template))
    assert sync_one(w).ok
    secret_obj = w.secret("e")
    where = target.lower()
    assert w.data("e") == ({"foo": "bar"} if where == "data" else {})
    assert secret_obj.annotations.get("foo") == ("bar" if where == "annotations" else None)
    assert secret_obj.labels.get("foo") == ("bar" if where == "labels" else None)


@pytest.mark.parametrize("target", ["Data", "Annotations", "Labels"])
def test_case31_keys_and_values(world, target: str) -> None:
    values = {"key": "foo", "value": "bar"}
    template = {
        "templateFrom": [
            {"target": target, "literal": "{{ .key }}: {{ .value }}"},
            {"target": target, "literal": ""},
        ]
    }
    w = world(store(data=values), templated(template, values))
    assert sync_one(w).ok
    secret_obj = w.secret("e")
    got = {
        "Data": w.data("e"),
        "Annotations": {k: v for k, v in secret_obj.annotations.items() if k == "foo"},
        "Labels": {k: v for k, v in secret_obj.labels.items() if k == "foo"},
    }[target]
    assert got == {"foo": "bar"}


def test_cases32_to_35_and_38_rendered_values_are_decoded(world) -> None:
    values = {"encoded": "SGVsbG8="}
    w = world(
        store(data={**values}),
        config_map("tpl", {"encoded": "{{ .encoded }}"}),
        templated(
            {
                "engineVersion": "v2",
                "templateFrom": [
                    # 32: KeysAndValues, Base64
                    {
                        "literal": "service-a: SGVsbG8=\nservice-b: V29ybGQ=\n",
                        "valuesDecodingStrategy": "Base64",
                    },
                    # 33: keys are never decoded
                    {"literal": "dGVzdDEy: V29ybGQ=\n", "valuesDecodingStrategy": "Base64"},
                    # 34: Values scope, Base64; then None keeps the text
                    {
                        "configMap": {"name": "tpl", "items": [{"key": "encoded"}]},
                        "valuesDecodingStrategy": "Base64",
                    },
                    {"literal": "service-c: SGVsbG8=", "valuesDecodingStrategy": "None"},
                    # 38: the engine-level case
                    {"literal": "message: SGVsbG8=\n", "valuesDecodingStrategy": "Base64"},
                ],
            },
            values,
        ),
    )
    assert sync_one(w).ok
    assert w.data("e") == {
        "service-a": "Hello",
        "service-b": "World",
        "dGVzdDEy": "World",
        "encoded": "Hello",
        "service-c": "SGVsbG8=",
        "message": "Hello",
    }


def test_case35_a_value_that_does_not_decode_fails(world) -> None:
    template = {
        "templateFrom": [
            {"literal": "service-a: not-base64!\n", "valuesDecodingStrategy": "Base64"}
        ]
    }
    w = world(store(data={"unused": "x"}), templated(template))
    result = sync_one(w)
    assert result.error == (
        "could not apply template: error fetching templateFrom data: failed to decode rendered "
        "template value for key service-a: illegal base64 data"
    )


def test_case33_a_key_kubernetes_refuses_fails_before_anything_is_written(world) -> None:
    template = {"templateFrom": [{"literal": "SGVsbG8=: V29ybGQ=\n"}]}
    w = world(store(data={"unused": "x"}), templated(template))
    result = sync_one(w)
    assert result.error == (
        'could not apply template: key "SGVsbG8=" is refused by Kubernetes in a Secret: a valid '
        "config key must consist of alphanumeric characters, '-', '_' or '.' (regex used for "
        "validation is '[-._a-zA-Z0-9]+')"
    )
    assert w.secret("e") is None


def precedence_world(world, *docs: dict[str, Any], template: dict[str, Any]) -> Any:
    """The fixture of ESO's controller tests (§6 cases 46-49)."""
    return world(
        store(
            data={
                "someKey": "someValue",
                "map": json.dumps(
                    {
                        "targetProperty": "map-foo-value",
                        "bar": "map-bar-value",
                        "targetKey": "map-foo-value",
                        "targetValue": "map-bar-value",
                        "complex": json.dumps(
                            {"nested": "json", "can": "be", "templated": "successfully"}
                        ),
                    }
                ),
            }
        ),
        *docs,
        external_secret(
            data=[ref("targetProperty", "someKey")],
            data_from=[{"extract": {"key": "map"}}],
            target={"template": template},
        ),
    )


def test_case46_data_beats_data_from_and_every_source_renders(world) -> None:
    source = "tpl-from-value: {{ .targetProperty | toString }} // {{ .bar | toString }}"
    w = precedence_world(
        world,
        config_map("cm", {"tpl-from-key": source}),
        secret("sec", data={"tpl-from-sec-key": source}),
        template={
            "data": {
                "targetProperty": "{{ .targetProperty | toString | upper }} was templated",
                "bar": "value from map: {{ .bar | toString }}",
            },
            "templateFrom": [
                {"configMap": {"name": "cm", "items": [{"key": "tpl-from-key"}]}},
                {"secret": {"name": "sec", "items": [{"key": "tpl-from-sec-key"}]}},
            ],
        },
    )
    assert sync_one(w).ok
    assert w.data("e") == {
        "targetProperty": "SOMEVALUE was templated",
        "bar": "value from map: map-bar-value",
        "tpl-from-key": "tpl-from-value: someValue // map-bar-value",
        "tpl-from-sec-key": "tpl-from-value: someValue // map-bar-value",
    }


def test_cases47_48_keys_and_values_from_every_source_and_target(world) -> None:
    w = precedence_world(
        world,
        config_map("cm", {"kv": "{{ .targetKey }}-cm: {{ .targetValue }}"}),
        secret("sec", data={"kv": "{{ .targetKey }}-sec: {{ .targetValue }}"}),
        template={
            "templateFrom": [
                {
                    "configMap": {
                        "name": "cm",
                        "items": [{"key": "kv", "templateAs": "KeysAndValues"}],
                    }
                },
                {
                    "secret": {
                        "name": "sec",
                        "items": [{"key": "kv", "templateAs": "KeysAndValues"}],
                    }
                },
                {"literal": "{{ .targetKey }}-literal: {{ .targetValue }}"},
                {
                    "literal": (
                        "{{ range $k, $v := ( .complex | fromJson ) }}\n{{ $k }}: {{ $v }}\n"
                        "{{ end }}"
                    )
                },
                {"target": "Annotations", "literal": "{{ .targetKey }}-annotations: x"},
                {"target": "Labels", "literal": "{{ .targetKey }}-labels: y-value"},
            ]
        },
    )
    assert sync_one(w).ok
    assert w.data("e") == {
        "map-foo-value-cm": "map-bar-value",
        "map-foo-value-sec": "map-bar-value",
        "map-foo-value-literal": "map-bar-value",
        "nested": "json",
        "can": "be",
        "templated": "successfully",
    }
    assert w.secret("e").annotations["map-foo-value-annotations"] == "x"
    assert w.secret("e").labels["map-foo-value-labels"] == "y-value"


def test_case49_merge_keeps_the_fetched_keys_and_replace_drops_old_ones(world) -> None:
    template = {"mergePolicy": "Merge", "data": {"key": "{{.targetProperty}}-foo"}}
    w = precedence_world(world, template=template)
    assert sync_one(w).ok
    assert w.data("e") == {
        "key": "someValue-foo",
        "targetProperty": "someValue",
        "bar": "map-bar-value",
        "targetKey": "map-foo-value",
        "targetValue": "map-bar-value",
        "complex": '{"nested": "json", "can": "be", "templated": "successfully"}',
    }
    w.apply(
        external_secret(
            data=[ref("targetProperty", "someKey")],
            data_from=[{"extract": {"key": "map"}}],
            target={"template": {"data": {"new": "foo"}}},
        )
    )
    assert sync_one(w).ok
    assert w.data("e") == {"new": "foo"}


def test_case51_literals_to_data_and_annotations(world) -> None:
    template = {
        "templateFrom": [
            {"target": "data", "literal": "greeting: hello"},
            {"target": "Annotations", "literal": "team: platform"},
        ]
    }
    w = world(store(data={"unused": "x"}), templated(template))
    assert sync_one(w).ok
    assert w.data("e") == {"greeting": "hello"}
    assert w.secret("e").annotations["team"] == "platform"


NGINX = (
    "{{- range $key, $val := . }}\n{{- $json := $val | fromJson }}\n"
    "{{ $key }}: {{ $json.cert }}\n{{- end }}"
)


@pytest.mark.parametrize("decoding", [None, "Base64"])
def test_case54_a_literal_ranging_over_find_results(world, decoding: str | None) -> None:
    cert = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="
    doc = json.dumps({"cert": cert, "description": "certificate encoded as base64"})
    entry: dict[str, Any] = {"literal": NGINX}
    if decoding:
        entry["valuesDecodingStrategy"] = decoding
    w = world(
        store(data={"productA/nginx/a": doc, "productA/nginx/b": doc, "other": "{}"}),
        external_secret(
            data_from=[
                {
                    "find": {"name": {"regexp": "^productA/nginx/.*"}},
                    "rewrite": [{"regexp": {"source": "^productA/nginx/(.*)", "target": "$1"}}],
                }
            ],
            target={"template": {"engineVersion": "v2", "templateFrom": [entry]}},
        ),
    )
    assert sync_one(w).ok
    expected = "-----BEGIN CERTIFICATE-----\n" if decoding else cert
    assert w.data("e") == {"a": expected, "b": expected}


# --- ESO's documentation examples ----------------------------------------------------------------


def test_the_grafana_config_map_example(world) -> None:
    """ESO's templateFrom example (a ConfigMap with Values and KeysAndValues items)."""
    values = {"user": "grafana", "password": "pw-1", "uri": "oci://registry/x"}
    templated_item = (
        "# key and value templated\nmy-application-{{ .user}}: {{ .password | b64enc }}\n"
        '# conditional keys\n{{- if hasPrefix "oci://" .uri }}\nenableOCI: true\n'
        "{{- else }}\nenableOCI: false\n{{- end }}\n# Fixed values\napplication-type: grafana\n"
    )
    config = (
        'datasources:\n  - name: Graphite\n    url: "{{ .uri }}"\n'
        '    password: "{{ .password }}"\n    user: "{{ .user }}"\n'
    )
    w = world(
        store(data=values),
        config_map("grafana-config-tpl", {"config.yaml": config, "templated": templated_item}),
        templated(
            {
                "engineVersion": "v2",
                "templateFrom": [
                    {
                        "target": "Data",
                        "configMap": {
                            "name": "grafana-config-tpl",
                            "items": [
                                {"key": "config.yaml", "templateAs": "Values"},
                                {"key": "templated", "templateAs": "KeysAndValues"},
                            ],
                        },
                    }
                ],
            },
            values,
            target={"name": "secret-to-be-created"},
        ),
    )
    assert sync_one(w).ok
    assert w.data("secret-to-be-created") == {
        "config.yaml": config.replace("{{ .uri }}", "oci://registry/x")
        .replace("{{ .password }}", "pw-1")
        .replace("{{ .user }}", "grafana"),
        "my-application-grafana": b64("pw-1"),
        "enableOCI": "true",
        "application-type": "grafana",
    }


def test_the_merge_policy_example(world) -> None:
    values = {"password": b64("s3cret"), "username": "admin"}
    template = {
        "mergePolicy": "Merge",
        "engineVersion": "v2",
        "data": {"name": "admin", "password": "{{ .password | b64dec }}"},
    }
    w = world(store(data=values), templated(template, values))
    assert sync_one(w).ok
    assert w.data("e") == {"name": "admin", "password": "s3cret", "username": "admin"}


def test_a_dockerconfigjson_pull_secret_from_a_generator(world) -> None:
    """ESO's ECR example, with the fake generator standing in for ECR (the operator test runs
    the real one against the AWS emulator)."""
    dockerconfig = (
        '{\n  "auths": {\n    "{{ .proxy_endpoint | replace "https://" "" }}": {\n'
        '      "username": "{{ .username }}",\n      "password": "{{ .password }}",\n'
        '      "auth": "{{ printf "%s:%s" .username .password | b64enc }}"\n    }\n  }\n}\n'
    )
    w = world(
        generator(
            values={
                "username": "AWS",
                "password": "tok-123",
                "proxy_endpoint": "https://1234.dkr.ecr.eu-west-1.amazonaws.com",
                "expires_at": "1700000000",
            }
        ),
        external_secret(
            name="ecr-secret",
            store_name=None,
            data_from=[{"sourceRef": {"generatorRef": {"kind": "FakeToken", "name": "gen"}}}],
            target={
                "template": {
                    "type": "kubernetes.io/dockerconfigjson",
                    "metadata": {"annotations": {"expiresAt": "{{ .expires_at }}"}},
                    "data": {".dockerconfigjson": dockerconfig},
                }
            },
        ),
    )
    assert sync_one(w, "ecr-secret").ok
    stored = w.secret("ecr-secret")
    assert stored.type == "kubernetes.io/dockerconfigjson"
    assert set(stored.data) == {".dockerconfigjson"}
    assert stored.data[".dockerconfigjson"].endswith(b"}\n")  # a block scalar keeps its newline
    assert json.loads(stored.data[".dockerconfigjson"]) == {
        "auths": {
            "1234.dkr.ecr.eu-west-1.amazonaws.com": {
                "username": "AWS",
                "password": "tok-123",
                "auth": b64("AWS:tok-123"),
            }
        }
    }
    assert stored.annotations["expiresAt"] == "1700000000"
    assert stored.labels[MANAGED] == "true"
    expected_hash = hashlib.sha3_224(
        (
            "map[.dockerconfigjson:["
            + " ".join(str(b) for b in stored.data[".dockerconfigjson"])
            + "]]"
        ).encode()
    ).hexdigest()
    assert stored.annotations[DATA_HASH] == expected_hash


# --- ESO's order and merge rules (§1.4) ------------------------------------------------------------


def test_later_writes_win_in_eso_s_order(world) -> None:
    values = {"v": "fetched"}
    template = {
        "mergePolicy": "Merge",
        "templateFrom": [
            {"literal": "k: first\nl: first"},
            {"literal": "k: second"},
            {"target": "Labels", "literal": "lab: from-template-from\nother: kept"},
        ],
        "data": {"l": "from-data", "v": "overrides the fetched value"},
        "metadata": {"labels": {"lab": "from-metadata", MANAGED: "false"}},
    }
    w = world(store(data=values), templated(template, values))
    assert sync_one(w).ok
    assert w.data("e") == {"k": "second", "l": "from-data", "v": "overrides the fetched value"}
    labels = w.secret("e").labels
    assert labels["lab"] == "from-metadata"
    assert labels["other"] == "kept"
    assert labels[MANAGED] == "true"  # the controller's label wins over a templated one


def test_a_template_with_only_metadata_keeps_the_fetched_keys(world) -> None:
    values = {"a": "1", "b": "2"}
    template = {"type": "kubernetes.io/basic-auth", "metadata": {"labels": {"tier": "{{ .a }}"}}}
    w = world(store(data=values), templated(template, values))
    assert sync_one(w).ok
    assert w.data("e") == {"a": "1", "b": "2"}
    assert w.secret("e").type == "kubernetes.io/basic-auth"
    assert w.secret("e").labels["tier"] == "1"


def test_replace_keeps_only_the_templated_keys(world) -> None:
    values = {"a": "1", "b": "2"}
    w = world(store(data=values), templated({"data": {"c": "{{ .a }}{{ .b }}"}}, values))
    assert sync_one(w).ok
    assert w.data("e") == {"c": "12"}


def test_the_external_secret_s_own_labels_are_not_copied_with_a_template(world) -> None:
    values = {"a": "1"}
    doc = templated({"metadata": {"labels": {"from": "template"}}}, values)
    doc["metadata"]["labels"] = {"from-es": "yes"}
    w = world(store(data=values), doc)
    assert sync_one(w).ok
    labels = w.secret("e").labels
    assert labels["from"] == "template"
    assert "from-es" not in labels


def test_labels_and_annotations_it_no_longer_writes_go_others_stay(world) -> None:
    values = {"a": "1"}
    first = {
        "metadata": {
            "labels": {"old": "x", "kept": "y"},
            "annotations": {"old-note": "x"},
            "finalizers": ["example.com/keep"],
        }
    }
    w = world(
        store(data=values),
        secret("e", data={"foreign": "f"}, metadata={"labels": {"someone": "else"}}),
        templated(first, values, target={"creationPolicy": "Merge"}),
    )
    assert sync_one(w).ok
    assert w.secret("e").labels["old"] == "x"
    assert w.secret("e").finalizers == ("example.com/keep",)
    second = {"metadata": {"labels": {"kept": "y"}}}
    w.apply(templated(second, values, target={"creationPolicy": "Merge"}))
    assert sync_one(w).ok
    stored = w.secret("e")
    assert "old" not in stored.labels
    assert "old-note" not in stored.annotations
    assert stored.labels["kept"] == "y"
    assert stored.labels["someone"] == "else"
    assert w.data("e") == {"foreign": "f", "a": "1"}
    # finalizers are added, never removed
    assert stored.finalizers == ("example.com/keep",)


def test_creation_policy_merge_keeps_foreign_keys_and_drops_its_old_ones(world) -> None:
    values = {"a": "1"}
    w = world(
        store(data=values),
        secret("e", data={"foreign": "f"}),
        templated({"data": {"t1": "{{ .a }}"}}, values, target={"creationPolicy": "Merge"}),
    )
    assert sync_one(w).ok
    assert w.data("e") == {"foreign": "f", "t1": "1"}
    w.apply(templated({"data": {"t2": "{{ .a }}"}}, values, target={"creationPolicy": "Merge"}))
    assert sync_one(w).ok
    assert w.data("e") == {"foreign": "f", "t2": "1"}


def test_binary_values_are_seen_and_written_byte_exact(world) -> None:
    raw = bytes(range(256))
    w = world(
        store(data={"bin": b64(raw)}),
        external_secret(
            data=[ref("bin", "bin", decodingStrategy="Base64")],
            target={
                "template": {
                    "data": {
                        "copy": "{{ .bin }}",
                        "len": "{{ len .bin }}",
                        "b64": "{{ .bin | b64enc }}",
                    }
                }
            },
        ),
    )
    assert sync_one(w).ok
    stored = w.secret("e").data
    assert stored["copy"] == raw
    assert stored["len"] == b"256"
    assert stored["b64"] == b64(raw).encode()


def test_an_immutable_target_is_rendered_once(world) -> None:
    values = {"a": "1"}
    template = {"data": {"t": "{{ .a }}-{{ uuidv4 }}"}}
    w = world(store(data=values), templated(template, values, target={"immutable": True}))
    assert sync_one(w).ok
    first = w.secret("e")
    assert first.immutable
    w.apply(store(data={"a": "2"}))
    result = sync_one(w)
    assert result.ok, result.error
    assert w.secret("e").data == first.data
    assert w.cluster.counts["secret_writes"] == 1
    assert ready(w) == ("True", "SecretSynced", "secret synced")


# --- templateFrom sources ----------------------------------------------------------------------------


def test_sources_are_read_in_the_external_secret_s_namespace_once_a_cycle(world) -> None:
    values = {"a": "1"}
    template = {"templateFrom": [{"configMap": {"name": "tpl", "items": [{"key": "k"}]}}]}
    w = world(
        store(data=values),
        config_map("tpl", {"k": "app: {{ .a }}"}),
        config_map("tpl", {"k": "other namespace"}, namespace="other"),
        *(templated(template, values, name=f"e{n}") for n in range(3)),
    )
    results = w.sync()
    assert all(r.ok for r in results.values())
    assert [w.data(f"e{n}") for n in range(3)] == [{"k": "app: 1"}] * 3
    assert w.cluster.counts["configmap_reads"] == 1
    w.sync()
    assert w.cluster.counts["configmap_reads"] == 2


def test_a_missing_source_or_key_fails_with_eso_s_text(world) -> None:
    values = {"a": "1"}
    w = world(
        store(data=values),
        config_map("tpl", {"k": "x"}),
        templated(
            {"templateFrom": [{"configMap": {"name": "nope", "items": [{"key": "k"}]}}]},
            values,
            name="no-cm",
        ),
        templated(
            {"templateFrom": [{"configMap": {"name": "tpl", "items": [{"key": "gone"}]}}]},
            values,
            name="no-key",
        ),
        templated(
            {"templateFrom": [{"secret": {"name": "nope", "items": [{"key": "k"}]}}]},
            values,
            name="no-secret",
        ),
    )
    results = w.sync()
    prefix = "could not apply template: error fetching templateFrom data: "
    assert results["app/no-cm"].error == prefix + 'configmaps "nope" not found'
    assert results["app/no-key"].error == prefix + "error in configmap tpl: missing key gone"
    assert results["app/no-secret"].error == prefix + 'secrets "nope" not found'


def test_a_source_template_that_does_not_parse_fails_at_sync(world) -> None:
    values = {"a": "1"}
    w = world(
        store(data=values),
        config_map("tpl", {"k": "{{ #xx }}"}),
        templated(
            {"templateFrom": [{"configMap": {"name": "tpl", "items": [{"key": "k"}]}}]}, values
        ),
    )
    assert sync_one(w).error == (
        "could not apply template: error fetching templateFrom data: unable to parse template "
        'at key k: template: k:1: unexpected "#" in command'
    )


# --- errors ----------------------------------------------------------------------------------------


def test_an_update_names_the_secret_and_nothing_is_written(world) -> None:
    values = {"a": "1"}
    w = world(store(data=values), templated({"data": {"t": "{{ .a }}"}}, values))
    assert sync_one(w).ok
    w.apply(templated({"data": {"t": "{{ .b }}"}}, values))
    result = sync_one(w)
    assert result.error == (
        "unable to mutate secret e: could not apply template: could not execute template: "
        'unable to execute template at key t: template: t:1:3: executing "t" at <.b>: map has '
        'no entry for key "b"'
    )
    assert w.data("e") == {"t": "1"}
    assert w.cluster.counts["secret_writes"] == 1


@pytest.mark.parametrize(
    "text",
    [
        "{{ fail .password }}",
        "{{ .encoded | b64dec | fail }}",
        "{{ .password | b64enc | fail }}",
        '{{ .password | mustToDate "2006-01-02" }}',
        "{{ .password | mustFromJson }}",
    ],
)
def test_a_failing_template_never_prints_a_value(world, text: str) -> None:
    password = "pw-SENTINEL-0123"
    values = {"password": password, "encoded": b64(password)}
    w = world(store(data=values), templated({"data": {"t": text}}, values))
    result = sync_one(w)
    assert not result.ok
    assert result.error.startswith("could not apply template: could not execute template: ")
    everything = [result.error, *w.events(), *(c.message for c in w.status().conditions)]
    assert not any("SENTINEL" in line for line in everything), everything


def test_a_label_value_kubernetes_refuses_is_named_not_quoted(world) -> None:
    values = {"password": "not a label value SENTINEL"}
    w = world(
        store(data=values), templated({"metadata": {"labels": {"pw": "{{ .password }}"}}}, values)
    )
    result = sync_one(w)
    assert result.error.startswith(
        'could not apply template: the value of label "pw" is refused by Kubernetes: a valid '
        "label value must consist of alphanumeric characters"
    )
    assert "SENTINEL" not in result.error


def test_sandbox_limits_fail_the_external_secret_only(world) -> None:
    values = {"a": "1"}
    w = world(
        store(data=values),
        templated({"data": {"big": '{{ repeat 3000000 "x" }}'}}, values, name="big"),
        templated({"data": {"ok": "{{ .a }}"}}, values, name="fine"),
    )
    results = w.sync()
    assert "size limit" in results["app/big"].error
    assert results["app/fine"].ok
    assert w.secret("big") is None


# --- dataFrom[].rewrite[].transform (§4) --------------------------------------------------------------


def test_case52_a_transform_after_a_regexp(world) -> None:
    w = world(
        store(data={"my/app/bar/key": "v"}),
        external_secret(
            data_from=[
                {
                    "find": {"name": {"regexp": "^my/"}},
                    "rewrite": [
                        {"regexp": {"source": "my/(.*?)/bar/(.*)", "target": "$1-$2"}},
                        {"transform": {"template": '{{ .value | upper | replace "-" "_" }}'}},
                    ],
                }
            ]
        ),
    )
    assert sync_one(w).ok
    assert w.data("e") == {"APP_KEY": "v"}


def test_case53_the_documented_transform(world) -> None:
    values = {"foo-nut-bar": "1", "foo-naz-bar": "2", "foo-bar-baz": "3"}
    w = world(
        store(data=values),
        external_secret(
            data_from=[
                {
                    "find": {"name": {"regexp": ".*"}},
                    "rewrite": [
                        {"transform": {"template": 'ENV_{{ .value | upper | replace "-" "_" }}'}}
                    ],
                }
            ]
        ),
    )
    assert sync_one(w).ok
    assert w.data("e") == {"ENV_FOO_NUT_BAR": "1", "ENV_FOO_NAZ_BAR": "2", "ENV_FOO_BAR_BAZ": "3"}


def test_transform_errors_and_missing_keys(world) -> None:
    w = world(
        store(data={"k": "v"}),
        external_secret(
            name="exec",
            data_from=[
                {
                    "find": {"name": {"regexp": "k"}},
                    "rewrite": [{"transform": {"template": "{{ index .value 9 }}"}}],
                }
            ],
        ),
        external_secret(
            name="nokey",
            data_from=[
                {
                    "find": {"name": {"regexp": "k"}},
                    "rewrite": [{"transform": {"template": "x{{ .missing }}"}}],
                }
            ],
        ),
    )
    results = w.sync()
    assert results["app/exec"].error == (
        "error processing spec.dataFrom[0].find, err: error applying rewrite to keys: failed "
        'rewrite operation[0]: transform failed with failed to execute template for key "k": '
        'template: transform:1:3: executing "transform" at <index .value 9>: error calling '
        "index: index out of range: 9"
    )
    # no missingkey=error here: the key becomes "x<no value>", which key validation refuses
    assert results["app/nokey"].error == (
        "error processing spec.dataFrom[0].find, err: invalid secret keys (TIP: use rewrite or "
        "conversionStrategy to change keys): key has invalid character <, only alphanumeric, "
        "'-', '.' and '_' are allowed: x<no value>"
    )


# --- the CLI ---------------------------------------------------------------------------------------

CLI_MANIFESTS = """
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: store, namespace: app}
spec:
  provider:
    fake:
      data: {user: admin, password: pw-SENTINEL}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: tpl, namespace: app}
data:
  config: 'user={{ .user }}'
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: web, namespace: app}
spec:
  secretStoreRef: {name: store}
  target:
    template:
      type: kubernetes.io/basic-auth
      metadata:
        labels: {app: web}
      data:
        username: '{{ .user }}'
        password: '{{ .password | upper }}'
      templateFrom:
      - configMap: {name: tpl, items: [{key: config}]}
  data:
  - {secretKey: user, remoteRef: {key: user}}
  - {secretKey: password, remoteRef: {key: password}}
"""


def test_render_prints_the_templated_secret(extsecrets_cmd, fake_plugin_dir, tmp_path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(CLI_MANIFESTS)
    result = extsecrets_cmd("render", "-f", str(path), env={"PYTHONPATH": str(fake_plugin_dir)})
    assert result.returncode == 0, result.stderr
    (doc,) = list(yaml.safe_load_all(result.stdout))
    assert doc["type"] == "kubernetes.io/basic-auth"
    assert doc["data"] == {
        "username": b64("admin"),
        "password": b64("PW-SENTINEL"),
        "config": b64("user=admin"),
    }
    assert doc["metadata"]["labels"]["app"] == "web"


def test_validate_refuses_a_template_that_does_not_parse(
    extsecrets_cmd, fake_plugin_dir, tmp_path: Path
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        CLI_MANIFESTS.replace("'{{ .user }}'", "'{{ .user '").replace(
            "templateFrom:", "templateFrom:\n      - literal: '{{ end }}'"
        )
    )
    result = extsecrets_cmd("validate", "-f", str(path), env={"PYTHONPATH": str(fake_plugin_dir)})
    assert result.returncode == 1
    lines = [
        line
        for line in result.stderr.splitlines() + result.stdout.splitlines()
        if "app/web" in line
    ]
    assert lines == [
        "ExternalSecret app/web: spec.target.template.data.username: unable to parse template "
        "at key username: template: username:1: unclosed action",
        "ExternalSecret app/web: spec.target.template.templateFrom[0].literal: unable to parse "
        "template at key templateFrom[0].literal: template: templateFrom[0].literal:1: "
        "unexpected {{end}}",
    ]


# --- extsecrets.templates for plugins (docs/plugin-authors.md) ------------------------------------


def test_the_documented_plugin_template_example_works() -> None:
    from extsecrets.errors import PermanentError
    from extsecrets.model import AdmissionContext

    doc = (Path(__file__).parent.parent / "docs" / "plugin-authors.md").read_text()
    section = doc.split("## Templates in a plugin", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    module: dict[str, Any] = {}
    exec(compile(code, "plugin-authors.md", "exec"), module)
    provider = module["WebhookProvider"]
    url = "https://vault.example/{{ .remoteRef.key | urlquery }}?v={{ .remoteRef.version }}"
    config = provider(url=url, body='{"key": {{ .remoteRef.key | quote }}}')
    assert module["render_request"](config, "db/main", "3") == (
        "https://vault.example/db%2Fmain?v=3",
        b'{"key": "db/main"}',
    )
    context = AdmissionContext("SecretStore", "s", "ns", ("spec", "provider", "webhook"))
    (problem,) = provider(url="{{ .remoteRef.key", body="").admission_problems(context)
    assert problem.line("SecretStore ns/s") == (
        "SecretStore ns/s: spec.provider.webhook.url: unable to parse template: template: "
        "url:1: unclosed action"
    )
    with pytest.raises(PermanentError, match='map has no entry for key "nope"'):
        module["render_request"](provider(url="{{ .nope }}"), "k", "")


def test_an_external_secret_s_templates_share_one_time_budget(world, monkeypatch) -> None:
    import extsecrets.sync.template

    monkeypatch.setattr(extsecrets.sync.template, "ES_RENDER_BUDGET", -1.0)
    values = {"a": "1"}
    w = world(store(data=values), templated({"data": {"t": "{{ .a }}"}}, values))
    assert sync_one(w).error == (
        "could not apply template: could not execute template: unable to execute template at "
        "key t: the templates of this ExternalSecret exceeded the time limit of -1s"
    )


def test_a_type_change_is_refused_as_the_api_server_refuses_it(world) -> None:
    values = {"a": "1"}
    w = world(store(data=values), templated({"data": {"t": "{{ .a }}"}}, values))
    assert sync_one(w).ok
    w.apply(templated({"type": "kubernetes.io/basic-auth", "data": {"t": "{{ .a }}"}}, values))
    assert sync_one(w).error == (
        'Secret "e" is invalid: type: Invalid value: "kubernetes.io/basic-auth": field is immutable'
    )
    assert w.secret("e").type == "Opaque"
