"""The Go template oracle itself (tests/go_oracle): it builds, answers what Go's documentation and
ESO's worked examples say, keeps bytes exact, and the corpus it judges is consistent.

The expected texts here come from Go's text/template documentation and from ESO's tests as
recorded in the behaviour contract (shared spec, templates.md §3.2 and §6), not from the oracle.
"""

from __future__ import annotations

import collections
import re

import pytest
from hypothesis import HealthCheck, given, settings
from oracle_kit import GoOracle, Request, Result, load_corpus, property_failure, to_bytes
from template_corpus.strategies import templates

CORPUS = load_corpus()

# text/template's package documentation: every one of these prints "output" in quotes.
GO_DOC_QUOTED_OUTPUT = [
    '{{"\\"output\\""}}',
    '{{`"output"`}}',
    '{{printf "%q" "output"}}',
    '{{"output" | printf "%q"}}',
    '{{printf "%q" (print "out" "put")}}',
    '{{"put" | printf "%s%s" "out" | printf "%q"}}',
    '{{"output" | printf "%s" | printf "%q"}}',
    '{{with "output"}}{{printf "%q" .}}{{end}}',
    '{{with $x := "output" | printf "%q"}}{{$x}}{{end}}',
    '{{with $x := "output"}}{{printf "%q" $x}}{{end}}',
    '{{with $x := "output"}}{{$x | printf "%q"}}{{end}}',
]


def test_builds_and_reports_its_function_map(go_oracle: GoOracle) -> None:
    info = go_oracle.info()
    assert re.fullmatch(r"go1\.\d+(\.\d+)?", info["go"]), info["go"]
    funcs = set(info["funcs"])
    # ESO removes these three from sprig's map
    assert funcs.isdisjoint({"env", "expandenv", "getHostByName"})
    # sprig's, ESO's additions to sprig, and ESO's own (the last as stubs)
    assert {"upper", "b64dec", "toJson", "fromJson", "htpasswd", "genPrivateKey"} <= funcs
    assert {"hexdec", "sha512sum", "toYaml", "fromYaml", "pkcs12key", "rsaDecrypt"} <= funcs


@pytest.mark.parametrize("template", GO_DOC_QUOTED_OUTPUT)
def test_go_documentation_examples(go_oracle: GoOracle, template: str) -> None:
    result = go_oracle.render(template)
    assert result.ok, result.error
    assert result.output == b'"output"'


def test_go_documentation_trim_markers(go_oracle: GoOracle) -> None:
    assert go_oracle.render('"{{23 -}} < {{- 45}}"').output == b'"23<45"'


@pytest.mark.parametrize(
    ("template", "data", "output"),
    [
        ("{{ .secret | b64dec }}", {"secret": "MTIzNA=="}, b"1234"),
        (
            "{{ .example | sha256sum | hexdec | b64enc }}",
            {"example": "example"},
            b"UNhY4JhezH9gQYqvDMWrWH9CwlcKiECVqejMrND2VFw=",
        ),
        (
            '{{ htpasswd .username .password "sha" }}',
            {"username": "foo1", "password": "FZ4jR;l]ON;pHKi=_'zh79P"},
            b"foo1:{SHA}wtdJD6OIjUniEJkTlewnKzfFxA4=",
        ),
        (
            "{{ .example | b64dec }}",
            {"example": "iam_no_base64"},
            b"illegal base64 data at input byte 3",
        ),
        ('{{ "{ # no json # }" | fromJson }}', {}, b"<no value>"),
        (
            "{{ $var := .secret | fromJson | toYaml }}{{ $var }}",
            {"secret": '{"foo": "bar"}'},
            b"foo: bar",
        ),
        (
            "{{ $var := .secret | fromYaml | toJson }}{{ $var }}",
            {"secret": "foo: bar"},
            b'{"foo":"bar"}',
        ),
    ],
)
def test_eso_worked_examples(
    go_oracle: GoOracle, template: str, data: dict[str, str], output: bytes
) -> None:
    result = go_oracle.render(template, data)
    assert (result.output, result.error) == (output, None)


def test_eso_error_texts(go_oracle: GoOracle) -> None:
    parse = go_oracle.render("{{ #xx }}", name="key")
    assert parse.stage == "parse"
    assert parse.error == 'template: key:1: unexpected "#" in command'
    assert parse.eso_error == (
        "unable to execute template at key key: unable to parse template at key key: "
        'template: key:1: unexpected "#" in command'
    )
    missing = go_oracle.render("{{ .unknown }}", name="key")
    assert missing.stage == "exec"
    assert missing.eso_error == (
        "unable to execute template at key key: unable to execute template at key key: "
        'template: key:1:3: executing "key" at <.unknown>: map has no entry for key "unknown"'
    )
    removed = go_oracle.render('{{ env "HOME" }}')
    assert removed.error == 'template: tpl:1: function "env" not defined'


