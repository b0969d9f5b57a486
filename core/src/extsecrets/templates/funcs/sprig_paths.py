"""sprig's path functions (Go's path and, on Linux, path/filepath: the same rules)."""

from __future__ import annotations

from .signature import go

__all__ = ["FUNCS", "go_clean"]


def go_clean(p: str) -> str:
    """path.Clean: the shortest equivalent path by lexical processing."""
    if p == "":
        return "."
    rooted = p.startswith("/")
    parts: list[str] = []
    for elem in p.split("/"):
        if elem in ("", "."):
            continue
        if elem == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(elem)
    out = "/".join(parts)
    if rooted:
        return "/" + out
    return out or "."


@go("string")
def base(p: str) -> str:
    if p == "":
        return "."
    p = p.rstrip("/")
    if p == "":
        return "/"
    return p[p.rfind("/") + 1 :]


@go("string")
def dir_(p: str) -> str:
    return go_clean(p[: p.rfind("/") + 1])


@go("string")
def clean(p: str) -> str:
    return go_clean(p)


@go("string")
def ext(p: str) -> str:
    i = len(p) - 1
    while i >= 0 and p[i] != "/":
        if p[i] == ".":
            return p[i:]
        i -= 1
    return ""


@go("string", returns="bool")
def isAbs(p: str) -> bool:
    return p.startswith("/")


FUNCS = {
    "base": base,
    "dir": dir_,
    "clean": clean,
    "ext": ext,
    "isAbs": isAbs,
    "osBase": base,
    "osClean": clean,
    "osDir": dir_,
    "osExt": ext,
    "osIsAbs": isAbs,
}
