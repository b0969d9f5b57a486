"""Hook implementations of the AWS auth plugin (entry point ``aws-auth``).

It authenticates for every provider and generator whose claim names the ``aws`` scheme
(``spec.provider.aws`` stores of any service, the ECRAuthorizationToken generator). What it
returns, ``Credentials.value``, is an :class:`~extsecrets_aws_auth.session.AWSSession`: the
service plugins ask it for clients and never build credentials themselves.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import extsecrets
from extsecrets.types import AuthScheme, Credentials, GeneratorView, Registration, StoreView
from extsecrets_aws_auth import AWS_AUTH_SCHEME
from extsecrets_aws_auth.credentials import authenticate, cache_key, plan_for
from extsecrets_aws_auth.metrics import API_CALLS, FALLBACKS


@extsecrets.hookimpl
def extsecrets_register() -> Registration:
    """Authenticate for every provider and generator naming the ``aws`` scheme."""
    return Registration(auth_schemes=[AuthScheme(AWS_AUTH_SCHEME)])


@extsecrets.hookimpl
def extsecrets_credentials_key(
    subject: StoreView | GeneratorView,
    namespace: str,
    cluster: Any,
    session_tags: Mapping[str, str],
) -> Hashable:
    return cache_key(plan_for(subject, namespace, session_tags), cluster)


@extsecrets.hookimpl
def extsecrets_authenticate(
    subject: StoreView | GeneratorView,
    namespace: str,
    cluster: Any,
    session_tags: Mapping[str, str],
) -> Credentials:
    session, expires_at = authenticate(plan_for(subject, namespace, session_tags), cluster)
    return Credentials(session, expires_at)


# botocore service name -> ESO's provider label
_PROVIDERS = {
    "secretsmanager": "AWS/SecretsManager",
    "ssm": "AWS/ParameterStore",
    "sts": "AWS/STS",
    "ecr": "AWS/ECR",
    "ecr-public": "AWS/ECRPublic",
    "kubernetes": "Kubernetes",
}


@extsecrets.hookimpl
def extsecrets_api_calls() -> dict[tuple[str, str, str], int]:
    """Every call made through the AWS sessions (and each TokenRequest), for the metrics."""
    out: dict[tuple[str, str, str], int] = {}
    for (service, operation, status), count in API_CALLS.snapshot().items():
        ok = status.startswith("2")
        key = (_PROVIDERS.get(service, service), operation, "success" if ok else "error")
        out[key] = out.get(key, 0) + count
    return out


@extsecrets.hookimpl
def extsecrets_batch_fallbacks() -> dict[tuple[str, str], int]:
    """Batch calls an identity was denied, so its reads went one by one (spec §0.14)."""
    out: dict[tuple[str, str], int] = {}
    for (service, operation, _), count in FALLBACKS.snapshot().items():
        key = (_PROVIDERS.get(service, service), operation)
        out[key] = out.get(key, 0) + count
    return out
