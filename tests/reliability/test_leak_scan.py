"""The leak scan itself (tests/leak_scan.py): it finds a planted value in real log text, in the
encodings values leak in, fails a session that leaks, and collects what the emulator received.
The scan of this whole session runs at its end (the summary line ``leak scan: ...``)."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import textwrap
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from leak_scan import LeakCollector, scan

PLANTED = 'pl4nted-Secret/value+with=odd"chars\\n\u00e9'
DIGEST = hashlib.sha256(PLANTED.encode()).hexdigest()[:12]


def _product_log(*lines: tuple[str, tuple[Any, ...], dict[str, Any]]) -> str:
    """What ``extsecrets run --log-level debug`` writes for these records: its own log set-up
    (JSON lines on stderr), in a process of its own."""
    program = textwrap.dedent(
        """
        import json, logging, sys
        from extsecrets.operator import logs
        logs.configure("debug")
        for message, args, extra in json.loads(sys.argv[1]):
            logging.getLogger("extsecrets.test").debug(message, *args, extra=extra)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program, json.dumps(lines)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stderr


def test_a_value_planted_in_a_real_log_line_is_found_and_not_printed() -> None:
    text = _product_log(
        ("synced %s", ("app/db",), {}),
        ("read %s", (f"token={PLANTED}",), {}),  # in the message, JSON-escaped by the log
        ("written", (), {"detail": {"data": PLANTED}}),  # in an extra field
    )
    assert PLANTED not in text  # the log escapes it: found only because escapes are tried
    (hit,) = scan([("operator-0.log", text)], {PLANTED.encode(): "a test"})
    assert (hit.where, hit.form, hit.origin) == ("operator-0.log", "JSON-escaped", "a test")
    assert hit.digest == DIGEST
    assert PLANTED[2:] not in hit.line()
    assert hit.line().startswith(f"operator-0.log: a seeded value (sha256 {DIGEST}, starts 'pl'")


@pytest.mark.parametrize(
    ("leaked", "form"),
    [
        (PLANTED, "as is"),
        (json.dumps({"password": PLANTED}), "JSON-escaped"),
        (repr(PLANTED), "repr-escaped"),
        (base64.b64encode(PLANTED.encode()).decode(), "base64"),
        # inside the base64 of a larger document, at each of the three alignments
        (base64.b64encode(json.dumps({"k": PLANTED}).encode()).decode(), "base64"),
        (base64.b64encode(b"x" + PLANTED.encode()).decode(), "base64"),
        (base64.b64encode(b"xy" + PLANTED.encode()).decode(), "base64"),
        (base64.urlsafe_b64encode(PLANTED.encode()).decode().rstrip("="), "base64"),
        ("https://x.test/?v=" + urllib.parse.quote(PLANTED), "URL-quoted"),
        ("https://x.test/?v=" + urllib.parse.quote(PLANTED, safe=""), "URL-quoted"),
    ],
)
def test_encoded_forms_are_found(leaked: str, form: str) -> None:
    for prefix in ("", "a", "ab", "abc"):  # at every position modulo the scan's block
        text = f'{{"level": "DEBUG", "message": "{prefix}{leaked} end"}}'
        hits = scan([("log", text)], {PLANTED.encode(): "a test"})
        assert len(hits) == 1, (prefix, leaked)
        assert form in hits[0].form


def test_binary_values_and_nothing_else() -> None:
    binary = bytes(range(250, 256)) + b"\x00\x01\x02\x03"
    seeds = {binary: "SecretBinary", b"s3cret-one": "a test"}
    text = "\n".join(
        [
            f"Secret data: {base64.b64encode(binary).decode()}",
            "s3cret-on",  # a part of a value is not the value
            "the value of s3cret-oneself",
        ]
    )
    hits = scan([("log", text)], seeds)
    assert sorted(h.origin for h in hits) == ["SecretBinary", "a test"]
    assert scan([("log", "nothing here at all, s3cret-on, S3CRET-ONE")], seeds) == []


