"""Plugin faults (issue 17, item 7): a plugin that raises, hangs past its time limit, answers
garbage or leaks memory fails only its own ExternalSecrets; the operator stays healthy and the
other stores keep syncing.

The scenario runs `extsecrets run` as a real process against the real kube-apiserver, with a
faulty plugin distribution (tests/reliability/faulty_plugin, provider ``faulty``) installed with
pip into a folder of its own, as users install plugins; every store of it is told in its manifest
how to misbehave. The regression tests of the defects the scenario exposed drive the engine over
the local cluster (a fake of our own port) with the same plugin.

Time: a call past the plugin time limit is abandoned (Python cannot stop a thread); its lane (a
store with its credentials, a generator object) is then not waited for again: not called at all
while that call runs, called in the background once it has returned, waited for again once a
call answers in time. So a hung plugin holds one thread per lane, not one per cycle, and a slow
one delays the other stores' syncs by at most one time limit, once.

Memory (Python cannot cap what one thread allocates): an answer larger than ``MAX_ANSWER_BYTES``
is refused at the plugin boundary before the engine keeps it; the engine keeps nothing of a
cycle once it ends; and the process's resident memory is exported
(``process_resident_memory_bytes``), so a plugin that leaks shows there, where a memory limit and
an alert catch it. The scenario measures that the leak shows.
"""

from __future__ import annotations

import base64
import gc
import importlib.metadata
import json
import logging
import os
import re
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from engine_kit import GENERATORS, external_secret, install_into, ref, store
from kubernetes import watch
from operator_kit import wait_for
from reliability.kube_scenarios import scale

import extsecrets
from extsecrets.cluster.local import LocalCluster
from extsecrets.plugins import ENTRY_POINT_GROUP, MAX_ANSWER_BYTES, PluginHost
from extsecrets.sync import isolation
from extsecrets.sync.engine import Engine, SyncResult
from extsecrets.sync.isolation import SlowLanes
from extsecrets.types import AuthScheme, Credentials, ProviderService, Registration, SecretBytes

HERE = Path(__file__).parent
FAULTY = HERE / "faulty_plugin"
SECRET = "faulty-s3cr3t-7f3a9c1e"  # (the faulty plugin plants it; checked below to match)
MIB = 1024 * 1024
ERR = "error processing spec.data[0] (key: k), err: "
EXTRACT_ERR = "error processing spec.dataFrom[0].extract, err: "

#: fault -> the text the ExternalSecret's failure event carries (the Ready message says only
#: "could not get secret data from provider")
EXPECTED: dict[str, str] = {
    "raise": ERR + "plugin faulty failed in extsecrets_fetch: RuntimeError",
    "raise-evil": ERR + "plugin faulty failed in extsecrets_fetch: EvilError",
    "raise-evil-extsecrets": ERR + "the backend refused",
    "raise-exit": ERR + "plugin faulty failed in extsecrets_fetch: SystemExit",
    "not-a-mapping": ERR + "plugin faulty: extsecrets_fetch returned list, expected Mapping",
    "none": ERR + "plugin faulty: extsecrets_fetch returned NoneType, expected Mapping",
    "exception-returned": ERR
    + "plugin faulty: extsecrets_fetch returned RuntimeError, expected Mapping",
    "evil-object": ERR + "plugin faulty: extsecrets_fetch returned Evil, expected Mapping",
    "unreadable-mapping": ERR + "plugin faulty gave no answer for this reference",
    "exception-answer": ERR
    + "plugin faulty: extsecrets_fetch answered an exception (ValueError) instead of raising it",
    "evil-answer": ERR + "plugin faulty: extsecrets_fetch answered Evil, expected SecretBytes, "
    "SecretMap or an error",
    "evil-error-answer": ERR + "the backend refused",
    "leaky-repr": ERR + "plugin faulty: extsecrets_fetch answered Leaky, expected SecretBytes, "
    "SecretMap or an error",
    "str-value": ERR + "plugin faulty: extsecrets_fetch answered str, expected SecretBytes, "
    "SecretMap or an error",
    "none-answer": ERR + "plugin faulty: extsecrets_fetch answered NoneType, expected "
    "SecretBytes, SecretMap or an error",
    "str-bytes": ERR + "plugin faulty: extsecrets_fetch answered a SecretBytes holding a value "
    "of type str, expected bytes",
    "none-bytes": ERR + "plugin faulty: extsecrets_fetch answered a SecretBytes holding a value "
    "of type NoneType, expected bytes",
    "map-for-value": ERR + "the plugin answered SecretMap where a single value was expected",
    "huge": ERR + f"plugin faulty: extsecrets_fetch answered {8 * MIB // len(SECRET) * len(SECRET)}"
    f" bytes, more than the {MAX_ANSWER_BYTES} an answer may hold",
    # (maps: asked for with dataFrom[0].extract)
    "bad-keys": EXTRACT_ERR + "invalid secret keys (TIP: use rewrite or conversionStrategy to "
    "change keys): key has length 300 but max is 253: (following is truncated): ",
    "non-str-keys": EXTRACT_ERR
    + "plugin faulty: extsecrets_fetch answered a map with a key of type int, expected str",
    "raw-values": EXTRACT_ERR + "plugin faulty: extsecrets_fetch answered a map holding a value "
    "of type bytes, expected SecretBytes",
}
MAP_FAULTS = {"bad-keys", "non-str-keys", "raw-values"}
TIMED_OUT = ERR + "fetch from SecretStore {ns}/{store} did not finish within {timeout}s"
STILL_HUNG = "; it has not returned yet and is not called again until it does"
BACKGROUND = (
    " last time; called again in the background, not waited for until a call answers in time"
)


