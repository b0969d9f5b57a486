"""Issue 17, item 1, what the AWS service plugins' outage tests share
(plugins/aws_*/tests/test_outage_short_circuit.py): once a batch call of a cycle fails because
of AWS (5xx, throttling, a connection cut), the other chunks of that cycle fail with the same
temporary error without being sent; a 4xx about one id still splits. Counted from what reached
the emulator, and for the connection cut from the connections a listener accepted."""

from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from aws_kit import AuthWorld, external_secret, synced

from extsecrets_aws_auth.emulator import ANY

__all__ = ["ATTEMPTS", "Batched", "CuttingListener"]

#: botocore's standard retry mode: attempts per call (the stores set no retrySettings)
ATTEMPTS = 3


class CuttingListener:
    """A port on 127.0.0.1 that accepts each connection and cuts it at once (a reset), before
    any answer: a connection error whose attempts can be counted."""

    def __init__(self) -> None:
        self.accepted = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


@dataclass(frozen=True)
class Batched:
    """One service's batched reads: its store, its batch operation and the ids it carries."""

    store: str
    service: str
    operation: str
    ids_param: str
    size: int
    endpoint_env: str
    names: list[str]

    def world(self) -> AuthWorld:
        """One ExternalSecret per name, all on one store: one cycle reads them together."""
        return AuthWorld(
            self.store,
            *(
                external_secret(f"e{i:02d}", data=[{"secretKey": "v", "remoteRef": {"key": n}}])
                for i, n in enumerate(self.names)
            ),
        )

    def chunks(self) -> list[list[str]]:
        return [self.names[i : i + self.size] for i in range(0, len(self.names), self.size)]

    def batches(self, aws: Any) -> list[list[str]]:
        """The ids of each batch call that reached the emulator."""
        return [r["params"][self.ids_param] for r in aws.requests(self.service, self.operation)]

    def all_failed_with(self, results: dict[str, Any], *texts: str) -> None:
        """Every ExternalSecret failed, to be retried, with one and the same error, holding
        one of ``texts``."""
        assert len(results) == len(self.names)
        errors = set()
        for key, result in results.items():
            assert not result.ok, key
            assert result.retry, (key, result.error)
            errors.add((result.error or "").partition(", err: ")[2])
        assert len(errors) == 1, errors
        assert any(text in next(iter(errors)) for text in texts), errors

    def outage(self, aws: Any, code: str, status: int) -> None:
        """Every call fails with ``code``: one chunk call's attempts reach AWS, every reference
        fails with its error; the next cycle asks again and reads every chunk."""
        assert len(self.chunks()) == 3
        aws.fail(ANY, ANY, code, status=status, count=-1)
        self.all_failed_with(synced(self.world()), code)
        assert self.batches(aws) == [self.chunks()[0]] * ATTEMPTS
        assert len(aws.requests()) == ATTEMPTS
        aws.reset_faults()
        aws.clear_requests()
        again = synced(self.world())
        assert all(r.ok for r in again.values()), [r.error for r in again.values() if not r.ok]
        assert self.batches(aws) == self.chunks()

    def connection_cut(self, aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """Every connection is cut before an answer: one chunk call's attempts connect."""
        listener = CuttingListener()
        try:
            monkeypatch.setenv(self.endpoint_env, listener.url)
            results = synced(self.world())
            accepted = listener.accepted
        finally:
            listener.close()
        # the reset comes while connecting or while waiting for the answer
        self.all_failed_with(
            results, "Could not connect to the endpoint URL", "Connection was closed"
        )
        assert accepted == ATTEMPTS
        assert aws.requests() == []

    def one_bad_id(self, aws: Any, code: str) -> None:
        """A 4xx about one id is no outage: its chunk is split down to it, and the other
        chunks are still sent."""
        bad = self.names[3]
        aws.fail(self.service, self.operation, code, status=400, contains=f'"{bad}"', count=-1)
        results = synced(self.world())
        assert not results["app/e03"].ok
        assert code in (results["app/e03"].error or "")
        assert all(r.ok for k, r in results.items() if k != "app/e03")
        calls = self.batches(aws)
        assert calls[0] == self.chunks()[0]
        assert [bad] in calls
        assert calls[-2:] == self.chunks()[1:]

    def outage_during_split(self, aws: Any, code: str) -> None:
        """A chunk split because of one id (``code``, a 4xx) meets a 503 on a part: the parts
        and chunks not asked yet fail with the 503's error unsent."""
        first = self.chunks()[0]
        aws.fail(self.service, self.operation, code, status=400, contains=f'"{first[3]}"', count=-1)
        aws.fail(ANY, ANY, "ServiceUnavailable", status=503, count=-1)
        results = synced(self.world())
        self.all_failed_with(results, "ServiceUnavailable")
        # first halves holding the bad id get the 4xx, until one without it gets the 503
        parts = [first]
        while first[3] in parts[-1]:
            parts.append(parts[-1][: (len(parts[-1]) + 1) // 2])
        assert len(parts) >= 3
        assert self.batches(aws) == [*parts[:-1], *[parts[-1]] * ATTEMPTS]
