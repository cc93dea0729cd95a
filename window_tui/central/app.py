"""The platform's HTTP API (FastAPI). All routes live under /api/v1 except the
public progress page for the receipt's QR code (/p/{case_number})."""


import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from window_tui.central import intake, numbering, registry_store, stats
from window_tui.central.auth import AuthError, Principal, authenticate, login
from window_tui.central.clock import Clock
from window_tui.central.db import connect, transaction
from window_tui.central.hub import EventHub
from window_tui.central.queue import Queue, QueueError
from window_tui.domain.catalog import Catalog, default_catalog
from window_tui.domain.queue_policy import QueuePolicy
from window_tui.domain.workdays import WorkCalendar

API = "/api/v1"
log = logging.getLogger("window_tui.central")


@dataclass
class Platform:
    connection: sqlite3.Connection
    clock: Clock = field(default_factory=Clock)
    catalog: Catalog = field(default_factory=default_catalog)
    calendar: WorkCalendar = field(default_factory=WorkCalendar.load)
    hall_name: str = "政务服务大厅"
    followup_workdays: int = 5
    hub: EventHub = field(default_factory=EventHub)
    heartbeat_seconds: float = 15.0
    policy: QueuePolicy = field(default_factory=QueuePolicy)
    poll_interval: float = 0.0  # > 0 when other processes write events too (serve --workers)

    def __post_init__(self) -> None:
        self.queue = Queue(self.connection, self.policy)
        self._catalog_json = json.dumps(catalog_document(self.catalog), ensure_ascii=False).encode("utf-8")


def catalog_document(catalog: Catalog) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        "version": catalog.version,
        "sections": list(catalog.sections),
        "bundles": {k: asdict(v) for k, v in catalog.bundles.items()},
        "matters": {k: asdict(v) for k, v in catalog.matters.items()},
        "materials": {k: asdict(v) for k, v in catalog.materials.items()},
        "fields": {k: {**asdict(v), "fill": str(v.fill) if v.fill else None} for k, v in catalog.fields.items()},
    }


class LoginBody(BaseModel):
    clerk: str
    password: str
    window: int | None = None
    device: str = ""  # the counter installation; a window is bound to one device at a time


class LeaseBody(BaseModel):
    days: int = 7
    size: int = 50


class TicketBody(BaseModel):
    service: str
    priority: str = "normal"
    priority_kind: str = ""
    appointment_code: str = ""


class CallBody(BaseModel):
    label: str


class FinishBody(BaseModel):
    case_numbers: list[str] = []


class TransferBody(BaseModel):
    to_service: str | None = None
    to_window: int | None = None


class BatchItem(BaseModel):
    kind: str
    id: str
    body: dict[str, Any]


