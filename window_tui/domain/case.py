"""The case a counter takes: one bundle, one form, one set of materials.

A case has a client-generated id (the idempotency key for the platform) and a
human case number `{hall}-{yyyymmdd}-{window}-{seq}` that is unique without
asking any server, since the sequence is per window per day and kept locally.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from window_tui.domain.catalog import Catalog, chain_days
from window_tui.domain.materials import MaterialStatus, evaluate_materials, missing_materials
from window_tui.domain.prefill import FormData
from window_tui.domain.refusal import Refusal
from window_tui.domain.rules import RULE_CHECKS
from window_tui.domain.workdays import WorkCalendar

CASE_SCHEMA = 1
STATUSES = ("accepted", "notice", "rejected")
STATUS_LABELS = {"accepted": "已受理", "notice": "一次性告知（待补正，未受理）", "rejected": "不予受理"}


class CaseError(ValueError):
    """The case cannot be taken as it is; `problems` maps field ids to Chinese messages."""

    def __init__(self, message: str, problems: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or {}


def new_case_id() -> str:
    return uuid.uuid4().hex


CHECK_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper


def new_check_code(length: int = 10) -> str:
    """The random part of a receipt's progress link (32^10 ≈ 10^15: not guessable)."""
    import secrets

    return "".join(secrets.choice(CHECK_ALPHABET) for _ in range(length))


def format_case_number(hall: str, day: date, window: int, seq: int) -> str:
    return f"{hall}-{day:%Y%m%d}-{window:02d}-{seq:04d}"


@dataclass
class Case:
    case_id: str
    case_number: str
    bundle: str
    bundle_name: str
    optional_matters: list[str]
    matters: list[dict[str, Any]]  # code, name, department, statutory_days, promised_days, fee
    form: dict[str, Any]  # FormData.to_json(): what was typed and the records used
    values: dict[str, dict[str, Any]]  # field id -> value, state, source, ... (a snapshot)
    materials: list[dict[str, Any]]
    received: list[str]
    status: str
    accepted_at: str
    promised_date: str
    promised_estimated: bool
    statutory_days: int
    promised_days: int
    hall: str
    window: int
    clerk: str
    ticket: str = ""
    reason: str = ""  # for 不予受理: why, and where to apply
    schema: int = CASE_SCHEMA
    applicant: dict[str, str] = field(default_factory=dict)
    check_code: str = ""  # printed in the receipt's QR: progress is shown only with it
    refusal: dict[str, Any] = field(default_factory=dict)  # 不予受理: reasons, basis, review body, court
    supersedes: dict[str, Any] = field(default_factory=dict)  # the 一次性告知 case this one completes

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def content_hash(self) -> str:
        return content_hash(self.to_json())

    @classmethod
    def from_json(cls, data: Any) -> Case:
        problems = case_format_problems(data)
        if problems:
            raise CaseError("案件数据格式错误", problems)
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def missing(self) -> list[dict[str, Any]]:
        return [m for m in self.materials if m["kind"] == "bring" and m["id"] not in self.received]


def canonical_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


_REQUIRED_TYPES: dict[str, type | tuple[type, ...]] = {
    "case_id": str, "case_number": str, "bundle": str, "bundle_name": str, "optional_matters": list,
    "matters": list, "form": dict, "values": dict, "materials": list, "received": list,
    "status": str, "accepted_at": str, "promised_date": str, "promised_estimated": bool,
    "statutory_days": int, "promised_days": int, "hall": str, "window": int, "clerk": str,
}


def case_format_problems(data: Any) -> dict[str, str]:
    if not isinstance(data, dict):
        return {"-": "案件应为 JSON 对象"}
    problems = {}
    for key, kind in _REQUIRED_TYPES.items():
        if key not in data:
            problems[key] = "缺少此项"
        elif not isinstance(data[key], kind) or (kind is int and isinstance(data[key], bool)):
            problems[key] = "类型错误"
    if not problems:
        if data["status"] not in STATUSES:
            problems["status"] = f"状态应为 {'/'.join(STATUSES)}"
        if len(data["case_id"]) < 16:
            problems["case_id"] = "案件标识过短"
        try:
            datetime.fromisoformat(data["accepted_at"])
            date.fromisoformat(data["promised_date"])
        except ValueError:
            problems["accepted_at"] = "日期格式错误"
    return problems


