"""Reading Parameter Store for one store in one sync cycle (spec §4.1 to §4.4, §0).

Every value of the cycle (plain, ``version: 3``, ``version: <label>``, and the values a
``find`` matched) is read with ``GetParameters(WithDecryption=True)``, 10 names a call, each
distinct name once; ``InvalidParameters`` become "not found" for the references that named them.
``metadataPolicy: Fetch`` is one ``ListTagsForResource`` per distinct name. ``find`` by name uses
``GetParametersByPath`` (values included), falling back by itself to ``DescribeParameters`` when
that is denied; ``find`` by tags uses ``DescribeParameters`` filters.

Answers are matched to requests by name and selector. moto leaves ``Selector`` out of its
answers for ``name:3`` and ``name:label`` (AWS includes it), so a call never carries two
requests for one parameter that only a selector could tell apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from extsecrets.errors import ExtSecretsError, NotFoundError, PermanentError
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
from extsecrets_aws_auth.errors import classify, error_code
from extsecrets_aws_auth.fallback import DeniedBatches
from extsecrets_aws_auth.reads import eso_call_pattern, found_map, pages
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


def _calls(requested: Sequence[str]) -> Iterator[list[str]]:
    """Groups of at most 10 names, with at most one non-numeric selector (plain or label) per
    parameter in a group, so every answer can be matched even without its ``Selector``."""
    pending = list(dict.fromkeys(requested))
    while pending:
        group: list[str] = []
        labelled: set[str] = set()
        rest: list[str] = []
        for name in pending:
            base, selector = split_selector(name)
            numeric = selector.isdigit()
            if len(group) >= BATCH_SIZE or (not numeric and base in labelled):
                rest.append(name)
                continue
            group.append(name)
            if not numeric:
                labelled.add(base)
        yield group
        pending = rest


class Reader:
    """One cycle's reads for one store."""

    def __init__(self, session: AWSSession, prefix: str) -> None:
        self._client = session.client("ssm")
        self._principal = session.principal
        self._prefix = prefix
        self.values: dict[str, Outcome] = {}

    def name(self, ref: RemoteRef | ExtractRef) -> str:
        name = self._prefix + ref.key
        return f"{name}:{ref.version}" if ref.version else name

    # --- values ---------------------------------------------------------------------------------

    def read(self, requested: Iterable[str]) -> None:
        """Every name (with its selector) not read yet, 10 a call."""
        todo = [n for n in dict.fromkeys(requested) if n not in self.values]
        if eso_call_pattern():  # the benchmark's model of ESO: GetParameter per entry
            for name in todo:
                try:
                    answer = self._client.get_parameter(Name=name, WithDecryption=True)
                    self.values[name] = answer["Parameter"].get("Value")
                except Exception as exc:
                    self.values[name] = _missing_or(exc)
            return
        for group in _calls(todo):
            try:
                answer = self._client.get_parameters(Names=group, WithDecryption=True)
            except Exception as exc:
                error = _missing_or(exc)
                self.values.update(dict.fromkeys(group, error))
                continue
            for name in answer.get("InvalidParameters", []):
                self.values[name] = NotFoundError()
            self._match(group, answer.get("Parameters", []))
            for name in group:
                self.values.setdefault(name, NotFoundError())

    def _match(self, group: list[str], parameters: list[Mapping[str, Any]]) -> None:
        wanted = {n: split_selector(n) for n in group if n not in self.values}
        for parameter in parameters:
            base, selector = parameter["Name"], str(parameter.get("Selector", "")).lstrip(":")
            candidates = [n for n, (b, _) in wanted.items() if b == base]
            if selector:
                chosen = [n for n in candidates if wanted[n][1] == selector]
            else:
                version = str(parameter.get("Version", ""))
                chosen = [n for n in candidates if wanted[n][1] == version] or [
                    n for n in candidates if not wanted[n][1].isdigit()
                ]
            for name in chosen[:1]:
                self.values[name] = parameter.get("Value")  # type: ignore[assignment]
                del wanted[name]

    def tags(self, name: str) -> bytes | ExtSecretsError:
        try:
            answer = self._client.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)
        except Exception as exc:
            if error_code(exc) in _MISSING_CODES:
                return NotFoundError()
            return classify(exc, "error listing tags ")
        return go_json_object({t["Key"]: t["Value"] for t in answer.get("TagList", [])})

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
        if DENIED.denied(self._principal):
            return None
        found: dict[str, str] = {}
        try:
            for page in pages(
                self._client.get_parameters_by_path,
                Path=path,
                Recursive=True,
                WithDecryption=True,
            ):
                found.update({p["Name"]: p.get("Value", "") for p in page.get("Parameters", [])})
        except Exception as exc:
            if error_code(exc) in _DENIED_CODES:
                DENIED.remember(self._principal)
                return None
            raise classify(exc, f"fetching parameters by path {path}: ") from None
        return found

    def _describe(self, filters: list[dict[str, Any]]) -> list[str]:
        names: list[str] = []
        params: dict[str, Any] = {"ParameterFilters": filters} if filters else {}
        for page in pages(self._client.describe_parameters, **params):
            names.extend(p["Name"] for p in page.get("Parameters", []))
        return names

    def found_values(self, names: Sequence[str]) -> SecretMap | ExtSecretsError:
        return found_map(
            (
                (n, v if isinstance(v, ExtSecretsError) else v.encode())
                for n, v in ((n, self.values[n]) for n in names)
            ),
            "parameter",
        )


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
