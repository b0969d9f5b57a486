"""The leak scan (docs/reliability.md, issue 17): no secret value the test session handed to the
code under test may come back in anything it says.

A pytest plugin (enabled from the root conftest.py, so it covers every test folder). During the
session it collects:

- **seeded values**: every ``SecretString``/``SecretBinary`` (and the JSON leaves of a secret
  string), parameter ``Value``, web identity token and session token the AWS emulator received
  (its request recorder, read through :func:`harvesting_client` before every reset), every value
  a test made the emulator answer with (``EmulatorClient.answer``), the ECR tokens the emulator
  hands out, every value a plugin handed to the engine in this process (whatever the provider:
  the fake one, AWS, generators; observed at the plugin host), and every data value of the
  Kubernetes Secrets in the test API servers at the end (the tests' own and the operator's);
- **text to scan**: every log record of the test process at DEBUG (a root handler installed
  here; the loggers of the test rig itself, moto and werkzeug, are left out, and the client
  libraries of Kubernetes and urllib3 are held to the levels ``extsecrets run`` holds them to),
  every ``extsecrets run`` process log (the ``run_operator`` fixture starts them at
  ``--log-level debug``) and ``/metrics`` page, the errors and statuses of in-process syncs and
  store checks, and the events and ExternalSecret/store statuses in the API server at the end.

At the end every seeded value is looked for in every text, as it is and encoded as a leak would
encode it (base64 at any alignment, URL-safe base64, JSON and Python string escapes, URL
quoting). A hit fails the session (exit status 1) with a report naming where the value was found
and where it was seeded; the value itself is never printed (a short hash and its first two
characters).

A value a plugin handed to the engine in this process is looked for in the texts of the tests
it was handed in (nothing outside the process carries it to another test, and another test may
well write the same text as a name: a template's literal key); every other value (what reached
the emulator or the API server, shared by every test) is looked for everywhere.

What counts as a seeded value: at least :data:`MIN_LENGTH` characters, not only digits, and not
also a name (a secret id, parameter name, Secret key, object name): a value that is also a name
is said legitimately wherever the name is.

Not scanned: what ``extsecrets render`` prints on stdout (the rendered Secrets, by design), the
output of processes the tests start by other means than the fixtures above, and the secret
access keys of the temporary credentials moto makes up (never sent back to it; their session
tokens are).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pytest

__all__ = ["LEAKS", "Hit", "LeakCollector", "forms", "harvest_kube", "harvesting_client", "scan"]

MIN_LENGTH = 8
# Keys whose values are secrets, in AWS requests and in made-up answers.
_SECRET_KEYS = frozenset(
    {
        "SecretString",
        "SecretBinary",
        "Value",
        "WebIdentityToken",
        "SecretAccessKey",
        "SessionToken",
        "authorizationToken",
    }
)
# Keys whose values are names.
_NAME_KEYS = frozenset({"Name", "SecretId", "Names", "SecretIdList", "Path", "ARN", "Key"})
# The account moto hands ECR tokens for unless asked for others.
_MOTO_ACCOUNT = "123456789012"
# Kubernetes Secret keys whose values are public.
_PUBLIC_KEYS = frozenset({"ca.crt", "namespace"})
# Loggers of the test rig (the AWS emulator), not of the code under test.
_RIG_LOGGERS = ("moto", "werkzeug", "responses", "asyncio")
# The client libraries' levels under `extsecrets run` (extsecrets.operator.logs.configure): the
# tests' own Kubernetes client logs response bodies at DEBUG, as the operator's would.
_CAPPED = {"kubernetes": logging.INFO, "urllib3": logging.WARNING}
_STANDARD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class Hit:
    """One seeded value found in one text, named without the value."""

    def __init__(self, where: str, form: str, value: bytes, origin: str) -> None:
        self.where = where
        self.form = form
        self.digest = hashlib.sha256(value).hexdigest()[:12]
        self.prefix = value[:2].decode(errors="replace")
        self.origin = origin

    def line(self) -> str:
        return (
            f"{self.where}: a seeded value (sha256 {self.digest}, starts {self.prefix!r}, "
            f"{self.form}) seeded by {self.origin}"
        )


def _b64_aligned(value: bytes) -> Iterator[tuple[str, str]]:
    """The base64 text ``value`` becomes inside any longer base64 text: one per alignment, the
    characters that depend on the value alone."""
    for shift in range(3):
        data = b"\0" * shift + value
        whole = len(data) // 3 * 3
        text = base64.b64encode(data[:whole]).decode()
        yield f"base64 (offset {shift})", text[4:] if shift else text


def forms(value: bytes) -> dict[str, str]:
    """Every text ``value`` may leak as, by the encoding's name; texts shorter than
    :data:`MIN_LENGTH` are left out (they would match by chance)."""
    out: dict[str, str] = {}
    try:
        text: str | None = value.decode()
    except UnicodeDecodeError:
        text = None
    if text is not None:
        out["as is"] = text
        out["JSON-escaped"] = json.dumps(text)[1:-1]
        out["JSON-escaped (not ASCII)"] = json.dumps(text, ensure_ascii=False)[1:-1]
        out["repr-escaped"] = repr(text)[1:-1]
        out["URL-quoted"] = urllib.parse.quote(text, safe="")
        out["URL-quoted (/ kept)"] = urllib.parse.quote(text)
        # in the base64 of a larger text (a Secret's data): as is, and as a JSON string
        for form in ("as is", "JSON-escaped", "JSON-escaped (not ASCII)"):
            for name, encoded in _b64_aligned(out[form].encode()):
                out[f"{name} of the value {form}"] = encoded
    else:
        out["bytes repr"] = repr(value)[2:-1]
        for name, encoded in _b64_aligned(value):
            out[name] = encoded
    out["base64"] = base64.b64encode(value).decode()
    out["URL-safe base64"] = base64.urlsafe_b64encode(value).decode().rstrip("=")
    unique: dict[str, str] = {}
    for name, pattern in out.items():
        if len(pattern) >= MIN_LENGTH and pattern not in unique.values():
            unique[name] = pattern
    return unique


_GRAM = 4
# Where a pattern may be anchored: among its first characters (a value of a megabyte would
# otherwise be weighed at every one of its positions).
_ANCHORS = 64


def _blocks(text: str) -> Iterator[str]:
    """The text's 4-character blocks at the positions divisible by 4."""
    return (text[i : i + _GRAM] for i in range(0, len(text) - _GRAM + 1, _GRAM))


