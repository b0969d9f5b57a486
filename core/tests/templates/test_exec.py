"""Execution: output and Go's execution error texts (facts from Go's exec_test.go and ESO's spec)."""

from __future__ import annotations

from typing import Any

import pytest

from extsecrets.templates import ExecError, FuncError, LimitError, parse, render, secret_data
from extsecrets.templates.values import Int64

from .conftest import tval


def out(text: str, data: Any = None, **kw: Any) -> str:
    r = render(text, data, **kw)
    assert r.error is None, r.error
    assert r.output is not None
    return r.output


def err(text: str, data: Any = None, **kw: Any) -> str:
    r = render(text, data, **kw)
    assert r.output is None, r.output
    assert r.error is not None
    return r.error


# (template, output) with Go's tVal fields as data
EXEC = [
    ("{{if true}}TRUE{{end}}", "TRUE"),
    ("{{if false}}TRUE{{else}}FALSE{{end}}", "FALSE"),
    ("{{if 1}}NON-ZERO{{else}}ZERO{{end}}", "NON-ZERO"),
    ("{{if 0}}NON-ZERO{{else}}ZERO{{end}}", "ZERO"),
    ("{{if 1.5}}NON-ZERO{{else}}ZERO{{end}}", "NON-ZERO"),
    ("{{if .FloatZero}}NON-ZERO{{else}}ZERO{{end}}", "ZERO"),
    ("{{if 1.5i}}NON-ZERO{{else}}ZERO{{end}}", "NON-ZERO"),
    ("{{if .ComplexZero}}NON-ZERO{{else}}ZERO{{end}}", "ZERO"),
    ("{{if ``}}NON-EMPTY{{else}}EMPTY{{end}}", "EMPTY"),
    ("{{if `notempty`}}NON-EMPTY{{else}}EMPTY{{end}}", "NON-EMPTY"),
    ("{{if .SIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}", "EMPTY"),
    ("{{if .SI}}NON-EMPTY{{else}}EMPTY{{end}}", "NON-EMPTY"),
    ("{{if .MSIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}", "EMPTY"),
    ("{{if .MSI}}NON-EMPTY{{else}}EMPTY{{end}}", "NON-EMPTY"),
    ("{{if $x := true}}{{with $y := .I}}{{$x}},{{$y}}{{end}}{{end}}", "true,17"),
    ("{{if $x := true}}{{with $x := .I}}{{$x}},{{end}}{{$x}}{{end}}", "17,true"),
    ("{{if false}}FALSE{{else if true}}TRUE{{end}}", "TRUE"),
    ("{{if eq 1 3}}1{{else if eq 2 3}}2{{else if eq 3 3}}3{{end}}", "3"),
    ('{{print "hello, print"}}', "hello, print"),
    ("{{print 1 2 3}}", "1 2 3"),
    ("{{print nil}}", "<nil>"),
    ("{{println 1 2 3}}", "1 2 3\n"),
    ('{{printf "%04x" 127}}', "007f"),
    ('{{printf "%g" 3.5}}', "3.5"),
    ('{{printf "%g" 1+7i}}', "(1+7i)"),
    ('{{printf "%s" "hello"}}', "hello"),
    ('{{printf "%s" .U.V}}', "v"),
    ('{{with .I}}{{printf "%d" .}}{{end}}', "17"),
    ('{{with $x := .I}}{{printf "%d" $x}}{{end}}', "17"),
    ('{{printf "%d %s %g" 127 "hello" 7-3i}}', "127 hello (7-3i)"),
    (
        '{{html "<script>alert(\\"XSS\\");</script>"}}',
        "&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;",
    ),
    (
        '{{printf "<script>alert(\\"XSS\\");</script>" | html}}',
        "&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;",
    ),
    ("{{html .Empty0}}", "&lt;no value&gt;"),
    ('{{"http://www.example.org/"|urlquery}}', "http%3A%2F%2Fwww.example.org%2F"),
    ("{{not true}} {{not false}}", "false true"),
    ("{{and false 0}} {{and 1 0}} {{and 0 true}} {{and 1 1}}", "false 0 0 1"),
    ("{{or 0 0}} {{or 1 0}} {{or 0 true}} {{or 1 1}}", "0 1 true 1"),
    ("{{1 | and 1}}", "1"),
    ("{{0 | and 1}}", "0"),
    ("{{1 | or 0}}", "1"),
    ("{{0 | or 0}}", "0"),
    ("{{and 1 .Unknown}}", "<no value>"),
    ("{{or 0 .Unknown}}", "<no value>"),
    ("{{index .SI 0}}", "3"),
    ("{{index .SI 1}}", "4"),
    ("{{index .MSI `one`}}", "1"),
    ("{{index .MSI `XXX`}}", "0"),
    ("{{index .Empty3 0}}", "7"),
    ("{{slice .SI}}", "[3 4 5]"),
    ("{{slice .SI 1}}", "[4 5]"),
    ("{{slice .SI 1 2}}", "[4]"),
    ("{{slice .Empty3 0 1}}", "[7]"),
    ("{{len .SI}}", "3"),
    ("{{len .MSI}}", "3"),
    ("{{len .Empty3}}", "2"),
    ("{{with true}}{{.}}{{end}}", "true"),
    ("{{with false}}{{.}}{{else}}FALSE{{end}}", "FALSE"),
    ("{{with 1}}{{.}}{{else}}ZERO{{end}}", "1"),
    ("{{with 0}}{{.}}{{else}}ZERO{{end}}", "ZERO"),
    ("{{with 1.5}}{{.}}{{else}}ZERO{{end}}", "1.5"),
    ("{{with 1.5i}}{{.}}{{else}}ZERO{{end}}", "(0+1.5i)"),
    ("{{with ``}}{{.}}{{else}}EMPTY{{end}}", "EMPTY"),
    ("{{with `notempty`}}{{.}}{{else}}EMPTY{{end}}", "notempty"),
    ("{{with .SI}}{{.}}{{else}}EMPTY{{end}}", "[3 4 5]"),
    ("{{with .MSIone}}{{.}}{{else}}EMPTY{{end}}", "map[one:1]"),
    ("{{with $x := .I}}{{$x}}{{end}}", "17"),
    ("{{with $x := $}}{{$x.U.V}}{{end}}", "v"),
    ("{{with $x := $}}{{$y := $.U.V}}{{$y}}{{end}}", "v"),
    ("{{range .SI}}-{{.}}-{{end}}", "-3--4--5-"),
    ("{{range .SIEmpty}}-{{.}}-{{end}}", ""),
    ("{{range .SI}}-{{.}}-{{else}}EMPTY{{end}}", "-3--4--5-"),
    ("{{range .SIEmpty}}-{{.}}-{{else}}EMPTY{{end}}", "EMPTY"),
    ("{{range .SI}}-{{.}}-{{break}}NOTREACHED{{else}}EMPTY{{end}}", "-3-"),
    ("{{range .SI}}-{{.}}-{{continue}}NOTREACHED{{else}}EMPTY{{end}}", "-3--4--5-"),
    ("{{range .SB}}-{{.}}-{{end}}", "-true--false-"),
    ("{{range .MSI}}-{{.}}-{{end}}", "-1--3--2-"),
    ("{{range .MSIEmpty}}-{{.}}-{{else}}EMPTY{{end}}", "EMPTY"),
    ("{{range .Empty3}}-{{.}}-{{else}}EMPTY{{end}}", "-7--8-"),
    ("{{range .Empty0}}-{{.}}-{{end}}", ""),
    ("{{range $x := .SI}}<{{$x}}>{{end}}", "<3><4><5>"),
    ("{{range $x, $y := .SI}}<{{$x}}={{$y}}>{{end}}", "<0=3><1=4><2=5>"),
    ("{{range $x := .MSIone}}<{{$x}}>{{end}}", "<1>"),
    ("{{range $x, $y := .MSIone}}<{{$x}}={{$y}}>{{end}}", "<one=1>"),
    ("{{range $x := .PSI}}<{{$foo:=$x}}{{$x}}>{{end}}", "<21><22><23>"),
    ('{{or .SI "slice is empty"}}', "[3 4 5]"),
    ('{{or .SIEmpty "slice is empty"}}', "slice is empty"),
    ("{{print 1_2_3_4 7.5_00_00_00}}", "1234 7.5"),
    ("{{print 1234 0x0_1.e_0p+02}}", "1234 7.5"),
    ("{{$x := $.U.V}}{{$x}}", "v"),
    ("{{.I}} {{$.I}}", "17 17"),
    ("{{eq (index `x` 0) 'x'}}", "true"),
    ("{{eq (index `x` 0) 'y'}}", "false"),
]


