from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "window_tui.cli", *args], capture_output=True, text=True,
        env={**os.environ, **(env or {})}, timeout=60,
    )


def test_check_id_valid_prints_birth_and_sex() -> None:
    out = run("check", "id", "11010519491231002X")
    assert out.returncode == 0
    assert "1949-12-31" in out.stdout and "女" in out.stdout


def test_check_id_each_changed_digit_exits_1_with_chinese_reason() -> None:
    value = "11010519491231002X"
    for pos in (0, 7, 16, 17):
        digit = "5" if value[pos] != "5" else "6"
        out = run("check", "id", value[:pos] + digit + value[pos + 1 :])
        assert out.returncode == 1
        assert "无效" in out.stderr


def test_check_uscc_and_usage_error() -> None:
    assert run("check", "uscc", "91350100M000100Y43").returncode == 0
    assert run("check", "nope", "x").returncode == 2
    assert run("check").returncode == 2


def test_workdays(tmp_path: Path) -> None:
    env = {"WINDOW_TUI_CONFIG": str(tmp_path / "config.toml")}
    out = run("workdays", "2026-02-12", "5", env=env)
    assert out.stdout.strip() == "2026-02-26"
    out = run("workdays", "2026-12-28", "10", env=env)
    assert "预估" in out.stdout and "2027" in out.stderr
    (tmp_path / "holidays.toml").write_text('[years.2027]\nreplace = true\nholidays = ["2027-01-01"]\nworkdays = []\n')
    out = run("workdays", "2026-12-28", "10", env=env)
    assert out.returncode == 0 and "预估" not in out.stdout
    assert run("workdays", "2026-02-30", "5", env=env).returncode == 2


def test_version() -> None:
    out = run("--version")
    assert out.returncode == 0 and "window-tui" in out.stdout
