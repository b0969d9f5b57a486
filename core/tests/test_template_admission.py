"""Admission of `spec.target.template` and `rewrite[].transform` (templates spec §0, §3.1, §3.2):
a template that does not parse is refused with its field path and ESO's text, engineVersion v1
with a migration hint, ESO's restrictions with its texts; the template examples of ESO's
documentation (rewritten here) are accepted."""

from __future__ import annotations

import textwrap

import pytest

from extsecrets.model import ExternalSecret
from extsecrets.model.external_secret import TargetTemplate, TemplateFrom, TemplateRefItem
from extsecrets.plugins import PluginHost
from extsecrets.testing import check_yaml, checked_objects

ES = """
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {{name: es, namespace: team-a}}
spec:
  secretStoreRef: {{name: store}}
  data:
  - {{secretKey: a, remoteRef: {{key: k}}}}
  target:
    template:
{template}
"""


def lines(host: PluginHost, template: str) -> list[str]:
    body = ES.format(template=textwrap.indent(textwrap.dedent(template).strip("\n"), " " * 6))
    prefix = "ExternalSecret team-a/es: "
    return [line.replace(prefix, "") for line in check_yaml(body, host)]


def checked(host: PluginHost, template: str) -> ExternalSecret:
    body = ES.format(template=textwrap.indent(textwrap.dedent(template).strip("\n"), " " * 6))
    (result,) = checked_objects(body, host)
    assert result.ok, result.problems
    assert isinstance(result.obj, ExternalSecret)
    return result.obj


# --- defaults ---------------------------------------------------------------------------------------


def test_eso_s_defaults_are_applied(host: PluginHost) -> None:
    es = checked(
        host,
        """
        templateFrom:
        - configMap: {name: cm, items: [{key: k}]}
        - literal: 'a: b'
        """,
    )
    template = es.spec.target.template
    assert isinstance(template, TargetTemplate)
    assert template.engine_version == "v2"
    assert template.merge_policy == "Replace"
    assert template.type == ""
    cm_entry, literal_entry = template.template_from
    assert isinstance(cm_entry, TemplateFrom)
    assert cm_entry.target == literal_entry.target == "Data"
    assert cm_entry.values_decoding_strategy == "None"
    assert cm_entry.config_map is not None
    assert cm_entry.config_map.items == (TemplateRefItem("k", "Values"),)


# --- parse errors (§3.2, case 15) --------------------------------------------------------------------


def test_a_template_that_does_not_parse_is_refused_with_its_path(host: PluginHost) -> None:
    assert lines(
        host,
        """
        metadata:
          labels: {team: '{{ .team', ok: '{{ .a }}'}
          annotations: {note: '{{ nosuch .a }}'}
        data:
          config: '{{ #xx }}'
          tls.crt: '{{ .a | b64dec }}'
        templateFrom:
        - literal: '{{ if .a }}'
        """,
    ) == [
        "spec.target.template.data.config: unable to parse template at key config: template: "
        'config:1: unexpected "#" in command',
        "spec.target.template.metadata.labels.team: unable to parse template at key team: "
        "template: team:1: unclosed action",
        "spec.target.template.metadata.annotations.note: unable to parse template at key note: "
        'template: note:1: function "nosuch" not defined',
        "spec.target.template.templateFrom[0].literal: unable to parse template at key "
        "templateFrom[0].literal: template: templateFrom[0].literal:1: unexpected EOF",
    ]


def test_env_and_friends_are_not_defined(host: PluginHost) -> None:
    assert lines(host, "data: {a: '{{ env \"HOME\" }}', b: '{{ expandenv \"$HOME\" }}'}") == [
        "spec.target.template.data.a: unable to parse template at key a: template: a:1: "
        'function "env" not defined',
        "spec.target.template.data.b: unable to parse template at key b: template: b:1: "
        'function "expandenv" not defined',
    ]


def test_a_rewrite_transform_must_parse(host: PluginHost) -> None:
    body = ES.replace("  target:\n    template:\n{template}\n", "").replace(
        "  data:\n  - {{secretKey: a, remoteRef: {{key: k}}}}\n",
        "  dataFrom:\n  - find: {{name: {{regexp: '.*'}}}}\n    rewrite:\n"
        "    - transform: {{template: 'ENV_{{{{ .value | upper }}}}'}}\n"
        "    - transform: {{template: '{{{{ .value | nosuch }}}}'}}\n",
    )
    found = [
        line.replace("ExternalSecret team-a/es: ", "") for line in check_yaml(body.format(), host)
    ]
    assert found == [
        "spec.dataFrom[0].rewrite[1].transform.template: failed to parse template: template: "
        'transform:1: function "nosuch" not defined'
    ]