# --- the faulty plugin, installed ----------------------------------------------------------------


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The faulty plugin, installed with pip into a folder of its own."""
    target = tmp_path_factory.mktemp("faulty-plugins")
    install_into(target, FAULTY)
    return target


@pytest.fixture(scope="module")
def loaded(plugins_dir: Path, fake_plugin_dir: Path) -> tuple[PluginHost, ModuleType]:
    """(a host with the faulty and the fake plugins, the faulty plugin module)."""
    eps = [
        ep
        for folder in (plugins_dir, fake_plugin_dir)
        for dist in importlib.metadata.distributions(path=[str(folder)])
        for ep in dist.entry_points
        if ep.group == ENTRY_POINT_GROUP
    ]
    sys.path[:0] = [str(plugins_dir), str(fake_plugin_dir)]
    os.environ["EXTSECRETS_FAULTY_GENERATOR"] = "1"
    try:
        host = PluginHost.load(entry_points=eps, strict=True, disabled=())
    finally:
        sys.path.remove(str(plugins_dir))
        sys.path.remove(str(fake_plugin_dir))
        del os.environ["EXTSECRETS_FAULTY_GENERATOR"]
    module = sys.modules["extsecrets_test_faulty.plugin"]
    assert module.SECRET == SECRET
    return host, module


@pytest.fixture
def faulty(loaded: tuple[PluginHost, ModuleType]) -> Iterator[tuple[PluginHost, ModuleType]]:
    host, module = loaded
    module.RELEASE.clear()
    module.HANGING.clear()
    yield host, module
    module.RELEASE.set()  # the calls a test left hanging return


def faulty_store(name: str, fault: str = "", **config: Any) -> dict[str, Any]:
    doc = store(name, **config)
    doc["spec"]["provider"] = {"faulty": {"fault": fault, **config}}
    return doc


def faulty_es(name: str, store_name: str, fault: str = "", **spec: Any) -> dict[str, Any]:
    if fault in MAP_FAULTS:
        return external_secret(
            name, store_name=store_name, data_from=[{"extract": {"key": "k"}}], **spec
        )
    return external_secret(name, store_name=store_name, data=[ref("v", "k")], **spec)


class Local:
    """The engine over the local cluster, with the faulty plugin."""

    def __init__(self, host: PluginHost, *docs: dict[str, Any], **engine: Any) -> None:
        self.cluster = LocalCluster.from_documents(docs, host)
        for checked in self.cluster.checked:
            assert checked.ok, [p.line(checked.ident) for p in checked.problems]
        self.engine = Engine(host, self.cluster, **engine)

    def sync(self) -> dict[str, SyncResult]:
        return {r.name: r for r in self.engine.sync(self.cluster.external_secrets())}

    def texts(self) -> str:
        """Everything the cycles wrote that a user reads: events and statuses."""
        events = [e.message for e in self.cluster.events]
        return " ".join([*events, *(str(s) for s in self.cluster.statuses.values())])


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert [
        r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR
    ] == []


# --- regression tests, engine level ----------------------------------------------------------------


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_a_fault_fails_only_its_own_external_secret(faulty, fault, caplog) -> None:
    """Every garbage answer and every raise: one clear error, no traceback, no secret; the
    working store in the same cycle syncs. (Before: a SecretBytes holding a str was written as
    if it were bytes; one holding None, a map with an int key or an unreadable error text was an
    "internal error" with a traceback, the traceback showing the secret; a map of raw bytes
    failed the whole cycle, the working store too; SystemExit looked like a hang.)"""
    host, _ = faulty
    local = Local(
        host,
        faulty_store("good"),
        faulty_store("bad", fault),
        faulty_es("good", "good"),
        faulty_es("bad", "bad", fault),
        plugin_timeout=30,
    )
    results = local.sync()
    assert results["good"].ok
    assert not results["bad"].ok
    assert results["bad"].error is not None
    if fault == "bad-keys":
        assert results["bad"].error.startswith(EXPECTED[fault])
    else:
        assert results["bad"].error == EXPECTED[fault]
    assert local.cluster.get_secret("app", "bad") is None
    assert SECRET not in local.texts() + str(results) + caplog.text
    assert local.engine.lanes.abandoned == 0  # (none of them hangs)
    no_traceback(caplog)


def test_an_oversize_answer_is_not_kept(faulty) -> None:
    """The 8 MiB answers of the "huge" fault are refused at the plugin boundary: after the
    cycles nothing the plugin allocated for them is alive (before: the value went on to the
    Secret's write and was kept there)."""
    host, module = faulty
    local = Local(
        host, faulty_store("huge", "huge"), faulty_es("huge", "huge"), faulty_store("good")
    )
    tracemalloc.start()
    try:
        for _ in range(3):
            assert local.sync()["huge"].error == EXPECTED["huge"]
        gc.collect()
        alive = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(True, module.__file__)]
        )
    finally:
        tracemalloc.stop()
    assert sum(t.size for t in alive.traces) < MIB
    assert local.cluster.get_secret("app", "huge") is None