def scan(
    texts: Iterable[tuple[str, str]],
    seeds: Mapping[bytes, str],
    scopes: Mapping[bytes, frozenset[str]] | None = None,
) -> list[Hit]:
    """Every (text, seeded value) pair where the value occurs in the text in one of its
    :func:`forms`; one hit per pair. A value with a scope (test ids) is looked for only in the
    texts of those tests (a text's name starts with its test id and ``": "``).

    Every pattern is at least 8 characters long, so any occurrence of it covers a whole
    4-character block of the text at a position divisible by 4, and which of the pattern's
    pieces that block is depends only on where the occurrence starts: pieces ``s`` to ``s + 3``
    of the pattern, for any ``s`` up to its length minus 7, cover every case. The text is read
    block by block, each looked up in an index of those pieces, and compared in full only
    there. ``s`` is chosen per pattern where its pieces are rarest among the texts' blocks, so
    that common words ("value", "secret") rarely lead to a comparison."""
    texts = list(texts)
    frequency: Counter[str] = Counter()
    for _, text in texts:
        frequency.update(_blocks(text))
    patterns: list[tuple[str, str, bytes]] = []
    index: dict[str, list[tuple[int, int]]] = {}
    for value in seeds:
        for form, pattern in forms(value).items():
            number = len(patterns)
            patterns.append((pattern, form, value))
            start = min(
                range(min(len(pattern) - 2 * _GRAM + 2, _ANCHORS)),
                key=lambda s, p=pattern: sum(  # type: ignore[misc]
                    frequency.get(p[s + j : s + j + _GRAM], 0) for j in range(_GRAM)
                ),
            )
            for offset in range(start, start + _GRAM):
                index.setdefault(pattern[offset : offset + _GRAM], []).append((number, offset))
    hits: list[Hit] = []
    scopes = scopes or {}
    get = index.get
    for where, text in texts:
        test = where.partition(": ")[0]
        found = {v for v, tests in scopes.items() if test not in tests}
        for number_of_block, block in enumerate(_blocks(text)):
            candidates = get(block)
            if candidates is None:
                continue
            position = number_of_block * _GRAM
            for number, offset in candidates:
                pattern, form, value = patterns[number]
                if value not in found and text.startswith(pattern, position - offset):
                    found.add(value)
                    hits.append(Hit(where, form, value, seeds[value]))
    return hits