@pytest.mark.parametrize(("text", "expected"), EXEC)
def test_output_is_gos(text: str, expected: str) -> None:
    assert out(text, tval()) == expected


CMP = [
    ("eq true true", "true"),
    ("eq true false", "false"),
    ("eq 1+2i 1+2i", "true"),
    ("eq 1.5 1.5", "true"),
    ("eq 1 2", "false"),
    ("eq `xy` `xyz`", "false"),
    ("eq 3 4 5 6 3", "true"),
    ("eq 3 4 5 6 7", "false"),
    ("ne 1+2i 1+3i", "true"),
    ("lt 1.5 2.5", "true"),
    ("lt `xy` `xyz`", "true"),
    ("le 2 1", "false"),
    ("le `xyz` `xy`", "false"),
    ("gt 2 1", "true"),
    ("ge `xy` `xyz`", "false"),
    ("eq .Empty0 .Empty0", "true"),
    ("eq .Empty0 0", "false"),
    ("eq 0 .Empty0", "false"),
    ("eq .Empty0 nil", "true"),
]


@pytest.mark.parametrize(("expr", "expected"), CMP)
def test_comparisons(expr: str, expected: str) -> None:
    assert out("{{" + expr + "}}", tval()) == expected


def test_comparison_errors_are_gos() -> None:
    # Go >= 1.20 names the types; Go 1.19 said only "incompatible types for comparison"
    assert err("{{eq `xy` 1}}", name="t") == (
        'template: t:1:2: executing "t" at <eq `xy` 1>: error calling eq: '
        "incompatible types for comparison: string and int"
    )
    assert err("{{eq 2 2.0}}", name="t").endswith(
        "incompatible types for comparison: int and float64"
    )
    assert err("{{lt true true}}", name="t").endswith(
        "error calling lt: invalid type for comparison"
    )
    assert err("{{lt 1+0i 1+0i}}", name="t").endswith("invalid type for comparison")
    assert err("{{eq .SI .SI}}", tval(), name="t").endswith(
        # Go formats the value with %s
        "error calling eq: non-comparable type [%!s(int=3) %!s(int=4) %!s(int=5)]: []int"
    )
    assert err("{{eq}}", name="t") == (
        'template: t:1:2: executing "t" at <eq>: wrong number of args for eq: want at least 1 got 0'
    )
    assert err("{{eq 1}}", name="t").endswith("error calling eq: missing argument for comparison")


