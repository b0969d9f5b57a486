"""Parsing: tree shapes and Go's parse errors (facts from Go's text/template/parse tests)."""

from __future__ import annotations

import pytest

from extsecrets.templates import ParseError, parse
from extsecrets.templates.parse import parse_trees

BUILTINS = {"printf", "print", "eq", "index", "len", "html"}


def tree(text: str) -> str:
    trees = parse_trees("t", text, BUILTINS)
    return str(trees["t"].root)


# (template, Go's String() of the tree); Go's test prints text with %q, shown here unquoted
SHAPES = [
    ("", ""),
    ("{{/*\n\n\n*/}}", ""),
    (" \t\n", " \t\n"),
    ("{{.X}}", "{{.X}}"),
    ("{{printf}}", "{{printf}}"),
    ("{{$}}", "{{$}}"),
    ("{{with $x := 3}}{{$x 23}}{{end}}", "{{with $x := 3}}{{$x 23}}{{end}}"),
    ("{{$.I}}", "{{$.I}}"),
    ("{{printf `%d` 23}}", "{{printf `%d` 23}}"),
    ("{{.X|.Y}}", "{{.X | .Y}}"),
    ("{{$x := .X|.Y}}", "{{$x := .X | .Y}}"),
    ("{{.X (.Y .Z) (.A | .B .C) (.E)}}", "{{.X (.Y .Z) (.A | .B .C) (.E)}}"),
    ("{{(.Y .Z).Field}}", "{{(.Y .Z).Field}}"),
    ("{{if .X}}hello{{end}}", "{{if .X}}hello{{end}}"),
    (
        "{{if .X}}true{{else if .Y}}false{{end}}",
        "{{if .X}}true{{else}}{{if .Y}}false{{end}}{{end}}",
    ),
    ("{{range .X|.M}}true{{else}}false{{end}}", "{{range .X | .M}}true{{else}}false{{end}}"),
    ("{{range $x, $y := .SI}}{{.}}{{end}}", "{{range $x, $y := .SI}}{{.}}{{end}}"),
    ("{{range .SI}}{{.}}{{break}}{{end}}", "{{range .SI}}{{.}}{{break}}{{end}}"),
    ("{{range .SI}}{{.}}{{ continue }}{{end}}", "{{range .SI}}{{.}}{{continue}}{{end}}"),
    (
        "{{range .SI 1 -3.2i true false 'a' nil}}{{end}}",
        "{{range .SI 1 -3.2i true false 'a' nil}}{{end}}",
    ),
    ("{{template `x`}}", '{{template "x"}}'),
    ("{{template `x` .Y}}", '{{template "x" .Y}}'),
    ("{{with .X}}hello{{else}}goodbye{{end}}", "{{with .X}}hello{{else}}goodbye{{end}}"),
    # Go 1.23: else with
    ("{{with .X}}a{{else with .Y}}b{{end}}", "{{with .X}}a{{else}}{{with .Y}}b{{end}}{{end}}"),
    ("x \r\n\t{{- 3}}", "x{{3}}"),
    ("{{3 -}}\n\n\ty", "{{3}}y"),
    ("x \r\n\t{{- 3 -}}\n\n\ty", "x{{3}}y"),
    ("x\n{{-  3   -}}\ny", "x{{3}}y"),
    ("x \r\n\t{{- /* hi */}}", "x"),
    ("{{/* hi */ -}}\n\n\ty", "y"),
    ("x \r\n\t{{- /* */ -}}\n\n\ty", "xy"),
    ('{{block "foo" .}}hello{{end}}', '{{template "foo" .}}'),
    ("{{ $x \n := \n 1 \n }}", "{{$x := 1}}"),
    ('{{\n"x"\n|\nprintf\n}}', '{{"x" | printf}}'),
    ("{{-\n/*\nhello\n*/\n-}}", ""),
    ("{{$x := 0}}{{$x}}", "{{$x := 0}}{{$x}}"),
    ("{{$x:=.}}{{$x +2}}", "{{$x := .}}{{$x +2}}"),
]


@pytest.mark.parametrize(("text", "shape"), SHAPES)
def test_tree_shape_is_gos(text: str, shape: str) -> None:
    assert tree(text) == shape


