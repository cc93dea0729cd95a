"""Working-day arithmetic for promised completion dates (行政许可法 art. 82).

The schedule comes from `chinese-calendar` plus a hall-maintained TOML override
file that can add a whole year or correct single days:

    [years.2027]
    holidays = ["2027-01-01", ...]
    workdays = ["2027-02-20", ...]   # make-up working days (调休)

    [days]
    "2026-10-09" = "holiday"          # a local correction

For a year neither source covers, the answer is computed on weekends alone and
flagged as an estimate.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path


class CalendarFileError(ValueError):
    """The override file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class WorkdayResult:
    date: date
    estimated: bool
    unknown_years: tuple[int, ...] = ()

    def label(self) -> str:
        """Text for the clerk: the date, with an estimate mark when needed."""
        text = self.date.isoformat()
        if self.estimated:
            years = "、".join(str(y) for y in self.unknown_years)
            text += f"（预估：{years}年节假日安排未知，仅按周末计算）"
        return text


def _library_years() -> range:
    try:
        import chinese_calendar
        from chinese_calendar.constants import holidays

        first = min(holidays).year
        last = max(holidays).year
        del chinese_calendar
        return range(first, last + 1)
    except Exception:  # the library is optional at run time; weekends still work
        return range(0)


@dataclass
class WorkCalendar:
    """Answers whether a day is a working day, and whether that answer is known."""

    year_holidays: dict[int, set[date]] = field(default_factory=dict)
    year_workdays: dict[int, set[date]] = field(default_factory=dict)
    day_overrides: dict[date, bool] = field(default_factory=dict)  # True = working day
    _library_years: range | None = field(default=None, repr=False)

    @property
    def library_years(self) -> range:
        """Years chinese-calendar knows; imported on first use, not at start-up."""
        if self._library_years is None:
            self._library_years = _library_years()
        return self._library_years

    @classmethod
    def load(cls, override_file: Path | None = None) -> WorkCalendar:
        calendar = cls()
        if override_file is not None and override_file.exists():
            calendar.apply_overrides(override_file)
        return calendar

    def apply_overrides(self, path: Path) -> None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CalendarFileError(f"{path}: 无法读取节假日文件：{exc}") from exc
        for year_key, entry in data.get("years", {}).items():
            try:
                year = int(year_key)
            except ValueError as exc:
                raise CalendarFileError(f"{path}: [years.{year_key}] 年份不是数字") from exc
            self.year_holidays[year] = set(
                _parse_days(path, f"years.{year}.holidays", entry.get("holidays", []), year)
            )
            self.year_workdays[year] = set(
                _parse_days(path, f"years.{year}.workdays", entry.get("workdays", []), year)
            )
        for day_key, kind in data.get("days", {}).items():
            (day,) = _parse_days(path, f"days.{day_key}", [day_key], None)
            if kind not in ("holiday", "workday"):
                raise CalendarFileError(
                    f"{path}: days.{day_key} 应为 \"holiday\" 或 \"workday\"，当前为 {kind!r}"
                )
            self.day_overrides[day] = kind == "workday"

    def is_known_year(self, year: int) -> bool:
        return year in self.year_holidays or year in self.library_years

    def is_workday(self, day: date) -> tuple[bool, bool]:
        """(is a working day, answer comes from a known schedule)."""
        if day in self.day_overrides:
            return self.day_overrides[day], True
        if day.year in self.year_holidays:
            if day in self.year_holidays[day.year]:
                return False, True
            if day in self.year_workdays[day.year]:
                return True, True
            return day.weekday() < 5, True
        if day.year in self.library_years:
            import chinese_calendar

            return chinese_calendar.is_workday(day), True
        return day.weekday() < 5, False

    def add_workdays(self, accepted: date, count: int) -> WorkdayResult:
        """The date `count` working days after `accepted` (that day does not count)."""
        if count < 0:
            raise ValueError("工作日数不能为负数")
        day = accepted
        unknown: set[int] = set()
        remaining = count
        while remaining > 0:
            day += timedelta(days=1)
            working, known = self.is_workday(day)
            if not known:
                unknown.add(day.year)
            if working:
                remaining -= 1
        return WorkdayResult(date=day, estimated=bool(unknown), unknown_years=tuple(sorted(unknown)))

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day)[0]:
                count += 1
        return count


def _parse_days(path: Path, key: str, values: Iterable[object], year: int | None) -> list[date]:
    days = []
    for raw in values:
        try:
            day = date.fromisoformat(str(raw))
        except ValueError as exc:
            raise CalendarFileError(f"{path}: {key} 中的 {raw!r} 不是 YYYY-MM-DD 日期") from exc
        if year is not None and day.year != year:
            raise CalendarFileError(f"{path}: {key} 中的 {raw} 不属于 {year} 年")
        days.append(day)
    return days
