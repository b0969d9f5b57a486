"""Reading Secrets Manager for one store in one sync cycle (spec §3.1 to §3.5, §0).

All the references of the cycle arrive together, so reads are planned as a whole:

- plain reads of the current version (``data[]``, ``extract``, and the values a ``find`` matched
  through ListSecrets) go through ``BatchGetSecretValue``, 20 ids a call, each distinct secret
  once;
- a versioned read (``version: <stage>`` or ``uuid/<VersionId>``) is one ``GetSecretValue`` per
  distinct (secret, version);
- ``metadataPolicy: Fetch`` is one ``DescribeSecret`` per distinct secret;
- ``find`` follows ESO's decision table: ListSecrets when there is a name and no path,
  BatchGetSecretValue with filters otherwise.

An identity denied ``BatchGetSecretValue`` falls back to ListSecrets and ``GetSecretValue`` per
secret by itself (remembered for an hour, logged once, counted in ``FALLBACKS``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from extsecrets.errors import (
    ExtSecretsError,
    NotFoundError,
    PermanentError,
    TemporaryError,
    sanitize,
)
from extsecrets.properties import go_json_object, keyed_answer
from extsecrets.regex import compile_user_regex
from extsecrets.types import (
    ExtractRef,
    FetchOutcome,
    FetchRef,
    FindRef,
    RemoteRef,
    SecretBytes,
    SecretMap,
    StoreView,
)
from extsecrets_aws_auth.errors import THROTTLING_CODES, classify, error_code
from extsecrets_aws_auth.fallback import DeniedBatches
from extsecrets_aws_auth.reads import eso_call_pattern, found_map, pages
from extsecrets_aws_auth.session import AWSSession

__all__ = ["BATCH_SIZE", "DENIED", "fetch"]

BATCH_SIZE = 20
CURRENT = "AWSCURRENT"
DENIED = DeniedBatches(
    "secretsmanager",
    "BatchGetSecretValue",
    "grant secretsmanager:BatchGetSecretValue on * to read up to 20 secrets a call",
)
_DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied"})
_MARKED_DELETED = re.compile(r"marked (for )?delet", re.IGNORECASE)


@attrs.frozen(repr=False)
class Payload:
    """A secret version's value: ``SecretString`` and/or ``SecretBinary``."""

    string: str | None
    binary: bytes | None

    def __repr__(self) -> str:
        return "Payload(<hidden>)"

    @classmethod
    def of(cls, answer: Mapping[str, Any]) -> Payload:
        return cls(answer.get("SecretString"), answer.get("SecretBinary"))

    def value(self) -> bytes | None:
        """What a read without ``property`` returns: the string (even empty), else the binary."""
        if self.string is not None:
            return self.string.encode()
        return self.binary

    def document(self) -> bytes:
        """What ``property`` and ``find`` read: the binary when there is one, else the string."""
        if self.binary is not None:
            return self.binary
        return (self.string or "").encode()


Outcome = Payload | ExtSecretsError


def _scheduled_for_deletion(message: str) -> bool:
    # AWS: "...because it was marked for deletion."; moto: "...currently marked deleted."
    return _MARKED_DELETED.search(message) is not None


def _not_found_or(exc: BaseException, what: str) -> ExtSecretsError:
    """``ResourceNotFoundException`` and a secret scheduled for deletion are "not found"
    (spec §3.1, §0.4); anything else keeps its class and AWS's sanitised text."""
    code = error_code(exc)
    if code == "ResourceNotFoundException":
        return NotFoundError()
    if code in ("InvalidRequestException", "InvalidParameterException") and (
        _scheduled_for_deletion(str(exc))
    ):
        return NotFoundError()
    return classify(exc, what)


def _batch_error(entry: Mapping[str, Any]) -> ExtSecretsError:
    code = str(entry.get("ErrorCode", ""))
    message = sanitize(str(entry.get("Message", "")))
    if code == "ResourceNotFoundException" or _scheduled_for_deletion(message):
        return NotFoundError()
    text = f"{code}: {message}" if message else code
    if code in THROTTLING_CODES or code in ("InternalServiceError", "InternalFailure"):
        return TemporaryError(text)
    return PermanentError(text)


