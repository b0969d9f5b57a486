"""The cluster port: everything the sync engine and the auth plugins need from Kubernetes.

Two adapters implement it: :mod:`extsecrets.cluster.local` (manifest files, writes kept in
memory: ``render``, ``demo``, tests) and the Kubernetes adapter of the operator. Plugins receive
the port as the ``cluster`` argument of their hooks and use only its read methods and
:meth:`Cluster.request_token`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from extsecrets.cluster.objects import (
    ConfigMapObject,
    EventType,
    ExternalSecretStatus,
    NamespaceObject,
    ObjectRef,
    SecretObject,
    ServiceAccountObject,
    ServiceAccountToken,
    StoreStatus,
)
from extsecrets.errors import ExtSecretsError, TemporaryError
from extsecrets.model import ClusterSecretStore, ExternalSecret, Generator, SecretStore

__all__ = [
    "Cluster",
    "ClusterError",
    "ClusterUnavailableError",
    "ConflictError",
    "StoreLookupError",
]


class ClusterError(ExtSecretsError):
    """A request to the cluster failed (the message is safe to show)."""


class ClusterUnavailableError(ClusterError, TemporaryError):
    """The API server could not be reached or answered "try later" (connection refused or
    reset, a timeout, a TLS failure, 429/5xx): retried with backoff, never a failure of the
    object being written."""


class ConflictError(TemporaryError):
    """An optimistic-concurrency write lost: the object changed (or appeared) since it was read."""


class StoreLookupError(ClusterError):
    """A store (or generator) exists but cannot be used: e.g. its manifest failed admission."""


class Cluster(Protocol):
    """What the engine reads and writes. Every ``get_*`` returns ``None`` for a missing object.

    Reads of stores and generators return the checked model, with the provider (generator)
    block already structured by its plugin's config type.
    """

    # --- reads --------------------------------------------------------------------------------

    def get_secret_store(self, namespace: str, name: str) -> SecretStore | None: ...

    def get_cluster_secret_store(self, name: str) -> ClusterSecretStore | None: ...

    def get_generator(self, kind: str, namespace: str, name: str) -> Generator | None: ...

    def get_secret(
        self, namespace: str, name: str, *, managed_only: bool = False
    ) -> SecretObject | None:
        """The Secret ``namespace/name``. With ``managed_only`` an adapter may answer from what
        it knows of the Secrets extsecrets manages, without asking the API server: ``None`` then
        means "no managed Secret", and a create made on that answer may meet a
        :class:`ConflictError` (the Secret exists, unmanaged)."""
        ...

    def list_secrets(self, namespace: str, labels: Mapping[str, str]) -> Sequence[SecretObject]:
        """Secrets of ``namespace`` carrying every one of ``labels``."""
        ...

    def get_config_map(self, namespace: str, name: str) -> ConfigMapObject | None:
        """The ConfigMap ``namespace/name`` (``templateFrom[].configMap``), read when needed."""
        ...

    def get_service_account(self, namespace: str, name: str) -> ServiceAccountObject | None: ...

    def get_namespace(self, name: str) -> NamespaceObject | None: ...

    def request_token(
        self, namespace: str, name: str, audiences: Sequence[str], expiration_seconds: int
    ) -> ServiceAccountToken:
        """A token for a ServiceAccount (TokenRequest). Raises :class:`ClusterError`."""
        ...

    # --- writes -------------------------------------------------------------------------------

    def create_secret(
        self, secret: SecretObject, field_manager: str, owned_keys: frozenset[str]
    ) -> SecretObject:
        """Create; :class:`ConflictError` when it already exists. Returns the stored object.

        ``field_manager`` is recorded as the writer of ``owned_keys`` (``managed_keys``)."""
        ...

    def update_secret(
        self, secret: SecretObject, field_manager: str, owned_keys: frozenset[str]
    ) -> SecretObject:
        """Replace, if ``secret.resource_version`` is still current (else
        :class:`ConflictError`). ``field_manager`` now owns exactly ``owned_keys``; other
        managers keep the rest of what they owned."""
        ...

    def delete_secret(self, namespace: str, name: str, resource_version: str | None) -> None:
        """Delete (a no-op when already gone); with ``resource_version``, only that version."""
        ...

    def write_status(self, es: ExternalSecret, status: ExternalSecretStatus) -> None: ...

    def write_store_status(
        self, store: SecretStore | ClusterSecretStore, status: StoreStatus
    ) -> None: ...

    def record_event(
        self, regarding: ObjectRef, type: EventType, reason: str, message: str
    ) -> None: ...
