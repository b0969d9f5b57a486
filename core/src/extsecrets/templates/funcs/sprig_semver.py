"""sprig's ``semver`` and ``semverCompare`` (Masterminds/semver v3.4)."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from extsecrets.templates.errors import FuncError
from extsecrets.templates.values import Int64, Uint64

from .objects import GoObject
from .signature import go

__all__ = ["FUNCS", "Version", "new_version"]

_LOOSE = re.compile(
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?",
    re.ASCII,
)
_NUM = set("0123456789")
_ALLOWED = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789")
_U64 = (1 << 64) - 1


class SemverError(ValueError):
    pass


def _uint(s: str) -> int:
    n = int(s)
    if n > _U64:
        raise SemverError(
            f'error parsing version segment: strconv.ParseUint: parsing "{s}": value out of range'
        )
    return n


def _validate_pre(p: str) -> None:
    for part in p.split("."):
        if part == "":
            raise SemverError("invalid prerelease string")
        if set(part) <= _NUM:
            if len(part) > 1 and part[0] == "0":
                raise SemverError("version segment starts with 0")
        elif not set(part) <= _ALLOWED:
            raise SemverError("invalid prerelease string")


def _validate_meta(m: str) -> None:
    for part in m.split("."):
        if part == "" or not set(part) <= _ALLOWED:
            raise SemverError("invalid metadata string")


def _compare_pre_part(s: str, o: str) -> int:
    if s == o:
        return 0
    if s == "":
        return -1
    if o == "":
        return 1
    s_num = s.isascii() and s.isdigit() and int(s) <= _U64
    o_num = o.isascii() and o.isdigit() and int(o) <= _U64
    if not o_num and not s_num:
        return 1 if s.encode() > o.encode() else -1
    if not o_num:
        return -1
    if not s_num:
        return 1
    return 1 if int(s) > int(o) else -1


def _compare_pre(a: str, b: str) -> int:
    sp, op = a.split("."), b.split(".")
    for i in range(max(len(sp), len(op))):
        d = _compare_pre_part(sp[i] if i < len(sp) else "", op[i] if i < len(op) else "")
        if d:
            return d
    return 0


class Version(GoObject):
    """*semver.Version."""

    go_type = "*semver.Version"
    go_kind = "ptr"
    go_methods: ClassVar[dict[str, str]] = {
        name: name
        for name in (
            "String",
            "Original",
            "Major",
            "Minor",
            "Patch",
            "Prerelease",
            "Metadata",
            "Compare",
            "LessThan",
            "LessThanEqual",
            "GreaterThan",
            "GreaterThanEqual",
            "Equal",
            "IncPatch",
            "IncMinor",
            "IncMajor",
        )
    }

    def __init__(self, major: int, minor: int, patch: int, pre: str, meta: str, orig: str) -> None:
        self.major, self.minor, self.patch = major, minor, patch
        self.pre, self.meta, self.orig = pre, meta, orig

    def __str__(self) -> str:
        s = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre:
            s += "-" + self.pre
        if self.meta:
            s += "+" + self.meta
        return s

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def go_json(self) -> str:
        return str(self)

    def compare(self, o: Version) -> int:
        for a, b in ((self.major, o.major), (self.minor, o.minor), (self.patch, o.patch)):
            if a != b:
                return -1 if a < b else 1
        if not self.pre and not o.pre:
            return 0
        if not self.pre:
            return 1
        if not o.pre:
            return -1
        return _compare_pre(self.pre, o.pre)

    # methods a template can call
    def String(self) -> str:
        return str(self)

    def Original(self) -> str:
        return self.orig

    def Major(self) -> Uint64:
        return Uint64(self.major)

    def Minor(self) -> Uint64:
        return Uint64(self.minor)

    def Patch(self) -> Uint64:
        return Uint64(self.patch)

    def Prerelease(self) -> str:
        return self.pre

    def Metadata(self) -> str:
        return self.meta

    def Compare(self, o: Version) -> int:
        return self.compare(o)

    def LessThan(self, o: Version) -> bool:
        return self.compare(o) < 0

    def LessThanEqual(self, o: Version) -> bool:
        return self.compare(o) <= 0

    def GreaterThan(self, o: Version) -> bool:
        return self.compare(o) > 0

    def GreaterThanEqual(self, o: Version) -> bool:
        return self.compare(o) >= 0

    def Equal(self, o: Version) -> bool:
        return self.compare(o) == 0

    def _next(self, major: int, minor: int, patch: int) -> Version:
        v = VersionValue(major, minor, patch, "", "", "")
        v.orig = ("v" if self.orig.startswith("v") else "") + str(v)
        return v

    def IncPatch(self) -> Version:
        if self.pre:
            return self._next(self.major, self.minor, self.patch)
        return self._next(self.major, self.minor, self.patch + 1)

    def IncMinor(self) -> Version:
        return self._next(self.major, self.minor + 1, 0)

    def IncMajor(self) -> Version:
        return self._next(self.major + 1, 0, 0)


class VersionValue(Version):
    """A semver.Version (not a pointer), as IncPatch/IncMinor/IncMajor return it: a template
    reaches only its value-receiver methods (``Original`` and the comparisons have pointer
    receivers, which need an addressable value)."""

    go_type = "semver.Version"
    go_kind = "struct"
    go_methods: ClassVar[dict[str, str]] = {
        name: name
        for name in (
            "String",
            "Major",
            "Minor",
            "Patch",
            "Prerelease",
            "Metadata",
            "IncPatch",
            "IncMinor",
            "IncMajor",
        )
    }


_VERSION_SIG = "*semver.Version"
for _name, _params, _ret in (
    ("String", (), "string"),
    ("Original", (), "string"),
    ("Major", (), "uint64"),
    ("Minor", (), "uint64"),
    ("Patch", (), "uint64"),
    ("Prerelease", (), "string"),
    ("Metadata", (), "string"),
    ("Compare", (_VERSION_SIG,), "int"),
    ("LessThan", (_VERSION_SIG,), "bool"),
    ("LessThanEqual", (_VERSION_SIG,), "bool"),
    ("GreaterThan", (_VERSION_SIG,), "bool"),
    ("GreaterThanEqual", (_VERSION_SIG,), "bool"),
    ("Equal", (_VERSION_SIG,), "bool"),
    ("IncPatch", (), "semver.Version"),
    ("IncMinor", (), "semver.Version"),
    ("IncMajor", (), "semver.Version"),
):
    go(*_params, returns=_ret)(getattr(Version, _name))


def new_version(v: str) -> Version:
    """semver.NewVersion (coercing: "v1.2" is 1.2.0); SemverError with its text."""
    m = _LOOSE.fullmatch(v)
    if m is None:
        raise SemverError("invalid semantic version")
    major = _uint(m.group(1))
    minor = _uint(m.group(2)[1:]) if m.group(2) else 0
    patch = _uint(m.group(3)[1:]) if m.group(3) else 0
    pre, meta = m.group(5) or "", m.group(8) or ""
    if pre:
        _validate_pre(pre)
    if meta:
        _validate_meta(meta)
    return Version(major, minor, patch, pre, meta, v)


# -- constraints --------------------------------------------------------------------------------

_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_CONSTRAINT = re.compile(rf"^\s*({_OPS})\s*({_CV})\s*$", re.ASCII)
_RANGE = re.compile(rf"\s*({_CV})\s+-\s+({_CV})\s*", re.ASCII)
_FIND = re.compile(rf"({_OPS})\s*({_CV})", re.ASCII)
_VALID = re.compile(rf"^(\s*({_OPS})\s*({_CV})\s*)((?:\s+|,\s*)({_OPS})\s*({_CV})\s*)*$", re.ASCII)


def _is_x(s: str) -> bool:
    return s in ("x", "*", "X")


class _Constraint:
    def __init__(self, text: str) -> None:
        self.dirty = self.minor_dirty = self.patch_dirty = False
        self.op: str = ""
        self.orig: str = text
        if not text:
            self.con, self.dirty = Version(0, 0, 0, "", "", "0.0.0"), True
            return
        m = _CONSTRAINT.match(text)
        if m is None:
            raise SemverError(f"improper constraint: {text}")
        self.op, self.orig = m.group(1), m.group(2)
        g3: str = m.group(3)
        g4: str = m.group(4) or ""
        g5: str = m.group(5) or ""
        ver: str = self.orig
        pre = ("-" + m.group(7)) if m.group(7) else ""
        if _is_x(g3) or g3 == "":
            ver, self.dirty = f"0.0.0{pre}", True
        elif _is_x(g4.removeprefix(".")) or g4 == "":
            ver, self.minor_dirty, self.dirty = f"{g3}.0.0{pre}", True, True
        elif _is_x(g5.removeprefix(".")) or g5 == "":
            ver, self.patch_dirty, self.dirty = f"{g3}{g4}.0{pre}", True, True
        try:
            self.con = new_version(ver)
        except SemverError:
            raise SemverError("constraint parser error") from None

    def check(self, v: Version, include_pre: bool) -> bool:
        c = self.con
        if v.pre and not include_pre:
            return False
        op = self.op
        if op in ("", "="):
            return self._tilde(v) if self.dirty else v.compare(c) == 0
        if op == "!=":
            if self.dirty:
                if c.major != v.major:
                    return True
                if c.minor != v.minor and not self.minor_dirty:
                    return True
                if self.minor_dirty:
                    return False
                if c.patch != v.patch and not self.patch_dirty:
                    return True
                if self.patch_dirty:
                    if v.pre or c.pre:
                        return _compare_pre(v.pre, c.pre) != 0
                    return False
            return v.compare(c) != 0
        if op == ">":
            if not self.dirty:
                return v.compare(c) == 1
            if v.major != c.major:
                return v.major > c.major
            if self.minor_dirty:
                return False
            if self.patch_dirty:
                return v.minor > c.minor
            return v.compare(c) == 1
        if op == "<":
            return v.compare(c) < 0
        if op in (">=", "=>"):
            return v.compare(c) >= 0
        if op in ("<=", "=<"):
            if not self.dirty:
                return v.compare(c) <= 0
            if v.major > c.major:
                return False
            return not (v.major == c.major and v.minor > c.minor and not self.minor_dirty)
        if op in ("~", "~>"):
            return self._tilde(v)
        return self._caret(v)

    def _tilde(self, v: Version) -> bool:
        c = self.con
        if v.compare(c) < 0:
            return False
        if (
            (c.major, c.minor, c.patch) == (0, 0, 0)
            and not self.minor_dirty
            and not self.patch_dirty
        ):
            return True
        if v.major != c.major:
            return False
        return not (v.minor != c.minor and not self.minor_dirty)

    def _caret(self, v: Version) -> bool:
        c = self.con
        if v.compare(c) < 0:
            return False
        if c.major > 0 or self.minor_dirty:
            return v.major == c.major
        if v.major > 0:
            return False
        if c.minor > 0 or self.patch_dirty:
            return v.minor == c.minor
        if v.minor > 0:
            return False
        return c.patch == v.patch


def _rewrite_range(text: str) -> str:
    out = text
    for m in _RANGE.finditer(text):
        out = out.replace(m.group(0), f">= {m.group(1)}, <= {m.group(11)} ", 1)
    return out


def new_constraint(text: str) -> list[tuple[list[_Constraint], bool]]:
    groups = []
    for part in _rewrite_range(text).split("||"):
        if not _VALID.match(part):
            raise SemverError(f"improper constraint: {part}")
        found = [m.group(0) for m in _FIND.finditer(part)] or [part]
        cs = [_Constraint(s) for s in found]
        groups.append((cs, any(c.con.pre for c in cs)))
    return groups


@go("string", "string", returns=("bool", "error"))
def semverCompare(constraint: str, version: str) -> bool:
    try:
        groups = new_constraint(constraint)
        v = new_version(version)
    except SemverError as e:
        raise FuncError(str(e)) from None
    return any(all(c.check(v, has_pre) for c in cs) for cs, has_pre in groups)


@go("string", returns=("*semver.Version", "error"))
def semver(version: str) -> Version:
    try:
        return new_version(version)
    except SemverError as e:
        raise FuncError(str(e)) from None


_ = (Int64, Any)

FUNCS = {"semver": semver, "semverCompare": semverCompare}
