"""sprig's ``urlParse`` and ``urlJoin`` with Go's net/url parsing and printing rules."""

from __future__ import annotations

from typing import Any

from extsecrets.templates.errors import FuncPanic

from ._go import B, S, go_quote
from ._model import NIL_DEREF, kind
from .signature import MAP, go

__all__ = ["FUNCS"]

_PATH, _SEGMENT, _HOST, _ZONE, _USER, _QUERY, _FRAGMENT = range(7)


class UrlError(ValueError):
    pass


def _should_escape(c: int, mode: int) -> bool:
    ch = chr(c)
    if ch.isascii() and ch.isalnum():
        return False
    if mode in (_HOST, _ZONE) and ch in "!$&'()*+,;=:[]<>\"":
        return False
    if ch in "-_.~":
        return False
    if ch in "$&+,/:;=?@":
        if mode == _PATH:
            return ch == "?"
        if mode == _SEGMENT:
            return ch in "/;,?"
        if mode == _USER:
            return ch in "@/?:"
        if mode == _QUERY:
            return True
        if mode == _FRAGMENT:
            return False
    return not (mode == _FRAGMENT and ch in "!()*")


def _escape(s: str, mode: int) -> str:
    out = []
    for c in B(s):
        if _should_escape(c, mode):
            out.append("+" if c == 0x20 and mode == _QUERY else f"%{c:02X}")
        else:
            out.append(chr(c))
    return "".join(out)


def _ishex(c: str) -> bool:
    return c in "0123456789abcdefABCDEF" and c != ""


def _unescape(s: str, mode: int) -> str:
    b = B(s)
    i = 0
    out = bytearray()
    while i < len(b):
        c = b[i]
        if c == 0x25:
            if i + 2 >= len(b) or not _ishex(chr(b[i + 1])) or not _ishex(chr(b[i + 2])):
                frag = S(b[i : i + 3])
                raise UrlError(f"invalid URL escape {go_quote(frag)}")
            v = int(b[i + 1 : i + 3], 16)
            if mode == _HOST and v < 0x80 and b[i : i + 3] != b"%25":
                raise UrlError(f"invalid URL escape {go_quote(S(b[i : i + 3]))}")
            out.append(v)
            i += 3
            continue
        if mode in (_HOST, _ZONE) and c < 0x80 and _should_escape(c, mode):
            raise UrlError(f"invalid character {go_quote(chr(c))} in host name")
        out.append(0x20 if c == 0x2B and mode == _QUERY else c)
        i += 1
    return S(bytes(out))


def _valid_port(port: str) -> bool:
    return port == "" or (port.startswith(":") and all("0" <= c <= "9" for c in port[1:]))


_USERINFO_OK = set("-._:~!$&'()*+,;=%@")


class _Url:
    def __init__(self) -> None:
        self.scheme = self.opaque = self.host = self.path = self.raw_path = ""
        self.raw_query = self.fragment = self.raw_fragment = ""
        self.user: tuple[str, str | None] | None = None
        self.force_query = self.omit_host = False

    def user_string(self) -> str:
        if self.user is None:
            return ""
        name, pw = self.user
        s = _escape(name, _USER)
        return s + (":" + _escape(pw, _USER) if pw is not None else "")

    def hostname(self) -> str:
        host = self.host
        colon = host.rfind(":")
        if colon != -1 and _valid_port(host[colon:]):
            host = host[:colon]
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        return host

    def escaped_path(self) -> str:
        if self.raw_path and _unescape_ok(self.raw_path) == self.path:
            return self.raw_path
        if self.path == "*":
            return "*"
        return _escape(self.path, _PATH)

    def string(self) -> str:
        out = []
        if self.scheme:
            out.append(self.scheme + ":")
        if self.opaque:
            out.append(self.opaque)
        else:
            authority = self.scheme or self.host or self.user is not None
            if authority and not (self.omit_host and not self.host and self.user is None):
                if self.host or self.path or self.user is not None:
                    out.append("//")
                if self.user is not None:
                    out.append(self.user_string() + "@")
                if self.host:
                    out.append(_escape(self.host, _HOST))
            path = self.escaped_path()
            if path and path[0] != "/" and self.host:
                out.append("/")
            if not out and ":" in path.partition("/")[0]:
                out.append("./")
            out.append(path)
        if self.force_query or self.raw_query:
            out.append("?" + self.raw_query)
        if self.fragment:
            out.append("#" + _escape(self.fragment, _FRAGMENT))
        return "".join(out)


def _unescape_ok(s: str) -> str | None:
    try:
        return _unescape(s, _PATH)
    except UrlError:
        return None


