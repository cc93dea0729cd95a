"""`window-tui serve` in a child process on a free loopback port, for tests and benches."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_child(process: subprocess.Popen[bytes]) -> None:
    """Ask a child process to end (SIGTERM: a clean shutdown), kill it after 10 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class ServeProcess:
    def __init__(self, db: Path | str, *, windows: int = 8, persons: int = 1000, port: int = 0,
                 env: dict[str, str] | None = None, workers: int = 1, workdir: Path | None = None) -> None:
        """`db`: a SQLite file or a PostgreSQL URL (then `workdir` holds the process's files)."""
        self.db, self.windows, self.persons, self.workers = db, windows, persons, workers
        self.workdir = workdir or (db.parent if isinstance(db, Path) else Path(tempfile.mkdtemp()))
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, seed: bool = True) -> ServeProcess:
        args = [sys.executable, "-m", "window_tui.cli", "serve", "--db", str(self.db), "--port", str(self.port),
                "--windows", str(self.windows), "--persons", str(self.persons), "--workers", str(self.workers)]
        if seed:
            args.append("--seed-demo")
        env = {**os.environ, "WINDOW_TUI_CONFIG": str(self.workdir / "no-config.toml"), **self.env}
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.process.stderr.read().decode() if self.process.stderr else "serve exited")
            try:
                urllib.request.urlopen(self.url + "/api/v1/health", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("serve did not answer")

    def stop(self) -> None:
        if self.process is not None:
            stop_child(self.process)
        self.process = None

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def login(self, window: int) -> str:
        return self.post("/auth/login", {"clerk": str(1000 + window), "password": f"demo{1000 + window}",
                                         "window": window})["token"]

    def post(self, path: str, body: dict[str, Any], token: str = "") -> dict[str, Any]:
        request = urllib.request.Request(self.url + "/api/v1" + path, data=json.dumps(body).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        return json.loads(urllib.request.urlopen(request, timeout=10).read())

    def __enter__(self) -> ServeProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def issue_in_parallel(servers: list[ServeProcess], total: int, threads: int) -> list[str]:
    """`total` tickets of random services from `threads` kiosks at once, spread over the
    servers; returns what went wrong (empty when every ticket was issued)."""
    import http.client
    import random
    import threading

    errors: list[str] = []

    def kiosk(seed: int) -> None:
        rng = random.Random(seed)
        server = servers[seed % len(servers)]
        connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
        for _ in range(total // threads):
            connection.request("POST", "/api/v1/tickets", body=json.dumps({"service": rng.choice("ABCD")}),
                               headers={"Authorization": "Bearer demo-kiosk-token",
                                        "Content-Type": "application/json"})
            response = connection.getresponse()
            if response.read() and response.status != 201:
                errors.append(f"issue {response.status}")

    workers = [threading.Thread(target=kiosk, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors
