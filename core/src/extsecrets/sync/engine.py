"""The sync engine: ExternalSecrets in, Secrets, statuses and events out (spec §6).

One call to :meth:`Engine.sync` is one cycle over every ExternalSecret that is due:

1. plan: each ExternalSecret's entries, in ESO's order (``dataFrom`` then ``data``), with the
   store each one reads (:mod:`extsecrets.sync.stores`);
2. credentials: one credentials key per (store, namespace) from the auth plugin, then one
   authentication per distinct key, reused across cycles (:mod:`extsecrets.sync.credentials`);
3. fetch: every reference of the cycle grouped by (store, credentials) and deduplicated: one
   fetch call per group, however many ExternalSecrets share the references;
4. generators, one call per ``generatorRef`` entry;
5. per ExternalSecret: assemble (:mod:`extsecrets.sync.assemble`), apply the deletion and
   creation policies, render ``target.template`` (:mod:`extsecrets.sync.template`; the
   ConfigMaps and Secrets it reads are read once a cycle), write the Secret when it changed,
   set ``Ready``, record events.

Every plugin call runs isolated (:mod:`extsecrets.sync.isolation`): a plugin that raises or
hangs fails the ExternalSecrets that needed it and nothing else.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import attrs

from extsecrets.cluster.objects import (
    ExternalSecretStatus,
    ObjectRef,
    SecretObject,
    StoreStatus,
)
from extsecrets.cluster.port import Cluster, ConflictError
from extsecrets.errors import (
    ConfigError,
    ExtSecretsError,
    PluginError,
    TemporaryError,
    sanitize,
    with_context,
)
from extsecrets.model import ESO_API_VERSION, ClusterSecretStore, ExternalSecret, SecretStore
from extsecrets.plugins import PluginHost
from extsecrets.sync import status as st
from extsecrets.sync.assemble import Entry, Outcome, assemble, plan_entries
from extsecrets.sync.credentials import CredentialCache
from extsecrets.sync.isolation import SlowLanes, run_isolated
from extsecrets.sync.schedule import renew_delay, with_refresh_by
from extsecrets.sync.scrub import ValueScrubber
from extsecrets.sync.stores import StoreResolver, parse_store_status, store_view
from extsecrets.sync.target import (
    CREATED_BY_LABEL,
    OwnershipError,
    check_ownership,
    created_by,
    desired_secret,
    field_manager,
    kept_secret,
    target_name,
)
from extsecrets.sync.template import (
    RenderedTemplate,
    SourceReader,
    TemplateFailure,
    derived_values,
    render_template,
)
from extsecrets.sync.validation import StoreValidation
from extsecrets.sync.validation import outcome as validation_outcome
from extsecrets.types import (
    Credentials,
    FetchOutcome,
    FetchRef,
    Generated,
    GeneratorView,
    SecretBytes,
    SecretMap,
    StoreView,
)

__all__ = ["Engine", "StoreValidation", "SyncResult"]

log = logging.getLogger(__name__)

_WRITE_ATTEMPTS = 3


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@attrs.frozen
class SyncResult:
    """What one sync did to one ExternalSecret.

    ``secret`` is the target as stored after the sync when this sync wrote it or found it
    already as wanted (``None`` when the ExternalSecret writes nothing, deleted it, or failed).
    ``error`` is the full, sanitised error text; ``retry`` says a later attempt may succeed.
    ``refresh_after`` (seconds) is when the next refresh is due, ``None`` for never.
    """

    namespace: str
    name: str
    ok: bool
    status: ExternalSecretStatus
    secret: SecretObject | None = None
    error: str | None = None
    retry: bool = False
    refresh_after: float | None = None
    written: bool = False


@attrs.frozen
class _Subject:
    """A store as used from one namespace: what credentials are asked for."""

    store: StoreView
    namespace: str


@attrs.frozen
class _Group:
    """Everything fetched with one call: one store, one set of credentials."""

    store: StoreView
    credentials_id: Hashable


class Engine:
    """Syncs ExternalSecrets through the plugins of ``host`` into ``cluster``.

    Keep one engine for the life of the process: its credential cache spans cycles.
    """

    def __init__(
        self,
        host: PluginHost,
        cluster: Cluster,
        *,
        plugin_timeout: float = 60.0,
        workers: int = 8,
        controller_class: str = "",
        flood_gate: bool = True,
        credential_cache: CredentialCache | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.host = host
        self.cluster = cluster
        self.plugin_timeout = plugin_timeout
        self.workers = workers
        self.controller_class = controller_class
        self.flood_gate = flood_gate
        # (not `or`: an empty cache is falsy)
        self.credentials = (
            credential_cache if credential_cache is not None else CredentialCache(clock=clock)
        )
        self._clock = clock
        #: the lanes of plugin calls (a store with its credentials, a generator...) whose last
        #: call outlived the time limit: not waited for again until a call answers in time
        self.lanes = SlowLanes()

    # --- the cycle ------------------------------------------------------------------------------

    def sync(self, externals: Iterable[ExternalSecret]) -> list[SyncResult]:
        """One cycle over ``externals``; returns one result per ExternalSecret, in input order."""
        now = self._clock()
        resolver = StoreResolver(
            self.cluster, controller_class=self.controller_class, flood_gate=self.flood_gate
        )
        items = list(externals)
        plans = [plan_entries(es) for es in items]

        # 1. stores
        subject_of: dict[tuple[int, int], _Subject | ExtSecretsError] = {}
        for n, (es, entries) in enumerate(zip(items, plans, strict=True)):
            ns = _namespace(es)
            for i, entry in enumerate(entries):
                if entry.store_ref is None:
                    continue
                try:
                    subject_of[(n, i)] = _Subject(resolver.resolve(entry.store_ref, ns), ns)
                except ExtSecretsError as exc:
                    subject_of[(n, i)] = exc

        # 2. credentials
        subjects = {s for s in subject_of.values() if isinstance(s, _Subject)}
        group_of, group_credentials = self._credentials_for(subjects)

        # 3. fetch, one call per group
        refs_by_group: dict[_Group, dict[FetchRef, None]] = {}
        for (n, i), subject in subject_of.items():
            group = group_of.get(subject) if isinstance(subject, _Subject) else None
            ref = plans[n][i].ref
            if isinstance(group, _Group) and ref is not None:
                refs_by_group.setdefault(group, {})[ref] = None
        # 4. generators, run alongside the fetches
        fetched, generated = self._fetch_and_generate(
            {g: (list(refs), group_credentials[g]) for g, refs in refs_by_group.items()},
            items,
            plans,
        )
        # Messages of this cycle must not quote what it read (a provider may echo a value).
        scrub = ValueScrubber(_values_read(fetched, generated)).scrub
        sources = SourceReader(self.cluster)  # templateFrom ConfigMaps and Secrets

        # 5. per ExternalSecret: writes to the cluster, several at once (they are independent:
        # each ExternalSecret has its own target; a shared one is a conflict, retried)
        def finish(n: int) -> SyncResult:
            es, entries = items[n], plans[n]
            outcomes = [
                self._outcome(entry, subject_of.get((n, i)), group_of, fetched, generated, n, i)
                for i, entry in enumerate(entries)
            ]
            try:
                return self._finish(es, entries, outcomes, generated, n, now, scrub, sources)
            except ExtSecretsError as exc:
                # a cluster call outside the guarded steps failed (the API server unreachable):
                # this ExternalSecret fails and is retried, the others go on
                old = st.parse_status(es.status)
                return self._failed(es, old, now, exc, st.NOT_UPDATED, scrub=scrub)
            except Exception:
                # A bug here must not cost the other ExternalSecrets their sync.
                log.exception(
                    "internal error while syncing %s/%s", _namespace(es), es.metadata.name
                )
                error = ExtSecretsError("internal error in the sync engine; see the operator log")
                return self._failed(es, st.parse_status(es.status), now, error, st.NOT_UPDATED)

        if len(items) < 2 or self.workers < 2:
            return [finish(n) for n in range(len(items))]
        with ThreadPoolExecutor(self.workers, thread_name_prefix="extsecrets-write") as pool:
            return list(pool.map(finish, range(len(items))))

    # --- credentials ------------------------------------------------------------------------------

    def _credentials_for(
        self, subjects: set[_Subject]
    ) -> tuple[dict[_Subject, _Group | ExtSecretsError], dict[_Group, Credentials | None]]:
        """Each subject's fetch group, or why it has none. Authenticates once per distinct
        credentials key that the cache does not hold."""
        group_credentials: dict[_Group, Credentials | None] = {}
        keys = run_isolated(
            {
                s: partial(self.host.credentials_key, s.store, s.namespace, self.cluster)
                for s in subjects
            },
            timeout=self.plugin_timeout,
            workers=self.workers,
            on_timeout=lambda s: self._timeout(f"credentials key for {_store_label(s.store)}"),
            lanes=self.lanes,
            lane=lambda s: ("credentials key", s),
        )
        # Subjects without a cacheable key authenticate on their own, each once per cycle.
        auth_key: dict[_Subject, Hashable | ExtSecretsError] = {}
        for s, key in keys.items():
            if isinstance(key, ExtSecretsError):
                auth_key[s] = key
            elif key is None:
                auth_key[s] = ("uncached", s)
            else:
                auth_key[s] = ("cached", _auth_plugin(self.host, s.store), key)
        needed: dict[Hashable, _Subject] = {}
        creds: dict[Hashable, Credentials | ExtSecretsError | None] = {}
        for s, key in auth_key.items():
            if isinstance(key, ExtSecretsError) or key in needed or key in creds:
                continue
            hit = self.credentials.get(key) if key[0] == "cached" else None  # type: ignore[index]
            if hit is not None:
                creds[key] = hit
            else:
                needed[key] = s
        fresh = run_isolated(
            {
                key: partial(self.host.authenticate, s.store, s.namespace, self.cluster)
                for key, s in needed.items()
            },
            timeout=self.plugin_timeout,
            workers=self.workers,
            on_timeout=lambda key: self._timeout(
                f"authentication for {_store_label(needed[key].store)}"
            ),
            lanes=self.lanes,
            lane=lambda key: ("authenticate", key),
        )
        for key, value in fresh.items():
            creds[key] = value
            if key[0] == "cached" and isinstance(value, Credentials):  # type: ignore[index]
                self.credentials.put(key, value)

        out: dict[_Subject, _Group | ExtSecretsError] = {}
        for s, key in auth_key.items():
            value = key if isinstance(key, ExtSecretsError) else creds[key]
            if isinstance(value, ExtSecretsError):
                out[s] = value
                continue
            group = _Group(s.store, key)
            group_credentials[group] = value
            out[s] = group
        return out, group_credentials

    # --- store validation ---------------------------------------------------------------------

    def validate_stores(
        self, stores: Iterable[SecretStore | ClusterSecretStore]
    ) -> list[StoreValidation]:
        """Obtain each store's credentials (through the cache, which syncs then reuse); write
        each store's Ready condition and record an event (spec §6.9)."""
        now = self._clock()
        items = list(stores)
        subjects: dict[int, _Subject | ExtSecretsError] = {}
        for n, store in enumerate(items):
            try:
                view = store_view(store)
            except ExtSecretsError as exc:
                subjects[n] = exc
                continue
            own = store.metadata.namespace if isinstance(store, SecretStore) else None
            subjects[n] = _Subject(view, own or "")
        groups, _ = self._credentials_for({s for s in subjects.values() if isinstance(s, _Subject)})
        results = []
        for n, store in enumerate(items):
            subject = subjects[n]
            answer = subject if isinstance(subject, ExtSecretsError) else groups[subject]
            namespace = store.metadata.namespace if isinstance(store, SecretStore) else None
            result = validation_outcome(store.kind, namespace, store.metadata.name, answer)
            if result.error is not None:
                result = attrs.evolve(result, error=sanitize(result.error))
            old = parse_store_status(store.status)
            state = st.ReadyState(result.ok, result.reason, result.message)
            status = StoreStatus((st.ready_condition(old.condition("Ready"), state, now),))
            if status != old:
                try:
                    self.cluster.write_store_status(store, status)
                except ExtSecretsError as exc:
                    # this store's status is retried; the other stores go on
                    result = attrs.evolve(result, unwritten=sanitize(str(exc)))
            ref = ObjectRef(ESO_API_VERSION, store.kind, store.metadata.name, namespace)
            if result.ok:
                self.cluster.record_event(ref, "Normal", result.reason, result.message)
            else:
                self.cluster.record_event(ref, "Warning", result.reason, result.error or "")
            results.append(result)
        return results

    # --- fetch and generate -----------------------------------------------------------------------

    def _fetch_and_generate(
        self,
        groups: Mapping[_Group, tuple[list[FetchRef], Credentials | None]],
        items: Sequence[ExternalSecret],
        plans: Sequence[Sequence[Entry]],
    ) -> tuple[
        dict[_Group, Mapping[FetchRef, FetchOutcome] | ExtSecretsError],
        dict[tuple[int, int], Generated | ExtSecretsError],
    ]:
        """One fetch call per group and one generate call per generator entry, all at once."""
        tasks: dict[Hashable, Callable[[], object]] = {
            g: partial(self.host.fetch, g.store, creds, refs) for g, (refs, creds) in groups.items()
        }
        for n, (es, entries) in enumerate(zip(items, plans, strict=True)):
            for i, entry in enumerate(entries):
                if entry.generator_ref is not None:
                    tasks[(n, i)] = partial(self._generate, es, entry)

        def on_timeout(key: Hashable) -> ExtSecretsError:
            if isinstance(key, _Group):
                return self._timeout(f"fetch from {_store_label(key.store)}")
            assert isinstance(key, tuple)
            ref = plans[key[0]][key[1]].generator_ref
            return self._timeout(f"generator {ref.kind if ref else ''}")

        def lane(key: Hashable) -> Hashable:
            if isinstance(key, _Group):
                return ("fetch", key)
            assert isinstance(key, tuple)
            ref = plans[key[0]][key[1]].generator_ref
            assert ref is not None
            return ("generate", _namespace(items[key[0]]), ref.kind, ref.name)

        done = run_isolated(
            tasks,
            timeout=self.plugin_timeout,
            workers=self.workers,
            on_timeout=on_timeout,
            lanes=self.lanes,
            lane=lane,
        )
        fetched = {k: v for k, v in done.items() if isinstance(k, _Group)}
        generated = {k: v for k, v in done.items() if not isinstance(k, _Group)}
        return fetched, generated  # type: ignore[return-value]

    def _generate(self, es: ExternalSecret, entry: Entry) -> Generated:
        ref = entry.generator_ref
        assert ref is not None
        ns = _namespace(es)
        obj = self.cluster.get_generator(ref.kind, ns, ref.name)
        if obj is None:
            resource = f"{ref.kind.lower()}s.{ref.api_version.partition('/')[0]}"
            raise ConfigError(
                f'could not get {ref.kind} "{ref.name}", {resource} "{ref.name}" not found'
            )
        view = GeneratorView(obj.api_version, obj.kind, obj.metadata.name, ns, obj.spec)
        try:
            key = self.host.credentials_key(view, ns, self.cluster)
            cache_key = None if key is None else ("generator", view.kind, key)
            creds = self.credentials.get(cache_key) if cache_key is not None else None
            if creds is None:
                creds = self.host.authenticate(view, ns, self.cluster)
                if cache_key is not None and creds is not None:
                    self.credentials.put(cache_key, creds)
            return self.host.generate(view, creds, self.cluster)
        except ExtSecretsError as exc:
            raise with_context(exc, "error using generator: ") from None

    # --- per ExternalSecret ---------------------------------------------------------------------

    def _outcome(
        self,
        entry: Entry,
        subject: _Subject | ExtSecretsError | None,
        group_of: Mapping[_Subject, _Group | ExtSecretsError],
        fetched: Mapping[_Group, Mapping[FetchRef, FetchOutcome] | ExtSecretsError],
        generated: Mapping[tuple[int, int], Generated | ExtSecretsError],
        n: int,
        i: int,
    ) -> Outcome:
        if entry.generator_ref is not None:
            return generated[(n, i)]
        if subject is None:
            return ConfigError(
                "no store to read from: set spec.secretStoreRef or this entry's sourceRef.storeRef"
            )
        if isinstance(subject, ExtSecretsError):
            return subject
        group = group_of[subject]
        if isinstance(group, ExtSecretsError):
            return group
        answers = fetched[group]
        if isinstance(answers, ExtSecretsError):
            return entry.provider_error(answers)
        assert entry.ref is not None
        answer = answers[entry.ref]
        return entry.provider_error(answer) if isinstance(answer, ExtSecretsError) else answer

    def _finish(
        self,
        es: ExternalSecret,
        entries: Sequence[Entry],
        outcomes: Sequence[Outcome],
        generated: Mapping[tuple[int, int], Generated | ExtSecretsError],
        n: int,
        now: dt.datetime,
        scrub: Callable[[str], str],
        sources: SourceReader,
    ) -> SyncResult:
        old = st.parse_status(es.status)
        ref = _event_ref(es)
        deletion = es.spec.target.deletion_policy
        failed = partial(self._failed, scrub=scrub)
        try:
            data, missing = assemble(es, entries, outcomes)
        except ExtSecretsError as exc:
            return failed(es, old, now, exc, st.NO_PROVIDER_DATA)
        for message in missing:
            self.cluster.record_event(ref, "Normal", "MissingProviderSecret", sanitize(message))

        refresh = _refresh_after(es, generated, n, now)
        if not data and deletion in ("Delete", "Retain"):
            return self._empty(es, old, now, refresh)
        policy = es.spec.target.creation_policy
        if policy == "None":
            return self._succeeded(es, old, now, st.ReadyState(True, *st.SYNCED), None, refresh)
        try:
            return self._write(es, old, data, now, refresh, sources)
        except TemplateFailure as exc:
            # Go's texts can quote what a template read or made of the values: blank those too
            # (the decoded values, the template sources, the outputs rendered so far)
            more = ValueScrubber(derived_values([*data.values(), *exc.values])).scrub
            return self._failed(
                es, old, now, exc, st.NOT_UPDATED, scrub=lambda text: more(scrub(text))
            )
        except OwnershipError as exc:
            return failed(es, old, now, exc, exc.ready_message)
        except _ImmutableError as exc:
            return failed(es, old, now, exc, st.IMMUTABLE)
        except _OrphanError as exc:
            return failed(es, old, now, exc, st.ORPHANS_NOT_DELETED)
        except ExtSecretsError as exc:
            return failed(es, old, now, exc, st.NOT_UPDATED)

    def _empty(
        self, es: ExternalSecret, old: ExternalSecretStatus, now: dt.datetime, refresh: float | None
    ) -> SyncResult:
        """Nothing came back: Retain keeps the Secret, Delete removes an owned one (§6.4)."""
        if es.spec.target.deletion_policy == "Retain":
            return self._succeeded(es, old, now, st.ReadyState(True, *st.RETAINED), None, refresh)
        name = target_name(es)
        policy = es.spec.target.creation_policy
        if policy != "Owner":
            error = ConfigError(
                f"unable to delete secret {name}: creationPolicy={policy} is not Owner"
            )
            return self._failed(es, old, now, error, st.NOT_DELETED, retry=False)
        existing = self.cluster.get_secret(_namespace(es), name)
        if existing is not None:
            try:
                self.cluster.delete_secret(existing.namespace, name, existing.resource_version)
            except ExtSecretsError as exc:
                return self._failed(es, old, now, exc, st.NOT_DELETED)
            self.cluster.record_event(_event_ref(es), "Normal", "Deleted", st.DELETED[1])
        return self._succeeded(es, old, now, st.ReadyState(True, *st.DELETED), None, refresh)

    def _write(
        self,
        es: ExternalSecret,
        old: ExternalSecretStatus,
        data: Mapping[str, bytes],
        now: dt.datetime,
        refresh: float | None,
        sources: SourceReader,
    ) -> SyncResult:
        ns, name = _namespace(es), target_name(es)
        policy = es.spec.target.creation_policy
        manager = field_manager(es)
        rendered: RenderedTemplate | None = None
        for attempt in range(_WRITE_ATTEMPTS):
            # Owner targets are managed Secrets: the first attempt trusts the adapter's cache of
            # them (a first sync then costs no read); a Secret that exists unmanaged makes the
            # create conflict and the next attempt reads it from the API server.
            existing = self.cluster.get_secret(
                ns, name, managed_only=attempt == 0 and policy == "Owner"
            )
            if existing is None and policy == "Merge":
                return self._succeeded(
                    es, old, now, st.ReadyState(True, *st.MISSING), None, refresh
                )
            check_ownership(es, existing)
            owned: frozenset[str] = frozenset(data)
            if es.spec.target.template is None:
                desired = desired_secret(es, existing, data)
            elif existing is not None and es.spec.target.immutable:
                # an immutable target is rendered once, when it is created (templates §1.9)
                desired = kept_secret(es, existing)
                owned = existing.managed_keys.get(manager, frozenset())
            else:
                if rendered is None:  # (once: a write that conflicts is retried as rendered)
                    rendered = self._render(es, data, existing, sources)
                desired = desired_secret(es, existing, data, rendered)
                owned = frozenset(rendered.data)
            wanted = with_refresh_by(desired, es, refresh, now)
            if existing is not None and existing.immutable and existing.data != wanted.data:
                raise _ImmutableError(f"unable to mutate secret {name}: secret is immutable")
            try:
                if existing is None:
                    stored = self.cluster.create_secret(wanted, manager, owned)
                    self.cluster.record_event(_event_ref(es), "Normal", "Created", "secret created")
                elif wanted != existing:
                    stored = self.cluster.update_secret(wanted, manager, owned)
                    self.cluster.record_event(_event_ref(es), "Normal", "Updated", "secret updated")
                else:
                    stored = existing
                break
            except ConflictError:
                if attempt == _WRITE_ATTEMPTS - 1:
                    raise
        if policy == "Owner":
            self._delete_orphans(es, name)
        state = st.ReadyState(True, *st.SYNCED)
        return self._succeeded(es, old, now, state, stored, refresh, written=stored is not existing)

    def _render(
        self,
        es: ExternalSecret,
        data: Mapping[str, bytes],
        existing: SecretObject | None,
        sources: SourceReader,
    ) -> RenderedTemplate:
        """``target.template`` over ``data``, its errors worded as ESO's (an update adds
        ``unable to mutate secret <name>: ``, a create does not)."""
        prefix = "could not apply template: "
        if existing is not None:
            prefix = f"unable to mutate secret {existing.name}: {prefix}"
        try:
            return render_template(es, data, sources)
        except ExtSecretsError as exc:
            raise with_context(exc, prefix) from None

    def _delete_orphans(self, es: ExternalSecret, keep: str) -> None:
        """Owner: Secrets this ExternalSecret created under an earlier target name go."""
        ns = _namespace(es)
        for secret in self.cluster.list_secrets(ns, {CREATED_BY_LABEL: created_by(es)}):
            if secret.name == keep:
                continue
            try:
                self.cluster.delete_secret(ns, secret.name, secret.resource_version)
            except ExtSecretsError as exc:
                raise _OrphanError(
                    f"could not delete orphaned secret {secret.name}: {exc}"
                ) from None
            self.cluster.record_event(
                _event_ref(es), "Normal", "Deleted", "secret deleted because it was orphaned"
            )

    def _succeeded(
        self,
        es: ExternalSecret,
        old: ExternalSecretStatus,
        now: dt.datetime,
        state: st.ReadyState,
        secret: SecretObject | None,
        refresh: float | None,
        *,
        written: bool = False,
    ) -> SyncResult:
        status = st.status_after(old, state, now, synced=es, binding=target_name(es))
        unwritten = self._write_status(es, old, status)
        if unwritten is not None:
            # the Secret is as wanted but the status does not say so: again soon, not at the
            # next refresh
            return SyncResult(
                _namespace(es),
                es.metadata.name,
                False,
                status,
                secret=secret,
                error=unwritten,
                retry=True,
                written=written,
            )
        return SyncResult(
            _namespace(es),
            es.metadata.name,
            True,
            status,
            secret=secret,
            refresh_after=refresh,
            written=written,
        )

    def _failed(
        self,
        es: ExternalSecret,
        old: ExternalSecretStatus,
        now: dt.datetime,
        error: ExtSecretsError,
        ready_message: str,
        *,
        retry: bool | None = None,
        scrub: Callable[[str], str] | None = None,
    ) -> SyncResult:
        """The Secret is left as it is; the status says what went wrong, the event says why.
        ``scrub`` blanks the values the cycle read out of the message."""
        text = sanitize(str(error))
        if scrub is not None:
            text = scrub(text)
        status = st.status_after(old, st.ReadyState(False, st.ERROR_REASON, ready_message), now)
        unwritten = self._write_status(es, old, status)
        self.cluster.record_event(_event_ref(es), "Warning", "UpdateFailed", text)
        if retry is None:
            retry = not isinstance(error, OwnershipError)
        # a status that could not be written is written by a later attempt
        retry = retry or unwritten is not None
        return SyncResult(_namespace(es), es.metadata.name, False, status, error=text, retry=retry)

    def _write_status(
        self, es: ExternalSecret, old: ExternalSecretStatus, status: ExternalSecretStatus
    ) -> str | None:
        """Write ``status`` if it changed. Returns why it could not be written (the caller
        retries), ``None`` when it was written or unchanged."""
        if status == old:
            return None
        try:
            self.cluster.write_status(es, status)
        except ExtSecretsError as exc:
            text = sanitize(str(exc))
            if not isinstance(exc, TemporaryError):  # a temporary one is in the result
                log.warning("status not written: %s", text)
            return text
        return None

    def _timeout(self, what: str) -> ExtSecretsError:
        return PluginError(f"{what} did not finish within {self.plugin_timeout:g}s")