def _scheme(raw: str) -> tuple[str, str]:
    for i, c in enumerate(raw):
        if c.isascii() and c.isalpha():
            continue
        if c.isascii() and (c.isdigit() or c in "+-."):
            if i == 0:
                return "", raw
            continue
        if c == ":":
            if i == 0:
                raise UrlError("missing protocol scheme")
            return raw[:i], raw[i + 1 :]
        return "", raw
    return "", raw


def _parse_host(host: str) -> str:
    if host.startswith("["):
        i = host.rfind("]")
        if i < 0:
            raise UrlError("missing ']' in host")
        port = host[i + 1 :]
        if not _valid_port(port):
            raise UrlError(f"invalid port {go_quote(port)} after host")
    else:
        i = host.rfind(":")
        if i != -1 and not _valid_port(host[i:]):
            raise UrlError(f"invalid port {go_quote(host[i:])} after host")
    return _unescape(host, _HOST)


def _parse(raw: str) -> _Url:
    if any(c < 0x20 or c == 0x7F for c in B(raw)):
        raise UrlError("net/url: invalid control character in URL")
    u = _Url()
    if raw == "*":
        u.path = "*"
        return u
    scheme, rest = _scheme(raw)
    u.scheme = scheme.lower()
    if rest.endswith("?") and rest.count("?") == 1:
        u.force_query, rest = True, rest[:-1]
    else:
        rest, _, u.raw_query = rest.partition("?")
    if not rest.startswith("/"):
        if u.scheme:
            u.opaque = rest
            return u
        if ":" in rest.partition("/")[0]:
            raise UrlError("first path segment in URL cannot contain colon")
    if (u.scheme or not rest.startswith("///")) and rest.startswith("//"):
        authority, rest = rest[2:], ""
        i = authority.find("/")
        if i >= 0:
            authority, rest = authority[:i], authority[i:]
        at = authority.rfind("@")
        if at < 0:
            u.host = _parse_host(authority)
        else:
            u.host = _parse_host(authority[at + 1 :])
            info = authority[:at]
            if not all((c.isascii() and c.isalnum()) or c in _USERINFO_OK for c in info):
                raise UrlError("net/url: invalid userinfo")
            name, colon, pw = info.partition(":")
            u.user = (_unescape(name, _USER), _unescape(pw, _USER) if colon else None)
    elif u.scheme and rest.startswith("/"):
        u.omit_host = True
    u.path = _unescape(rest, _PATH)
    u.raw_path = "" if _escape(u.path, _PATH) == rest else rest
    return u


def url_parse(raw: str) -> _Url:
    """url.Parse; UrlError with Go's ``parse "<url>": <reason>``."""
    before, hash_, frag = raw.partition("#")
    try:
        u = _parse(before)
    except UrlError as e:
        raise UrlError(f"parse {go_quote(before)}: {e}") from None
    if hash_:
        try:
            u.fragment = _unescape(frag, _FRAGMENT)
        except UrlError as e:
            raise UrlError(f"parse {go_quote(raw)}: {e}") from None
        u.raw_fragment = "" if _escape(u.fragment, _FRAGMENT) == frag else frag
    return u


@go("string", returns=MAP)
def urlParse(v: str) -> dict[str, Any]:
    try:
        u = url_parse(v)
    except UrlError as e:
        raise FuncPanic(f"unable to parse url: {e}") from None
    return {
        "scheme": u.scheme,
        "host": u.host,
        "hostname": u.hostname(),
        "path": u.path,
        "query": u.raw_query,
        "opaque": u.opaque,
        "fragment": u.fragment,
        "userinfo": u.user_string() if u.user is not None else "",
    }


def _get(d: dict[str, Any], key: str) -> str:
    if key not in d:
        return ""
    v = d[key]
    if v is None:
        raise FuncPanic(NIL_DEREF)
    if not isinstance(v, str):
        raise FuncPanic(f"unable to parse {key} key, must be of type string, but {kind(v)} found")
    return v


@go(MAP)
def urlJoin(d: dict[str, Any]) -> str:
    u = _Url()
    u.scheme, u.host, u.path = _get(d, "scheme"), _get(d, "host"), _get(d, "path")
    u.raw_query, u.opaque, u.fragment = _get(d, "query"), _get(d, "opaque"), _get(d, "fragment")
    userinfo = _get(d, "userinfo")
    if userinfo:
        try:
            u.user = url_parse(f"proto://{userinfo}@host").user
        except UrlError as e:
            raise FuncPanic(f"unable to parse userinfo in dict: {e}") from None
    return u.string()


FUNCS = {"urlParse": urlParse, "urlJoin": urlJoin}