def test_a_store_that_hangs_costs_one_thread_not_one_per_cycle(faulty, caplog) -> None:
    """Before: every cycle started the hung store's fetch again, and abandoned one more thread
    (and waited the time limit again)."""
    host, module = faulty
    local = Local(
        host,
        faulty_store("good"),
        faulty_store("hang", "hang"),
        faulty_es("good", "good"),
        faulty_es("hang", "hang"),
        plugin_timeout=0.3,
    )
    first, second, third = local.sync(), local.sync(), local.sync()
    assert first["hang"].error == TIMED_OUT.format(ns="app", store="hang", timeout=0.3)
    assert second["hang"].error == third["hang"].error == first["hang"].error + STILL_HUNG
    assert second["hang"].retry
    assert all(r["good"].ok for r in (first, second, third))
    assert module.HANGING == ["fetch"]  # called once
    assert (local.engine.lanes.abandoned, len(local.engine.lanes)) == (1, 1)
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "plugin call abandoned"
    ]
    # once the call has returned, the next one runs in the background; as it answers in time,
    # the store is waited for again
    module.RELEASE.set()
    wait_for(lambda: len(local.engine.lanes) == 0, 30, "the abandoned call to return")
    assert local.engine.lanes.returned == 1
    assert local.sync()["hang"].error == first["hang"].error + BACKGROUND
    wait_for(lambda: local.engine.lanes.returned == 2, 30, "the background call to return")
    assert local.sync()["hang"].ok
    assert module.HANGING == ["fetch"] * 3
    assert (local.engine.lanes.abandoned, local.engine.lanes.background) == (1, 1)
    no_traceback(caplog)


def test_a_slow_store_is_waited_for_once_not_at_every_retry(faulty, caplog) -> None:
    """A store whose calls answer, but always after the time limit. Before: every retry made
    the cycle (and every other store's sync due meanwhile) wait the whole time limit."""
    host, _ = faulty
    local = Local(
        host,
        faulty_store("good"),
        faulty_store("slow", "slow", slowSeconds=0.5),
        faulty_es("good", "good"),
        faulty_es("slow", "slow"),
        plugin_timeout=0.2,
    )
    lanes = local.engine.lanes
    timed_out = TIMED_OUT.format(ns="app", store="slow", timeout=0.2)
    assert local.sync()["slow"].error == timed_out
    for n in (1, 2, 3):
        wait_for(lambda n=n: lanes.returned == n, 30, "the slow call to return")
        results = local.sync()
        assert results["slow"].error == timed_out + BACKGROUND
        assert results["slow"].retry
        assert results["good"].ok
    assert (lanes.abandoned, lanes.background) == (1, 3)  # waited for once
    no_traceback(caplog)