def _tag_filters(tags: Mapping[str, str] | None) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    for key, value in (tags or {}).items():
        filters.append({"Key": "tag-key", "Values": [key]})
        filters.append({"Key": "tag-value", "Values": [value]})
    return filters


class Reader:
    """One cycle's reads for one store."""

    def __init__(self, session: AWSSession, prefix: str) -> None:
        self._client = session.client("secretsmanager")
        self._principal = session.principal
        self._prefix = prefix
        self.current: dict[str, Outcome] = {}

    # --- the calls ------------------------------------------------------------------------------

    def _batch_allowed(self) -> bool:
        return not DENIED.denied(self._principal)

    def _denied(self, exc: BaseException) -> bool:
        if error_code(exc) in _DENIED_CODES:
            DENIED.remember(self._principal)
            return True
        return False

    def read_current(self, names: Iterable[str]) -> None:
        """The current version of every name not read yet, 20 a call."""
        todo = [n for n in dict.fromkeys(names) if n not in self.current]
        for start in range(0, len(todo), BATCH_SIZE):
            chunk = todo[start : start + BATCH_SIZE]
            if not self._batch_allowed() or eso_call_pattern():
                self._one_by_one(chunk)
                continue
            try:
                answer = self._client.batch_get_secret_value(SecretIdList=chunk)
            except Exception as exc:
                if self._denied(exc):
                    self._one_by_one(chunk)
                    continue
                error = classify(exc)
                self.current.update(dict.fromkeys(chunk, error))
                continue
            found: dict[str, Payload] = {}
            for value in answer.get("SecretValues", []):
                payload = Payload.of(value)
                found[value.get("Name", "")] = payload
                found[value.get("ARN", "")] = payload
            errors = {e.get("SecretId", ""): _batch_error(e) for e in answer.get("Errors", [])}
            for name in chunk:
                self.current[name] = found.get(name) or errors.get(name) or NotFoundError()

    def _one_by_one(self, names: Iterable[str]) -> None:
        for name in names:
            self.current[name] = self.read_version(name, CURRENT)

    def read_version(self, name: str, version: str) -> Outcome:
        params: dict[str, Any] = {"SecretId": name}
        if version.startswith("uuid/"):
            params["VersionId"] = version[len("uuid/") :]
        else:
            params["VersionStage"] = version
        try:
            return Payload.of(self._client.get_secret_value(**params))
        except Exception as exc:
            return _not_found_or(exc, "")

    def describe_tags(self, name: str) -> bytes | ExtSecretsError:
        try:
            answer = self._client.describe_secret(SecretId=name)
        except Exception as exc:
            return _not_found_or(exc, "")
        return go_json_object({t["Key"]: t["Value"] for t in answer.get("Tags", [])})

    def list_names(self, filters: list[dict[str, Any]]) -> list[str]:
        names: list[str] = []
        params: dict[str, Any] = {"Filters": filters} if filters else {}
        for page in pages(self._client.list_secrets, **params):
            names.extend(s["Name"] for s in page.get("SecretList", []))
        return names

    def batch_filtered(self, filters: list[dict[str, Any]]) -> dict[str, Payload] | None:
        """Every secret the filters match, with its value; ``None`` when batches are denied."""
        if not self._batch_allowed():
            return None
        found: dict[str, Payload] = {}
        failed: list[str] = []
        try:
            for page in pages(self._client.batch_get_secret_value, Filters=filters):
                for value in page.get("SecretValues", []):
                    found[value["Name"]] = Payload.of(value)
                for entry in page.get("Errors", []):
                    failed.append(f"{entry.get('SecretId', '')} ({entry.get('ErrorCode', '')})")
        except Exception as exc:
            if self._denied(exc):
                return None
            raise
        if failed:
            raise PermanentError(
                "BatchGetSecretValue could not read every matching secret: " + ", ".join(failed)
            )
        return found

    # --- the references -------------------------------------------------------------------------

    def name(self, ref: RemoteRef | ExtractRef) -> str:
        return self._prefix + ref.key

    def find(self, ref: FindRef) -> list[str] | SecretMap | ExtSecretsError:
        """Spec §3.4's decision table: the names to read (ListSecrets branches, and any branch
        when batches are denied) or the answer itself (BatchGetSecretValue branches). The
        store prefix is never applied to found names (§0.5)."""
        pattern = compile_user_regex(ref.name_regexp) if ref.name_regexp is not None else None
        tags = _tag_filters(ref.tags)
        try:
            if pattern is not None and not ref.path:
                return [n for n in self.list_names(tags) if pattern.search(n)]
            filters = tags + ([{"Key": "name", "Values": [ref.path]}] if ref.path else [])
            found = self.batch_filtered(filters)
            if found is None:
                return [n for n in self.list_names(filters) if pattern is None or pattern.search(n)]
            return SecretMap(
                {
                    name: SecretBytes(payload.document())
                    for name, payload in found.items()
                    if pattern is None or pattern.search(name)
                }
            )
        except ExtSecretsError as exc:
            return exc
        except Exception as exc:
            return classify(exc)

    def values(self, names: Sequence[str]) -> SecretMap | ExtSecretsError:
        """The values of listed names, from the cycle's batched reads."""
        outcomes = ((n, self.current[n]) for n in names)
        return found_map(
            ((n, o if isinstance(o, ExtSecretsError) else o.document()) for n, o in outcomes),
            "secret",
        )


