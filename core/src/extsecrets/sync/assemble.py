"""From the answers of a cycle to one ExternalSecret's data (spec §6.3), with ESO's texts.

Entries are taken in ESO's order: every ``dataFrom`` (later keys overwrite earlier ones), then
every ``data``. A map from ``extract`` or ``find`` goes through rewrite (or, without rewrites,
``conversionStrategy``), key validation, ``decodingStrategy`` and the null-byte check; a
generator's map through rewrite and key validation only; a single value through decoding and
the null-byte check. A "not found" skips the entry unless ``deletionPolicy`` is ``Retain``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeAlias, TypeVar

import attrs

from extsecrets.errors import ExtSecretsError, NotFoundError, PluginError, with_context
from extsecrets.model import ExternalSecret
from extsecrets.model.external_secret import (
    DataFromSource,
    ExternalSecretData,
    GeneratorRef,
    SecretStoreRef,
)
from extsecrets.sync.keys import (
    check_kubernetes_keys,
    check_null_bytes,
    convert_keys,
    decode_map,
    decode_value,
    validate_keys,
)
from extsecrets.sync.rewrite import rewrite_map
from extsecrets.types import (
    ExtractRef,
    FetchRef,
    FindRef,
    Generated,
    RemoteRef,
    SecretBytes,
    SecretMap,
)

__all__ = ["Entry", "Outcome", "assemble", "plan_entries"]

Outcome: TypeAlias = SecretBytes | SecretMap | Generated | ExtSecretsError
T = TypeVar("T")
INVALID_KEYS = "invalid secret keys (TIP: use rewrite or conversionStrategy to change keys): "


@attrs.frozen
class Entry:
    """One entry of an ExternalSecret that produces data.

    ``prefix`` is how ESO names the entry in errors; ``store_ref`` is the store it reads
    (``None`` for a generator), ``ref`` what it asks that store for.
    """

    prefix: str
    missing_event: str
    source: DataFromSource | ExternalSecretData
    store_ref: SecretStoreRef | None = None
    ref: FetchRef | None = None
    generator_ref: GeneratorRef | None = None

    def provider_error(self, error: ExtSecretsError) -> ExtSecretsError:
        """A provider's answer to ``ref`` as ESO words it (find errors carry one more layer)."""
        if isinstance(self.ref, FindRef):
            return with_context(error, "error getting all secrets: ")
        return error


def _store_ref(
    es: ExternalSecret, source: DataFromSource | ExternalSecretData
) -> SecretStoreRef | None:
    """The entry's own ``sourceRef.storeRef``, else ``spec.secretStoreRef`` (``None``: neither,
    which admission refuses; the engine then fails the entry)."""
    override = source.source_ref.store_ref if source.source_ref is not None else None
    return override or es.spec.secret_store_ref


def plan_entries(es: ExternalSecret) -> list[Entry]:
    """Every entry of ``es`` that produces data, in ESO's order."""
    out: list[Entry] = []
    for i, source in enumerate(es.spec.data_from):
        missing = f"secret does not exist at provider using spec.dataFrom[{i}]"
        generator = source.source_ref.generator_ref if source.source_ref is not None else None
        if source.find is not None:
            find = source.find
            ref: FetchRef = FindRef(
                name_regexp=find.name.regexp if find.name is not None else None,
                tags=find.tags,
                path=find.path,
            )
            out.append(
                Entry(
                    f"error processing spec.dataFrom[{i}].find, err: ",
                    missing,
                    source,
                    _store_ref(es, source),
                    ref,
                )
            )
        elif source.extract is not None:
            ex = source.extract
            ref = ExtractRef(ex.key, ex.property, ex.version, ex.metadata_policy)
            out.append(
                Entry(
                    f"error processing spec.dataFrom[{i}].extract, err: ",
                    missing,
                    source,
                    _store_ref(es, source),
                    ref,
                )
            )
        elif generator is not None:
            out.append(
                Entry(
                    f"error processing spec.dataFrom[{i}].sourceRef.generatorRef, err: ",
                    missing,
                    source,
                    generator_ref=generator,
                )
            )
    for i, item in enumerate(es.spec.data):
        rr = item.remote_ref
        out.append(
            Entry(
                f"error processing spec.data[{i}] (key: {rr.key}), err: ",
                f"secret does not exist at provider using spec.data[{i}] (key={rr.key})",
                item,
                _store_ref(es, item),
                RemoteRef(rr.key, rr.property, rr.version, rr.metadata_policy),
            )
        )
    return out


