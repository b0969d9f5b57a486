"""Differential tests: extsecrets' template engine against Go's text/template + sprig (the oracle
of tests/go_oracle), on every case of tests/template_corpus and on generated templates.

One pytest case per corpus case (id = the case's id). How a case is judged is the corpus's
``check`` (see oracle_kit.CorpusCase): byte comparison with Go's answer (the output, or Go's
error text), a property for random or time-dependent output, the expected answer of ESO's tests
for ESO-only functions and for the cases where the Go ESO ships (1.26) or ESO's sprig libraries
answer differently from Debian's (go126 / deps: there the engine follows ESO, not the oracle),
and our own answer where extsecrets differs from Go on purpose (differs: the sandbox's limits).

The oracle is built on first use (tests/go_oracle/build.sh: Debian packages, a Go build, cached
outside the clone). Generated templates run derandomized (the same ones every run); set
EXTSECRETS_ORACLE_EXAMPLES=<n> for more, EXTSECRETS_ORACLE_RANDOM=1 for new ones.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from oracle_kit import CorpusCase, GoOracle, Result, load_corpus, property_failure, to_bytes
from template_corpus.strategies import templates

CORPUS = load_corpus()
# What check_case sees where this module does not ask Go (property and expect cases).
NOT_ASKED = Result(ok=False, error="not asked", stage="not asked")


@dataclass(frozen=True)
class Outcome:
    """What our engine said: the output bytes, or the error text."""

    output: bytes | None
    error: str | None


def engine_render(
    template: str,
    data: Any,
    *,
    name: str = "tpl",
    missingkey: str = "error",
    delims: tuple[str, str] = ("{{", "}}"),
    json_root: bool = False,
) -> Outcome:
    """Render with extsecrets.templates as ESO does (its function map, its options)."""
    from extsecrets.templates import render, secret_data
    from extsecrets.templates.funcs import FUNCS
    from extsecrets.templates.values import to_go_bytes

    # JSON roots are decoded as sprig's fromJson decodes (numbers are float64).
    root = json.loads(json.dumps(data), parse_int=float) if json_root else secret_data(data)
    rendered = render(
        template,
        root,
        FUNCS,
        name=name,
        delims=delims,
        missingkey=missingkey,  # type: ignore[arg-type]
    )
    if rendered.error is not None:
        return Outcome(None, rendered.error)
    assert rendered.output is not None
    return Outcome(to_go_bytes(rendered.output), None)


def engine_render_case(case: CorpusCase) -> Outcome:
    return engine_render(
        case.template,
        case.json_data if case.json_root else case.data,
        name=case.name,
        missingkey=case.missingkey,
        delims=(case.left, case.right),
        json_root=case.json_root,
    )


def _show(output: bytes | None, error: str | None) -> str:
    if error is not None:
        return f"error {error!r}"
    return f"output {output!r}"


def describe(case: CorpusCase, go: Result | None, ours: Outcome, why: str) -> str:
    """A report that names the case, its source, the template and both answers."""
    lines = [
        f"{case.id} ({case.file}): {why}",
        f"  source:   {case.source}",
        f"  template: {case.template!r}",
        f"  data:     {case.json_data if case.json_root else dict(case.data)!r}",
    ]
    if go is not None:
        lines.append(f"  Go:       {_show(go.output, go.error)}")
    lines.append(f"  ours:     {_show(ours.output, ours.error)}")
    if go is not None and go.output is not None and ours.output is not None:
        a, b = go.output, ours.output
        at = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        lines.append(
            f"  first difference at byte {at}: Go {a[at : at + 20]!r} ours {b[at : at + 20]!r}"
        )
    return "\n".join(lines)


@pytest.fixture(scope="module")
def go_answers(go_oracle: GoOracle) -> dict[str, Result]:
    # Only the answers this module judges (Go's output of a property case is checked by
    # test_go_oracle.py; when it ran first, its answers are reused).
    return go_oracle.corpus_answers(only=lambda c: c.oracle_compared or c.check == "parse")


def check_case(case: CorpusCase, go: Result, ours: Outcome) -> str | None:
    """Why our answer is wrong, or None."""
    if case.check == "oracle" and case.oracle_compared:
        if go.ok:
            if ours.output != go.output:
                return "output differs from Go's"
        elif ours.error != go.error:
            return "error differs from Go's" if ours.error else "Go fails, we render"
        return None
    if case.check == "property":
        if ours.output is None:
            return "no output"
        return property_failure(case, ours.output)
    if case.check == "parse":
        go_parses = go.stage != "parse"
        ours_parses = ours.error is None or not ours.error.startswith(f"template: {case.name}:1: ")
        return None if go_parses == ours_parses else "parses differently"
    # expect: ESO's answer (ESO-only functions, Go 1.26, ESO's library versions) or ours where we
    # differ on purpose; a case that Go does not judge must state it
    expected = case.expected_output()
    if expected is None and not {"error", "error_contains"} & set(case.expect):
        return "the case states no expected answer"
    if expected is not None and ours.output != expected:
        return f"expected output {expected!r}"
    if "error" in case.expect and ours.error != case.expect["error"]:
        return f"expected error {case.expect['error']!r}"
    if "error_contains" in case.expect and (
        ours.error is None or case.expect["error_contains"] not in ours.error
    ):
        return f"expected an error containing {case.expect['error_contains']!r}"
    return None


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_corpus_case(case: CorpusCase, go_answers: dict[str, Result]) -> None:
    go = go_answers.get(case.id)  # None: not asked (property and expect cases)
    ours = engine_render_case(case)
    why = check_case(case, go or NOT_ASKED, ours)
    assert why is None, describe(case, go, ours, why or "")


# Generated templates: a fixed, derandomized run by default, so CI sees the same templates every
# time; EXTSECRETS_ORACLE_EXAMPLES=<n> runs more, EXTSECRETS_ORACLE_RANDOM=1 draws new ones (and
# keeps failures in Hypothesis' example database for the next run).
GENERATED_EXAMPLES = int(os.environ.get("EXTSECRETS_ORACLE_EXAMPLES", "300"))
GENERATED_RANDOM = os.environ.get("EXTSECRETS_ORACLE_RANDOM", "") not in ("", "0")
_generated = settings(
    max_examples=GENERATED_EXAMPLES,
    deadline=None,
    derandomize=not GENERATED_RANDOM,
    suppress_health_check=[HealthCheck.too_slow],
    **({} if GENERATED_RANDOM else {"database": None}),
)


@_generated
@given(templates())
def test_generated_templates_match_go(
    go_oracle: GoOracle, case: tuple[str, dict[str, str | bytes]]
) -> None:
    text, data = case
    go = go_oracle.render(text, data)
    ours = engine_render(text, data)
    assert (ours.output, ours.error) == (go.output, go.error), (
        f"template {text!r}\n  data {data!r}\n  Go:   {_show(go.output, go.error)}\n"
        f"  ours: {_show(ours.output, ours.error)}"
    )


def test_binary_round_trip_matches_go(go_oracle: GoOracle) -> None:
    every_byte = bytes(range(256))
    go = go_oracle.render("{{ .bin }}|{{ len .bin }}", {"bin": every_byte})
    ours = engine_render("{{ .bin }}|{{ len .bin }}", {"bin": every_byte})
    assert ours.output == go.output == every_byte + b"|256"
    assert to_bytes(every_byte.decode("utf-8", "surrogateescape")) == every_byte
