"""sprig's string functions. Expected values come from sprig's documentation and from reading
Go's strings package, goutils and xstrings (byte semantics, Go's case mappings)."""

from __future__ import annotations

from typing import Any

import pytest

from extsecrets.templates.errors import FuncPanic, LimitError
from extsecrets.templates.funcs import FUNCS
from extsecrets.templates.values import GoMap, GoSlice, from_go_bytes


def call(name: str, *args: Any) -> Any:
    return FUNCS[name](*args)


@pytest.mark.parametrize(
    ("name", "args", "want"),
    [
        # sprig's documentation (docs/strings.md)
        ("trim", ("   hello    ",), "hello"),
        ("trimAll", ("$", "$5.00"), "5.00"),
        ("trimall", ("$", "$5.00$"), "5.00"),
        ("trimSuffix", ("-", "hello-"), "hello"),
        ("trimPrefix", ("-", "-hello"), "hello"),
        ("upper", ("hello",), "HELLO"),
        ("lower", ("HELLO",), "hello"),
        ("title", ("hello world",), "Hello World"),
        ("untitle", ("Hello World",), "hello world"),
        ("repeat", (3, "hello"), "hellohellohello"),
        ("substr", (0, 5, "hello world"), "hello"),
        ("nospace", ("hello w o r l d",), "helloworld"),
        ("trunc", (5, "hello world"), "hello"),
        ("trunc", (-5, "hello world"), "world"),
        ("abbrev", (5, "hello world"), "he..."),
        ("abbrevboth", (5, 10, "1234 5678 9123"), "...5678..."),
        ("initials", ("First Try",), "FT"),
        ("wrapWith", (5, "\t", "Hello World"), "Hello\tWorld"),
        ("wrap", (5, "Hello World"), "Hello\nWorld"),
        ("contains", ("cat", "catch"), True),
        ("hasPrefix", ("cat", "catch"), True),
        ("hasSuffix", ("cat", "catch"), False),
        ("quote", ("hello",), '"hello"'),
        ("squote", ("hello",), "'hello'"),
        ("cat", ("hello", "beautiful", "world"), "hello beautiful world"),
        ("indent", (4, "line1\nline2"), "    line1\n    line2"),
        ("nindent", (4, "line1\nline2"), "\n    line1\n    line2"),
        ("replace", (" ", "-", "I Am Henry VIII"), "I-Am-Henry-VIII"),
        ("plural", ("one anchovy", "many anchovies", 1), "one anchovy"),
        ("plural", ("one anchovy", "many anchovies", 2), "many anchovies"),
        ("snakecase", ("FirstName",), "first_name"),
        ("camelcase", ("http_server",), "HttpServer"),
        ("kebabcase", ("FirstName",), "first-name"),
        ("swapcase", ("This Is A.Test",), "tHIS iS a.tEST"),
        ("hello", (), "Hello!"),
        # sprig's toString is strval: %v for non-strings
        ("toString", (1.5,), "1.5"),
        ("toString", (None,), "<nil>"),
        ("toString", (b"ab",), "ab"),
        # ESO's template_test.go (spec cases 7, 8)
        (
            "replace",
            ("postgres://", "db+postgresql://", "postgres://user:pass@db.host:5432/dbname"),
            "db+postgresql://user:pass@db.host:5432/dbname",
        ),
        ("upper", ("username",), "USERNAME"),
    ],
)
def test_documented_examples(name: str, args: tuple[Any, ...], want: Any) -> None:
    assert call(name, *args) == want


@pytest.mark.parametrize(
    ("word", "snake", "kebab"),
    [
        # xstrings' documented samples (convert.go)
        ("FirstName", "first_name", "first-name"),
        ("HTTPServer", "http_server", "http-server"),
        ("NoHTTPS", "no_https", "no-https"),
        ("GO_PATH", "go_path", "go-path"),
        ("GO PATH", "go_path", "go-path"),
        ("GO-PATH", "go_path", "go-path"),
        ("http2xx", "http_2xx", "http-2xx"),
        ("HTTP20xOK", "http_20x_ok", "http-20x-ok"),
        ("Duration2m3s", "duration_2m3s", "duration-2m3s"),
        ("Bld4Floor3rd", "bld4_floor_3rd", "bld4-floor-3rd"),
    ],
)
def test_snake_and_kebab_case(word: str, snake: str, kebab: str) -> None:
    assert call("snakecase", word) == snake
    assert call("kebabcase", word) == kebab


@pytest.mark.parametrize(
    ("word", "want"),
    [
        # xstrings v1.5 ToPascalCase samples (sprig 3.3's camelcase)
        ("some_words", "SomeWords"),
        ("http_server", "HttpServer"),
        ("no_https", "NoHttps"),
        ("_complex__case_", "_Complex_Case_"),
        ("some words", "SomeWords"),
        ("GOLANG_IS_GREAT", "GolangIsGreat"),
        ("a", "A"),
        ("", ""),
        # xstrings writes the last connector again when there is nothing else
        ("__", "___"),
    ],
)
def test_camelcase(word: str, want: str) -> None:
    assert call("camelcase", word) == want