EXEC_ERRORS = [
    ("{{nil}}", 'template: t:1:2: executing "t" at <nil>: nil is not a command'),
    ("{{3 2}}", 'template: t:1:2: executing "t" at <3>: can\'t give argument to non-function 3'),
    (
        "{{$x := 1}}{{$x 2}}",
        'template: t:1:13: executing "t" at <$x>: can\'t give argument to non-function $x',
    ),
    (
        "{{index .SI 10}}",
        'template: t:1:2: executing "t" at <index .SI 10>: error calling index: index out of range: 10',
    ),
    (
        "{{index .SI `hello`}}",
        'template: t:1:2: executing "t" at <index .SI `hello`>: error calling index: cannot index slice/array with type string',
    ),
    (
        "{{index .SI nil}}",
        'template: t:1:2: executing "t" at <index .SI nil>: error calling index: cannot index slice/array with nil',
    ),
    (
        "{{index nil 1}}",
        'template: t:1:2: executing "t" at <index nil 1>: error calling index: index of untyped nil',
    ),
    (
        "{{index .MSI 1}}",
        'template: t:1:2: executing "t" at <index .MSI 1>: error calling index: value has type int; should be string',
    ),
    (
        "{{index 3 1}}",
        'template: t:1:2: executing "t" at <index 3 1>: error calling index: can\'t index item of type int',
    ),
    (
        "{{slice .SI -1}}",
        'template: t:1:2: executing "t" at <slice .SI -1>: error calling slice: index out of range: -1',
    ),
    (
        "{{slice .SI 2 1}}",
        'template: t:1:2: executing "t" at <slice .SI 2 1>: error calling slice: invalid slice index: 2 > 1',
    ),
    (
        "{{slice .SI 2 2 1}}",
        'template: t:1:2: executing "t" at <slice .SI 2 2 1>: error calling slice: invalid slice index: 2 > 1',
    ),
    (
        "{{slice `abc` 1 2 3}}",
        'template: t:1:2: executing "t" at <slice `abc` 1 2 3>: error calling slice: cannot 3-index slice a string',
    ),
    ("{{len 3}}", 'template: t:1:2: executing "t" at <len 3>: error calling len: len of type int'),
    # data is a map[string]interface {}: the field's static type is interface {}
    (
        "{{.SI.X}}",
        'template: t:1:5: executing "t" at <.SI.X>: can\'t evaluate field X in type interface {}',
    ),
    ("{{.I 1}}", 'template: t:1:2: executing "t" at <.I>: I is not a method but has arguments'),
    (
        "{{template `nope`}}",
        'template: t:1:11: executing "t" at <{{template "nope"}}>: template "nope" not defined',
    ),
    (
        "{{range .I 1}}{{end}}",
        'template: t:1:8: executing "t" at <.I>: I is not a method but has arguments',
    ),
    (
        "{{range 1.5}}{{end}}",
        'template: t:1:8: executing "t" at <1.5>: range can\'t iterate over 1.5',
    ),
    (
        "{{range `abc`}}{{end}}",
        'template: t:1:8: executing "t" at <`abc`>: range can\'t iterate over abc',
    ),
    ("{{printf 3}}", 'template: t:1:9: executing "t" at <3>: expected string; found 3'),
    # the final value is checked while calling printf: Go reports the function node
    (
        "{{3 | printf}}",
        'template: t:1:6: executing "t" at <printf>: wrong type for value; expected string; got int',
    ),
    (
        "{{not}}",
        'template: t:1:2: executing "t" at <not>: wrong number of args for not: want 1 got 0',
    ),
    (
        "{{not 1 2}}",
        'template: t:1:2: executing "t" at <not>: wrong number of args for not: want 1 got 2',
    ),
    (
        "{{call .I}}",
        'template: t:1:2: executing "t" at <call .I>: error calling call: non-function .I of type int',
    ),
    (
        "{{call .Empty0}}",
        'template: t:1:2: executing "t" at <call .Empty0>: error calling call: call of nil',
    ),
    ("{{99999999999999999999}}", 'template: t:1: integer overflow: "99999999999999999999"'),
    (
        "{{9223372036854775808}}",
        'template: t:1:2: executing "t" at <9223372036854775808>: 9223372036854775808 overflows int',
    ),
]