def create_app(platform: Platform) -> FastAPI:
    app = FastAPI(title="window-tui 中心平台", version="1.0", openapi_url="/openapi.json", docs_url="/docs")
    app.state.platform = platform

    @app.exception_handler(QueueError)
    async def queue_error(_: Request, exc: QueueError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)

    @app.exception_handler(AuthError)
    async def auth_error(_: Request, exc: AuthError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)

    async def principal(authorization: Annotated[str | None, Header()] = None) -> Principal:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise AuthError(401, "缺少令牌，请先登录")
        return authenticate(platform.connection, authorization[7:].strip(), platform.clock.now())

    def role(*roles: str):  # noqa: ANN202 (a FastAPI dependency factory)
        async def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
            if who.role not in roles and who.role != "admin":
                raise AuthError(403, "无权执行此操作")
            return who

        return check

    Clerk = Annotated[Principal, Depends(role("clerk"))]
    Display = Annotated[Principal, Depends(role("display", "clerk"))]
    Kiosk = Annotated[Principal, Depends(role("kiosk"))]
    Sender = Annotated[Principal, Depends(role("clerk", "rater"))]

    def own_window(who: Principal, window: int) -> None:
        if who.role != "admin" and who.window != window:
            raise AuthError(403, f"本令牌属于 {who.window} 号窗口，不能操作 {window} 号窗口")

    def done(result: Any, status: int = 200) -> JSONResponse:
        platform.hub.notify()
        return JSONResponse(result, status_code=status)

    @app.get(f"{API}/health")
    async def health() -> dict[str, Any]:
        import os

        return {"status": "ok", "time": platform.clock.now().isoformat(timespec="seconds"),
                "hall": platform.hall_name, "process": os.getpid()}

    @app.post(f"{API}/auth/login")
    async def do_login(body: LoginBody) -> dict[str, Any]:
        now = platform.clock.now()
        with transaction(platform.connection):
            if body.window is not None:
                platform.queue.window(body.window)
            token, expires, row = login(platform.connection, body.clerk, body.password, body.window, now,
                                        device=body.device)
            if body.window is not None:
                platform.connection.execute("UPDATE windows SET clerk = ? WHERE number = ?",
                                            (body.clerk, body.window))
        return {"token": token, "expires_at": expires.isoformat(), "clerk": {"number": row["number"],
                "name": row["name"], "role": row["role"]}, "window": body.window}

    @app.get(f"{API}/services")
    async def services(_: Annotated[Principal, Depends(principal)]) -> list[dict[str, Any]]:
        return platform.queue.services()

    @app.get(f"{API}/windows")
    async def windows(_: Clerk) -> list[dict[str, Any]]:
        return platform.queue.windows()

    @app.post(f"{API}/tickets", status_code=201)
    async def issue(body: TicketBody, _: Kiosk) -> JSONResponse:
        now = platform.clock.now()
        slot_start = slot_end = None
        priority = body.priority
        if body.appointment_code:
            row = platform.connection.execute("SELECT * FROM appointments WHERE code = ?",
                                              (body.appointment_code,)).fetchone()
            if row is None or row["service"] != body.service:
                raise QueueError(404, "预约码无效，请核对或按普通号取号")
            if row["used"]:
                raise QueueError(409, "该预约码已取过号")
            slot_start = datetime.fromisoformat(row["slot_start"])
            slot_end = datetime.fromisoformat(row["slot_end"])
            if slot_start.date() != now.date():
                raise QueueError(409, f"预约日期为 {slot_start:%Y-%m-%d}，不是今天")
            priority = "appointment"
            platform.connection.execute("UPDATE appointments SET used = 1 WHERE code = ?",
                                        (body.appointment_code,))
        elif priority == "appointment":
            raise QueueError(400, "预约取号须提供预约码")
        ticket = platform.queue.issue(body.service, now, priority=priority, priority_kind=body.priority_kind,
                                      appointment_code=body.appointment_code, slot_start=slot_start,
                                      slot_end=slot_end)
        return done(ticket, 201)

    @app.get(f"{API}/tickets/{{label}}/position")
    async def position(label: str) -> dict[str, Any]:
        now = platform.clock.now()
        return platform.queue.position(now.date().isoformat(), label, now)

    @app.post(f"{API}/windows/{{window}}/call-next")
    async def call_next(window: int, who: Clerk) -> JSONResponse:
        own_window(who, window)
        ticket = platform.queue.call_next(window, platform.clock.now())
        if ticket is None:
            return JSONResponse({"detail": "当前无人等候", "ticket": None}, status_code=200)
        return done({"ticket": ticket})

    @app.post(f"{API}/windows/{{window}}/call")
    async def call_number(window: int, body: CallBody, who: Clerk) -> JSONResponse:
        own_window(who, window)
        return done({"ticket": platform.queue.call_number(window, body.label, platform.clock.now())})

    @app.post(f"{API}/windows/{{window}}/recall")
    async def recall(window: int, who: Clerk) -> JSONResponse:
        own_window(who, window)
        return done({"ticket": platform.queue.recall(window, platform.clock.now())})

    @app.post(f"{API}/windows/{{window}}/no-show")
    async def no_show(window: int, who: Clerk) -> JSONResponse:
        own_window(who, window)
        return done({"ticket": platform.queue.no_show(window, platform.clock.now())})

    @app.post(f"{API}/windows/{{window}}/start")
    async def start(window: int, who: Clerk) -> JSONResponse:
        own_window(who, window)
        return done({"ticket": platform.queue.start(window, platform.clock.now())})

    @app.post(f"{API}/windows/{{window}}/finish")
    async def finish(window: int, body: FinishBody, who: Clerk) -> JSONResponse:
        own_window(who, window)
        return done({"ticket": platform.queue.finish(window, platform.clock.now(), body.case_numbers)})

    @app.post(f"{API}/windows/{{window}}/transfer")
    async def transfer(window: int, body: TransferBody, who: Clerk) -> JSONResponse:
        own_window(who, window)
        ticket = platform.queue.transfer(window, platform.clock.now(), to_service=body.to_service,
                                         to_window=body.to_window)
        return done({"ticket": ticket})

    @app.post(f"{API}/windows/{{window}}/pause")
    async def pause(window: int, who: Clerk) -> JSONResponse:
        own_window(who, window)
        return done(platform.queue.set_paused(window, True, platform.clock.now()))

    @app.post(f"{API}/windows/{{window}}/resume")
    async def resume(window: int, who: Clerk) -> JSONResponse:
        own_window(who, window)
        return done(platform.queue.set_paused(window, False, platform.clock.now()))

    @app.post(f"{API}/windows/{{window}}/case-numbers")
    async def case_numbers(window: int, body: LeaseBody, who: Clerk) -> JSONResponse:
        """Blocks of case numbers for this window (today and the next days), never handed out twice."""
        own_window(who, window)
        platform.queue.window(window)
        try:
            blocks = numbering.lease_blocks(platform.connection, window, who.subject, platform.clock.now(),
                                            body.days, body.size)
        except numbering.NumberingError as exc:
            return JSONResponse({"detail": exc.message}, status_code=exc.status)
        return JSONResponse({"window": window, "blocks": blocks})

    @app.get(f"{API}/windows/{{window}}/state")
    async def window_state(window: int, who: Clerk) -> dict[str, Any]:
        own_window(who, window)
        now = platform.clock.now()
        day = now.date().isoformat()
        row = platform.queue.window(window)
        served = platform.connection.execute(
            "SELECT COUNT(*) FROM tickets WHERE day = ? AND window = ? AND status = 'done'", (day, window)
        ).fetchone()[0]
        no_shows = platform.connection.execute(
            "SELECT COUNT(*) FROM events WHERE day = ? AND window = ? AND kind = 'no_show'", (day, window)
        ).fetchone()[0]
        last_event = platform.connection.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
        return {"window": window, "paused": bool(row["paused"]), "services": json.loads(row["services"]),
                "current": platform.queue.current(window, now), "waiting": platform.queue.waiting_counts(day),
                "served_today": served, "no_shows_today": no_shows, "last_event_id": last_event}

    @app.get(f"{API}/windows/{{window}}/last-finished")
    async def last_finished(window: int, who: Annotated[Principal, Depends(role("rater", "clerk"))]) -> dict[str, Any]:
        """For the rating pad at a window: the case numbers of the last finished ticket."""
        if who.window is not None and who.window != window:
            raise AuthError(403, f"本设备属于 {who.window} 号窗口")
        row = platform.connection.execute(
            "SELECT label, case_numbers, finished_at FROM tickets WHERE window = ? AND status = 'done'"
            " ORDER BY finished_at DESC, id DESC LIMIT 1", (window,)).fetchone()
        if row is None:
            return {"label": "", "case_numbers": [], "finished_at": None}
        return {"label": row["label"], "case_numbers": json.loads(row["case_numbers"]), "finished_at": row["finished_at"]}

    @app.get("/q/{label}", response_class=HTMLResponse)
    async def queue_page(label: str) -> HTMLResponse:
        """The ticket's QR code: where am I in the queue (no personal data)."""
        from html import escape

        now = platform.clock.now()
        try:
            position = platform.queue.position(now.date().isoformat(), label, now)
        except QueueError as exc:
            return HTMLResponse(f"<!doctype html><meta charset='utf-8'><p>{escape(exc.message)}</p>", status_code=404)
        status = {"waiting": f"等候中，前面还有 {position['ahead']} 人", "called": f"请到 {position['window']} 号窗口",
                  "serving": "办理中", "done": "已办结", "cancelled": "已过号作废"}.get(position["status"], "")
        return HTMLResponse(f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><meta name='viewport' "
                            f"content='width=device-width'><title>排队进度</title><h2>{escape(platform.hall_name)}</h2>"
                            f"<p>号码 <b>{escape(position['label'])}</b>（{escape(position['service_name'])}）</p>"
                            f"<p>{escape(status)}</p></html>")

    @app.get(f"{API}/display/snapshot")
    async def snapshot(_: Display) -> dict[str, Any]:
        return display_snapshot(platform)

    @app.get(f"{API}/events/stream")
    async def stream(request: Request, _: Display, after: int | None = None,
                     last_event_id: Annotated[str | None, Header()] = None) -> StreamingResponse:
        start_after = after or 0
        if last_event_id and last_event_id.isdigit():
            start_after = int(last_event_id)
        return StreamingResponse(event_lines(platform, request, start_after), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.get(f"{API}/registry/{{registry}}/{{key}}")
    async def registry_lookup(registry: str, key: str, case_id: str, who: Clerk) -> JSONResponse:
        if registry not in registry_store.LOOKUP_REGISTRIES:
            return JSONResponse({"detail": f"未知的共享数据来源 {registry}"}, status_code=404)
        if len(case_id) < 8:
            return JSONResponse({"detail": "查询共享数据须说明所办案件"}, status_code=400)
        record = registry_store.lookup(platform.connection, who, registry, key, case_id, platform.clock.now())
        if record is None:
            return JSONResponse({"detail": "共享数据中无此记录", "found": False}, status_code=404)
        return JSONResponse(record)

    @app.get(f"{API}/catalog")
    async def catalog(_: Annotated[Principal, Depends(principal)],
                      if_none_match: Annotated[str | None, Header()] = None) -> Response:
        etag = f'"{platform.catalog.version}"'
        if if_none_match == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return Response(platform._catalog_json, media_type="application/json", headers={"ETag": etag})

    @app.put(f"{API}/cases/{{case_id}}")
    async def put_case(case_id: str, _: Clerk, body: Annotated[Any, Body()]) -> JSONResponse:
        status, answer = intake.put_case(platform.connection, platform.catalog, case_id, body,
                                         platform.clock.now())
        return JSONResponse(answer, status_code=status)

    @app.get(f"{API}/cases/{{case_id}}")
    async def get_case(case_id: str, _: Clerk) -> JSONResponse:
        found = intake.get_case(platform.connection, case_id)
        if found is None:
            return JSONResponse({"detail": "平台上没有此案件"}, status_code=404)
        return JSONResponse(found)

    @app.put(f"{API}/records/{{kind}}/{{record_id}}")
    async def put_record(kind: str, record_id: str, _: Sender, body: Annotated[Any, Body()]) -> JSONResponse:
        status, answer = intake.put_record(platform.connection, kind, record_id, body, platform.clock.now(),
                                           platform.calendar, platform.followup_workdays)
        return JSONResponse(answer, status_code=status)

    @app.post(f"{API}/sync/batch")
    async def batch(request: Request, who: Sender) -> JSONResponse:
        """Body: {"items": [{"kind", "id", "body"}]} — parsed by hand: validating large
        case bodies through pydantic models would cost more than the intake itself."""
        try:
            raw = json.loads(await request.body())
            items = [BatchItem.model_construct(kind=str(i["kind"]), id=str(i["id"]), body=i["body"])
                     for i in raw["items"]]
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"detail": "批量数据格式错误：应为 {\"items\": [{\"kind\", \"id\", \"body\"}]}"},
                                status_code=400)
        now = platform.clock.now()
        results = []
        for item in items:
            status, answer = batch_item(platform, who, item, now)
            results.append({"kind": item.kind, "id": item.id, "status": status, **answer})
        return JSONResponse({"results": results})

    @app.get(f"{API}/progress/{{case_number}}")
    async def progress(case_number: str) -> JSONResponse:
        found = intake.progress(platform.connection, case_number)
        if found is None:
            return JSONResponse({"detail": "未查询到该案件（离线受理的案件上传后可查）"}, status_code=404)
        return JSONResponse(found)

    @app.get("/p/{case_number}", response_class=HTMLResponse)
    async def progress_page(case_number: str) -> HTMLResponse:
        found = intake.progress(platform.connection, case_number)
        return HTMLResponse(progress_html(platform.hall_name, case_number, found),
                            status_code=200 if found else 404)

    @app.get(f"{API}/stats")
    async def day_stats(_: Clerk, day: str | None = None) -> dict[str, Any]:
        return stats.daily_stats(platform.connection, day or platform.clock.now().date().isoformat())

    @app.get(f"{API}/followups")
    async def list_followups(_: Clerk) -> list[dict[str, Any]]:
        return intake.followups(platform.connection)

    @app.get(f"{API}/audit")
    async def audit(_: Annotated[Principal, Depends(role("admin"))], case_id: str | None = None) -> list[dict[str, Any]]:
        return registry_store.audit_entries(platform.connection, case_id)

    return app