def test_too_short_numeric_and_name_values_are_not_seeds() -> None:
    leaks = LeakCollector()
    leaks.seed("short", "t")
    leaks.seed("1234567890", "t")
    leaks.seed("app/database", "t")
    leaks.name("app/database")
    leaks.seed('{"user": "admin", "password": "long-enough-1"}', "t")
    assert set(leaks.seeds_to_scan()) == {
        b'{"user": "admin", "password": "long-enough-1"}',
        b"long-enough-1",
    }


def test_what_the_emulator_received_is_seeded(aws: Any) -> None:
    from aws_kit import client
    from leak_scan import LEAKS

    client(aws, "secretsmanager").create_secret(Name="leak/a", SecretString="harvested-1-value")
    client(aws, "ssm").put_parameter(Name="/leak/b", Value="harvested-2-value", Type="String")
    aws.answer(
        "ecr",
        "GetAuthorizationToken",
        {
            "authorizationData": [
                {"authorizationToken": base64.b64encode(b"AWS:answered-3-value").decode()}
            ]
        },
    )
    aws.clear_requests()  # read before it is forgotten
    seeds = LEAKS.seeds_to_scan()
    for value in (b"harvested-1-value", b"harvested-2-value", b"answered-3-value"):
        assert value in seeds
    assert b"leak/a" in LEAKS.names


def test_a_leaking_session_fails_with_a_report_that_names_the_place(pytester: Any) -> None:
    """A session whose test seeds a value through the emulator client and logs it: exit status
    1, the report names the test and the origin, and the value appears nowhere in the output."""
    here = Path(__file__).parent.parent
    pytester.makeconftest('pytest_plugins = ["leak_scan"]\n')
    pytester.makepyfile(
        test_leaky=f"""
        import logging
        from leak_scan import LEAKS

        def test_leaks():
            LEAKS.seed({PLANTED!r}, "the planting test")
            logging.getLogger("extsecrets.sync").debug("read %s", {PLANTED!r})

        def test_clean():
            logging.getLogger("extsecrets.sync").debug("read %s", "nothing secret")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-o", f"pythonpath={here}")
    assert result.ret == 1
    output = result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(
        [
            "*leak scan: seeded secret values found*",
            "test_leaky.py::test_leaks: log of the test process (extsecrets.sync): a seeded value"
            f" (sha256 {DIGEST},"
            " starts 'pl', as is) seeded by the planting test",
            "leak scan: 1 seeded values, * characters scanned in * texts (* s), 1 hits",
        ]
    )
    assert "2 passed" in output
    assert PLANTED[2:] not in output


def test_the_scan_runs_in_this_session(request: pytest.FixtureRequest) -> None:
    """The root conftest enables it for every test folder (so ``make test`` scans the whole
    suite), and this process's records reach it at DEBUG."""
    import logging

    from leak_scan import LEAKS

    assert request.config.pluginmanager.has_plugin("leak_scan")
    logging.getLogger("extsecrets.test").debug("a record at %s", "DEBUG")
    where = f"{request.node.nodeid}: log of the test process (extsecrets.test)"
    assert LEAKS.texts[where] == ["a record at DEBUG"]


def test_a_value_handed_in_one_test_is_looked_for_in_that_test_s_texts() -> None:
    leaks = LeakCollector()
    leaks.seed("in-process-value", "a plugin", "tests/a.py::test_a")
    leaks.seed("emulator-value-1", "the emulator")
    leaks.text("tests/a.py::test_a: log", "in-process-value emulator-value-1")
    leaks.text("tests/b.py::test_b: log", "in-process-value emulator-value-1")
    found = sorted((h.where, h.origin) for h in leaks.scan())
    assert found == [
        ("tests/a.py::test_a: log", "a plugin"),
        ("tests/a.py::test_a: log", "the emulator"),
        ("tests/b.py::test_b: log", "the emulator"),
    ]
    # the same value reaching the emulator too is looked for everywhere
    leaks.seed("in-process-value", "the emulator")
    assert len(leaks.scan()) == 4