def _walk(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping):
        for k, v in node.items():
            yield from _walk(v, str(k))
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, key)
    else:
        yield key, node


class LeakCollector:
    """The seeded values and the texts of one session."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seeds: dict[bytes, str] = {}
        #: the tests a value was handed to in this process, for values only they can say
        #: (absent: every text can)
        self.scopes: dict[bytes, set[str]] = {}
        self.names: set[bytes] = set()
        self.texts: dict[str, list[str]] = {}

    # --- seeded values ------------------------------------------------------------------------

    def seed(self, value: str | bytes, origin: str, test: str | None = None) -> None:
        """A value handed to the code under test. With ``test``, a value handed to the engine
        in this process by a plugin during that test: it can come back only in what that test
        made say (no state outside the process carries it to another test), and other tests
        may use the same text as a name (a template's literal key)."""
        raw = value.encode() if isinstance(value, str) else value
        if len(raw) < MIN_LENGTH or raw.strip().isdigit():
            return
        with self._lock:
            known = raw in self.seeds
            self.seeds.setdefault(raw, origin)
            if test is None:
                self.scopes.pop(raw, None)
            elif not known or raw in self.scopes:
                self.scopes.setdefault(raw, set()).add(test)
        if raw.lstrip().startswith(b"{"):
            try:
                document = json.loads(raw)
            except ValueError:
                return
            for _, leaf in _walk(document):
                if isinstance(leaf, str):
                    self.seed(leaf, origin, test)

    def name(self, value: Any) -> None:
        if isinstance(value, str):
            with self._lock:
                self.names.add(value.encode())

    def aws_requests(self, requests: Iterable[Mapping[str, Any]], where: str) -> None:
        """What the emulator received: the values written, the tokens presented, and the ECR
        tokens it answers with (moto's are made from the registry id)."""
        for request in requests:
            origin = f"AWS {request.get('service')} {request.get('operation')} ({where})"
            for key, leaf in _walk(request.get("params") or {}):
                if key in _SECRET_KEYS and isinstance(leaf, str):
                    decoded = _b64(leaf) if key == "SecretBinary" else None
                    self.seed(decoded if decoded is not None else leaf, origin)
                elif key in _NAME_KEYS:
                    self.name(leaf)
            token = (request.get("headers") or {}).get("x-amz-security-token")
            if token:
                self.seed(token, origin)
            if request.get("operation") == "GetAuthorizationToken":
                ids = (request.get("params") or {}).get("registryIds") or [_MOTO_ACCOUNT]
                for registry in ids:
                    password = f"{registry}-auth-token"
                    self.seed(password, origin)
                    self.seed(base64.b64encode(f"AWS:{password}".encode()).decode(), origin)

    def aws_answer(self, body: Any, where: str) -> None:
        """A made-up answer a test has the emulator give (a value, a token)."""
        for key, leaf in _walk(body):
            if key in _SECRET_KEYS and isinstance(leaf, str):
                self.seed(leaf, f"an emulator answer ({where})")
                if key == "authorizationToken":
                    decoded = _b64(leaf)
                    if decoded is not None:
                        self.seed(decoded.partition(b":")[2], f"an emulator answer ({where})")

    # --- texts --------------------------------------------------------------------------------

    def text(self, where: str, text: str) -> None:
        with self._lock:
            self.texts.setdefault(where, []).append(text)

    def sync_results(self, results: Iterable[Any], where: str) -> None:
        """What an in-process sync said (error, status); the names it wrote."""
        for result in results:
            self.text(f"{where}: sync results", f"{result.error or ''} {result.status!r}")
            if result.secret is not None:
                self.name(result.secret.name)
                for key in result.secret.data:
                    self.name(key)

    def provider_answers(self, answers: Iterable[Any], where: str) -> None:
        """What a plugin handed to the engine (fetched values, generated ones)."""
        from extsecrets.types import SecretBytes

        for answer in answers:
            if isinstance(answer, SecretBytes):
                self.seed(answer.value, f"a value a plugin returned ({where})", where)
            elif isinstance(answer, Mapping):
                for key, value in answer.items():
                    self.name(key)
                    self.provider_answers([value], where)

    # --- the scan -----------------------------------------------------------------------------

    def seeds_to_scan(self) -> dict[bytes, str]:
        return {v: o for v, o in self.seeds.items() if v not in self.names}

    def scan(self) -> list[Hit]:
        texts = ((where, "\n".join(parts)) for where, parts in self.texts.items())
        scopes = {v: frozenset(tests) for v, tests in self.scopes.items()}
        return scan(texts, self.seeds_to_scan(), scopes)

    def scanned_chars(self) -> int:
        return sum(len(t) + 1 for parts in self.texts.values() for t in parts)


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return None


LEAKS = LeakCollector()


class _LogHandler(logging.Handler):
    """Every record of the test process, by test, as one line of text: message, extra fields
    and traceback."""

    def __init__(self, collector: LeakCollector) -> None:
        super().__init__(logging.DEBUG)
        self.collector = collector
        self.where = "session start"
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        name = record.name
        if name.startswith(_RIG_LOGGERS):
            return
        for library, level in _CAPPED.items():
            if (name == library or name.startswith(library + ".")) and record.levelno < level:
                return
        try:
            line = record.getMessage()
        except Exception:  # a malformed record: its parts
            line = f"{record.msg!r} {record.args!r}"
        extra = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRIBUTES}
        if extra:
            line += f" {extra!r}"
        if record.exc_info:
            line += "\n" + self._formatter.formatException(record.exc_info)
        self.collector.text(f"{self.where}: log of the test process ({name})", line)


