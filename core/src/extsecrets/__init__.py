"""extsecrets: Kubernetes Secrets kept in sync with external secret stores, through plugins.

The public face for plugin authors: the hook marker, the types that cross the plugin boundary
and the error hierarchy. The contract itself is documented in :mod:`extsecrets.hookspecs`.
"""

from extsecrets.errors import (
    AuthError,
    ConfigError,
    ExtSecretsError,
    NotFoundError,
    PermanentError,
    PluginError,
    ReferentAuthError,
    TemporaryError,
)
from extsecrets.hookspecs import hookimpl
from extsecrets.types import (
    AuthScheme,
    Credentials,
    ExtractRef,
    FindRef,
    FrozenMap,
    Generated,
    GeneratorKind,
    GeneratorView,
    ProviderService,
    Registration,
    RemoteRef,
    SecretBytes,
    SecretMap,
    StoreView,
)

__version__ = "0.1.0"

__all__ = [
    "AuthError",
    "AuthScheme",
    "ConfigError",
    "Credentials",
    "ExtSecretsError",
    "ExtractRef",
    "FindRef",
    "FrozenMap",
    "Generated",
    "GeneratorKind",
    "GeneratorView",
    "NotFoundError",
    "PermanentError",
    "PluginError",
    "ProviderService",
    "ReferentAuthError",
    "Registration",
    "RemoteRef",
    "SecretBytes",
    "SecretMap",
    "StoreView",
    "TemporaryError",
    "hookimpl",
]
