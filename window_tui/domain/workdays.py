"""Working-day arithmetic for promised completion dates (行政许可法 art. 82).

The schedule comes from `chinese-calendar` (the national 国办 notices) plus a
hall-maintained TOML file that adds or corrects days on top of it:

    [years.2026]
    holidays = ["2026-10-09"]          # added to the national schedule
    workdays = ["2026-10-10"]

    [years.2028]
    replace = true                     # this file holds the whole year (needed for a year
    holidays = ["2028-01-01", ...]     # the library does not know); without it the year
    workdays = ["2028-02-05", ...]     # stays an estimate

    [days]
    "2026-10-09" = "holiday"           # a single local correction

A day listed as both a holiday and a working day is an error, as is a file named in the
configuration that does not exist. For a year no source covers, the answer counts weekends
and the holidays fixed by law (全国年节及纪念日放假办法, 2024 revision, 国务院令第795号:
元旦 Jan 1, 劳动节 May 1–2, 国庆节 Oct 1–3) and is flagged as an estimate: lunar holidays
and make-up days (调休) are announced each year.
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
            text += f"（预估：{years}年节假日安排未公布，按周末和依法固定的节日计算）"
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


# Solar-calendar holidays fixed by law (国务院令第795号, in force 2025-01-01): (month, day).
FIXED_HOLIDAYS = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))
FIXED_NAMES = {(1, 1): "元旦", (5, 1): "劳动节", (5, 2): "劳动节", (10, 1): "国庆节", (10, 2): "国庆节",
               (10, 3): "国庆节"}


@dataclass(frozen=True)
class SkippedDay:
    day: date
    reason: str  # 周末 / 法定节假日 / 本厅补充：节假日 / 法定节假日（依法固定，预估）


@dataclass
class WorkCalendar:
    """Answers whether a day is a working day, and whether that answer is known.

    `year_holidays`/`year_workdays` are whole years from the hall's file (`replace = true`);
    `day_overrides` are the hall's additions and corrections on top of any schedule."""

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
    def load(cls, override_file: Path | None = None, *, required: bool = False) -> WorkCalendar:
        """`required`: the file was named by the hall (config or --calendar), so a missing
        file is an error, never a silently national-only schedule."""
        calendar = cls()
        if override_file is not None:
            if override_file.exists():
                calendar.apply_overrides(override_file)
            elif required:
                raise CalendarFileError(f"{override_file}: 节假日文件不存在：请检查文件路径（指定的文件必须存在）")
        return calendar

    def apply_overrides(self, path: Path) -> None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CalendarFileError(f"{path}: 无法读取节假日文件：{exc}") from exc
        unknown = set(data) - {"years", "days"}
        if unknown:
            raise CalendarFileError(f"{path}: 未知的配置项 {sorted(unknown)[0]!r}（应为 [years.YYYY] 或 [days]）")
        added: dict[date, tuple[bool, str]] = {}

        def add(day: date, working: bool, key: str) -> None:
            if day in added and added[day][0] != working:
                raise CalendarFileError(f"{path}: {day} 同时被列为节假日和工作日（{added[day][1]} 与 {key}）")
            added[day] = (working, key)

        for year_key, entry in data.get("years", {}).items():
            try:
                year = int(year_key)
            except ValueError as exc:
                raise CalendarFileError(f"{path}: [years.{year_key}] 年份不是数字") from exc
            if not isinstance(entry, dict) or set(entry) - {"holidays", "workdays", "replace"}:
                raise CalendarFileError(f"{path}: [years.{year}] 只能有 holidays、workdays、replace")
            replace = entry.get("replace", False)
            if not isinstance(replace, bool):
                raise CalendarFileError(f"{path}: years.{year}.replace 应为 true 或 false")
            holidays = _parse_days(path, f"years.{year}.holidays", entry.get("holidays", []), year)
            workdays = _parse_days(path, f"years.{year}.workdays", entry.get("workdays", []), year)
            if replace and not holidays:
                raise CalendarFileError(f"{path}: [years.{year}] 整年替换（replace = true）须列出该年全部节假日")
            for day in holidays:
                add(day, False, f"years.{year}.holidays")
            for day in workdays:
                add(day, True, f"years.{year}.workdays")
            if replace:
                self.year_holidays[year] = set(holidays)
                self.year_workdays[year] = set(workdays)
            else:
                self.day_overrides.update({d: False for d in holidays} | {d: True for d in workdays})
        for day_key, kind in data.get("days", {}).items():
            (day,) = _parse_days(path, f"days.{day_key}", [day_key], None)
            if kind not in ("holiday", "workday"):
                raise CalendarFileError(
                    f"{path}: days.{day_key} 应为 \"holiday\" 或 \"workday\"，当前为 {kind!r}"
                )
            add(day, kind == "workday", f"days.{day_key}")
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
        if (day.month, day.day) in FIXED_HOLIDAYS:
            return False, False  # fixed by law, though the year's 调休 is not yet known
        return day.weekday() < 5, False

    def why_not_working(self, day: date) -> str:
        """Why a non-working day is skipped, for `workdays --explain`."""
        if day in self.day_overrides:
            return "本厅补充：节假日"
        if day.year in self.year_holidays:
            return "本厅整年安排：节假日" if day in self.year_holidays[day.year] else "周末"
        if day.year in self.library_years:
            name = _named(day)
            return f"法定节假日（{name}）" if name else "周末"
        if (day.month, day.day) in FIXED_HOLIDAYS:
            return f"法定节假日（{FIXED_NAMES[(day.month, day.day)]}，依法固定；调休未公布，预估）"
        return "周末（预估）"

    def skipped(self, accepted: date, count: int) -> list[SkippedDay]:
        """The non-working days passed over while counting `count` working days."""
        result, day, remaining = [], accepted, count
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_workday(day)[0]:
                remaining -= 1
            else:
                result.append(SkippedDay(day, self.why_not_working(day)))
        return result

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


def _named(day: date) -> str:
    """The holiday's name from chinese-calendar, in Chinese where it has one."""
    import chinese_calendar

    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    names = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
             "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
             "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利纪念日"}
    return names.get(name, name or "") if on_holiday else ""


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
