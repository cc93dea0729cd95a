"""A fault-injecting HTTP proxy on loopback in front of the real platform.

Per request it picks a fault: pass through, refuse (platform down), 500,
429 with Retry-After, a slow answer (longer than the client's timeout), or a
reset in the middle of the response after the platform has processed the
request — the case that creates duplicates in naive clients."""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter

FAULTS = ("ok", "down", "500", "429", "slow", "reset")


class FaultProxy:
    def __init__(self, upstream_port: int, weights: dict[str, float], seed: int = 1, slow_seconds: float = 6.0) -> None:
        self.upstream_port = upstream_port
        self.weights = weights
        self.rng = random.Random(seed)
        self.slow_seconds = slow_seconds
        self.counts: Counter[str] = Counter()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="fault-proxy")
        self._thread.start()
        self._ready.wait(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._server = server
        self._ready.set()
        self._loop.run_forever()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _pick(self) -> str:
        faults = list(self.weights)
        return self.rng.choices(faults, [self.weights[f] for f in faults])[0]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length) if length else b""
                fault = self._pick()
                self.counts[fault] += 1
                if fault == "down":
                    writer.transport.abort()
                    return
                if fault in ("500", "429"):
                    status = b"500 Internal Server Error" if fault == "500" else b"429 Too Many Requests"
                    payload = b'{"detail":"injected"}'
                    writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
                                 b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload)
                    await writer.drain()
                    continue
                response = await self._forward(head, body)
                if fault == "slow":
                    await asyncio.sleep(self.slow_seconds)
                if fault == "reset":
                    writer.write(response[: len(response) // 2])
                    await writer.drain()
                    writer.transport.abort()
                    return
                writer.write(response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            writer.transport.abort()

    async def _forward(self, head: bytes, body: bytes) -> bytes:
        lines = [line for line in head.split(b"\r\n") if line and not line.lower().startswith(b"connection:")]
        request = b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n" + body
        reader, writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        writer.write(request)
        await writer.drain()
        response = await reader.read()
        writer.close()
        return response
