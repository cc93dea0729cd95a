"""A person at a real terminal: `window-tui serve` and `window-tui counter` under
tmux; log in, call a ticket, take a newborn case, print the receipt to the fake
network printer, and read the screen with capture-pane."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
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
    def __init__(self, name: str, command: str, env: dict[str, str], size: tuple[int, int] = (120, 40)) -> None:
        self.name = name
        width, height = (str(n) for n in size)
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", width, "-y", height,
                        f"cd {Path.cwd()} && env -u COLUMNS -u LINES {exports} {command}"], check=True)
        # Without an attached client tmux keeps its default size; make it a real terminal of that size.
        subprocess.run(["tmux", "resize-window", "-t", name, "-x", width, "-y", height], check=False)

    def type_slowly(self, text: str, interval: float = 0.01) -> None:
        """One key every `interval` seconds, as a fast typist or a barcode scanner sends them."""
        for char in text:
            subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", char], check=True)
            time.sleep(interval)

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

    def focus_label(self) -> str:
        """The focused field's label, from the intake's focus line (▶ 标签：…)."""
        for line in self.screen().splitlines():
            if line.strip().startswith("▶ "):
                return line.strip()[2:].split("：", 1)[0]
        return ""

    def settled_focus_label(self, timeout: float = 3) -> str:
        """The focus line's label once two looks 0.3 s apart agree."""
        before, deadline = self.focus_label(), time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.3)
            now = self.focus_label()
            if now == before:
                return now
            before = now
        return before

    def choose_first(self) -> None:
        """Open the focused choice list, take its first option, and wait until the cursor has
        moved on. Each step waits for the screen to show it happened (the footer says
        “关闭列表” while a list is open), so a loaded machine cannot make keys land early."""
        before, deadline = self.focus_label(), time.monotonic() + 3
        while time.monotonic() < deadline:  # the focus line settles after the previous key
            time.sleep(0.3)
            now = self.focus_label()
            if now == before:
                break
            before = now
        for _ in range(3):
            if not self._until(lambda: "关闭列表" in self.screen(), lambda: self.keys("Enter")):
                continue  # the list did not open: try again
            self.keys("Down")
            time.sleep(0.2)
            self.keys("Enter")
            if self._until(lambda: "关闭列表" not in self.screen() and self.focus_label() != before):
                break
        time.sleep(0.2)

    def _until(self, condition: Callable[[], bool], action: Callable[[], None] | None = None,
               timeout: float = 5) -> bool:
        if action is not None:
            action()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.1)
        return False

    def log_in(self) -> None:
        self.wait_for("工号")
        self.keys("1005", literal=True)
        self.keys("Enter")
        self.keys("demo1005", literal=True)
        self.keys("Enter")
        self.wait_for("叫号")

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False)


def printed_jobs(printer: FakePrinter, count: int, timeout: float = 10) -> list[bytes]:
    """The fake printer's jobs once it has `count` of them (or whatever it has at the timeout)."""
    deadline = time.monotonic() + timeout
    while len(printer.jobs) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return printer.jobs


def counter_in_tmux(name: str, tmp_path: Path, server: ServeProcess, printer: FakePrinter,
                    size: tuple[int, int] = (120, 40)) -> Tmux:
    """`window-tui counter` for window 5 in a fresh data directory, under tmux."""
    env = {"WINDOW_TUI_CONFIG": str(tmp_path / "config.toml"), "WINDOW_TUI_DATA": str(tmp_path / "data"),
           "TERM": "xterm-256color", "PYTHONPATH": str(Path.cwd())}
    command = f"{sys.executable} -m window_tui.cli counter --server {server.url} --window 5 --printer {printer.url}"
    return Tmux(f"{name}-{size[0]}-{os.getpid()}", command, env, size)