def batch_item(platform: Platform, who: Principal, item: BatchItem, now: datetime) -> tuple[int, dict[str, Any]]:
    """One record of a batch, answered on its own: a malformed record is a 422 for
    that record, never a 500 that holds back every good record beside it."""
    try:
        if item.kind == "case":
            if who.role not in ("clerk", "admin"):
                return 403, {"detail": "无权提交案件"}
            return intake.put_case(platform.connection, platform.catalog, item.id, item.body, now)
        return intake.put_record(platform.connection, item.kind, item.id, item.body, now,
                                 platform.calendar, platform.followup_workdays)
    except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as exc:
        log.warning("batch record %s/%s malformed: %r", item.kind, item.id, exc)
        return 422, {"detail": f"记录格式错误：{type(exc).__name__}（{exc}）"}
    except sqlite3.Error as exc:
        log.exception("batch record %s/%s: database error", item.kind, item.id)
        return 503, {"detail": f"数据库暂时不可用：{exc}"}


def display_snapshot(platform: Platform) -> dict[str, Any]:
    now = platform.clock.now()
    day = now.date().isoformat()
    connection = platform.connection
    last_event = connection.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
    recent = [
        {"id": r["id"], "kind": r["kind"], "ticket": r["ticket"], "window": r["window"], "at": r["at"],
         **json.loads(r["payload"])}
        for r in connection.execute(
            "SELECT * FROM events WHERE day = ? AND kind IN ('called', 'recalled') ORDER BY id DESC LIMIT 12",
            (day,),
        )
    ]
    for item in recent:
        item.pop("waiting", None)
    return {"hall": platform.hall_name, "now": now.isoformat(timespec="seconds"), "last_event_id": last_event,
            "waiting": platform.queue.waiting_counts(day), "services": platform.queue.services(),
            "windows": [{"number": w["number"], "name": w["name"], "paused": bool(w["paused"])}
                        for w in platform.queue.windows()],
            "recent_calls": recent}


