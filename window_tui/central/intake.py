"""Case intake and the other records the counters deliver (ratings, print
journal, audit): idempotent by the client's id and safe under races, since the
primary key decides (an INSERT that may fail), never a check-then-insert."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import date, datetime
from typing import Any

from window_tui.central.db import transaction
from window_tui.central.dialect import AnyRow, Connection, IntegrityError, json_text
from window_tui.central.results import case_state
from window_tui.domain.case import canonical_json, content_hash, validate_case_content
from window_tui.domain.catalog import Catalog
from window_tui.domain.evaluation import BAD_LEVELS, INDICATORS, LEVELS
from window_tui.domain.workdays import WorkCalendar

RECORD_KINDS = ("case", "rating", "print", "audit")


def _receipt_id(now: datetime) -> str:
    return f"R{now:%Y%m%d%H%M%S}{secrets.token_hex(4).upper()}"


def put_case(connection: Connection, catalog: Catalog, case_id: str, body: Any,
             now: datetime) -> tuple[int, dict[str, Any]]:
    """(HTTP status, answer). 201 stored, 200 identical replay, 409 conflict, 400 invalid."""
    if not isinstance(body, dict) or body.get("case_id") != case_id:
        return 400, {"detail": "案件标识与地址不一致", "errors": {"case_id": "与地址中的标识不一致"}}
    errors = validate_case_content(catalog, body)
    if errors:
        return 400, {"detail": "案件内容校验未通过", "errors": errors}
    canonical = canonical_json(body)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    try:
        with transaction(connection):
            receipt = _receipt_id(now)
            status = body["status"]
            if status == "notice" and connection.execute(
                    "SELECT 1 FROM cases WHERE " + json_text(connection, "body", "supersedes", "case_id") + " = ?",
                    (case_id,)).fetchone():
                # The case that completes this notice arrived first (the counter's outbox
                # retries a failed delivery later): the notice is already answered.
                status = "superseded"
            connection.execute(
                "INSERT INTO cases (case_id, case_number, content_hash, receipt_id, received_at, status, bundle,"
                " bundle_name, promised_date, accepted_at, window, clerk, body, check_code)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (case_id, body["case_number"], digest, receipt, now.isoformat(timespec="seconds"), status,
                 body["bundle"], body["bundle_name"], body["promised_date"], body["accepted_at"], body["window"],
                 body["clerk"], canonical, str(body.get("check_code", ""))),
            )
            if body.get("supersedes"):  # the notice it completes now answers with the new case
                connection.execute("UPDATE cases SET status = 'superseded' WHERE case_id = ? AND status = 'notice'",
                                   (body["supersedes"]["case_id"],))
    except IntegrityError:
        stored = connection.execute("SELECT * FROM cases WHERE case_id = ?", (case_id,)).fetchone()
        if stored is None:  # the case number is taken by another case id
            other = connection.execute("SELECT * FROM cases WHERE case_number = ?",
                                       (body["case_number"],)).fetchone()
            return 409, {"detail": f"案件编号 {body['case_number']} 已被其他案件使用",
                         "stored_hash": other["content_hash"] if other else "", "sent_hash": digest}
        if stored["content_hash"] != digest:
            return 409, {"detail": "同一案件标识的内容不同", "stored_hash": stored["content_hash"],
                         "sent_hash": digest, "case_id": case_id}
        return 200, _answer(stored, replay=True)
    return 201, {"case_id": case_id, "case_number": body["case_number"], "receipt_id": receipt,
                 "content_hash": digest, "received_at": now.isoformat(timespec="seconds"), "replay": False}


def _answer(row: AnyRow, *, replay: bool) -> dict[str, Any]:
    return {"case_id": row["case_id"], "case_number": row["case_number"], "receipt_id": row["receipt_id"],
            "content_hash": row["content_hash"], "received_at": row["received_at"], "replay": replay}


def get_case(connection: Connection, case_id: str) -> dict[str, Any] | None:
    row = connection.execute("SELECT * FROM cases WHERE case_id = ?", (case_id,)).fetchone()
    return {**_answer(row, replay=True), "body": json.loads(row["body"])} if row else None


PROGRESS_LABELS = {"accepted": "已受理，办理中", "notice": "待补正（材料不全，已一次性告知，尚未受理）",
                   "rejected": "不予受理", "superseded": "已补齐材料并受理"}


def progress(connection: Connection, case_number: str, check_code: str) -> dict[str, Any] | None:
    """Public: status and dates only, no personal data; only with the check code printed in
    the receipt's QR code (case numbers are sequential and must not be enumerable).
    Dates follow the status: only an accepted case has a 受理日期 and a promise."""
    row = connection.execute(
        "SELECT case_number, status, bundle_name, promised_date, accepted_at, received_at, check_code, body"
        " FROM cases WHERE case_number = ?", (case_number,),
    ).fetchone()
    if row is None or not row["check_code"] or not hmac.compare_digest(row["check_code"], check_code):
        return None
    body = json.loads(row["body"])
    answer: dict[str, Any] = {"case_number": row["case_number"], "bundle_name": row["bundle_name"],
                              "status": row["status"], "status_label": PROGRESS_LABELS.get(row["status"], row["status"])}
    day = row["accepted_at"][:10]
    if row["status"] == "accepted":
        answer.update(accepted_on=day, promised_date=row["promised_date"],
                      promised_estimated=bool(body.get("promised_estimated")))
        state = case_state(connection, body["case_id"])
        # Public: each matter's state, the refusal's reason and the documents' names; no numbers.
        answer.update(state=state["state"], status_label=state["label"] if state["state"] != "accepted"
                      else answer["status_label"], handed_at=state["handed_at"],
                      matters=[{"name": m["name"], "department": m["department"], "label": m["label"],
                                "reason": m["reason"], "documents": [d["name"] for d in m["documents"]]}
                               for m in state["matters"]])
    elif row["status"] == "superseded":
        successor = connection.execute(
            "SELECT case_number, accepted_at FROM cases WHERE "
            + json_text(connection, "body", "supersedes", "case_id") + " = ?",
            (body["case_id"],)).fetchone()
        answer.update(noticed_on=day, accepted_as=successor["case_number"] if successor else "",
                      accepted_on=successor["accepted_at"][:10] if successor else "")
    elif row["status"] == "notice":
        answer.update(noticed_on=day, missing=[m["name"] for m in body.get("materials", [])
                                               if m.get("kind") == "bring" and m.get("id") not in body.get("received", [])])
    else:
        answer.update(decided_on=day, reason=body.get("reason", ""))
    return answer


def put_record(connection: Connection, kind: str, record_id: str, body: Any, now: datetime,
               calendar: WorkCalendar, followup_workdays: int) -> tuple[int, dict[str, Any]]:
    """Ratings, print-journal and audit entries, idempotent like cases."""
    if kind not in RECORD_KINDS or kind == "case":
        return 400, {"detail": f"未知的记录类型 {kind}"}
    if not isinstance(body, dict):
        return 400, {"detail": "记录应为 JSON 对象"}
    if kind == "rating":
        problems = _rating_problems(body)
        if problems:
            return 400, {"detail": "评价内容校验未通过", "errors": problems}
    digest = content_hash(body)
    try:
        with transaction(connection):
            receipt = _receipt_id(now)
            connection.execute(
                "INSERT INTO records (kind, record_id, content_hash, receipt_id, received_at, body)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (kind, record_id, digest, receipt, now.isoformat(timespec="seconds"),
                 json.dumps(body, ensure_ascii=False, sort_keys=True)),
            )
            if kind == "rating":
                _store_rating(connection, record_id, body, calendar, followup_workdays)
    except IntegrityError as exc:
        stored = connection.execute("SELECT * FROM records WHERE kind = ? AND record_id = ?",
                                    (kind, record_id)).fetchone()
        if stored is None:
            return 409, {"detail": f"该案件已评价过（一次一评）：{exc}", "sent_hash": digest}
        if stored["content_hash"] != digest:
            return 409, {"detail": "同一记录标识的内容不同", "stored_hash": stored["content_hash"],
                         "sent_hash": digest}
        return 200, {"record_id": record_id, "receipt_id": stored["receipt_id"],
                     "content_hash": stored["content_hash"], "replay": True}
    return 201, {"record_id": record_id, "receipt_id": receipt, "content_hash": digest, "replay": False}


def _rating_problems(body: dict[str, Any]) -> dict[str, str]:
    problems = {}
    if body.get("level") not in LEVELS:
        problems["level"] = f"评价等级应为：{'、'.join(LEVELS)}"
    indicators = body.get("indicators", {})
    if not isinstance(indicators, dict) or any(
        k not in INDICATORS or v not in LEVELS for k, v in indicators.items()
    ):
        problems["indicators"] = f"指标应为 {'、'.join(INDICATORS)}，各取五级之一"
    if not body.get("case_number"):
        problems["case_number"] = "缺少案件编号"
    if not isinstance(body.get("window"), int):
        problems["window"] = "缺少窗口号"
    return problems


def _store_rating(connection: Connection, rating_id: str, body: dict[str, Any],
                  calendar: WorkCalendar, followup_workdays: int) -> None:
    rated = datetime.fromisoformat(body["rated_at"]) if body.get("rated_at") else datetime.now()
    connection.execute(
        "INSERT INTO ratings (rating_id, case_number, window, level, indicators, rated_at) VALUES (?, ?, ?, ?, ?, ?)",
        (rating_id, body["case_number"], body["window"], body["level"],
         json.dumps(body.get("indicators", {}), ensure_ascii=False), rated.isoformat()),
    )
    if body["level"] in BAD_LEVELS:
        due = calendar.add_workdays(rated.date(), followup_workdays)
        connection.execute(
            "INSERT INTO followups (rating_id, case_number, window, level, due_date) VALUES (?, ?, ?, ?, ?)",
            (rating_id, body["case_number"], body["window"], body["level"], due.date.isoformat()),
        )


def today_iso(now: datetime) -> str:
    return date(now.year, now.month, now.day).isoformat()
