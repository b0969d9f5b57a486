"""Go values the functions return (time.Duration, time.Month, time.Time, semver.Version): their
methods, how fmt prints them, how the engine calls them. Expected texts from Go's time and fmt
documentation (the corpus file go_values.yaml compares the same with Go itself)."""

from __future__ import annotations

from typing import Any

import pytest

from extsecrets.templates import render
from extsecrets.templates.funcs import FUNCS
from extsecrets.templates.funcs._gotime import Duration, Month, Weekday
from extsecrets.templates.values import go_kind, go_type_name

H = 3600 * 10**9
DAY = 'toDate "2006-01-02" "2024-03-05"'


def t(text: str, **parts: str) -> str:
    """The template with DAY (a fixed date), HOUR and the given parts put in."""
    for name, part in {**parts, "DAY": DAY, "HOUR": str(H)}.items():
        text = text.replace(name, part)
    return text


def out(text: str, data: Any = None) -> str:
    r = render(text, data, FUNCS, name="k", missingkey="error")
    assert r.error is None, r.error
    assert r.output is not None
    return r.output


def err(text: str) -> str:
    r = render(text, {}, FUNCS, name="k", missingkey="error")
    assert r.error is not None, r.output
    return r.error


def test_duration_is_an_int64_with_methods() -> None:
    d = Duration(96 * H)
    assert (go_type_name(d), go_kind(d), int(d)) == ("time.Duration", "int64", 96 * H)
    assert (d.Hours(), d.Minutes(), d.Seconds()) == (96.0, 5760.0, 345600.0)
    assert (d.Milliseconds(), d.Microseconds(), d.Nanoseconds()) == (
        345_600_000,
        345_600_000_000,
        96 * H,
    )
    assert Duration(-90 * 60 * 10**9).Hours() == -1.5  # Go divides toward zero, then adds


@pytest.mark.parametrize(
    ("d", "m", "rounded", "truncated"),
    [
        (96 * H, 7000 * 10**9, "95h16m40s", "95h16m40s"),
        (-96 * H, 7000 * 10**9, "-95h16m40s", "-95h16m40s"),
        (90 * 60 * 10**9, H, "2h0m0s", "1h0m0s"),  # half rounds away from zero
        (-90 * 60 * 10**9, H, "-2h0m0s", "-1h0m0s"),
        (5, 0, "5ns", "5ns"),  # m <= 0: unchanged
        ((1 << 63) - 1, H, "2562047h47m16.854775807s", "2562047h0m0s"),  # Round saturates
    ],
)
def test_duration_round_and_truncate(d: int, m: int, rounded: str, truncated: str) -> None:
    assert (str(Duration(d).Round(m)), str(Duration(d).Truncate(m))) == (rounded, truncated)


def test_duration_abs() -> None:
    assert str(Duration(-5).Abs()) == "5ns"
    assert int(Duration(-(1 << 63)).Abs()) == (1 << 63) - 1


def test_month_and_weekday_are_named_ints() -> None:
    assert (str(Month(3)), str(Weekday(0)), int(Month(3)) + 1) == ("March", "Sunday", 4)
    assert (str(Month(13)), str(Weekday(7))) == ("%!Month(13)", "%!Weekday(7)")
    assert (go_type_name(Month(1)), go_kind(Month(1))) == ("time.Month", "int")


def test_fmt_prints_stringers_by_their_string_method() -> None:
    sub = '((DAY).Sub (toDate "2006-01-02" "2024-03-01"))'
    assert out(t("{{ SUB }}", SUB=sub)) == "96h0m0s"
    assert out(t('{{ $d := SUB }}{{ printf "%v|%d|%q|%#v" $d $d $d $d }}', SUB=sub)) == (
        '96h0m0s|345600000000000|"96h0m0s"|345600000000000'
    )
    assert out(t('{{ $m := (DAY).Month }}{{ printf "%v|%d|%#v" $m $m $m }}')) == "March|3|3"
    assert out(t("{{ list (DAY).Month (DAY).Weekday }}")) == "[March Tuesday]"
    assert out(t("{{ (DAY).Month | toString }}|{{ (DAY).Month | add 1 }}")) == "March|4"
    assert out(t("{{ (DAY).GoString }}")) == (
        "time.Date(2024, time.March, 5, 0, 0, 0, 0, time.Local)"
    )
    # Local has no zone data in ESO's image: Go names it UTC
    assert out(t("{{ (DAY).Location }}")) == "UTC"


def test_struct_values_print_their_fields() -> None:
    assert out('{{ $c := genCA "x" 3 }}{{ printf "%.5v|%+.5v" $c $c }}') == (
        "{-----, -----}|{Cert:----- Key:-----}".replace(", ", " ")
    )


def test_time_round_and_truncate() -> None:
    at = 'toDate "2006-01-02 15:04:05" "2024-03-05 10:31:45"'
    assert out(t('{{ ((AT).Round HOUR).Format "15:04:05" }}', AT=at)) == "11:00:00"
    assert out(t('{{ ((AT).Truncate HOUR).Format "15:04:05" }}', AT=at)) == "10:00:00"
    assert out(t("{{ (DAY).Compare (DAY) }}")) == "0"


def test_methods_with_several_results_cannot_be_called() -> None:
    assert err(t("{{ (DAY).Zone }}")) == (
        'template: k:1:24: executing "k" at <"2024-03-05">: '
        'can\'t call method/function "Zone" with 2 results'
    )


def test_semver_increments_are_values() -> None:
    assert out('{{ $v := (semver "1.2.3").IncMajor }}{{ printf "%T %v" $v $v }}') == (
        "semver.Version 2.0.0"
    )
    assert err('{{ (semver "v1.2.3").IncMajor.Original }}').endswith(
        "can't evaluate field Original in type semver.Version"
    )
