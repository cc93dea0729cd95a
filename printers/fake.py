"""A fake network printer on 127.0.0.1 (port 9100 protocol) for tests and
demos. It answers DLE EOT status queries as told and records every job.

Modes: online, paper_out, cover_open, paper_near_end, silent (accepts
connections, never answers), disconnect (closes after `cut_after` bytes of a job).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field

STATUS_BYTES = {
    "online": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12},
    "paper_out": {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x72},
    "paper_near_end": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E},
    "cover_open": {1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12},
    "cutter_error": {1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12},
}


@dataclass
class FakePrinter:
    mode: str = "online"
    cut_after: int = 64
    host: str = "127.0.0.1"
    port: int = 0
    jobs: list[bytes] = field(default_factory=list)
    partial_jobs: list[bytes] = field(default_factory=list)  # cut off by a disconnect
    connections: int = 0
    socket_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind((self.host, self.port))
        self.port = self._server.getsockname()[1]
        self._server.listen(16)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="fake-printer")
        self._thread.start()

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def close(self) -> None:
        self._stop.set()
        # shutdown wakes the thread blocked in accept(); close alone does not on Linux
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        self._thread.join(timeout=2)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        received = bytearray()
        dropped = False
        conn.settimeout(5)
        try:
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                received += chunk
                while received[:2] == b"\x10\x04" and len(received) >= 3:
                    n = received[2]
                    del received[:3]
                    if self.mode != "silent" and self.mode != "disconnect":
                        conn.sendall(bytes([STATUS_BYTES.get(self.mode, STATUS_BYTES["online"])[n]]))
                    elif self.mode == "disconnect":
                        conn.sendall(bytes([0x12]))
                if self.mode == "disconnect" and len(received) >= self.cut_after:
                    # Drop the connection with unread data: the sender sees a reset.
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    conn.close()
                    dropped = True
                    return
        except OSError as exc:  # the sender went away mid-job: the job counts as partial
            self.socket_errors.append(repr(exc))
            dropped = True
        finally:
            if received:
                (self.partial_jobs if dropped else self.jobs).append(bytes(received))
            with contextlib.suppress(OSError):
                conn.close()

    def __enter__(self) -> FakePrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
