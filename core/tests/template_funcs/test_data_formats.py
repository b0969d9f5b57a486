"""JSON (Go's encoding/json), YAML (ESO's toYaml/fromYaml over sigs.k8s.io/yaml and go-yaml
v2), encodings and checksums. Expected values from the Go packages' documented rules and ESO's
template tests (spec cases 2-5, 10, 11, 13, 14)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from extsecrets.templates.errors import FuncError, FuncPanic
from extsecrets.templates.funcs import FUNCS
from extsecrets.templates.values import Int64, from_go_bytes


def call(name: str, *args: Any) -> Any:
    return FUNCS[name](*args)


# -- JSON ---------------------------------------------------------------------------------------


def test_to_json_is_go_marshal() -> None:
    v = {"b": [1, 2.5, None, "<x>&"], "a": True, "c": {}, "d": []}
    assert call("toJson", v) == '{"a":true,"b":[1,2.5,null,"\\u003cx\\u003e\\u0026"],"c":{},"d":[]}'
    # SetEscapeHTML(false) for toRawJson; U+2028 is escaped either way
    assert call("toRawJson", {"a": "<x>\u2028"}) == '{"a":"<x>\\u2028"}'
    assert call("toJson", "tab\t\b\f\x01") == '"tab\\t\\b\\f\\u0001"'
    # invalid UTF-8 becomes \ufffd; []byte is base64
    assert call("toJson", from_go_bytes(b"a\xff")) == '"a\\ufffd"'
    assert call("toJson", b"hi") == '"aGk="'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (-0.0, "-0"),
        (3.0, "3"),
        (0.1, "0.1"),
        (Int64(-5), "-5"),
        (123456789.0, "123456789"),
    ],
)
def test_json_numbers(value: Any, text: str) -> None:
    assert call("toJson", value) == text


def test_json_errors() -> None:
    assert call("toJson", math.nan) == ""
    with pytest.raises(FuncError) as err:
        call("mustToJson", [math.inf])
    assert str(err.value) == "json: unsupported value: +Inf"
    with pytest.raises(FuncPanic) as perr:
        call("toRawJson", math.nan)
    assert str(perr.value) == "json: unsupported value: NaN"


def test_pretty_json() -> None:
    assert call("toPrettyJson", {"a": [1, {}], "b": []}) == (
        '{\n  "a": [\n    1,\n    {}\n  ],\n  "b": []\n}'
    )


def test_from_json() -> None:
    # numbers are float64; ESO's cases 2 and 3
    assert call("fromJson", '{"foo": "bar"}') == {"foo": "bar"}
    assert call("fromJson", '{"foo": {"baz":"bang"}}') == {"foo": {"baz": "bang"}}
    assert call("fromJson", "[1, 2.5]") == [1.0, 2.5]
    assert isinstance(call("fromJson", "1"), float)
    # case 14: bad JSON gives nil
    assert call("fromJson", "{ # no json # }") is None
    assert call("fromJson", '"a\\ud800b"') == "a\ufffdb"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "unexpected end of JSON input"),
        ("{", "unexpected end of JSON input"),
        ("x", "invalid character 'x' looking for beginning of value"),
        ('{"a":1,}', "invalid character '}' looking for beginning of object key string"),
        ('{"a" 1}', "invalid character '1' after object key"),
        ('{"a":1 "b"}', "invalid character '\"' after object key:value pair"),
        ("[1 2]", "invalid character '2' after array element"),
        ("1 2", "invalid character '2' after top-level value"),
        # at the end Go's scanner steps once more with a space
        ("tru", "invalid character ' ' in literal true (expecting 'e')"),
        ("-", "invalid character ' ' in numeric literal"),
        ("1.", "invalid character ' ' after decimal point in numeric literal"),
        ('"\\', "invalid character ' ' in string escape code"),
        ('"abc', "unexpected end of JSON input"),
        ("trux", "invalid character 'x' in literal true (expecting 'e')"),
        ("-x", "invalid character 'x' in numeric literal"),
        ("1.x", "invalid character 'x' after decimal point in numeric literal"),
        ('"\\x"', "invalid character 'x' in string escape code"),
        ('"a\x01"', "invalid character '\\x01' in string literal"),
        ("NaN", "invalid character 'N' looking for beginning of value"),
        ("1e400", "json: cannot unmarshal number 1e400 into Go value of type float64"),
    ],
)
def test_must_from_json_errors(text: str, message: str) -> None:
    with pytest.raises(FuncError) as err:
        call("mustFromJson", text)
    assert str(err.value) == message


# -- YAML ---------------------------------------------------------------------------------------


def test_to_yaml_eso_cases() -> None:
    # case 4: fromJson | toYaml, one trailing newline removed
    assert call("toYaml", call("fromJson", '{"foo": "bar"}')) == "foo: bar"
    # case 5: fromYaml | toJson
    assert call("toJson", call("fromYaml", "foo: bar")) == '{"foo":"bar"}'


def test_to_yaml_go_yaml_style() -> None:
    value = {
        "list": [1, "yes", {"x": None}],
        "a10": 1,
        "a2": "",
        "text": "multi\nline\n",
        "time": "1:20",
        "octal": "0777",
        "merge": "<<",
        "dash": "- x",
        "colon": "x: y",
        "empty_map": {},
        "empty_list": [],
        "float": 1000000.0,
        "big": 1.5e20,
        "tab": "a\tb",
    }
    # keys sorted with go-yaml's natural order (a2 before a10); sequences not indented;
    # strings that would read back as another type double-quoted; literal block for newlines
    assert call("toYaml", value) == (
        'a2: ""\n'
        "a10: 1\n"
        "big: 1.5e+20\n"
        "colon: 'x: y'\n"
        "dash: '- x'\n"
        "empty_list: []\n"
        "empty_map: {}\n"
        "float: 1000000\n"
        "list:\n"
        "- 1\n"
        '- "yes"\n'
        "- x: null\n"
        # go-yaml's resolver never looks up "<<" (no hint for '<'), so it stays plain
        "merge: <<\n"
        'octal: "0777"\n'
        'tab: "a\\tb"\n'
        "text: |\n"
        "  multi\n"
        "  line\n"
        'time: "1:20"'
    )


def test_to_yaml_scalars_and_errors() -> None:
    assert call("toYaml", "foo") == "foo"
    assert call("toYaml", None) == "null"
    assert call("toYaml", True) == "true"
    assert call("toYaml", [Int64(2), 0.5]) == "- 2\n- 0.5"
    assert call("toYaml", math.nan) == ""
    long = "word " * 40
    # go-yaml v2.4 does not wrap long lines
    assert call("toYaml", {"k": long.strip()}) == "k: " + long.strip()


def test_from_yaml_go_yaml_v2_resolution() -> None:
    got = call(
        "fromYaml",
        "a: 0777\nb: 0x1F\nc: yes\nd: 1_000\ne: 2001-12-14\nf: 1e3\ng: ~\nh: 08\n"
        "1: x\non: y\n1.5: z\ni: !!str 12\nj: 'yes'\nk: 1:20\n",
    )
    assert got == {
        "a": 511.0,
        "b": 31.0,
        "c": True,
        "d": 1000.0,
        "e": "2001-12-14",
        "f": 1000.0,
        "g": None,
        "h": 8.0,
        "1": "x",
        # YAML 1.1: `on` and `y` are booleans, as keys too
        "true": True,
        "1.5": "z",
        "i": "12",
        "j": "yes",
        "k": "1:20",
    }


def test_from_yaml_float_keys_use_float32() -> None:
    assert call("fromYaml", "3.14159265: pi") == {"3.1415927": "pi"}


def test_from_yaml_float_keys_beyond_float32_are_written_as_yaml_infinities() -> None:
    # sigs.k8s.io/yaml turns the +Inf/-Inf of a key's float32 text into .inf/-.inf (Go's
    # oracle: {{ fromYaml "1e39: x" | toJson }} is {".inf":"x"}); the largest float32 is not
    assert call("fromYaml", "1e39: x\n-1e39: w\n.nan: z") == {
        ".inf": "x",
        "-.inf": "w",
        ".nan": "z",
    }
    assert call("fromYaml", "3.4028235e38: m") == {"3.4028235e+38": "m"}


def test_from_yaml_merge_keys_and_aliases() -> None:
    got = call("fromYaml", "base: &b {p: 1, q: 2}\nitem:\n  <<: *b\n  q: 3\ncopy: *b\n")
    assert got == {
        "base": {"p": 1.0, "q": 2.0},
        "item": {"p": 1.0, "q": 3.0},
        "copy": {"p": 1.0, "q": 2.0},
    }
    # go-yaml v2 reads the key `y` as the boolean true
    assert call("fromYaml", "{x: 1, y: 2}") == {"x": 1.0, "true": 2.0}


def test_from_yaml_errors_are_in_the_map() -> None:
    assert call("fromYaml", "") == {}
    assert call("fromYaml", "null") == {}
    assert call("fromYaml", "- a") == {
        "Error": "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array "
        "into Go value of type map[string]interface {}"
    }
    assert call("fromYaml", "a: .inf") == {
        "Error": "error converting YAML to JSON: json: unsupported value: +Inf"
    }
    # go-yaml's texts and its line numbering (0-based for parser errors, the end of a stream
    # without a final newline on the next line, none on the first line)
    for text, message in [
        ("a: [1", "yaml: line 1: did not find expected ',' or ']'"),
        ("a:\n  - x\n  y: 2", "yaml: line 2: did not find expected '-' indicator"),
        ("- a\nb: c", "yaml: line 1: did not find expected '-' indicator"),
        ("a: b: c", "yaml: mapping values are not allowed in this context"),
        ("a: *x", "yaml: unknown anchor 'x' referenced"),
        ('a: "x', "yaml: found unexpected end of stream"),
        ("a: !!int x", "yaml: cannot decode !!str `x` as a !!int"),
        ("? [a]\n: b", 'yaml: invalid map key: []interface {}{"a"}'),
        (
            "~: 1",
            "unsupported map key of type: %!s(<nil>), key: <nil>, value: 1",
        ),
        (
            "9223372036854775808: x",
            'unsupported map key of type: uint64, key: 0x8000000000000000, value: "x"',
        ),
    ]:
        assert call("fromYaml", text) == {"Error": "error converting YAML to JSON: " + message}


# -- encodings ----------------------------------------------------------------------------------


def test_base64() -> None:
    assert call("b64enc", "hello") == "aGVsbG8="
    assert call("b64dec", "aGVsbG8=") == "hello"
    # ESO's cases 1, 10 and 13
    assert call("b64dec", "MTIzNA==") == "1234"
    assert call("b64dec", call("b64enc", "123412341234")) == "123412341234"
    assert call("b64dec", "iam_no_base64") == "illegal base64 data at input byte 3"
    # Go's decoder: CR/LF skipped, padding required, the offset of the first bad byte
    assert call("b64dec", "aGVs\r\nbG8=") == "hello"
    assert call("b64dec", "aGVsbG8") == "illegal base64 data at input byte 4"
    assert call("b64dec", "aGVsbG8=x") == "illegal base64 data at input byte 8"
    assert call("b64dec", "a===") == "illegal base64 data at input byte 1"
    assert call("b64dec", "/w==") == from_go_bytes(b"\xff")


def test_base32_and_hex() -> None:
    assert call("b32enc", "hello") == "NBSWY3DP"
    assert call("b32dec", "NBSWY3DP") == "hello"
    assert call("b32dec", "NBSWY3D") == "illegal base32 data at input byte 0"
    assert call("b32dec", "NB!WY3DP") == "illegal base32 data at input byte 2"
    assert call("hexdec", "68656c6c6f") == "hello"
    assert call("hexdec", "abc") == "encoding/hex: odd length hex string"
    assert call("hexdec", "zz") == "encoding/hex: invalid byte: U+007A 'z'"
    assert call("hexdec", "0\x01") == "encoding/hex: invalid byte: U+0001"


def test_checksums() -> None:
    assert call("sha1sum", "Hello world!") == "d3486ae9136e7856bc42212385ea797094475802"
    assert call("sha256sum", "Hello world!") == (
        "c0535e4be2b79ffd93291305436bf889314e4a3faec05ecffcbb7df31ad9e51a"
    )
    assert call("sha512sum", "") == (
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
    )
    assert call("adler32sum", "Wikipedia") == "300286872"
    # ESO's case 11
    assert call("b64enc", call("hexdec", call("sha256sum", "example"))) == (
        "UNhY4JhezH9gQYqvDMWrWH9CwlcKiECVqejMrND2VFw="
    )


def test_uuidv4_format() -> None:
    import re

    a, b = call("uuidv4"), call("uuidv4")
    pattern = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    assert re.fullmatch(pattern, a)
    assert a != b
