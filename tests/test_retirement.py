"""Retirement (2025 reform): the legal month, flexible early and late retirement within
their windows, the personnel file's birth date, and no default sex."""

from __future__ import annotations

from datetime import date

import pytest

from window_tui.domain.rules import check_retirement_age, legal_retirement_month, retirement_window

MAN_1966 = {"applicant.birth_date": "1966-03-15", "applicant.sex": "男", "social.post_type": "工人岗"}


def test_the_legal_month_and_the_flexible_window() -> None:
    window = retirement_window(MAN_1966)
    # Born 1966-03: 14 months after 1965-01 → delay 14 // 4 + 1 = 4 months → 60 years 4 months.
    assert window.legal == date(2026, 7, 1)
    assert window.earliest == date(2026, 3, 1)  # 3 years earlier would be below the original 60
    assert window.latest == date(2029, 7, 1)
    woman_1980 = retirement_window({"applicant.birth_date": "1980-06-01", "applicant.sex": "女",
                                    "social.post_type": "工人岗"})
    assert woman_1980.legal == legal_retirement_month(date(1980, 6, 1), "女", "工人岗")
    assert woman_1980.earliest == max(date(woman_1980.legal.year - 3, woman_1980.legal.month, 1), date(2030, 6, 1))


def test_flexible_early_retirement_within_the_window_only() -> None:
    early = {**MAN_1966, "retirement.mode": "弹性提前退休"}
    assert not check_retirement_age(early, date(2026, 2, 20)).ok  # before the original age
    result = check_retirement_age(early, date(2026, 4, 2))
    assert result.ok and "弹性提前退休" in result.message and "2026年03月" in result.message
    normal = check_retirement_age(MAN_1966, date(2026, 4, 2))
    assert not normal.ok and "可选择弹性提前退休，最早 2026年03月" in normal.message


def test_flexible_postponement_at_most_three_years() -> None:
    late = {**MAN_1966, "retirement.mode": "弹性延迟退休"}
    assert check_retirement_age(late, date(2027, 1, 5)).ok
    assert not check_retirement_age(late, date(2029, 8, 1)).ok


def test_the_personnel_file_birth_date_prevails() -> None:
    values = {**MAN_1966, "applicant.file_birth_date": "1965-11-02"}
    window = retirement_window(values)
    assert window.birth == date(1965, 11, 2) and "人事档案" in window.birth_source
    assert check_retirement_age(values, date(2026, 4, 2)).ok  # reached by the file's date
    assert "人事档案" in check_retirement_age(values, date(2026, 4, 2)).message


def test_an_empty_sex_is_never_a_female_worker() -> None:
    result = check_retirement_age({**MAN_1966, "applicant.sex": ""}, date(2026, 4, 2))
    assert not result.ok and not result.decided and "性别" in result.message
    with pytest.raises(ValueError):
        legal_retirement_month(date(1966, 3, 15), "")


def test_the_sex_field_is_required_on_the_form(catalog) -> None:  # noqa: ANN001
    form = catalog.merged("retirement")
    assert form.field("applicant.sex").required
    assert not form.field("applicant.file_birth_date").required
