"""A stand-in for ECR Public's GetAuthorizationToken (moto does not implement ECR Public).

It speaks the JSON protocol on 127.0.0.1: it refuses a request that is not SigV4-signed for
``ecr-public`` or whose ``X-Amz-Target`` is not ``SpencerFrontendService.GetAuthorizationToken``,
and answers with the token it is given. Tests reach it through ``AWS_ECR_PUBLIC_ENDPOINT``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TARGET = "SpencerFrontendService.GetAuthorizationToken"
_SIGNED = re.compile(r"^AWS4-HMAC-SHA256 Credential=[^/]+/\d{8}/([^/]+)/ecr-public/aws4_request")


class EcrPublic:
    """The responder; ``token`` is the decoded ``user:password`` it hands out."""

    def __init__(self) -> None:
        self.token = "AWS:public-token"
        self.expires_at = time.time() + 12 * 3600
        self.requests: list[dict[str, Any]] = []
        responder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                signed = _SIGNED.match(self.headers.get("Authorization", ""))
                target = self.headers.get("X-Amz-Target", "")
                responder.requests.append(
                    {"region": signed.group(1) if signed else None, "target": target}
                )
                if signed is None or target != TARGET:
                    self._send(400, {"__type": "InvalidSignatureException", "message": "no"})
                    return
                token = base64.b64encode(responder.token.encode()).decode()
                self._send(
                    200,
                    {
                        "authorizationData": {
                            "authorizationToken": token,
                            "expiresAt": responder.expires_at,
                        }
                    },
                )

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> EcrPublic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
