"""Reading manifests: multi-document YAML from files, folders (recursively) and stdin."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import attrs
import yaml

__all__ = [
    "Document",
    "ManifestError",
    "is_kubernetes_object",
    "parse_documents",
    "read_manifests",
]

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


class _Loader(yaml.SafeLoader):
    """Safe YAML without timestamp conversion: Kubernetes keeps such values as strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@attrs.frozen
class Document:
    """One YAML document: where it came from (``file``, 1-based ``index`` and ``line``)."""

    file: str
    index: int
    line: int
    body: Any = attrs.field(repr=False)

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


def parse_documents(text: str, file: str) -> Iterator[Document]:
    """The documents of one YAML text (``kind: List`` expanded); ``file`` names it in errors."""
    loader = _Loader(text)
    try:
        index = 0
        while loader.check_event(yaml.DocumentStartEvent, yaml.StreamStartEvent):
            if loader.check_event(yaml.StreamStartEvent):
                loader.get_event()  # type: ignore[no-untyped-call]
                continue
            index += 1
            line = loader.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
            body = loader.get_data()
            if body is None:
                continue
            if (
                isinstance(body, dict)
                and body.get("kind") == "List"
                and isinstance(body.get("items"), list)
            ):
                for item in body["items"]:
                    yield Document(file, index, line, item)
            else:
                yield Document(file, index, line, body)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
        problem = getattr(exc, "problem", None) or str(exc)
        raise ManifestError(f"{where}: invalid YAML: {problem}") from None
    finally:
        loader.dispose()


def read_manifests(
    targets: Sequence[str], stdin: IO[str] | None = None
) -> tuple[list[Document], list[ManifestError]]:
    """Every document of every target, in order, and the files that could not be read or
    parsed (each reported once; the other files are still read)."""
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
                if file == "-":
                    text, name = (stdin or sys.stdin).read(), "<stdin>"
                else:
                    text, name = Path(file).read_text(encoding="utf-8"), file
                docs.extend(parse_documents(text, name))
            except UnicodeDecodeError:  # its text quotes a byte of the file, maybe of a Secret
                errors.append(ManifestError(f"{file}: cannot read: not valid UTF-8"))
            except OSError as exc:
                errors.append(ManifestError(f"{file}: cannot read: {exc}"))
            except ManifestError as exc:
                errors.append(exc)
    return docs, errors
