"""The Kubernetes adapter of the cluster port: the official ``kubernetes`` client, with watches.

Objects the engine reads often are kept in local caches fed by list+watch
(:class:`Informer`): ExternalSecrets, stores, generators, Namespaces, and only the Secrets
extsecrets manages (label ``reconcile.external-secrets.io/managed=true``), so memory does not
grow with the cluster's other Secrets. Other Secrets (static credentials, Merge targets,
template sources), ConfigMaps (template sources) and ServiceAccounts are read when needed.
Writes go to the API server with the resourceVersion read (a stale one is a
:class:`ConflictError`), and what the server answers is put in the cache at once so the next
cycle does not read its own write stale.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from extsecrets.cluster.apicalls import Reachability, api_call, api_message
from extsecrets.cluster.convert import (
    compact_managed_fields,
    config_map_from_dict,
    parse_rfc3339,
    rfc3339,
    secret_from_dict,
    secret_to_dict,
    str_map,
)
from extsecrets.cluster.events import EventRecorder
from extsecrets.cluster.informer import Change, Informer
from extsecrets.cluster.invalid import problems_text
from extsecrets.cluster.objects import (
    Condition,
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
from extsecrets.cluster.port import (
    ClusterError,
    ClusterUnavailableError,
    ConflictError,
    StoreLookupError,
)
from extsecrets.errors import ExtSecretsError
from extsecrets.model import (
    Catalog,
    CheckedObject,
    ClusterSecretStore,
    ExternalSecret,
    Generator,
    SecretStore,
    check_document,
)
from extsecrets.sync.status import to_wire
from extsecrets.sync.target import CREATED_BY_LABEL, MANAGED_LABEL

__all__ = ["ESO_GROUP", "KubeCluster"]

log = logging.getLogger(__name__)

ESO_GROUP = "external-secrets.io"
ESO_VERSION = "v1"
COMPONENT = "extsecrets"
#: what :meth:`KubeCluster._event_call` returns for an object that is not there
_GONE = object()


class KubeCluster:
    """The cluster port over a real API server. ``namespace`` limits it to one namespace
    (ClusterSecretStores and Namespaces are cluster-scoped and still watched)."""

    def __init__(
        self,
        api: k8s.ApiClient,
        catalog: Catalog,
        *,
        namespace: str | None = None,
        on_change: Mapping[str, Change] | None = None,
        generator_kinds: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.api = api
        self._catalog = catalog
        self.namespace = namespace
        self.core = k8s.CoreV1Api(api)
        self.custom = k8s.CustomObjectsApi(api)
        hooks = dict(on_change or {})
        self._checked: dict[tuple[str, str, str], tuple[str, CheckedObject]] = {}
        self._checked_lock = threading.Lock()
        eso = f"{ESO_GROUP}/{ESO_VERSION}"
        self.external_secrets = Informer(
            "externalsecrets",
            self._custom_list(ESO_GROUP, ESO_VERSION, "externalsecrets"),
            api_version=eso,
            kind="ExternalSecret",
            on_change=hooks.get("ExternalSecret"),
        )
        self.secret_stores = Informer(
            "secretstores",
            self._custom_list(ESO_GROUP, ESO_VERSION, "secretstores"),
            api_version=eso,
            kind="SecretStore",
            on_change=hooks.get("SecretStore"),
        )
        self.cluster_secret_stores = Informer(
            "clustersecretstores",
            partial(
                self.custom.list_cluster_custom_object,
                ESO_GROUP,
                ESO_VERSION,
                "clustersecretstores",
            ),
            api_version=eso,
            kind="ClusterSecretStore",
            on_change=hooks.get("ClusterSecretStore"),
        )
        self.generators: dict[str, Informer] = {}
        for kind, api_version in generator_kinds:
            group, _, version = api_version.partition("/")
            self.generators[kind] = Informer(
                kind.lower() + "s",
                self._custom_list(group, version, kind.lower() + "s"),
                api_version=api_version,
                kind=kind,
                on_change=hooks.get(kind, hooks.get("Generator")),
                # a plugin may register a kind whose CRD this cluster does not have: only the
                # ExternalSecrets that use it fail (see get_generator)
                unserved=_unserved(kind, api_version),
            )
        secrets_call = (
            partial(self.core.list_namespaced_secret, namespace)
            if namespace
            else self.core.list_secret_for_all_namespaces
        )
        self.managed_secrets = Informer(
            "managed-secrets",
            secrets_call,
            api_version="v1",
            kind="Secret",
            label_selector=f"{MANAGED_LABEL}=true",
            on_change=hooks.get("Secret"),
            transform=compact_managed_fields,
            index_label=CREATED_BY_LABEL,
        )
        self.namespaces = Informer(
            "namespaces", self.core.list_namespace, api_version="v1", kind="Namespace"
        )
        self.token_requests = 0
        #: whether this process may write now (the leader election's fence: see
        #: ``LeaderElector.holds_lease``); every write checks it first
        self.may_write: Callable[[], bool] = lambda: True
        #: writes refused because the object changed since it was read (409), by what was
        #: written ("secret", "finalizers"): the engine retries them
        self.conflicts: Counter[str] = Counter()
        self._conflicts_lock = threading.Lock()
        self._event_outage = Reachability(log, "events not recorded")
        self.events = EventRecorder(self._create_event, self._patch_event)

    def _custom_list(self, group: str, version: str, plural: str) -> Callable[..., Any]:
        if self.namespace:
            return partial(
                self.custom.list_namespaced_custom_object, group, version, self.namespace, plural
            )
        return partial(self.custom.list_cluster_custom_object, group, version, plural)

    @property
    def informers(self) -> list[Informer]:
        return [
            self.external_secrets,
            self.secret_stores,
            self.cluster_secret_stores,
            *self.generators.values(),
            self.managed_secrets,
            self.namespaces,
        ]

    def start(self, timeout: float = 60.0) -> None:
        """Start every watch and wait until each has listed once."""
        for informer in self.informers:
            informer.start()
        unsynced = self.wait_synced(timeout)
        if unsynced:
            raise ClusterError(f"could not list {', '.join(unsynced)} within {timeout:g}s")

    def start_watching(self) -> None:
        """Start every watch (see :meth:`wait_synced`)."""
        for informer in self.informers:
            informer.start()

    def wait_synced(self, timeout: float) -> list[str]:
        """Wait up to ``timeout`` seconds for every watch to have listed once; the names of
        those that have not (the informers keep trying meanwhile)."""
        deadline = time.monotonic() + timeout
        for informer in self.informers:
            informer.synced.wait(max(0.0, deadline - time.monotonic()))
        return [i.name for i in self.informers if not i.synced.is_set()]

    def stop(self) -> None:
        for informer in self.informers:
            informer.stop()
        self.events.flush(timeout=5.0)

    # --- checked models -----------------------------------------------------------------------

    def checked(self, raw: Mapping[str, Any]) -> CheckedObject:
        """``raw`` checked with the installed plugins. Stores and generators, read by every
        ExternalSecret that uses them, are checked once per resourceVersion; ExternalSecrets,
        each read once a cycle, are checked every time (a fraction of a millisecond) rather
        than kept twice in memory."""
        if raw.get("kind") == "ExternalSecret":
            return check_document(raw, self._catalog)
        meta = raw.get("metadata") or {}
        key = (str(raw.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))
        version = str(meta.get("resourceVersion") or "")
        with self._checked_lock:
            hit = self._checked.get(key)
            if hit is not None and hit[0] == version and version:
                return hit[1]
        result = check_document(raw, self._catalog)
        with self._checked_lock:
            self._checked[key] = (version, result)
        return result

    def _usable(self, raw: Mapping[str, Any] | None) -> Any:
        if raw is None:
            return None
        checked = self.checked(raw)
        if checked.obj is None:
            raise StoreLookupError(f"{checked.ident} is not valid: {problems_text(checked)}")
        return checked.obj

    # --- reads --------------------------------------------------------------------------------

    def get_secret_store(self, namespace: str, name: str) -> SecretStore | None:
        found = self._usable(self.secret_stores.get(namespace, name))
        return found if isinstance(found, SecretStore) else None

    def get_cluster_secret_store(self, name: str) -> ClusterSecretStore | None:
        found = self._usable(self.cluster_secret_stores.get("", name))
        return found if isinstance(found, ClusterSecretStore) else None

    def get_generator(self, kind: str, namespace: str, name: str) -> Generator | None:
        informer = self.generators.get(kind)
        if informer is not None and not informer.served:
            raise StoreLookupError(
                f'could not get {kind} "{name}": {_unserved(kind, informer.api_version)}'
            )
        found = self._usable(informer.get(namespace, name) if informer else None)
        return found if isinstance(found, Generator) else None

    def get_secret(
        self, namespace: str, name: str, *, managed_only: bool = False
    ) -> SecretObject | None:
        raw = self.managed_secrets.get(namespace, name)
        if raw is None and managed_only:
            return None
        if raw is None:
            raw = self._read(namespace, name, "secret", self.core.read_namespaced_secret)
        if raw is None:
            return None
        return secret_from_dict(raw, namespace, name)[0]

    def list_secrets(self, namespace: str, labels: Mapping[str, str]) -> Sequence[SecretObject]:
        return [
            secret_from_dict(raw, namespace, str((raw.get("metadata") or {}).get("name")))[0]
            for raw in self.managed_secrets.matching(namespace, labels)
        ]

    def get_config_map(self, namespace: str, name: str) -> ConfigMapObject | None:
        # Not watched: a cluster's ConfigMaps are many and templates few; the engine reads each
        # one once a cycle (edits are picked up at the next refresh, as in ESO).
        raw = self._read(namespace, name, "configmap", self.core.read_namespaced_config_map)
        if raw is None:
            return None
        return config_map_from_dict(raw, namespace, name)

    def get_service_account(self, namespace: str, name: str) -> ServiceAccountObject | None:
        raw = self._read(
            namespace, name, "serviceaccount", self.core.read_namespaced_service_account
        )
        if raw is None:
            return None
        meta = raw.get("metadata") or {}
        return ServiceAccountObject(
            namespace, name, str_map(meta.get("annotations")), meta.get("uid")
        )

    def _read(
        self, namespace: str, name: str, kind: str, read: Callable[..., Any]
    ) -> dict[str, Any] | None:
        """One namespaced object read from the API server (not from a watch); ``None`` when it
        does not exist."""
        try:
            raw: dict[str, Any] = api_call(f"read {kind} {namespace}/{name}", read, name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise ClusterError(
                f"could not read {kind} {namespace}/{name}: {api_message(exc)}"
            ) from None
        return raw

    def get_namespace(self, name: str) -> NamespaceObject | None:
        raw = self.namespaces.get("", name)
        if raw is None:
            return None
        return NamespaceObject(name, str_map((raw.get("metadata") or {}).get("labels")))

    def request_token(
        self, namespace: str, name: str, audiences: Sequence[str], expiration_seconds: int
    ) -> ServiceAccountToken:
        body = {"spec": {"audiences": list(audiences), "expirationSeconds": expiration_seconds}}
        self.token_requests += 1
        try:
            answer = api_call(
                f"request a token for serviceaccount {namespace}/{name}",
                self.core.create_namespaced_service_account_token,
                name,
                namespace,
                body,
            )
        except ApiException as exc:
            raise ClusterError(api_message(exc)) from None
        status = answer.get("status") or {}
        expires = parse_rfc3339(status.get("expirationTimestamp"))
        if expires is None:
            raise ClusterError("the TokenRequest answer has no expirationTimestamp")
        return ServiceAccountToken(str(status["token"]), expires)

    # --- writes -------------------------------------------------------------------------------

    def create_secret(
        self, secret: SecretObject, field_manager: str, owned_keys: frozenset[str]
    ) -> SecretObject:
        body = secret_to_dict(secret)
        body["metadata"].pop("resourceVersion", None)
        self._fence(f"create secret {secret.namespace}/{secret.name}")
        try:
            answer = api_call(
                f"create secret {secret.namespace}/{secret.name}",
                self.core.create_namespaced_secret,
                secret.namespace,
                body,
                field_manager=field_manager,
            )
        except ApiException as exc:
            raise self._write_error("secret", exc) from None
        return self._stored(answer, secret)

    def update_secret(
        self, secret: SecretObject, field_manager: str, owned_keys: frozenset[str]
    ) -> SecretObject:
        self._fence(f"update secret {secret.namespace}/{secret.name}")
        try:
            answer = api_call(
                f"update secret {secret.namespace}/{secret.name}",
                self.core.replace_namespaced_secret,
                secret.name,
                secret.namespace,
                secret_to_dict(secret),
                field_manager=field_manager,
            )
        except ApiException as exc:
            if exc.status == 409:
                self._refresh_secret(secret.namespace, secret.name)
            raise self._write_error("secret", exc) from None
        return self._stored(answer, secret)

    def _refresh_secret(self, namespace: str, name: str) -> None:
        """After a conflict: the cache of managed Secrets held an older version than the API
        server (the watch had not delivered an edit yet, or was down), and the engine's next
        attempt reads the cache; read the Secret now so that attempt writes over what is there
        (a write the watch would also deliver, just later)."""
        try:
            raw = self._read(namespace, name, "secret", self.core.read_namespaced_secret)
        except ExtSecretsError:
            return  # the next attempt fails as this one did, and is retried later
        labels = ((raw or {}).get("metadata") or {}).get("labels") or {}
        if raw is not None and labels.get(MANAGED_LABEL) == "true":
            self.managed_secrets.put(raw)
        else:
            self.managed_secrets.forget(namespace, name)

    def _fence(self, what: str) -> None:
        """Refuse a write this process may no longer make (another replica leads now)."""
        if not self.may_write():
            raise ClusterUnavailableError(
                f"could not {what}: this replica does not hold the leader lease"
            )

    def _write_error(self, what: str, exc: ApiException) -> ExtSecretsError:
        if exc.status == 409:
            with self._conflicts_lock:
                self.conflicts[what] += 1
        return _write_error(exc)

    def _stored(self, answer: dict[str, Any], secret: SecretObject) -> SecretObject:
        if (answer.get("metadata") or {}).get("labels", {}).get(MANAGED_LABEL) == "true":
            self.managed_secrets.put(answer)
        return secret_from_dict(answer, secret.namespace, secret.name)[0]

    def delete_secret(self, namespace: str, name: str, resource_version: str | None) -> None:
        options: dict[str, Any] = {}
        if resource_version:
            options["preconditions"] = {"resourceVersion": resource_version}
        self._fence(f"delete secret {namespace}/{name}")
        try:
            api_call(
                f"delete secret {namespace}/{name}",
                self.core.delete_namespaced_secret,
                name,
                namespace,
                body=options,
            )
        except ApiException as exc:
            if exc.status == 404:
                return
            raise self._write_error("secret", exc) from None
        self.managed_secrets.forget(namespace, name)

    def write_status(self, es: ExternalSecret, status: ExternalSecretStatus) -> None:
        self.patch_external_secret_status(
            {"namespace": es.metadata.namespace or "default", "name": es.metadata.name}, status
        )

    def patch_external_secret_status(
        self, meta: Mapping[str, Any], status: ExternalSecretStatus
    ) -> None:
        """Write ``status`` through the status subresource of the ExternalSecret ``meta`` names."""
        namespace, name = meta.get("namespace"), meta.get("name")
        self._fence(f"write the status of ExternalSecret {namespace}/{name}")
        try:
            answer = api_call(
                f"write the status of ExternalSecret {namespace}/{name}",
                self.custom.patch_namespaced_custom_object_status,
                ESO_GROUP,
                ESO_VERSION,
                namespace,
                "externalsecrets",
                name,
                {"status": to_wire(status)},
            )
        except ApiException as exc:
            if exc.status == 404:
                return  # deleted meanwhile
            raise ClusterError(f"could not write status: {api_message(exc)}") from None
        self.external_secrets.put(answer)

    def write_store_status(
        self, store: SecretStore | ClusterSecretStore, status: StoreStatus
    ) -> None:
        wire = {
            "conditions": to_wire(ExternalSecretStatus(status.conditions))["conditions"],
            "capabilities": status.capabilities,
        }
        where = _where(store.metadata.namespace, store.metadata.name)
        what = f"write the status of {store.kind} {where}"
        self._fence(what)
        try:
            if isinstance(store, SecretStore):
                answer = api_call(
                    what,
                    self.custom.patch_namespaced_custom_object_status,
                    ESO_GROUP,
                    ESO_VERSION,
                    store.metadata.namespace or "default",
                    "secretstores",
                    store.metadata.name,
                    {"status": wire},
                )
                self.secret_stores.put(answer)
            else:
                answer = api_call(
                    what,
                    self.custom.patch_cluster_custom_object_status,
                    ESO_GROUP,
                    ESO_VERSION,
                    "clustersecretstores",
                    store.metadata.name,
                    {"status": wire},
                )
                self.cluster_secret_stores.put(answer)
        except ApiException as exc:
            if exc.status != 404:
                raise ClusterError(f"could not write status: {api_message(exc)}") from None

    def informer_for(self, kind: str) -> Informer | None:
        """The cache of ``kind`` (an ESO kind or a generator kind)."""
        known = {
            "ExternalSecret": self.external_secrets,
            "SecretStore": self.secret_stores,
            "ClusterSecretStore": self.cluster_secret_stores,
        }
        return known.get(kind) or self.generators.get(kind)

    def write_ready(self, raw: Mapping[str, Any], ready: Condition) -> bool:
        """Set the ``Ready`` condition of a store or generator as read (it may fail admission:
        there is no model of it to hand over), keeping its other conditions. Returns ``False``
        when the object has no status to write (gone, or a CRD without a status subresource,
        as ESO's generator CRDs are)."""
        kind = str(raw.get("kind"))
        meta = raw.get("metadata") or {}
        namespace, name = meta.get("namespace"), str(meta.get("name"))
        group, _, version = str(raw.get("apiVersion")).rpartition("/")
        status = raw.get("status") if isinstance(raw.get("status"), Mapping) else {}
        others = [
            c
            for c in (status or {}).get("conditions") or []
            if isinstance(c, Mapping) and c.get("type") != "Ready"
        ]
        wire = to_wire(ExternalSecretStatus((ready,)))["conditions"]
        body = {"status": {"conditions": [*others, *wire]}}
        what = f"write the status of {kind} {_where(namespace, name)}"
        plural = kind.lower() + "s"
        self._fence(what)
        try:
            if namespace:
                answer = api_call(
                    what,
                    self.custom.patch_namespaced_custom_object_status,
                    group,
                    version,
                    namespace,
                    plural,
                    name,
                    body,
                )
            else:
                answer = api_call(
                    what,
                    self.custom.patch_cluster_custom_object_status,
                    group,
                    version,
                    plural,
                    name,
                    body,
                )
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise ClusterError(f"could not {what}: {api_message(exc)}") from None
        informer = self.informer_for(kind)
        if informer is not None:
            informer.put(answer)
        return True

    def record_event(
        self, regarding: ObjectRef, type: EventType, reason: str, message: str
    ) -> None:
        now = rfc3339(dt.datetime.now(dt.UTC))
        namespace = regarding.namespace or "default"
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{regarding.name}.", "namespace": namespace},
            "involvedObject": {
                "apiVersion": regarding.api_version,
                "kind": regarding.kind,
                "name": regarding.name,
                "namespace": regarding.namespace,
                "uid": regarding.uid,
            },
            "reason": reason,
            "message": message[:1024],
            "type": type,
            "source": {"component": COMPONENT},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "reportingComponent": COMPONENT,
        }
        self.events.record(namespace, body)

    def _create_event(self, namespace: str, body: Mapping[str, Any]) -> str | None:
        """Create an Event; its name, ``None`` when it could not be created."""
        answer = self._event_call(self.core.create_namespaced_event, namespace, body)
        if not isinstance(answer, Mapping):
            return None
        return str((answer.get("metadata") or {}).get("name") or "") or None

    def _patch_event(self, namespace: str, name: str, patch: Mapping[str, Any]) -> bool | None:
        """Count a repeat on the Event ``name`` (as client-go, a strategic merge patch of
        ``count`` and ``lastTimestamp``): ``True`` done, ``False`` no such Event (expired),
        ``None`` failed."""
        answer = self._event_call(
            self.core.patch_namespaced_event,
            name,
            namespace,
            dict(patch),
            _content_type="application/strategic-merge-patch+json",
        )
        return None if answer is None else answer is not _GONE

    def _event_call(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """The answer of an Events API call; :data:`_GONE` for a 404, ``None`` when it
        failed (said once for an outage, not once per event)."""
        try:
            answer = api_call("record an event", call, *args, **kwargs)
        except ApiException as exc:
            if exc.status == 404:
                return _GONE
            log.warning("event not recorded: %s", api_message(exc))
            return None
        except ClusterUnavailableError as exc:
            self._event_outage.failed(exc)
            return None
        self._event_outage.succeeded()
        return answer

    # --- finalizers -----------------------------------------------------------------------------

    def set_finalizers(self, raw: Mapping[str, Any], finalizers: Sequence[str]) -> None:
        """Replace an ExternalSecret's finalizers (optimistic: fails if it changed)."""
        meta = raw.get("metadata") or {}
        patch = {
            "metadata": {
                "finalizers": list(finalizers),
                "resourceVersion": meta.get("resourceVersion"),
            }
        }
        namespace, name = meta.get("namespace"), meta.get("name")
        self._fence(f"update the finalizers of ExternalSecret {namespace}/{name}")
        try:
            answer = api_call(
                f"update the finalizers of ExternalSecret {namespace}/{name}",
                self.custom.patch_namespaced_custom_object,
                ESO_GROUP,
                ESO_VERSION,
                namespace,
                "externalsecrets",
                name,
                patch,
            )
        except ApiException as exc:
            if exc.status == 404:
                return
            raise self._write_error("finalizers", exc) from None
        self.external_secrets.put(answer)


def _unserved(kind: str, api_version: str) -> str:
    """What a generator kind the API server does not serve means."""
    plural, group = kind.lower() + "s", api_version.partition("/")[0]
    return (
        f"the API server does not serve {kind} ({api_version}): "
        f"is its CRD {plural}.{group} installed?"
    )


def _where(namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


def _write_error(exc: ApiException) -> ExtSecretsError:
    message = api_message(exc)
    if exc.status in (409,):
        return ConflictError(message)
    return ClusterError(message)
