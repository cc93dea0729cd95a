"""Every request body has a schema: bounded integers, string lengths, enums and dates.
A body that does not fit is a 422 whose message names the field in Chinese."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from window_tui.domain.after_intake import REPORT_CATEGORIES

WindowNumber = Annotated[int, Field(ge=1, le=999)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")]
ShortText = Annotated[str, StringConstraints(max_length=64)]
CaseNumber = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z-]+$")]
RecordId = Annotated[str, StringConstraints(min_length=8, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
Level = Literal["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
Indicator = Literal["整体满意度", "服务效率", "服务水平", "服务态度"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class LoginBody(Strict):
    clerk: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    window: WindowNumber | None = None
    device: Annotated[str, StringConstraints(max_length=64, pattern=r"^[0-9A-Za-z_-]*$")] = ""


class LeaseBody(Strict):
    days: Annotated[int, Field(ge=1, le=14)] = 7
    size: Annotated[int, Field(ge=1, le=500)] = 50


class TicketBody(Strict):
    service: Code
    priority: Literal["normal", "green", "appointment"] = "normal"
    priority_kind: ShortText = ""
    appointment_code: Annotated[str, StringConstraints(max_length=32)] = ""


class CallBody(Strict):
    label: Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=r"^[A-Za-z]{0,4}[0-9]{1,5}$")]


class FinishBody(Strict):
    case_numbers: Annotated[list[CaseNumber], Field(max_length=50)] = []


class TransferBody(Strict):
    to_service: Code | None = None
    to_window: WindowNumber | None = None


class OpenCaseBody(Strict):
    bundle: Code
    ticket: Annotated[str, StringConstraints(max_length=16)] = ""


class RatingBody(Strict):
    case_number: CaseNumber
    window: WindowNumber
    level: Level
    indicators: dict[Indicator, Level] = {}
    rated_at: datetime
    ticket: Annotated[str, StringConstraints(max_length=16)] = ""

    @field_validator("rated_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("评价时间须带时区")
        if not 2000 <= value.year <= 2100:
            raise ValueError("评价时间不合理")
        return value


class PrintRecordBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    job_id: RecordId
    ref: Annotated[str, StringConstraints(max_length=40)]
    template: Annotated[str, StringConstraints(max_length=16)]
    state: Literal["sent", "unconfirmed"]


class AuditRecordBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    action: Annotated[str, StringConstraints(min_length=1, max_length=40)]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("须带时区")
    return value


AwareTime = Annotated[datetime, AfterValidator(_aware)]  # a time the platform can place on the hall's clock


class Document(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    number: Annotated[str, StringConstraints(max_length=60)] = ""
    copies: Annotated[int, Field(ge=1, le=20)] = 1


class ResultBody(Strict):
    """One matter's result from the approval system that decides it."""

    outcome: Literal["approved", "certificate_made", "completed", "refused"]
    reason: Annotated[str, StringConstraints(max_length=500)] = ""
    documents: Annotated[list[Document], Field(max_length=20)] = []
    delivery: Literal["counter", "mail"] = "counter"
    decided_at: AwareTime

    def problem(self) -> str:
        """What the fields allow but the outcome does not (one Chinese line), or ''."""
        if self.outcome == "refused" and not self.reason.strip():
            return "不予许可须写明理由（行政许可法第三十八条）"
        if self.outcome == "certificate_made" and not self.documents:
            return "证照已制作须列出交付的证照（名称、编号、份数）"
        if self.outcome in ("refused", "completed") and self.documents:
            return "不予许可或无证照办结的事项没有证照可交付"
        return ""


class Collector(Strict):
    relation: Literal["self", "agent"]  # the applicant, or an agent with a 委托书
    name: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    id_number: Annotated[str, StringConstraints(min_length=15, max_length=18, pattern=r"^[0-9]{15,17}[0-9Xx]?$")]


class Mailing(Strict):
    carrier: Annotated[str, StringConstraints(max_length=40)] = ""
    tracking: Annotated[str, StringConstraints(max_length=40, pattern=r"^[0-9A-Za-z-]*$")] = ""


class HandoverBody(Strict):
    """出件: the results of an accepted case handed over at a window, or mailed."""

    case_id: RecordId
    case_number: CaseNumber
    kind: Literal["counter", "mail"]
    handed_at: AwareTime
    window: WindowNumber
    clerk: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    collector: Collector
    authorization: Annotated[str, StringConstraints(max_length=100)] = ""
    documents: Annotated[list[Document], Field(min_length=1, max_length=40)]
    mail: Mailing = Mailing()


class ReportBody(Strict):
    """办不成事: what the applicant wanted and could not get done, and how to reach them."""

    category: Literal[REPORT_CATEGORIES]  # type: ignore[valid-type]  (the domain's one list)
    wanted: Annotated[str, StringConstraints(min_length=4, max_length=500)]
    contact_name: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    contact_phone: Annotated[str, StringConstraints(min_length=7, max_length=20, pattern=r"^[0-9-]+$")]
    ticket: Annotated[str, StringConstraints(max_length=16)] = ""
    case_number: Annotated[str, StringConstraints(max_length=40, pattern=r"^[0-9A-Za-z-]*$")] = ""
    window: WindowNumber
    clerk: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    raised_at: AwareTime


