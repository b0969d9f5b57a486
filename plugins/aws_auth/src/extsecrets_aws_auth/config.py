"""The AWS config types: ``spec.provider.aws`` of a store, and the auth block generators share.

They belong to the auth plugin because every AWS plugin reads them: the Secrets Manager and
Parameter Store plugins register :class:`AWSProvider` as their config type, the ECR plugin embeds
:class:`AWSAuth`. Admission rules follow spec §7.1 (ESO's texts) and §0 (our additions).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Literal

import attrs
from botocore.exceptions import InvalidRegionError
from botocore.utils import validate_region_name

from extsecrets.model import AdmissionContext, Problem, SecretKeySelector, ServiceAccountSelector
from extsecrets.model import wire as wire_field
from extsecrets.types import FrozenMap

__all__ = [
    "RESERVED_TAG_KEYS",
    "SERVICES",
    "AWSAuth",
    "AWSAuthSecretRef",
    "AWSJWTAuth",
    "AWSProvider",
    "SecretsManagerOptions",
    "Tag",
    "auth_problems",
    "role_problems",
]

SERVICES = ("SecretsManager", "ParameterStore", "CertificateManager")
RESERVED_TAG_KEYS = ("esoNamespace", "esoStoreName", "esoStoreKind")

_ROLE_ARN = re.compile(r"arn:[a-z0-9-]+:iam::\d{12}:role/[\w+=,.@/-]+")
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")


@attrs.frozen
class AWSAuthSecretRef:
    """Static keys read from Kubernetes Secrets."""

    access_key_id_secret_ref: SecretKeySelector = wire_field("accessKeyIDSecretRef")
    secret_access_key_secret_ref: SecretKeySelector = wire_field("secretAccessKeySecretRef")
    session_token_secret_ref: SecretKeySelector | None = None


@attrs.frozen
class AWSJWTAuth:
    """A ServiceAccount token exchanged for the role in its ``eks.amazonaws.com/role-arn``."""

    service_account_ref: ServiceAccountSelector | None = None


@attrs.frozen
class AWSAuth:
    """``auth``: at most one method; with none, the default credential chain of the process."""

    secret_ref: AWSAuthSecretRef | None = None
    jwt: AWSJWTAuth | None = None


@attrs.frozen
class Tag:
    key: str
    value: str


@attrs.frozen
class SecretsManagerOptions:
    """``secretsManager``: only used when PushSecret deletes (later work)."""

    force_delete_without_recovery: bool = False
    recovery_window_in_days: int = 0


@attrs.frozen
class AWSProvider:
    """``spec.provider.aws`` of a SecretStore or ClusterSecretStore (spec §1.1)."""

    service: str
    region: str
    auth: AWSAuth = AWSAuth()
    role: str = ""
    additional_roles: tuple[str, ...] = ()
    external_id: str = wire_field("externalID", default="")
    session_tags: tuple[Tag, ...] = ()
    transitive_tag_keys: tuple[str, ...] = ()
    session_tags_policy: Literal["None", "Simple", "Custom"] = "None"
    custom_session_tags: FrozenMap = FrozenMap()
    secrets_manager: SecretsManagerOptions | None = None
    prefix: str = ""

    def admission_problems(self, context: AdmissionContext) -> Iterator[Problem]:
        """§7.1 in ESO's order, then the §0 rules; every problem, not only the first."""
        yield from region_problems(self.region, context)
        if self.service not in SERVICES:
            yield context.problem(("service",), f"unknown AWS Provider Service: {self.service}")
        sm = self.secrets_manager
        if sm is not None:
            window = sm.recovery_window_in_days
            if window != 0 and not 7 <= window <= 30:
                yield context.problem(
                    ("secretsManager", "recoveryWindowInDays"),
                    "invalid DeleteSecretInput: RecoveryWindowInDays must be between 7 and 30 days",
                )
            if sm.force_delete_without_recovery and window != 0:
                yield context.problem(
                    ("secretsManager", "forceDeleteWithoutRecovery"),
                    "invalid DeleteSecretInput: ForceDeleteWithoutRecovery conflicts with "
                    "RecoveryWindowInDays",
                )
        yield from auth_problems(self.auth, context)
        yield from role_problems(
            [
                (("role",), self.role),
                *((("additionalRoles", i), r) for i, r in enumerate(self.additional_roles)),
            ],
            context,
        )
        yield from self._tag_problems(context)

    def _tag_problems(self, context: AdmissionContext) -> Iterator[Problem]:
        reserved = [k for k in self.custom_session_tags if k in RESERVED_TAG_KEYS]
        if reserved:
            yield context.problem(
                ("customSessionTags",),
                "customSessionTags cannot contain automatically injected reserved keys: "
                "esoNamespace, esoStoreName, esoStoreKind",
            )
        if self.custom_session_tags and self.session_tags_policy != "Custom":
            yield context.problem(
                ("customSessionTags",),
                "customSessionTags are only sent with sessionTagsPolicy: Custom; ignored",
                "warning",
            )
        if self.role:
            return
        unused = [
            ("externalID", bool(self.external_id)),
            ("sessionTags", bool(self.session_tags)),
            ("transitiveTagKeys", bool(self.transitive_tag_keys)),
            ("sessionTagsPolicy", self.session_tags_policy != "None"),
        ]
        for field, is_set in unused:
            if is_set:
                yield context.problem(
                    (field,),
                    f"{field} has no effect without role: it is only sent on the AssumeRole "
                    "of role",
                    "warning",
                )


