"""A local AWS for tests and the demo: moto's server on 127.0.0.1, wrapped so that what reached
it can be read back and chosen calls can be made to fail.

Needs the ``emulator`` extra (moto). Run it on its own with
``python -m extsecrets_aws_auth.emulator [--port N] [--url-file PATH]``; it prints its URL.

Besides moto's API (``POST /moto-api/reset`` clears every service), it serves:

- ``GET /_extsecrets/requests``: every AWS request received, oldest first, as JSON objects
  ``{service, operation, params, access_key_id, region, status, headers, time}`` (``time``:
  when it arrived, UTC seconds); ``DELETE`` forgets them.
- ``POST /_extsecrets/faults`` with ``{service, operation, code, status, message, count}``: the
  next ``count`` matching requests (``count`` -1: all) get that error instead of an answer (with
  ``body`` instead of ``code``: that JSON answer; with ``contains``: only requests whose body
  holds that text, as when AWS refuses one id; with ``replace`` true: instead of every fault
  there was, in one step); ``DELETE`` removes every fault. A ``service``
  or ``operation`` that is ``"*"`` or left out matches every one (an outage of all of AWS).

moto keeps no record of some parameters (STS session tags), hence the recorder.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

__all__ = ["ANY", "Emulator", "EmulatorClient"]

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d+/([^/]+)/([^/]+)/")
_CONTROL = "/_extsecrets/"
# Unsigned query-protocol calls (AssumeRoleWithWebIdentity) name their API by version only.
_UNSIGNED_VERSIONS = {"2011-06-15": "sts"}
#: a fault's service or operation that matches every one
ANY = "*"
StartResponse = Callable[..., Any]


class _Recorder:
    """WSGI middleware: records each AWS request, injects faults, serves the control API."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.faults: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(_CONTROL):
            return self._control(path[len(_CONTROL) :], environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        entry = _describe(environ, body)
        fault = self._take_fault(entry, body) if entry is not None else None
        if entry is not None and fault is not None:
            entry["status"] = int(fault.get("status", 400))
            self._record(entry)
            return _fault_response(entry, fault, start_response)
        status_box: list[str] = []

        def recording_start(status: str, headers: Any, exc_info: Any = None) -> Any:
            status_box.append(status)
            return (
                start_response(status, headers, exc_info)
                if exc_info
                else start_response(status, headers)
            )

        result = self._app(environ, recording_start)
        if entry is not None:
            entry["status"] = int(status_box[0].split()[0]) if status_box else 0
            self._record(entry)
        return result

    def _record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)

    def _take_fault(self, entry: dict[str, Any], body: bytes = b"") -> dict[str, Any] | None:
        with self._lock:
            for fault in self.faults:
                if str(fault.get("contains", "")).encode() not in body:
                    continue
                if fault.get("service", ANY) not in (ANY, entry["service"]):
                    continue
                if fault.get("operation", ANY) not in (ANY, entry["operation"]):
                    continue
                if fault.get("access_key_id", entry["access_key_id"]) != entry["access_key_id"]:
                    continue
                if fault["count"] == 0:
                    continue
                if fault["count"] > 0:
                    fault["count"] -= 1
                return fault
        return None

    def _control(
        self, what: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        payload = environ["wsgi.input"].read(length) if length else b""
        out: Any = {}
        with self._lock:
            if what == "requests" and method == "GET":
                out = self.requests
            elif what == "requests" and method == "DELETE":
                self.requests = []
            elif what == "faults" and method == "POST":
                fault = json.loads(payload)
                fault.setdefault("count", 1)
                if fault.pop("replace", False):
                    self.faults = []
                self.faults.append(fault)
            elif what == "faults" and method == "DELETE":
                self.faults = []
            else:
                start_response("404 Not Found", [("Content-Type", "application/json")])
                return [b"{}"]
            body = json.dumps(out).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]


