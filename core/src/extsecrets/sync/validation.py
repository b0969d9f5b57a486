"""Store validation (spec §6.9): can credentials be had for this store?

As ESO's AWS provider does, validating a store means obtaining its credentials, nothing more.
A ClusterSecretStore whose credentials depend on the ExternalSecret's namespace ("referent"
auth) is not contacted: its plugin raises :class:`~extsecrets.errors.ReferentAuthError` and the
store is reported valid, as in ESO.
"""

from __future__ import annotations

import attrs

from extsecrets.errors import ExtSecretsError, ReferentAuthError

__all__ = ["INVALID", "VALID", "StoreValidation"]

VALID = ("Valid", "store validated")
INVALID = ("InvalidProviderConfig", "unable to create client")


@attrs.frozen
class StoreValidation:
    """The outcome for one store; ``error`` is the sanitised reason it is not valid."""

    kind: str
    namespace: str | None
    name: str
    ok: bool
    reason: str
    message: str
    error: str | None = None
    contacted: bool = True
    #: why the store's status could not be written (the controller retries it soon)
    unwritten: str | None = None


def outcome(kind: str, namespace: str | None, name: str, result: object) -> StoreValidation:
    if isinstance(result, ReferentAuthError):
        return StoreValidation(kind, namespace, name, True, *VALID, contacted=False)
    if isinstance(result, ExtSecretsError):
        return StoreValidation(kind, namespace, name, False, *INVALID, error=str(result))
    return StoreValidation(kind, namespace, name, True, *VALID)