def test_binary_values_and_texts_round_trip(go_oracle: GoOracle) -> None:
    every_byte = bytes(range(256))
    result = go_oracle.render(
        b"<" + every_byte.replace(b"{", b"") + b">{{ .bin }}", {"bin": every_byte}
    )
    assert result.output == b"<" + every_byte.replace(b"{", b"") + b">" + every_byte
    assert go_oracle.render("{{ len .bin }}", {"bin": every_byte}).output == b"256"
    # an error text that quotes binary data comes back byte for byte
    failed = go_oracle.render("{{ fail .bin }}", {"bin": b"\xff\x00\xfe"})
    assert failed.stage == "exec"
    assert failed.error is not None
    assert to_bytes(failed.error).endswith(b"error calling fail: \xff\x00\xfe")


def test_batch_answers_in_order(go_oracle: GoOracle) -> None:
    requests = [Request("{{ .n }}-" + str(i), {"n": str(i * 7)}) for i in range(500)]
    results = go_oracle.render_many(requests)
    assert [r.output for r in results] == [f"{i * 7}-{i}".encode() for i in range(500)]


def test_json_root_options_and_limits(go_oracle: GoOracle) -> None:
    nested = go_oracle.render(
        "{{ .a.b }} {{ index .l 1 }}", json_data={"a": {"b": 1e6}, "l": [1, "x"]}
    )
    assert nested.output == b"1e+06 x"
    assert go_oracle.render("{{ .x }}|", missingkey="default").output == b"<no value>|"
    assert go_oracle.render("<< .x >>", {"x": "d"}, left="<<", right=">>").output == b"d"
    capped = go_oracle.render('{{ repeat 100 "x" }}', max_output=10)
    assert (capped.stage, capped.comparable) == ("limit", False)


def test_eso_only_functions_parse_but_do_not_answer(go_oracle: GoOracle) -> None:
    result = go_oracle.render("{{ .p12 | pkcs12key }}", {"p12": b"\x30\x82"})
    assert (result.stage, result.comparable) == ("unavailable", False)


# --- the corpus ------------------------------------------------------------------------------


def test_corpus_size_and_sources() -> None:
    by_file = collections.Counter(case.file for case in CORPUS)
    assert len(CORPUS) >= 300
    assert by_file["eso_docs.yaml"] >= 60
    assert by_file["go_exec.yaml"] >= 300
    assert by_file["sprig.yaml"] >= 300
    assert len({case.id for case in CORPUS}) == len(CORPUS)


@pytest.fixture(scope="module")
def answers(go_oracle: GoOracle) -> dict[str, Result]:
    """Go's answer to every corpus case, in one batch (shared with test_templates_oracle.py)."""
    return go_oracle.corpus_answers()


def test_corpus_oracle_cases_get_go_answers(answers: dict[str, Result]) -> None:
    not_go = {
        c.id: answers[c.id] for c in CORPUS if c.oracle_compared and not answers[c.id].comparable
    }  # type: ignore[attr-defined]
    assert not_go == {}


def test_corpus_properties_hold_for_go(answers: dict[str, Result]) -> None:
    """A property that Go's own output fails is a wrong property."""
    failures = {}
    for case in CORPUS:
        if case.check != "property":
            continue
        result = answers[case.id]
        output = result.output
        failures[case.id] = "no output" if output is None else property_failure(case, output)
    assert {k: v for k, v in failures.items() if v} == {}
    assert len(failures) >= 15


def test_corpus_version_differences_are_real(answers: dict[str, Result]) -> None:
    """Every case marked go126/deps answers differently on Debian's Go and libraries than the
    expected (ESO's) answer: a case that stops differing should go back to byte comparison."""
    same = []
    for case in CORPUS:
        if case.go126 is None and case.deps is None:
            continue
        result = answers[case.id]
        expected = case.expected_output()
        if expected is not None and result.output == expected:
            same.append(case.id)
        if "error" in case.expect and result.error == case.expect["error"]:
            same.append(case.id)
    assert same == []


def test_corpus_expect_cases_are_not_answered_by_go(answers: dict[str, Result]) -> None:
    """Cases judged against ESO's tests call ESO-only functions (or differ by version)."""
    answered = [
        c.id
        for c in CORPUS
        if c.check in ("expect", "parse") and not (c.go126 or c.deps or c.differs)
        and answers[c.id].stage != "unavailable"
    ]  # fmt: skip
    assert answered == []


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same templates on every run (CI)
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(templates())
def test_generated_templates_get_go_answers(
    go_oracle: GoOracle, case: tuple[str, dict[str, str | bytes]]
) -> None:
    text, data = case
    result = go_oracle.render(text, data)
    assert result.stage in (None, "parse", "exec"), (text, result)