def _describe(environ: dict[str, Any], body: bytes) -> dict[str, Any] | None:
    """Service, operation and parameters of an AWS request (JSON or query protocol)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _CREDENTIAL.search(auth)
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    params: dict[str, Any] = {}
    operation = ""
    if target:
        operation = target.rpartition(".")[2]
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
    elif body and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        form = parse_qs(body.decode(), keep_blank_values=True)
        params = {k: v[0] if len(v) == 1 else v for k, v in form.items()}
        operation = str(params.pop("Action", ""))
    if not operation and not match:
        return None
    service = match.group(3) if match else _UNSIGNED_VERSIONS.get(str(params.get("Version")), "")
    return {
        "service": service,
        "operation": operation,
        "params": params,
        "access_key_id": match.group(1) if match else None,
        "region": match.group(2) if match else None,
        "status": 0,
        "time": time.time(),
        "headers": {
            k[5:].replace("_", "-").lower(): v
            for k, v in environ.items()
            if k.startswith("HTTP_") and k not in ("HTTP_AUTHORIZATION",)
        }
        | {"authorization": "present" if auth else ""},
    }


def _fault_response(
    entry: dict[str, Any], fault: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    status = int(fault.get("status", 400))
    if "body" in fault:  # a made-up answer rather than an error
        start_response(f"{status} OK", [("Content-Type", "application/x-amz-json-1.1")])
        return [json.dumps(fault["body"]).encode()]
    code = str(fault.get("code", "InternalFailure"))
    message = str(fault.get("message", "injected by the test emulator"))
    reason = {400: "Bad Request", 403: "Forbidden", 429: "Too Many Requests"}.get(status, "Error")
    if entry["headers"].get("x-amz-target"):
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    else:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    start_response(f"{status} {reason}", headers)
    return [body]


class Emulator:
    """moto's server with the recorder, on 127.0.0.1 (``port`` 0: any free port)."""

    def __init__(self, port: int = 0) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                """One line per request on stderr is noise in tests and the demo."""

        self.recorder = _Recorder(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            "127.0.0.1", port, self.recorder, threaded=True, request_handler=QuietHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Emulator:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="aws-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)


class EmulatorClient:
    """Talks to an emulator by URL (in this process or another one)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read() or b"null")

    def reset(self) -> None:
        """Forget every AWS resource, recorded request and fault."""
        self._call("POST", "/moto-api/reset", {})
        self._call("DELETE", "/_extsecrets/requests")
        self._call("DELETE", "/_extsecrets/faults")

    def requests(
        self, service: str | None = None, operation: str | None = None
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET", "/_extsecrets/requests")
        return [
            r
            for r in found
            if (service is None or r["service"] == service)
            and (operation is None or r["operation"] == operation)
        ]

    def clear_requests(self) -> None:
        self._call("DELETE", "/_extsecrets/requests")

    def reset_faults(self) -> None:
        self._call("DELETE", "/_extsecrets/faults")

    def answer(
        self, service: str, operation: str, body: Any, *, count: int = 1, status: int = 200
    ) -> None:
        """Make the next ``count`` matching calls get ``body`` (JSON) instead of moto's answer."""
        self._call(
            "POST",
            "/_extsecrets/faults",
            {
                "service": service,
                "operation": operation,
                "body": body,
                "status": status,
                "count": count,
            },
        )

    def fail(
        self,
        service: str,
        operation: str,
        code: str,
        *,
        status: int = 400,
        message: str = "injected by the test emulator",
        count: int = 1,
        access_key_id: str | None = None,
        contains: str | None = None,
        replace: bool = False,
    ) -> None:
        """Make the next ``count`` matching calls fail (``count`` -1: every one); with
        ``contains``, only calls whose request body holds that text. ``service`` or
        ``operation`` :data:`ANY` (``"*"``) matches every one: ``fail(ANY, ANY, ...)`` is an
        outage of every AWS service the emulator serves. With ``replace``, this fault takes
        the place of every other at once (no call slips through between two faults)."""
        fault: dict[str, Any] = {
            "service": service,
            "operation": operation,
            "code": code,
            "status": status,
            "message": message,
            "count": count,
        }
        if access_key_id is not None:
            fault["access_key_id"] = access_key_id
        if contains is not None:
            fault["contains"] = contains
        if replace:
            fault["replace"] = True
        self._call("POST", "/_extsecrets/faults", fault)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--url-file", help="write the URL here once listening")
    args = parser.parse_args(argv)
    emulator = Emulator(args.port).start()
    if args.url_file:
        with open(args.url_file, "w", encoding="utf-8") as out:
            out.write(emulator.url)
    print(emulator.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        emulator.stop()


if __name__ == "__main__":
    main()
