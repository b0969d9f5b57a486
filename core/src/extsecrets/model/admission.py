"""Admission rules of the core: what ESO's webhooks check (spec §7), with ESO's exact texts, plus
the checks extsecrets adds so that a manifest that cannot work is refused before it runs.

Provider-specific rules live with the plugin's config type (``admission_problems``).
Every rule reports every problem it finds, in the order ESO evaluates them.
"""

from __future__ import annotations

from collections.abc import Iterator

from extsecrets.model.converter import Duration, FieldError
from extsecrets.model.external_secret import ExternalSecret, SecretStoreRef, StoreSourceRef
from extsecrets.model.problems import PathItem, Problem
from extsecrets.model.store import ClusterSecretStore, SecretStore
from extsecrets.model.template_rules import template_problems, transform_problems
from extsecrets.regex import RegexError, compile_user_regex

__all__ = ["external_secret_problems", "store_problems"]


def store_problems(store: SecretStore | ClusterSecretStore) -> Iterator[Problem]:
    """Provider-neutral store rules (ESO's generic store validation, and ours)."""
    spec = store.spec
    for ci, condition in enumerate(spec.conditions):
        for ri, pattern in enumerate(condition.namespace_regexes):
            try:
                compile_user_regex(pattern)
            except RegexError as exc:
                yield Problem.at(
                    ("spec", "conditions", ci, "namespaceRegexes", ri),
                    f"failed to compile {ri}th namespace regex in {ci}th condition: {exc}",
                )
    if spec.refresh_interval is not None and spec.refresh_interval.seconds < 0:
        yield Problem.at(
            ("spec", "refreshInterval"),
            f'invalid refreshInterval "{spec.refresh_interval.text}": must not be negative',
        )
    retry = spec.retry_settings
    if retry is not None and retry.retry_interval is not None:
        try:
            Duration.parse(retry.retry_interval)
        except FieldError as exc:
            yield Problem.at(("spec", "retrySettings", "retryInterval"), exc.message)
    if retry is not None and retry.max_retries < 1:
        yield Problem.at(
            ("spec", "retrySettings", "maxRetries"),
            "must be at least 1 (it counts attempts, the first one included)",
        )
    if isinstance(store, SecretStore) and spec.conditions:
        yield Problem.at(
            ("spec", "conditions"),
            "conditions only apply to a ClusterSecretStore; ignored on a SecretStore",
            "warning",
        )
    if isinstance(store, ClusterSecretStore) and store.metadata.namespace is not None:
        yield Problem.at(
            ("metadata", "namespace"),
            "a ClusterSecretStore is cluster-scoped; metadata.namespace is ignored",
            "warning",
        )


def external_secret_problems(es: ExternalSecret) -> Iterator[Problem]:
    """ESO's ExternalSecret admission (§7.3) in its order, then the checks extsecrets adds."""
    spec = es.spec
    target = spec.target
    creation, deletion = target.creation_policy, target.deletion_policy
    if deletion == "Delete" and creation in ("Merge", "None", "CreateOrMerge"):
        yield Problem.at(
            ("spec", "target", "deletionPolicy"),
            "deletionPolicy=Delete must not be used when the controller doesn't own the secret."
            " Please set creationPolicy=Owner",
        )
    if deletion == "Merge" and creation == "None":
        yield Problem.at(
            ("spec", "target", "deletionPolicy"),
            "deletionPolicy=Merge must not be used with creationPolicy=None."
            " There is no Secret to merge with",
        )
    if not spec.data and not spec.data_from:
        yield Problem.at(("spec",), "either data or dataFrom should be specified")
    if target.template is not None:
        yield from template_problems(target.template)
    if spec.sync_windows is not None:
        yield Problem.at(
            ("spec", "syncWindows"),
            "syncWindows are not supported yet: refreshes follow refreshInterval at any time",
            "warning",
        )
    if target.manifest is not None:
        yield Problem.at(
            ("spec", "target", "manifest"),
            "target.manifest is not supported: extsecrets writes Kubernetes Secrets only",
        )

    for i, source in enumerate(spec.data_from):
        at: tuple[PathItem, ...] = ("spec", "dataFrom", i)
        generator = source.source_ref is not None and source.source_ref.generator_ref is not None
        if sum((source.find is not None, source.extract is not None, generator)) > 1:
            yield Problem.at(at, "extract, find, or generatorRef cannot be set at the same time")
        if source.find is None and source.extract is None and source.source_ref is None:
            yield Problem.at(at, "either extract, find, or sourceRef must be set to dataFrom")
        ref = source.source_ref
        if ref is not None and ref.generator_ref is None and ref.store_ref is None:
            yield Problem.at(
                (*at, "sourceRef"),
                "generatorRef or storeRef must be set when using sourceRef in dataFrom",
            )

    if deletion == "Retain":
        seen: set[str] = set()
        for i, item in enumerate(spec.data):
            if item.secret_key in seen:
                yield Problem.at(
                    ("spec", "data", i, "secretKey"),
                    f"duplicate secretKey found: {item.secret_key}",
                )
            seen.add(item.secret_key)

    yield from _store_refs(es)
    yield from _remote_keys(es)
    yield from _data_from_details(es)


