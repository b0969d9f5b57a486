"""sprig's math (spf13/cast conversions, int64 arithmetic, shopspring/decimal) and dates (Go's
time layouts and durations). Expected values from sprig's docs and Go's documented rules."""

from __future__ import annotations

import math
import re
import time
from typing import Any

import pytest

from extsecrets.templates.errors import FuncError, FuncPanic
from extsecrets.templates.funcs import FUNCS
from extsecrets.templates.values import Int32, Int64, go_type_name


def call(name: str, *args: Any) -> Any:
    return FUNCS[name](*args)


def test_int64_arithmetic() -> None:
    assert call("add", 1, 2, 3) == 6
    assert go_type_name(call("add", 1, 2)) == "int64"
    assert call("add1", 1) == 2
    assert call("sub", 3, 2) == 1
    assert call("mul", 2, 3, 4) == 24
    # Go's integer division truncates toward zero, % takes the dividend's sign
    assert call("div", -7, 2) == -3
    assert call("mod", -7, 2) == -1
    assert call("max", 1, 2, 3) == 3
    assert call("biggest", 1, 5) == 5
    assert call("min", 1, 2, 3) == 1
    # int64 overflow wraps
    assert call("add", (1 << 63) - 1, 1) == -(1 << 63)
    with pytest.raises(FuncPanic) as err:
        call("div", 1, 0)
    assert str(err.value) == "runtime error: integer divide by zero"


@pytest.mark.parametrize(
    ("value", "want"),
    [
        # spf13/cast ToInt64: strings parse with base prefixes; a decimal part is dropped
        ("12", 12),
        ("0x1F", 31),
        ("0b101", 5),
        ("010", 8),
        ("1_000", 1000),
        ("12.9", 12),
        ("-12.9", -12),
        (".5", 0),
        ("1e3", 0),
        ("abc", 0),
        ("", 0),
        (None, 0),
        (True, 1),
        (2.9, 2),
        (-2.9, -2),
        ([1], 0),
        (Int32(7), 7),
    ],
)
def test_cast_to_int64(value: Any, want: int) -> None:
    assert call("int64", value) == want
    assert call("int", value) == want
    assert call("add", value) == want


def test_cast_to_float64() -> None:
    assert call("float64", "1.5") == 1.5
    assert call("float64", "1e3") == 1000.0
    assert call("float64", "1_000") == 0.0
    assert call("float64", "0x1p-2") == 0.25
    assert call("float64", "1e400") == 0.0
    assert call("float64", Int64(3)) == 3.0


def test_decimal_float_arithmetic() -> None:
    # sprig's docs
    assert call("addf", 1.5, 2, 2) == 5.5
    assert call("add1f", 1.5) == 2.5
    assert call("subf", 1.5, 2) == -0.5
    assert call("mulf", 1.5, 2, 2) == 6.0
    assert call("divf", 10, 2, 4) == 1.25
    # decimal arithmetic: 0.1 + 0.2 is 0.3, not 0.30000000000000004
    assert call("addf", 0.1, 0.2) == 0.3
    # Div keeps 16 decimal places
    assert call("divf", 1, 3) == 0.3333333333333333
    assert call("divf", 2, 3) == 0.6666666666666667
    with pytest.raises(FuncPanic) as err:
        call("divf", 1, 0)
    assert str(err.value) == "decimal division by 0"
    with pytest.raises(FuncPanic) as err:
        call("addf", "Inf")
    assert str(err.value) == "Cannot create a Decimal from +Inf"


def test_rounding() -> None:
    assert call("round", 123.555555, 3) == 123.556
    assert call("round", 123.5, 0) == 124.0
    assert call("round", -1.5, 0) == -2.0
    assert call("round", 1.25, 1, 0.6) == 1.2
    assert call("floor", 123.9999) == 123.0
    assert call("ceil", 123.001) == 124.0
    # math.Ceil keeps the sign: Go prints -0
    assert math.copysign(1, call("ceil", -0.5)) == -1
    assert call("maxf", 1, 2.5, 3) == 3.0
    assert call("minf", 1, 2.5, 3) == 1.0
    assert call("toDecimal", "0777") == 511
    assert call("toDecimal", "9") == 0


def test_rand_int() -> None:
    for _ in range(50):
        assert 3 <= call("randInt", 3, 6) < 6
    with pytest.raises(FuncPanic) as err:
        call("randInt", 5, 5)
    assert str(err.value) == "invalid argument to Intn"


# -- dates --------------------------------------------------------------------------------------

# Go's reference time: Mon Jan 2 15:04:05 MST 2006 is Unix 1136239445
REF = Int64(1136239445)


@pytest.mark.parametrize(
    ("layout", "want"),
    [
        ("2006-01-02", "2006-01-02"),
        ("Mon Jan _2 15:04:05 MST 2006", "Mon Jan  2 22:04:05 UTC 2006"),
        ("2006-01-02T15:04:05Z07:00", "2006-01-02T22:04:05Z"),
        ("02/01/06 03:04:05PM", "02/01/06 10:04:05PM"),
        ("Monday, January 2, 2006 3:4:5 pm", "Monday, January 2, 2006 10:4:5 pm"),
        ("2006-01-02 15:04:05.000 -0700", "2006-01-02 22:04:05.000 +0000"),
        ("002 __2 .999", "002   2 "),
        ("-07:00:00 Z0700", "+00:00:00 Z"),
    ],
)
def test_date_layouts(layout: str, want: str) -> None:
    # "Local" is UTC, as in ESO's container
    assert call("date", layout, REF) == want


