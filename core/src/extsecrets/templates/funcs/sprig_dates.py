"""sprig's date functions (date.go) on Go's time package semantics (:mod:`._gotime`)."""

from __future__ import annotations

import time as _time
from typing import Any

from extsecrets.templates.errors import FuncError
from extsecrets.templates.values import GoInt, Int32, Int64

from . import _gotime as gt
from ._cast import go_parse_int
from ._gotime import NS, GoTime
from .signature import ANY, go

__all__ = ["FUNCS"]

_T = "time.Time"


def _as_time(v: Any) -> GoTime:
    """sprig's type switch: time.Time, int, int32, int64 (Unix seconds); anything else is now."""
    if isinstance(v, GoTime):
        return v
    if (
        isinstance(v, int)
        and not isinstance(v, bool)
        and (not isinstance(v, GoInt) or isinstance(v, Int64 | Int32))
    ):
        return GoTime(int(v), 0, gt.LOCAL)
    return gt.now()


def _date_in_zone(layout: str, v: Any, zone: str) -> str:
    t = _as_time(v)
    try:
        loc = gt.load_location(zone)
    except gt.TimeError:
        loc = gt.UTC
    return gt.format_layout(t.with_loc(loc), layout)


@go(returns=_T)
def now() -> GoTime:
    return gt.now()


@go("string", ANY)
def date(layout: str, v: Any) -> str:
    return _date_in_zone(layout, v, "Local")


@go("string", ANY, "string")
def dateInZone(layout: str, v: Any, zone: str) -> str:
    return _date_in_zone(layout, v, zone)


@go(ANY)
def htmlDate(v: Any) -> str:
    return _date_in_zone("2006-01-02", v, "Local")


@go(ANY, "string")
def htmlDateInZone(v: Any, zone: str) -> str:
    return _date_in_zone("2006-01-02", v, zone)


@go("string", _T, returns=_T)
def dateModify(fmt: str, t: GoTime) -> GoTime:
    try:
        d = gt.parse_duration(fmt)
    except gt.TimeError:
        return t
    return t.Add(d)


@go("string", _T, returns=(_T, "error"))
def mustDateModify(fmt: str, t: GoTime) -> GoTime:
    try:
        d = gt.parse_duration(fmt)
    except gt.TimeError as e:
        raise FuncError(str(e)) from None
    return t.Add(d)


def _round_second(d: int) -> int:
    """time.Duration.Round(time.Second), halves away from zero."""
    r = abs(d) % NS
    if d < 0:
        return d + r if r + r < NS else d - (NS - r)
    return d - r if r + r < NS else d + (NS - r)


def _since(t: GoTime) -> int:
    ns = _time.time_ns()
    return ns - (t.sec * NS + t.nsec)


@go(ANY)
def ago(v: Any) -> str:
    t = (
        v
        if isinstance(v, GoTime)
        else _as_time(v)
        if isinstance(v, int)
        and (not isinstance(v, GoInt) or isinstance(v, Int64))
        and not isinstance(v, bool)
        else gt.now()
    )
    return gt.duration_string(_round_second(_since(t)))


def _wrap64(n: int) -> int:
    n &= (1 << 64) - 1
    return n - (1 << 64) if n >= 1 << 63 else n


@go(ANY)
def duration(v: Any) -> str:
    n = 0
    if isinstance(v, str):
        try:
            n = go_parse_int(v, 10)
        except ValueError as e:
            n = ((1 << 63) - 1 if not v.startswith("-") else -(1 << 63)) if "range" in str(e) else 0
    elif isinstance(v, Int64):
        n = int(v)
    return gt.duration_string(_wrap64(n * NS))


@go(ANY)
def durationRound(v: Any) -> str:
    d = 0
    if isinstance(v, str):
        try:
            d = gt.parse_duration(v)
        except gt.TimeError:
            d = 0
    elif isinstance(v, Int64):
        d = int(v)
    elif isinstance(v, GoTime):
        d = _since(v)
    u = abs(d)
    hour = 3600 * NS
    for unit, suffix in (
        (hour * 24 * 365, "y"),
        (hour * 24 * 30, "mo"),
        (hour * 24, "d"),
        (hour, "h"),
        (60 * NS, "m"),
        (NS, "s"),
    ):
        if u > unit:
            return f"{u // unit}{suffix}"
    return "0s"


@go("string", "string", returns=_T)
def toDate(layout: str, value: str) -> GoTime:
    try:
        return gt.parse_layout(layout, value, gt.LOCAL)
    except gt.TimeError:
        return gt.zero_time()


@go("string", "string", returns=(_T, "error"))
def mustToDate(layout: str, value: str) -> GoTime:
    try:
        return gt.parse_layout(layout, value, gt.LOCAL)
    except gt.TimeError as e:
        raise FuncError(str(e)) from None


@go(_T)
def unixEpoch(t: GoTime) -> str:
    return str(t.sec)


FUNCS = {
    "ago": ago,
    "date": date,
    "date_in_zone": dateInZone,
    "date_modify": dateModify,
    "dateInZone": dateInZone,
    "dateModify": dateModify,
    "duration": duration,
    "durationRound": durationRound,
    "htmlDate": htmlDate,
    "htmlDateInZone": htmlDateInZone,
    "must_date_modify": mustDateModify,
    "mustDateModify": mustDateModify,
    "mustToDate": mustToDate,
    "now": now,
    "toDate": toDate,
    "unixEpoch": unixEpoch,
}
