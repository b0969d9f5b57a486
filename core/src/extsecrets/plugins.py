"""Finding, loading and calling plugins.

Plugins are found through entry points in the group ``extsecrets``; the core keeps no list of
them. They are loaded one at a time in name order; a plugin that fails to import, registers
something malformed or claims a name another plugin also claims is recorded as failed and left
out, and the rest keep working (``EXTSECRETS_STRICT_PLUGINS=1`` turns any such failure into an
error). ``EXTSECRETS_DISABLE_PLUGINS=name,...`` keeps plugins from being imported at all.

:class:`PluginHost` is the typed facade over pluggy: no other module touches ``pm.hook``.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import logging
import math
import os
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs
import pluggy

from extsecrets import errors, hookspecs
from extsecrets.errors import ConfigError, ExtSecretsError, PluginError, escape_controls
from extsecrets.types import (
    Credentials,
    FetchOutcome,
    FetchRef,
    Generated,
    GeneratorKind,
    GeneratorView,
    ProviderService,
    Registration,
    SecretBytes,
    SecretMap,
    StoreView,
    provider_label,
)

__all__ = [
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "MAX_ANSWER_BYTES",
    "STRICT_ENV",
    "PluginHost",
    "PluginInfo",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "extsecrets"
STRICT_ENV = "EXTSECRETS_STRICT_PLUGINS"
DISABLE_ENV = "EXTSECRETS_DISABLE_PLUGINS"

Status = Literal["active", "disabled", "failed"]

#: The most bytes one answer of a plugin may hold (a value, or the values of one map or of one
#: generator output together): twice what a Kubernetes Secret holds (1 MiB), so a base64 text
#: that decodes to a full Secret still passes. A larger answer is refused before the engine keeps
#: it: it fails the references that asked for it, and a plugin returning ever larger values
#: cannot make the operator hold them.
MAX_ANSWER_BYTES = 2 * 1024 * 1024


@attrs.frozen
class PluginInfo:
    """One plugin as ``extsecrets plugins`` shows it."""

    name: str
    distribution: str | None
    version: str | None
    status: Status
    reason: str | None = None
    registration: Registration = Registration()

    @property
    def label(self) -> str:
        return _plugin_label(self.name, self.distribution, self.version)

    def to_json(self) -> dict[str, Any]:
        reg = self.registration
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "status": self.status,
            "reason": self.reason,
            "serves": {
                "providers": [
                    {"provider": p.provider, "service": p.service, "auth": p.auth}
                    for p in reg.providers
                ],
                "generators": [
                    {"apiVersion": g.api_version, "kind": g.kind, "auth": g.auth}
                    for g in reg.generators
                ],
                "authSchemes": [a.name for a in reg.auth_schemes],
            },
        }


@attrs.frozen
class _Candidate:
    """A plugin that imported; it becomes active unless its registration is refused."""

    name: str
    obj: object
    distribution: str | None
    version: str | None


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> frozenset[str]:
    return frozenset(p.strip() for p in os.environ.get(name, "").split(",") if p.strip())


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class PluginHost:
    """The loaded plugins, what each serves, and typed calls into them.

    Build one with :meth:`load` (entry points) or :meth:`from_plugins` (objects in hand, for
    tests and embedding). Both go through the same registration checks.
    """

    def __init__(self) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._infos: dict[str, PluginInfo] = {}
        self._providers: dict[tuple[str, str | None], tuple[str, ProviderService]] = {}
        self._generators: dict[str, tuple[str, GeneratorKind]] = {}
        self._auth: dict[str, str] = {}
        self._callers: dict[tuple[str, str], Callable[..., Any]] = {}
        self._hooks: dict[str, frozenset[str]] = {}

    # --- building ---------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        *,
        strict: bool | None = None,
        disabled: Iterable[str] | None = None,
        entry_points: Iterable[importlib.metadata.EntryPoint] | None = None,
    ) -> PluginHost:
        """Load every plugin of the ``extsecrets`` entry-point group.

        ``strict`` and ``disabled`` default to ``EXTSECRETS_STRICT_PLUGINS`` and
        ``EXTSECRETS_DISABLE_PLUGINS``.
        """
        strict = _env_flag(STRICT_ENV) if strict is None else strict
        blocked = _env_list(DISABLE_ENV) if disabled is None else frozenset(disabled)
        if entry_points is None:
            entry_points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        host = cls()
        candidates: list[_Candidate] = []
        for ep in sorted(entry_points, key=lambda e: (e.name, e.value)):
            dist = getattr(ep, "dist", None)
            dist_name = dist.metadata["Name"] if dist is not None else None
            version = dist.version if dist is not None else None
            if ep.name in blocked:
                host._record(
                    PluginInfo(ep.name, dist_name, version, "disabled", f"listed in {DISABLE_ENV}")
                )
                continue
            if ep.name in host._infos or any(c.name == ep.name for c in candidates):
                host._fail(
                    PluginInfo(ep.name, dist_name, version, "failed"),
                    f"entry point name {ep.name!r} is used by more than one distribution",
                    strict,
                )
                continue
            try:
                obj = ep.load()
            except Exception as exc:
                host._fail(
                    PluginInfo(ep.name, dist_name, version, "failed"),
                    f"import failed: {_describe(exc)}",
                    strict,
                )
                continue
            candidates.append(_Candidate(ep.name, obj, dist_name, version))
        host._activate(candidates, strict)
        return host

    @classmethod
    def from_plugins(cls, plugins: Mapping[str, object], *, strict: bool = True) -> PluginHost:
        """Build a host from plugin objects (modules or instances) keyed by name."""
        host = cls()
        host._activate(
            [_Candidate(name, obj, None, None) for name, obj in sorted(plugins.items())], strict
        )
        return host

    def _record(self, info: PluginInfo) -> None:
        self._infos[info.name] = info

    def _fail(self, info: PluginInfo, reason: str, strict: bool) -> None:
        failed = attrs.evolve(info, status="failed", reason=reason)
        self._record(failed)
        log.warning("plugin %s not loaded: %s", failed.label, reason)
        if strict:
            raise PluginError(f"plugin {failed.label} failed: {reason}", plugin=info.name)

    def _activate(self, candidates: Sequence[_Candidate], strict: bool) -> None:
        registered: list[tuple[_Candidate, Registration]] = []
        for cand in candidates:
            info = PluginInfo(cand.name, cand.distribution, cand.version, "failed")
            try:
                self._pm.register(cand.obj, name=cand.name)
                registration = self._registration_of(cand.name)
            except Exception as exc:
                if self._pm.is_registered(cand.obj):
                    self._pm.unregister(cand.obj)
                self._fail(info, f"registration failed: {_describe(exc)}", strict)
                continue
            registered.append((cand, registration))

        # A contested name is served by nobody: which plugin should win is the user's choice
        # (disable one), never an accident of alphabetical order.
        losers = _conflicts(registered)

        for cand, reg in registered:
            info = PluginInfo(
                cand.name, cand.distribution, cand.version, "active", registration=reg
            )
            if cand.name in losers:
                self._pm.unregister(cand.obj)
                hint = f"; disable one of them with {DISABLE_ENV}"
                self._fail(info, "; ".join(sorted(set(losers[cand.name]))) + hint, strict)
                continue
            self._record(info)
            for p in reg.providers:
                self._providers[(p.provider, p.service)] = (cand.name, p)
            for g in reg.generators:
                self._generators[g.kind] = (cand.name, g)
            for a in reg.auth_schemes:
                self._auth[a.name] = cand.name
        # Callers made while plugins were still coming and going would route to the wrong set.
        # Build them all now: later calls only read this map, from any worker thread.
        self._callers.clear()
        for name in self._infos:
            if self._infos[name].status == "active":
                for hook in self._hooks[name]:
                    self._caller(hook, name)

    def _registration_of(self, name: str) -> Registration:
        plugin = self._pm.get_plugin(name)
        marked = {n for n in dir(plugin) if self._pm.parse_hookimpl_opts(plugin, n) is not None}
        unknown = sorted(n for n in marked if not hasattr(hookspecs, n))
        if unknown:
            raise PluginError(f"unknown hook(s): {', '.join(unknown)}")
        unmarked = sorted(
            n
            for n in dir(plugin)
            if n.startswith("extsecrets_") and hasattr(hookspecs, n) and n not in marked
        )
        if unmarked:
            raise PluginError(f"{', '.join(unmarked)} not decorated with @extsecrets.hookimpl")
        if "extsecrets_register" not in marked:
            raise PluginError("it does not implement extsecrets_register")
        self._hooks[name] = frozenset(marked)
        results = self._caller("extsecrets_register", name)()
        reg = results[0] if len(results) == 1 else results
        if not isinstance(reg, Registration):
            raise PluginError(
                f"extsecrets_register returned {type(reg).__name__}, expected Registration"
            )
        for config_type in [p.config_type for p in reg.providers] + [
            g.config_type for g in reg.generators
        ]:
            if not attrs.has(config_type):
                raise PluginError(f"config_type {config_type!r} is not an attrs class")
            if getattr(config_type, "__hash__", None) is None:
                # the engine keys its batches and caches by store config
                raise PluginError(
                    f"config_type {config_type!r} is not hashable: declare it @attrs.frozen"
                )
        return reg

    def _caller(self, hook: str, plugin_name: str) -> Callable[..., Any]:
        key = (hook, plugin_name)
        caller = self._callers.get(key)
        if caller is None:
            keep = self._pm.get_plugin(plugin_name)
            others = [p for p in self._pm.get_plugins() if p is not keep]
            caller = self._pm.subset_hook_caller(hook, remove_plugins=others)
            self._callers[key] = caller
        return caller

    # --- what is installed --------------------------------------------------------------------

    @property
    def plugins(self) -> tuple[PluginInfo, ...]:
        """Every plugin seen, in name order, whatever its status."""
        return tuple(self._infos[n] for n in sorted(self._infos))

    def provider_claims(self, provider: str) -> list[ProviderService]:
        """Every active registration for ``spec.provider.<provider>``, in service order."""
        found = [p for (name, _), (_, p) in self._providers.items() if name == provider]
        return sorted(found, key=lambda p: p.service or "")

    def _lookup_provider(
        self, provider: str, service: str | None
    ) -> tuple[str, ProviderService] | None:
        """(plugin name, claim) serving this provider and service: exact, else whole provider."""
        return self._providers.get((provider, service)) or self._providers.get((provider, None))

    def provider(self, provider: str, service: str | None) -> ProviderService | None:
        """The registration serving this provider and service, if one is active."""
        hit = self._lookup_provider(provider, service)
        return hit[1] if hit else None

    def generator(self, kind: str) -> GeneratorKind | None:
        hit = self._generators.get(kind)
        return hit[1] if hit else None

    def describe_providers(self) -> str:
        """``aws/ParameterStore (extsecrets-aws-ssm), ...``: for "not installed" errors."""
        items = sorted(
            f"{p.label} ({self._infos[n].distribution or n})" for n, p in self._providers.values()
        )
        return ", ".join(items) or "none"

    def describe_generators(self) -> str:
        items = sorted(
            f"{g.kind} ({self._infos[n].distribution or n})" for n, g in self._generators.values()
        )
        return ", ".join(items) or "none"

    # --- routed calls ---------------------------------------------------------------------------

    def _provider_hit(self, store: StoreView) -> tuple[str, ProviderService]:
        hit = self._lookup_provider(store.provider, store.service)
        if hit is None:
            raise ConfigError(
                f"no installed plugin serves provider "
                f"{provider_label(store.provider, store.service)}; "
                f"installed: {self.describe_providers()}"
            )
        return hit

    def _generator_hit(self, kind: str) -> tuple[str, GeneratorKind]:
        hit = self._generators.get(kind)
        if hit is None:
            raise ConfigError(
                f"no installed plugin serves generator kind {kind}; "
                f"installed: {self.describe_generators()}"
            )
        return hit

    def _route_auth(self, subject: StoreView | GeneratorView) -> str | None:
        if isinstance(subject, StoreView):
            scheme = self._provider_hit(subject)[1].auth
        else:
            scheme = self._generator_hit(subject.kind)[1].auth
        if scheme is None:
            return None
        plugin = self._auth.get(scheme)
        if plugin is None:
            known = ", ".join(sorted(self._auth)) or "none"
            raise ConfigError(
                f"no installed plugin serves auth scheme {scheme}; installed: {known}"
            )
        return plugin

    def _call(
        self, hook: str, plugin: str, returns: tuple[type, ...] | None = None, **kwargs: Any
    ) -> Any:
        """Call ``hook`` on ``plugin`` only; check the result is one of ``returns``."""
        if hook not in self._hooks[plugin]:
            raise PluginError(
                f"plugin {self._infos[plugin].label} registered to serve this but does not "
                f"implement {hook}",
                plugin=plugin,
            )
        try:
            result = self._caller(hook, plugin)(**kwargs)
        except ExtSecretsError as exc:
            raise own_error(exc, plugin) from None
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # SystemExit too: a plugin does not end the operator
            # The message of an arbitrary exception may carry secret material (and reading it
            # may fail): name its type only, and keep neither it nor its frames.
            raise PluginError(
                f"plugin {plugin} failed in {hook}: {type_name(exc)}", plugin=plugin
            ) from None
        if returns is not None and not isinstance(result, returns):
            wanted = " or ".join(t.__name__ for t in returns)
            raise PluginError(
                f"plugin {plugin}: {hook} returned {type_name(result)}, expected {wanted}",
                plugin=plugin,
            )
        return result

    def credentials_key(
        self, subject: StoreView | GeneratorView, namespace: str, cluster: Any
    ) -> Hashable | None:
        """Cache key for the credentials of ``subject``; ``None``: do not cache."""
        plugin = self._route_auth(subject)
        if plugin is None or not hasattr(self._pm.get_plugin(plugin), "extsecrets_credentials_key"):
            return None
        key: Hashable | None = self._call(
            "extsecrets_credentials_key",
            plugin,
            subject=subject,
            namespace=namespace,
            cluster=cluster,
            session_tags=self._tags_for("extsecrets_credentials_key", plugin, subject, namespace),
        )
        try:
            hash(key)  # (here, on the plugin's time: the engine keys its caches by it)
        except Exception:
            raise PluginError(
                f"plugin {plugin}: extsecrets_credentials_key returned a key of type "
                f"{type_name(key)}, which is not hashable",
                plugin=plugin,
            ) from None
        return key

    def authenticate(
        self, subject: StoreView | GeneratorView, namespace: str, cluster: Any
    ) -> Credentials | None:
        """Credentials for ``subject``; ``None`` when its plugin names no auth scheme."""
        plugin = self._route_auth(subject)
        if plugin is None:
            return None
        creds: Credentials = self._call(
            "extsecrets_authenticate",
            plugin,
            (Credentials,),
            subject=subject,
            namespace=namespace,
            cluster=cluster,
            session_tags=self._tags_for("extsecrets_authenticate", plugin, subject, namespace),
        )
        return Credentials(
            creds.value,
            _expiry(creds.expires_at, plugin, "extsecrets_authenticate", "Credentials"),
        )

    def fetch(
        self, store: StoreView, credentials: Credentials | None, refs: Sequence[FetchRef]
    ) -> Mapping[FetchRef, FetchOutcome]:
        """One batched read for one store. Refs the plugin left unanswered come back as errors."""
        plugin = self._provider_hit(store)[0]
        answers: Mapping[FetchRef, object] = self._call(
            "extsecrets_fetch",
            plugin,
            (Mapping,),
            store=store,
            credentials=credentials,
            refs=list(refs),
        )
        missing = PluginError(f"plugin {plugin} gave no answer for this reference", plugin=plugin)
        try:
            # (on the calling worker: a mapping that hangs when read is timed out as a call)
            return {ref: _answer(answers.get(ref, missing), plugin) for ref in refs}
        except Exception:
            raise PluginError(
                f"plugin {plugin}: the answer of extsecrets_fetch could not be read "
                f"({type_name(answers)})",
                plugin=plugin,
            ) from None

    def generate(
        self, generator: GeneratorView, credentials: Credentials | None, cluster: Any
    ) -> Generated:
        """Fresh values from the plugin serving ``generator.kind``."""
        plugin = self._generator_hit(generator.kind)[0]
        out: Generated = self._call(
            "extsecrets_generate",
            plugin,
            (Generated,),
            generator=generator,
            credentials=credentials,
            cluster=cluster,
        )
        hook = "extsecrets_generate"
        try:
            data = _values(out.data, plugin, hook)
        except ExtSecretsError:
            raise
        except Exception:
            raise PluginError(
                f"plugin {plugin}: the data of what {hook} returned could not be read",
                plugin=plugin,
            ) from None
        return Generated(data, _expiry(out.expires_at, plugin, hook, "Generated"))

    # --- collected calls ------------------------------------------------------------------------

    def session_tags(
        self,
        subject: StoreView | GeneratorView,
        namespace: str,
        builtin: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """Tags from every plugin, merged in name order, then ``builtin`` applied last.

        A plugin whose contribution fails or is not a mapping of strings fails the whole
        request: credentials without the tags a plugin meant to add are not what was asked for.
        """
        merged: dict[str, str] = {}
        hook = "extsecrets_session_tags"
        for info in self.plugins:
            if info.status != "active" or hook not in self._hooks[info.name]:
                continue
            results = self._call(hook, info.name, subject=subject, namespace=namespace)
            part = results[0] if results else None
            if part is None:
                continue
            try:
                items = list(part.items()) if isinstance(part, Mapping) else None
            except Exception:
                items = None
            if items is None or not all(type(k) is str and type(v) is str for k, v in items):
                raise PluginError(
                    f"plugin {info.name}: {hook} returned {type_name(part)}, expected a "
                    "mapping of strings to strings",
                    plugin=info.name,
                )
            merged.update(items)
        merged.update(builtin or {})
        return merged

    def _tags_for(
        self, hook: str, plugin: str, subject: StoreView | GeneratorView, namespace: str
    ) -> dict[str, str]:
        """The session tags, when the ``hook`` implementation of ``plugin`` takes them: an
        auth plugin that does not use them does not fail because another plugin's
        contribution failed."""
        impls = getattr(self._pm.hook, hook).get_hookimpls()
        if not any(i.plugin_name == plugin and "session_tags" in i.argnames for i in impls):
            return {}
        return self.session_tags(subject, namespace)

    def api_calls(self) -> dict[tuple[str, str, str], int]:
        """Backend call counts from every plugin implementing ``extsecrets_api_calls``."""
        return self._counts("extsecrets_api_calls", 3)

    def batch_fallbacks(self) -> dict[tuple[str, str], int]:
        """Batch calls given up for one-by-one reads, from ``extsecrets_batch_fallbacks``."""
        return self._counts("extsecrets_batch_fallbacks", 2)

    def _counts(self, hook: str, arity: int) -> dict[Any, int]:
        """The sum, key by key, of a counting hook's answers over active plugins (a plugin
        that fails to answer is left out: metrics must not fail a scrape)."""
        total: dict[Any, int] = {}
        for info in self.plugins:
            if info.status != "active" or hook not in self._hooks[info.name]:
                continue
            try:
                results = self._call(hook, info.name)
                counts = _counts_of(results, arity)
            except ExtSecretsError:
                continue
            except Exception:
                log.warning(
                    "plugin %s: %s answered something unreadable; left out", info.name, hook
                )
                continue
            for key, count in counts.items():
                total[key] = total.get(key, 0) + count
        return total


def _plugin_label(name: str, distribution: str | None, version: str | None) -> str:
    """``distribution version (entry point name)``, as error messages name a plugin."""
    dist = f"{distribution} {version}" if distribution else "(no distribution)"
    return f"{dist} (entry point {name})"


def _conflicts(registered: Sequence[tuple[_Candidate, Registration]]) -> dict[str, list[str]]:
    """Plugin name -> why it may not serve: names it claims that another plugin claims too."""
    owners: dict[str, dict[str, _Candidate]] = {}
    for cand, reg in registered:
        for what in (
            *(f"provider {p.label}" for p in reg.providers),
            *(f"generator {g.kind}" for g in reg.generators),
            *(f"auth scheme {a.name}" for a in reg.auth_schemes),
        ):
            owners.setdefault(what, {})[cand.name] = cand
    # A claim of a whole provider collides with a claim of any one of its services.
    for cand, reg in registered:
        for provider in {p.provider for p in reg.providers if p.service is not None}:
            if f"provider {provider}" in owners:
                owners[f"provider {provider}"][cand.name] = cand
    reasons: dict[str, list[str]] = {}
    for what, cands in owners.items():
        for name, cand in cands.items():
            others = ", ".join(
                _plugin_label(o.name, o.distribution, o.version)
                for n, o in cands.items()
                if n != name
            )
            if others:
                reasons.setdefault(cand.name, []).append(f"{what} is also claimed by {others}")
    return reasons


# --- what plugins return, made safe to keep ---------------------------------------------------


def type_name(obj: object) -> str:
    """The name of ``obj``'s class for a message: read from the class itself (not through a
    metaclass, which could answer anything), on one line, at most 80 characters."""
    name = type.__dict__["__name__"].__get__(type(obj))
    return escape_controls(str.__str__(name)[:80])


#: the core's error classes an error of a plugin's own class is carried as (most specific first)
_CORE_ERRORS: tuple[type[ExtSecretsError], ...] = (
    errors.NotFoundError,
    errors.TemporaryError,
    errors.ReferentAuthError,
    errors.AuthError,
    errors.PermanentError,
    errors.ConfigError,
    errors.PluginError,
    ExtSecretsError,
)


def own_error(exc: ExtSecretsError, plugin: str) -> ExtSecretsError:
    """``exc`` as the core can keep it: an error of a class the core defines, whose text is a
    plain string. A plugin's own subclass (which may override ``__str__`` or ``__repr__``, to
    fail or to show more than it should) becomes its nearest class of the core, with the text
    it was given; an error whose text cannot be read says so."""
    try:
        message = exc.message
    except Exception:
        message = None
    cls = type(exc)
    if cls.__module__.partition(".")[0] == "extsecrets" and type(message) is str:
        return exc  # one of the core's (including the cluster adapter's), as it was made
    base = next(c for c in _CORE_ERRORS if isinstance(exc, c))
    if type(message) is not str:
        message = f"plugin {plugin} gave an error without a readable message ({type_name(exc)})"
    out = base.__new__(base)
    ExtSecretsError.__init__(out, message)
    if isinstance(out, errors.TemporaryError):
        out.retry_after = _retry_hint(exc)
    if isinstance(out, errors.ConfigError):
        out.path, out.reason = "", message
    if isinstance(out, errors.PluginError):
        out.plugin = plugin
    return out


def _retry_hint(exc: ExtSecretsError) -> float | None:
    hint = getattr(exc, "retry_after", None)
    if type(hint) not in (int, float) or not isinstance(hint, int | float):
        return None
    return float(hint) if math.isfinite(hint) and hint >= 0 else None


def _answer(answer: object, plugin: str) -> FetchOutcome:
    """One answer of ``extsecrets_fetch``, checked and rebuilt from plain values: what the
    engine keeps holds nothing of the plugin's own classes."""
    hook = "extsecrets_fetch"
    if isinstance(answer, ExtSecretsError):
        return own_error(answer, plugin)
    if isinstance(answer, SecretBytes):
        return _bytes(answer, plugin, hook)
    if isinstance(answer, SecretMap):
        try:
            return SecretMap(_values(answer, plugin, hook))
        except PluginError as exc:
            return exc
    if isinstance(answer, BaseException):
        return PluginError(
            f"plugin {plugin}: {hook} answered an exception ({type_name(answer)}) instead of "
            "raising it",
            plugin=plugin,
        )
    return PluginError(
        f"plugin {plugin}: {hook} answered {type_name(answer)}, expected SecretBytes, "
        "SecretMap or an error",
        plugin=plugin,
    )