def test_a_lane_not_found_slow_for_an_hour_is_forgotten(monkeypatch) -> None:
    """Slow marks do not pile up for ever (stores deleted or edited into new lanes)."""
    lanes = SlowLanes()
    lanes._abandon("old", "fetch from SecretStore app/old")
    lanes._returned("old", in_time=False)
    assert lanes._state("old") == "slow"
    monkeypatch.setattr(isolation, "FORGET_SLOW", 0.0)  # (an hour later)
    lanes._abandon("new", "fetch from SecretStore app/new")
    assert (lanes._state("old"), lanes._state("new")) == ("", "running")


def test_a_hanging_generator_is_one_lane(faulty) -> None:
    host, module = faulty
    gen_ref = {"sourceRef": {"generatorRef": {"kind": "FaultyToken", "name": "stuck"}}}
    docs = [
        faulty_store("good"),
        {
            "apiVersion": GENERATORS,
            "kind": "FaultyToken",
            "metadata": {"name": "stuck", "namespace": "app"},
            "spec": {"fault": "hang"},
        },
        external_secret("a", store_name=None, data_from=[gen_ref]),
        faulty_es("good", "good"),
    ]
    local = Local(host, *docs, plugin_timeout=0.3)
    first, second = local.sync(), local.sync()
    wanted = (
        "error processing spec.dataFrom[0].sourceRef.generatorRef, err: generator FaultyToken "
        "did not finish within 0.3s"
    )
    assert (first["a"].error, second["a"].error) == (wanted, wanted + STILL_HUNG)
    assert first["good"].ok
    assert second["good"].ok
    assert module.HANGING == ["fetch"]  # (the fault's hang, called once)


GEN_ERR = "error processing spec.dataFrom[0].sourceRef.generatorRef, err: error using generator: "


@pytest.mark.parametrize(
    ("fault", "wanted"),
    [
        (
            "str-data",
            "plugin faulty: extsecrets_generate answered a map holding a value of type str, "
            "expected SecretBytes",
        ),
        (
            "bad-expiry",
            "plugin faulty: extsecrets_generate returned a Generated whose expires_at is a str, "
            "expected an aware datetime or None",
        ),
        (
            "naive-expiry",
            "plugin faulty: extsecrets_generate returned a Generated whose expires_at is a naive "
            "datetime, expected an aware datetime or None",
        ),
        (
            "huge",
            f"plugin faulty: extsecrets_generate answered {8 * MIB} bytes, more than the "
            f"{MAX_ANSWER_BYTES} an answer may hold",
        ),
        (
            "evil-error-returned",
            "plugin faulty: extsecrets_generate returned EvilPluginError, expected Generated",
        ),
        ("raise-evil-extsecrets", "the backend refused"),
    ],
)
def test_generator_garbage_fails_only_its_external_secret(faulty, fault, wanted, caplog) -> None:
    """Before: an expiry that is not a time, or a value that is not bytes, was an internal error
    with a traceback."""
    host, _ = faulty
    gen_ref = {"sourceRef": {"generatorRef": {"kind": "FaultyToken", "name": "gen"}}}
    local = Local(
        host,
        faulty_store("good"),
        {
            "apiVersion": GENERATORS,
            "kind": "FaultyToken",
            "metadata": {"name": "gen", "namespace": "app"},
            "spec": {"fault": fault},
        },
        external_secret("a", store_name=None, data_from=[gen_ref]),
        faulty_es("good", "good"),
    )
    results = local.sync()
    assert results["a"].error == GEN_ERR + wanted
    assert results["good"].ok
    assert SECRET not in local.texts() + caplog.text
    no_traceback(caplog)


def test_counting_hooks_garbage_is_left_out_of_the_metrics(faulty) -> None:
    """Before: a count that is not a number failed the whole /metrics scrape."""
    host, _ = faulty
    assert host.api_calls() == {("faulty", "Fetch", "success"): 1}