def validate_case_content(catalog: Catalog, data: dict[str, Any]) -> dict[str, str]:
    """Re-run the domain checks on a case (the platform does this on arrival)."""
    problems = case_format_problems(data)
    if problems:
        return problems
    try:
        form = catalog.merged(data["bundle"], tuple(data["optional_matters"]))
    except (KeyError, ValueError) as exc:
        return {"bundle": str(exc).strip("'\"")}
    form_data = FormData(form, today=datetime.fromisoformat(data["accepted_at"]).date())
    try:
        form_data.load_json(data["form"])
    except (KeyError, TypeError) as exc:
        return {"form": f"表单数据格式错误：{exc}"}
    supersedes = data.get("supersedes") or {}
    if supersedes and (not isinstance(supersedes, dict) or not isinstance(supersedes.get("case_id"), str)
                       or not isinstance(supersedes.get("case_number"), str)):
        return {"supersedes": "补正前案件的标识与编号格式错误"}
    if data["status"] == "rejected":
        refusal = data.get("refusal")
        if not data.get("reason"):
            return {"reason": "不予受理必须说明理由"}
        if not isinstance(refusal, dict) or not refusal.get("basis") or not refusal.get("review_body") \
                or not refusal.get("court"):
            return {"refusal": "不予受理决定须写明依据、行政复议机关和人民法院"}
        return {}
    return form_data.errors()


@dataclass(frozen=True)
class RuleFailure:
    rule: str
    matter: str
    message: str
    decided: bool = True  # a real failure, not missing data: a ground for 不予受理

    def __str__(self) -> str:
        return f"{self.matter}：{self.message}"


def failed_rules(data: FormData) -> list[RuleFailure]:
    values = {k: v.value for k, v in data.values().items()}
    failures = []
    for matter in data.form.matters:
        for rule in matter.rules:
            result = RULE_CHECKS[rule](values, data.today)
            if not result.ok:
                failures.append(RuleFailure(rule, matter.name, result.message, result.decided))
    return failures


def rule_notes(data: FormData) -> list[str]:
    """Every precondition's current answer, for the clerk while typing (e.g. the months
    within which this person may retire)."""
    values = {k: v.value for k, v in data.values().items()}
    return [f"{'✓' if result.ok else '✗'} {result.message}"
            for matter in data.form.matters for rule in matter.rules
            for result in [RULE_CHECKS[rule](values, data.today)] if result.decided]


class RuleFailed(CaseError):
    """The form is complete but a precondition fails: the counter offers 不予受理."""

    def __init__(self, failures: list[RuleFailure]) -> None:
        text = "；".join(str(f) for f in failures)
        super().__init__("不符合办理条件：" + text, {"rules": text})
        self.failures = failures


def build_case(
    data: FormData,
    *,
    case_id: str,
    case_number: str,
    hall: str,
    window: int,
    clerk: str,
    accepted_at: datetime,
    calendar: WorkCalendar,
    received: set[str] | None = None,
    ticket: str = "",
    optional_matters: tuple[str, ...] = (),
    check_code: str = "",
    supersedes: dict[str, Any] | None = None,
) -> Case:
    """Turn a filled form into a case, or raise `CaseError` with every problem at once.
    `supersedes` is the one-time-notice case the applicant came back to complete: the new
    case names it (number, date), and the platform marks it completed."""
    problems = data.errors()
    if problems:
        raise CaseError(f"表单有{len(problems)}处需要更正", problems)
    failures = failed_rules(data)
    if failures:
        raise RuleFailed(failures)
    received = received or set()
    statuses = evaluate_materials(data)
    missing = missing_materials(statuses, received)
    bundle = data.form.bundle
    promised = calendar.add_workdays(accepted_at.date(), bundle.promised_days)
    values = _values_json(data)
    return Case(
        **_common_fields(data, values, statuses, case_id=case_id, case_number=case_number, hall=hall, window=window,
                         clerk=clerk, accepted_at=accepted_at, received=received, ticket=ticket,
                         optional_matters=optional_matters, check_code=check_code),
        status="notice" if missing else "accepted",
        promised_date=promised.date.isoformat(),
        promised_estimated=promised.estimated,
        statutory_days=chain_days(data.form.matters, "statutory_days"),
        promised_days=bundle.promised_days,
        supersedes=_superseded(supersedes),
    )


