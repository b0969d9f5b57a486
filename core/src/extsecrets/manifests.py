"""Reading manifests: multi-document YAML from files, folders (recursively) and stdin, within
the limits of :mod:`extsecrets.yaml_limits` (a file, a document or a nesting too large, too many
documents, aliases expanding too far are refused with the file, document and line; the other
documents and files are still read), keys written twice reported as problems of their object."""

from __future__ import annotations

import bisect
import itertools
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import attrs
import yaml

from extsecrets.model.problems import Problem
from extsecrets.yaml_limits import (
    MAX_DOCUMENT_CHARS,
    MAX_DOCUMENTS,
    MAX_FILE_BYTES,
    DuplicateKey,
    LimitedComposer,
    YamlLimitError,
)

__all__ = [
    "Document",
    "ManifestError",
    "duplicate_problem",
    "is_kubernetes_object",
    "parse_documents",
    "read_manifests",
    "read_text",
]

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


class _Loader(LimitedComposer, yaml.SafeLoader):
    """Safe YAML without timestamp conversion (Kubernetes keeps such values as strings), within
    the limits of :mod:`extsecrets.yaml_limits`, the keys written twice found."""

    find_duplicates = True


class _Resumed(_Loader):
    """The rest of a text whose characters were checked already."""

    def check_printable(self, data: Any) -> None:
        pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@attrs.frozen
class Document:
    """One YAML document: where it came from (``file``, 1-based ``index`` and ``line``), and
    what is wrong with it as YAML although it parsed (``problems``: keys defined twice)."""

    file: str
    index: int
    line: int
    body: Any = attrs.field(repr=False)
    problems: tuple[Problem, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.file} (document {self.index}, line {self.line})"


class ManifestError(Exception):
    """A file that cannot be read or parsed: ``file:line: message``."""


def _files(target: str) -> Iterator[str]:
    if target == "-":
        yield "-"
        return
    path = Path(target)
    if path.is_dir():
        for root, dirs, names in os.walk(path):
            dirs.sort()
            for name in sorted(names):
                if name.endswith(MANIFEST_SUFFIXES) and not name.startswith("."):
                    yield str(Path(root) / name)
    elif path.exists():
        yield target
    else:
        raise ManifestError(f"{target}: no such file or directory")


def is_kubernetes_object(body: Any) -> bool:
    """A mapping with ``apiVersion`` and ``kind``; other documents are skipped."""
    return isinstance(body, dict) and bool(body.get("apiVersion")) and bool(body.get("kind"))


def duplicate_problem(dup: DuplicateKey, skip: int = 0) -> Problem:
    """The problem of a key defined twice, its path ``skip`` items shorter."""
    return Problem.at(
        dup.path[skip:],
        f"key defined more than once: at line {dup.first_line} and at line {dup.line}",
    )


def read_text(text: str, file: str) -> tuple[list[Document], list[ManifestError]]:
    """The documents of one YAML text (``kind: List`` expanded), and what could not be read:
    a document beyond a limit is skipped with an error naming it (the documents after it are
    read); a syntax error loses the rest of the text; more than :data:`MAX_DOCUMENTS` loses it
    all. ``file`` names the text in errors."""
    starts = [m.start() for m in _MARKER.finditer(text) if m.group() == "---"]
    if len(starts) > MAX_DOCUMENTS:  # each starts a document: refused before parsing any
        return [], [_too_many(file)]
    text, oversized = _blank_oversized(text)
    if oversized:  # the blanked text is shorter: its documents start elsewhere
        starts = [m.start() for m in _MARKER.finditer(text) if m.group() == "---"]
    errors = [
        ManifestError(
            f"{file}:{line}: the document is larger than {MAX_DOCUMENT_CHARS:,} "
            "characters; not read"
        )
        for line in oversized
    ]
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # a character YAML forbids (NUL...): checked before parsing
        return [], [*errors, _yaml_error(exc, file, text)]
    docs: list[Document] = []
    index, offset = 0, 0  # documents seen; where the text the loader reads starts
    while True:
        lines_before = text.count("\n", 0, offset)
        resume = None
        try:
            while loader.check_event(yaml.DocumentStartEvent, yaml.StreamStartEvent):
                if loader.check_event(yaml.StreamStartEvent):
                    loader.get_event()  # type: ignore[no-untyped-call]
                    continue
                index += 1
                mark = loader.peek_event().start_mark  # type: ignore[no-untyped-call]
                line = lines_before + mark.line + 1
                try:
                    body = loader.get_data()
                except YamlLimitError as exc:
                    at = lines_before + exc.problem_mark.line + 1
                    where = f"{file} (document {index}, line {line})"
                    errors.append(ManifestError(f"{where}: {exc.problem} (line {at}); not read"))
                    # the rest of this document is not even scanned: PyYAML's scanner is
                    # quadratic in the depth of flow collections
                    resume = bisect.bisect_right(starts, offset + exc.problem_mark.index)
                    break
                dups = [
                    attrs.evolve(
                        d, line=d.line + lines_before, first_line=d.first_line + lines_before
                    )
                    for d in loader.duplicates
                ]
                docs.extend(_documents(body, dups, file, index, line, errors))
                if max(index, len(docs)) > MAX_DOCUMENTS:  # the items of a List count too
                    return [], [_too_many(file)]
        except yaml.YAMLError as exc:
            errors.append(_yaml_error(exc, file, text, lines_before))
        finally:
            loader.dispose()
        if resume is None or resume >= len(starts):
            return docs, errors
        offset = starts[resume]
        loader = _Resumed(text[offset:])


