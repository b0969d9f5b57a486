"""Admission of ``spec.provider.aws`` (spec §7.1 with ESO's texts, and our §0 rules), through the
installed plugins, as ``extsecrets validate`` runs it."""

from __future__ import annotations

import pytest

from extsecrets.plugins import PluginHost
from extsecrets.testing import check_yaml, checked_objects
from extsecrets_aws_auth.config import AWSProvider


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost.load(strict=True)


STORE = """
apiVersion: external-secrets.io/v1
kind: {kind}
metadata: {{name: store{ns}}}
spec:
  provider:
    aws:
      service: SecretsManager
      region: eu-central-1
{block}"""


def lines(host: PluginHost, block: str, kind: str = "SecretStore") -> list[str]:
    ns = ", namespace: team-a" if kind == "SecretStore" else ""
    text = STORE.format(kind=kind, ns=ns, block=block)
    out = []
    for line in check_yaml(text, host):
        warning = line.startswith("warning: ")
        rest = line.removeprefix("warning: ").split(": ", 1)[1]
        out.append(("warning: " if warning else "") + rest.removeprefix("spec.provider.aws."))
    return out


def test_a_full_store_structures_into_the_plugin_config(host: PluginHost) -> None:
    block = """      role: arn:aws:iam::123456789012:role/final
      additionalRoles: [first, arn:aws-cn:iam::123456789012:role/path/second]
      externalID: ext
      sessionTagsPolicy: Custom
      customSessionTags: {env: prod}
      sessionTags: [{key: a, value: b}]
      transitiveTagKeys: [a]
      prefix: /team-a/
      secretsManager: {recoveryWindowInDays: 7}
      auth:
        secretRef:
          accessKeyIDSecretRef: {name: aws, key: id}
          secretAccessKeySecretRef: {name: aws, key: secret}
          sessionTokenSecretRef: {name: aws, key: token}
"""
    (obj,) = checked_objects(
        STORE.format(kind="SecretStore", ns=", namespace: t", block=block), host
    )
    assert obj.problems == ()
    assert obj.obj is not None
    config = obj.obj.spec.provider.config
    assert isinstance(config, AWSProvider)
    assert config.external_id == "ext"
    assert config.additional_roles == ("first", "arn:aws-cn:iam::123456789012:role/path/second")
    assert config.auth.secret_ref is not None
    assert config.auth.secret_ref.access_key_id_secret_ref.key == "id"
    assert config.custom_session_tags == {"env": "prod"}
    hash(config)  # configs are hashable: the engine keys caches on them


def test_wire_names_keep_kubernetes_spelling(host: PluginHost) -> None:
    block = (
        "      externalId: x\n      auth:\n        secretRef:\n          accessKeyIdSecretRef: {}\n"
    )
    assert lines(host, block) == [
        "auth.secretRef.accessKeyIDSecretRef: required field is missing",
        "auth.secretRef.accessKeyIdSecretRef: unknown field (did you mean accessKeyIDSecretRef?)",
        "auth.secretRef.secretAccessKeySecretRef: required field is missing",
        "externalId: unknown field (did you mean externalID?)",
    ]


def test_region_must_be_a_region_name(host: PluginHost) -> None:
    assert lines(host, "") == []
    store = STORE.format(kind="SecretStore", ns=", namespace: t", block="")
    bad = store.replace("eu-central-1", "'eu central'")
    assert check_yaml(bad, host) == [
        "SecretStore t/store: spec.provider.aws.region: region not found: eu central"
    ]
    for ok in ("us-east-1-fips", "fips-us-east-1", "eu-central-1"):
        assert check_yaml(store.replace("eu-central-1", ok), host) == []


def test_unknown_service_uses_esos_text(host: PluginHost) -> None:
    store = STORE.format(kind="SecretStore", ns=", namespace: t", block="")
    assert check_yaml(store.replace("SecretsManager", "Vault"), host) == [
        "SecretStore t/store: spec.provider.aws.service: unknown AWS Provider Service: Vault"
    ]


def test_a_known_service_no_plugin_serves_lists_what_is_installed(host: PluginHost) -> None:
    store = STORE.format(kind="SecretStore", ns=", namespace: t", block="")
    assert check_yaml(store.replace("SecretsManager", "CertificateManager"), host) == [
        "SecretStore t/store: spec.provider.aws.service: no installed plugin serves provider "
        "aws/CertificateManager; installed: aws/ParameterStore (extsecrets-aws-ssm), "
        "aws/SecretsManager (extsecrets-aws-secretsmanager)"
    ]


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            "      secretsManager: {recoveryWindowInDays: 6}\n",
            "secretsManager.recoveryWindowInDays: invalid DeleteSecretInput: RecoveryWindowInDays "
            "must be between 7 and 30 days",
        ),
        (
            "      secretsManager: {recoveryWindowInDays: 31}\n",
            "secretsManager.recoveryWindowInDays: invalid DeleteSecretInput: RecoveryWindowInDays "
            "must be between 7 and 30 days",
        ),
        (
            "      secretsManager: {recoveryWindowInDays: 7, forceDeleteWithoutRecovery: true}\n",
            "secretsManager.forceDeleteWithoutRecovery: invalid DeleteSecretInput: "
            "ForceDeleteWithoutRecovery conflicts with RecoveryWindowInDays",
        ),
    ],
)
def test_secrets_manager_delete_options(host: PluginHost, block: str, expected: str) -> None:
    assert lines(host, block) == [expected]