# --- engineVersion --------------------------------------------------------------------------------------


def test_engine_v1_is_refused_with_the_migration(host: PluginHost) -> None:
    (line,) = lines(host, "engineVersion: v1\ndata: {a: '{{ .a }}'}")
    assert line.startswith(
        "spec.target.template.engineVersion: engineVersion v1 is not supported: External "
        "Secrets Operator removed the v1 template engine; migrate the templates to v2"
    )
    assert "toString" in line
    assert "b64enc" in line
    assert lines(host, "engineVersion: v3") == [
        "spec.target.template.engineVersion: unsupported template engine version: v3"
    ]
    assert lines(host, "engineVersion: v2") == []


# --- ESO's restrictions (§3.1, case 50) ---------------------------------------------------------------


def test_privileged_types_are_refused(host: PluginHost) -> None:
    assert lines(host, "type: bootstrap.kubernetes.io/token") == [
        'spec.target.template.type: template.type="bootstrap.kubernetes.io/token" is not allowed'
    ]
    assert lines(
        host,
        """
        type: kubernetes.io/service-account-token
        metadata:
          annotations: {kubernetes.io/service-account.name: default}
        """,
    ) == [
        'spec.target.template.type: template.type="kubernetes.io/service-account-token" with '
        'annotation "kubernetes.io/service-account.name" is not allowed'
    ]
    assert lines(
        host,
        """
        type: kubernetes.io/service-account-token
        templateFrom:
        - {target: annotations, literal: 'a: b'}
        """,
    ) == [
        'spec.target.template.type: template.type="kubernetes.io/service-account-token" with '
        'templateFrom target="Annotations" is not allowed'
    ]
    assert lines(host, "type: kubernetes.io/service-account-token") == []


@pytest.mark.parametrize(
    "target",
    [
        "type",
        "metadata.annotations",
        "Metadata.Annotations",
        "immutable",
        "metadata.ownerReferences",
    ],
)
def test_templatefrom_targets_outside_the_secret_s_maps_are_refused(
    host: PluginHost, target: str
) -> None:
    assert lines(host, f"templateFrom:\n- {{target: '{target}', literal: 'a: b'}}") == [
        f'spec.target.template.templateFrom[0].target: templateFrom target="{target}" is not '
        'allowed when targeting a Secret, must be one of "Data", "Annotations" or "Labels"'
    ]


@pytest.mark.parametrize("target", ["", "Data", "data", "LABELS", "AnNoTaTiOnS"])
def test_templatefrom_targets_of_the_secret_s_maps_are_accepted(
    host: PluginHost, target: str
) -> None:
    assert lines(host, f"templateFrom:\n- {{target: '{target}', literal: 'a: b'}}") == []


# --- what Kubernetes would refuse, and the strict model --------------------------------------------------


def test_keys_kubernetes_refuses_are_refused_here(host: PluginHost) -> None:
    assert lines(
        host,
        """
        data: {a/b: x}
        metadata:
          labels: {-bad: x}
          annotations: {Bad/x: y}
          finalizers: [cleanup, example.com/cleanup, kubernetes]
        """,
    ) == [
        "spec.target.template.data.a/b: not a valid Secret data key: a valid config key must "
        "consist of alphanumeric characters, '-', '_' or '.' (regex used for validation is "
        "'[-._a-zA-Z0-9]+')",
        "spec.target.template.metadata.labels.-bad: not a valid key: name part must consist of "
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
        "character (regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        "spec.target.template.metadata.annotations.Bad/x: not a valid key: prefix part a "
        "lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
        "or '.', and must start and end with an alphanumeric character",
        "spec.target.template.metadata.finalizers[0]: name is neither a standard finalizer "
        "name nor is it fully qualified",
    ]


