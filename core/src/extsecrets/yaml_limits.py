"""Limits on the YAML extsecrets reads, in one place: manifests (``validate``, ``render``), the
output of a ``KeysAndValues`` template and the text given to ``fromYaml``. Each refuses, fast
and without deep recursion, what would otherwise cost memory or time out of proportion to its
size: deep nesting, alias expansion ("billion laughs"), huge documents, many documents.

The Kubernetes API server refuses a request body over 3 MiB; go-yaml refuses documents with
excessive aliasing. Only :func:`go_first_document` uses the rest of extsecrets (go-yaml's
composer, :class:`extsecrets.templates.goyaml.GoComposer`, imported when first needed: the
template package imports this module while it initialises).
"""

from __future__ import annotations

import functools
from typing import Any

import attrs
import yaml

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "MAX_DOCUMENTS",
    "MAX_DOCUMENT_CHARS",
    "MAX_FILE_BYTES",
    "DuplicateKey",
    "LimitedComposer",
    "YamlLimitError",
    "go_first_document",
]

#: a file (or stdin) larger than this is refused unread
MAX_FILE_BYTES = 16 * 1024 * 1024
#: one document (its text, in characters): the API server refuses a request body over 3 MiB
MAX_DOCUMENT_CHARS = 3 * 1024 * 1024
#: documents in one file (the items of a ``kind: List`` count one each)
MAX_DOCUMENTS = 50_000
#: mappings and sequences nested in one another, the document's root being level 1
MAX_DEPTH = 100
#: nodes that aliases (``*name``) may add to one document once expanded ("billion laughs")
MAX_ALIAS_NODES = 10_000


class YamlLimitError(yaml.YAMLError):
    """A document beyond one of the limits above (``mark`` is where it was found)."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


@attrs.frozen
class DuplicateKey:
    """A key written twice in one mapping: ``path`` to the second one, both lines 1-based."""

    path: tuple[str | int, ...]
    line: int
    first_line: int


class LimitedComposer(yaml.composer.Composer):
    """A composer that refuses a document nested deeper than :data:`MAX_DEPTH`, larger than
    :data:`MAX_DOCUMENT_CHARS`, or to which aliases add more than :data:`MAX_ALIAS_NODES`
    nodes (an alias to a node that contains it too), each with a :class:`YamlLimitError`, fast
    and without recursing deeper than the limit. Mix it in before PyYAML's composer.

    With ``find_duplicates``, the keys written twice in a mapping are collected in
    :attr:`duplicates` (merge keys ``<<`` apart), with their path from the document's root.
    """

    find_duplicates = False

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        """The scanner's ``[`` and ``{``: refused past MAX_DEPTH open ones. PyYAML's scanner
        looks ahead while a simple key may start, and checks every open level at each token:
        3,000 brackets on a line cost 0.4 s before the composer saw the first of them."""
        if self.flow_level >= MAX_DEPTH:  # type: ignore[attr-defined]
            mark = self.get_mark()  # type: ignore[attr-defined]
            raise YamlLimitError(f"nested deeper than {MAX_DEPTH} levels", mark)
        super().fetch_flow_collection_start(token_class)  # type: ignore[misc]

    def compose_document(self) -> Any:
        self.duplicates: list[DuplicateKey] = []
        self._depth = 0
        self._path: list[str | int] = []
        self._doc_start = self.peek_event().start_mark.index  # type: ignore[attr-defined]
        self._real = 0  # nodes as written
        self._expanded = 0  # nodes once aliases are expanded
        self._sizes: dict[int, int] = {}  # id(anchored node) -> its expanded size
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[attr-defined]
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            size = self._sizes.get(id(node))
            if size is None:
                raise YamlLimitError(
                    f"the alias *{event.anchor} is inside the node it names", event.start_mark
                )
            self._expanded += size
            if self._expanded - self._real > MAX_ALIAS_NODES:
                raise YamlLimitError(
                    f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes", event.start_mark
                )
            return node
        if event.start_mark.index - self._doc_start > MAX_DOCUMENT_CHARS:
            raise YamlLimitError(self._too_large, event.start_mark)
        collection = isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent))
        if collection and self._depth >= MAX_DEPTH:
            raise YamlLimitError(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        self._real += 1
        self._expanded += 1
        start = self._expanded
        pushed = self._push(parent, index)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
            if self.find_duplicates and isinstance(node, yaml.MappingNode):
                self._note_duplicates(node)
        finally:
            self._depth -= 1
            if pushed:
                self._path.pop()
        if node is None:  # PyYAML's parser yields no other event here
            return None
        if node.end_mark.index - self._doc_start > MAX_DOCUMENT_CHARS:
            raise YamlLimitError(self._too_large, event.start_mark)
        if event.anchor is not None:
            self._sizes[id(node)] = self._expanded - start + 1
        return node

    @property
    def _too_large(self) -> str:
        return f"the document is larger than {MAX_DOCUMENT_CHARS:,} characters"

    def _push(self, parent: Any, index: Any) -> bool:
        if not self.find_duplicates:
            return False
        if isinstance(parent, yaml.SequenceNode) and isinstance(index, int):
            self._path.append(index)
        elif isinstance(parent, yaml.MappingNode) and isinstance(index, yaml.ScalarNode):
            self._path.append(index.value)
        else:
            return False
        return True

    def _note_duplicates(self, node: yaml.MappingNode) -> None:
        first: dict[tuple[str, str], int] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                continue
            line = key.start_mark.line + 1
            seen = first.get((key.tag, key.value))
            if seen is None:
                first[(key.tag, key.value)] = line
            else:
                self.duplicates.append(DuplicateKey((*self._path, key.value), line, seen))


@functools.cache
def _go_reader() -> type[Any]:
    from extsecrets.templates.goyaml import GoComposer

    class GoReader(LimitedComposer, GoComposer):
        """go-yaml v2's view of a text (plain scalars left to its resolver), within limits."""

    return GoReader


def go_first_document(text: str) -> yaml.Node | None:
    """The node of the first document of ``text`` (go-yaml v2 reads no further), ``None`` for
    an empty stream; :class:`YamlLimitError` beyond a limit, PyYAML's errors otherwise."""
    loader = _go_reader()(text)
    try:
        node: yaml.Node | None = loader.get_node() if loader.check_node() else None
        return node
    finally:
        loader.dispose()
