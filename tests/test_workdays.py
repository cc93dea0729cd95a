from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from window_tui.domain.workdays import CalendarFileError, WorkCalendar


def test_domain_notes_check() -> None:
    result = WorkCalendar.load().add_workdays(date(2026, 2, 12), 5)
    assert result.date == date(2026, 2, 26) and not result.estimated


def test_makeup_day_counts() -> None:
    # 2026-02-14 (Saturday) is a make-up working day: the first working day after 02-13.
    assert WorkCalendar.load().add_workdays(date(2026, 2, 13), 1).date == date(2026, 2, 14)


def test_acceptance_day_does_not_count() -> None:
    assert WorkCalendar.load().add_workdays(date(2026, 3, 2), 1).date == date(2026, 3, 3)


def test_unknown_year_is_an_estimate_not_a_crash() -> None:
    result = WorkCalendar.load().add_workdays(date(2026, 12, 28), 10)
    assert result.estimated and result.unknown_years == (2027,)
    assert "预估" in result.label()


def test_override_file_adds_a_year(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(
        '[years.2027]\nreplace = true\nholidays = ["2027-01-01", "2027-01-04"]\nworkdays = ["2027-01-09"]\n'
        '[days]\n"2026-12-31" = "holiday"\n',
        encoding="utf-8",
    )
    calendar = WorkCalendar.load(path)
    result = calendar.add_workdays(date(2026, 12, 29), 3)
    # 12-30 work, 12-31 corrected to holiday, 01-01 holiday, 01-02/03 weekend, 01-04 holiday,
    # 01-05 work, 01-06 work.
    assert result.date == date(2027, 1, 6) and not result.estimated
    assert calendar.is_workday(date(2027, 1, 9)) == (True, True)


def test_broken_override_file_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text('[years.2027]\nholidays = ["2027-13-01"]\n', encoding="utf-8")
    with pytest.raises(CalendarFileError, match="years.2027.holidays"):
        WorkCalendar.load(path)
    path.write_text('[days]\n"2027-01-02" = "maybe"\n', encoding="utf-8")
    with pytest.raises(CalendarFileError, match="holiday"):
        WorkCalendar.load(path)


def test_a_local_holiday_adds_to_the_national_year(tmp_path: Path) -> None:
    """One local holiday in [years.2026] no longer wipes out Spring Festival."""
    path = tmp_path / "holidays.toml"
    path.write_text('[years.2026]\nholidays = ["2026-10-09"]\n', encoding="utf-8")
    calendar = WorkCalendar.load(path)
    assert calendar.add_workdays(date(2026, 2, 12), 5).date == date(2026, 2, 26)  # not 02-19
    assert calendar.add_workdays(date(2026, 10, 8), 1).date == date(2026, 10, 10)
    assert calendar.skipped(date(2026, 10, 8), 1)[0].reason == "本厅补充：节假日"


def test_replacing_a_year_must_be_explicit_and_complete(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text('[years.2027]\nworkdays = ["2027-02-20"]\n', encoding="utf-8")
    assert WorkCalendar.load(path).add_workdays(date(2027, 2, 18), 3).estimated  # additions: still an estimate
    path.write_text('[years.2027]\nreplace = true\nworkdays = ["2027-02-20"]\n', encoding="utf-8")
    with pytest.raises(CalendarFileError, match="全部节假日"):
        WorkCalendar.load(path)


def test_conflicts_and_missing_files_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text('[years.2026]\nholidays = ["2026-10-10"]\nworkdays = ["2026-10-10"]\n', encoding="utf-8")
    with pytest.raises(CalendarFileError, match="同时被列为节假日和工作日"):
        WorkCalendar.load(path)
    path.write_text('[years.2026]\nholidays = ["2026-10-10"]\n[days]\n"2026-10-10" = "workday"\n', encoding="utf-8")
    with pytest.raises(CalendarFileError, match="同时被列为"):
        WorkCalendar.load(path)
    with pytest.raises(CalendarFileError, match="不存在"):
        WorkCalendar.load(tmp_path / "missing.toml", required=True)
    assert WorkCalendar.load(tmp_path / "missing.toml").add_workdays(date(2026, 3, 2), 1).date == date(2026, 3, 3)


def test_estimates_keep_the_holidays_fixed_by_law() -> None:
    calendar = WorkCalendar.load()
    result = calendar.add_workdays(date(2026, 12, 25), 5)
    assert result.date == date(2027, 1, 4) and result.estimated  # not 2027-01-01, 元旦
    for day in (date(2027, 5, 1), date(2027, 5, 2), date(2027, 10, 1), date(2027, 10, 2), date(2027, 10, 3)):
        assert calendar.is_workday(day) == (False, False)
    reasons = [s.reason for s in calendar.skipped(date(2026, 12, 25), 5)]
    assert any("元旦" in r and "预估" in r for r in reasons)


def test_workdays_explain_on_the_command_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    run = [sys.executable, "-m", "window_tui.cli", "workdays"]
    result = subprocess.run([*run, "2026-02-12", "5", "--explain"], capture_output=True, text=True, timeout=60,
                            env={"WINDOW_TUI_CONFIG": str(tmp_path / "none.toml"), "PATH": ""})
    assert result.stdout.splitlines()[0] == "2026-02-26"
    assert "跳过 2026-02-16 一：法定节假日（春节）" in result.stdout
    missing = subprocess.run([*run, "2026-02-12", "5", "--calendar", str(tmp_path / "nope.toml")],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and "不存在" in missing.stderr and "Traceback" not in missing.stderr
