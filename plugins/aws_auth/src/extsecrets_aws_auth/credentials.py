"""Turning an AWS auth spec into credentials (spec §2, §0).

Base credentials come from one of three places: botocore's default chain (no ``auth``), static
keys in Kubernetes Secrets (``auth.secretRef``) or a ServiceAccount token exchanged through
AssumeRoleWithWebIdentity (``auth.jwt``). A store then assumes ``additionalRoles`` in order and
``role`` last, each hop signed by the previous credentials; ExternalId, session tags and
transitive tag keys go on the final hop only. A role given as a bare name is resolved in the
account and partition of the credentials about to assume it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Hashable, Mapping
from typing import Any, Literal

import attrs
import botocore
from botocore.config import Config

from extsecrets.errors import AuthError, ExtSecretsError, ReferentAuthError, with_context
from extsecrets.types import GeneratorView, RetrySettings, StoreView
from extsecrets_aws_auth.config import AWSAuth, AWSProvider
from extsecrets_aws_auth.endpoints import endpoint_settings
from extsecrets_aws_auth.errors import classify
from extsecrets_aws_auth.metrics import API_CALLS
from extsecrets_aws_auth.session import AWSSession, new_botocore_session
from extsecrets_aws_auth.tags import effective_tags

__all__ = [
    "ROLE_ANNOTATION",
    "AUDIENCE_ANNOTATION",
    "SESSION_NAME",
    "AuthPlan",
    "authenticate",
    "cache_key",
    "plan_for",
]

ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
AUDIENCE_ANNOTATION = "eks.amazonaws.com/audience"
DEFAULT_AUDIENCE = "sts.amazonaws.com"
SESSION_NAME = "external-secrets-provider-aws"
TOKEN_SECONDS = 3600
# The default chain reads these; a change of any of them changes the identity. The secret ones
# enter the cache key only through a keyed hash (_fingerprint).
_SECRET_VARIABLES = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",  # botocore's older name of the session token
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
)
_CHAIN_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_DISABLED",
)


@attrs.frozen
class SecretPart:
    """One key of static credentials: where it lives, and ESO's name for it in errors."""

    label: str
    namespace: str
    name: str
    key: str


@attrs.frozen
class AuthPlan:
    """Everything that shapes one set of credentials, resolved for one namespace."""

    flavour: Literal["store", "generator"]
    region: str
    method: Literal["default", "secretRef", "jwt"]
    secret_parts: tuple[SecretPart, ...] = ()
    account_namespace: str = ""
    account_name: str = ""
    audiences: tuple[str, ...] = ()
    additional_roles: tuple[str, ...] = ()
    role: str = ""
    external_id: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    transitive_tag_keys: tuple[str, ...] = ()
    retry: RetrySettings | None = None

    @property
    def error_prefix(self) -> str:
        return (
            "unable to create session: "
            if self.flavour == "store"
            else ("unable to create aws session: ")
        )


def _referent(what: str) -> ReferentAuthError:
    return ReferentAuthError(
        f"{what} names no namespace: it is read in the namespace of each ExternalSecret"
    )


