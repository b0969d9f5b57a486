"""Escapers (Go's html/js/urlquery) and the sandbox limits of a render."""

from __future__ import annotations

from typing import Any

import pytest

from extsecrets.templates import DEFAULT_LIMITS, FuncError, LimitError, Limits, parse, render
from extsecrets.templates.funcs import FUNCS
from extsecrets.templates.limits import check_deadline, check_size, current_budget


def test_html_js_urlquery_escape_as_go() -> None:
    assert render("{{ html . }}", "<a href=\"x\">'&'\x00</a>").output == (
        "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;\ufffd&lt;/a&gt;"
    )
    # exec_test.go: {{js .}} of "It'd be nice."
    assert render("{{ js . }}", "It'd be nice.").output == "It\\'d be nice."
    assert render("{{ js . }}", '<a=b&"c">\\\n\u2028é').output == (
        '\\u003Ca\\u003Db\\u0026\\"c\\"\\u003E\\\\\\u000A\\u2028é'
    )
    assert render("{{ urlquery . }}", "a b&c/d=é~").output == "a+b%26c%2Fd%3D%C3%A9~"
    # several arguments are joined as fmt.Sprint joins them; nil prints as <no value>
    assert render("{{ html 1 2 }}|{{ urlquery nil }}").output == "1 2|%3Cno+value%3E"


def test_time_limit_stops_a_long_render() -> None:
    tmpl = parse("k", "{{ range 100000000 }}{{ . }}{{ end }}")
    with pytest.raises(LimitError) as err:
        tmpl.execute(None, limits=Limits(timeout=0.05, max_output=1 << 30))
    assert "exceeded the time limit of 0.05s" in str(err.value)
    assert str(err.value).startswith("template: k:1:")


def test_default_limits() -> None:
    # 10 s: room for an RSA-4096 key (genPrivateKey "rsa") on a slow machine
    assert Limits(timeout=10.0, max_output=1 << 20, max_depth=100) == DEFAULT_LIMITS


def test_a_runaway_template_is_stopped_under_the_default_limits() -> None:
    # a huge range that writes: stopped by the output limit long before the time limit
    r = render('{{ range 1000000000 }}{{ "0123456789" | repeat 1000 }}{{ end }}', funcs=FUNCS)
    assert r.error is not None
    assert r.error.endswith("template output exceeds the size limit of 1048576 bytes")
    # unbounded recursion: stopped by the depth limit
    r = render('{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}', name="k")
    assert r.error is not None
    assert r.error.endswith("exceeded maximum template depth (100)")


def test_output_limit_stops_a_large_render() -> None:
    tmpl = parse("k", "{{ range 1000 }}0123456789{{ end }}")
    assert len(tmpl.execute(None, limits=Limits(max_output=10_000))) == 10_000
    with pytest.raises(LimitError, match="template output exceeds the size limit of 9999 bytes"):
        tmpl.execute(None, limits=Limits(max_output=9_999))


def test_template_recursion_is_bounded() -> None:
    r = render('{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}', name="k")
    assert r.error == (
        'template: k:1:28: executing "r" at <{{template "r" .}}>: '
        "exceeded maximum template depth (100)"
    )
    r = render(
        '{{ define "r" }}x{{ template "r" . }}{{ end }}{{ template "r" . }}',
        limits=Limits(max_depth=3),
    )
    assert r.error is not None
    assert r.error.endswith("exceeded maximum template depth (3)")


def test_functions_see_the_render_budget() -> None:
    seen: list[Any] = []

    def big(n: int) -> str:
        check_size(n)
        check_deadline()
        seen.append(current_budget())
        return "x" * n

    funcs = {"big": big}
    assert render("{{ big 5 }}", funcs=funcs, limits=Limits(max_output=5)).output == "xxxxx"
    assert seen[0] is not None
    assert seen[0].limits.max_output == 5
    r = render("{{ big 6 }}", funcs=funcs, limits=Limits(max_output=5), name="k")
    assert r.error == (
        'template: k:1:3: executing "k" at <big 6>: '
        "template output exceeds the size limit of 5 bytes"
    )
    assert current_budget() is None  # outside a render
    with pytest.raises(LimitError):
        check_size(2 << 20)  # the default limit (1 MiB) applies outside a render


def test_a_function_error_never_escapes_as_a_python_exception() -> None:
    def bad() -> str:
        raise FuncError("no")

    r = render("{{ bad }}", funcs={"bad": bad})
    assert r.error is not None
    assert r.error.endswith("error calling bad: no")


def test_engine_has_no_file_network_env_or_process_access() -> None:
    # the engine's modules import nothing that reaches outside the process
    import ast
    import pathlib

    import extsecrets.templates as pkg

    forbidden = {"os", "subprocess", "socket", "pathlib", "shutil", "urllib", "http", "io"}
    root = pathlib.Path(pkg.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module.split(".")[0]]
            assert not forbidden & set(names), (path.name, names)
