"""``dataFrom[].rewrite``: key rewriting as ESO does it with Go's ``regexp`` (RE2 here too).

``regexp`` rewrites replace every match in a key with a Go template (``$1``, ``${name}``,
``$$``), exactly like Go's ``Regexp.ReplaceAllString``: empty matches right after a match are
skipped and ``$1x`` names a group called ``1x``, as in Go. ``transform`` renders a Go template
over each key (``.value``; ESO's function map, no ``missingkey=error``: templates spec §4).
``merge`` is not supported yet (admission refuses it).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from extsecrets.errors import PermanentError
from extsecrets.model.external_secret import Rewrite
from extsecrets.model.template_rules import parse_transform
from extsecrets.regex import compile_user_regex
from extsecrets.templates import ParseError, TemplateError
from extsecrets.templates.gofmt import go_quote
from extsecrets.templates.values import GoMap, to_go_bytes

__all__ = ["go_expand", "replace_all", "rewrite_map", "transform_key"]


def _name_char(char: str) -> bool:
    # Go: unicode.IsLetter || unicode.IsDigit || '_'
    category = unicodedata.category(char)
    return char == "_" or category[0] == "L" or category == "Nd"


def _reference(template: str) -> tuple[str, int, str] | None:
    """Go's ``extract``: ``(name, group number or -1, rest)`` of ``name…`` or ``{name}…``."""
    brace = template.startswith("{")
    body = template[1:] if brace else template
    i = 0
    while i < len(body) and _name_char(body[i]):
        i += 1
    if i == 0:
        return None
    name = body[:i]
    if brace:
        if i >= len(body) or body[i] != "}":
            return None
        i += 1
    ascii_digits = all("0" <= c <= "9" for c in name)
    num = int(name) if ascii_digits and len(name) <= 8 else -1
    if name[0] == "0" and len(name) > 1:
        num = -1
    return name, num, body[i:]


def go_expand(template: str, match: Any, groupindex: Mapping[str, int]) -> str:
    """Go's ``Regexp.Expand`` of ``template`` for one RE2 match."""
    out: list[str] = []
    while True:
        before, dollar, after = template.partition("$")
        out.append(before)
        if not dollar:
            return "".join(out)
        if after.startswith("$"):
            out.append("$")
            template = after[1:]
            continue
        ref = _reference(after)
        if ref is None:  # malformed: the $ is literal text
            out.append("$")
            template = after
            continue
        name, num, template = ref
        group = num if num >= 0 else groupindex.get(name, -1)
        if 0 <= group <= match.re.groups and match.start(group) >= 0:
            out.append(match.group(group) or "")


def replace_all(pattern: Any, text: str, template: str) -> str:
    """Go's ``ReplaceAllString``: every non-overlapping match replaced by the expanded
    template; an empty match right after the previous match is left alone."""
    out: list[str] = []
    search_pos, last_end = 0, 0
    while search_pos <= len(text):
        match = pattern.search(text, search_pos)
        if match is None:
            break
        start, end = match.span()
        out.append(text[last_end:start])
        if end > last_end or start == 0:
            out.append(go_expand(template, match, pattern.groupindex))
        last_end = end
        search_pos = search_pos + 1 if end <= search_pos else end
    out.append(text[last_end:])
    return "".join(out)


def transform_key(template: str, key: str) -> str:
    """ESO's ``RewriteTransform`` of one key; raises :class:`PermanentError` with its texts."""
    try:
        parsed = parse_transform(template)
    except ParseError as exc:
        raise PermanentError(f"transform failed with failed to parse template: {exc}") from None
    try:
        out = parsed.execute(GoMap({"value": key}, elem="string"))
    except TemplateError as exc:
        raise PermanentError(
            f"transform failed with failed to execute template for key {go_quote(key)}: {exc}"
        ) from None
    # a key is text: bytes that are not UTF-8 become U+FFFD, which key validation refuses
    return to_go_bytes(out).decode("utf-8", "replace")


def rewrite_map(rewrites: Sequence[Rewrite], data: Mapping[str, bytes]) -> dict[str, bytes]:
    """Apply the rewrite operations in order. Two keys rewritten to one name is an error
    (in ESO one of them wins at random)."""
    out = dict(data)
    for i, rewrite in enumerate(rewrites):
        renamed: dict[str, bytes] = {}
        if rewrite.transform is not None:
            for key in sorted(out):
                try:
                    new = transform_key(rewrite.transform.template, key)
                except PermanentError as exc:
                    raise PermanentError(f"failed rewrite operation[{i}]: {exc}") from None
                if new in renamed:
                    raise PermanentError(
                        f"failed rewrite operation[{i}]: secret name collision during "
                        f"rewrite: {new}"
                    )
                renamed[new] = out[key]
            out = renamed
            continue
        if rewrite.regexp is None:
            raise PermanentError(
                f"failed rewrite operation[{i}]: only regexp and transform are supported"
            )
        pattern = compile_user_regex(rewrite.regexp.source)
        for key in sorted(out):
            new = replace_all(pattern, key, rewrite.regexp.target)
            if new in renamed:
                raise PermanentError(
                    f"failed rewrite operation[{i}]: secret name collision during rewrite: {new}"
                )
            renamed[new] = out[key]
        out = renamed
    return out