def test_go_case_mapping_is_rune_by_rune() -> None:
    # unicode.ToUpper has no one-rune mapping for ß, so Go keeps it; Python's str.upper gives SS
    assert call("upper", "straße") == "STRAßE"
    # İ lowers to a plain i in Go (Python adds a combining dot)
    assert call("lower", "İ") == "i"
    # an invalid byte comes out as U+FFFD from strings.Map
    assert call("upper", from_go_bytes(b"a\xffb")) == "A\ufffdB"


def test_go_whitespace() -> None:
    # unicode.IsSpace: U+001C is not white space for Go (it is for Python's str.strip)
    assert call("trim", "\x1c x \u00a0") == "\x1c x"


def test_cuts_count_bytes() -> None:
    # trunc and substr cut Go strings, so a cut can split a UTF-8 sequence
    assert call("trunc", 1, "é") == from_go_bytes(b"\xc3")
    assert call("substr", 1, 3, "héllo") == from_go_bytes(b"\xc3\xa9")
    assert call("abbrev", 4, "ééé") == from_go_bytes(b"\xc3...")


def test_substr_out_of_range_panics_like_go() -> None:
    with pytest.raises(FuncPanic) as err:
        call("substr", -1, 10, "hello")
    assert str(err.value) == "runtime error: slice bounds out of range [:10] with length 5"
    with pytest.raises(FuncPanic) as err:
        call("substr", 7, -1, "hello")
    assert str(err.value) == "runtime error: slice bounds out of range [7:5]"
    with pytest.raises(FuncPanic) as err:
        call("substr", 3, 2, "hello")
    assert str(err.value) == "runtime error: slice bounds out of range [3:2]"


def test_repeat_negative_and_huge() -> None:
    with pytest.raises(FuncPanic) as err:
        call("repeat", -1, "x")
    assert str(err.value) == "strings: negative Repeat count"
    with pytest.raises(LimitError):
        call("repeat", 10**9, "x")
    with pytest.raises(LimitError):
        call("indent", 10**8, "a\nb")


def test_split_functions_keep_go_types() -> None:
    parts = call("split", "$", "foo$bar$baz")
    assert parts == {"_0": "foo", "_1": "bar", "_2": "baz"}
    assert isinstance(parts, GoMap)
    assert parts.elem == "string"
    assert call("splitn", "$", 2, "foo$bar$baz") == {"_0": "foo", "_1": "bar$baz"}
    assert call("splitn", "$", 0, "foo$bar") == {}
    items = call("splitList", "$", "foo$bar$baz")
    assert items == ["foo", "bar", "baz"]
    assert isinstance(items, GoSlice)
    assert items.elem == "string"
    # an empty separator splits into runes
    assert call("splitList", "", "aé") == ["a", "é"]


def test_join_and_to_strings() -> None:
    assert call("join", "_", ["hello", "world"]) == "hello_world"
    # strslice drops nil elements and prints the others with %v
    assert call("join", ",", [1, None, 2.5, True]) == "1,2.5,true"
    assert call("join", ",", "solo") == "solo"
    assert call("join", ",", None) == ""
    assert call("toStrings", [1, 2, 3]) == ["1", "2", "3"]


def test_quote_is_go_strconv_quote() -> None:
    assert call("quote", 'a"b\n', None, 1) == '"a\\"b\\n" "1"'
    assert call("quote", "\x00é\u00a0") == '"\\x00é\\u00a0"'
    assert call("quote", from_go_bytes(b"\xff")) == '"\\xff"'
    assert call("squote", "x", None, 2) == "'x' '2'"


def test_nospace_and_initials_walk_bytes() -> None:
    # goutils reads byte by byte: a non-ASCII byte becomes the Latin-1 rune of that value,
    # but a string without white space comes back unchanged
    assert call("nospace", "é") == "é"
    assert call("nospace", "é x") == "Ã©x"
    assert call("initials", "été x") == "Ãx"


def test_atoi() -> None:
    assert call("atoi", "42") == 42
    assert call("atoi", "+7") == 7
    assert call("atoi", "4.2") == 0
    assert call("atoi", "0x1F") == 0
    assert call("atoi", "99999999999999999999") == (1 << 63) - 1


def test_random_strings_have_the_alphabet_and_length() -> None:
    for name, alphabet in [
        ("randAlphaNum", set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")),
        ("randAlpha", set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")),
        ("randNumeric", set("0123456789")),
        ("randAscii", {chr(c) for c in range(32, 127)}),
    ]:
        s = call(name, 200)
        assert len(s) == 200
        assert set(s) <= alphabet
        assert call(name, 0) == ""
        assert call(name, -3) == ""
    assert call("randAlphaNum", 32) != call("randAlphaNum", 32)
    with pytest.raises(LimitError):
        call("randAlphaNum", 10**9)


def test_shuffle_keeps_the_runes() -> None:
    s = "abcdefghijé"
    out = call("shuffle", s)
    assert sorted(out) == sorted(s)
    assert len(out) == len(s)