def _answer(ref: RemoteRef | ExtractRef, outcome: Outcome | bytes) -> FetchOutcome:
    """A read's answer: the value, or ``property`` of it (binary first), a map for
    ``extract``; ``bytes`` are the tags of ``metadataPolicy: Fetch``."""
    if isinstance(outcome, ExtSecretsError):
        return outcome
    if isinstance(outcome, bytes):
        return keyed_answer(ref, outcome)
    plain = outcome.value()
    if plain is None and not ref.property:
        return PermanentError(
            f"invalid secret received. no secret string nor binary for key: {ref.key}"
        )
    return keyed_answer(ref, plain or b"", outcome.document())


def fetch(
    store: StoreView, session: AWSSession, refs: Sequence[FetchRef]
) -> dict[FetchRef, FetchOutcome]:
    """Every reference of one store in one cycle, with as few calls as the rules allow."""
    reader = Reader(session, store.config.prefix)
    keyed = [r for r in refs if isinstance(r, (RemoteRef, ExtractRef))]
    metadata = [r for r in keyed if r.metadata_policy == "Fetch"]
    values = [r for r in keyed if r.metadata_policy != "Fetch"]
    current = [r for r in values if r.version in ("", CURRENT)]
    versioned = [r for r in values if r.version not in ("", CURRENT)]

    answers: dict[FetchRef, FetchOutcome] = {}
    tags = {n: reader.describe_tags(n) for n in dict.fromkeys(reader.name(r) for r in metadata)}
    for ref in metadata:
        answers[ref] = _answer(ref, tags[reader.name(ref)])
    by_version = {
        (n, v): reader.read_version(n, v)
        for n, v in dict.fromkeys((reader.name(r), r.version) for r in versioned)
    }
    for ref in versioned:
        answers[ref] = _answer(ref, by_version[(reader.name(ref), ref.version)])
    # A find that lists names has them read in the same batches as the plain reads.
    finds = {r: reader.find(r) for r in refs if isinstance(r, FindRef)}
    listed = [n for found in finds.values() if isinstance(found, list) for n in found]
    reader.read_current([*(reader.name(r) for r in current), *listed])
    for ref in current:
        answers[ref] = _answer(ref, reader.current[reader.name(ref)])
    for find, found in finds.items():
        answers[find] = reader.values(found) if isinstance(found, list) else found
    return answers