def _wrong_answer(outcome: object, wanted: str) -> PluginError:
    return PluginError(f"the plugin answered {type(outcome).__name__} where {wanted} was expected")


def _from_map(source: DataFromSource, outcome: Outcome) -> dict[str, bytes]:
    if isinstance(outcome, Generated):
        data = {k: v.value for k, v in outcome.data.items()}
        if source.rewrite:
            data = _step(
                lambda: rewrite_map(source.rewrite, data), "error applying rewrite to keys: "
            )
        data = _step(lambda: validate_keys(data), INVALID_KEYS)
        _step(lambda: check_kubernetes_keys(data), INVALID_KEYS)
        return data
    if not isinstance(outcome, SecretMap):
        raise _wrong_answer(outcome, "a map of values")
    spec = source.extract if source.extract is not None else source.find
    assert spec is not None
    data = {k: v.value for k, v in outcome.items()}
    if source.rewrite:
        data = _step(lambda: rewrite_map(source.rewrite, data), "error applying rewrite to keys: ")
    else:
        strategy = spec.conversion_strategy
        data = _step(
            lambda: convert_keys(data, strategy),
            f"error applying conversion strategy {strategy} to keys: ",
        )
    data = _step(lambda: validate_keys(data), INVALID_KEYS)
    _step(lambda: check_kubernetes_keys(data), INVALID_KEYS)
    decoding = spec.decoding_strategy
    data = _step(
        lambda: decode_map(data, decoding),
        f"error applying decoding strategy {decoding} to data: ",
    )
    for key in sorted(data):
        check_null_bytes(key, data[key], spec.null_byte_policy)
    return data


def _from_value(item: ExternalSecretData, outcome: Outcome) -> bytes:
    if not isinstance(outcome, SecretBytes):
        raise _wrong_answer(outcome, "a single value")
    rr = item.remote_ref
    _step(lambda: check_kubernetes_keys([item.secret_key]), INVALID_KEYS)
    value = _step(
        lambda: decode_value(outcome.value, rr.decoding_strategy),
        f"error applying decoding strategy {rr.decoding_strategy} to data: ",
    )
    check_null_bytes(item.secret_key, value, rr.null_byte_policy)
    return value


def _step(run: Callable[[], T], prefix: str) -> T:
    try:
        return run()
    except ExtSecretsError as exc:
        raise with_context(exc, prefix) from None


def assemble(
    es: ExternalSecret, entries: Sequence[Entry], outcomes: Sequence[Outcome]
) -> tuple[dict[str, bytes], list[str]]:
    """The data of ``es`` and the "does not exist" event messages of the entries skipped.

    Raises the first failing entry's error, worded as ESO words it.
    """
    retain = es.spec.target.deletion_policy == "Retain"
    data: dict[str, bytes] = {}
    missing: list[str] = []
    for entry, outcome in zip(entries, outcomes, strict=True):
        try:
            if isinstance(outcome, ExtSecretsError):
                raise outcome
            if isinstance(entry.source, ExternalSecretData):
                data[entry.source.secret_key] = _from_value(entry.source, outcome)
            else:
                data.update(_from_map(entry.source, outcome))
        except NotFoundError as exc:
            if not retain:
                missing.append(entry.missing_event)
                continue
            raise with_context(exc, entry.prefix) from None
        except ExtSecretsError as exc:
            raise with_context(exc, entry.prefix) from None
    return data, missing
