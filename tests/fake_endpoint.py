"""An outside HTTP endpoint the platform posts to (an SMS gateway, the 12345 hotline's
work-order intake), on loopback: it records every request, takes each Idempotency-Key
once (as a real gateway that honours the key would), and can fail on purpose."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeEndpoint:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []  # every POST, accepted or not
        self.accepted: dict[str, dict[str, Any]] = {}  # Idempotency-Key -> body, first time only
        self.fail_next = 0  # answer this many requests with `fail_status`
        self.fail_status = 503
        self.lose_answer_next = 0  # take the request, then drop the connection without answering
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                key = self.headers.get("Idempotency-Key", "")
                with endpoint._lock:
                    endpoint.requests.append({"key": key, "body": body})
                    if endpoint.fail_next > 0:
                        endpoint.fail_next -= 1
                        status = endpoint.fail_status
                    else:
                        endpoint.accepted.setdefault(key, body)
                        status = 200
                        if endpoint.lose_answer_next > 0:
                            endpoint.lose_answer_next -= 1
                            self.close_connection = True
                            self.connection.close()
                            return
                payload = json.dumps({"ok": status == 200, "order": key}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                return  # the test reads `requests`, not stderr

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/send"

    def __enter__(self) -> FakeEndpoint:
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