def harvesting_client(url: str) -> Any:
    """An emulator client whose recorded requests are read before they are forgotten (every
    reset, every clear, and :meth:`harvest` at the end), and whose made-up answers are seeded."""
    from extsecrets_aws_auth.emulator import EmulatorClient

    class HarvestingClient(EmulatorClient):
        def harvest(self) -> None:
            LEAKS.aws_requests(self.requests(), _HANDLER.where)

        def reset(self) -> None:
            self.harvest()
            super().reset()

        def clear_requests(self) -> None:
            self.harvest()
            super().clear_requests()

        def answer(self, service: str, operation: str, body: Any, **kwargs: Any) -> None:
            LEAKS.aws_answer(body, _HANDLER.where)
            super().answer(service, operation, body, **kwargs)

    return HarvestingClient(url)


def harvest_kube(api: Any) -> None:
    """At the end: every Secret's data (seeds), every event and ExternalSecret/store status
    (texts), from the test API server."""
    from kubernetes import client as k8s

    core = k8s.CoreV1Api(api)
    for secret in core.list_secret_for_all_namespaces().items:
        where = f"Secret {secret.metadata.namespace}/{secret.metadata.name}"
        LEAKS.name(secret.metadata.name)
        for key, encoded in (secret.data or {}).items():
            LEAKS.name(key)
            if key in _PUBLIC_KEYS:
                continue
            value = _b64(encoded or "")
            if value is not None:
                LEAKS.seed(value, f"the data of {where} at the end")
    events = core.list_event_for_all_namespaces().items
    LEAKS.text(
        "events in the API server",
        "\n".join(f"{e.involved_object.kind} {e.reason}: {e.message}" for e in events),
    )
    custom = k8s.CustomObjectsApi(api)
    for plural in (
        "externalsecrets",
        "secretstores",
        "clustersecretstores",
        "clusterexternalsecrets",
        "pushsecrets",
    ):
        try:
            items = custom.list_cluster_custom_object(
                "external-secrets.io", "v1" if plural != "pushsecrets" else "v1alpha1", plural
            )["items"]
        except k8s.ApiException:
            continue
        for item in items:
            LEAKS.name(item["metadata"]["name"])
        LEAKS.text(
            f"{plural} statuses in the API server",
            "\n".join(json.dumps(item.get("status") or {}) for item in items),
        )