def _common_fields(data: FormData, values: dict[str, dict[str, Any]], statuses: list[MaterialStatus], *,
                   case_id: str, case_number: str, hall: str, window: int, clerk: str, accepted_at: datetime,
                   received: set[str], ticket: str, optional_matters: tuple[str, ...],
                   check_code: str) -> dict[str, Any]:
    """What an accepted case, a notice and a refusal all record the same way."""
    bundle = data.form.bundle
    return dict(
        case_id=case_id, case_number=case_number, bundle=bundle.code, bundle_name=bundle.name,
        optional_matters=list(optional_matters), matters=_matters_json(data), form=data.to_json(), values=values,
        materials=[_material_json(s) for s in statuses], received=sorted(received),
        accepted_at=accepted_at.isoformat(timespec="seconds"), hall=hall, window=window, clerk=clerk,
        ticket=ticket, applicant=applicant_summary(values, bundle.key_subject),
        check_code=check_code or new_check_code(),
    )


def _superseded(notice: dict[str, Any] | None) -> dict[str, Any]:
    if not notice:
        return {}
    if notice.get("status") != "notice":
        raise CaseError("只有一次性告知（待补正）的案件可以补齐材料后受理")
    return {"case_id": notice["case_id"], "case_number": notice["case_number"], "noticed_at": notice["accepted_at"]}


def build_refusal(
    data: FormData,
    refusal: Refusal,
    *,
    case_id: str,
    case_number: str,
    hall: str,
    window: int,
    clerk: str,
    accepted_at: datetime,
    received: set[str] | None = None,
    ticket: str = "",
    optional_matters: tuple[str, ...] = (),
    check_code: str = "",
) -> Case:
    """A 不予受理 decision as a case: numbered, saved and synced like any other, with what
    the applicant brought; the form need not be complete, but the applicant must be named."""
    bundle = data.form.bundle
    values = _values_json(data)
    applicant = applicant_summary(values, bundle.key_subject)
    if not applicant.get("name") and not applicant.get("org_name"):
        raise CaseError("不予受理决定须写明申请人：请先填写申请人姓名", {"applicant.name": "请填写申请人"})
    return Case(
        **_common_fields(data, values, evaluate_materials(data), case_id=case_id, case_number=case_number, hall=hall,
                         window=window, clerk=clerk, accepted_at=accepted_at, received=received or set(),
                         ticket=ticket, optional_matters=optional_matters, check_code=check_code),
        status="rejected", promised_date=accepted_at.date().isoformat(), promised_estimated=False,
        statutory_days=0, promised_days=0, reason=refusal.reason_text, refusal=refusal.to_json(),
    )


def _values_json(data: FormData) -> dict[str, dict[str, Any]]:
    """Every filled value with where it came from (a snapshot kept in the case)."""
    return {field_id: {"value": v.value, "state": str(v.state), "source": v.source, "record_date": v.record_date,
                       "original": v.original, "reason": v.reason}
            for field_id, v in data.values().items() if v.value}


def _matters_json(data: FormData) -> list[dict[str, Any]]:
    return [{"code": m.code, "name": m.name, "department": m.department, "statutory_days": m.statutory_days,
             "promised_days": m.promised_days, "fee": m.fee, "contribution": m.contribution}
            for m in data.form.matters]


def _material_json(status: MaterialStatus) -> dict[str, Any]:
    return {"id": status.material_id, "name": status.name, "kind": status.kind,
            "reason": status.reason, "evidence": status.evidence, "matters": list(status.matters)}


def applicant_summary(values: dict[str, dict[str, Any]], key_subject: str) -> dict[str, str]:
    """Who the receipt is for: a person (name, ID) or an organisation (name, credit code)."""
    def get(field_id: str) -> str:
        return values.get(field_id, {}).get("value", "")

    summary = {"name": get("applicant.name"), "id_number": get("applicant.id_number"),
               "phone": get("applicant.phone")}
    if key_subject == "enterprise":
        summary.update(org_name=get("enterprise.name"), uscc=get("enterprise.uscc"))
        summary["name"] = summary["name"] or get("legal_rep.name")
        summary["phone"] = summary["phone"] or get("legal_rep.phone") or get("enterprise.phone")
    if key_subject == "mother" and not summary["name"]:
        summary.update(name=get("mother.name"), id_number=get("mother.id_number"), phone=get("mother.phone"))
    return summary
