"""A person at a real terminal: `window-tui serve` and `window-tui counter` under
tmux; log in, call a ticket, take a newborn case, print the receipt to the fake
network printer, and read the screen with capture-pane."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from printers.decoder import decode
from printers.fake import FakePrinter
from tests.platform_process import ServeProcess
from window_tui.domain.synthetic import generate_registry

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
PERSONS = 1500


class Tmux:
    def __init__(self, name: str, command: str, env: dict[str, str]) -> None:
        self.name = name
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40",
                        f"cd {Path.cwd()} && env -u COLUMNS -u LINES {exports} {command}"], check=True)
        # Without an attached client tmux keeps its default size; make it a real 120×40 terminal.
        subprocess.run(["tmux", "resize-window", "-t", name, "-x", "120", "-y", "40"], check=False)

    def keys(self, *keys: str, literal: bool = False) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys], check=True)
        time.sleep(0.15)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-t", self.name, "-p"], capture_output=True, text=True,
                              check=True).stdout

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not on screen:\n{self.screen()}")

    def choose_first(self) -> None:
        """Open the focused choice list and take its first option."""
        before = self.screen().count("请选择")
        for _ in range(3):  # under load a key can land before focus has moved on: try again
            self.keys("Enter")
            time.sleep(0.4)
            self.keys("Down")
            self.keys("Enter")
            deadline = time.monotonic() + 5
            while self.screen().count("请选择") >= before and time.monotonic() < deadline:
                time.sleep(0.1)
            if self.screen().count("请选择") < before:
                break
        time.sleep(0.3)

    def log_in(self) -> None:
        self.wait_for("工号")
        self.keys("1005", literal=True)
        self.keys("Enter")
        self.keys("demo1005", literal=True)
        self.keys("Enter")
        self.wait_for("叫号")

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False)


def counter_in_tmux(name: str, tmp_path: Path, server: ServeProcess, printer: FakePrinter) -> Tmux:
    """`window-tui counter` for window 5 in a fresh data directory, under tmux."""
    env = {"WINDOW_TUI_CONFIG": str(tmp_path / "config.toml"), "WINDOW_TUI_DATA": str(tmp_path / "data"),
           "TERM": "xterm-256color", "PYTHONPATH": str(Path.cwd())}
    command = f"{sys.executable} -m window_tui.cli counter --server {server.url} --window 5 --printer {printer.url}"
    return Tmux(f"{name}-{os.getpid()}", command, env)


def test_newborn_case_in_a_real_terminal(tmp_path: Path) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    mother = generate_registry(seed=20240101, persons=PERSONS, as_of=today).samples["newborn"][0]
    with ServeProcess(tmp_path / "central.db", persons=PERSONS) as server, FakePrinter("online") as printer:
        server.post("/tickets", {"service": "A"}, token="demo-kiosk-token")
        tmux = counter_in_tmux("wt", tmp_path, server, printer)
        try:
            tmux.wait_for("工号")
            tmux.keys("1005", literal=True)
            tmux.keys("Enter")
            tmux.keys("demo1005", literal=True)
            tmux.keys("Enter")
            tmux.wait_for("叫号")
            tmux.keys("n")
            screen = tmux.wait_for("A001")
            assert "等待最久" in screen
            tmux.keys("i")
            tmux.wait_for("选择“一件事”")
            tmux.keys("xse", literal=True)
            tmux.keys("Enter")
            tmux.wait_for("受理：新生儿出生")
            tmux.keys(mother, literal=True)
            screen = tmux.wait_for("卫健出生医学证明库")
            assert "公安人口库" in screen
            # Prefill moved the cursor to the first empty field: 新生儿姓名.
            time.sleep(0.5)
            tmux.keys("张小宝", literal=True)
            tmux.keys("Enter")  # Enter moves to the next empty field: 新生儿与户主关系
            choose_first = tmux.choose_first

            choose_first()
            tmux.keys("6222020000000000000", literal=True)
            time.sleep(0.3)
            tmux.keys("Enter")
            time.sleep(0.3)
            choose_first()  # 开户银行
            choose_first()  # 结果领取方式
            screen = tmux.screen()
            assert "子 " in screen or "中国工商银行" in screen
            time.sleep(0.3)
            tmux.keys("space")
            tmux.keys("Down")
            tmux.keys("space")
            time.sleep(0.3)
            tmux.keys("C-s")
            screen = tmux.wait_for("已受理  编号", timeout=30)
            case_number = screen.split("编号", 1)[1].split()[0]
            tmux.keys("p")
            tmux.wait_for("已打印")
            deadline = time.monotonic() + 10
            while not printer.jobs and time.monotonic() < deadline:
                time.sleep(0.1)
            printed = "\n".join(decode(printer.jobs[0], "gb18030").text)
            assert case_number in printed and "受理回执" in printed
            tmux.keys("Escape")
            tmux.keys("f")
            tmux.wait_for("已办结 1")
            tmux.keys("C-q")
        finally:
            tmux.kill()


def test_refusal_in_a_real_terminal(tmp_path: Path) -> None:
    """A person applies for retirement too early: Ctrl+S offers 不予受理, Enter issues it; the
    decision prints on the network printer and the platform's progress page shows it."""
    import json
    import urllib.request

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    young = generate_registry(seed=20240101, persons=PERSONS, as_of=today).samples["retirement_not_yet"][0]
    with ServeProcess(tmp_path / "central.db", persons=PERSONS) as server, FakePrinter("online") as printer:
        tmux = counter_in_tmux("wt-refuse", tmp_path, server, printer)
        try:
            tmux.log_in()
            tmux.keys("i")
            tmux.wait_for("选择“一件事”")
            tmux.keys("tx", literal=True)
            tmux.keys("Enter")
            tmux.wait_for("受理：退休")
            tmux.keys(young, literal=True)
            tmux.wait_for("公安人口库")
            time.sleep(0.5)
            tmux.choose_first()  # 封存原因
            tmux.keys("6222020000000000000", literal=True)
            time.sleep(0.3)
            tmux.keys("Enter")
            time.sleep(0.3)
            tmux.choose_first()  # 开户银行
            tmux.choose_first()  # 退休方式：按法定退休年龄
            tmux.choose_first()  # 结果领取方式
            tmux.keys("C-s")
            screen = tmux.wait_for("出具不予受理通知书", timeout=30)
            assert "未达到法定退休年龄" in screen
            tmux.keys("Enter")
            screen = tmux.wait_for("不予受理  编号", timeout=30)
            case_number = screen.split("编号", 1)[1].split()[0].split("：")[0]
            tmux.keys("p")
            tmux.wait_for("已打印")
            deadline = time.monotonic() + 10
            while not printer.jobs and time.monotonic() < deadline:
                time.sleep(0.1)
            decoded = decode(printer.jobs[0], "gb18030")
            printed = "".join(decoded.text)
            assert case_number in printed and "不予受理通知书" in printed and "行政复议" in printed
            tmux.keys("Escape")
            tmux.keys("f")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    path = decoded.qr[0].split("/p/", 1)[1]  # number?c=check code, as the QR carries
                    answer = json.loads(urllib.request.urlopen(f"{server.url}/api/v1/progress/{path}",
                                                               timeout=5).read())
                    break
                except OSError:
                    time.sleep(0.5)
            else:
                raise AssertionError("the decision never reached the platform")
            assert answer["status_label"] == "不予受理" and "未达到法定退休年龄" in answer["reason"]
            tmux.keys("C-q")
        finally:
            tmux.kill()
