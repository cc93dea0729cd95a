"""A port checked before a server starts, so a busy port is one Chinese line, not a
uvicorn or aiohttp log followed by a traceback."""

from __future__ import annotations

import socket


class PortBusy(RuntimeError):
    pass


def ensure_port_free(host: str, port: int) -> None:
    if port == 0:
        return  # the server picks a free one
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is free
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortBusy(f"端口 {host}:{port} 无法使用（{'已被占用' if exc.errno == 98 else exc.strerror}）："
                           f"请换一个端口（--port）或停止占用它的程序") from exc