@pytest.mark.parametrize(("text", "message"), EXEC_ERRORS)
def test_execution_error_texts_are_gos(text: str, message: str) -> None:
    assert err(text, tval(), name="t") == message


def test_eso_missingkey_error() -> None:
    # spec §2.1/§3.2: ESO builds every template with missingkey=error
    data = secret_data({"a": b"x"})
    assert err("{{ .unknown }}", data, name="key", missingkey="error") == (
        'template: key:1:3: executing "key" at <.unknown>: map has no entry for key "unknown"'
    )
    assert out('{{ index . "unknown" }}', data, missingkey="error") == ""
    assert err("{{ .a.b }}", data, name="k", missingkey="error") == (
        'template: k:1:5: executing "k" at <.a.b>: can\'t evaluate field b in type string'
    )
    nested = {"m": {"x": None}}
    assert err("{{ .m.y }}", nested, name="k", missingkey="error") == (
        'template: k:1:5: executing "k" at <.m.y>: map has no entry for key "y"'
    )
    assert err("{{ .m.x.z }}", nested, name="k", missingkey="error") == (
        # a field chain's position is that of its second field (Go's newChain)
        'template: k:1:5: executing "k" at <.m.x.z>: nil pointer evaluating interface {}.z'
    )
    assert err("{{ .a }}", None, name="k", missingkey="error") == (
        'template: k:1:3: executing "k" at <.a>: nil data; no entry for key "a"'
    )