def take_newborn_case(tmux: Tmux, mother: str, to_bring: int, captures: list[str]) -> str:
    """I, the newborn bundle by its initials, the mother's ID number, the few fields the
    registries left empty, the materials ticked, Ctrl+S: the screen that says 已受理."""
    tmux.keys("i")
    tmux.wait_for("选择“一件事”")
    tmux.keys("xse", literal=True)
    tmux.keys("Enter")
    tmux.wait_for("受理：新生儿出生")
    tmux.type_slowly(mother)  # 10 ms per key: every key arrives
    screen = tmux.wait_for("共享数据预填 1")
    assert "▶ 母亲身份证号码" in screen and mother in screen
    assert "🔒 公安人口库" in screen  # the lock survives a narrow column
    captures.append(screen)
    # Prefill left the cursor where it was; Enter goes on to the next field still empty.
    tmux.keys("Enter")
    tmux.wait_for("▶ 新生儿与户主关系")
    tmux.choose_first()
    tmux.keys("6222020000000000000", literal=True)
    time.sleep(0.3)
    tmux.keys("Enter")
    time.sleep(0.3)
    tmux.choose_first()  # 开户银行
    tmux.choose_first()  # 结果领取方式
    tmux.wait_for("▶ 新生儿姓名")  # wraps round to the first empty field
    tmux.keys("张小宝", literal=True)
    tmux.keys("Enter")  # nothing left to type: on to the materials
    time.sleep(0.5)
    for index in range(to_bring):
        tmux.keys("space")
        if index < to_bring - 1:
            tmux.keys("Down")
    time.sleep(0.3)
    captures.append(tmux.screen())
    tmux.keys("C-s")
    screen = tmux.wait_for("已受理  编号", timeout=30)
    captures.append(screen)
    return screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_newborn_case_in_a_real_terminal(tmp_path: Path, size: tuple[int, int]) -> None:
    """The whole newborn case by keyboard; at 80×24 nothing the clerk needs is cut off."""
    from window_tui.domain.catalog import default_catalog
    from window_tui.domain.efficiency import typical_form
    from window_tui.domain.materials import evaluate_materials, materials_to_bring

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    registry = generate_registry(seed=20240101, persons=PERSONS, as_of=today)
    mother = registry.samples["newborn"][0]
    to_bring = len(materials_to_bring(evaluate_materials(typical_form(default_catalog(), registry, "newborn"))))
    with ServeProcess(tmp_path / "central.db", persons=PERSONS) as server, FakePrinter("online") as printer:
        server.post("/tickets", {"service": "A"}, token="demo-kiosk-token")
        tmux = counter_in_tmux("wt", tmp_path, server, printer, size=size)
        captures: list[str] = []
        try:
            tmux.log_in()
            tmux.keys("n")
            screen = tmux.wait_for("A001")
            assert "等待最久" in screen and "i 受理" in screen and "^q 退出" in screen  # every key in the footer
            captures.append(screen)
            screen = take_newborn_case(tmux, mother, to_bring, captures)
            case_number = screen.split("编号", 1)[1].split()[0]
            tmux.keys("p")
            tmux.wait_for("已打印")
            printed_jobs(printer, 1)
            printed = "\n".join(decode(printer.jobs[0], "gb18030").text)
            assert case_number in printed and "受理回执" in printed
            tmux.keys("Escape")
            tmux.wait_for("n 叫号")  # back on the console before the next key
            tmux.keys("f")
            captures.append(tmux.wait_for("已办结 1"))
            tmux.keys("C-q")
        finally:
            tmux.kill()
            out = Path(os.environ.get("WINDOW_TUI_CAPTURES", tmp_path)) / f"newborn-{size[0]}x{size[1]}.txt"
            out.write_text("\n\n".join(captures), encoding="utf-8")


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
            tmux.type_slowly(young)
            tmux.wait_for("共享数据预填 1")
            tmux.keys("Enter")  # on to the first field the registries left empty
            tmux.wait_for("▶ 封存原因")
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
            printed_jobs(printer, 1)
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