async def event_lines(platform: Platform, request: Request, after: int) -> AsyncIterator[str]:
    import time

    last = after
    beat = time.monotonic()
    yield "retry: 1000\n\n"
    while True:
        seen = platform.hub.version
        rows = platform.connection.execute(
            "SELECT * FROM events WHERE id > ? ORDER BY id LIMIT 500", (last,)
        ).fetchall()
        for row in rows:
            data = {"id": row["id"], "kind": row["kind"], "ticket": row["ticket"], "service": row["service"],
                    "window": row["window"], "at": row["at"], **json.loads(row["payload"])}
            yield f"id: {row['id']}\nevent: {row['kind']}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
            last = row["id"]
        if rows:
            continue
        if await request.is_disconnected():
            return
        woke = await platform.hub.wait(seen, platform.poll_interval or platform.heartbeat_seconds)
        if not woke and time.monotonic() - beat >= platform.heartbeat_seconds:
            beat = time.monotonic()
            yield ": keepalive\n\n"


def progress_html(hall: str, case_number: str, found: dict[str, Any] | None) -> str:
    from html import escape

    if found is None:
        body = f"<p>未查询到案件 {escape(case_number)}。离线受理的案件在网络恢复上传后即可查询。</p>"
    else:
        body = (f"<p>案件编号：{escape(found['case_number'])}</p><p>事项：{escape(found['bundle_name'])}</p>"
                f"<p>状态：<b>{escape(found['status_label'])}</b></p>"
                f"<p>受理日期：{escape(found['accepted_on'])}</p><p>承诺办结：{escape(found['promised_date'])}</p>")
    return (f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><meta name='viewport' "
            f"content='width=device-width'><title>办件进度</title><h2>{escape(hall)} 办件进度</h2>{body}</html>")


def open_platform(db_path: Path | str, **kwargs: Any) -> Platform:
    return Platform(connect(db_path), **kwargs)
