"""Admission of an ECRAuthorizationToken through the installed plugins."""

from __future__ import annotations

import pytest

from extsecrets.plugins import PluginHost
from extsecrets.testing import check_yaml, checked_objects
from extsecrets_aws_ecr.config import ECRAuthorizationTokenSpec

GEN = """
apiVersion: generators.external-secrets.io/v1alpha1
kind: ECRAuthorizationToken
metadata: {{name: ecr, namespace: team-a}}
spec:
  region: eu-west-1
{extra}"""


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost.load(strict=True)


def lines(host: PluginHost, extra: str) -> list[str]:
    return [
        line.replace("ECRAuthorizationToken team-a/ecr: ", "")
        for line in check_yaml(GEN.format(extra=extra), host)
    ]


def test_spec_is_structured_by_the_ecr_plugin(host: PluginHost) -> None:
    extra = "  role: arn:aws:iam::123456789012:role/pull\n  scope: public\n"
    (obj,) = checked_objects(GEN.format(extra=extra), host)
    assert obj.problems == ()
    assert obj.obj is not None
    assert obj.obj.spec == ECRAuthorizationTokenSpec(
        region="eu-west-1", role="arn:aws:iam::123456789012:role/pull", scope="public"
    )


def test_jwt_and_secret_ref_together_are_refused_for_generators_too(host: PluginHost) -> None:
    extra = (
        "  auth:\n    jwt: {serviceAccountRef: {name: sa}}\n    secretRef:\n"
        "      accessKeyIDSecretRef: {name: a, key: b}\n"
        "      secretAccessKeySecretRef: {name: a, key: c}\n"
    )
    assert lines(host, extra) == ["spec.auth: auth.jwt and auth.secretRef are mutually exclusive"]


def test_selector_namespaces_are_ignored_for_generators(host: PluginHost) -> None:
    extra = "  auth:\n    jwt: {serviceAccountRef: {name: sa, namespace: other}}\n"
    assert lines(host, extra) == [
        "warning: spec.auth.jwt.serviceAccountRef.namespace: ignored: a generator always uses "
        "the ServiceAccount in the namespace of the ExternalSecret that uses it"
    ]


def test_scope_other_than_public_warns_that_it_means_private(host: PluginHost) -> None:
    assert lines(host, "  scope: Public\n") == [
        'warning: spec.scope: "Public" selects private ECR: only "public" (exactly) selects '
        "ECR Public"
    ]
    assert lines(host, "  scope: private\n") == []


def test_unknown_fields_and_missing_region(host: PluginHost) -> None:
    text = GEN.format(extra="  registry: x\n").replace("  region: eu-west-1\n", "")
    assert check_yaml(text, host) == [
        "ECRAuthorizationToken team-a/ecr: spec.region: required field is missing",
        "ECRAuthorizationToken team-a/ecr: spec.registry: unknown field",
    ]


def test_no_spec(host: PluginHost) -> None:
    text = GEN.format(extra="").replace("spec:\n  region: eu-west-1\n", "")
    assert check_yaml(text, host) == [
        "ECRAuthorizationToken team-a/ecr: spec: no config spec provided"
    ]