class ReportStateBody(Strict):
    state: Literal["transferred", "closed", "visited"]
    note: Annotated[str, StringConstraints(max_length=500)] = ""


class PauseBody(Strict):
    """POST /windows/{n}/pause: why (optional; shown on the manager's screen, never on displays)."""

    reason: Annotated[str, StringConstraints(max_length=30)] = ""


class FollowupCloseBody(Strict):
    """POST /followups/{rating_id}/close: how the return visit ended."""

    outcome: Literal["rectified", "explained", "unreachable"]
    note: Annotated[str, StringConstraints(min_length=2, max_length=500)]


class BatchItem(Strict):
    kind: Literal["case", "rating", "print", "audit", "handover", "report"]
    id: RecordId
    body: dict[str, Any]


class BatchBody(Strict):
    items: Annotated[list[BatchItem], Field(max_length=100)]


FIELD_NAMES = {"clerk": "工号", "password": "密码", "window": "窗口号", "device": "设备标识", "days": "天数",
               "size": "号段大小", "service": "业务类别", "priority": "优先类型", "priority_kind": "优先类别",
               "appointment_code": "预约码", "label": "号码", "case_numbers": "案件编号", "to_service": "目标业务",
               "to_window": "目标窗口", "bundle": "一件事", "ticket": "号码", "case_number": "案件编号",
               "level": "评价等级", "indicators": "评价指标", "rated_at": "评价时间", "items": "批量记录",
               "kind": "记录类型", "id": "记录标识", "body": "记录内容", "job_id": "打印任务", "ref": "编号",
               "template": "单据", "state": "状态", "action": "操作", "case_id": "案件标识", "day": "日期",
               "registry": "共享数据来源", "key": "查询键", "c": "校验码", "after": "事件编号",
               "outcome": "审批结果", "reason": "理由", "documents": "证照", "name": "名称", "number": "编号",
               "copies": "份数", "delivery": "送达方式", "decided_at": "决定时间", "matter": "事项",
               "handed_at": "交付时间", "collector": "领取人", "relation": "领取方式", "id_number": "身份证号",
               "authorization": "委托书", "mail": "邮寄", "carrier": "快递公司", "tracking": "运单号",
               "category": "类别", "wanted": "诉求", "contact_name": "联系人", "contact_phone": "联系电话",
               "raised_at": "反映时间", "note": "说明", "open": "仅未办结"}


def describe_errors(errors: list[dict[str, Any]]) -> tuple[str, dict[str, str]]:
    """Pydantic/FastAPI validation errors → one Chinese line and a field → message map."""
    fields: dict[str, str] = {}
    for error in errors:
        location = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
        name = ".".join(location) or "请求"
        label = "·".join(FIELD_NAMES.get(p, p) for p in location) or "请求内容"
        kind = str(error.get("type", ""))
        if kind == "missing":
            text = f"缺少{label}"
        elif kind in ("extra_forbidden",):
            text = f"不认识的字段 {name}"
        elif "too_long" in kind or "too_short" in kind or kind.startswith("string_") or kind == "string_pattern_mismatch":
            text = f"{label}格式或长度不符"
        elif kind.startswith(("less_than", "greater_than")) or kind.startswith("int"):
            text = f"{label}应为范围内的整数"
        elif kind == "literal_error":
            text = f"{label}取值无效"
        elif kind.startswith(("datetime", "date")):
            text = f"{label}应为带时区的日期时间"
        elif kind == "json_invalid":
            text = "请求内容不是有效的 JSON"
        else:
            text = f"{label}无效"
        fields.setdefault(name, text)
    return "；".join(dict.fromkeys(fields.values())) or "请求内容无效", fields


class MoveBody(Strict):
    """POST /services/{code}/move: the first `count` waiting tickets go to `to_service`."""

    to_service: Annotated[str, StringConstraints(min_length=1, max_length=8)]
    count: Annotated[int, Field(ge=1, le=500)] = 10


class MessageBody(Strict):
    """POST /windows/{n}/message: a line from the hall's manager to a window's clerk."""

    text: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]


class AppointmentBody(Strict):
    """POST /appointments: a seat in a service's slot (checked in at the kiosk by its code)."""

    service: Annotated[str, StringConstraints(min_length=1, max_length=8)]
    slot_start: AwareTime
    slot_end: AwareTime
    name: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    phone: Annotated[str, StringConstraints(min_length=7, max_length=20, pattern=r"^[0-9-]+$")]


class SlotBody(Strict):
    """PUT /appointment-slots: how many appointments a service's slot takes."""

    service: Annotated[str, StringConstraints(min_length=1, max_length=8)]
    slot_start: AwareTime
    slot_end: AwareTime
    capacity: Annotated[int, Field(ge=0, le=200)]