def plan_for(
    subject: StoreView | GeneratorView, namespace: str, contributed: Mapping[str, str]
) -> AuthPlan:
    """Resolve ``subject``'s auth spec for an ExternalSecret in ``namespace`` (``""`` when a
    store is validated on its own; a spec that needs a namespace then raises
    :class:`ReferentAuthError`)."""
    config: Any = subject.config
    auth: AWSAuth = config.auth
    if isinstance(subject, StoreView):
        store: AWSProvider = config
        cluster_scoped = subject.namespace is None
        own_namespace = subject.namespace if subject.namespace is not None else namespace
        plan = AuthPlan(
            "store",
            store.region,
            "default",
            additional_roles=store.additional_roles,
            role=store.role,
            external_id=store.external_id,
            tags=effective_tags(store, namespace, subject.name, subject.kind, contributed)
            if store.role
            else (),
            transitive_tag_keys=store.transitive_tag_keys if store.role else (),
            retry=subject.retry,
        )
    else:
        # Generators: always the ExternalSecret's namespace; a plain role, no tags (§2.1).
        cluster_scoped = False
        own_namespace = namespace
        plan = AuthPlan("generator", config.region, "default", role=config.role)
    if plan.role == "":
        plan = attrs.evolve(plan, external_id="", tags=(), transitive_tag_keys=())
    if not plan.tags:
        plan = attrs.evolve(plan, transitive_tag_keys=())

    if auth.jwt is not None and auth.jwt.service_account_ref is not None:
        sa = auth.jwt.service_account_ref
        where = (sa.namespace if cluster_scoped else None) or own_namespace
        if not where:
            raise _referent("auth.jwt.serviceAccountRef")
        return attrs.evolve(
            plan,
            method="jwt",
            account_namespace=where,
            account_name=sa.name,
            audiences=sa.audiences,
        )
    if auth.secret_ref is not None:
        ref = auth.secret_ref
        parts = []
        for label, selector in (
            ("SecretAccessKey", ref.secret_access_key_secret_ref),
            ("accessKeyID", ref.access_key_id_secret_ref),
            ("SessionToken", ref.session_token_secret_ref),
        ):
            if selector is None:
                continue
            where = (selector.namespace if cluster_scoped else None) or own_namespace
            if not where:
                raise _referent(f"auth.secretRef ({label})")
            parts.append(SecretPart(label, where, selector.name or "", selector.key or ""))
        return attrs.evolve(plan, method="secretRef", secret_parts=tuple(parts))
    return plan


# Fingerprints need only compare within this process; a random key keeps a cache key (or its
# repr in a debugger) from being a dictionary-attackable hash of a credential.
_FINGERPRINT_KEY = secrets.token_bytes(32)


def _fingerprint(*values: str | None) -> str:
    """One keyed hash of ``values`` (``None``: unset), for cache keys."""
    text = json.dumps(values)
    return hmac.new(_FINGERPRINT_KEY, text.encode(), hashlib.sha256).hexdigest()


def cache_key(plan: AuthPlan, cluster: Any) -> Hashable:
    """Everything that shapes the credentials, for the core's cache (spec §0.8)."""
    if plan.method == "secretRef":
        versions = []
        for part in plan.secret_parts:
            found = cluster.get_secret(part.namespace, part.name)
            versions.append((part.namespace, part.name, part.key, found and found.resource_version))
        base: Hashable = ("secretRef", tuple(versions))
    elif plan.method == "jwt":
        account = cluster.get_service_account(plan.account_namespace, plan.account_name)
        annotations = (
            (account.annotations.get(ROLE_ANNOTATION), account.annotations.get(AUDIENCE_ANNOTATION))
            if account is not None
            else None
        )
        base = ("jwt", plan.account_namespace, plan.account_name, plan.audiences, annotations)
    else:
        env = tuple((v, os.environ.get(v)) for v in _CHAIN_VARIABLES)
        base = ("default", env, _fingerprint(*(os.environ.get(v) for v in _SECRET_VARIABLES)))
    return ("aws", base, attrs.evolve(plan, secret_parts=()), endpoint_settings())


# --- building credentials ----------------------------------------------------------------------


def _secret_value(cluster: Any, part: SecretPart) -> str:
    secret = cluster.get_secret(part.namespace, part.name)
    if secret is None:
        raise AuthError(
            f'could not fetch {part.label} secret: cannot get Kubernetes secret "{part.name}" '
            f'from namespace "{part.namespace}": secrets "{part.name}" not found'
        )
    if part.key not in secret.data:
        raise AuthError(
            f'could not fetch {part.label} secret: cannot find secret data for key: "{part.key}"'
        )
    try:
        return bytes(secret.data[part.key]).decode("utf-8")
    except UnicodeDecodeError:  # its text quotes the bytes: name the key only
        raise AuthError(
            f'could not fetch {part.label} secret: key "{part.key}" of Kubernetes secret '
            f'"{part.name}" in namespace "{part.namespace}" is not valid UTF-8'
        ) from None


def _static_session(plan: AuthPlan, cluster: Any) -> AWSSession:
    values = {p.label: _secret_value(cluster, p) for p in plan.secret_parts}
    session = new_botocore_session(plan.retry)
    session.set_credentials(
        values["accessKeyID"], values["SecretAccessKey"], values.get("SessionToken")
    )
    return AWSSession(session, plan.region)