def region_problems(region: str, context: AdmissionContext) -> Iterator[Problem]:
    """The SDK's own region check (a host label); as weak as ESO's, by design."""
    try:
        validate_region_name(region)
        if not region:
            raise InvalidRegionError(region_name=region)
    except InvalidRegionError:
        yield context.problem(("region",), f"region not found: {region}")


def role_problems(
    roles: Iterable[tuple[tuple[str | int, ...], str]], context: AdmissionContext
) -> Iterator[Problem]:
    """A role is a full role ARN or a bare role name (resolved in the caller's account)."""
    for rel, role in roles:
        if not role:
            continue
        pattern = _ROLE_ARN if role.startswith("arn:") else _ROLE_NAME
        if not pattern.fullmatch(role):
            yield context.problem(
                rel,
                f'"{role}" is neither a role ARN (arn:aws:iam::<account>:role/<name>) '
                "nor a role name",
            )


def auth_problems(
    auth: AWSAuth, context: AdmissionContext, *, generator: bool = False
) -> Iterator[Problem]:
    """Rules of an ``auth`` block, for stores and (``generator=True``) ECR generators."""
    if auth.secret_ref is not None and auth.jwt is not None:
        yield context.problem(("auth",), "auth.jwt and auth.secretRef are mutually exclusive")
    if auth.jwt is not None and auth.jwt.service_account_ref is None:
        yield context.problem(
            ("auth", "jwt", "serviceAccountRef"),
            "required field is missing: auth.jwt needs serviceAccountRef",
        )
    namespaced_store = context.kind == "SecretStore"
    if auth.secret_ref is not None:
        selectors = [
            ("accessKeyIDSecretRef", "AccessKeyID", auth.secret_ref.access_key_id_secret_ref),
            (
                "secretAccessKeySecretRef",
                "SecretAccessKey",
                auth.secret_ref.secret_access_key_secret_ref,
            ),
            ("sessionTokenSecretRef", "SessionToken", auth.secret_ref.session_token_secret_ref),
        ]
        for field, label, sel in selectors:
            if sel is None:
                continue
            rel = ("auth", "secretRef", field)
            for part in ("name", "key"):
                if getattr(sel, part) is None:
                    yield context.problem((*rel, part), "required field is missing")
            if sel.namespace is None:
                continue
            if namespaced_store and sel.namespace != context.namespace:
                yield context.problem(
                    (*rel, "namespace"),
                    f"invalid Auth.SecretRef.{label}: namespace should either be empty or match "
                    "the namespace of the SecretStore for a namespaced SecretStore",
                )
            elif generator:
                yield context.problem(
                    (*rel, "namespace"),
                    "ignored: a generator always reads its Secrets in the namespace of the "
                    "ExternalSecret that uses it",
                    "warning",
                )
    sa = auth.jwt.service_account_ref if auth.jwt is not None else None
    if sa is not None and sa.namespace is not None:
        sa_rel = ("auth", "jwt", "serviceAccountRef", "namespace")
        if namespaced_store and sa.namespace != context.namespace:
            yield context.problem(
                sa_rel,
                "invalid Auth.JWT.ServiceAccountRef: namespace should either be empty or match "
                "the namespace of the SecretStore for a namespaced SecretStore",
            )
        elif generator:
            yield context.problem(
                sa_rel,
                "ignored: a generator always uses the ServiceAccount in the namespace of the "
                "ExternalSecret that uses it",
                "warning",
            )