def test_failing_session_tags_do_not_fail_auth_that_takes_none(faulty) -> None:
    """The faulty plugin's session-tags hook raises. Before: every store of every plugin failed
    its credentials with it; now only auth hooks that take session tags see the failure (the
    fake provider's do not)."""
    host, _ = faulty
    fake_store = store("fake", data={"k": "v"})
    local = Local(host, fake_store, external_secret("e", store_name="fake", data=[ref("v", "k")]))
    assert local.sync()["e"].ok


class _Tagged:
    """An auth scheme whose hooks take session tags, and answer what a test sets."""

    key: Any = None
    expires: Any = None

    @extsecrets.hookimpl
    def extsecrets_register(self) -> Registration:
        import attrs

        @attrs.frozen
        class TaggedConfig:
            value: str = "v"

        return Registration(
            providers=[ProviderService("tagged", TaggedConfig, auth="tagged")],
            auth_schemes=[AuthScheme("tagged")],
        )

    @extsecrets.hookimpl
    def extsecrets_credentials_key(self, session_tags: Any) -> Any:
        return self.key

    @extsecrets.hookimpl
    def extsecrets_authenticate(self, session_tags: Any) -> Credentials:
        return Credentials("c", expires_at=self.expires)

    @extsecrets.hookimpl
    def extsecrets_fetch(self, refs: Any) -> Any:
        return {r: SecretBytes(b"v") for r in refs}


def _tagged_world(loaded_faulty: ModuleType, plugin: _Tagged) -> Local:
    host = PluginHost.from_plugins({"faulty": loaded_faulty, "tagged": plugin})
    doc = store("t")
    doc["spec"]["provider"] = {"tagged": {}}
    return Local(host, doc, external_secret("e", store_name="t", data=[ref("v", "k")]))


def test_failing_session_tags_fail_auth_that_takes_them(faulty) -> None:
    """Credentials without the tags a plugin meant to add are not the ones asked for."""
    _, module = faulty
    result = _tagged_world(module, _Tagged()).sync()["e"]
    assert result.error == (ERR + "plugin faulty failed in extsecrets_session_tags: RuntimeError")


@pytest.mark.parametrize(
    ("key", "expires", "wanted"),
    [
        (
            ["a", "list"],
            None,
            "plugin tagged: extsecrets_credentials_key returned a key of type list, which is not "
            "hashable",
        ),
        (
            "k",
            "tomorrow",
            "plugin tagged: extsecrets_authenticate returned a Credentials whose expires_at is "
            "a str, expected an aware datetime or None",
        ),
    ],
)
def test_credentials_garbage_fails_only_its_store(faulty, key, expires, wanted, caplog) -> None:
    """Before: an unhashable credentials key failed the whole cycle (the engine keys its
    caches by it); an expiry that is not a time failed it in the credential cache."""
    _, module = faulty
    plugin = _Tagged()
    plugin.key, plugin.expires = key, expires
    host = PluginHost.from_plugins({"tagged": plugin, "faulty": _without_tags(module)})
    doc = store("t")
    doc["spec"]["provider"] = {"tagged": {}}
    local = Local(
        host,
        doc,
        faulty_store("good"),
        external_secret("e", store_name="t", data=[ref("v", "k")]),
        faulty_es("good", "good"),
    )
    results = local.sync()
    assert results["e"].error == ERR + wanted
    assert results["good"].ok
    no_traceback(caplog)


def _without_tags(module: ModuleType) -> object:
    """The faulty plugin without its failing session-tags hook."""

    class Plugin:
        extsecrets_register = staticmethod(module.extsecrets_register)
        extsecrets_fetch = staticmethod(module.extsecrets_fetch)

    return Plugin()


# --- the scenario: `extsecrets run` with a faulty plugin ------------------------------------------


FAULT_WINDOW_REFRESHES = scale(5, 60)
PLUGIN_TIMEOUT = 2
#: what the leaking store keeps per fetch: well above the noise of the resident memory (the
#: oversize answers of the "huge" store come and go, 8 MiB each), well below a shared machine's
LEAK_MIB = scale(16, 4)


def _metric(text: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} not in the metrics"
    return float(found[1])


