"""The cluster port and its objects; adapters live in submodules (``local``, later ``kube``)."""

from extsecrets.cluster.objects import (
    Condition,
    ConfigMapObject,
    EventType,
    ExternalSecretStatus,
    NamespaceObject,
    ObjectRef,
    OwnerReference,
    RecordedEvent,
    SecretData,
    SecretObject,
    ServiceAccountObject,
    ServiceAccountToken,
    StoreStatus,
)
from extsecrets.cluster.port import Cluster, ClusterError, ConflictError, StoreLookupError

__all__ = [
    "Cluster",
    "ClusterError",
    "ConfigMapObject",
    "Condition",
    "ConflictError",
    "EventType",
    "ExternalSecretStatus",
    "NamespaceObject",
    "ObjectRef",
    "OwnerReference",
    "RecordedEvent",
    "SecretData",
    "SecretObject",
    "ServiceAccountObject",
    "ServiceAccountToken",
    "StoreLookupError",
    "StoreStatus",
]