def test_the_template_fields_are_strict(host: PluginHost) -> None:
    assert lines(
        host,
        """
        mergePolicy: Keep
        data: {port: 5432}
        templateFrom:
        - configMap: {name: cm}
          valuesDecodingStrategy: Hex
        - secret: {name: s, items: [{key: k, templateAs: Both}]}
          litteral: x
        """,
    ) == [
        "spec.target.template.data.port: expected a string, got an integer",
        'spec.target.template.mergePolicy: must be one of Replace, Merge; got "Keep"',
        "spec.target.template.templateFrom[0].configMap.items: required field is missing",
        "spec.target.template.templateFrom[0].valuesDecodingStrategy: must be one of Auto, "
        'Base64, Base64URL, None; got "Hex"',
        "spec.target.template.templateFrom[1].litteral: unknown field (did you mean literal?)",
        "spec.target.template.templateFrom[1].secret.items[0].templateAs: must be one of "
        'Values, KeysAndValues; got "Both"',
    ]


def test_an_entry_with_no_source_is_a_warning(host: PluginHost) -> None:
    assert lines(host, "templateFrom:\n- target: Data") == [
        "warning: spec.target.template.templateFrom[0]: neither configMap, secret nor literal "
        "is set: this entry adds nothing"
    ]


# --- ESO's documented examples (rewritten) validate --------------------------------------------------

DOC_EXAMPLES = {
    "multiline": """
        engineVersion: v2
        data:
          config: |
            datasources:
            - name: Graphite
              password: "{{ .password }}"
              user: "{{ .user }}"
          connection: '{{ .dburl | replace "postgres://" "postgresql://" }}'
        """,
    "multikey": "engineVersion: v2\ndata: {name: admin, password: '{{ .mysecret }}'}",
    "helm-escape": "data: {password: '{{ `{{ .mysecret }}` }}'}",
    "merge": "mergePolicy: Merge\ndata: {password: '{{ .password | b64dec }}'}",
    "from-configmap": """
        templateFrom:
        - target: Data
          configMap:
            name: grafana-config-tpl
            items: [{key: config.yaml, templateAs: Values}, {key: templated, templateAs: KeysAndValues}]
        - target: Annotations
          configMap: {name: grafana-config-tpl, items: [{key: annotations, templateAs: KeysAndValues}]}
        """,
    "literal-htpasswd": """
        templateFrom:
        - target: Data
          literal: |-
            {{- $creds := list }}
            {{- range $user, $pw := . }}
              {{- $creds = append $creds (printf "%s" (htpasswd $user $pw "bcrypt")) }}
            {{- end }}
            auth: {{ $creds | join "\\n" | quote }}
        """,
    "pkcs12": """
        type: kubernetes.io/tls
        data:
          tls.crt: '{{ .mysecret | pkcs12certPass "my-password" }}'
          tls.key: '{{ .mysecret | pkcs12key }}'
        """,
    "jwk": "data: {jwk_pub: '{{ .myjwk | jwkPublicKeyPem }}', jwk_priv: '{{ .myjwk | jwkPrivateKeyPem }}'}",
    "filter-chain": """
        type: kubernetes.io/tls
        data:
          ca.crt: '{{ .mysecret | filterPEM "CERTIFICATE" | filterCertChain "intermediate" }}'
          tls.key: '{{ .mysecret | filterPEM "PRIVATE KEY" }}'
        """,
    "cert-sans": """
        data:
          primary: '{{ index (.certificate | filterPEM "CERTIFICATE" | certSANs) 0 }}'
          sans-json: '{{ .certificate | certSANs | toJson }}'
        """,
    "rsa-decrypt": 'data: {password: \'{{ rsaDecrypt "RSA-OAEP" "SHA1" .enc .privatekey }}\'}',
    "dockerconfig-toString": """
        type: kubernetes.io/dockerconfigjson
        data: {.dockerconfigjson: '{{ .mysecret | toString }}'}
        """,
    "ecr": """
        type: kubernetes.io/dockerconfigjson
        metadata:
          annotations: {expiresAt: '{{ .expires_at }}'}
        data:
          .dockerconfigjson: |
            {"auths": {"{{ .proxy_endpoint | replace "https://" "" }}": {
              "auth": "{{ printf "%s:%s" .username .password | b64enc }}"}}}
        """,
    "nginx-certs": """
        templateFrom:
        - valuesDecodingStrategy: Base64
          literal: |-
            {{- range $key, $val := . }}
            {{- $json := $val | fromJson }}
            {{ $key }}: {{ $json.cert }}
            {{- end }}
        """,
}


@pytest.mark.parametrize("name", sorted(DOC_EXAMPLES))
def test_eso_s_documented_templates_validate(host: PluginHost, name: str) -> None:
    assert lines(host, DOC_EXAMPLES[name]) == []
