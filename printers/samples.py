"""Sample documents for `window-tui print-test` and the docs: a real newborn
case built by the domain code on a small synthetic registry."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def sample_case(status: str = "accepted") -> dict[str, Any]:
    from window_tui.domain.case import build_case, format_case_number
    from window_tui.domain.catalog import default_catalog
    from window_tui.domain.efficiency import typical_form
    from window_tui.domain.synthetic import generate_registry
    from window_tui.domain.workdays import WorkCalendar

    registry = generate_registry(seed=11, persons=400, as_of=date(2026, 11, 20))
    data = typical_form(default_catalog(), registry, "newborn")
    for field_id, value in {"newborn.name": "欧阳小宝", "household.relation": "子",
                            "bank.card_no": "6222020000000000000", "bank.name": "中国工商银行",
                            "result.delivery": "邮寄送达"}.items():
        data.enter(field_id, value)
    received = {"mother_bank_card", "newborn_photo"} if status == "accepted" else {"mother_bank_card"}
    case = build_case(data, case_id="sample-case-0001", case_number=format_case_number("370800", date(2026, 11, 20), 5, 1),
                      hall="370800", window=5, clerk="1005", accepted_at=datetime(2026, 11, 20, 10, 5),
                      calendar=WorkCalendar.load(), received=received, ticket="A023", check_code="K7M2Q9RX4T")
    body = case.to_json()
    if status == "rejected":
        from window_tui.domain.refusal import make_refusal

        refusal = make_refusal(reasons=[], ground="not_competent",
                               extra="申请事项属于不动产登记中心受理范围，请到不动产登记窗口申请。", rule_codes=[],
                               review_body="济宁市人民政府", court="济宁市任城区人民法院")
        body.update(status="rejected", reason=refusal.reason_text, refusal=refusal.to_json())
    return body


def sample_ticket() -> dict[str, Any]:
    return {"label": "A023", "service_name": "一件事综合受理", "priority": "green", "priority_kind": "老年人",
            "ahead": 7, "issued_at": "2026-11-20T09:12:30+08:00"}


def sample_pickup() -> dict[str, Any]:
    """A hand-over (出件) by an agent with a 委托书, of the sample case's two documents."""
    return {"case_id": "sample-case-0001", "case_number": "370800-20261120-05-0001", "kind": "counter",
            "bundle_name": "新生儿出生“一件事”", "handed_at": "2026-11-27T14:20:00+08:00", "window": 3, "clerk": "1003",
            "collector": {"relation": "agent", "name": "欧阳建国", "id_number": "370802197003151234"},
            "authorization": "授权委托书 WT-2026-118", "mail": {"carrier": "", "tracking": ""},
            "documents": [{"name": "出生医学证明", "number": "Q370012345", "copies": 1},
                          {"name": "社会保障卡", "number": "", "copies": 1}]}


def sample_report() -> dict[str, Any]:
    """A 办不成事 report, delivered (its number known)."""
    return {"report_id": "report-sample-0001", "report_number": "BB202611200001", "category": "跨部门推诿",
            "wanted": "办理外省社保关系转入，两个部门都说不归自己管", "contact_name": "赵大明",
            "contact_phone": "13912345678", "ticket": "A007", "case_number": "", "window": 5, "clerk": "1005",
            "raised_at": "2026-11-20T09:40:00+08:00"}


def sample_for(template: str) -> dict[str, Any]:
    if template == "ticket":
        return sample_ticket()
    if template == "report":
        return sample_report()
    if template == "pickup":
        return sample_pickup()
    return sample_case({"receipt": "accepted", "notice": "notice", "rejection": "rejected"}[template])