class _ImmutableError(ExtSecretsError):
    pass


class _OrphanError(ExtSecretsError):
    pass


def _namespace(es: ExternalSecret) -> str:
    return es.metadata.namespace or "default"


def _event_ref(es: ExternalSecret) -> ObjectRef:
    return ObjectRef(
        ESO_API_VERSION, "ExternalSecret", es.metadata.name, _namespace(es), es.metadata.uid
    )


def _store_label(store: StoreView) -> str:
    where = f"{store.namespace}/{store.name}" if store.namespace else store.name
    return f"{store.kind} {where}"


def _auth_plugin(host: PluginHost, store: StoreView) -> str:
    claim = host.provider(store.provider, store.service)
    return claim.auth or "" if claim is not None else ""


def _values_read(
    fetched: Mapping[_Group, Mapping[FetchRef, FetchOutcome] | ExtSecretsError],
    generated: Mapping[tuple[int, int], Generated | ExtSecretsError],
) -> Iterable[bytes]:
    """Every value a cycle's fetches and generators returned."""
    for answers in fetched.values():
        if isinstance(answers, ExtSecretsError):
            continue
        for answer in answers.values():
            if isinstance(answer, SecretBytes):
                yield answer.value
            elif isinstance(answer, SecretMap):
                yield from (v.value for v in answer.values())
    for outcome in generated.values():
        if isinstance(outcome, Generated):
            yield from (v.value for v in outcome.data.values())


def _refresh_after(
    es: ExternalSecret,
    generated: Mapping[tuple[int, int], Generated | ExtSecretsError],
    n: int,
    now: dt.datetime,
) -> float | None:
    """Seconds to the next refresh: ``refreshInterval`` (none when it is 0), brought forward so
    generated values are renewed a margin before they expire."""
    interval = es.spec.refresh_interval.seconds
    due = interval if interval > 0 else None
    for (m, _), value in generated.items():
        if m == n and isinstance(value, Generated) and value.expires_at is not None:
            left = renew_delay(value.expires_at, now)
            due = left if due is None else min(due, left)
    return due
