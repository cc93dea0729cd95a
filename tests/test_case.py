from __future__ import annotations

from datetime import date, datetime

import pytest

from window_tui.domain.case import (
    Case,
    CaseError,
    build_case,
    format_case_number,
    new_case_id,
    validate_case_content,
)
from window_tui.domain.catalog import Catalog
from window_tui.domain.efficiency import typical_form
from window_tui.domain.rules import legal_retirement_month, minimum_contribution_years
from window_tui.domain.synthetic import Registry
from window_tui.domain.workdays import WorkCalendar


def fill_rest(data, values: dict[str, str]) -> None:
    for field_id, value in values.items():
        data.enter(field_id, value)


NEWBORN_TYPED = {"newborn.name": "张小宝", "household.relation": "子", "bank.card_no": "6222020000000000000",
                 "bank.name": "中国工商银行", "result.delivery": "窗口领取"}


def make_case(catalog: Catalog, registry: Registry, received: set[str]) -> Case:
    data = typical_form(catalog, registry, "newborn")
    fill_rest(data, NEWBORN_TYPED)
    return build_case(
        data, case_id=new_case_id(), case_number=format_case_number("370800", date(2026, 11, 20), 5, 3),
        hall="370800", window=5, clerk="1001", accepted_at=datetime(2026, 11, 20, 10, 30),
        calendar=WorkCalendar.load(), received=received, ticket="A023",
    )


def test_case_number_format() -> None:
    assert format_case_number("370800", date(2026, 11, 20), 5, 3) == "370800-20261120-05-0003"


def test_build_case_accepted_with_promised_date(catalog: Catalog, registry: Registry) -> None:
    case = make_case(catalog, registry, {"mother_bank_card", "newborn_photo"})
    assert case.status == "accepted"
    assert case.promised_date == "2026-12-07"  # 11 working days (the chain NB02→NB04→NB06) after a Friday
    assert case.values["mother.name"]["source"] == "公安人口库"
    assert case.applicant["name"]
    again = Case.from_json(case.to_json())
    assert again == case and again.content_hash() == case.content_hash()
    assert validate_case_content(catalog, case.to_json()) == {}


def test_missing_materials_make_a_notice(catalog: Catalog, registry: Registry) -> None:
    case = make_case(catalog, registry, {"mother_bank_card"})
    assert case.status == "notice"
    assert [m["name"] for m in case.missing()] == ["新生儿近期免冠照片（社保卡用）"]


def test_errors_are_all_reported_at_once(catalog: Catalog, registry: Registry) -> None:
    data = typical_form(catalog, registry, "newborn")
    data.enter("bank.card_no", "123")
    with pytest.raises(CaseError) as info:
        build_case(data, case_id=new_case_id(), case_number="x", hall="370800", window=1, clerk="1",
                   accepted_at=datetime(2026, 11, 20, 9), calendar=WorkCalendar.load())
    assert {"newborn.name", "bank.card_no", "household.relation"} <= set(info.value.problems)


def test_tampered_case_fails_platform_validation(catalog: Catalog, registry: Registry) -> None:
    data = make_case(catalog, registry, set()).to_json()
    data["form"]["entries"]["bank.card_no"]["value"] = "6222020000000000001"
    assert "bank.card_no" in validate_case_content(catalog, data)
    assert "status" in validate_case_content(catalog, {**data, "status": "done"})
    with pytest.raises(CaseError):
        Case.from_json({"case_id": 1})


def test_retirement_age_rules() -> None:
    assert legal_retirement_month(date(1964, 12, 10), "男") == date(2024, 12, 1)
    assert legal_retirement_month(date(1965, 1, 10), "男") == date(2025, 2, 1)
    assert legal_retirement_month(date(1965, 5, 10), "男") == date(2025, 7, 1)
    assert legal_retirement_month(date(1980, 1, 1), "男") == date(2043, 1, 1)  # capped at 63
    assert legal_retirement_month(date(1975, 1, 5), "女", "工人岗") == date(2025, 2, 1)
    assert legal_retirement_month(date(1970, 1, 5), "女", "管理岗") == date(2025, 2, 1)
    assert minimum_contribution_years(2029) == 15
    assert minimum_contribution_years(2031) == 16
    assert minimum_contribution_years(2045) == 20


def test_retirement_case_blocked_before_legal_age(catalog: Catalog, registry: Registry) -> None:
    data = typical_form(catalog, registry, "retirement")
    fill_rest(data, {"fund.seal_reason": "退休", "bank.card_no": "6222020000000000000",
                     "bank.name": "中国工商银行", "result.delivery": "窗口领取", "retirement.mode": "按法定退休年龄"})
    data.today = date(2000, 1, 1)
    with pytest.raises(CaseError, match="未达到法定退休年龄"):
        build_case(data, case_id=new_case_id(), case_number="x", hall="370800", window=1, clerk="1",
                   accepted_at=datetime(2026, 11, 20, 9), calendar=WorkCalendar.load())