def _bytes(value: SecretBytes, plugin: str, hook: str) -> SecretBytes | PluginError:
    raw = value.value
    if type(raw) is not bytes:
        return _wrong(plugin, hook, "a SecretBytes holding a value", raw, "bytes")
    if len(raw) > MAX_ANSWER_BYTES:
        return _too_big(len(raw), plugin, hook)
    return value if type(value) is SecretBytes else SecretBytes(raw)


def _wrong(plugin: str, hook: str, what: str, obj: object, expected: str) -> PluginError:
    return PluginError(
        f"plugin {plugin}: {hook} answered {what} of type {type_name(obj)}, expected {expected}",
        plugin=plugin,
    )


def _too_big(size: int, plugin: str, hook: str) -> PluginError:
    return PluginError(
        f"plugin {plugin}: {hook} answered {size} bytes, more than the {MAX_ANSWER_BYTES} "
        "an answer may hold",
        plugin=plugin,
    )


def _values(data: object, plugin: str, hook: str) -> dict[str, SecretBytes]:
    """A map of named values, checked (string keys, ``SecretBytes`` of bytes, at most
    :data:`MAX_ANSWER_BYTES` together) and copied; raises :class:`PluginError` otherwise."""
    if not isinstance(data, Mapping):
        raise _wrong(plugin, hook, "a map", data, "a mapping")
    out: dict[str, SecretBytes] = {}
    size = 0
    for key, value in data.items():
        if type(key) is not str:
            raise _wrong(plugin, hook, "a map with a key", key, "str")
        if not isinstance(value, SecretBytes):
            raise _wrong(plugin, hook, "a map holding a value", value, "SecretBytes")
        checked = _bytes(value, plugin, hook)
        if isinstance(checked, PluginError):
            raise checked
        size += len(checked.value)
        if size > MAX_ANSWER_BYTES:
            raise _too_big(size, plugin, hook)
        out[key] = checked
    return out


def _expiry(value: object, plugin: str, hook: str, what: str) -> dt.datetime | None:
    """An expiry a plugin gave: ``None`` or an aware datetime (returned in UTC)."""
    if value is None:
        return None
    if type(value) is dt.datetime:
        try:
            if value.utcoffset() is not None:
                return value.astimezone(dt.UTC)
        except Exception:
            pass
    raise PluginError(
        f"plugin {plugin}: {hook} returned a {what} whose expires_at is a "
        f"{'naive datetime' if type(value) is dt.datetime else type_name(value)}, "
        "expected an aware datetime or None",
        plugin=plugin,
    )


def _counts_of(results: object, arity: int) -> dict[Any, int]:
    """The counts of a counting hook's answers; entries that are not (``arity`` strings,
    whole number) are left out."""
    total: dict[Any, int] = {}
    for part in results if isinstance(results, list) else ():
        if not isinstance(part, Mapping):
            continue
        for key, count in part.items():
            if not (
                type(key) is tuple
                and len(key) == arity
                and all(type(k) is str for k in key)
                and type(count) is int
                and count >= 0
            ):
                continue
            total[key] = total.get(key, 0) + count
    return total