def test_missingkey_default_and_zero() -> None:
    # spec §4: rewrite transforms run without missingkey=error: .key prints <no value>
    assert out("{{ .key }}", {"value": "v"}) == "<no value>"
    assert out("{{ .key }}", secret_data({"value": b"v"}), missingkey="zero") == ""
    assert out("{{ .key }}", {"value": "v"}, missingkey="zero") == "<no value>"
    assert out("{{ .a.b.c }}", {}) == "<no value>"


def test_interface_values_in_field_chains() -> None:
    data = {"l": [1, "two", None], "m": {"k": "v"}}
    assert out("{{ range .l }}[{{ . }}]{{ end }}", data) == "[1][two][<no value>]"
    assert err("{{ .m.k.x }}", data, name="t") == (
        'template: t:1:5: executing "t" at <.m.k.x>: can\'t evaluate field x in type interface {}'
    )
    assert out("{{ .l }} {{ .m }}", data) == "[1 two <nil>] map[k:v]"


def test_range_over_int_go_1_24() -> None:
    assert out("{{ range 3 }}{{ . }}{{ end }}") == "012"
    assert out("{{ range $i := 3 }}{{ $i }}{{ end }}") == "012"
    assert out("{{ range 0 }}x{{ else }}none{{ end }}") == "none"
    assert out("{{ range -2 }}x{{ else }}none{{ end }}") == "none"
    assert out("{{ range .n }}{{ . }}{{ end }}", {"n": Int64(2)}) == "01"
    assert err("{{ range $i, $e := 3 }}{{ end }}", name="t") == (
        'template: t:1:19: executing "t" at <3>: can\'t use 3 to iterate over more than one variable'
    )


def test_break_continue_and_variables() -> None:
    text = "{{ range $i, $v := . }}{{ if eq $v 2 }}{{ continue }}{{ end }}{{ if eq $v 4 }}{{ break }}{{ end }}{{ $i }}:{{ $v }} {{ end }}"
    assert out(text, [1, 2, 3, 4, 5]) == "0:1 2:3 "
    assert out("{{ $x := 1 }}{{ range . }}{{ $x = . }}{{ end }}{{ $x }}", [7, 8]) == "8"
    assert out("{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}") == "21"
    # Go 1.22: range with = assigns the loop variables declared outside
    assert (
        out("{{ $i := 0 }}{{ $v := 0 }}{{ range $i, $v = . }}{{ end }}{{ $i }}{{ $v }}", ["a", "b"])
        == "1b"
    )


def test_else_with_go_1_23() -> None:
    text = "{{ with .a }}A{{ . }}{{ else with .b }}B{{ . }}{{ else }}none{{ end }}"
    assert out(text, {"a": "1"}) == "A1"
    assert out(text, {"b": "2"}) == "B2"
    assert out(text, {}) == "none"


