"""Issue 17, item 1: an AWS outage, with `extsecrets run` as a real process on the real
kube-apiserver and AWS on the emulator.

ExternalSecrets read a Secrets Manager store and a Parameter Store store (half each, one
distinct secret each, ``refreshInterval`` :data:`REFRESH`). Once all are synced, every AWS call
fails, in three phases: HTTP 5xx (Secrets Manager's ``InternalServiceError`` 500,
``ServiceUnavailable`` 503 from Parameter Store), connection refused (the TCP forwarder between
the operator and the emulator stops listening: nothing listens on the port), throttling
(``ThrottlingException``). Then AWS is back.

What is asserted, on what the API server stores and what reached the emulator:

- during the outage no Secret is written (no write request for a Secret reached the API
  server; every Secret keeps its data and its resourceVersion) and every ExternalSecret's Ready
  is False with ESO's reason and message, its Warning events naming the failure of the phase;
- the calls that reached AWS in each phase are within :func:`call_bound`, derived from the
  operator's backoff (docs/operator.md, "Retries per store") and botocore's attempts;
- afterwards every ExternalSecret is Ready again within one backoff period
  (:func:`recovery_bound`), with no Secret written (their values did not change).

The figures (calls per phase, the bounds, time and calls to recover, Secrets written) go to
docs/reliability.md through the ``figures`` fixture.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from aws_kit import client
from operator_kit import wait_for
from reliability.tcp_forwarder import SynCounter, TcpForwarder

from extsecrets.operator.controller import BACKOFF_MAX, BACKOFF_START, JITTER, MIN_PAUSE
from extsecrets_aws_auth.emulator import ANY

pytestmark = pytest.mark.kube

LONG = os.environ.get("EXTSECRETS_RELIABILITY", "") == "long"


def scale(short: int, long: int) -> int:
    return long if LONG else short


#: ExternalSecrets, half on each store
COUNT = scale(100, 200)
#: their refreshInterval, seconds
REFRESH = scale(8, 45)
#: seconds each phase of the outage lasts: longer than the longest wait between two failed
#: cycles of a store (a grid step and the least pause, plus 3 s for the cycle), so that every
#: store fails at least once in each
PHASE = scale(16, 60)
assert PHASE >= REFRESH + MIN_PAUSE + 3

KEY_ID = "AKIAOUTAGE0000000001"
#: botocore's standard retry mode: attempts per API call (the stores set no retrySettings)
ATTEMPTS = 3
#: within a cycle, calls follow each other closer than this (botocore waits at most 1 + 2 s
#: between the attempts of a throttled call); cycles are further apart (>= 4.5 s)
CYCLE_GAP = 4.0
#: ids a call: BatchGetSecretValue, GetParameters
PER_CALL = {"secretsmanager": 20, "ssm": 10}


# --- the bound -------------------------------------------------------------------------------


def cycle_bound(window: float, refresh: float = REFRESH) -> int:
    """The most sync cycles one store can start within ``window`` seconds while each fails.

    A failed cycle is retried ``min(BACKOFF_START * 2**(k-1), BACKOFF_MAX) * jitter`` after it
    finished (k: its failures so far; jitter within ±JITTER), but no later than the first point
    of the store's grid (one every ``refresh`` seconds) at least ``MIN_PAUSE`` after it
    finished (docs/operator.md, "Retries per store"). So:

    - two cycles are at least ``MIN_PAUSE`` apart: at most ``1 + window // MIN_PAUSE``;
    - each cycle is the window's first, one on a grid point (at most ``window // refresh + 1``
      of them), or one whose backoff ran out before its grid point: that one waited at least
      ``(1 - JITTER) * BACKOFF_START * 2**(k-1)`` (less than ``refresh + MIN_PAUSE``), and k
      grows with every cycle, so there are no more of them than the shortest such waits that
      fit in ``window`` together.
    """
    grid = math.floor(window / refresh) + 1
    backoff, spent, k = 0, 0.0, 1
    while True:
        wait = (1 - JITTER) * min(BACKOFF_START * 2 ** (k - 1), BACKOFF_MAX)
        if wait >= refresh + MIN_PAUSE or spent + wait > window:
            break
        spent += wait
        backoff += 1
        k += 1
    return min(1 + math.floor(window / MIN_PAUSE), 1 + grid + backoff)


def calls_per_cycle(service: str) -> int:
    """API calls one successful cycle of a store makes: its distinct ids, a batch call per
    PER_CALL."""
    return math.ceil((COUNT // 2) / PER_CALL[service])


#: API calls one failed cycle of a store makes: once a batch call fails because of AWS (5xx,
#: throttling, a connection error), the other chunks of the cycle fail with its error unsent
FAILED_CYCLE_CALLS = 1


def call_bound(service: str, window: float) -> int:
    """The most requests of ``service`` that can reach AWS (or try to connect) in ``window``
    seconds of outage: cycles, times the one call a failed cycle makes, times botocore's
    attempts per call."""
    return cycle_bound(window) * FAILED_CYCLE_CALLS * ATTEMPTS


def recovery_bound(refresh: float = REFRESH) -> float:
    """How long after AWS is back every ExternalSecret is Ready again, at most: its store's
    next retry comes within one backoff period: the longest backoff with its jitter, or the
    store's grid point when sooner (``refresh + MIN_PAUSE``); plus a cycle's own time
    (generous: the machine is shared)."""
    return min(BACKOFF_MAX * (1 + JITTER), refresh + MIN_PAUSE) + 30.0


# --- objects ---------------------------------------------------------------------------------


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def value_of(n: int) -> str:
    return f"outage-value-{n:04d}"


def manifests(ns: str) -> list[dict[str, Any]]:
    auth = {
        "secretRef": {
            "accessKeyIDSecretRef": {"name": "aws-keys", "key": "id"},
            "secretAccessKeySecretRef": {"name": "aws-keys", "key": "secret"},
        }
    }
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "aws-keys", "namespace": ns},
            "data": {"id": b64(KEY_ID), "secret": b64("s")},
        }
    ]
    for name, service in (("sm", "SecretsManager"), ("ps", "ParameterStore")):
        docs.append(
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "SecretStore",
                "metadata": {"name": name, "namespace": ns},
                "spec": {
                    "provider": {
                        "aws": {"service": service, "region": "eu-central-1", "auth": auth}
                    }
                },
            }
        )
    for n in range(COUNT):
        store, key = ("sm", f"outage/{n:04d}") if n % 2 == 0 else ("ps", f"/outage/{n:04d}")
        docs.append(
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "ExternalSecret",
                "metadata": {"name": f"es-{n:04d}", "namespace": ns},
                "spec": {
                    "secretStoreRef": {"name": store},
                    "refreshInterval": f"{REFRESH}s",
                    "data": [{"secretKey": "value", "remoteRef": {"key": key}}],
                },
            }
        )
    return docs


def seed(aws: Any) -> None:
    sm, ssm = client(aws, "secretsmanager"), client(aws, "ssm")
    for n in range(COUNT):
        if n % 2 == 0:
            sm.create_secret(Name=f"outage/{n:04d}", SecretString=value_of(n))
        else:
            ssm.put_parameter(Name=f"/outage/{n:04d}", Value=value_of(n), Type="String")


# --- reading back --------------------------------------------------------------------------


def readiness(kube: Any, ns: str) -> Counter[tuple[str, str, str]]:
    """(status, reason, message) of every ExternalSecret's Ready condition, counted."""
    listed = kube.custom.list_namespaced_custom_object(
        "external-secrets.io", "v1", ns, "externalsecrets"
    )
    out: Counter[tuple[str, str, str]] = Counter()
    for es in listed["items"]:
        ready = [
            c for c in (es.get("status") or {}).get("conditions") or [] if c["type"] == "Ready"
        ]
        out[
            (ready[0]["status"], ready[0]["reason"], ready[0]["message"]) if ready else ("",) * 3
        ] += 1
    return out