def _threads(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^Threads:\s+(\d+)$", status, re.MULTILINE)
    assert found
    return int(found[1])


class SecretWatch:
    """Every version of one Secret the API server holds, with when it was seen (a watch)."""

    def __init__(self, core: Any, namespace: str, name: str) -> None:
        self.values: list[tuple[float, str]] = []
        self.error: Exception | None = None
        self._stopped = False
        self._watch = watch.Watch()
        self._thread = threading.Thread(target=self._run, args=(core, namespace, name), daemon=True)
        self._thread.start()

    def _run(self, core: Any, namespace: str, name: str) -> None:
        try:
            for event in self._watch.stream(
                core.list_namespaced_secret,
                namespace,
                field_selector=f"metadata.name={name}",
                timeout_seconds=3600,
            ):
                if event["type"] in ("ADDED", "MODIFIED"):
                    data = event["object"].data or {}
                    value = base64.b64decode(data.get("v", "")).decode()
                    if not self.values or self.values[-1][1] != value:
                        self.values.append((time.monotonic(), value))
        except Exception as exc:  # (stopping it ends the response under it)
            if not self._stopped:
                self.error = exc

    def stop(self) -> None:
        self._stopped = True
        self._watch.stop()
        assert self.error is None, f"the watch failed: {self.error!r}"


def _events(kube: Any, namespace: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for event in kube.core.list_namespaced_event(namespace).items:
        if event.reason == "UpdateFailed":
            out.setdefault(event.involved_object.name, []).append(event.message)
    return out


def test_faulty_plugins_fail_only_their_own_external_secrets(
    kube, run_operator, plugins_dir, monkeypatch, figures
) -> None:
    """One store per fault, one ExternalSecret each (refreshed every 2 s), and a working store:
    every fault shows as its own error, then, while they go on, the working store's Secret is
    refreshed (counted at the API server with a watch) and /readyz and /healthz answer 200."""
    ns = kube.namespace("faults")
    faults = ["hang", "slow", "leak", *sorted(EXPECTED)]
    for fault in ["", *faults]:
        name = fault or "good"
        config = {"leakMib": LEAK_MIB} if fault == "leak" else {}
        doc = faulty_store(name, fault, **config)
        kube.apply({**doc, "metadata": {"name": name, "namespace": ns}})
        es = faulty_es(name, name, fault, refreshInterval="2s")
        es["metadata"]["namespace"] = ns
        kube.apply(es)
    monkeypatch.setenv("PYTHONPATH", str(plugins_dir))
    operator = run_operator(
        "--namespace", ns, "--plugin-timeout", str(PLUGIN_TIMEOUT), "--log-level", "debug"
    )
    pid = operator.process.pid
    good = SecretWatch(kube.core, ns, "good")
    try:
        # every fault has shown
        def shown() -> bool:
            events = _events(kube, ns)
            return all(
                any(m.startswith(EXPECTED[f]) for m in events.get(f, [])) for f in EXPECTED
            ) and (
                any(m.endswith(STILL_HUNG) for m in events.get("hang", []))
                and any(m.endswith(BACKGROUND) for m in events.get("slow", []))
            )

        wait_for(shown, 120, "every fault's error event")
        wait_for(lambda: (kube.ready(ns, "leak") or ("",))[0] == "True", 60, "the leak to sync")
        rss_before = _metric(operator.scrape(), "process_resident_memory_bytes")
        leaks_before = _value(kube, ns, "leak")
        threads_before = _threads(pid)
        seen_before = len(good.values)

        # the faults go on; the good store keeps refreshing, the operator keeps answering
        probes: list[tuple[int, str]] = []

        def refreshed() -> bool:
            probes.append(operator.get("/readyz"))
            probes.append(operator.get("/healthz"))
            return len(good.values) >= seen_before + FAULT_WINDOW_REFRESHES

        started = time.monotonic()
        wait_for(refreshed, FAULT_WINDOW_REFRESHES * 2 * 10 + 60, "the good store's refreshes")
        window = time.monotonic() - started
        assert set(probes) == {(200, "ok")}
        assert operator.process.poll() is None

        metrics = operator.scrape()
        rss_after = _metric(metrics, "process_resident_memory_bytes")
        leaks_after = _value(kube, ns, "leak")
        threads_after = _threads(pid)

        # the slow store was waited for once; its later calls ran in the background
        def calls(records: list[dict[str, Any]], store: str, message: str) -> int:
            call = f"fetch from SecretStore {ns}/{store} did not finish within {PLUGIN_TIMEOUT}s"
            return sum(1 for r in records if (r.get("message"), r.get("call")) == (message, call))

        def slow_settled() -> int:
            records = _records(operator.logs())
            made = calls(records, "slow", "plugin call started in the background")
            late = "a plugin call in the background returned, past its time limit"
            return made if made == calls(records, "slow", late) else 0

        background = wait_for(slow_settled, 60, "the slow store's calls to return")
    finally:
        good.stop()
    logs = operator.logs()
    records = _records(logs)

    # the faulty ExternalSecrets failed, each with its own error, and wrote no Secret
    events = _events(kube, ns)
    for fault in EXPECTED:
        assert kube.ready(ns, fault) == (
            "False",
            "SecretSyncedError",
            "could not get secret data from provider",
        )
        assert kube.secret(ns, fault) is None
        if fault == "bad-keys":  # (the key is quoted, cut)
            assert all(m.startswith(EXPECTED[fault]) for m in events[fault])
        else:
            assert set(events[fault]) == {EXPECTED[fault]}
    hang = TIMED_OUT.format(ns=ns, store="hang", timeout=PLUGIN_TIMEOUT)
    assert set(events["hang"]) == {hang, hang + STILL_HUNG}
    slow = TIMED_OUT.format(ns=ns, store="slow", timeout=PLUGIN_TIMEOUT)
    assert slow in events["slow"]
    assert slow + BACKGROUND in events["slow"]
    assert set(events["slow"]) <= {slow, slow + STILL_HUNG, slow + BACKGROUND}
    assert kube.secret(ns, "hang") is None
    assert kube.secret(ns, "slow") is None
    # the hung store cost one thread, once; the slow one was waited for once, then called in
    # the background, one call at a time
    assert calls(records, "hang", "plugin call abandoned") == 1
    assert calls(records, "hang", "an abandoned plugin call returned") == 0
    assert calls(records, "slow", "plugin call abandoned") == 1
    assert calls(records, "slow", "an abandoned plugin call returned") == 1
    abandoned = [r for r in records if r.get("message") == "plugin call abandoned"]
    assert len(abandoned) == 2
    started = [r for r in records if r.get("message") == "plugin call started in the background"]
    assert len(started) == calls(records, "slow", "plugin call started in the background")
    # the other stores, of this plugin and of another, kept syncing
    assert kube.ready(ns, "good")[0] == "True"
    assert kube.ready(ns, "leak")[0] == "True"
    # the metrics endpoint answers, the counting hook's garbage left out
    assert (
        'externalsecret_provider_api_calls_count{call="Fetch",provider="faulty",status="success"}'
        " 1.0" in metrics
    )
    # the leak shows in the exported resident memory
    leaked = (leaks_after - leaks_before) * LEAK_MIB * MIB
    assert leaked > 0
    assert rss_after - rss_before >= leaked / 2
    # no traceback, no internal error, no secret anywhere
    assert "Traceback" not in logs
    assert "internal error" not in logs
    everything = logs + json.dumps(events) + metrics
    for fault in [*faults, "good"]:
        everything += json.dumps(kube.external_secret(ns, fault))
    assert SECRET not in everything

    gaps = [
        b[0] - a[0]
        for a, b in zip(good.values[seen_before:], good.values[seen_before + 1 :], strict=False)
    ]
    figures("fault_window_s", round(window, 1))
    figures("good_store_refreshes_in_window", len(good.values) - seen_before)
    figures("good_store_refresh_gap_max_s", round(max(gaps), 2) if gaps else None)
    figures("good_store_refresh_gap_mean_s", round(sum(gaps) / len(gaps), 2) if gaps else None)
    every = [b[0] - a[0] for a, b in zip(good.values, good.values[1:], strict=False)]
    figures("good_store_refresh_gap_max_s_whole_run", round(max(every), 2) if every else None)
    figures("plugin_calls_abandoned", len(abandoned))
    figures("slow_store_calls_in_background", background)
    figures("threads_before_after", (threads_before, threads_after))
    figures("leaking_fetches_in_window", leaks_after - leaks_before)
    figures("leaked_mib_in_window", leaked // MIB)
    figures("rss_mib_before_after", (round(rss_before / MIB), round(rss_after / MIB)))
    figures("readyz_healthz_probes_all_200", len(probes))


def _records(logs: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in logs.splitlines() if line.startswith("{")]


def _value(kube: Any, namespace: str, name: str) -> int:
    """The fetch count a working faulty store wrote into its Secret (``<value>-<n>``)."""
    secret = kube.secret(namespace, name)
    return int(base64.b64decode(secret.data["v"]).decode().rsplit("-", 1)[1])