@pytest.mark.parametrize(
    "block",
    [
        "      secretsManager: {recoveryWindowInDays: 30}\n",
        "      secretsManager: {forceDeleteWithoutRecovery: true}\n",
        "      secretsManager: {}\n",
    ],
)
def test_secrets_manager_delete_options_accepted(host: PluginHost, block: str) -> None:
    assert lines(host, block) == []


SECRET_REF = """      auth:
        secretRef:
          accessKeyIDSecretRef: {{name: aws, key: id{ns}}}
          secretAccessKeySecretRef: {{name: aws, key: secret{ns}}}
          sessionTokenSecretRef: {{name: aws, key: token{ns}}}
"""


def test_secret_ref_namespace_on_a_namespaced_store(host: PluginHost) -> None:
    assert lines(host, SECRET_REF.format(ns=", namespace: other")) == [
        f"auth.secretRef.{field}.namespace: invalid Auth.SecretRef.{label}: namespace should "
        "either be empty or match the namespace of the SecretStore for a namespaced SecretStore"
        for field, label in [
            ("accessKeyIDSecretRef", "AccessKeyID"),
            ("secretAccessKeySecretRef", "SecretAccessKey"),
            ("sessionTokenSecretRef", "SessionToken"),
        ]
    ]
    assert lines(host, SECRET_REF.format(ns=", namespace: team-a")) == []
    assert lines(host, SECRET_REF.format(ns="")) == []


def test_secret_ref_namespace_is_free_on_a_cluster_store(host: PluginHost) -> None:
    assert lines(host, SECRET_REF.format(ns=", namespace: other"), "ClusterSecretStore") == []


def test_secret_ref_selectors_need_name_and_key(host: PluginHost) -> None:
    block = (
        "      auth:\n        secretRef:\n          accessKeyIDSecretRef: {name: a}\n"
        "          secretAccessKeySecretRef: {key: b}\n"
    )
    assert lines(host, block) == [
        "auth.secretRef.accessKeyIDSecretRef.key: required field is missing",
        "auth.secretRef.secretAccessKeySecretRef.name: required field is missing",
    ]


JWT = "      auth:\n        jwt:\n          serviceAccountRef: {{name: sa{ns}}}\n"


def test_jwt_namespace_rule(host: PluginHost) -> None:
    assert lines(host, JWT.format(ns=", namespace: other")) == [
        "auth.jwt.serviceAccountRef.namespace: invalid Auth.JWT.ServiceAccountRef: namespace "
        "should either be empty or match the namespace of the SecretStore for a namespaced "
        "SecretStore"
    ]
    assert lines(host, JWT.format(ns=", namespace: team-a")) == []
    assert lines(host, JWT.format(ns=", namespace: other"), "ClusterSecretStore") == []


def test_jwt_and_secret_ref_are_mutually_exclusive(host: PluginHost) -> None:
    block = SECRET_REF.format(ns="") + "        jwt:\n          serviceAccountRef: {name: sa}\n"
    assert lines(host, block) == ["auth: auth.jwt and auth.secretRef are mutually exclusive"]


def test_jwt_needs_a_service_account(host: PluginHost) -> None:
    assert lines(host, "      auth:\n        jwt: {}\n") == [
        "auth.jwt.serviceAccountRef: required field is missing: auth.jwt needs serviceAccountRef"
    ]


def test_reserved_custom_session_tags_use_the_cel_text(host: PluginHost) -> None:
    block = "      role: r\n      sessionTagsPolicy: Custom\n      customSessionTags: {esoStoreKind: x}\n"
    assert lines(host, block) == [
        "customSessionTags: customSessionTags cannot contain automatically injected reserved "
        "keys: esoNamespace, esoStoreName, esoStoreKind"
    ]
    ok = block.replace("esoStoreKind", "team")
    assert lines(host, ok) == []


@pytest.mark.parametrize(
    ("block", "field"),
    [
        ("      externalID: x\n", "externalID"),
        ("      sessionTags: [{key: a, value: b}]\n", "sessionTags"),
        ("      transitiveTagKeys: [a]\n", "transitiveTagKeys"),
        ("      sessionTagsPolicy: Simple\n", "sessionTagsPolicy"),
    ],
)
def test_role_only_settings_without_role_warn(host: PluginHost, block: str, field: str) -> None:
    assert lines(host, block) == [
        f"warning: {field}: {field} has no effect without role: it is only sent on the "
        "AssumeRole of role"
    ]
    assert lines(host, block + "      role: team-b\n") == []


def test_custom_tags_without_custom_policy_warn(host: PluginHost) -> None:
    block = "      role: r\n      customSessionTags: {env: prod}\n"
    assert lines(host, block) == [
        "warning: customSessionTags: customSessionTags are only sent with sessionTagsPolicy: "
        "Custom; ignored"
    ]


@pytest.mark.parametrize("role", ["arn:aws:iam::12:role/x", "has space", "arn:aws:s3:::bucket"])
def test_roles_are_arns_or_role_names(host: PluginHost, role: str) -> None:
    (line,) = lines(host, f"      role: '{role}'\n")
    assert line == (
        f'role: "{role}" is neither a role ARN (arn:aws:iam::<account>:role/<name>) nor a role name'
    )
    (line,) = lines(host, f"      additionalRoles: [ok, '{role}']\n")
    assert line.startswith("additionalRoles[1]: ")
