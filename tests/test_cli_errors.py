"""Every command's failure is one Chinese line and an exit code, never a traceback:
each command is run as a user would (a real process) with arguments that must fail."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

BAD = [
    ("catalog stats --as-of abc", "日期应为"),
    ("catalog show 不存在的事", "没有找到"),
    ("catalog check --dir /nonexistent/catalog", "不存在"),
    ("admin --db /missing/dir/x.db list", "目录不存在"),
    ("print-test --printer preview --png /missing/dir/x.png", "不存在"),
    ("print-test --printer bogus://x", "打印机地址"),
    ("print-test --printer preview --profile 76mm-utf8", "58mm 或 80mm"),
    ("print-test", "缺少必需参数"),
    ("serve --port 99999", "65535"),
    ("serve --port abc", "端口应为数字"),
    ("workdays x 1", "YYYY-MM-DD"),
    ("workdays 2026-01-01 -1", "负数"),
    ("workdays 2026-01-01 1 --calendar /missing/holidays.toml", "不存在"),
    ("check id 123", "身份证"),
    ("check idx 1", "无效"),
    ("counter --window abc", "无效"),
    ("sync --data /nonexistent status", "数据目录"),
    ("kiosk --server http://127.0.0.1:9 --token-file /missing/token", "令牌文件"),
    ("rate --server http://127.0.0.1:9 --window x", "无效"),
    ("display-web --server http://127.0.0.1:9 --token-file /missing/token", "令牌文件"),
    ("message-sink --port 0 --out /missing/dir/x.jsonl", "不存在"),
    ("manager-web --server http://127.0.0.1:9 --port 99999", "65535"),
    ("no-such-command", "无效"),
]


@pytest.fixture(scope="module")
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def run(command: str, tmp_path: Path, stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WINDOW_TUI_CONFIG": str(tmp_path / "config.toml"), "WINDOW_TUI_DATA": str(tmp_path / "data")}
    env.pop("WINDOW_TUI_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "window_tui.cli", *command.split()], capture_output=True, text=True,
                          timeout=60, env=env, stdin=stdin)


def assert_one_line(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert words in lines[0], lines[0]
    assert any("\u4e00" <= c <= "\u9fff" for c in lines[0])


@pytest.mark.parametrize(("command", "words"), BAD, ids=[c for c, _ in BAD])
def test_bad_arguments_are_one_chinese_line(command: str, words: str, tmp_path: Path) -> None:
    assert_one_line(run(command, tmp_path), words)


def test_busy_ports_and_existing_names(tmp_path: Path, busy_port: int) -> None:
    token = tmp_path / "token"
    token.write_text("x", encoding="utf-8")
    for command in (f"demo --port {busy_port}", f"serve --port {busy_port} --db {tmp_path}/s.db",
                    f"display-web --server http://127.0.0.1:9 --token-file {token} --port {busy_port}",
                    f"manager-web --server http://127.0.0.1:9 --port {busy_port}"):
        assert_one_line(run(command, tmp_path), "已被占用")
    db = tmp_path / "central.db"
    assert run(f"admin --db {db} add-service A 一件事 A", tmp_path).returncode == 0
    assert_one_line(run(f"admin --db {db} add-service A 重复 A", tmp_path), "已存在")
    assert run(f"admin --db {db} add-service A 重复 A --replace", tmp_path).returncode == 0


def test_broken_config_and_closed_stdin(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[hall\nname = 1", encoding="utf-8")
    assert_one_line(run("config show", tmp_path), "config.toml")
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    (tmp_path / "data" / "store").mkdir(parents=True)
    result = run(f"sync --data {tmp_path / 'data'} now --server http://127.0.0.1:9 --clerk 1005", tmp_path)
    assert result.returncode != 0 and "Traceback" not in result.stderr


def test_the_manager_command_refuses_in_one_line(tmp_path: Path, hall) -> None:  # noqa: ANN001
    """No password without a terminal; an unreachable platform; a clerk who is not a manager."""
    assert_one_line(run(f"manager --server {hall.url} --clerk 8000", tmp_path), "WINDOW_TUI_PASSWORD")
    env = {**os.environ, "WINDOW_TUI_CONFIG": str(tmp_path / "config.toml"), "WINDOW_TUI_PASSWORD": "demo1006"}
    for server, words in (("http://127.0.0.1:9", "登录失败"), (hall.url, "不是值班长或管理员")):
        result = subprocess.run([sys.executable, "-m", "window_tui.cli", "manager", "--server", server,
                                 "--clerk", "1006"], capture_output=True, text=True, timeout=60, env=env,
                                stdin=subprocess.DEVNULL)
        assert result.returncode == 2
        assert_one_line(result, words)