def test_define_template_block() -> None:
    text = '{{ define "t" }}[{{ . }}]{{ end }}{{ template "t" .x }}{{ block "b" .y }}<{{ . }}>{{ end }}'
    assert out(text, {"x": 1, "y": 2}) == "[1]<2>"
    assert (
        out(
            '{{ define "r" }}{{ if . }}{{ . }}{{ template "r" (slice . 1) }}{{ end }}{{ end }}{{ template "r" . }}',
            [1, 2, 3],
        )
        == "[1 2 3][2 3][3]"
    )
    # variables do not cross template calls
    r = render('{{ define "t" }}{{ $x }}{{ end }}{{ $x := 1 }}{{ template "t" }}')
    assert r.error == 'template: template:1: undefined variable "$x"'
    # an error inside a defined template names it
    assert err('{{ define "t" }}{{ .a.b }}{{ end }}{{ template "t" . }}', {"a": 1}, name="k") == (
        'template: k:1:21: executing "t" at <.a.b>: can\'t evaluate field b in type interface {}'
    )


def test_trimming_and_comments() -> None:
    assert out("a  {{- /* c */ -}}  b {{- 1 }} {{ 2 -}}\n c") == "ab1 2c"
    assert out("{{- 3 }}") == "3"
    assert out("x {{-3}}") == "x -3"


def test_strings_are_go_bytes() -> None:
    data = secret_data({"bin": b"\xff\x00a", "u": "é".encode()})
    t = parse(
        "k", '{{ .bin }}|{{ len .bin }}|{{ len .u }}|{{ index .u 0 }}|{{ printf "%q %x" .bin .u }}'
    )
    assert t.execute_bytes(data) == b'\xff\x00a|3|2|195|"\\xff\\x00a" c3a9'


def test_functions_errors_and_panics() -> None:
    def fail(x: Any) -> Any:
        raise FuncError("bad input")

    def boom() -> Any:
        raise RuntimeError("runtime error: index out of range [3] with length 1")

    funcs = {"fail": fail, "boom": boom, "join2": lambda a, b: f"{a}{b}"}
    assert err('{{ "x" | fail }}', funcs=funcs, name="k") == (
        'template: k:1:9: executing "k" at <fail>: error calling fail: bad input'
    )
    assert err("{{ boom }}", funcs=funcs, name="k") == (
        'template: k:1:3: executing "k" at <boom>: error calling boom: '
        "runtime error: index out of range [3] with length 1"
    )
    # the piped value is the last argument
    assert out('{{ "b" | join2 "a" }}', funcs=funcs) == "ab"


def test_function_signatures_are_checked_as_go_does() -> None:
    class Sig:
        def __init__(self, params: tuple[str, ...], variadic: str | None) -> None:
            self.params = params
            self.variadic = variadic

    def upper(s: str) -> str:
        return s.upper()

    def rep(n: int, s: str) -> str:
        return s * n

    upper.go_signature = Sig(("string",), None)  # type: ignore[attr-defined]
    rep.go_signature = Sig(("int", "string"), None)  # type: ignore[attr-defined]
    funcs = {"upper": upper, "rep": rep}
    assert out('{{ "a" | upper }}', funcs=funcs) == "A"
    assert err("{{ upper 1 }}", funcs=funcs, name="k") == (
        'template: k:1:9: executing "k" at <1>: expected string; found 1'
    )
    assert err("{{ .n | upper }}", {"n": 1}, funcs=funcs, name="k") == (
        'template: k:1:8: executing "k" at <upper>: wrong type for value; expected string; got int'
    )
    assert err('{{ upper "a" "b" }}', funcs=funcs, name="k") == (
        'template: k:1:3: executing "k" at <upper>: wrong number of args for upper: want 1 got 2'
    )
    assert out('{{ rep 2 "ab" }}', funcs=funcs) == "abab"
    assert err('{{ rep 1.5 "ab" }}', funcs=funcs, name="k") == (
        'template: k:1:7: executing "k" at <1.5>: expected integer; found 1.5'
    )