def test_date_in_zone() -> None:
    assert call("dateInZone", "2006-01-02 15:04 MST -0700", REF, "America/New_York") == (
        "2006-01-02 17:04 EST -0500"
    )
    assert call("date_in_zone", "15:04 MST", REF, "Asia/Kolkata") == "03:34 IST"
    # an unknown zone falls back to UTC
    assert call("dateInZone", "15:04 MST", REF, "Nowhere/City") == "22:04 UTC"
    assert call("htmlDate", REF) == "2006-01-02"
    assert call("htmlDateInZone", REF, "Pacific/Kiritimati") == "2006-01-03"


def test_date_accepts_go_integer_kinds_only() -> None:
    # int, int32 and int64 are Unix seconds; other values (a string, a float) mean now
    assert call("date", "2006", 0) == "1970"
    assert call("date", "2006", Int32(0)) == "1970"
    this_year = time.strftime("%Y", time.gmtime())
    assert call("date", "2006", "0") == this_year
    assert call("date", "2006", 0.0) == this_year


def test_to_date_and_epoch() -> None:
    t = call("toDate", "2006-01-02", "2017-12-31")
    assert str(t) == "2017-12-31 00:00:00 +0000 UTC"
    assert call("unixEpoch", t) == "1514678400"
    assert call("date", "Jan 2, 2006", t) == "Dec 31, 2017"
    assert str(call("toDate", "2006-01-02", "not a date")) == "0001-01-01 00:00:00 +0000 UTC"
    # a layout without a date gives year 0, January 1
    assert str(call("toDate", "3:04PM", "12:30AM")) == "0000-01-01 00:30:00 +0000 UTC"
    # a zone abbreviation the local zone does not know becomes a fixed zone of that name
    assert str(call("mustToDate", "2006 MST", "2021 XYZ")) == "2021-01-01 00:00:00 +0000 XYZ"
    assert str(call("mustToDate", "2006 MST", "2021 GMT+3")) == "2021-01-01 00:00:00 +0300 GMT+3"
    offset = call("toDate", "2006-01-02T15:04:05Z07:00", "2024-02-29T10:11:12+02:00")
    assert str(offset) == "2024-02-29 10:11:12 +0200 +0200"
    assert call("unixEpoch", offset) == "1709194272"


@pytest.mark.parametrize(
    ("layout", "value", "message"),
    [
        ("2006-01-02", "x", 'parsing time "x" as "2006-01-02": cannot parse "x" as "2006"'),
        ("2006-01-02", "2024-13-01", 'parsing time "2024-13-01": month out of range'),
        ("2006-01-02", "2023-02-29", 'parsing time "2023-02-29": day out of range'),
        (
            "2006-01-02",
            "2024-01-01x",
            'parsing time "2024-01-01x": extra text: "x"',
        ),
    ],
)
def test_must_to_date_errors(layout: str, value: str, message: str) -> None:
    with pytest.raises(FuncError) as err:
        call("mustToDate", layout, value)
    assert str(err.value) == message


def test_date_modify_and_durations() -> None:
    t = call("toDate", "2006-01-02", "2017-12-31")
    assert str(call("dateModify", "-1.5h", t)) == "2017-12-30 22:30:00 +0000 UTC"
    assert str(call("date_modify", "bad", t)) == str(t)
    with pytest.raises(FuncError) as err:
        call("mustDateModify", "1d", t)
    assert str(err.value) == 'time: unknown unit "d" in duration "1d"'
    with pytest.raises(FuncError) as err:
        call("must_date_modify", "1", t)
    assert str(err.value) == 'time: missing unit in duration "1"'
    # duration takes a string or an int64 of seconds; a plain int is 0
    assert call("duration", "95") == "1m35s"
    assert call("duration", Int64(3661)) == "1h1m1s"
    assert call("duration", 95) == "0s"
    assert call("durationRound", "2h10m5s") == "2h"
    assert call("durationRound", "3600s") == "60m"
    assert call("durationRound", Int64(400 * 24 * 3600 * 10**9)) == "1y"
    assert call("durationRound", "") == "0s"


def test_now_and_ago() -> None:
    t = call("now")
    assert FUNCS["typeOf"](t) == "time.Time"
    # time.Now() prints its monotonic clock reading
    assert re.fullmatch(
        r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}", str(t)
    )
    assert call("date", "2006", t) == time.strftime("%Y", time.gmtime())
    assert call("ago", t) == "0s"
    year_ago = call("toDate", "2006-01-02", "2000-01-01")
    assert re.fullmatch(r"\d+h\d+m\d+s", call("ago", year_ago))
    # methods a template can call on a time.Time
    method = t.go_method("Format")
    assert method is not None
    assert method("2006") == time.strftime("%Y", time.gmtime())
    assert str(call("toDate", "2006-01-02", "2017-12-31").Month()) == "December"
