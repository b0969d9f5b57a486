"""The operator's HTTP endpoints: ``/healthz`` and ``/readyz``, and ``/metrics``.

``/healthz`` (the liveness probe) is 503, with what is wrong in the body, when ``alive`` names a
problem (the reconcile loop stuck in one iteration: restarting the process is the cure); else
200, also on a standby replica and while the caches are not synced yet (waiting out an outage is
not a reason to restart). ``/readyz`` is 200 once the caches are synced and this replica leads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["Endpoints", "parse_address"]


def parse_address(text: str) -> tuple[str, int]:
    """``:8080`` (every interface), ``127.0.0.1:8080``, or ``0`` to turn the endpoint off."""
    host, _, port = text.rpartition(":")
    return host or "0.0.0.0", int(port)


class Endpoints:
    """Serves health on one address and metrics on another (or both on one)."""

    def __init__(
        self,
        registry: CollectorRegistry,
        ready: Callable[[], bool],
        alive: Callable[[], str | None] = lambda: None,
    ) -> None:
        self._registry = registry
        self._ready = ready
        self._alive = alive
        self._servers: list[ThreadingHTTPServer] = []

    def _handler(self, routes: set[str]) -> type[BaseHTTPRequestHandler]:
        registry, ready, alive = self._registry, self._ready, self._alive

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path == "/metrics" and "metrics" in routes:
                    self._send(200, generate_latest(registry), CONTENT_TYPE_LATEST)
                elif path == "/healthz" and "health" in routes:
                    problem = alive()
                    if problem is None:
                        self._send(200, b"ok", "text/plain")
                    else:
                        self._send(503, f"not alive: {problem}".encode(), "text/plain")
                elif path == "/readyz" and "health" in routes:
                    ok = ready()
                    self._send(200 if ok else 503, b"ok" if ok else b"not ready", "text/plain")
                else:
                    self._send(404, b"not found", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def serve(self, address: tuple[str, int], routes: set[str]) -> tuple[str, int]:
        """Start one server; returns the address it listens on (port 0: a free one)."""
        server = ThreadingHTTPServer(address, self._handler(routes))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
        self._servers.append(server)
        host, port = server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
