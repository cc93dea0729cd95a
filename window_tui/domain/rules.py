"""Preconditions a matter checks on the form's data before acceptance.

Retirement age follows the NPC Standing Committee decision of 2024-09-13
(gradual raise from 2025-01-01): men 60 → 63, +1 month per 4 months of birth
from 1965-01; women in management posts 55 → 58, +1 month per 4 months from
1970-01; women in worker posts 50 → 55, +1 month per 2 months from 1975-01.
Minimum contributions: 15 years, +6 months a year from 2030 up to 20 years.
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


def check_retirement_age(values: dict[str, str], today: date) -> RuleResult:
    try:
        birth = date.fromisoformat(values.get("applicant.birth_date", ""))
    except ValueError:
        return RuleResult(False, "缺少申请人出生日期，无法核定退休年龄", decided=False)
    sex = values.get("applicant.sex", "")
    month = legal_retirement_month(birth, sex, values.get("social.post_type", "工人岗"))
    if today < month:
        return RuleResult(False, f"未达到法定退休年龄：应于 {month:%Y年%m月} 起办理")
    return RuleResult(True, f"已达法定退休年龄（{month:%Y年%m月}）")


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
