"""Reading Parameter Store for one store in one sync cycle (spec §4.1 to §4.4, §0).

Every value of the cycle (plain, ``version: 3``, ``version: <label>``, and the values a
``find`` matched) is read with ``GetParameters(WithDecryption=True)``, 10 names a call, each
distinct name once; ``InvalidParameters`` become "not found" for the references that named them.
``metadataPolicy: Fetch`` is one ``ListTagsForResource`` per distinct name. ``find`` by name uses
``GetParametersByPath`` (values included), falling back by itself to ``DescribeParameters`` when
that is denied; ``find`` by tags uses ``DescribeParameters`` filters.

A name and a parameter ARN (``arn:aws:ssm:<region>:<account>:parameter/<name>``, which AWS
and moto answer with the plain ``Name`` and the ``ARN``) both work, with or without a selector.
Answers are matched to requests by what AWS returns (``Name``, ``ARN``, ``Selector``,
``Version``), never by assuming an id is echoed as sent; a request that no answer settles
without doubt is read alone with ``GetParameter``. moto leaves ``Selector`` out of its answers
for ``name:3`` and ``name:label`` (AWS includes it), so a call never carries two requests for
one parameter that only a selector could tell apart.

Names that AWS would refuse in any call are refused before sending, and a call that AWS still
refuses because of one name is split until that name alone fails
(:func:`extsecrets_aws_auth.reads.split_failing`), so one bad reference never fails the
others read in the same call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from extsecrets.errors import ExtSecretsError, NotFoundError, PermanentError
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
from extsecrets_aws_auth.errors import classify, error_code
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

__all__ = ["BATCH_SIZE", "DENIED", "fetch", "split_selector"]

BATCH_SIZE = 10
DENIED = DeniedBatches(
    "ssm",
    "GetParametersByPath",
    "grant ssm:GetParametersByPath on the path to list parameters with their values",
)
_DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied"})
_MISSING_CODES = frozenset({"ParameterNotFound", "ParameterVersionNotFound", "InvalidResourceId"})
# What no parameter id holds: names are ASCII letters, digits and _.-/ (AWS's naming rules),
# and /aws/reference/secretsmanager/<secret> adds the secret name characters +=@!; selectors
# and ARNs add ':'. Spaces only at either end, which AWS trims.
_NEVER_IN_ID = re.compile(r"[^A-Za-z0-9_./:+=@!-]")
_MALFORMED = "malformed answer from Parameter Store: the value is not text"

Outcome = str | ExtSecretsError


def split_selector(requested: str) -> tuple[str, str]:
    """``name:3`` -> (``name``, ``3``); ``name`` -> (``name``, ``""``). ARNs keep their colons."""
    head, sep, tail = requested.rpartition(":")
    if not sep or (requested.startswith("arn:") and requested.count(":") <= 5):
        return requested, ""
    if "/" in tail:
        return requested, ""
    return head, tail


def _missing_or(exc: BaseException, prefix: str = "") -> ExtSecretsError:
    if error_code(exc) in _MISSING_CODES:
        return NotFoundError()
    return classify(exc, prefix)


def _parameter(base: str) -> str:
    """One key for every way of naming a parameter: ``/app/x``, ``app/x`` and
    ``arn:...:parameter/app/x`` all give ``app/x``."""
    if base.startswith("arn:") and base.count(":") >= 5:
        base = base.split(":", 5)[5].removeprefix("parameter")
    return base.lstrip("/")


def _calls(requested: Sequence[str]) -> Iterator[list[str]]:
    """Groups of at most 10 names, with at most one non-numeric selector (plain or label) per
    parameter in a group, however it is named, so every answer can be matched even without
    its ``Selector``."""
    pending = list(dict.fromkeys(requested))
    while pending:
        group: list[str] = []
        labelled: dict[str, str] = {}
        rest: list[str] = []
        for name in pending:
            base, selector = split_selector(name)
            key = _parameter(base)
            clash = not selector.isdigit() and labelled.get(key, selector) != selector
            if len(group) >= BATCH_SIZE or clash:
                rest.append(name)
                continue
            group.append(name)
            if not selector.isdigit():
                labelled[key] = selector
        yield group
        pending = rest


def _identity(parameter: Mapping[str, Any]) -> tuple[str, str]:
    """(parameter, version) of an answer: one value."""
    return str(parameter.get("ARN") or parameter.get("Name")), str(parameter.get("Version", ""))


def _value(parameter: Mapping[str, Any]) -> Outcome | None:
    value = parameter.get("Value")
    return value if isinstance(value, (str, type(None))) else PermanentError(_MALFORMED)


def _match(group: Sequence[str], answer: Mapping[str, Any]) -> dict[str, Outcome | None]:
    """The outcome of each name of ``group`` that one ``GetParameters`` answer settles.

    An answer fits a request when the request names it (its ``Name`` or its ``ARN``) and asks
    for its version: its ``Selector``, or, when moto leaves that out, its ``Version`` for
    ``name:3``, and for a plain name or a label a copy of a version beyond those the group's
    ``name:<n>`` requests account for. A request fitted by exactly one (parameter, version)
    takes its value; one fitted by none or by several (one name in two accounts) is left out,
    to be read alone."""
    parameters = _parameters(answer)
    wanted = {n: split_selector(n) for n in group}
    out: dict[str, Outcome | None] = {}
    for name, (base, selector) in wanted.items():
        fits: dict[tuple[str, str], Mapping[str, Any]] = {}
        for parameter in parameters:
            ids = {parameter.get("Name"), parameter.get("ARN")} - {None, ""}
            if base not in ids:
                continue
            key = _identity(parameter)
            given = str(parameter.get("Selector") or "").lstrip(":")
            if given:
                fit = given == selector
            elif selector.isdigit():
                fit = key[1] == selector
            else:
                claims = sum(
                    1 for b, s in wanted.values() if s.isdigit() and s == key[1] and b in ids
                )
                copies = sum(1 for p in parameters if _identity(p) == key and not p.get("Selector"))
                fit = copies > claims
            if fit:
                fits[key] = parameter
        if len(fits) == 1:
            out[name] = _value(next(iter(fits.values())))
    invalid = answer.get("InvalidParameters")
    for name in invalid if isinstance(invalid, list) else []:
        if isinstance(name, str) and name in wanted and name not in out:
            out[name] = NotFoundError()
    return out


class Reader:
    """One cycle's reads for one store."""

    def __init__(self, session: AWSSession, prefix: str) -> None:
        self._client = session.client("ssm")
        self._session = session
        self._prefix = prefix
        self._limits = length_limits(self._client, "GetParameters", "Names")
        self._outage = Outage()
        self.values: dict[str, Outcome | None] = {}

    def name(self, ref: RemoteRef | ExtractRef) -> str:
        name = self._prefix + ref.key
        return f"{name}:{ref.version}" if ref.version else name

    # --- values ---------------------------------------------------------------------------------

    def refused(self, name: str) -> PermanentError | None:
        """Why AWS would refuse ``name`` (selector included) in any call, checked before it is
        sent: in a batch it would fail the names of every other reference with it."""
        return id_problem(name, "parameter name", self._limits, _NEVER_IN_ID, trimmed=True)

    def read(self, requested: Iterable[str]) -> None:
        """Every name (with its selector) not read yet, 10 a call. Once a call has failed
        because of AWS rather than its names (:class:`Outage`), the groups not asked yet fail
        with that error unsent."""
        todo: list[str] = []
        for name in dict.fromkeys(requested):
            if name in self.values:
                continue
            problem = self.refused(name)
            if problem is None:
                todo.append(name)
            else:
                self.values[name] = problem
        if eso_call_pattern():  # the benchmark's model of ESO: GetParameter per entry
            for name in todo:
                self.values[name] = self._one(name)
            return
        for group in _calls(todo):
            try:
                answered = split_failing(group, self._batch, _missing_or, self._outage)
            except Exception as exc:
                self.values.update(dict.fromkeys(group, _missing_or(exc)))
                continue
            self.values.update(answered)
            for name in group:
                if name not in answered:
                    self.values[name] = self._one(name)

    def _batch(self, names: list[str]) -> dict[str, Outcome | None]:
        return _match(names, self._client.get_parameters(Names=names, WithDecryption=True))

    def _one(self, name: str) -> Outcome | None:
        """One name read alone, whose answer needs no matching."""
        try:
            answer = self._client.get_parameter(Name=name, WithDecryption=True)
        except Exception as exc:
            return _missing_or(exc)
        parameter = answer.get("Parameter")
        return _value(parameter) if isinstance(parameter, Mapping) else PermanentError(_MALFORMED)

    def tags(self, name: str) -> bytes | ExtSecretsError:
        problem = self.refused(name)
        if problem is not None:
            return problem
        try:
            answer = self._client.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)
        except Exception as exc:
            if error_code(exc) in _MISSING_CODES:
                return NotFoundError()
            return classify(exc, "error listing tags ")
        return tags_object(answer.get("TagList"), "Parameter Store")

    # --- find -----------------------------------------------------------------------------------

    def find(self, ref: FindRef) -> list[str] | dict[str, str] | ExtSecretsError:
        """Names whose values are still to be read, or the values themselves (by path)."""
        path = ref.path or "/"
        try:
            if ref.name_regexp is not None:
                pattern = compile_user_regex(ref.name_regexp)
                by_path = self._by_path(path)
                if by_path is None:  # denied: describe, then read in batches
                    names = self._describe(
                        [{"Key": "Path", "Option": "Recursive", "Values": [path]}]
                    )
                    return [n for n in names if pattern.search(n)]
                return {n: v for n, v in by_path.items() if pattern.search(n)}
            filters = [
                {"Key": f"tag:{k}", "Option": "Equals", "Values": [v]}
                for k, v in (ref.tags or {}).items()
            ]
            if ref.path:
                filters.append({"Key": "Path", "Option": "Recursive", "Values": [ref.path]})
            return self._describe(filters)
        except ExtSecretsError as exc:
            return exc
        except Exception as exc:
            return classify(exc)

    def _by_path(self, path: str) -> dict[str, str] | None:
        if DENIED.denied(self._session):
            return None
        found: dict[str, str] = {}
        try:
            for page in pages(
                self._client.get_parameters_by_path,
                Path=path,
                Recursive=True,
                WithDecryption=True,
            ):
                for parameter in _parameters(page):
                    name, value = parameter.get("Name"), parameter.get("Value")
                    if not isinstance(name, str):
                        continue
                    if not isinstance(value, str):
                        raise PermanentError(f"{_MALFORMED}: {name}")
                    found[name] = value
        except Exception as exc:
            if error_code(exc) in _DENIED_CODES:
                DENIED.remember(self._session)
                return None
            raise classify(exc, f"fetching parameters by path {path}: ") from None
        return found

    def _describe(self, filters: list[dict[str, Any]]) -> list[str]:
        names: list[str] = []
        params: dict[str, Any] = {"ParameterFilters": filters} if filters else {}
        for page in pages(self._client.describe_parameters, **params):
            names.extend(n for p in _parameters(page) if isinstance(n := p.get("Name"), str))
        return names

    def found_values(self, names: Sequence[str]) -> SecretMap | ExtSecretsError:
        return found_map(
            (
                (n, v if isinstance(v, ExtSecretsError) else (v or "").encode())
                for n, v in ((n, self.values[n]) for n in names)
            ),
            "parameter",
        )