# --- the plugin -----------------------------------------------------------------------------------

_HANDLER = _LogHandler(LEAKS)
_ROOT_LEVEL: list[int] = []


def _observe_engine() -> None:
    """Record what in-process syncs and store checks said (errors, statuses) and what the
    plugins handed to the engine (seeds): observers around the engine's two entry points and
    the plugin host's two value calls, which return what they return."""
    try:
        from extsecrets.plugins import PluginHost
        from extsecrets.sync.engine import Engine
    except ImportError:
        return
    if getattr(Engine.sync, "_leak_scan", False):
        return
    sync, validate = Engine.sync, Engine.validate_stores
    fetch, generate = PluginHost.fetch, PluginHost.generate

    def observed_sync(self: Any, *args: Any, **kwargs: Any) -> Any:
        results = sync(self, *args, **kwargs)
        LEAKS.sync_results(results, _HANDLER.where)
        return results

    def observed_validate(self: Any, *args: Any, **kwargs: Any) -> Any:
        results = validate(self, *args, **kwargs)
        LEAKS.text(f"{_HANDLER.where}: store checks", repr(results))
        return results

    def observed_fetch(self: Any, *args: Any, **kwargs: Any) -> Any:
        answers = fetch(self, *args, **kwargs)
        LEAKS.provider_answers(answers.values(), _HANDLER.where)
        return answers

    def observed_generate(self: Any, *args: Any, **kwargs: Any) -> Any:
        generated = generate(self, *args, **kwargs)
        LEAKS.provider_answers([generated.data], _HANDLER.where)
        return generated

    observed_sync._leak_scan = True  # type: ignore[attr-defined]
    Engine.sync = observed_sync  # type: ignore[method-assign]
    Engine.validate_stores = observed_validate  # type: ignore[method-assign]
    PluginHost.fetch = observed_fetch  # type: ignore[method-assign]
    PluginHost.generate = observed_generate  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    # The AWS plugins drop botocore's DEBUG records of bodies when their session module is
    # imported, before their first client; the tests' own boto3 clients (seeding the emulator)
    # may come first: the same filters from the start.
    with contextlib.suppress(ImportError):  # a venv with the core alone (tests/test_wheels.py)
        import extsecrets_aws_auth.session  # noqa: F401

    root = logging.getLogger()
    _ROOT_LEVEL.append(root.level)
    root.setLevel(logging.DEBUG)
    root.addHandler(_HANDLER)
    for name in _RIG_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    _observe_engine()


def pytest_runtest_logstart(nodeid: str) -> None:
    _HANDLER.where = nodeid


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    started = time.monotonic()
    hits = LEAKS.scan()
    _SCAN_SECONDS.append(time.monotonic() - started)
    session.config.stash[_REPORT] = hits
    if hits and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_REPORT = pytest.StashKey[list[Hit]]()
_SCAN_SECONDS: list[float] = []


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    hits = config.stash.get(_REPORT, None)
    if hits is None:
        return
    seeds = len(LEAKS.seeds_to_scan())
    line = (
        f"leak scan: {seeds} seeded values, {LEAKS.scanned_chars()} characters scanned "
        f"in {len(LEAKS.texts)} texts ({_SCAN_SECONDS[-1]:.1f} s), {len(hits)} hits"
    )
    if not hits:
        terminalreporter.write_line(line)
        return
    terminalreporter.section("leak scan: seeded secret values found", red=True)
    for hit in hits:
        terminalreporter.write_line(hit.line())
    terminalreporter.write_line(line, red=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    root = logging.getLogger()
    root.removeHandler(_HANDLER)
    if _ROOT_LEVEL:
        root.setLevel(_ROOT_LEVEL.pop())