def test_a_constant_converts_to_a_named_type_a_value_does_not() -> None:
    """Go's evalArg: a string constant becomes a sprig.HashAlgorithm (its kind is string); a
    string value is not assignable to it (ESO case 12, ``htpasswd .u .p "sha"``)."""

    class Sig:
        params = ("string", "sprig.HashAlgorithm")
        variadic = None

    def hp(user: str, algorithm: str) -> str:
        return f"{user}:{algorithm}"

    hp.go_signature = Sig()  # type: ignore[attr-defined]
    funcs = {"hp": hp}
    assert out('{{ hp .u "sha" }}', {"u": "me"}, funcs=funcs) == "me:sha"
    assert err("{{ hp .u .a }}", secret_data({"u": "me", "a": "sha"}), funcs=funcs, name="k") == (
        'template: k:1:9: executing "k" at <.a>: '
        "wrong type for value; expected sprig.HashAlgorithm; got string"
    )
    assert err('{{ "sha" | hp "me" }}', funcs=funcs, name="k") == (
        # Go reports it at the last argument it evaluated
        'template: k:1:14: executing "k" at <"me">: '
        "wrong type for value; expected sprig.HashAlgorithm; got string"
    )
    # the constant must still fit the kind
    assert err('{{ hp "me" 1 }}', funcs=funcs, name="k") == (
        'template: k:1:11: executing "k" at <1>: expected string; found 1'
    )


def test_wrong_type_names_the_type_inside_an_interface() -> None:
    """A value read from a map[string]interface{} is an interface: Go names its dynamic type."""

    class Sig:
        params = ("string",)
        variadic = None

    def upper(s: str) -> str:
        return s.upper()

    upper.go_signature = Sig()  # type: ignore[attr-defined]
    data = {"n": 1.5, "l": [1], "m": {"a": 1}, "z": None}
    for key, typ in (("n", "float64"), ("l", "[]interface {}"), ("m", "map[string]interface {}")):
        assert err(f"{{{{ upper .{key} }}}}", data, funcs={"upper": upper}, name="k") == (
            f'template: k:1:9: executing "k" at <.{key}>: '
            f"wrong type for value; expected string; got {typ}"
        )
    # a nil interface has no dynamic type: Go names the interface
    assert err("{{ upper .z }}", data, funcs={"upper": upper}, name="k") == (
        'template: k:1:9: executing "k" at <.z>: wrong type for value; expected string; got interface {}'
    )


def test_a_limit_reached_in_a_function_is_not_a_function_error() -> None:
    def big(n: int) -> str:
        raise LimitError("template output exceeds the size limit of 5 bytes")

    assert err("{{ big 6 }}", funcs={"big": big}, name="k") == (
        'template: k:1:3: executing "k" at <big 6>: template output exceeds the size limit of 5 bytes'
    )


def test_short_circuit_and_or() -> None:
    calls: list[int] = []

    def die() -> bool:
        calls.append(1)
        raise FuncError("die")

    funcs = {"die": die}
    assert out("{{or 0 1 (die)}}", funcs=funcs) == "1"
    assert out("{{and 1 0 (die)}}", funcs=funcs) == "0"
    assert calls == []
    assert err("{{or 0 0 (die)}}", funcs=funcs, name="k").endswith("error calling die: die")
    assert calls == [1]


def test_empty_template_renders_nothing() -> None:
    assert out("") == ""
    assert out('{{ define "x" }}y{{ end }}') == ""


def test_execute_named_template() -> None:
    t = parse("k", '{{ define "x" }}X{{ . }}{{ end }}top')
    assert t.execute(1, name="x") == "X1"
    with pytest.raises(ExecError, match='template: no template "y" associated with template "k"'):
        t.execute(1, name="y")


def test_limit_error_is_an_exec_error() -> None:
    assert issubclass(LimitError, ExecError)
