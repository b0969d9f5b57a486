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
secret by itself (remembered for an hour by the session denied, logged once, counted in
``FALLBACKS``).
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
from extsecrets.properties import keyed_answer
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
from extsecrets_aws_auth.reads import (
    Outage,
    eso_call_pattern,
    found_map,
    id_problem,
    length_limits,
    pages,
    split_failing,
    tags_object,
)
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
# The random suffix AWS appends to a secret's name in its ARN; without it, a partial ARN.
_RANDOM_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
# What no secret id holds: names are ASCII letters, digits and /_+=.@- (and ! in the names of
# the secrets AWS services manage, such as rds!db-...); ARNs add ':'.
_NEVER_IN_ID = re.compile(r"[^A-Za-z0-9/_+=.@!:-]")


@attrs.frozen(repr=False)
class Payload:
    """A secret version's value: ``SecretString`` and/or ``SecretBinary``."""

    string: str | None
    binary: bytes | None

    def __repr__(self) -> str:
        return "Payload(<hidden>)"

    @classmethod
    def of(cls, answer: Mapping[str, Any]) -> Payload | PermanentError:
        """The value of one answer; an answer whose value has the wrong type fails only the
        read it answers."""
        string, binary = answer.get("SecretString"), answer.get("SecretBinary")
        if not isinstance(string, (str, type(None))) or not isinstance(binary, (bytes, type(None))):
            return PermanentError("malformed answer from Secrets Manager: the value is not text")
        return cls(string, binary)

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


def _not_found_or(exc: BaseException, what: str = "") -> ExtSecretsError:
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


def aliases(answer: Mapping[str, Any]) -> set[str]:
    """Every id that names the secret of one answer: its name, its ARN, and its ARN without
    the random suffix (a partial ARN). Answers are matched to requests through these, never
    by assuming AWS echoes an id as it was sent."""
    name, arn = answer.get("Name"), answer.get("ARN")
    out = {v for v in (name, arn) if isinstance(v, str) and v}
    if isinstance(arn, str) and _RANDOM_SUFFIX.search(arn):
        out.add(arn[: -len("-AbCdEf")])
    return out


def _match(ids: Sequence[str], answer: Mapping[str, Any]) -> dict[str, Outcome]:
    """The outcome of each id that one ``BatchGetSecretValue`` answer settles. An id answered by
    two different secrets (one name in two accounts), or by nothing at all, is left out: the
    caller reads it alone, so it never turns into "not found" by a guess."""
    wanted = set(ids)
    by_id: dict[str, dict[str, Mapping[str, Any]]] = {}
    values = answer.get("SecretValues")
    for value in values if isinstance(values, list) else []:
        if not isinstance(value, Mapping):
            continue
        identity = str(value.get("ARN") or value.get("Name"))
        for secret_id in aliases(value) & wanted:
            by_id.setdefault(secret_id, {})[identity] = value
    out: dict[str, Outcome] = {
        secret_id: Payload.of(next(iter(found.values())))
        for secret_id, found in by_id.items()
        if len(found) == 1
    }
    errors = answer.get("Errors")
    for entry in errors if isinstance(errors, list) else []:
        failed = entry.get("SecretId") if isinstance(entry, Mapping) else None
        if isinstance(failed, str) and failed in wanted and failed not in out:
            out[failed] = _batch_error(entry)
    return out


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
        self._session = session
        self._prefix = prefix
        self._limits = length_limits(self._client, "BatchGetSecretValue", "SecretIdList")
        self._outage = Outage()
        self.current: dict[str, Outcome] = {}

    # --- the calls ------------------------------------------------------------------------------

    def _batch_allowed(self) -> bool:
        return not DENIED.denied(self._session)

    def _denied(self, exc: BaseException) -> bool:
        if error_code(exc) in _DENIED_CODES:
            DENIED.remember(self._session)
            return True
        return False

    def refused(self, secret_id: str) -> PermanentError | None:
        """Why AWS would refuse ``secret_id`` in any call, checked before it is sent: in a batch
        it would fail the ids of every other reference with it."""
        return id_problem(secret_id, "secret id", self._limits, _NEVER_IN_ID)

    def read_current(self, names: Iterable[str]) -> None:
        """The current version of every name not read yet, 20 a call. A call that fails because
        of one of its ids is split until that id alone fails (:func:`split_failing`); an id the
        answer does not settle is read alone. Once a call has failed because of AWS rather than
        its ids (:class:`Outage`), the chunks not asked yet fail with that error unsent."""
        todo: list[str] = []
        for name in dict.fromkeys(names):
            if name in self.current:
                continue
            problem = self.refused(name)
            if problem is None:
                todo.append(name)
            else:
                self.current[name] = problem
        for start in range(0, len(todo), BATCH_SIZE):
            chunk = todo[start : start + BATCH_SIZE]
            if not self._batch_allowed() or eso_call_pattern():
                self._one_by_one(chunk)
                continue
            try:
                answered = split_failing(chunk, self._batch, _not_found_or, self._outage)
            except Exception as exc:
                if self._denied(exc):
                    self._one_by_one(chunk)
                    continue
                self.current.update(dict.fromkeys(chunk, classify(exc)))
                continue
            self.current.update(answered)
            self._one_by_one([n for n in chunk if n not in answered])

    def _batch(self, ids: list[str]) -> dict[str, Outcome]:
        return _match(ids, self._client.batch_get_secret_value(SecretIdList=ids))

    def _one_by_one(self, names: Iterable[str]) -> None:
        for name in names:
            self.current[name] = self.read_version(name, CURRENT)

    def read_version(self, name: str, version: str) -> Outcome:
        problem = self.refused(name)
        if problem is not None:
            return problem
        params: dict[str, Any] = {"SecretId": name}
        if version.startswith("uuid/"):
            params["VersionId"] = version[len("uuid/") :]
        else:
            params["VersionStage"] = version
        try:
            answer = self._client.get_secret_value(**params)
        except Exception as exc:
            return _not_found_or(exc)
        return Payload.of(answer)

    def describe_tags(self, name: str) -> bytes | ExtSecretsError:
        problem = self.refused(name)
        if problem is not None:
            return problem
        try:
            answer = self._client.describe_secret(SecretId=name)
        except Exception as exc:
            return _not_found_or(exc)
        return tags_object(answer.get("Tags"), "Secrets Manager")

    def list_names(self, filters: list[dict[str, Any]]) -> list[str]:
        names: list[str] = []
        params: dict[str, Any] = {"Filters": filters} if filters else {}
        for page in pages(self._client.list_secrets, **params):
            listed = page.get("SecretList")
            for entry in listed if isinstance(listed, list) else []:
                name = entry.get("Name") if isinstance(entry, Mapping) else None
                if isinstance(name, str):
                    names.append(name)
        return names

    def batch_filtered(self, filters: list[dict[str, Any]]) -> dict[str, Payload] | None:
        """Every secret the filters match, with its value; ``None`` when batches are denied."""
        if not self._batch_allowed():
            return None
        found: dict[str, Payload] = {}
        failed: list[str] = []
        try:
            for page in pages(self._client.batch_get_secret_value, Filters=filters):
                values, errors = page.get("SecretValues"), page.get("Errors")
                for value in values if isinstance(values, list) else []:
                    name = value.get("Name") if isinstance(value, Mapping) else None
                    payload = Payload.of(value) if isinstance(name, str) else None
                    if isinstance(payload, Payload):
                        found[str(name)] = payload
                    else:
                        failed.append(f"{name or '?'} (malformed answer)")
                for entry in errors if isinstance(errors, list) else []:
                    if isinstance(entry, Mapping):
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
