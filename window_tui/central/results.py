"""Results from the back office (后台分类审批): each matter of an accepted case gets
its result from the approval system that decides it, and the case's state follows
(前台综合受理、后台分类审批、统一窗口出件: the window that took the case hands the
results back). A result is a PUT: repeating it changes nothing; a changed result
replaces the earlier one until the documents are handed over, after which it is
refused (the applicant holds the paper)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from window_tui.central import notify
from window_tui.central.db import transaction
from window_tui.central.dialect import Connection
from window_tui.central.seal import Sealer
from window_tui.domain.after_intake import applicant_key
from window_tui.domain.case import canonical_json, content_hash
from window_tui.domain.masking import MaskPolicy

# approved: 准予, the certificate is being made; certificate_made: ready, with documents;
# completed: done with nothing to hand over (a registration, a benefit paid); refused: 不予许可.
OUTCOMES = {"approved": "已准予，证照制作中", "certificate_made": "证照已制作，待领取", "completed": "已办结",
            "refused": "不予许可"}
FINAL = ("certificate_made", "completed", "refused")
CASE_STATES = {"accepted": "已受理", "reviewing": "审批中", "ready": "待领取", "to_mail": "待寄出",
               "collected": "已领取", "mailed": "已寄出", "closed": "已办结"}


class ResultError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _case(connection: Connection, case_id: str) -> Any:
    row = connection.execute("SELECT case_id, case_number, status, body FROM cases WHERE case_id = ?",
                             (case_id,)).fetchone()
    if row is None:
        raise ResultError(404, "没有这个案件（尚未上传，或标识有误）")
    if row["status"] != "accepted":
        raise ResultError(409, "该案件未受理（一次性告知或不予受理），没有审批结果可报")
    return row


def matter_codes(case_row: Any) -> list[str]:
    return [m["code"] for m in json.loads(case_row["body"]).get("matters", [])]


def put_result(connection: Connection, case_id: str, matter: str, body: dict[str, Any], source: str,
               now: datetime, sign: str, sealer: Sealer) -> tuple[int, dict[str, Any]]:
    """(HTTP status, the case's state). 201 new, 200 same result again or replaced. When the
    case reaches a state the applicant must hear of, the message is queued in the same
    transaction (`sign`: the hall's name at the head of the message)."""
    digest = content_hash(body)
    with transaction(connection):
        case = _case(connection, case_id)
        before = case_state(connection, case_id)
        if matter not in matter_codes(case):
            raise ResultError(404, f"案件中没有事项 {matter}")
        stored = connection.execute("SELECT content_hash FROM matter_results WHERE case_id = ? AND matter = ?",
                                    (case_id, matter)).fetchone()
        if stored is not None and stored["content_hash"] == digest:
            return 200, before  # the same result again changes nothing
        if before["handed_at"]:
            raise ResultError(409, "证照已交付申请人，不能再修改审批结果")
        connection.execute(
            "INSERT INTO matter_results (case_id, matter, outcome, reason, documents, delivery, decided_at,"
            " content_hash, received_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (case_id, matter) DO UPDATE SET outcome = excluded.outcome, reason = excluded.reason,"
            " documents = excluded.documents, delivery = excluded.delivery, decided_at = excluded.decided_at,"
            " content_hash = excluded.content_hash, received_at = excluded.received_at, source = excluded.source",
            (case_id, matter, body["outcome"], body.get("reason", ""), canonical_json(body.get("documents", [])),
             body.get("delivery", "counter"), body["decided_at"], digest, now.isoformat(timespec="seconds"), source))
        state = case_state(connection, case_id)
        if state["state"] != before["state"]:
            tell_applicant(connection, case, state, now, sign, sealer)
    return (201 if stored is None else 200), state


def tell_applicant(connection: Connection, case: Any, state: dict[str, Any], now: datetime, sign: str,
                   sealer: Sealer) -> None:
    """Queue the messages a state change calls for: ready, to be mailed, closed; and a refusal
    once every matter is decided."""
    values = json.loads(case["body"]).get("values", {})
    phone = str((values.get("applicant.phone") or {}).get("value") or "")
    name = str((values.get("applicant.name") or {}).get("value") or "")
    kinds = [state["state"]] if state["state"] in ("ready", "to_mail", "closed", "mailed") else []
    if state["state"] in ("ready", "to_mail", "closed") and any(m["outcome"] == "refused" for m in state["matters"]):
        kinds.append("refused")
    for kind in kinds:
        notify.enqueue(connection, case["case_id"], kind, phone,
                       notify.message_text(sign, name, case["case_number"], kind), now, sealer=sealer)


def case_state(connection: Connection, case_id: str) -> dict[str, Any]:
    """The case's state and each matter's, for the clerk, the progress page and the notifier."""
    case = connection.execute("SELECT case_id, case_number, status, body FROM cases WHERE case_id = ?",
                              (case_id,)).fetchone()
    rows = {r["matter"]: r for r in connection.execute(
        "SELECT matter, outcome, reason, documents, delivery, decided_at FROM matter_results WHERE case_id = ?",
        (case_id,))}
    body = json.loads(case["body"])
    matters = []
    for matter in body.get("matters", []):
        row = rows.get(matter["code"])
        item: dict[str, Any] = {"code": matter["code"], "name": matter["name"], "department": matter["department"],
                                "outcome": row["outcome"] if row else "", "label": OUTCOMES[row["outcome"]] if row
                                else "审批中", "reason": row["reason"] if row else "",
                                "documents": json.loads(row["documents"]) if row else [],
                                "delivery": row["delivery"] if row else "", "decided_at": row["decided_at"] if row else ""}
        matters.append(item)
    handover = connection.execute("SELECT kind, handed_at FROM handovers WHERE case_id = ?", (case_id,)).fetchone()
    state = _state_of(case["status"], matters, handover["kind"] if handover else "")
    return {"case_id": case_id, "case_number": case["case_number"], "state": state, "label": CASE_STATES[state],
            "matters": matters, "handed_at": handover["handed_at"] if handover else ""}


def _state_of(status: str, matters: list[dict[str, Any]], handover: str) -> str:
    if status != "accepted":
        return "accepted"  # not reached: only accepted cases have results; the caller shows its own status
    if handover:
        return "mailed" if handover == "mail" else "collected"
    if not any(m["outcome"] for m in matters):
        return "accepted"
    if any(m["outcome"] not in FINAL for m in matters):
        return "reviewing"
    with_documents = [m for m in matters if m["documents"]]
    if not with_documents:
        return "closed"
    return "to_mail" if all(m["delivery"] == "mail" for m in with_documents) else "ready"


def documents_due(state: dict[str, Any]) -> list[dict[str, Any]]:
    """What is to be handed over: every document of every matter, with its matter's name."""
    return [{**document, "matter": matter["name"]} for matter in state["matters"] for document in matter["documents"]]


def put_handover(connection: Connection, handover_id: str, body: dict[str, Any], now: datetime,
                 sign: str, sealer: Sealer) -> tuple[int, dict[str, Any]]:
    """The results handed to the applicant (or an agent with a 委托书) at a window, or mailed.
    Idempotent by the counter's id, like a case: the same hand-over again is a 200; another
    hand-over of a case already handed over is a 409 (the paper is with someone)."""
    digest = content_hash(body)
    with transaction(connection):
        stored = connection.execute("SELECT * FROM handovers WHERE handover_id = ?", (handover_id,)).fetchone()
        if stored is not None:
            if stored["content_hash"] != digest:
                raise ResultError(409, "同一出件记录的内容不同")
            # The counter's outbox acknowledges a record by its receipt id and content hash.
            return 200, {**case_state(connection, stored["case_id"]), "replay": True, "receipt_id": handover_id,
                         "content_hash": digest}
        case = _case(connection, body["case_id"])
        state = case_state(connection, body["case_id"])
        if state["state"] in ("collected", "mailed"):
            raise ResultError(409, f"该案件已于 {state['handed_at'][:16].replace('T', ' ')} 交付，不能再次出件")
        if state["state"] not in ("ready", "to_mail"):
            raise ResultError(409, f"该案件{state['label']}，尚无可交付的证照")
        problem = _handover_problem(json.loads(case["body"]).get("values", {}), state, body)
        if problem:
            raise ResultError(422, problem)
        connection.execute(
            "INSERT INTO handovers (handover_id, case_id, kind, handed_at, window, clerk, content_hash, body,"
            " received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (handover_id, body["case_id"], body["kind"], body["handed_at"], body["window"], body["clerk"], digest,
             canonical_json(body), now.isoformat(timespec="seconds")))
        after = case_state(connection, body["case_id"])
        tell_applicant(connection, case, after, now, sign, sealer)
    return 201, {**after, "replay": False, "receipt_id": handover_id, "content_hash": digest}


def _handover_problem(values: dict[str, Any], state: dict[str, Any], body: dict[str, Any]) -> str:
    applicant_id = str((values.get("applicant.id_number") or {}).get("value") or "")
    collector = body["collector"]
    if body["kind"] == "counter":
        if collector["relation"] == "self" and collector["id_number"].upper() != applicant_id.upper():
            return "领取人身份证号与申请人不一致；他人代领请选“代领”并登记委托书"
        if collector["relation"] == "agent" and not body.get("authorization", "").strip():
            return "代领须登记授权委托书（编号或说明）"
    elif not body.get("mail", {}).get("carrier") or not body.get("mail", {}).get("tracking"):
        return "邮寄须登记快递公司和运单号"
    due = sorted((d["name"], d.get("number", ""), d.get("copies", 1)) for d in documents_due(state))
    given = sorted((d["name"], d.get("number", ""), d.get("copies", 1)) for d in body["documents"])
    if due != given:
        return "交付清单与待领取的证照不一致（名称、编号、份数须逐项核对）"
    return ""


def handover_info(connection: Connection, case_number: str) -> dict[str, Any] | None:
    """What the window needs to hand a case's results over: the state, the documents due,
    the applicant's masked name, and a key that tells whether an ID number is the
    applicant's without sending the number itself (sha256 of case id and number)."""
    row = connection.execute("SELECT case_id, bundle_name, status, body FROM cases WHERE case_number = ?",
                             (case_number,)).fetchone()
    if row is None or row["status"] != "accepted":
        return None
    values = json.loads(row["body"]).get("values", {})
    applicant_id = str((values.get("applicant.id_number") or {}).get("value") or "")
    name = str((values.get("applicant.name") or {}).get("value") or "")
    state = case_state(connection, row["case_id"])
    return {**state, "bundle_name": row["bundle_name"], "documents_due": documents_due(state),
            "applicant_masked": MaskPolicy().name(name), "applicant_key": applicant_key(row["case_id"], applicant_id)}

