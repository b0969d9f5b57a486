"""Which store an entry reads from (spec §6.2), with ESO's error texts.

``sourceRef.storeRef`` overrides ``spec.secretStoreRef``; a SecretStore is looked up in the
ExternalSecret's namespace; a ClusterSecretStore must admit that namespace through
``spec.conditions`` (any condition, any of its parts: a label selector on the Namespace, a
namespace name, or an unanchored RE2 search on the name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from extsecrets.cluster.objects import StoreStatus
from extsecrets.cluster.port import Cluster, StoreLookupError
from extsecrets.errors import ConfigError, ExtSecretsError
from extsecrets.model import ClusterSecretStore, Duration, FieldError, SecretStore
from extsecrets.model.external_secret import SecretStoreRef
from extsecrets.model.meta import LabelSelector
from extsecrets.model.store import ClusterSecretStoreCondition
from extsecrets.regex import RegexError, compile_user_regex
from extsecrets.sync.status import parse_status
from extsecrets.types import RetrySettings, StoreView

__all__ = ["NAMESPACE_NAME_LABEL", "StoreResolver", "selector_matches", "store_view"]

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
_RESOURCE = {
    "SecretStore": "secretstores.external-secrets.io",
    "ClusterSecretStore": "clustersecretstores.external-secrets.io",
}


def selector_matches(selector: LabelSelector, labels: Mapping[str, str]) -> bool:
    """``metav1.LabelSelector`` semantics; an empty selector matches everything."""
    if any(labels.get(k) != v for k, v in selector.match_labels.items()):
        return False
    for req in selector.match_expressions:
        present = req.key in labels
        if req.operator == "In" and not (present and labels[req.key] in req.values):
            return False
        if req.operator == "NotIn" and present and labels[req.key] in req.values:
            return False
        if req.operator == "Exists" and not present:
            return False
        if req.operator == "DoesNotExist" and present:
            return False
    return True


def _condition_admits(
    condition: ClusterSecretStoreCondition, namespace: str, labels: Mapping[str, str]
) -> bool:
    if condition.namespace_selector is not None and selector_matches(
        condition.namespace_selector, labels
    ):
        return True
    if any(labels.get(NAMESPACE_NAME_LABEL) == n for n in condition.namespaces):
        return True
    for pattern in condition.namespace_regexes:
        try:
            if compile_user_regex(pattern).search(namespace):
                return True
        except RegexError as exc:
            raise ConfigError(f"failed to compile regex {pattern}: {exc}") from None
    return False


def store_view(store: SecretStore | ClusterSecretStore) -> StoreView:
    """What the store's plugin is handed."""
    provider = store.spec.provider
    retry = store.spec.retry_settings
    interval: float | None = None
    if retry is not None and retry.retry_interval is not None:
        try:
            interval = Duration.parse(retry.retry_interval).seconds
        except FieldError as exc:  # admission refuses it; a store from elsewhere may not be
            raise ConfigError(
                f"unable to initialize {provider.name} provider: {exc.message}"
            ) from None
    view = StoreView(
        kind=store.kind,
        name=store.metadata.name,
        namespace=store.metadata.namespace if isinstance(store, SecretStore) else None,
        provider=provider.name,
        service=provider.service,
        config=provider.config,
        retry=RetrySettings(retry.max_retries, interval) if retry is not None else None,
    )
    try:
        hash(view)
    except TypeError:
        raise ConfigError(
            f"the config type of provider {provider.name} holds a mutable value (a list or a "
            "dict): plugin config types must use tuple and FrozenMap fields"
        ) from None
    return view


def parse_store_status(raw: Any) -> StoreStatus:
    """A store's status as read (a manifest mapping, or one the engine wrote)."""
    if isinstance(raw, StoreStatus):
        return raw
    return StoreStatus(parse_status(raw).conditions)


def _store_status_ready(store: SecretStore | ClusterSecretStore) -> bool | None:
    """The store's Ready condition as written by a store controller; ``None`` if it has none."""
    ready = parse_store_status(store.status).condition("Ready")
    return None if ready is None else ready.status == "True"


class StoreResolver:
    """Resolves store references for one sync cycle, each lookup done once."""

    def __init__(self, cluster: Cluster, *, controller_class: str = "", flood_gate: bool = True):
        self._cluster = cluster
        self._controller_class = controller_class
        self._flood_gate = flood_gate
        self._seen: dict[tuple[str, str, str], StoreView | ExtSecretsError] = {}

    def resolve(self, ref: SecretStoreRef, namespace: str) -> StoreView:
        """The store ``ref`` names, as used from ``namespace``; raises with ESO's texts."""
        key = (ref.kind, ref.name or "", namespace)
        if key not in self._seen:
            try:
                self._seen[key] = self._resolve(ref.kind, ref.name or "", namespace)
            except ExtSecretsError as exc:
                self._seen[key] = exc
        found = self._seen[key]
        if isinstance(found, ExtSecretsError):
            raise found
        return found

    def _resolve(self, kind: str, name: str, namespace: str) -> StoreView:
        store: SecretStore | ClusterSecretStore | None
        try:
            if kind == "ClusterSecretStore":
                store = self._cluster.get_cluster_secret_store(name)
            else:
                store = self._cluster.get_secret_store(namespace, name)
        except StoreLookupError as exc:
            raise ConfigError(f'could not get {kind} "{name}", {exc}') from None
        if store is None:
            raise ConfigError(
                f'could not get {kind} "{name}", {_RESOURCE[kind]} "{name}" not found'
            )
        if store.spec.controller not in ("", self._controller_class):
            raise ConfigError("can not reference unmanaged store")
        if isinstance(store, ClusterSecretStore) and store.spec.conditions:
            ns = self._cluster.get_namespace(namespace)
            if ns is None:
                raise ConfigError(f'failed to get a namespace "{namespace}": not found')
            if not any(_condition_admits(c, namespace, ns.labels) for c in store.spec.conditions):
                raise ConfigError(
                    f'using cluster store "{name}" is not allowed from namespace "{namespace}": '
                    "denied by spec.condition"
                )
        if self._flood_gate and _store_status_ready(store) is False:
            raise ConfigError(f'{kind} "{name}" is not ready')
        return store_view(store)
