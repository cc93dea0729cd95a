"""The reference platform's own endpoint for trying its messages: an SMS gateway or a
12345 work-order intake stand-in that a hall's IT points `[platform] sms_url` or
`hotline_url` at before the real one is connected. It takes each POST, keeps each
Idempotency-Key once (as a gateway that honours the key would: a retry after a lost
answer is answered 200 and not kept again), appends what it kept to a JSON Lines file
(owner-only: it holds phone numbers) and prints one masked line per message."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from window_tui.domain.masking import MaskPolicy


def summary(key: str, body: dict[str, Any]) -> str:
    """One line for the terminal, with any phone number masked."""
    mask = MaskPolicy()
    if "order_id" in body:  # a 12345 work order
        return f"工单 {body['order_id']}  {body.get('category', '')}  {mask.phone(str(body.get('contact', {}).get('phone', '')))}"
    return f"短信 {mask.phone(str(body.get('to', '')))}  {body.get('text', '')}  （{key}）"


class MessageSink:
    def __init__(self, out: Path, host: str = "127.0.0.1", port: int = 0,
                 echo: Callable[[str], None] | None = None) -> None:
        self.out = out
        self.keys: set[str] = set()
        self.received = 0  # every POST, kept or repeated
        self._lock = threading.Lock()
        self._echo = echo or (lambda line: print(line, flush=True))
        if out.exists():  # started again on the same file: the keys it kept before still count
            for line in out.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    self.keys.add(json.loads(line)["key"])
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(min(length, 1 << 20)) or b"{}")
                except ValueError:
                    self._answer(400, {"ok": False, "error": "请求体不是 JSON"})
                    return
                key = self.headers.get("Idempotency-Key", "")
                self._answer(200, {"ok": True, "repeated": sink.take(key, body)})

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                return  # one line per message is printed by take()

        self.server = ThreadingHTTPServer((host, port), Handler)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/send"

    def take(self, key: str, body: dict[str, Any]) -> bool:
        """Keep a message once per key; True when the key was seen before."""
        with self._lock:
            self.received += 1
            if key and key in self.keys:
                return True
            self.keys.add(key)
            descriptor = os.open(self.out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"key": key, "body": body}, ensure_ascii=False) + "\n")
        self._echo(summary(key, body))
        return False

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
