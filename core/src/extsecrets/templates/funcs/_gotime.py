"""Go's time.Time, time.Duration, layouts (Format/Parse) and ParseDuration, on the value model.

"Local" is UTC: ESO's controller image runs with UTC as its local zone.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from datetime import UTC as UTC_TZ
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from extsecrets.templates.values import GoInt, Int64

from .objects import GoObject
from .signature import go

__all__ = [
    "Duration",
    "GoTime",
    "TimeError",
    "duration_string",
    "format_layout",
    "load_location",
    "now",
    "parse_duration",
    "parse_layout",
]

NS = 1_000_000_000
_MONO_START = _time.monotonic_ns()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC_TZ)
_LONG_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
_LONG_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


class TimeError(ValueError):
    """A Go time error; str() is its text."""


class Location(GoObject):
    """A *time.Location: a name and the zone rules; prints (String) as its name."""

    go_type = "*time.Location"
    go_kind = "ptr"
    go_methods: ClassVar[dict[str, str]] = {"String": "String"}

    def __init__(self, name: str, tz: tzinfo, shown: str | None = None) -> None:
        self.name = name
        self.tz = tz
        self.shown = name if shown is None else shown

    def String(self) -> str:
        return self.shown

    def __str__(self) -> str:
        return self.shown


UTC = Location("UTC", UTC_TZ)
# Go names its Local zone "UTC" when the machine has no zone data (ESO's image)
LOCAL = Location("Local", UTC_TZ, shown="UTC")


def load_location(name: str) -> Location:
    """time.LoadLocation; TimeError when the zone is unknown."""
    if name in ("", "UTC"):
        return UTC
    if name == "Local":
        return LOCAL
    if ".." in name or name.startswith("/") or "\\" in name:
        raise TimeError(f"time: invalid location name {name!r}")
    try:
        return Location(name, ZoneInfo(name))
    except Exception:
        raise TimeError(f"unknown time zone {name}") from None


class _NamedInt(GoInt):
    """A named Go integer type with methods: the value is its integer (comparisons, arithmetic
    and fmt's %d see the number), ``String`` is what fmt's %v and %s print."""

    go_kind = "int"
    go_methods: ClassVar[tuple[str, ...]] = ("String",)

    def go_method(self, name: str) -> Callable[..., Any] | None:
        method: Callable[..., Any] | None = getattr(self, name) if name in self.go_methods else None
        return method

    def String(self) -> str:
        return str(self)


_MIN_DURATION = -(1 << 63)
_MAX_DURATION = (1 << 63) - 1


def _quo(a: int, b: int) -> int:
    """Go's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _rem(a: int, b: int) -> int:
    """Go's % (the sign of the dividend)."""
    return a - _quo(a, b) * b


def _less_than_half(x: int, y: int) -> bool:
    """time's lessThanHalf: x+x < y as uint64."""
    m = (1 << 64) - 1
    return ((x & m) + (x & m)) & m < (y & m)


class Duration(_NamedInt):
    """time.Duration (int64 nanoseconds); prints like Go's Duration.String."""

    go_type = "time.Duration"
    go_kind = "int64"
    go_methods = (
        "Abs",
        "Hours",
        "Microseconds",
        "Milliseconds",
        "Minutes",
        "Nanoseconds",
        "Round",
        "Seconds",
        "String",
        "Truncate",
    )

    def __str__(self) -> str:
        return duration_string(int(self))

    def _split(self, unit: int) -> float:
        d = int(self)
        return float(_quo(d, unit)) + float(_rem(d, unit)) / unit

    def Hours(self) -> float:
        return self._split(3600 * NS)

    def Minutes(self) -> float:
        return self._split(60 * NS)

    def Seconds(self) -> float:
        return self._split(NS)

    def Milliseconds(self) -> Int64:
        return Int64(_quo(int(self), 1_000_000))

    def Microseconds(self) -> Int64:
        return Int64(_quo(int(self), 1000))

    def Nanoseconds(self) -> Int64:
        return Int64(int(self))

    def Truncate(self, m: int) -> Duration:
        d = int(self)
        return Duration(d if m <= 0 else d - _rem(d, m))

    def Round(self, m: int) -> Duration:
        d = int(self)
        if m <= 0:
            return Duration(d)
        r = _rem(d, m)
        if d < 0:
            r = -r
            if _less_than_half(r, m):
                return Duration(d + r)
            d1 = d - m + r
            return Duration(d1 if d1 >= _MIN_DURATION else _MIN_DURATION)
        if _less_than_half(r, m):
            return Duration(d - r)
        d1 = d + m - r
        return Duration(d1 if d1 <= _MAX_DURATION else _MAX_DURATION)

    def Abs(self) -> Duration:
        d = int(self)
        if d >= 0:
            return Duration(d)
        return Duration(_MAX_DURATION if d == _MIN_DURATION else -d)


class Month(_NamedInt):
    go_type = "time.Month"

    def __str__(self) -> str:
        n = int(self)
        return _LONG_MONTHS[n - 1] if 1 <= n <= 12 else f"%!Month({n})"


class Weekday(_NamedInt):
    go_type = "time.Weekday"

    def __str__(self) -> str:
        n = int(self)
        return _LONG_DAYS[n] if 0 <= n <= 6 else f"%!Weekday({n})"


for _cls, _names in (
    (Duration, {"Hours": "float64", "Minutes": "float64", "Seconds": "float64"}),
    (Duration, {"Milliseconds": "int64", "Microseconds": "int64", "Nanoseconds": "int64"}),
    (Duration, {"String": "string", "Abs": "time.Duration"}),
    (Month, {"String": "string"}),
    (Weekday, {"String": "string"}),
):
    for _name, _result in _names.items():
        go(returns=_result)(getattr(_cls, _name))
for _name in ("Round", "Truncate"):
    go("time.Duration", returns="time.Duration")(getattr(Duration, _name))


def _civil(days: int) -> tuple[int, int, int]:
    """Proleptic Gregorian (year, month, day) of a day count since 1970-01-01."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def _days(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    mp = m - 3 if m > 2 else m + 9
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


class GoTime(GoObject):
    """time.Time: an instant (Unix seconds and nanoseconds), a location, maybe a monotonic
    reading (only from ``now``)."""

    go_type = "time.Time"
    go_kind = "struct"
    go_methods: ClassVar[dict[str, str]] = {
        n: n
        for n in (
            "Year",
            "Month",
            "Day",
            "Hour",
            "Minute",
            "Second",
            "Nanosecond",
            "YearDay",
            "Weekday",
            "Unix",
            "UnixMilli",
            "UnixMicro",
            "UnixNano",
            "Format",
            "UTC",
            "Local",
            "String",
            "IsZero",
            "Before",
            "After",
            "Equal",
            "Add",
            "Sub",
            "AddDate",
            "Compare",
            "Truncate",
            "Round",
            "IsDST",
            "Location",
            "GoString",
        )
    }

    def __init__(self, sec: int, nsec: int = 0, loc: Location = LOCAL, mono: int | None = None):
        self.sec = sec + nsec // NS
        self.nsec = nsec % NS
        self.loc = loc
        self.mono = mono

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoTime) and (self.sec, self.nsec, self.loc.name) == (
            other.sec,
            other.nsec,
            other.loc.name,
        )

    def __hash__(self) -> int:
        return hash((self.sec, self.nsec))

    # zone and civil fields
    def zone(self) -> tuple[str, int]:
        if self.loc.tz is UTC_TZ:
            return "UTC", 0
        if isinstance(self.loc.tz, timezone):
            fixed = self.loc.tz.utcoffset(None)
            return self.loc.name, int(fixed.total_seconds())
        try:
            dt = _EPOCH + timedelta(seconds=self.sec)
            local = dt.astimezone(self.loc.tz)
            off = local.utcoffset()
            return local.tzname() or "", int(off.total_seconds()) if off else 0
        except (OverflowError, ValueError):
            return "", 0

    def fields(self) -> tuple[int, int, int, int, int, int, int, int]:
        """(year, month, day, hour, minute, second, weekday, yearday) in the location."""
        _, off = self.zone()
        local = self.sec + off
        days, secs = divmod(local, 86400)
        y, m, d = _civil(days)
        weekday = (days + 4) % 7
        yday = days - _days(y, 1, 1) + 1
        return y, m, d, secs // 3600, secs // 60 % 60, secs % 60, weekday, yday

    def with_loc(self, loc: Location) -> GoTime:
        return GoTime(self.sec, self.nsec, loc)

    def __str__(self) -> str:
        s = format_layout(self, "2006-01-02 15:04:05.999999999 -0700 MST")
        if self.mono is not None:
            m = self.mono
            sign = "+" if m >= 0 else "-"
            m = abs(m)
            whole, frac = divmod(m, NS)
            s += f" m={sign}{whole}.{frac:09d}"
        return s

    def go_json(self) -> str:
        return format_layout(self, "2006-01-02T15:04:05.999999999Z07:00")

    def Year(self) -> int:
        return self.fields()[0]

    def Month(self) -> Month:
        return Month(self.fields()[1])

    def Day(self) -> int:
        return self.fields()[2]

    def Hour(self) -> int:
        return self.fields()[3]

    def Minute(self) -> int:
        return self.fields()[4]

    def Second(self) -> int:
        return self.fields()[5]

    def Nanosecond(self) -> int:
        return self.nsec

    def YearDay(self) -> int:
        return self.fields()[7]

    def Weekday(self) -> Weekday:
        return Weekday(self.fields()[6])

    def Unix(self) -> Int64:
        return Int64(self.sec)

    def UnixMilli(self) -> Int64:
        return Int64(self.sec * 1000 + self.nsec // 1_000_000)

    def UnixMicro(self) -> Int64:
        return Int64(self.sec * 1_000_000 + self.nsec // 1000)

    def UnixNano(self) -> Int64:
        return Int64(self.sec * NS + self.nsec)

    def Format(self, layout: str) -> str:
        return format_layout(self, layout)

    def UTC(self) -> GoTime:
        return self.with_loc(UTC)

    def Local(self) -> GoTime:
        return self.with_loc(LOCAL)

    def String(self) -> str:
        return str(self)

    def IsZero(self) -> bool:
        return self.sec == ZERO_SEC and self.nsec == 0

    def Before(self, o: GoTime) -> bool:
        return (self.sec, self.nsec) < (o.sec, o.nsec)

    def After(self, o: GoTime) -> bool:
        return (self.sec, self.nsec) > (o.sec, o.nsec)

    def Equal(self, o: GoTime) -> bool:
        return (self.sec, self.nsec) == (o.sec, o.nsec)

    def Add(self, d: int) -> GoTime:
        t = GoTime(self.sec, self.nsec + int(d), self.loc)
        t.mono = None if self.mono is None else self.mono + int(d)
        return t

    def Sub(self, o: GoTime) -> Duration:
        return Duration((self.sec - o.sec) * NS + self.nsec - o.nsec)

    def AddDate(self, years: int, months: int, days: int) -> GoTime:
        y, m, d, hh, mm, ss, _, _ = self.fields()
        m0 = m - 1 + months
        y += years + m0 // 12
        m = m0 % 12 + 1
        local = (_days(y, m, 1) + d - 1 + days) * 86400 + hh * 3600 + mm * 60 + ss
        _, off = self.zone()
        return GoTime(local - off, self.nsec, self.loc)

    def Compare(self, o: GoTime) -> int:
        a, b = (self.sec, self.nsec), (o.sec, o.nsec)
        return -1 if a < b else (1 if a > b else 0)

    def _since_zero(self, d: int) -> int:
        """The remainder of the time since year 1 divided by d (time's div; d > 0)."""
        return ((self.sec - ZERO_SEC) * NS + self.nsec) % d

    def Truncate(self, d: int) -> GoTime:
        t = GoTime(self.sec, self.nsec, self.loc)  # without the monotonic reading
        return t if d <= 0 else t.Add(-self._since_zero(d))

    def Round(self, d: int) -> GoTime:
        t = GoTime(self.sec, self.nsec, self.loc)
        if d <= 0:
            return t
        r = self._since_zero(d)
        return t.Add(-r) if _less_than_half(r, d) else t.Add(d - r)

    def IsDST(self) -> bool:
        if not isinstance(self.loc.tz, ZoneInfo):
            return False
        try:
            dst = (_EPOCH + timedelta(seconds=self.sec)).astimezone(self.loc.tz).dst()
        except (OverflowError, ValueError):
            return False
        return bool(dst)

    def Location(self) -> Location:
        return self.loc

    def GoString(self) -> str:
        y, m, d, hh, mm, ss, _, _ = self.fields()
        month = f"time.{_LONG_MONTHS[m - 1]}" if 1 <= m <= 12 else str(m)
        if self.loc is UTC:
            loc = "time.UTC"
        elif self.loc is LOCAL:
            loc = "time.Local"
        else:
            from ._go import go_quote

            loc = f"time.Location({go_quote(self.loc.name)})"
        return f"time.Date({y}, {month}, {d}, {hh}, {mm}, {ss}, {self.nsec}, {loc})"

    def go_method(self, name: str) -> Callable[..., Any] | None:
        several = _SEVERAL.get(name)
        return several if several is not None else super().go_method(name)


ZERO_SEC = _days(1, 1, 1) * 86400
_T = "time.Time"
for _n, _p, _r in (
    ("Year", (), "int"),
    ("Month", (), "time.Month"),
    ("Day", (), "int"),
    ("Hour", (), "int"),
    ("Minute", (), "int"),
    ("Second", (), "int"),
    ("Nanosecond", (), "int"),
    ("YearDay", (), "int"),
    ("Weekday", (), "time.Weekday"),
    ("Unix", (), "int64"),
    ("UnixMilli", (), "int64"),
    ("UnixMicro", (), "int64"),
    ("UnixNano", (), "int64"),
    ("Format", ("string",), "string"),
    ("UTC", (), _T),
    ("Local", (), _T),
    ("String", (), "string"),
    ("IsZero", (), "bool"),
    ("Before", (_T,), "bool"),
    ("After", (_T,), "bool"),
    ("Equal", (_T,), "bool"),
    ("Add", ("time.Duration",), _T),
    ("Sub", (_T,), "time.Duration"),
    ("AddDate", ("int", "int", "int"), _T),
    ("Compare", (_T,), "int"),
    ("Truncate", ("time.Duration",), _T),
    ("Round", ("time.Duration",), _T),
    ("IsDST", (), "bool"),
    ("Location", (), "*time.Location"),
    ("GoString", (), "string"),
):
    go(*_p, returns=_r)(getattr(GoTime, _n))
go(returns="string")(Location.String)

# Methods with several results: Go's template engine refuses to call them ("can't call
# method/function "Zone" with 2 results"); they exist so that the error is Go's.
_SEVERAL_RESULTS = {
    "Clock": ("int", "int", "int"),
    "Date": ("int", "time.Month", "int"),
    "ISOWeek": ("int", "int"),
    "Zone": ("string", "int"),
    "ZoneBounds": (_T, _T),
}


def _several(results: tuple[str, ...]) -> Callable[..., Any]:
    def method() -> None:  # pragma: no cover - the engine refuses the call first
        raise AssertionError("a method with several results cannot be called from a template")

    return go(returns=results)(method)


_SEVERAL = {name: _several(results) for name, results in _SEVERAL_RESULTS.items()}


def now() -> GoTime:
    ns = _time.time_ns()
    return GoTime(ns // NS, ns % NS, LOCAL, _time.monotonic_ns() - _MONO_START + 1)


def zero_time() -> GoTime:
    return GoTime(ZERO_SEC, 0, UTC)


# -- layouts ------------------------------------------------------------------------------------

(
    LONG_MONTH,
    MONTH,
    NUM_MONTH,
    ZERO_MONTH,
    LONG_WEEKDAY,
    WEEKDAY,
    DAY,
    UNDER_DAY,
    ZERO_DAY,
    UNDER_YEARDAY,
    ZERO_YEARDAY,
    HOUR,
    HOUR12,
    ZERO_HOUR12,
    MINUTE,
    ZERO_MINUTE,
    SECOND,
    ZERO_SECOND,
    LONG_YEAR,
    YEAR,
    PM,
    LPM,
    TZ,
    ISO_TZ,
    ISO_SECONDS_TZ,
    ISO_SHORT_TZ,
    ISO_COLON_TZ,
    ISO_COLON_SECONDS_TZ,
    NUM_TZ,
    NUM_SECONDS_TZ,
    NUM_SHORT_TZ,
    NUM_COLON_TZ,
    NUM_COLON_SECONDS_TZ,
    FRAC0,
    FRAC9,
) = range(1, 36)
_STD0X = [ZERO_MONTH, ZERO_DAY, ZERO_HOUR12, ZERO_MINUTE, ZERO_SECOND, YEAR]


def _starts_lower(s: str) -> bool:
    return bool(s) and "a" <= s[0] <= "z"


def next_chunk(layout: str) -> tuple[str, int, str, str, int]:
    """Go's nextStdChunk: (prefix, std, std text, suffix, fraction digits)."""
    n = len(layout)
    for i, c in enumerate(layout):
        rest = layout[i:]

        def hit(
            std: int, length: int, digits: int = 0, at: int = i
        ) -> tuple[str, int, str, str, int]:
            return layout[:at], std, layout[at : at + length], layout[at + length :], digits

        if c == "J" and rest.startswith("Jan"):
            if rest.startswith("January"):
                return hit(LONG_MONTH, 7)
            if not _starts_lower(rest[3:]):
                return hit(MONTH, 3)
        elif c == "M" and len(rest) >= 3:
            if rest.startswith("Mon"):
                if rest.startswith("Monday"):
                    return hit(LONG_WEEKDAY, 6)
                if not _starts_lower(rest[3:]):
                    return hit(WEEKDAY, 3)
            if rest.startswith("MST"):
                return hit(TZ, 3)
        elif c == "0":
            if len(rest) >= 2 and "1" <= rest[1] <= "6":
                return hit(_STD0X[ord(rest[1]) - ord("1")], 2)
            if rest.startswith("002"):
                return hit(ZERO_YEARDAY, 3)
        elif c == "1":
            if rest.startswith("15"):
                return hit(HOUR, 2)
            return hit(NUM_MONTH, 1)
        elif c == "2":
            if rest.startswith("2006"):
                return hit(LONG_YEAR, 4)
            return hit(DAY, 1)
        elif c == "_":
            if rest.startswith("_2"):
                if rest.startswith("_2006"):
                    return layout[: i + 1], LONG_YEAR, "2006", layout[i + 5 :], 0
                return hit(UNDER_DAY, 2)
            if rest.startswith("__2"):
                return hit(UNDER_YEARDAY, 3)
        elif c == "3":
            return hit(HOUR12, 1)
        elif c == "4":
            return hit(MINUTE, 1)
        elif c == "5":
            return hit(SECOND, 1)
        elif c == "P" and rest.startswith("PM"):
            return hit(PM, 2)
        elif c == "p" and rest.startswith("pm"):
            return hit(LPM, 2)
        elif c == "-":
            for text, std in (
                ("-070000", NUM_SECONDS_TZ),
                ("-07:00:00", NUM_COLON_SECONDS_TZ),
                ("-0700", NUM_TZ),
                ("-07:00", NUM_COLON_TZ),
                ("-07", NUM_SHORT_TZ),
            ):
                if rest.startswith(text):
                    return hit(std, len(text))
        elif c == "Z":
            for text, std in (
                ("Z070000", ISO_SECONDS_TZ),
                ("Z07:00:00", ISO_COLON_SECONDS_TZ),
                ("Z0700", ISO_TZ),
                ("Z07:00", ISO_COLON_TZ),
                ("Z07", ISO_SHORT_TZ),
            ):
                if rest.startswith(text):
                    return hit(std, len(text))
        elif c in ".," and i + 1 < n and layout[i + 1] in "09":
            ch = layout[i + 1]
            j = i + 1
            while j < n and layout[j] == ch:
                j += 1
            if not (j < n and layout[j].isdigit()):
                return hit(FRAC0 if ch == "0" else FRAC9, j - i, digits=j - (i + 1))
    return layout, 0, "", "", 0


def _pad(n: int, width: int) -> str:
    s = str(abs(n)).rjust(width, "0")
    return "-" + s if n < 0 else s


def _zone_text(std: int, name: str, offset: int) -> str:
    if (
        std in (ISO_TZ, ISO_SECONDS_TZ, ISO_SHORT_TZ, ISO_COLON_TZ, ISO_COLON_SECONDS_TZ)
        and offset == 0
    ):
        return "Z"
    if std == TZ and name:
        return name
    zone = offset // 60 if offset >= 0 else -((-offset) // 60)
    absoff = abs(offset)
    sign = "-" if zone < 0 else "+"
    zone = abs(zone)
    out = sign + _pad(zone // 60, 2)
    if std in (ISO_COLON_TZ, NUM_COLON_TZ, ISO_COLON_SECONDS_TZ, NUM_COLON_SECONDS_TZ):
        out += ":"
    if std not in (NUM_SHORT_TZ, ISO_SHORT_TZ):
        out += _pad(zone % 60, 2)
    if std in (ISO_SECONDS_TZ, NUM_SECONDS_TZ, NUM_COLON_SECONDS_TZ, ISO_COLON_SECONDS_TZ):
        if std in (NUM_COLON_SECONDS_TZ, ISO_COLON_SECONDS_TZ):
            out += ":"
        out += _pad(absoff % 60, 2)
    return out


def format_layout(t: GoTime, layout: str) -> str:
    """time.Time.Format."""
    name, offset = t.zone()
    year, month, day, hour, minute, sec, wday, yday = t.fields()
    out: list[str] = []
    while layout:
        prefix, std, text, suffix, digits = next_chunk(layout)
        out.append(prefix)
        if std == 0:
            break
        layout = suffix
        if std == YEAR:
            out.append(_pad(abs(year) % 100, 2))
        elif std == LONG_YEAR:
            out.append(_pad(year, 4))
        elif std == MONTH:
            out.append(_LONG_MONTHS[month - 1][:3])
        elif std == LONG_MONTH:
            out.append(_LONG_MONTHS[month - 1])
        elif std == NUM_MONTH:
            out.append(str(month))
        elif std == ZERO_MONTH:
            out.append(_pad(month, 2))
        elif std == WEEKDAY:
            out.append(_LONG_DAYS[wday][:3])
        elif std == LONG_WEEKDAY:
            out.append(_LONG_DAYS[wday])
        elif std == DAY:
            out.append(str(day))
        elif std == UNDER_DAY:
            out.append(str(day).rjust(2))
        elif std == ZERO_DAY:
            out.append(_pad(day, 2))
        elif std == UNDER_YEARDAY:
            out.append(str(yday).rjust(3))
        elif std == ZERO_YEARDAY:
            out.append(_pad(yday, 3))
        elif std == HOUR:
            out.append(_pad(hour, 2))
        elif std in (HOUR12, ZERO_HOUR12):
            hr = hour % 12 or 12
            out.append(str(hr) if std == HOUR12 else _pad(hr, 2))
        elif std == MINUTE:
            out.append(str(minute))
        elif std == ZERO_MINUTE:
            out.append(_pad(minute, 2))
        elif std == SECOND:
            out.append(str(sec))
        elif std == ZERO_SECOND:
            out.append(_pad(sec, 2))
        elif std == PM:
            out.append("PM" if hour >= 12 else "AM")
        elif std == LPM:
            out.append("pm" if hour >= 12 else "am")
        elif std in (FRAC0, FRAC9):
            frac = f"{t.nsec:09d}"[:digits] if digits <= 9 else f"{t.nsec:09d}" + "0" * (digits - 9)
            if std == FRAC9:
                frac = frac.rstrip("0")
                if frac:
                    out.append(text[0] + frac)
            else:
                out.append(text[0] + frac)
        else:
            out.append(_zone_text(std, name, offset))
    return "".join(out)


def _quote(s: str) -> str:
    from ._go import go_quote

    return go_quote(s)


def _parse_error(layout: str, value: str, elem: str, rest: str, msg: str = "") -> TimeError:
    if msg:
        return TimeError(f"parsing time {_quote(value)}{msg}")
    return TimeError(
        f"parsing time {_quote(value)} as {_quote(layout)}: cannot parse {_quote(rest)} as "
        f"{_quote(elem)}"
    )


def _getnum(v: str, fixed: bool, maxlen: int = 2) -> tuple[int, str]:
    if not v[:1].isdigit() or not v[:1].isascii():
        raise ValueError
    if maxlen == 3:
        n = 0
        while n < 3 and n < len(v) and v[n].isdigit():
            n += 1
        if fixed and n != 3:
            raise ValueError
        return int(v[:n]), v[n:]
    if not (len(v) > 1 and v[1].isdigit() and v[1].isascii()):
        if fixed:
            raise ValueError
        return int(v[0]), v[1:]
    return int(v[:2]), v[2:]


def parse_layout(layout: str, value: str, loc: Location = LOCAL) -> GoTime:
    """time.ParseInLocation(layout, value, loc) for the layouts sprig users write."""
    alayout, avalue = layout, value
    year, month, day, yday, hour, minute, sec, nsec = 0, -1, -1, -1, 0, 0, 0, 0
    am = pm = False
    zone_offset: int | None = None
    zone_name = ""
    z: Location | None = None
    range_err = ""
    while True:
        prefix, std, text, suffix, digits = next_chunk(layout)
        p = prefix.strip() if False else prefix
        if not value.startswith(p):
            # Go's skip() also lets spaces in the layout match runs of spaces
            i = j = 0
            while i < len(p):
                if p[i] == " ":
                    if j < len(value) and value[j] != " ":
                        raise _parse_error(alayout, avalue, prefix, value)
                    while i < len(p) and p[i] == " ":
                        i += 1
                    while j < len(value) and value[j] == " ":
                        j += 1
                    continue
                if j >= len(value) or value[j] != p[i]:
                    raise _parse_error(alayout, avalue, prefix, value)
                i += 1
                j += 1
            value = value[j:]
        else:
            value = value[len(p) :]
        if std == 0:
            if value:
                raise _parse_error(alayout, avalue, "", value, f": extra text: {_quote(value)}")
            break
        layout = suffix
        hold = value
        try:
            if std == YEAR:
                if len(value) < 2 or not value[:2].isdigit():
                    raise ValueError
                year = int(value[:2])
                year += 1900 if year >= 69 else 2000
                value = value[2:]
            elif std == LONG_YEAR:
                if len(value) < 4 or not value[:4].isdigit():
                    raise ValueError
                year, value = int(value[:4]), value[4:]
            elif std in (MONTH, LONG_MONTH):
                names = [m[:3] for m in _LONG_MONTHS] if std == MONTH else _LONG_MONTHS
                for i, nm in enumerate(names):
                    if value[: len(nm)].lower() == nm.lower():
                        month, value = i + 1, value[len(nm) :]
                        break
                else:
                    raise ValueError
            elif std in (NUM_MONTH, ZERO_MONTH):
                month, value = _getnum(value, std == ZERO_MONTH)
                if not 0 < month <= 12:
                    range_err = "month"
            elif std in (WEEKDAY, LONG_WEEKDAY):
                names = [d[:3] for d in _LONG_DAYS] if std == WEEKDAY else _LONG_DAYS
                for nm in names:
                    if value[: len(nm)].lower() == nm.lower():
                        value = value[len(nm) :]
                        break
                else:
                    raise ValueError
            elif std in (DAY, UNDER_DAY, ZERO_DAY):
                if std == UNDER_DAY and value[:1] == " ":
                    value = value[1:]
                day, value = _getnum(value, std == ZERO_DAY)
            elif std in (UNDER_YEARDAY, ZERO_YEARDAY):
                for _ in range(2):
                    if std == UNDER_YEARDAY and value[:1] == " ":
                        value = value[1:]
                yday, value = _getnum(value, std == ZERO_YEARDAY, 3)
            elif std == HOUR:
                hour, value = _getnum(value, False)
                if not 0 <= hour < 24:
                    range_err = "hour"
            elif std in (HOUR12, ZERO_HOUR12):
                hour, value = _getnum(value, std == ZERO_HOUR12)
                if not 0 <= hour <= 12:
                    range_err = "hour"
            elif std in (MINUTE, ZERO_MINUTE):
                minute, value = _getnum(value, std == ZERO_MINUTE)
                if not 0 <= minute < 60:
                    range_err = "minute"
            elif std in (SECOND, ZERO_SECOND):
                sec, value = _getnum(value, std == ZERO_SECOND)
                if not 0 <= sec < 60:
                    range_err = "second"
                elif len(value) >= 2 and value[0] in ".," and value[1].isdigit():
                    nxt = next_chunk(layout)[1]
                    if nxt not in (FRAC0, FRAC9):
                        n = 2
                        while n < len(value) and value[n].isdigit():
                            n += 1
                        nsec = int((value[1:n] + "000000000")[:9])
                        value = value[n:]
            elif std in (PM, LPM):
                word = value[:2]
                want = ("PM", "AM") if std == PM else ("pm", "am")
                if word not in want:
                    raise ValueError
                pm, am = word == want[0], word == want[1]
                value = value[2:]
            elif std == TZ:
                if value.startswith("UTC"):
                    z, value = UTC, value[3:]
                else:
                    n = _zone_name_length(value)
                    if n == 0:
                        raise ValueError
                    zone_name, value = value[:n], value[n:]
            elif std in (FRAC0, FRAC9):
                if std == FRAC0:
                    nd = 1 + digits
                    if len(value) < nd or value[0] not in ".,":
                        raise ValueError
                    nsec = int((value[1:nd] + "000000000")[:9])
                    value = value[nd:]
                elif len(value) >= 2 and value[0] in ".," and value[1].isdigit():
                    i = 0
                    while i < 9 and i + 1 < len(value) and value[i + 1].isdigit():
                        i += 1
                    nsec = int((value[1 : 1 + i] + "000000000")[:9])
                    value = value[1 + i :]
            else:
                if std in (ISO_TZ, ISO_SHORT_TZ, ISO_COLON_TZ) and value[:1] == "Z":
                    z, value = UTC, value[1:]
                else:
                    colon = std in (ISO_COLON_TZ, NUM_COLON_TZ)
                    short = std in (NUM_SHORT_TZ, ISO_SHORT_TZ)
                    csec = std in (ISO_COLON_SECONDS_TZ, NUM_COLON_SECONDS_TZ)
                    wsec = std in (ISO_SECONDS_TZ, NUM_SECONDS_TZ)
                    if colon:
                        if len(value) < 6 or value[3] != ":":
                            raise ValueError
                        s_, h_, m_, ss_, value = value[0], value[1:3], value[4:6], "00", value[6:]
                    elif short:
                        if len(value) < 3:
                            raise ValueError
                        s_, h_, m_, ss_, value = value[0], value[1:3], "00", "00", value[3:]
                    elif csec:
                        if len(value) < 9 or value[3] != ":" or value[6] != ":":
                            raise ValueError
                        s_, h_, m_, ss_, value = (
                            value[0],
                            value[1:3],
                            value[4:6],
                            value[7:9],
                            value[9:],
                        )
                    elif wsec:
                        if len(value) < 7:
                            raise ValueError
                        s_, h_, m_, ss_, value = (
                            value[0],
                            value[1:3],
                            value[3:5],
                            value[5:7],
                            value[7:],
                        )
                    else:
                        if len(value) < 5:
                            raise ValueError
                        s_, h_, m_, ss_, value = value[0], value[1:3], value[3:5], "00", value[5:]
                    if s_ not in "+-" or not (h_ + m_ + ss_).isdigit():
                        raise ValueError
                    zone_offset = (int(h_) * 60 + int(m_)) * 60 + int(ss_)
                    if s_ == "-":
                        zone_offset = -zone_offset
        except (ValueError, IndexError):
            raise _parse_error(alayout, avalue, text, hold) from None
        if range_err:
            raise _parse_error(alayout, avalue, text, hold, f": {range_err} out of range")
    if pm and hour < 12:
        hour += 12
    elif am and hour == 12:
        hour = 0
    if yday >= 0:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        if yday < 1 or yday > 365 + leap:
            raise _parse_error(alayout, avalue, "", value, ": day-of-year out of range")
        if month < 0:
            d = _civil(_days(year, 1, 1) + yday - 1)
            month, day = d[1], d[2]
    if month < 0:
        month = 1
    if day < 0:
        day = 1
    mdays = [
        31,
        28 + (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)),
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ]
    if day < 1 or day > mdays[month - 1]:
        raise _parse_error(alayout, avalue, "", value, ": day out of range")
    local = _days(year, month, day) * 86400 + hour * 3600 + minute * 60 + sec
    if z is not None:
        return GoTime(local, nsec, z)
    if zone_offset is not None:
        target = loc
        t = GoTime(local - zone_offset, nsec, target)
        if t.zone()[1] != zone_offset:
            t.loc = Location("", timezone(timedelta(seconds=zone_offset)))
        return t
    if zone_name:
        # a zone abbreviation the local zone (UTC) does not know: a fixed zone of that name
        if zone_name == "UTC":
            return GoTime(local, nsec, UTC)
        offset = 0
        if len(zone_name) > 3 and zone_name.startswith("GMT"):
            offset = int(zone_name[3:]) * 3600
        fixed = Location(zone_name, timezone(timedelta(seconds=offset), zone_name))
        return GoTime(local - offset, nsec, fixed)
    t = GoTime(local, nsec, loc)
    _, off = t.zone()
    return GoTime(local - off, nsec, loc)


def _zone_name_length(value: str) -> int:
    """Go's parseTimeZone: the length of a zone abbreviation at the start of value, or 0."""
    if len(value) < 3:
        return 0
    if value[:4] in ("ChST", "MeST"):
        return 4
    if value.startswith("GMT"):
        rest = value[3:]
        if rest[:1] in ("+", "-"):
            i = 1
            while i < len(rest) and rest[i].isdigit() and rest[i].isascii():
                i += 1
            if i > 1 and -24 <= int(rest[:i]) <= 24:
                return 3 + i
        return 3
    n = 0
    while n < 6 and n < len(value) and "A" <= value[n] <= "Z":
        n += 1
    if n == 3:
        return 3
    if n == 4 and (value[3] == "T" or value[:4] == "WITA"):
        return 4
    if n == 5 and value[4] == "T":
        return 5
    return 0


# -- durations ----------------------------------------------------------------------------------

_UNITS = {
    "ns": 1,
    "us": 1000,
    "µs": 1000,
    "μs": 1000,
    "ms": 1_000_000,
    "s": NS,
    "m": 60 * NS,
    "h": 3600 * NS,
}
_MAX = (1 << 63) - 1


def parse_duration(s: str) -> int:
    """time.ParseDuration; TimeError with Go's text."""
    orig = s
    neg = False
    if s[:1] in ("+", "-"):
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if s == "":
        raise TimeError(f"time: invalid duration {_quote(orig)}")
    total = 0
    while s:
        i = 0
        while i < len(s) and s[i].isdigit() and s[i].isascii():
            i += 1
        whole = s[:i]
        s = s[i:]
        frac = ""
        if s[:1] == ".":
            s = s[1:]
            j = 0
            while j < len(s) and s[j].isdigit() and s[j].isascii():
                j += 1
            frac, s = s[:j], s[j:]
        if not whole and not frac:
            raise TimeError(f"time: invalid duration {_quote(orig)}")
        j = 0
        while j < len(s) and s[j] != "." and not (s[j].isdigit() and s[j].isascii()):
            j += 1
        unit, s = s[:j], s[j:]
        if not unit:
            raise TimeError(f"time: missing unit in duration {_quote(orig)}")
        if unit not in _UNITS:
            raise TimeError(f"time: unknown unit {_quote(unit)} in duration {_quote(orig)}")
        scale = _UNITS[unit]
        v = int(whole or "0") * scale
        if frac:
            v += int(frac) * scale // 10 ** len(frac)
        total += v
        if total > _MAX + (1 if neg else 0):
            raise TimeError(f"time: invalid duration {_quote(orig)}")
    return -total if neg else total


def duration_string(d: int) -> str:
    """time.Duration.String."""
    if d == 0:
        return "0s"
    neg = d < 0
    u = -d if neg else d
    if u < NS:
        if u < 1000:
            out = f"{u}ns"
        elif u < 1_000_000:
            out = _frac(u, 3) + "µs"
        else:
            out = _frac(u, 6) + "ms"
    else:
        out = _frac(u % (60 * NS), 9) + "s"
        u //= 60 * NS
        if u > 0:
            out = f"{u % 60}m" + out
            u //= 60
            if u > 0:
                out = f"{u}h" + out
    return "-" + out if neg else out


def _frac(v: int, prec: int) -> str:
    whole, frac = divmod(v, 10**prec)
    fs = f"{frac:0{prec}d}".rstrip("0")
    return f"{whole}.{fs}" if fs else str(whole)