def test_scanner_typing_lands_in_the_field_of_its_kind(tmp_path: Path) -> None:
    """An ID-card reader types the applicant's number (keys a few ms apart, then Enter) while the
    cursor is in the newborn's name: the number goes to the applicant's ID field (the first key
    field of its kind) and brings the shared data; the same number typed at a person's pace
    stays where it was typed."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    mother = generate_registry(seed=20240101, persons=PERSONS, as_of=today).samples["newborn"][0]
    with ServeProcess(tmp_path / "central.db", persons=PERSONS) as server, FakePrinter("online") as printer:
        server.post("/tickets", {"service": "A"}, token="demo-kiosk-token")
        tmux = counter_in_tmux("scan", tmp_path, server, printer)
        try:
            tmux.log_in()
            tmux.keys("n")
            tmux.wait_for("A001")
            tmux.keys("i")
            tmux.wait_for("选择“一件事”")
            tmux.keys("xse", literal=True)
            tmux.keys("Enter")
            tmux.wait_for("受理：新生儿出生")

            def focus(label: str) -> None:
                """Tab until the focus line names `label`, reading it only once it has settled
                (on a loaded machine the line lags a key behind, and a Tab too many overshoots)."""
                for _ in range(30):
                    if tmux.settled_focus_label() == label:
                        return
                    tmux.keys("Tab")
                raise AssertionError(f"{label} never focused:\n{tmux.screen()}")

            def row(label: str) -> str:
                return next(line for line in tmux.screen().splitlines() if line.strip().startswith(label))

            focus("新生儿姓名")
            subprocess.run(["tmux", "send-keys", "-t", tmux.name, "-l", mother], check=True)  # one burst
            subprocess.run(["tmux", "send-keys", "-t", tmux.name, "Enter"], check=True)
            deadline = time.monotonic() + 15
            while mother not in row("申请人身份证号码") and time.monotonic() < deadline:
                time.sleep(0.2)
            assert mother in row("申请人身份证号码") and mother not in row("新生儿姓名"), tmux.screen()
            tmux.wait_for("🔒")  # the shared data it brought

            focus("新生儿姓名")
            tmux.type_slowly(mother, interval=0.15)  # a person typing: it stays where it is typed
            tmux.keys("Enter")
            time.sleep(1.0)
            assert mother in row("新生儿姓名") and "只能包含汉字" in row("新生儿姓名")
            tmux.keys("C-q")
        finally:
            tmux.kill()


def _progress(server: ServeProcess, check_url: str) -> dict:
    import json
    import urllib.request

    number, code = check_url.split("/p/", 1)[1].split("?c=")
    with urllib.request.urlopen(f"{server.url}/api/v1/progress/{number}?c={code}", timeout=5) as answer:
        return json.loads(answer.read())


def _put_result(server: ServeProcess, token: str, case_id: str, matter: str, body: dict) -> dict:
    import json
    import urllib.request

    request = urllib.request.Request(f"{server.url}/api/v1/cases/{case_id}/matters/{matter}/result",
                                     data=json.dumps(body).encode(), method="PUT",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def test_newborn_from_ticket_to_collected_in_a_real_terminal(tmp_path: Path) -> None:
    """The reform's whole path at one window: the ticket, the case taken and its receipt
    printed; the approval systems report back (审批中, 待领取 on the progress page); the
    applicant returns with the receipt; C, the receipt's QR scanned, the certificate
    ticked, the applicant's ID card read; the platform is down at the moment of Ctrl+S,
    the 领取回执 prints anyway, and the progress page says 已领取 once it is back."""
    import json
    import sqlite3
    import urllib.request

    from window_tui.domain.catalog import default_catalog
    from window_tui.domain.efficiency import typical_form
    from window_tui.domain.materials import evaluate_materials, materials_to_bring

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    registry = generate_registry(seed=20240101, persons=PERSONS, as_of=today)
    mother = registry.samples["newborn"][0]
    to_bring = len(materials_to_bring(evaluate_materials(typical_form(default_catalog(), registry, "newborn"))))
    db = tmp_path / "central.db"
    with ServeProcess(db, persons=PERSONS) as server, FakePrinter("online") as printer:
        server.post("/tickets", {"service": "A"}, token="demo-kiosk-token")
        added = subprocess.run([sys.executable, "-m", "window_tui.cli", "admin", "--db", str(db), "add-device",
                                "backoffice", "卫健审批系统"], capture_output=True, text=True, check=True,
                               env={**os.environ, "WINDOW_TUI_CONFIG": str(tmp_path / "config.toml")})
        backoffice = added.stdout.strip().rsplit("：", 1)[1]
        tmux = counter_in_tmux("wt-handover", tmp_path, server, printer)
        captures: list[str] = []
        try:
            tmux.log_in()
            tmux.keys("n")
            tmux.wait_for("A001")
            screen = take_newborn_case(tmux, mother, to_bring, captures)
            case_number = screen.split("编号", 1)[1].split()[0]
            tmux.keys("p")
            tmux.wait_for("已打印")
            printed_jobs(printer, 1)
            receipt_qr = decode(printer.jobs[0], "gb18030").qr[0]
            tmux.keys("Escape")
            tmux.wait_for("n 叫号")
            tmux.keys("f")
            tmux.wait_for("已办结 1")

            deadline = time.monotonic() + 30  # the case reaches the platform by the counter's sync
            while time.monotonic() < deadline:
                row = sqlite3.connect(db).execute("SELECT case_id, body FROM cases WHERE case_number = ?",
                                                  (case_number,)).fetchone()
                if row:
                    break
                time.sleep(0.3)
            case_id, body = row[0], json.loads(row[1])
            states = [_progress(server, receipt_qr)["status_label"]]
            matters = [m["code"] for m in body["matters"]]
            decided = {"decided_at": datetime.now(ZoneInfo("Asia/Shanghai")).isoformat(timespec="seconds")}
            _put_result(server, backoffice, case_id, matters[0], {"outcome": "approved", **decided})
            states.append(_progress(server, receipt_qr)["status_label"])
            certificate = {"name": "出生医学证明", "number": "Q370012345", "copies": 1}
            for code in matters:
                result = ({"outcome": "certificate_made", "documents": [certificate]} if code == matters[0]
                          else {"outcome": "completed"})
                _put_result(server, backoffice, case_id, code, {**result, **decided})
            states.append(_progress(server, receipt_qr)["status_label"])

            # The scanner reads the receipt's QR at the console itself: the QR's "http…/p/…"
            # holds t, p and x, which must not transfer, pause or skip — it opens 出件.
            tmux.type_slowly(receipt_qr, interval=0.005)
            tmux.keys("Enter")
            captures.append(tmux.wait_for("逐项核对"))
            tmux.keys("space")  # the one certificate, checked against the paper
            tmux.keys("Tab")
            tmux.keys(body["values"]["applicant.name"]["value"], literal=True)
            tmux.keys("Tab")
            tmux.type_slowly(body["values"]["applicant.id_number"]["value"], interval=0.005)  # the ID-card reader
            server.stop()  # the platform goes down as the clerk confirms
            tmux.keys("C-s")
            captures.append(tmux.wait_for("已出件"))
            tmux.wait_for("领取回执已打印")
            printed_jobs(printer, 2)
            paper = "\n".join(decode(printer.jobs[-1], "gb18030").text)
            assert "领取回执" in paper and case_number in paper and "Q370012345" in paper and "领取人签字" in paper
            assert body["values"]["applicant.id_number"]["value"] not in paper

            server.start(seed=False)  # back: the hand-over was kept at the counter and now arrives
            deadline = time.monotonic() + 60
            while _progress(server, receipt_qr)["status_label"] != "已领取" and time.monotonic() < deadline:
                time.sleep(0.5)
            states.append(_progress(server, receipt_qr)["status_label"])
            assert states == ["已受理，办理中", "审批中", "待领取", "已领取"]
            page = urllib.request.urlopen(receipt_qr.replace("http://127.0.0.1:8700", server.url),
                                          timeout=5).read().decode()
            assert "已领取" in page and "交付时间" in page
            handovers = sqlite3.connect(db).execute("SELECT COUNT(*) FROM handovers").fetchone()[0]
            assert handovers == 1
            kinds = [r[0] for r in sqlite3.connect(db).execute("SELECT kind FROM events ORDER BY id")]
            assert kinds[-1] == "finished", kinds  # the scan at the console pressed none of its letters
            key_file = db.with_name("central.db.seal-key")  # `serve` made the contacts' key beside the file
            assert key_file.exists() and key_file.stat().st_mode & 0o077 == 0
            tmux.keys("C-q")
        finally:
            tmux.kill()
            out = Path(os.environ.get("WINDOW_TUI_CAPTURES", tmp_path)) / "handover-120x40.txt"
            out.write_text("\n\n".join(captures), encoding="utf-8")


def test_the_manager_logs_in_on_the_form_in_a_real_terminal(tmp_path: Path) -> None:
    """Without WINDOW_TUI_PASSWORD the real command opens on its login form (no getpass
    prompt, no password on the command line): the 值班长 types it and gets the hall."""
    db = tmp_path / "central.db"
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    with ServeProcess(db, persons=300) as server:
        env = {"WINDOW_TUI_CONFIG": str(tmp_path / "config.toml"), "TERM": "xterm-256color",
               "PYTHONPATH": str(Path.cwd())}
        command = f"{sys.executable} -m window_tui.cli manager --server {server.url} --clerk 8000"
        tmux = Tmux(f"wt-manager-login-{os.getpid()}", command, env, (80, 24))
        try:
            tmux.wait_for("值班长或管理员登录")
            tmux.type_slowly("demo8001")
            tmux.keys("Enter")
            tmux.wait_for("登录失败")
            time.sleep(0.5)
            tmux.type_slowly("demo8000")
            tmux.keys("Enter")
            tmux.wait_for("● 在线")
            assert "demo8000" not in tmux.screen()
            tmux.keys("C-q")
        finally:
            tmux.kill()


def test_the_manager_watches_the_hall_in_a_real_terminal(tmp_path: Path) -> None:
    """`window-tui manager` logs in as the 值班长 and follows the hall: a ticket taken at the
    kiosk and called at window 3 by another process show on its screen."""
    db = tmp_path / "central.db"
    with ServeProcess(db, persons=300) as server:
        env = {"WINDOW_TUI_CONFIG": str(tmp_path / "config.toml"), "WINDOW_TUI_PASSWORD": "demo8000",
               "TERM": "xterm-256color", "PYTHONPATH": str(Path.cwd())}
        command = f"{sys.executable} -m window_tui.cli manager --server {server.url} --clerk 8000"
        tmux = Tmux(f"wt-manager-{os.getpid()}", command, env, (100, 30))
        try:
            tmux.wait_for("大厅管理")
            tmux.wait_for("● 在线")
            server.post("/tickets", {"service": "A"}, token="demo-kiosk-token")
            tmux.wait_for("今日取号 1")
            clerk = server.post("/auth/login", {"clerk": "1003", "password": "demo1003", "window": 3})["token"]
            server.post("/windows/3/call-next", {}, token=clerk)
            screen = tmux.wait_for("A001", timeout=5)
            row = next(line for line in screen.splitlines() if "3号窗口" in line)
            assert "叫号中" in row and "1003" in row
            tmux.keys("C-q")  # the manager leaves: the process ends, and with it the tmux session
            deadline = time.monotonic() + 5
            while subprocess.run(["tmux", "has-session", "-t", tmux.name], capture_output=True).returncode == 0:
                assert time.monotonic() < deadline, tmux.screen()
                time.sleep(0.2)
        finally:
            tmux.kill()
