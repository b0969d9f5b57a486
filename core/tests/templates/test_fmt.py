"""Go's fmt: verbs, flags and the error forms, and Go's %v of model values."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extsecrets.templates.gofmt import go_quote, sprint, sprintf, sprintln
from extsecrets.templates.values import GoMap, GoSlice, Int64, Uint8, format_float, go_print

from .fmt_facts import FMT_FACTS


@pytest.mark.parametrize(("fmt", "arg", "expected"), FMT_FACTS)
def test_fmt_facts(fmt: str, arg: Any, expected: str) -> None:
    assert sprintf(fmt, arg) == expected


ERROR_FORMS = [
    (("%d", "x"), "%!d(string=x)"),
    (("%s", 3), "%!s(int=3)"),
    (("%t", 1.5), "%!t(float64=1.5)"),
    (("%d",), "%!d(MISSING)"),
    (("x", 1, "a"), "x%!(EXTRA int=1, string=a)"),
    (("%d %d", 1), "1 %!d(MISSING)"),
    (("%", 1), "%!(NOVERB)%!(EXTRA int=1)"),
    (("%[3]d", 1), "%!d(BADINDEX)"),
    (("%[2]d %[1]d", 1, 2), "2 1"),
    (("%*d", 5, 1), "    1"),
    (("%.*f", 2, 3.14159), "3.14"),
    (("%z", 1), "%!z(int=1)"),
    (("%d", None), "%!d(<nil>)"),
    (("%v", None), "<nil>"),
    (("%s", [1, "a"]), "[%!s(int=1) a]"),
    # keys are printed with the verb too
    (("%d", {"a": 1, "b": "x"}), "map[%!d(string=a):1 %!d(string=b):%!d(string=x)]"),
    (("%x", b"hi"), "6869"),
    (("%s", b"hi"), "hi"),
    (("%v", b"hi"), "[104 105]"),
    (("%q", "\xff"), '"ÿ"'),
    (("%T %T %T %T", 1, "a", [1], {"a": 1}), "int string []interface {} map[string]interface {}"),
    (("%T %T", Int64(1), GoSlice(["a"], elem="string")), "int64 []string"),
    (
        ("%#v", {"a": [1, None]}),
        'map[string]interface {}{"a":[]interface {}{1, interface {}(nil)}}',
    ),
    (("%+v", 5), "5"),
    (("%c|%U|%#U", 0x1F600, 0x1F600, 65), "😀|U+1F600|U+0041 'A'"),
    (("%v", Uint8(7)), "7"),
    (("%x", -255), "-ff"),
    (("%08.3f|%-8.2e|%+.3g", -3.14159, 1234.5, 0.000012345), "-003.142|1.23e+03|+1.23e-05"),
]


@pytest.mark.parametrize(("args", "expected"), ERROR_FORMS)
def test_sprintf_error_forms_and_composites(args: tuple[Any, ...], expected: str) -> None:
    assert sprintf(*args) == expected


def test_sprint_and_sprintln_spacing() -> None:
    # Sprint: a space between operands when neither is a string
    assert sprint("a", 1, 2, "b", 3.0, None) == "a1 2b3 <nil>"
    assert sprintln("a", 1) == "a 1\n"


def test_go_quote_escapes_as_strconv() -> None:
    assert go_quote('a"b\\c\n\t\x00\x7f') == '"a\\"b\\\\c\\n\\t\\x00\\x7f"'
    assert go_quote("é\u200b") == '"é\\u200b"'
    assert go_quote("\udcff") == '"\\xff"'  # an invalid byte


# Go's %v of floats: strconv 'g' shortest; exponent form when exp < -4 || exp >= 21 is JSON's
# rule, not fmt's: fmt uses exp < -4 || exp >= 6 (the spec's 1.234567e+06, 1e+06, 1e-05).
FLOATS = [
    (123456.0, "123456"),
    (1234567.0, "1.234567e+06"),
    (1e6, "1e+06"),
    (1e-5, "1e-05"),
    (0.0001, "0.0001"),
    (3.0, "3"),
    (-0.0, "-0"),
    (0.1, "0.1"),
    (1e21, "1e+21"),
    (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (math.inf, "+Inf"),
    (-math.inf, "-Inf"),
    (math.nan, "NaN"),
]


@pytest.mark.parametrize(("value", "text"), FLOATS)
def test_float_printing(value: float, text: str) -> None:
    assert go_print(value) == text


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != 0))
def test_float_v_is_shortest_round_trip_with_gos_exponent_rule(x: float) -> None:
    text = go_print(x)
    assert float(text) == x
    exp = Decimal(repr(x)).adjusted()
    assert ("e" in text) == (exp < -4 or exp >= 6)
    # the digits are the shortest (Python's repr has the same shortest digits)
    digits = text.lstrip("-").split("e")[0].replace(".", "").strip("0")
    assert digits == "".join(map(str, Decimal(repr(abs(x))).normalize().as_tuple().digits))


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_ints_print_in_decimal(n: int) -> None:
    assert go_print(n) == str(n)
    assert sprintf("%x", n) == format(n, "x")


@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(min_value=0, max_value=17))
def test_fixed_precision_matches_correct_rounding(x: float, prec: int) -> None:
    # %e and %f with a precision round the exact binary value half to even, as Python does
    assert format_float(x, "e", prec) == f"{x:.{prec}e}"
    assert format_float(x, "f", prec) == f"{x:.{prec}f}"


def test_composite_printing() -> None:
    assert go_print([1, "a", None, [2.5]]) == "[1 a <nil> [2.5]]"
    assert go_print({"b": 1, "a": {"c": None}}) == "map[a:map[c:<nil>] b:1]"
    assert go_print(GoMap({"z": "1", "y": "2"}, elem="string")) == "map[y:2 z:1]"
    assert go_print(None) == "<no value>"
    assert go_print(True) == "true"
    assert go_print(b"\x01\x02") == "[1 2]"
