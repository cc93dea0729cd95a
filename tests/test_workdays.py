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
        '[years.2027]\nholidays = ["2027-01-01", "2027-01-04"]\nworkdays = ["2027-01-09"]\n'
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