def _too_many(file: str) -> ManifestError:
    return ManifestError(f"{file}: more than {MAX_DOCUMENTS:,} documents; not read")


#: a line that starts a document (``---``) or ends one (``...``): YAML allows neither inside one
_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.MULTILINE)


def _blank_oversized(text: str) -> tuple[str, list[int]]:
    """``text`` with every stretch between document markers longer than MAX_DOCUMENT_CHARS
    blanked (its line breaks kept, so later lines keep their numbers), and the first lines of
    those stretches: a huge document is refused before the parser reads a character of it."""
    if len(text) <= MAX_DOCUMENT_CHARS:
        return text, []
    bounds = [0, *(m.start() for m in _MARKER.finditer(text)), len(text)]
    pieces: list[str] = []
    lines: list[int] = []
    for start, end in itertools.pairwise(bounds):
        piece = text[start:end]
        if len(piece) > MAX_DOCUMENT_CHARS:
            lines.append(text.count("\n", 0, start) + 1)
            marker = piece[:3] if _MARKER.match(piece) else ""
            piece = marker + "\n" * piece.count("\n")
        pieces.append(piece)
    return "".join(pieces), lines


def _documents(
    body: Any,
    duplicates: Sequence[DuplicateKey],
    file: str,
    index: int,
    line: int,
    errors: list[ManifestError],
) -> Iterator[Document]:
    if body is None:
        return
    if (
        isinstance(body, dict)
        and body.get("kind") == "List"
        and isinstance(body.get("items"), list)
    ):
        for i, item in enumerate(body["items"]):
            mine = [d for d in duplicates if d.path[:2] == ("items", i)]
            problems = tuple(duplicate_problem(d, 2) for d in mine)
            yield Document(file, index, line, item, problems)
        for dup in duplicates:
            if dup.path[:1] != ("items",) or len(dup.path) == 2:
                where = f"{file} (document {index}, line {line})"
                errors.append(ManifestError(f"{where}: {duplicate_problem(dup).line('List')}"))
        return
    yield Document(file, index, line, body, tuple(duplicate_problem(d) for d in duplicates))


def _yaml_error(exc: yaml.YAMLError, file: str, text: str, lines_before: int = 0) -> ManifestError:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        return ManifestError(
            f"{file}:{line}: invalid YAML: character #x{exc.character:04x} is not allowed"
        )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{file}:{lines_before + mark.line + 1}:{mark.column + 1}" if mark else file
    problem = getattr(exc, "problem", None) or str(exc)
    return ManifestError(f"{where}: invalid YAML: {problem}")


def parse_documents(text: str, file: str) -> Iterator[Document]:
    """The documents of one YAML text; the first error that :func:`read_text` found, if any,
    is raised (as :class:`ManifestError`) after the documents that could be read."""
    docs, errors = read_text(text, file)
    yield from docs
    if errors:
        raise errors[0]


def _read(file: str, stdin: IO[str] | None) -> tuple[str, str]:
    """The text of ``file`` (``-``: stdin) and its name; refused beyond MAX_FILE_BYTES."""
    if file == "-":
        text, name = (stdin or sys.stdin).read(MAX_FILE_BYTES + 1), "<stdin>"
    else:
        name = file
        size = Path(file).stat().st_size
        if size > MAX_FILE_BYTES:
            raise ManifestError(f"{file}: larger than {MAX_FILE_BYTES:,} bytes; not read")
        with open(file, encoding="utf-8") as f:
            text = f.read(MAX_FILE_BYTES + 1)
    if len(text) > MAX_FILE_BYTES:
        raise ManifestError(f"{name}: larger than {MAX_FILE_BYTES:,} bytes; not read")
    return text, name


def read_manifests(
    targets: Sequence[str], stdin: IO[str] | None = None
) -> tuple[list[Document], list[ManifestError]]:
    """Every document of every target, in order, and the files or documents that could not be
    read or parsed (each reported once; the other files and documents are still read)."""
    docs: list[Document] = []
    errors: list[ManifestError] = []
    for target in targets:
        try:
            files = list(_files(target))
        except ManifestError as exc:
            errors.append(exc)
            continue
        for file in files:
            try:
                text, name = _read(file, stdin)
            except UnicodeDecodeError:  # its text quotes a byte of the file, maybe of a Secret
                errors.append(ManifestError(f"{file}: cannot read: not valid UTF-8"))
                continue
            except OSError as exc:
                errors.append(ManifestError(f"{file}: cannot read: {exc}"))
                continue
            except ManifestError as exc:
                errors.append(exc)
                continue
            found, failed = read_text(text, name)
            docs.extend(found)
            errors.extend(failed)
    return docs, errors