def _store_refs(es: ExternalSecret) -> Iterator[Problem]:
    """Every entry that reads a store must have one to read (ESO only finds out at runtime)."""
    default = es.spec.secret_store_ref
    if default is not None and default.name is None:
        yield Problem.at(("spec", "secretStoreRef", "name"), "required field is missing")
    for i, item in enumerate(es.spec.data):
        at: tuple[PathItem, ...] = ("spec", "data", i)
        if item.source_ref is not None and item.source_ref.generator_ref is not None:
            yield Problem.at(
                (*at, "sourceRef", "generatorRef"),
                "generatorRef in data[] is deprecated and not supported: "
                "use spec.dataFrom[].sourceRef.generatorRef",
            )
            continue
        yield from _needs_store(default, item.source_ref, at)
    for i, source in enumerate(es.spec.data_from):
        if source.extract is not None or source.find is not None:
            yield from _needs_store(default, source.source_ref, ("spec", "dataFrom", i))


_EMPTY_KEY = "must not be empty: no provider has a secret without a name"


def _remote_keys(es: ExternalSecret) -> Iterator[Problem]:
    """A remote key no provider can ever resolve is refused here, before it reaches a batch
    (ESO accepts an empty key and fails at sync time). Provider-specific rules (length,
    characters) are the plugins' own, applied to each reference before it is sent."""
    for i, item in enumerate(es.spec.data):
        generated = item.source_ref is not None and item.source_ref.generator_ref is not None
        if not item.remote_ref.key and not generated:
            yield Problem.at(("spec", "data", i, "remoteRef", "key"), _EMPTY_KEY)
    for i, source in enumerate(es.spec.data_from):
        if source.extract is not None and not source.extract.key:
            yield Problem.at(("spec", "dataFrom", i, "extract", "key"), _EMPTY_KEY)


def _needs_store(
    default: SecretStoreRef | None, source_ref: StoreSourceRef | None, at: tuple[PathItem, ...]
) -> Iterator[Problem]:
    override = source_ref.store_ref if source_ref is not None else None
    if override is not None:
        if override.name is None:
            yield Problem.at((*at, "sourceRef", "storeRef", "name"), "required field is missing")
        return
    if default is None:
        yield Problem.at(
            at,
            "no store to read from: set spec.secretStoreRef or this entry's sourceRef.storeRef",
        )


def _data_from_details(es: ExternalSecret) -> Iterator[Problem]:
    for i, source in enumerate(es.spec.data_from):
        at: tuple[PathItem, ...] = ("spec", "dataFrom", i)
        find = source.find
        if find is not None:
            if find.name is None and find.tags is None:
                yield Problem.at((*at, "find"), "unexpected find operator")
            if find.name is not None:
                try:
                    compile_user_regex(find.name.regexp)
                except RegexError as exc:
                    yield Problem.at(
                        (*at, "find", "name", "regexp"),
                        f"could not compile find.name.regexp [{find.name.regexp}]: {exc}",
                    )
        for j, rewrite in enumerate(source.rewrite):
            rat = (*at, "rewrite", j)
            chosen = [r for r in (rewrite.regexp, rewrite.transform, rewrite.merge) if r]
            if len(chosen) != 1:
                yield Problem.at(rat, "exactly one of regexp, transform or merge must be set")
            if rewrite.regexp is not None:
                try:
                    compile_user_regex(rewrite.regexp.source)
                except RegexError as exc:
                    yield Problem.at((*rat, "regexp", "source"), str(exc))
            if rewrite.transform is not None:
                yield from transform_problems(
                    (*rat, "transform", "template"), rewrite.transform.template
                )
            if rewrite.merge is not None:
                yield Problem.at((*rat, "merge"), "rewrite.merge is not supported yet")