def _temporary_session(plan: AuthPlan, answer: Mapping[str, Any], identity: str) -> AWSSession:
    creds = answer["Credentials"]
    session = new_botocore_session(plan.retry)
    session.set_credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    return AWSSession(
        session, plan.region, identity=identity, expires_at=_aware(creds["Expiration"])
    )


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _web_identity_session(plan: AuthPlan, cluster: Any) -> AWSSession:
    account = cluster.get_service_account(plan.account_namespace, plan.account_name)
    if account is None:
        raise AuthError(f'serviceaccounts "{plan.account_name}" not found')
    role_arn = account.annotations.get(ROLE_ANNOTATION, "")
    if not role_arn:
        raise AuthError(
            f"an IAM role must be associated with service account {plan.account_name} "
            f"(namespace: {plan.account_namespace})"
        )
    audiences = [account.annotations.get(AUDIENCE_ANNOTATION) or DEFAULT_AUDIENCE]
    audiences += list(plan.audiences)
    try:
        token = cluster.request_token(
            plan.account_namespace, plan.account_name, audiences, TOKEN_SECONDS
        )
    except ExtSecretsError as exc:
        API_CALLS.add("kubernetes", "TokenRequest", "error")
        raise AuthError(f"error creating service account token: {exc}") from None
    API_CALLS.add("kubernetes", "TokenRequest", "201")
    sts = new_botocore_session(plan.retry).create_client(
        "sts", region_name=plan.region, config=Config(signature_version=botocore.UNSIGNED)
    )
    try:
        answer = sts.assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName=SESSION_NAME, WebIdentityToken=token.token
        )
    except Exception as exc:
        raise classify(exc, f"AssumeRoleWithWebIdentity {role_arn}: ") from None
    return _temporary_session(plan, answer, answer["AssumedRoleUser"]["Arn"])


def _default_session(plan: AuthPlan) -> AWSSession:
    session = new_botocore_session(plan.retry)
    try:
        creds = session.get_credentials()
    except Exception as exc:
        raise classify(exc, "default credential chain: ") from None
    if creds is None:
        raise AuthError(
            "no credentials in the default chain (environment, shared files, web identity, "
            "container credentials, instance metadata): give the controller an AWS identity "
            "or set auth on the store"
        )
    return AWSSession(session, plan.region)


def _role_arn(role: str, current: AWSSession) -> str:
    """A full ARN as written; a bare name in the account and partition of ``current`` (asked
    once with GetCallerIdentity when not known from an earlier AssumeRole)."""
    if role.startswith("arn:"):
        return role
    if not current.account:
        try:
            current.identity = current.client("sts").get_caller_identity()["Arn"]
        except Exception as exc:
            raise classify(exc, f"GetCallerIdentity (to resolve role {role}): ") from None
    return f"arn:{current.partition}:iam::{current.account}:role/{role}"


def _assume(plan: AuthPlan, current: AWSSession, role: str, final: bool) -> AWSSession:
    arn = _role_arn(role, current)
    params: dict[str, Any] = {"RoleArn": arn, "RoleSessionName": SESSION_NAME}
    if final:
        if plan.external_id:
            params["ExternalId"] = plan.external_id
        if plan.tags:
            params["Tags"] = [{"Key": k, "Value": v} for k, v in plan.tags]
            if plan.transitive_tag_keys:
                params["TransitiveTagKeys"] = list(plan.transitive_tag_keys)
    try:
        answer = current.client("sts").assume_role(**params)
    except Exception as exc:
        raise classify(exc, f"AssumeRole {arn}: ") from None
    return _temporary_session(plan, answer, answer["AssumedRoleUser"]["Arn"])


def authenticate(plan: AuthPlan, cluster: Any) -> tuple[AWSSession, dt.datetime | None]:
    """The session for ``plan`` and when it stops being valid (``None``: it does not expire,
    or botocore refreshes it by itself)."""
    try:
        if plan.method == "secretRef":
            session = _static_session(plan, cluster)
        elif plan.method == "jwt":
            session = _web_identity_session(plan, cluster)
        else:
            session = _default_session(plan)
        hops = [*plan.additional_roles, plan.role] if plan.role else list(plan.additional_roles)
        for i, role in enumerate(hops):
            session = _assume(plan, session, role, final=bool(plan.role) and i == len(hops) - 1)
    except ExtSecretsError as exc:
        raise with_context(exc, plan.error_prefix) from None
    return session, session.expires_at
