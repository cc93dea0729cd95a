"""Preconditions a matter checks on the form's data before acceptance.

Retirement age follows the NPC Standing Committee decision of 2024-09-13
(gradual raise from 2025-01-01): men 60 → 63, +1 month per 4 months of birth
from 1965-01; women in management posts 55 → 58, +1 month per 4 months from
1970-01; women in worker posts 50 → 55, +1 month per 2 months from 1975-01.
Minimum contributions: 15 years, +6 months a year from 2030 up to 20 years.
Flexible retirement (国务院关于渐进式延迟法定退休年龄的办法 arts. 3, 4): up to 3 years
early, never below the original age (60 / 55 / 50), with the minimum contributions;
up to 3 years late by agreement with the employer. Where the personnel file records an
earlier birth date than the ID card, the file's earliest record prevails (劳社部发〔1999〕8号).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RuleResult:
    ok: bool
    message: str
    decided: bool = True  # False: data missing, so no ground to refuse on


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def legal_retirement_month(birth: date, sex: str, post_type: str = "工人岗") -> date:
    """First day of the month in which the person reaches the legal retirement age."""
    if sex not in ("男", "女"):
        raise ValueError("性别应为 男 或 女")
    if sex == "男":
        base_years, start, step, cap = 60, date(1965, 1, 1), 4, 36
    elif post_type == "管理岗":
        base_years, start, step, cap = 55, date(1970, 1, 1), 4, 36
    else:
        base_years, start, step, cap = 50, date(1975, 1, 1), 2, 60
    months_after = (birth.year - start.year) * 12 + (birth.month - start.month)
    delay = 0 if months_after < 0 else min(cap, months_after // step + 1)
    return _add_months(date(birth.year, birth.month, 1), base_years * 12 + delay)


def minimum_contribution_years(retirement_year: int) -> float:
    if retirement_year < 2030:
        return 15.0
    return min(20.0, 15.0 + 0.5 * (retirement_year - 2029))


ORIGINAL_AGE = {"男": 60, "管理岗": 55, "工人岗": 50}
MODES = ("按法定退休年龄", "弹性提前退休", "弹性延迟退休")


@dataclass(frozen=True)
class RetirementWindow:
    legal: date  # the month the new legal age is reached
    earliest: date  # flexible early retirement: 3 years earlier, never below the original age
    latest: date  # flexible postponement: at most 3 years later
    birth: date
    birth_source: str

    def describe(self) -> str:
        return (f"法定退休年龄 {self.legal:%Y年%m月}；弹性提前最早 {self.earliest:%Y年%m月}，"
                f"弹性延迟最晚 {self.latest:%Y年%m月}（出生日期按{self.birth_source}）")


def retirement_window(values: dict[str, str]) -> RetirementWindow | RuleResult:
    """The months within which this person may retire, or why they cannot be computed."""
    try:
        card_birth = date.fromisoformat(values.get("applicant.birth_date", ""))
    except ValueError:
        return RuleResult(False, "缺少申请人出生日期，无法核定退休年龄", decided=False)
    sex = values.get("applicant.sex", "")
    if sex not in ("男", "女"):  # never a default: the age differs by 5 to 10 years
        return RuleResult(False, "缺少申请人性别，无法核定退休年龄", decided=False)
    birth, source = card_birth, "居民身份证"
    file_text = values.get("applicant.file_birth_date", "")
    if file_text:
        try:
            file_birth = date.fromisoformat(file_text)
        except ValueError:
            return RuleResult(False, "人事档案出生日期格式错误", decided=False)
        if file_birth != card_birth:
            birth, source = file_birth, "人事档案最早记载（劳社部发〔1999〕8号）"
    post = values.get("social.post_type", "") or "工人岗"
    legal = legal_retirement_month(birth, sex, post)
    original_years = ORIGINAL_AGE["男"] if sex == "男" else ORIGINAL_AGE.get(post, 50)
    original = _add_months(date(birth.year, birth.month, 1), original_years * 12)
    return RetirementWindow(legal, max(_add_months(legal, -36), original), _add_months(legal, 36), birth, source)


def check_retirement_age(values: dict[str, str], today: date) -> RuleResult:
    window = retirement_window(values)
    if isinstance(window, RuleResult):
        return window
    month = date(today.year, today.month, 1)
    mode = values.get("retirement.mode", "") or MODES[0]
    if mode == "弹性提前退休":
        if month < window.earliest:
            return RuleResult(False, f"未达到可弹性提前退休的年龄：最早 {window.earliest:%Y年%m月}（{window.describe()}）")
        return RuleResult(True, f"弹性提前退休（{window.describe()}）")
    if mode == "弹性延迟退休":
        if month <= window.legal or month > window.latest:
            return RuleResult(False, f"弹性延迟退休须在法定退休年龄之后、{window.latest:%Y年%m月}之前（{window.describe()}）")
        return RuleResult(True, f"弹性延迟退休（{window.describe()}）")
    if today < window.legal:
        early = f"；可选择弹性提前退休，最早 {window.earliest:%Y年%m月}" if month >= window.earliest else ""
        return RuleResult(False, f"未达到法定退休年龄：应于 {window.legal:%Y年%m月} 起办理{early}（{window.describe()}）")
    return RuleResult(True, f"已达法定退休年龄（{window.describe()}）")


def check_min_contribution(values: dict[str, str], today: date) -> RuleResult:
    try:
        years = float(values.get("social.contribution_years", ""))
    except ValueError:
        return RuleResult(False, "缺少累计缴费年限，无法核定", decided=False)
    needed = minimum_contribution_years(today.year)
    if years < needed:
        return RuleResult(False, f"累计缴费年限{years:g}年，不足{needed:g}年")
    return RuleResult(True, f"累计缴费{years:g}年，满足最低{needed:g}年")


RULE_CHECKS: dict[str, Callable[[dict[str, str], date], RuleResult]] = {
    "retirement_age": check_retirement_age,
    "min_contribution": check_min_contribution,
}
