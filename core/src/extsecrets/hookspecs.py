"""The plugin contract: every hook a plugin may implement.

A plugin is a module (the value of its entry point in the group ``extsecrets``) holding functions
decorated with :data:`extsecrets.hookimpl` and named after the hooks below. As with pytest, an
implementation may accept any subset of a hook's parameters, by name; new parameters can be added
to a hook later without breaking existing plugins.

Two calling styles exist:

**collected** hooks are called on every active plugin and the core combines the results
(``extsecrets_register``, ``extsecrets_session_tags``).

**routed** hooks are called on exactly one plugin: the one whose registration claimed the name
being served (a provider and service, a generator kind, an auth scheme). A plugin never has to
check "is this mine?"; if it is called, it is. Routed hooks return their answer directly; an
unexpected exception is reported as a :class:`~extsecrets.errors.PluginError` that fails only the
ExternalSecret being served.

A complete minimal plugin, serving ``spec.provider.inline`` from values written in the store::

    # my_plugin/plugin.py, found through this entry point in my_plugin's pyproject.toml:
    #   [project.entry-points.extsecrets]
    #   inline = "my_plugin.plugin"
    import attrs
    import extsecrets
    from extsecrets.types import (
        FrozenMap, ProviderService, Registration, RemoteRef, SecretBytes, StoreView,
    )

    @attrs.frozen
    class InlineProvider:              # structured from spec.provider.inline, strictly
        values: FrozenMap = FrozenMap()

    @extsecrets.hookimpl
    def extsecrets_register() -> Registration:  # type: ignore[empty-body]
        return Registration(
            providers=[ProviderService(provider="inline", config_type=InlineProvider)]
        )

    @extsecrets.hookimpl
    def extsecrets_fetch(store: StoreView, refs):
        config: InlineProvider = store.config
        answers = {}
        for ref in refs:
            if isinstance(ref, RemoteRef) and ref.key in config.values:
                answers[ref] = SecretBytes(config.values[ref.key].encode())
            else:
                answers[ref] = extsecrets.NotFoundError()
        return answers

A config type may also define ``admission_problems(self, context)`` returning
:class:`extsecrets.model.Problem` items: the extra admission rules of the plugin, run by
``extsecrets validate`` and by the operator before a store is used (see :mod:`extsecrets.model`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pluggy

from extsecrets.types import (
    Credentials,
    FetchOutcome,
    FetchRef,
    Generated,
    GeneratorView,
    Registration,
    StoreView,
)

PROJECT = "extsecrets"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def extsecrets_register() -> Registration:  # type: ignore[empty-body]
    """Say what this plugin serves. **Collected**, once per process, when the plugin is loaded.

    Return a :class:`~extsecrets.types.Registration` listing:

    - ``providers``: :class:`~extsecrets.types.ProviderService` items. ``provider`` is the key
      under a store's ``spec.provider`` (``aws``); ``service`` the value of that block's
      ``service`` field that selects this plugin (``SecretsManager``), or ``None`` to claim the
      whole provider; ``config_type`` the attrs class the block is structured into (strictly:
      camelCase keys, unknown keys rejected); ``auth`` the auth scheme that authenticates for it.
    - ``generators``: :class:`~extsecrets.types.GeneratorKind` items (``kind``, ``api_version``,
      the ``config_type`` of the object's ``spec``, ``auth``).
    - ``auth_schemes``: :class:`~extsecrets.types.AuthScheme` names this plugin authenticates
      for; providers and generators of any plugin may name them.

    Two plugins claiming the same provider and service, generator kind or auth scheme is a
    loading error that names both distributions.
    """


@hookspec(firstresult=True)
def extsecrets_credentials_key(
    subject: StoreView | GeneratorView,
    namespace: str,
    cluster: Any,
    session_tags: Mapping[str, str],
) -> Hashable | None:
    """Key under which credentials for this request may be cached. **Routed** by auth scheme.

    :param subject: the store (or generator) that needs credentials; ``subject.config`` is the
        structured config of its provider or generator.
    :param namespace: namespace of the ExternalSecret being served (for referent auth and
        tags); ``""`` when a ClusterSecretStore is validated on its own. Raise
        :class:`~extsecrets.errors.ReferentAuthError` when the credentials cannot be known
        without an ExternalSecret's namespace.
    :param cluster: the cluster port, to read the Kubernetes objects the key depends on.
    :param session_tags: tags contributed by plugins through ``extsecrets_session_tags``,
        already merged; the auth plugin decides whether and how to send them.

    Return everything that shapes the credentials (method, referenced Secrets' resourceVersions,
    service account, role chain, tags, region, endpoint). The core caches the result of
    ``extsecrets_authenticate`` under it until shortly before ``Credentials.expires_at``. ``None``
    (or no implementation) disables the cache for this scheme.
    """


@hookspec(firstresult=True)
def extsecrets_authenticate(  # type: ignore[empty-body]
    subject: StoreView | GeneratorView,
    namespace: str,
    cluster: Any,
    session_tags: Mapping[str, str],
) -> Credentials:
    """Turn a store's (or generator's) auth spec into credentials. **Routed** by auth scheme.

    :param subject: as for :func:`extsecrets_credentials_key`.
    :param namespace: namespace of the ExternalSecret being served (``""``: see above).
    :param cluster: the cluster port: reads Secrets and ServiceAccounts, requests tokens.
    :param session_tags: as for :func:`extsecrets_credentials_key`.

    Raise :class:`~extsecrets.errors.AuthError` (or another error of the hierarchy) with a
    sanitised message when credentials cannot be had.
    """


@hookspec(firstresult=True)
def extsecrets_fetch(  # type: ignore[empty-body]
    store: StoreView, credentials: Credentials | None, refs: Sequence[FetchRef]
) -> Mapping[FetchRef, FetchOutcome]:
    """Read a batch of remote references from one store. **Routed** by provider and service.

    :param store: the store; ``store.config`` is this plugin's config type.
    :param credentials: what the store's auth scheme returned (``None`` without a scheme).
    :param refs: every distinct reference of this cycle for this store and credentials,
        deduplicated across ExternalSecrets: :class:`~extsecrets.types.RemoteRef` (one value),
        :class:`~extsecrets.types.ExtractRef` (a JSON object to spread),
        :class:`~extsecrets.types.FindRef` (a query). Use batch APIs where the backend has them.

    Return one outcome per ref: ``SecretBytes`` for a ``RemoteRef``, ``SecretMap`` for an
    ``ExtractRef`` or ``FindRef``, or an error instance (``NotFoundError`` for a secret that does
    not exist) for that ref alone. Raise only when the whole batch failed.
    """


@hookspec(firstresult=True)
def extsecrets_generate(  # type: ignore[empty-body]
    generator: GeneratorView, credentials: Credentials | None, cluster: Any
) -> Generated:
    """Produce fresh values for a generator object. **Routed** by generator kind.

    :param generator: the generator object; ``generator.config`` is this plugin's config type
        and ``generator.namespace`` the namespace of the calling ExternalSecret.
    :param credentials: what the generator's auth scheme returned (``None`` without a scheme).
    :param cluster: the cluster port.

    ``Generated.expires_at`` makes the engine refresh the Secret before the values expire.
    """


@hookspec
def extsecrets_session_tags(
    subject: StoreView | GeneratorView, namespace: str
) -> Mapping[str, str] | None:
    """Contribute session tags describing who asks. **Collected** from every active plugin.

    :param subject: the store (or generator) credentials are being built for.
    :param namespace: namespace of the ExternalSecret being served.

    Return tags to add, or ``None``. Contributions are merged in entry-point name order (a later
    plugin wins a key clash) and handed to the auth plugin (``session_tags``), which applies its
    built-in tags last, so no plugin can override them.
    """


@hookspec
def extsecrets_api_calls() -> Mapping[tuple[str, str, str], int] | None:
    """How many calls this plugin made to its backend so far. **Collected**.

    Return cumulative counts keyed by ``(provider, call, status)``, for example
    ``("AWS/SecretsManager", "BatchGetSecretValue", "success")``. The operator exports the sum
    over plugins as ESO's ``externalsecret_provider_api_calls_count`` metric.
    """


@hookspec
def extsecrets_batch_fallbacks() -> Mapping[tuple[str, str], int] | None:
    """How often this plugin gave up a batch call for one-by-one reads. **Collected**.

    Return cumulative counts keyed by ``(provider, call)``, ``call`` being the batch call given
    up, for example ``("AWS/SecretsManager", "BatchGetSecretValue")`` when an identity is denied
    it. The operator exports the sum over plugins as
    ``extsecrets_provider_batch_fallbacks_total``.
    """