def all_ready(kube: Any, ns: str, state: tuple[str, str, str]) -> bool:
    return readiness(kube, ns) == Counter({state: COUNT})


REFUSED = "Could not connect to the endpoint URL"
SYNCED = ("True", "SecretSynced", "secret synced")
FAILED = ("False", "SecretSyncedError", "could not get secret data from provider")


def secrets(kube: Any, ns: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Every managed Secret of ``ns``: its resourceVersion and data."""
    listed = kube.core.list_namespaced_secret(
        ns, label_selector="reconcile.external-secrets.io/managed=true"
    )
    return {
        s.metadata.name: (s.metadata.resource_version, dict(s.data or {})) for s in listed.items
    }


def secret_writes(kube: Any) -> int:
    """Write requests for Secrets the API server has served (every client, every namespace:
    the tests of a session run one after the other)."""
    served = kube.requests_served()
    return sum(
        n for what, n in served.items() if re.fullmatch(r"(POST|PUT|PATCH|DELETE) secrets", what)
    )


def update_failed(kube: Any, ns: str) -> dict[str, list[str]]:
    """The messages of the operator's UpdateFailed events in ``ns``, by ExternalSecret."""
    out: dict[str, list[str]] = {}
    for event in kube.core.list_namespaced_event(ns).items:
        if event.reason == "UpdateFailed":
            out.setdefault(event.involved_object.name, []).append(event.message or "")
    return out


def error_calls(scrape: str) -> int:
    """Failed AWS calls the operator counted (``status="error"``: no answer, or an error
    answer)."""
    total = 0
    for line in scrape.splitlines():
        if line.startswith("externalsecret_provider_api_calls_count{") and 'status="error"' in line:
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


class Phases:
    """What reached the emulator from the operator, by phase and service."""

    def __init__(self, aws: Any) -> None:
        self.aws = aws
        self.marks: list[tuple[str, float]] = []

    def start(self, name: str) -> None:
        self.marks.append((name, time.time()))

    def cycles(self) -> dict[str, list[float]]:
        """When each store's cycles started, in seconds after the first phase: its requests
        split where none came for :data:`CYCLE_GAP` seconds."""
        requests = [r for r in self.aws.requests() if r["access_key_id"] == KEY_ID]
        origin = self.marks[0][1]
        out: dict[str, list[float]] = {}
        for service in PER_CALL:
            times = sorted(r["time"] for r in requests if r["service"] == service)
            starts = [t for i, t in enumerate(times) if i == 0 or t - times[i - 1] > CYCLE_GAP]
            out[service] = [round(t - origin, 1) for t in starts if t >= origin]
        return out

    def windows(self) -> dict[str, tuple[float, float]]:
        """Each phase's (begin, end), UTC seconds (the last one ends now)."""
        ends = [t for _, t in self.marks[1:]] + [time.time()]
        return {name: (t, end) for (name, t), end in zip(self.marks, ends, strict=True)}

    def save(self, path: Path) -> None:
        """The operator's requests (when, what, the answer's status) and the phases, for a
        person reading a failure."""
        origin = self.marks[0][1]
        requests = [
            (round(r["time"] - origin, 3), r["service"], r["operation"], r["status"])
            for r in self.aws.requests()
            if r["access_key_id"] == KEY_ID
        ]
        marks = [(name, round(t - origin, 3)) for name, t in self.marks]
        path.write_text(json.dumps({"phases": marks, "requests": requests}, indent=0))

    def calls(self, key: str = "service") -> dict[str, Counter[Any]]:
        """Requests by phase, counted by ``key`` (``service``, ``status``...)."""
        requests = [r for r in self.aws.requests() if r["access_key_id"] == KEY_ID]
        out: dict[str, Counter[Any]] = {name: Counter() for name, _ in self.marks}
        bounds = [*self.marks[1:], ("", math.inf)]
        for (name, begin), (_, end) in zip(self.marks, bounds, strict=True):
            for r in requests:
                if begin <= r["time"] < end:
                    out[name][r[key]] += 1
        return out


@pytest.fixture
def forwarder(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[TcpForwarder]:
    """The operator reaches AWS through a TCP forwarder of the test."""
    target = urlparse(aws.url)
    proxy = TcpForwarder((str(target.hostname), int(target.port or 80))).start()
    for name in ("AWS_SECRETSMANAGER_ENDPOINT", "AWS_SSM_ENDPOINT", "AWS_STS_ENDPOINT"):
        monkeypatch.setenv(name, proxy.url)
    yield proxy
    proxy.close()


@pytest.fixture
def attempts(forwarder: TcpForwarder) -> Iterator[SynCounter | None]:
    """Connection attempts to the forwarder's port, refused ones included (None without the
    privilege to read the loopback interface: those figures are then not measured)."""
    counter = SynCounter.open(forwarder.port)
    yield counter
    if counter is not None:
        counter.close()


def test_aws_outage(kube, aws, forwarder, attempts, run_operator, figures, tmp_path) -> None:
    seed(aws)
    ns = kube.namespace("outage")
    for doc in manifests(ns):
        kube.apply(doc)
    began = time.monotonic()
    operator = run_operator("--namespace", ns)
    wait_for(lambda: all_ready(kube, ns, SYNCED), 120, "every ExternalSecret synced")
    figures("externalsecrets", COUNT)
    figures("refresh_interval_s", REFRESH)
    figures("phase_s", PHASE)
    figures("first_sync_s", round(time.monotonic() - began, 1))
    before = secrets(kube, ns)
    assert len(before) == COUNT
    assert {
        name: base64.b64decode(data["value"]).decode() for name, (_, data) in before.items()
    } == {f"es-{n:04d}": value_of(n) for n in range(COUNT)}
    writes_before = secret_writes(kube)
    served_before = kube.requests_served()
    assert update_failed(kube, ns) == {}
    phases = Phases(aws)
    errors: dict[str, int] = {}

    def phase(name: str, fault: Callable[[], None], then: Callable[[], None] | None = None) -> None:
        """``fault`` in force, the phase starts (``then`` completes it) and lasts PHASE."""
        scraped = error_calls(operator.scrape())
        fault()
        phases.start(name)
        if then is not None:
            then()
        time.sleep(PHASE)
        errors[name] = error_calls(operator.scrape()) - scraped

    # 1. 5xx from every service: Secrets Manager's InternalServiceError, ServiceUnavailable from
    # the others (the first fault that matches answers)
    def server_errors() -> None:
        aws.fail("secretsmanager", ANY, "InternalServiceError", status=500, count=-1)
        aws.fail(ANY, ANY, "ServiceUnavailable", status=503, count=-1)

    phase("5xx", server_errors)
    # every ExternalSecret failed within a grid step (the first cycle of each store)
    assert all_ready(kube, ns, FAILED), readiness(kube, ns)
    # 2. nothing listens: connections are refused
    phase("refused", forwarder.close, aws.reset_faults)
    assert all_ready(kube, ns, FAILED), readiness(kube, ns)
    # 3. throttling
    phase(
        "throttled", lambda: aws.fail(ANY, ANY, "ThrottlingException", count=-1), forwarder.reopen
    )
    outage_end = time.monotonic()
    served = kube.requests_served() - served_before
    # during the outage: no Secret written, every Ready False with ESO's texts
    during = secrets(kube, ns)
    assert during == before
    assert secret_writes(kube) - writes_before == 0
    assert all_ready(kube, ns, FAILED), readiness(kube, ns)
    # the status was written once per ExternalSecret (Ready turned False), not once per retry
    assert served["PATCH externalsecrets/status"] == COUNT, served
    figures("status_writes_during_outage", served["PATCH externalsecrets/status"])
    figures("events_posted_during_outage", served["POST events"])

    # AWS is back
    aws.reset_faults()
    phases.start("recovery")
    wait_for(
        lambda: all_ready(kube, ns, SYNCED), recovery_bound(), "every ExternalSecret Ready again"
    )
    recovered = time.monotonic() - outage_end
    phases.start("after")
    after = secrets(kube, ns)

    calls = phases.calls()
    phases.save(tmp_path / "aws-requests.json")
    windows = phases.windows()
    for name in ("5xx", "refused", "throttled", "recovery"):
        figures(f"aws_requests_{name}", dict(calls[name]))
    for name, count in errors.items():
        figures(f"failed_calls_counted_by_operator_{name}", count)
    if attempts is not None:
        for name, (begin, end) in windows.items():
            figures(f"connection_attempts_{name}", attempts.between(attempts.syns, begin, end))
        refused = windows["refused"]
        figures("connections_refused", attempts.between(attempts.resets, *refused))
    bound = {s: call_bound(s, PHASE) for s in PER_CALL}
    figures("bound_requests_per_phase", bound)
    figures("cycle_starts_s", phases.cycles())
    figures("recovery_s", round(recovered, 1))
    figures("secrets_written_during_outage", secret_writes(kube) - writes_before)
    figures("update_failed_events", sum(map(len, update_failed(kube, ns).values())))

    # the values did not change: recovering writes no Secret either
    assert after == before
    assert secret_writes(kube) - writes_before == 0
    # recovering took one successful cycle per store, two when one was under way as AWS came
    # back (its calls made before failed, those after succeeded)
    assert phases.calls("status")["recovery"].keys() == {200}
    for service in PER_CALL:
        assert calls_per_cycle(service) <= calls["recovery"][service], calls["recovery"]
        assert calls["recovery"][service] <= 2 * calls_per_cycle(service), calls["recovery"]
    # nothing reached AWS while nothing listened; the operator counted the refused calls
    assert calls["refused"] == Counter()
    if attempts is not None:
        # every attempt to connect was refused (a reset from the port), within the bound
        tried = attempts.between(attempts.syns, *windows["refused"])
        assert attempts.between(attempts.resets, *windows["refused"]) == tried
        assert errors["refused"] <= tried <= sum(bound.values())
    for name in ("5xx", "refused", "throttled"):
        for service in PER_CALL:
            assert calls[name][service] <= bound[service], (name, service, calls[name])
    # each ExternalSecret's failures were named, phase by phase, without its value
    named = {
        "sm": ("InternalServiceError", REFUSED, "ThrottlingException"),
        "ps": ("ServiceUnavailable", REFUSED, "ThrottlingException"),
    }
    messages = update_failed(kube, ns)
    for n in range(COUNT):
        mine = [m for m in messages[f"es-{n:04d}"] if "outage-value-" not in m]
        assert len(mine) == len(messages[f"es-{n:04d}"])
        for text in named["sm" if n % 2 == 0 else "ps"]:
            assert any(text in m for m in mine), (n, text, mine)