# Go's parseTests marked hasError
BAD = [
    "{{}}",
    "{{\n}}",
    "hello{{range",
    "{{end}}",
    "{{else}}",
    "{{if .X}}hello{{end}}{{else}}",
    "{{if .X}}1{{else}}2{{else}}3{{end}}",
    "hello{{range .x}}",
    "hello{{range .x}}{{else}}",
    "hello{{undefined}}",
    "{{$x}}",
    "{{with $x := 4}}{{end}}{{$x}}",
    "{{template $v}}",
    "{{with $x.Y := 4}}{{end}}",
    "{{template .X}}",
    "{{printf 3, 4}}",
    "{{with $v, $u := 3}}{{end}}",
    "{{range $u, $v, $w := 3}}{{end}}",
    "{{printf (printf .).}}",
    "{{printf 3`x`}}",
    "{{printf `x`.}}",
    "{{if .X}}a{{else if .Y}}b{{end}}{{end}}",
    "{{range .}}{{end}} {{break}}",
    "{{range .}}{{end}} {{continue}}",
    "{{range .}}{{else}}{{break}}{{end}}",
    "{{range .}}{{else}}{{continue}}{{end}}",
    "{{$x += 1}}{{$x}}",
    "{{$x ! 2}}{{$x}}",
    "{{$x % 3}}{{$x}}",
    "{{range $x := $y := 3}}{{end}}",
    "{{$x:=.}}{{$x!2}}",
    "{{$x:=.}}{{$x+2}}",
    "{{1.E}}",
    "{{0.1.E}}",
    "{{true.E}}",
    "{{'a'.any}}",
    '{{"hello".guys}}',
    "{{..E}}",
    "{{nil.E}}",
    "{{12|.}}",
    "{{.|12|printf}}",
    '{{.|printf|"error"}}',
    "{{12|printf|'e'}}",
    "{{.|true}}",
    "{{'c'|nil}}",
    '{{printf "%d" ( ) }}',
    '{{block "foo"}}hello{{end}}',
]


@pytest.mark.parametrize("text", BAD)
def test_invalid_templates_do_not_parse(text: str) -> None:
    with pytest.raises(ParseError):
        parse_trees("t", text, BUILTINS)


# Go's errorTests: (name, text, a part of the message); Go's test checks containment
ERRORS = [
    ("unclosed1", "line1\n{{", "unclosed1:2: unclosed action"),
    ("unclosed2", "line1\n{{define `x`}}line2\n{{", "unclosed2:3: unclosed action"),
    ("unclosed3", 'line1\n{{"x"\n"y"\n', "unclosed3:4: unclosed action started at unclosed3:2"),
    ("unclosed4", "{{\n\n\n\n\n", "unclosed4:6: unclosed action started at unclosed4:1"),
    ("var1", "line1\n{{\nx\n}}", 'var1:3: function "x" not defined'),
    ("function", "{{foo}}", 'function "foo" not defined'),
    ("comment1", "{{/*}}", "comment1:1: unclosed comment"),
    ("comment2", "{{/*\nhello\n}}", "comment2:1: unclosed comment"),
    ("lparen", "{{.X (1 2 3}}", "unclosed left paren"),
    # Go 1.20+ (ESO's Go) reports the lexer's error; Go 1.19 said 'unexpected ")" in command'
    ("rparen", "{{.X 1 2 3 ) }}", "unexpected right paren"),
    ("rparen2", "{{(.X 1 2 3", "unclosed action"),
    ("space", "{{`x`3}}", "in operand"),
    ("idchar", "{{a#}}", "'#'"),
    ("charconst", "{{'a}}", "unterminated character constant"),
    ("stringconst", '{{"a}}', "unterminated quoted string"),
    ("rawstringconst", "{{`a}}", "unterminated raw quoted string"),
    ("number", "{{0xi}}", "number syntax"),
    (
        "multidefine",
        "{{define `a`}}a{{end}}{{define `a`}}b{{end}}",
        "multiple definition of template",
    ),
    ("eof", "{{range .X}}", "unexpected EOF"),
    ("variable", "{{$x := 23}}{{with $x.y := 3}}{{$x 23}}{{end}}", 'unexpected ":="'),
    ("multidecl", "{{$a,$b,$c := 23}}", "too many declarations"),
    ("undefvar", "{{$a}}", "undefined variable"),
    ("wrongdot", "{{true.any}}", "unexpected . after term"),
    ("wrongpipeline", "{{12|false}}", "non executable command in pipeline"),
    ("emptypipeline", "{{ ( ) }}", "missing value for parenthesized pipeline"),
    ("multilinerawstring", "{{ $v := `\n` }} {{", "multilinerawstring:2: unclosed action"),
    ("rangeundefvar", "{{range $k}}{{end}}", "undefined variable"),
    ("rangeundefvars", "{{range $k, $v}}{{end}}", "undefined variable"),
    ("rangemissingvalue1", "{{range $k,}}{{end}}", "missing value for range"),
    ("rangemissingvalue2", "{{range $k, $v := }}{{end}}", "missing value for range"),
    ("rangenotvariable1", "{{range $k, .}}{{end}}", "range can only initialize variables"),
    ("rangenotvariable2", "{{range $k, 123 := .}}{{end}}", "range can only initialize variables"),
]


