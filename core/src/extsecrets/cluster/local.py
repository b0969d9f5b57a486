"""The local cluster: objects read from manifests, writes kept in memory.

It backs ``extsecrets render`` and ``demo`` and the engine's tests. It behaves like an API server
where the engine can tell: objects without a namespace land in ``default``; every write bumps a
``resourceVersion`` and a stale one is a conflict; Namespaces carry the
``kubernetes.io/metadata.name`` label; objects get a ``uid`` when their manifest has none;
service-account tokens are signed JWTs (:mod:`extsecrets.cluster.tokens`).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from extsecrets.cluster.convert import config_map_from_dict, secret_from_dict, str_map
from extsecrets.cluster.index import LabelIndex
from extsecrets.cluster.objects import (
    ConfigMapObject,
    EventType,
    ExternalSecretStatus,
    NamespaceObject,
    ObjectRef,
    RecordedEvent,
    SecretObject,
    ServiceAccountObject,
    ServiceAccountToken,
    StoreStatus,
)
from extsecrets.cluster.port import ClusterError, ConflictError, StoreLookupError
from extsecrets.cluster.tokens import TokenIssuer
from extsecrets.manifests import is_kubernetes_object
from extsecrets.model import (
    Catalog,
    CheckedObject,
    ClusterSecretStore,
    ExternalSecret,
    Generator,
    ObjectId,
    SecretStore,
    check_document,
)
from extsecrets.model.meta import secret_key_problem
from extsecrets.sync.target import CREATED_BY_LABEL

__all__ = ["LocalCluster"]

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
_UID_NAMESPACE = uuid.UUID("6f1c2b8e-3f52-4d8c-9a43-0e5b7f4c2d10")


class LocalCluster:
    """An in-memory cluster loaded from parsed manifests (see :meth:`apply`)."""

    def __init__(self, catalog: Catalog, *, issuer: TokenIssuer | None = None) -> None:
        self._catalog = catalog
        self._issuer = issuer
        self._versions = itertools.count(1)
        self._checked: dict[ObjectId, CheckedObject] = {}
        self._external_secrets: dict[tuple[str, str], ExternalSecret] = {}
        self._secrets: dict[tuple[str, str], SecretObject] = {}
        self._created_by = LabelIndex(CREATED_BY_LABEL)
        self._accounts: dict[tuple[str, str], ServiceAccountObject] = {}
        self._config_maps: dict[tuple[str, str], ConfigMapObject] = {}
        self._namespaces: dict[str, NamespaceObject] = {}
        self.statuses: dict[tuple[str, str], ExternalSecretStatus] = {}
        #: (kind, namespace or "", name) -> the status the store controller wrote
        self.store_statuses: dict[tuple[str, str, str], StoreStatus] = {}
        self.events: list[RecordedEvent] = []
        #: uids this adapter made up for objects whose manifest had none
        self.assigned_uids: set[str] = set()
        #: what reached this "API server": Secret writes, status writes, TokenRequests,
        #: ConfigMap reads
        self.counts: dict[str, int] = {
            "secret_writes": 0,
            "status_writes": 0,
            "token_requests": 0,
            "configmap_reads": 0,
        }

    @classmethod
    def from_documents(
        cls, documents: Iterable[Any], catalog: Catalog, *, issuer: TokenIssuer | None = None
    ) -> LocalCluster:
        cluster = cls(catalog, issuer=issuer)
        for doc in documents:
            if is_kubernetes_object(doc):
                cluster.apply(doc)
        return cluster

    # --- loading ------------------------------------------------------------------------------

    def apply(self, doc: Mapping[str, Any]) -> CheckedObject:
        """Add or replace one object, as ``kubectl apply`` would; return it checked.

        Kinds the engine does not use are accepted and ignored.
        """
        checked = check_document(doc, self._catalog)
        ident = checked.ident
        self._checked[ident] = checked
        kind, api_version = ident.kind, str(doc.get("apiVersion"))
        ns = ident.namespace or ""
        if checked.obj is not None and isinstance(checked.obj, ExternalSecret):
            es = checked.obj
            es_meta = attrs.evolve(
                es.metadata,
                uid=es.metadata.uid or self._uid(ident),
                generation=es.metadata.generation or 1,
            )
            self._external_secrets[(ns, ident.name)] = attrs.evolve(es, metadata=es_meta)
        elif kind == "ExternalSecret":
            self._external_secrets.pop((ns, ident.name), None)
        if api_version != "v1":
            return checked
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), Mapping) else {}
        assert isinstance(meta, Mapping)
        if kind == "Secret":
            secret, problems = secret_from_dict(doc, ns, ident.name)
            if problems:
                checked = attrs.evolve(checked, problems=checked.problems + tuple(problems))
                self._checked[ident] = checked
            else:
                uid = str(meta.get("uid") or self._uid(ident))
                self._store_secret(
                    attrs.evolve(secret, resource_version=self._next_version(), uid=uid)
                )
        elif kind == "ConfigMap":
            self._config_maps[(ns, ident.name)] = config_map_from_dict(doc, ns, ident.name)
        elif kind == "ServiceAccount":
            self._accounts[(ns, ident.name)] = ServiceAccountObject(
                ns,
                ident.name,
                str_map(meta.get("annotations")),
                str(meta.get("uid") or self._uid(ident)),
            )
        elif kind == "Namespace":
            labels = {**str_map(meta.get("labels")), NAMESPACE_NAME_LABEL: ident.name}
            self._namespaces[ident.name] = NamespaceObject(ident.name, labels)
        return checked

    @property
    def checked(self) -> Sequence[CheckedObject]:
        """Every object applied, checked, in the order first applied."""
        return list(self._checked.values())

    def external_secrets(self) -> list[ExternalSecret]:
        """Every valid ExternalSecret, ordered by namespace and name."""
        return [self._external_secrets[k] for k in sorted(self._external_secrets)]

    def _uid(self, ident: ObjectId) -> str:
        uid = str(uuid.uuid5(_UID_NAMESPACE, f"{ident.kind}/{ident.namespace}/{ident.name}"))
        self.assigned_uids.add(uid)
        return uid

    def _next_version(self) -> str:
        return str(next(self._versions))

    def _usable(self, ident: ObjectId) -> Any:
        checked = self._checked.get(ident)
        if checked is None:
            return None
        if checked.obj is None:
            first = next((p for p in checked.problems if p.is_error), None)
            detail = f": {first.path}: {first.message}" if first and first.path else ""
            detail = detail or (f": {first.message}" if first else "")
            raise StoreLookupError(f"{ident} is not valid{detail}")
        return checked.obj

    # --- reads --------------------------------------------------------------------------------

    def get_secret_store(self, namespace: str, name: str) -> SecretStore | None:
        store = self._usable(ObjectId("SecretStore", name, namespace))
        assert store is None or isinstance(store, SecretStore)
        return store

    def get_cluster_secret_store(self, name: str) -> ClusterSecretStore | None:
        store = self._usable(ObjectId("ClusterSecretStore", name, None))
        assert store is None or isinstance(store, ClusterSecretStore)
        return store

    def get_generator(self, kind: str, namespace: str, name: str) -> Generator | None:
        generator = self._usable(ObjectId(kind, name, namespace))
        assert generator is None or isinstance(generator, Generator)
        return generator

    def get_secret(
        self, namespace: str, name: str, *, managed_only: bool = False
    ) -> SecretObject | None:
        return self._secrets.get((namespace, name))

    def list_secrets(self, namespace: str, labels: Mapping[str, str]) -> Sequence[SecretObject]:
        if CREATED_BY_LABEL in labels:
            names = self._created_by.names(namespace, labels[CREATED_BY_LABEL])
            found = [self._secrets[(namespace, n)] for n in names]
        else:
            found = [s for (ns, _), s in sorted(self._secrets.items()) if ns == namespace]
        return [s for s in found if all(s.labels.get(k) == v for k, v in labels.items())]

    def get_config_map(self, namespace: str, name: str) -> ConfigMapObject | None:
        self.counts["configmap_reads"] += 1
        return self._config_maps.get((namespace, name))

    def get_service_account(self, namespace: str, name: str) -> ServiceAccountObject | None:
        return self._accounts.get((namespace, name))

    def get_namespace(self, name: str) -> NamespaceObject | None:
        # Every namespace an object lives in exists, as it would in a cluster.
        known = self._namespaces.get(name)
        return known or NamespaceObject(name, {NAMESPACE_NAME_LABEL: name})

    def request_token(
        self, namespace: str, name: str, audiences: Sequence[str], expiration_seconds: int
    ) -> ServiceAccountToken:
        account = self._accounts.get((namespace, name))
        if account is None:
            raise ClusterError(f'serviceaccounts "{name}" not found')
        if self._issuer is None:
            self._issuer = TokenIssuer()
        self.counts["token_requests"] += 1
        return self._issuer.issue(account, audiences, expiration_seconds)

    @property
    def token_issuer(self) -> TokenIssuer:
        if self._issuer is None:
            self._issuer = TokenIssuer()
        return self._issuer

    # --- writes -------------------------------------------------------------------------------

    def create_secret(
        self, secret: SecretObject, field_manager: str, owned_keys: frozenset[str]
    ) -> SecretObject:
        key = (secret.namespace, secret.name)
        if key in self._secrets:
            raise ConflictError(f'secrets "{secret.name}" already exists')
        _refuse_invalid_keys(secret)
        stored = attrs.evolve(
            secret,
            resource_version=self._next_version(),
            uid=str(uuid.uuid4()),
            managed_keys={field_manager: owned_keys & frozenset(secret.data)},
            managed_labels={field_manager: frozenset(secret.labels)},
            managed_annotations={field_manager: frozenset(secret.annotations)},
        )
        self._store_secret(stored)
        self.counts["secret_writes"] += 1
        return stored

    def update_secret(
        self, secret: SecretObject, field_manager: str, owned_keys: frozenset[str]
    ) -> SecretObject:
        key = (secret.namespace, secret.name)
        current = self._secrets.get(key)
        if current is None:
            raise ConflictError(f'secrets "{secret.name}" not found')
        if secret.resource_version != current.resource_version:
            raise ConflictError(
                f'Operation cannot be fulfilled on secrets "{secret.name}": the object has been '
                "modified; please apply your changes to the latest version and try again"
            )
        _refuse_invalid_keys(secret)
        if current.type != secret.type:
            raise ClusterError(
                f'Secret "{secret.name}" is invalid: type: Invalid value: "{secret.type}": '
                "field is immutable"
            )
        if current.immutable and current.data != secret.data:
            raise ClusterError(
                f'Secret "{secret.name}" is invalid: data: Forbidden: field is immutable when '
                "`immutable` is set"
            )
        keys = frozenset(secret.data)
        mine = owned_keys & keys
        managed = {m: (k & keys) - mine for m, k in current.managed_keys.items()}
        managed[field_manager] = mine
        stored = attrs.evolve(
            secret,
            resource_version=self._next_version(),
            uid=current.uid,
            managed_keys=managed,
            managed_labels=_owners_after(
                current.managed_labels, current.labels, secret.labels, field_manager
            ),
            managed_annotations=_owners_after(
                current.managed_annotations, current.annotations, secret.annotations, field_manager
            ),
        )
        self._store_secret(stored)
        self.counts["secret_writes"] += 1
        return stored

    def delete_secret(self, namespace: str, name: str, resource_version: str | None) -> None:
        current = self._secrets.get((namespace, name))
        if current is None:
            return
        if resource_version is not None and resource_version != current.resource_version:
            raise ConflictError(f'secrets "{name}" has changed since it was read')
        del self._secrets[(namespace, name)]
        self._created_by.record(namespace, name, None)

    def _store_secret(self, secret: SecretObject) -> None:
        self._secrets[(secret.namespace, secret.name)] = secret
        self._created_by.record(secret.namespace, secret.name, secret.labels)

    def write_status(self, es: ExternalSecret, status: ExternalSecretStatus) -> None:
        key = (es.metadata.namespace or "default", es.metadata.name)
        self.counts["status_writes"] += 1
        self.statuses[key] = status
        if key in self._external_secrets:
            self._external_secrets[key] = attrs.evolve(self._external_secrets[key], status=status)

    def write_store_status(
        self, store: SecretStore | ClusterSecretStore, status: StoreStatus
    ) -> None:
        namespace = store.metadata.namespace if isinstance(store, SecretStore) else None
        key = (store.kind, namespace or "", store.metadata.name)
        self.store_statuses[key] = status

    def record_event(
        self, regarding: ObjectRef, type: EventType, reason: str, message: str
    ) -> None:
        self.events.append(RecordedEvent(regarding, type, reason, message))


def _owners_after(
    owners: Mapping[str, frozenset[str]],
    before: Mapping[str, str],
    after: Mapping[str, str],
    manager: str,
) -> dict[str, frozenset[str]]:
    """Who owns which label (annotation) keys after an update by ``manager``, as the API server
    records it for an update: the keys it added or changed become its own, keys that went are
    nobody's, the rest stay with their owners."""
    changed = frozenset(k for k, v in after.items() if before.get(k) != v)
    present = frozenset(after)
    out = {m: (keys & present) - changed for m, keys in owners.items()}
    out[manager] = out.get(manager, frozenset()) | changed
    return out


def _refuse_invalid_keys(secret: SecretObject) -> None:
    """What the API server answers (422) for a data key it refuses: the local cluster stands in
    for it in ``render``, so it must not accept a Secret a real cluster would not."""
    for key in sorted(secret.data):
        problem = secret_key_problem(key)
        if problem is not None:
            raise ClusterError(
                f'Secret "{secret.name}" is invalid: data[{key}]: Invalid value: "{key}": {problem}'
            )