def _parameters(page: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = page.get("Parameters")
    return [p for p in found if isinstance(p, Mapping)] if isinstance(found, list) else []


def _answer(ref: RemoteRef | ExtractRef, outcome: Outcome | bytes | None) -> FetchOutcome:
    if isinstance(outcome, ExtSecretsError):
        return outcome
    if outcome is None:
        return PermanentError(f"invalid secret received. parameter value is nil for key: {ref.key}")
    return keyed_answer(ref, outcome if isinstance(outcome, bytes) else outcome.encode())


def fetch(
    store: StoreView, session: AWSSession, refs: Sequence[FetchRef]
) -> dict[FetchRef, FetchOutcome]:
    """Every reference of one store in one cycle, with as few calls as the rules allow."""
    reader = Reader(session, store.config.prefix)
    keyed = [r for r in refs if isinstance(r, (RemoteRef, ExtractRef))]
    metadata = [r for r in keyed if r.metadata_policy == "Fetch"]
    values = [r for r in keyed if r.metadata_policy != "Fetch"]

    answers: dict[FetchRef, FetchOutcome] = {}
    tags = {n: reader.tags(n) for n in dict.fromkeys(reader.name(r) for r in metadata)}
    for ref in metadata:
        answers[ref] = _answer(ref, tags[reader.name(ref)])
    finds = {r: reader.find(r) for r in refs if isinstance(r, FindRef)}
    listed = [n for found in finds.values() if isinstance(found, list) for n in found]
    reader.read([*(reader.name(r) for r in values), *listed])
    for ref in values:
        answers[ref] = _answer(ref, reader.values[reader.name(ref)])
    for find, found in finds.items():
        if isinstance(found, list):
            answers[find] = reader.found_values(found)
        elif isinstance(found, dict):
            answers[find] = SecretMap({n: SecretBytes(v.encode()) for n, v in found.items()})
        else:
            answers[find] = found
    return answers
