"""Printer connections by URL: tcp://host:9100, usb://VID:PID,
serial:///dev/ttyUSB0?baudrate=9600, file:///dev/usb/lp0, cups://QUEUE, dummy,
preview. Each job is one write over one connection, with short timeouts."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qs, urlparse

from printers.status import DLE_EOT, PrinterStatus, parse_status


class PrinterUrlError(ValueError):
    """A bad printer URL; the message lists the accepted forms."""


class PrinterNotReady(RuntimeError):
    def __init__(self, status: PrinterStatus) -> None:
        super().__init__(status.message)
        self.status = status


class PrinterSendError(RuntimeError):
    """The job did not (fully) reach the printer."""


class Connection(Protocol):
    url: str

    def print_job(self, data: bytes, *, check_status: bool = True) -> PrinterStatus: ...

    def status(self) -> PrinterStatus: ...


@dataclass
class TcpConnection:
    url: str
    host: str
    port: int = 9100
    connect_timeout: float = 2.0
    write_timeout: float = 5.0
    status_timeout: float = 0.4  # per DLE EOT query

    def _connect(self) -> socket.socket:
        try:
            return socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except OSError as exc:
            raise PrinterNotReady(PrinterStatus("unreachable", f"{self.host}:{self.port}（{exc.strerror or exc}）")) from exc

    def _query(self, sock: socket.socket) -> PrinterStatus:
        answers: dict[int, int | None] = {}
        deadline = time.monotonic() + 4 * self.status_timeout
        for n, command in DLE_EOT.items():
            answers[n] = None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                continue
            try:
                sock.settimeout(min(self.status_timeout, remaining))
                sock.sendall(command)
                reply = sock.recv(1)
            except (TimeoutError, OSError):
                continue
            answers[n] = reply[0] if reply else None
            if not reply:  # the printer closed the connection
                break
        return parse_status(answers)

    def status(self) -> PrinterStatus:
        try:
            sock = self._connect()
        except PrinterNotReady as exc:
            return exc.status
        with sock:
            return self._query(sock)

    def print_job(self, data: bytes, *, check_status: bool = True) -> PrinterStatus:
        sock = self._connect()
        with sock:
            status = self._query(sock) if check_status else PrinterStatus("unknown")
            if not status.can_print:
                raise PrinterNotReady(status)
            try:
                sock.settimeout(self.write_timeout)
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
                # The printer closing early means it did not take the whole job.
                # A printer that drops the connection before taking the whole job resets
                # it (RST): recv raises. A printer that keeps it open simply times out.
                sock.settimeout(0.2)
                with contextlib.suppress(TimeoutError):
                    sock.recv(64)
            except (TimeoutError, OSError) as exc:
                raise PrinterSendError(f"发送到打印机中断：{exc}") from exc
        return status


@dataclass
class FileConnection:
    url: str
    path: str

    def status(self) -> PrinterStatus:
        import os

        return PrinterStatus("unknown") if os.path.exists(self.path) else PrinterStatus(
            "unreachable", f"设备文件 {self.path} 不存在")

    def print_job(self, data: bytes, *, check_status: bool = True) -> PrinterStatus:
        try:
            with open(self.path, "wb", buffering=0) as device:
                device.write(data)
        except OSError as exc:
            raise PrinterSendError(f"写入 {self.path} 失败：{exc.strerror or exc}") from exc
        return PrinterStatus("unknown")


@dataclass
class CupsConnection:
    url: str
    queue: str
    timeout: float = 5.0

    def status(self) -> PrinterStatus:
        try:
            out = subprocess.run(["lpstat", "-p", self.queue], capture_output=True, text=True, timeout=self.timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return PrinterStatus("unreachable", f"CUPS 不可用：{exc}")
        if out.returncode != 0:
            return PrinterStatus("unreachable", out.stderr.strip() or f"CUPS 队列 {self.queue} 不存在")
        return PrinterStatus("offline") if "disabled" in out.stdout else PrinterStatus("unknown")

    def print_job(self, data: bytes, *, check_status: bool = True) -> PrinterStatus:
        status = self.status() if check_status else PrinterStatus("unknown")
        if not status.can_print:
            raise PrinterNotReady(status)
        try:
            out = subprocess.run(["lp", "-d", self.queue, "-o", "raw"], input=data, capture_output=True,
                                 timeout=self.timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrinterSendError(f"提交到 CUPS 失败：{exc}") from exc
        if out.returncode != 0:
            raise PrinterSendError(out.stderr.decode(errors="replace").strip())
        return status


@dataclass
class EscposDeviceConnection:
    """USB and serial devices through python-escpos (pyusb / pyserial installed separately)."""

    url: str
    kind: str  # usb | serial
    args: dict[str, object] = field(default_factory=dict)

    def _open(self):  # noqa: ANN202 (a python-escpos printer)
        try:
            if self.kind == "usb":
                from escpos.printer import Usb

                return Usb(self.args["vid"], self.args["pid"])
            from escpos.printer import Serial

            return Serial(devfile=self.args["devfile"], baudrate=self.args["baudrate"], timeout=2)
        except ImportError as exc:
            missing = "pyusb" if self.kind == "usb" else "pyserial"
            raise PrinterNotReady(PrinterStatus("unreachable", f"需要安装 {missing}：pip install {missing}")) from exc
        except Exception as exc:  # device libraries raise their own types
            raise PrinterNotReady(PrinterStatus("unreachable", str(exc))) from exc

    def status(self) -> PrinterStatus:
        try:
            device = self._open()
        except PrinterNotReady as exc:
            return exc.status
        device.close()
        return PrinterStatus("unknown")

    def print_job(self, data: bytes, *, check_status: bool = True) -> PrinterStatus:
        device = self._open()
        try:
            device._raw(data)
        except Exception as exc:
            raise PrinterSendError(f"发送到打印机失败：{exc}") from exc
        finally:
            device.close()
        return PrinterStatus("unknown")  # USB/serial through python-escpos: no status read back
        return PrinterStatus("unknown")


@dataclass
class MemoryConnection:
    """`dummy` (a printer that always works) and `preview` (no device)."""

    url: str
    jobs: list[bytes] = field(default_factory=list)

    def status(self) -> PrinterStatus:
        # `dummy` takes every job but no paper comes out: never "ok", so never "已打印".
        return PrinterStatus("preview") if self.url == "preview" else PrinterStatus("unknown", "dummy 测试打印机，不出纸")

    def print_job(self, data: bytes, *, check_status: bool = True) -> PrinterStatus:
        self.jobs.append(data)
        return self.status()


URL_HELP = ("tcp://主机:9100、usb://VID:PID、serial:///dev/ttyUSB0?baudrate=9600、file:///dev/usb/lp0、"
            "cups://队列名、dummy 或 preview")


def open_connection(url: str, *, connect_timeout: float = 2.0, write_timeout: float = 5.0) -> Connection:
    url = url.strip()
    if url in ("dummy", "preview"):
        return MemoryConnection(url)
    parsed = urlparse(url)
    try:
        if parsed.scheme == "tcp":
            if not parsed.hostname:
                raise ValueError("缺少主机")
            return TcpConnection(url, parsed.hostname, parsed.port or 9100, connect_timeout, write_timeout)
        if parsed.scheme == "usb":
            vid, pid = (parsed.netloc or parsed.path.strip("/")).split(":")
            return EscposDeviceConnection(url, "usb", {"vid": int(vid, 16), "pid": int(pid, 16)})
        if parsed.scheme == "serial":
            query = parse_qs(parsed.query)
            baudrate = int(query.get("baudrate", ["9600"])[0])
            if not parsed.path:
                raise ValueError("缺少设备路径")
            return EscposDeviceConnection(url, "serial", {"devfile": parsed.path, "baudrate": baudrate})
        if parsed.scheme == "file":
            if not parsed.path:
                raise ValueError("缺少设备路径")
            return FileConnection(url, parsed.path)
        if parsed.scheme == "cups":
            queue = parsed.netloc or parsed.path.strip("/")
            if not queue:
                raise ValueError("缺少队列名")
            return CupsConnection(url, queue)
    except ValueError as exc:
        raise PrinterUrlError(f"打印机地址“{url}”无效（{exc}）：应为 {URL_HELP}") from exc
    raise PrinterUrlError(f"打印机地址“{url}”无效：应为 {URL_HELP}")