@pytest.mark.parametrize(("name", "text", "part"), ERRORS)
def test_parse_error_texts_contain_gos(name: str, text: str, part: str) -> None:
    with pytest.raises(ParseError) as err:
        parse_trees(name, text, BUILTINS)
    assert part in str(err.value)


# Full texts, as Go prints them (the spec and Go's sources)
FULL = [
    ("k", "{{ #xx }}", 'template: k:1: unexpected "#" in command'),
    ("k", "{{ .a }", 'template: k:1: unexpected "}" in operand'),
    ("k", "{{ nope }}", 'template: k:1: function "nope" not defined'),
    ("k", "{{ $x }}", 'template: k:1: undefined variable "$x"'),
    ("k", "a\n{{ if .x }}", "template: k:2: unexpected EOF"),
    ("k", "{{ break }}", "template: k:1: {{break}} outside {{range}}"),
    ("k", "{{ 08 }}", 'template: k:1: integer overflow: "08"'),
    ("k", "{{ a# }}", "template: k:1: bad character U+0023 '#'"),
    # since Go 1.20 the lexer reports the paren-depth error before emitting ")"
    ("k", "{{ ) }}", "template: k:1: unexpected right paren"),
    ("k", "{{ if }}{{ end }}", "template: k:1: missing value for if"),
    ("k", '{{ "\\q" }}', "template: k:1: invalid syntax"),
    ("k", "{{ 3 | 4 }}", "template: k:1: non executable command in pipeline stage 2"),
    ("k", "{{ env }}", 'template: k:1: function "env" not defined'),
    (
        "k",
        '{{ define "a" }}a{{ end }}{{ define "a" }}b{{ end }}',
        'template: k:1: template: multiple definition of template "a"',
    ),
    ("k", '{{ printf "%d" 1 }', 'template: k:1: unexpected "}" in operand'),
    ("k", "{{ 'ab' }}", "template: k:1: malformed character constant: 'ab'"),
    ("k", '{{ "abcdefghijklmn" "x" ) }}', "template: k:1: unexpected right paren"),
    # "else if" is only special after if: after range the pending "if" is read as input
    ("k", "{{ range . }}{{ else if . }}{{ end }}", "template: k:1: unexpected <if> in input"),
]


@pytest.mark.parametrize(("name", "text", "message"), FULL)
def test_parse_error_full_texts(name: str, text: str, message: str) -> None:
    with pytest.raises(ParseError) as err:
        parse(name, text)
    assert str(err.value) == message


def test_long_tokens_are_quoted_to_ten_runes() -> None:
    # item.String(): %.10q... for values longer than 10 bytes
    with pytest.raises(ParseError) as err:
        parse("k", '{{ define "a" "abcdefghijklmnop" }}{{ end }}')
    assert str(err.value) == 'template: k:1: unexpected "\\"abcdefghi"... in define clause'
    with pytest.raises(ParseError) as err:
        parse("k", "{{ if .x }}{{ else }}{{ else }}{{ end }}")
    assert str(err.value) == "template: k:1: expected end; found {{else}}"
    with pytest.raises(ParseError) as err:
        parse("k", "{{ template .x }}")
    assert str(err.value) == 'template: k:1: unexpected ".x" in template clause'


def test_a_trailing_pipe_is_accepted() -> None:
    # Go's pipeline(): the command before "|" ends the pipeline when "}}" follows
    assert tree("{{ .a | }}") == "{{.a}}"


def test_break_and_continue_are_functions_when_the_map_has_them() -> None:
    # lexer: break/continue are identifiers when a function of that name exists
    trees = parse_trees("t", "{{ break }}", {"break"})
    assert str(trees["t"].root) == "{{break}}"


def test_define_block_and_template_trees() -> None:
    trees = parse_trees("t", '{{define "a"}}A{{end}}{{block "b" .}}B{{end}}x', BUILTINS)
    assert sorted(trees) == ["a", "b", "t"]
    assert str(trees["a"].root) == "A"
    assert str(trees["t"].root) == '{{template "b" .}}x'


def test_custom_delimiters() -> None:
    trees = parse_trees("t", "<< .a >> {{ .b }}", BUILTINS, "<<", ">>")
    assert str(trees["t"].root) == "{{.a}} {{ .b }}"


def test_parse_is_cached_by_text_and_function_map() -> None:
    funcs = {"f": lambda: 1}
    a = parse("k", "{{ f }}", funcs)
    assert parse("k", "{{ f }}", funcs) is a
    assert parse("k", "{{ f }}", dict(funcs)) is not a
    assert parse("k", "{{ f }} ", funcs) is not a


def test_bad_function_names_are_refused() -> None:
    with pytest.raises(ValueError, match='function name "a-b" is not a valid identifier'):
        parse("k", "x", {"a-b": lambda: 1})
