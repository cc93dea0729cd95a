"""The platform's HTTP API (FastAPI). All routes live under /api/v1 except the
public progress page for the receipt's QR code (/p/{case_number})."""


import asyncio
import json
import logging
import os
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, Header, Query, Request
from fastapi import Path as FPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from window_tui.central import (
    access,
    appointments,
    followups,
    intake,
    numbering,
    registry_store,
    reports,
    results,
    stats,
)
from window_tui.central.auth import (
    AuthError,
    Principal,
    authenticate,
    clear_failures,
    login_blocked,
    open_session,
    record_failure,
    release_window,
    verify_password,
)
from window_tui.central.auth import audit as auth_audit
from window_tui.central.clock import Clock
from window_tui.central.db import connect, transaction
from window_tui.central.dialect import Connection, DatabaseError, is_postgres
from window_tui.central.guards import BodyLimit, BodyTooLarge, RateLimiter
from window_tui.central.hub import EventHub
from window_tui.central.listener import FALLBACK_POLL, EventListener
from window_tui.central.notify import Notifier, outbox_summary
from window_tui.central.overview import hall_overview
from window_tui.central.queue import Queue, QueueError
from window_tui.central.schemas import (
    AppointmentBody,
    AuditRecordBody,
    BatchBody,
    BatchItem,
    CallBody,
    FinishBody,
    FollowupCloseBody,
    HandoverBody,
    LeaseBody,
    LoginBody,
    MessageBody,
    MoveBody,
    OpenCaseBody,
    PauseBody,
    PrintRecordBody,
    RatingBody,
    ReportBody,
    ReportStateBody,
    ResultBody,
    SlotBody,
    TicketBody,
    TransferBody,
    describe_errors,
)
from window_tui.central.seal import Sealer
from window_tui.domain.catalog import Catalog, default_catalog
from window_tui.domain.queue_policy import QueuePolicy
from window_tui.domain.workdays import WorkCalendar

API = "/api/v1"
log = logging.getLogger("window_tui.central")


@dataclass
class Platform:
    connection: Connection
    clock: Clock = field(default_factory=Clock)
    catalog: Catalog = field(default_factory=default_catalog)
    calendar: WorkCalendar = field(default_factory=WorkCalendar.load)
    hall_name: str = "政务服务大厅"
    followup_workdays: int = 5
    hub: EventHub = field(default_factory=EventHub)
    heartbeat_seconds: float = 15.0
    policy: QueuePolicy = field(default_factory=QueuePolicy)
    poll_interval: float = 0.0  # > 0 when other processes write events too (serve --workers)
    case_body_limit: int = 256 * 1024
    lookups_per_minute: int = 120  # per clerk
    progress_per_minute: int = 30  # per address, public progress lookups
    rating_period: timedelta = timedelta(minutes=30)  # a rating comes within this after finishing
    login_tarpit: float = 1.0  # seconds a refused login waits before its answer (asynchronously)
    hall_code: str = ""  # the hall's code in a city platform (its path: /halls/{code})
    listener: EventListener | None = None  # PostgreSQL: one per process, shared by its halls
    sms_url: str = ""  # the SMS gateway the applicant's messages go to; "" = only recorded
    hotline_url: str = ""  # the 12345 hotline's work-order intake; "" = only recorded
    report_workdays: int = 5  # a 办不成事 report's deadline, in working days (the hall's rule)
    notify_interval: float = 2.0  # seconds between looks at the outbox (a result wakes it at once)
    notify_backoff: float = 5.0  # seconds before the first retry of an undelivered message (doubling)
    # Seals applicants' contacts at rest (central.seal); `serve` loads the hall's key file.
    sealer: Sealer = field(default_factory=Sealer.ephemeral)

    def __post_init__(self) -> None:
        self.queue = Queue(self.connection, self.policy)
        if is_postgres(self.connection):
            # Other processes and hosts write to the same database: streams are woken by
            # LISTEN/NOTIFY and look at the table once a second in any case.
            if self.listener is None:
                self.listener = EventListener(self.connection.url, {})
            self.listener.hubs[self.connection.schema] = self.hub
            self.poll_interval = self.poll_interval or FALLBACK_POLL
        self.notifier = Notifier(self.connection, self.clock.now, key_prefix=self.hall_code or "hall",
                                 sealer=self.sealer,
                                 url=self.sms_url, hotline_url=self.hotline_url, interval=self.notify_interval,
                                 backoff=self.notify_backoff)
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


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "请求内容无效"}, 401: {"description": "未登录或令牌无效"},
    403: {"description": "无权执行此操作"}, 404: {"description": "不存在"}, 409: {"description": "冲突"},
    413: {"description": "请求内容过大"}, 422: {"description": "字段校验未通过（中文说明字段）"},
    429: {"description": "过于频繁，请稍后再试"},
}
PUBLIC_ERRORS = {k: v for k, v in ERRORS.items() if k in (404, 422, 429)}
Window = Annotated[int, FPath(ge=1, le=999, description="窗口号")]
CaseId = Annotated[str, FPath(min_length=8, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
Label = Annotated[str, FPath(min_length=1, max_length=16, pattern=r"^[A-Za-z]{0,4}[0-9]{1,5}$")]
NumberPath = Annotated[str, FPath(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z-]+$")]


def create_app(platform: Platform) -> FastAPI:
    app = FastAPI(title="window-tui 中心平台", version="1.0", openapi_url="/openapi.json", docs_url="/docs")
    app.state.platform = platform
    app.add_middleware(BodyLimit, case_limit=platform.case_body_limit)
    lookups = RateLimiter(platform.lookups_per_minute, 60)
    progress_reads = RateLimiter(platform.progress_per_minute, 60)

    def fail(status: int, message: str, retry_after: int | None = None, **extra: Any) -> JSONResponse:
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return JSONResponse({"detail": message, **extra}, status_code=status, headers=headers)

    @app.exception_handler(QueueError)
    async def queue_error(_: Request, exc: QueueError) -> JSONResponse:
        return fail(exc.status, exc.message)

    @app.exception_handler(AuthError)
    async def auth_error(_: Request, exc: AuthError) -> JSONResponse:
        return fail(exc.status, exc.message, exc.retry_after)

    @app.exception_handler(results.ResultError)
    @app.exception_handler(reports.ReportError)
    @app.exception_handler(followups.FollowupError)
    @app.exception_handler(appointments.AppointmentError)
    async def result_error(_: Request, exc: results.ResultError | reports.ReportError
                           | appointments.AppointmentError | followups.FollowupError) -> JSONResponse:
        return fail(exc.status, exc.message)

    @app.exception_handler(numbering.NumberingError)
    async def numbering_error(_: Request, exc: numbering.NumberingError) -> JSONResponse:
        return fail(exc.status, exc.message)

    @app.exception_handler(BodyTooLarge)
    async def too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return fail(413, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        message, fields = describe_errors(list(exc.errors()))
        return fail(422, message, errors=fields)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = str(exc.detail)
        if not CHINESE.search(detail):  # the framework's own English messages
            detail = HTTP_WORDS.get(exc.status_code, f"请求无法处理（HTTP {exc.status_code}）")
        return fail(exc.status_code, detail)

    async def database_unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.error("database error: %s", exc)
        return fail(503, "数据库暂时不可用，请稍后重试", 5)

    for kind in DatabaseError:
        app.add_exception_handler(kind, database_unavailable)

    @app.exception_handler(OverflowError)
    @app.exception_handler(UnicodeError)
    @app.exception_handler(RecursionError)
    async def unusable(_: Request, exc: Exception) -> JSONResponse:
        # Integers beyond 64 bits, lone surrogates, JSON nested too deep: the input, not the platform.
        return fail(400, f"请求内容无法处理（{type(exc).__name__}）")

    async def principal(authorization: Annotated[str | None, Header()] = None) -> Principal:
        if not authorization or not authorization.lower().startswith("bearer ") or len(authorization) > 200:
            raise AuthError(401, "缺少令牌，请先登录")
        platform.notifier.ensure_started()  # any device's request (re)starts the outbox's worker
        return authenticate(platform.connection, authorization[7:].strip(), platform.clock.now())

    def role(*roles: str):  # noqa: ANN202 (a FastAPI dependency factory)
        async def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
            if who.role not in roles and who.role != "admin":
                raise AuthError(403, "无权执行此操作")
            return who

        return check

    Anyone = Annotated[Principal, Depends(principal)]
    Clerk = Annotated[Principal, Depends(role("clerk", "supervisor"))]
    Supervisor = Annotated[Principal, Depends(role("supervisor"))]
    Admin = Annotated[Principal, Depends(role("admin"))]
    Display = Annotated[Principal, Depends(role("display", "clerk", "supervisor"))]
    Kiosk = Annotated[Principal, Depends(role("kiosk"))]
    Sender = Annotated[Principal, Depends(role("clerk", "supervisor", "rater"))]
    Backoffice = Annotated[Principal, Depends(role("backoffice"))]
    CaseReader = Annotated[Principal, Depends(role("clerk", "supervisor", "backoffice"))]

    def own_window(who: Principal, window: int) -> None:
        if who.role != "admin" and who.window != window:
            raise AuthError(403, f"本令牌属于 {who.window} 号窗口，不能操作 {window} 号窗口")

    def done(result: Any, status: int = 200) -> JSONResponse:
        platform.hub.notify()
        return JSONResponse(result, status_code=status)

    @app.get(f"{API}/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "time": platform.clock.now().isoformat(timespec="seconds"),
                "hall": platform.hall_name, "hall_code": platform.hall_code, "process": os.getpid(),
                "database": "postgresql" if is_postgres(platform.connection) else "sqlite",
                "events": platform.listener.state if platform.listener else "本进程",
                "notifications": {"worker": platform.notifier.state, **outbox_summary(platform.connection)}}

    @app.post(f"{API}/auth/login", responses=ERRORS)
    async def do_login(body: LoginBody, request: Request) -> dict[str, Any]:
        """Locks and delays are checked before hashing; scrypt runs in a thread, so a flood of
        wrong passwords costs the hall's other requests (call-next) next to nothing."""
        now = platform.clock.now()
        address = request.client.host if request.client else ""
        keys = [f"clerk:{body.clerk}", f"addr:{address}"]
        blocked = login_blocked(platform.connection, keys, now)
        if blocked is not None:
            await asyncio.sleep(platform.login_tarpit)  # a flood waits; the event loop does not
            raise blocked
        row = platform.connection.execute("SELECT * FROM clerks WHERE number = ? AND active = 1",
                                          (body.clerk,)).fetchone()
        stored = row["password_hash"] if row is not None else DUMMY_HASH  # same cost for unknown clerks
        ok = await asyncio.to_thread(verify_password, body.password, stored)
        with transaction(platform.connection):
            if row is None or not ok:
                record_failure(platform.connection, keys[0], now, admin_lock=row is not None)
                record_failure(platform.connection, keys[1], now, admin_lock=False)
                auth_audit(platform.connection, now, body.clerk, "login_failed", f"窗口 {body.window}", address)
                failure = AuthError(401, "工号或密码错误")
            else:
                failure = None
                if body.window is not None:
                    platform.queue.window(body.window)
                clear_failures(platform.connection, keys[0])
                token, expires = open_session(platform.connection, row, body.window, body.device, now)
                auth_audit(platform.connection, now, body.clerk, "login", f"窗口 {body.window}", address)
        if failure is not None:
            await asyncio.sleep(platform.login_tarpit / 2)
            raise failure
        return {"token": token, "expires_at": expires.isoformat(), "clerk": {"number": row["number"],
                "name": row["name"], "role": row["role"]}, "window": body.window, "hall_code": platform.hall_code}

    @app.post(f"{API}/windows/{{window}}/release", responses=ERRORS)
    async def release(window: Window, who: Supervisor) -> dict[str, Any]:
        """A supervisor frees a window held by a clerk (a PC that died, a clerk gone home)."""
        platform.queue.window(window)
        now = platform.clock.now()
        with transaction(platform.connection):
            ended = release_window(platform.connection, window)
            auth_audit(platform.connection, now, who.subject, "release_window", f"窗口 {window}，结束 {ended} 个会话")
        return {"window": window, "sessions_ended": ended}

    @app.get(f"{API}/services", responses=ERRORS)
    async def services(_: Anyone) -> list[dict[str, Any]]:
        return platform.queue.services()

    @app.get(f"{API}/windows", responses=ERRORS)
    async def windows(_: Clerk) -> list[dict[str, Any]]:
        return [{k: v for k, v in w.items() if k != "device"} for w in platform.queue.windows()]

    @app.post(f"{API}/tickets", status_code=201, responses=ERRORS)
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
            if row["state"] == "cancelled":
                raise QueueError(409, "该预约已取消，请按普通号取号")
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

    @app.get(f"{API}/tickets/{{label}}/position", responses=PUBLIC_ERRORS)
    async def position(label: Label) -> dict[str, Any]:
        now = platform.clock.now()
        return platform.queue.position(now.date().isoformat(), label, now)

    @app.post(f"{API}/windows/{{window}}/call-next", responses=ERRORS)
    async def call_next(window: Window, who: Clerk) -> JSONResponse:
        own_window(who, window)
        ticket = platform.queue.call_next(window, platform.clock.now())
        if ticket is None:
            return JSONResponse({"detail": "当前无人等候", "ticket": None}, status_code=200)
        return done({"ticket": ticket})

    @app.post(f"{API}/windows/{{window}}/call", responses=ERRORS)
    async def call_number(window: Window, body: CallBody, who: Clerk) -> JSONResponse:
        own_window(who, window)
        return done({"ticket": platform.queue.call_number(window, body.label, platform.clock.now())})

    @app.post(f"{API}/windows/{{window}}/recall", responses=ERRORS)
    async def recall(window: Window, who: Clerk) -> JSONResponse:
        own_window(who, window)
        return done({"ticket": platform.queue.recall(window, platform.clock.now())})

    @app.post(f"{API}/windows/{{window}}/no-show", responses=ERRORS)
    async def no_show(window: Window, who: Clerk) -> JSONResponse:
        own_window(who, window)
        return done({"ticket": platform.queue.no_show(window, platform.clock.now())})

    @app.post(f"{API}/windows/{{window}}/start", responses=ERRORS)
    async def start(window: Window, who: Clerk) -> JSONResponse:
        own_window(who, window)
        return done({"ticket": platform.queue.start(window, platform.clock.now())})

    @app.post(f"{API}/windows/{{window}}/finish", responses=ERRORS)
    async def finish(window: Window, body: FinishBody, who: Clerk) -> JSONResponse:
        own_window(who, window)
        return done({"ticket": platform.queue.finish(window, platform.clock.now(), body.case_numbers)})

    @app.post(f"{API}/windows/{{window}}/transfer", responses=ERRORS)
    async def transfer(window: Window, body: TransferBody, who: Clerk) -> JSONResponse:
        own_window(who, window)
        ticket = platform.queue.transfer(window, platform.clock.now(), to_service=body.to_service,
                                         to_window=body.to_window)
        return done({"ticket": ticket})

    def own_or_managed_window(who: Principal, window: int) -> None:
        """Pausing and opening a window: its own clerk, or the hall's manager for any window."""
        if who.role != "supervisor":
            own_window(who, window)

    @app.post(f"{API}/windows/{{window}}/pause", responses=ERRORS)
    async def pause(window: Window, who: Clerk, body: PauseBody | None = None) -> JSONResponse:
        """Why is kept for the manager's screen: the clerk's words or 窗口暂停; a manager
        pausing another's window is named."""
        own_or_managed_window(who, window)
        said = body.reason.strip() if body is not None else ""
        if who.role in ("supervisor", "admin") and who.window != window:
            title = "值班长" if who.role == "supervisor" else "管理员"
            reason = f"{title} {who.subject} 暂停" + (f"：{said}" if said else "")
        else:
            reason = said or "窗口暂停"
        return done(platform.queue.set_paused(window, True, platform.clock.now(), reason))

    @app.post(f"{API}/windows/{{window}}/resume", responses=ERRORS)
    async def resume(window: Window, who: Clerk) -> JSONResponse:
        own_or_managed_window(who, window)
        return done(platform.queue.set_paused(window, False, platform.clock.now()))

    @app.post(f"{API}/windows/{{window}}/message", responses=ERRORS)
    async def message_window(window: Window, body: MessageBody, who: Supervisor) -> JSONResponse:
        """The manager writes to a window; its console shows it (the hall's screens do not)."""
        return done(platform.queue.message(window, body.text, who.subject, platform.clock.now()))

    @app.post(f"{API}/services/{{service}}/move", responses=ERRORS)
    async def move_waiting(service: Annotated[str, FPath(max_length=8)], body: MoveBody,
                           _: Supervisor) -> JSONResponse:
        """The manager moves the first N waiting tickets of a queue to another service."""
        return done(platform.queue.move_waiting(service, body.to_service, body.count, platform.clock.now()))

    @app.post(f"{API}/windows/{{window}}/case-numbers", responses=ERRORS)
    async def case_numbers(window: Window, body: LeaseBody, who: Clerk) -> JSONResponse:
        """Blocks of case numbers for this window (today and the next days), never handed out twice."""
        own_window(who, window)
        platform.queue.window(window)
        blocks = numbering.lease_blocks(platform.connection, window, who.subject, platform.clock.now(),
                                        body.days, body.size)
        return JSONResponse({"window": window, "blocks": blocks})

    @app.get(f"{API}/windows/{{window}}/state", responses=ERRORS)
    async def window_state(window: Window, who: Clerk) -> dict[str, Any]:
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

    @app.get(f"{API}/windows/{{window}}/last-finished", responses=ERRORS)
    async def last_finished(window: Window, who: Annotated[Principal, Depends(role("rater", "clerk"))]
                            ) -> dict[str, Any]:
        """For the rating pad at a window: the case numbers of the last finished ticket."""
        if who.role != "admin" and who.window != window:
            raise AuthError(403, f"本设备属于 {who.window} 号窗口")
        row = platform.connection.execute(
            "SELECT label, case_numbers, finished_at FROM tickets WHERE window = ? AND status = 'done'"
            " ORDER BY finished_at DESC, id DESC LIMIT 1", (window,)).fetchone()
        if row is None:
            return {"label": "", "case_numbers": [], "finished_at": None}
        return {"label": row["label"], "case_numbers": json.loads(row["case_numbers"]), "finished_at": row["finished_at"]}

    @app.get("/q/{label}", response_class=HTMLResponse, responses=PUBLIC_ERRORS)
    async def queue_page(label: Label) -> HTMLResponse:
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

    @app.post(f"{API}/appointments", status_code=201, responses=ERRORS)
    async def book_appointment(body: AppointmentBody, _: Supervisor) -> JSONResponse:
        """Booked by the hall (a phone call, the front desk); checked in at the kiosk by code."""
        booked = appointments.book(platform.connection, body.service, body.slot_start, body.slot_end, body.name,
                                   body.phone, platform.clock.now())
        return JSONResponse(booked, status_code=201)

    @app.get(f"{API}/appointments", responses=ERRORS)
    async def list_appointments(_: Clerk, day: Annotated[date | None, Query()] = None,
                                service: Annotated[str, Query(max_length=8)] = "") -> list[dict[str, Any]]:
        return appointments.day_list(platform.connection, (day or platform.clock.now().date()).isoformat(), service)

    @app.post(f"{API}/appointments/{{code}}/cancel", responses=ERRORS)
    async def cancel_appointment(code: Annotated[str, FPath(max_length=16)], _: Supervisor) -> dict[str, Any]:
        return appointments.cancel(platform.connection, code)

    @app.put(f"{API}/appointment-slots", responses=ERRORS)
    async def set_slot(body: SlotBody, _: Supervisor) -> dict[str, Any]:
        return appointments.set_capacity(platform.connection, body.service, body.slot_start, body.slot_end,
                                         body.capacity)

    @app.get(f"{API}/overview", responses=ERRORS)
    async def overview(_: Supervisor) -> dict[str, Any]:
        """The hall at this moment for its manager: queues, windows, the day's totals."""
        return hall_overview(platform.connection, platform.queue, platform.clock.now())

    @app.get(f"{API}/display/snapshot", responses=ERRORS)
    async def snapshot(_: Display) -> dict[str, Any]:
        return display_snapshot(platform)

    @app.get(f"{API}/events/stream", responses=ERRORS)
    async def stream(request: Request, who: Display, after: Annotated[int, Query(ge=0, le=2**62)] = 0,
                     last_event_id: Annotated[str | None, Header(max_length=20)] = None) -> StreamingResponse:
        start_after = after
        if last_event_id and last_event_id.isdigit():
            start_after = min(int(last_event_id), 2**62)
        return StreamingResponse(event_lines(platform, request, start_after, who), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.post(f"{API}/cases/{{case_id}}/open", responses=ERRORS)
    async def open_intake(case_id: CaseId, body: OpenCaseBody, who: Clerk) -> dict[str, Any]:
        """An intake starts: the case id becomes the purpose of the clerk's registry lookups."""
        with transaction(platform.connection):
            access.open_case(platform.connection, who, case_id, body.bundle, body.ticket, platform.clock.now())
        return {"case_id": case_id, "window": who.window}

    @app.get(f"{API}/registry/{{registry}}/{{key}}", responses=ERRORS)
    async def registry_lookup(registry: Annotated[str, FPath(max_length=16)],
                              key: Annotated[str, FPath(min_length=1, max_length=64)],
                              case_id: Annotated[str, Query(min_length=8, max_length=64)], who: Clerk) -> JSONResponse:
        if registry not in registry_store.LOOKUP_REGISTRIES:
            return fail(404, f"未知的共享数据来源 {registry}")
        access.check_lookup_purpose(platform.connection, who, case_id)
        if not lookups.allow(who.subject):
            return fail(429, f"共享数据查询过于频繁（每分钟至多 {platform.lookups_per_minute} 次），请稍后再试", 10)
        record = registry_store.lookup(platform.connection, who, registry, key, case_id, platform.clock.now())
        if record is None:
            return JSONResponse({"detail": "共享数据中无此记录", "found": False}, status_code=404)
        return JSONResponse(record)

    @app.get(f"{API}/catalog", responses=ERRORS)
    async def catalog(_: Anyone, if_none_match: Annotated[str | None, Header(max_length=80)] = None) -> Response:
        etag = f'"{platform.catalog.version}"'
        if if_none_match == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return Response(platform._catalog_json, media_type="application/json", headers={"ETag": etag})

    @app.put(f"{API}/cases/{{case_id}}", responses=ERRORS)
    async def put_case(case_id: CaseId, who: Clerk, body: Annotated[dict[str, Any], Body()]) -> JSONResponse:
        status, answer = submit_record(platform, who, BatchItem.model_construct(kind="case", id=case_id, body=body),
                                       platform.clock.now())
        return JSONResponse(answer, status_code=status)

    @app.get(f"{API}/cases/{{case_id}}", responses=ERRORS)
    async def get_case(case_id: CaseId, who: Clerk) -> JSONResponse:
        access.check_case_reader(platform.connection, who, case_id)
        found = intake.get_case(platform.connection, case_id)
        if found is None:
            return fail(404, "平台上没有此案件")
        with transaction(platform.connection):
            auth_audit(platform.connection, platform.clock.now(), who.subject, "read_case", case_id)
        return JSONResponse(found)

    @app.put(f"{API}/cases/{{case_id}}/matters/{{matter}}/result", responses=ERRORS)
    async def matter_result(case_id: CaseId, matter: Annotated[str, FPath(min_length=1, max_length=16,
                            pattern=r"^[0-9A-Za-z_-]+$")], body: ResultBody, who: Backoffice) -> JSONResponse:
        """An approval system reports one matter's result (idempotent: the same result again is a
        200 that changes nothing). The case's state follows; the applicant is told when it is ready."""
        problem = body.problem()
        if problem:
            return fail(422, problem)
        status, state = results.put_result(platform.connection, case_id, matter, body.model_dump(mode="json"),
                                           who.subject, platform.clock.now(), platform.hall_name, platform.sealer)
        platform.notifier.wake()
        return JSONResponse(state, status_code=status)

    @app.get(f"{API}/cases/{{case_id}}/state", responses=ERRORS)
    async def case_state(case_id: CaseId, who: CaseReader) -> JSONResponse:
        """Where an accepted case stands: each matter's result and what is to be handed over."""
        if platform.connection.execute("SELECT 1 FROM cases WHERE case_id = ? AND status = 'accepted'",
                                       (case_id,)).fetchone() is None:
            return fail(404, "平台上没有此已受理案件")
        if who.role != "backoffice":
            with transaction(platform.connection):
                auth_audit(platform.connection, platform.clock.now(), who.subject, "read_case_state", case_id)
        return JSONResponse(results.case_state(platform.connection, case_id))

    @app.get(f"{API}/handover/{{case_number}}", responses=ERRORS)
    async def handover_info(case_number: NumberPath, who: Clerk) -> JSONResponse:
        """出件 at any window: the case's state and the documents due (looked up by the number on
        the receipt; audited like every read of a case)."""
        found = results.handover_info(platform.connection, case_number)
        if found is None:
            return fail(404, f"平台上没有已受理的案件 {case_number}（离线受理的案件上传后可查）")
        with transaction(platform.connection):
            auth_audit(platform.connection, platform.clock.now(), who.subject, "read_handover", found["case_id"])
        return JSONResponse(found)

    @app.put(f"{API}/records/{{kind}}/{{record_id}}", responses=ERRORS)
    async def put_record(kind: Literal["rating", "print", "audit", "handover", "report"], record_id: Annotated[str, FPath(
            min_length=8, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")], who: Sender,
            body: Annotated[dict[str, Any], Body()]) -> JSONResponse:
        item = BatchItem.model_construct(kind=kind, id=record_id, body=body)
        status, answer = submit_record(platform, who, item, platform.clock.now())
        return JSONResponse(answer, status_code=status)

    @app.post(f"{API}/sync/batch", responses=ERRORS)
    async def batch(body: BatchBody, who: Sender) -> JSONResponse:
        """One answer per record: a refused record never holds back the others."""
        now = platform.clock.now()
        results = []
        for item in body.items:
            status, answer = submit_record(platform, who, item, now)
            results.append({"kind": item.kind, "id": item.id, "status": status, **answer})
        return JSONResponse({"results": results})

    @app.get(f"{API}/progress/{{case_number}}", responses=PUBLIC_ERRORS)
    async def progress(case_number: NumberPath, request: Request,
                       c: Annotated[str, Query(min_length=1, max_length=32, description="回执二维码上的校验码")]
                       ) -> JSONResponse:
        if not progress_reads.allow(request.client.host if request.client else ""):
            return fail(429, "查询过于频繁，请稍后再试", 30)
        found = intake.progress(platform.connection, case_number, c)
        if found is None:
            return fail(404, "未查询到该案件（请核对编号与校验码；离线受理的案件上传后可查）")
        return JSONResponse(found)

    @app.get("/p/{case_number}", response_class=HTMLResponse, responses=PUBLIC_ERRORS)
    async def progress_page(case_number: NumberPath, request: Request,
                            c: Annotated[str, Query(max_length=32)] = "") -> HTMLResponse:
        if not progress_reads.allow(request.client.host if request.client else ""):
            return HTMLResponse("<!doctype html><meta charset='utf-8'><p>查询过于频繁，请稍后再试</p>", status_code=429)
        found = intake.progress(platform.connection, case_number, c) if c else None
        return HTMLResponse(progress_html(platform.hall_name, case_number, found),
                            status_code=200 if found else 404)

    @app.get(f"{API}/stats", responses=ERRORS)
    async def day_stats(_: Clerk, day: Annotated[date | None, Query()] = None,
                        to: Annotated[date | None, Query()] = None) -> dict[str, Any]:
        """One day's figures, or day..to taken together."""
        first = day or platform.clock.now().date()
        if to is not None and to < first:
            raise QueueError(422, "结束日期不能早于开始日期")
        if to is not None and (to - first).days > 366:
            raise QueueError(422, "一次最多统计 367 天；更长的期间请用 stats export")
        return stats.daily_stats(platform.connection, first.isoformat(), to.isoformat() if to else None)

    @app.get(f"{API}/followups", responses=ERRORS)
    async def list_followups(_: Clerk, open_only: Annotated[bool, Query(alias="open")] = False
                             ) -> list[dict[str, Any]]:
        """差评 follow-ups by deadline (`?open=true`: those not yet done)."""
        return followups.list_followups(platform.connection, open_only)

    @app.post(f"{API}/followups/{{rating_id}}/close", responses=ERRORS)
    async def close_followup(rating_id: Annotated[str, FPath(min_length=8, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")],
                             body: FollowupCloseBody, who: Supervisor) -> dict[str, Any]:
        """The manager records how a 差评's return visit ended (never the rated clerk)."""
        now = platform.clock.now()
        answer, changed = followups.close_followup(platform.connection, rating_id, body.outcome, body.note,
                                                   who.subject, now)
        if changed:
            with transaction(platform.connection):
                auth_audit(platform.connection, now, who.subject, "followup_closed", f"{rating_id} {body.outcome}")
        return answer

    @app.get(f"{API}/reports", responses=ERRORS)
    async def list_reports(_: Clerk, open_only: Annotated[bool, Query(alias="open")] = True) -> list[dict[str, Any]]:
        """办不成事 reports, the open ones first by deadline (the contact masked)."""
        return reports.list_reports(platform.connection, platform.clock.now().date(), open_only=open_only)

    @app.post(f"{API}/reports/{{report_id}}/state", responses=ERRORS)
    async def report_state(report_id: Annotated[str, FPath(min_length=8, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")],
                           body: ReportStateBody, who: Clerk) -> dict[str, Any]:
        """受理 → 转办 → 办结 (with what was done) → 回访."""
        now = platform.clock.now()
        answer = reports.change_state(platform.connection, report_id, body.state, body.note, now)
        with transaction(platform.connection):
            auth_audit(platform.connection, now, who.subject, f"report_{body.state}", report_id)
        return answer

    @app.get(f"{API}/audit", responses=ERRORS)
    async def audit(_: Admin, case_id: Annotated[str | None, Query(max_length=64)] = None,
                    subject: Annotated[str | None, Query(max_length=64)] = None) -> list[dict[str, Any]]:
        return registry_store.audit_entries(platform.connection, case_id, subject)

    return app


DUMMY_HASH = "scrypt$16384$8$1$00$00"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
HTTP_WORDS = {400: "请求内容无法解析（应为有效的 JSON）", 404: "没有这个地址", 405: "该地址不支持此请求方法",
              413: "请求内容过大", 415: "请求内容类型应为 application/json"}


def submit_record(platform: Platform, who: Principal, item: BatchItem, now: datetime) -> tuple[int, dict[str, Any]]:
    """One record, from PUT or a batch, answered on its own: refused (403), malformed (400/422)
    or stored; a malformed record never becomes a 500 that holds back good records beside it."""
    try:
        access.check_kind(who, item.kind)
        body = item.body
        if not isinstance(body, dict):
            return 422, {"detail": "记录内容应为 JSON 对象"}
        if item.kind == "case":
            problems = case_sanity_problems(body, now)
            if problems:
                return 422, {"detail": "案件内容不合理", "errors": problems}
            access.check_case_attribution(platform.connection, who, body)
            return intake.put_case(platform.connection, platform.catalog, item.id, body, now)
        if item.kind == "rating":
            try:
                RatingBody.model_validate(body)
            except ValidationError as exc:
                message, fields = describe_errors(list(exc.errors()))
                return 422, {"detail": message, "errors": fields}
            access.check_rating(platform.connection, who, body, now, platform.rating_period)
        elif item.kind == "handover":
            HandoverBody.model_validate(body)
            access.check_handover_attribution(who, body)
            status, answer = results.put_handover(platform.connection, item.id, body, now, platform.hall_name,
                                                  platform.sealer)
            platform.notifier.wake()
            return status, answer
        elif item.kind == "report":
            ReportBody.model_validate(body)
            access.check_handover_attribution(who, body)  # the same rule: the token's window and clerk
            status, answer = reports.put_report(platform.connection, item.id, body, now, platform.calendar,
                                                platform.report_workdays, platform.hall_name, platform.sealer)
            platform.notifier.wake()
            return status, answer
        elif item.kind == "print":
            PrintRecordBody.model_validate(body)
        elif item.kind == "audit":
            AuditRecordBody.model_validate(body)
        return intake.put_record(platform.connection, item.kind, item.id, body, now,
                                 platform.calendar, platform.followup_workdays)
    except (AuthError, results.ResultError, reports.ReportError) as exc:
        return exc.status, {"detail": exc.message}
    except ValidationError as exc:
        message, fields = describe_errors(list(exc.errors()))
        return 422, {"detail": message, "errors": fields}
    except (KeyError, TypeError, ValueError, OverflowError, AttributeError, RecursionError) as exc:
        log.warning("record %s/%s malformed: %r", item.kind, item.id, exc)
        return 422, {"detail": f"记录格式错误：{type(exc).__name__}（{exc}）"}
    except DatabaseError as exc:
        log.exception("record %s/%s: database error", item.kind, item.id)
        return 503, {"detail": f"数据库暂时不可用：{exc}"}


CASE_NUMBER = re.compile(r"^\d{6}-(\d{8})-(\d{2,3})-(\d{4})$")


def case_sanity_problems(body: dict[str, Any], now: datetime) -> dict[str, str]:
    """What the domain format check does not catch: numbers and dates that cannot be real."""
    problems: dict[str, str] = {}
    number = body.get("case_number")
    match = CASE_NUMBER.match(number) if isinstance(number, str) else None
    if match is None:
        problems["case_number"] = "案件编号格式应为 行政区划-日期-窗口-序号"
    window = body.get("window")
    if not isinstance(window, int) or isinstance(window, bool) or not 1 <= window <= 999:
        problems["window"] = "窗口号应为 1–999"
    accepted = body.get("accepted_at")
    try:
        when = datetime.fromisoformat(accepted) if isinstance(accepted, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None or abs((when - now).days) > 366:
        problems["accepted_at"] = "受理时间应为一年内、带时区的日期时间"
    elif match is not None and match.group(1) != f"{when:%Y%m%d}":
        problems["case_number"] = "案件编号中的日期与受理日期不符"
    if match is not None and isinstance(window, int) and int(match.group(2)) != window:
        problems["case_number"] = "案件编号中的窗口与案件窗口不符"
    return problems


def display_snapshot(platform: Platform) -> dict[str, Any]:
    now = platform.clock.now()
    day = now.date().isoformat()
    connection = platform.connection
    last_event = connection.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
    recent = [
        {"id": r["id"], "kind": r["kind"], "ticket": r["ticket"], "window": r["window"], "service": r["service"],
         "at": r["at"], **json.loads(r["payload"])}
        for r in connection.execute(
            "SELECT * FROM events WHERE day = ? AND kind IN ('called', 'recalled') ORDER BY id DESC LIMIT 12",
            (day,),
        )
    ]
    for item in recent:
        item.pop("waiting", None)
        item.pop("case_numbers", None)  # displays see tickets and windows, never case numbers
        item.pop("clerk", None)
    return {"hall": platform.hall_name, "now": now.isoformat(timespec="seconds"), "last_event_id": last_event,
            "waiting": platform.queue.waiting_counts(day), "services": platform.queue.services(),
            "windows": [{"number": w["number"], "name": w["name"], "paused": bool(w["paused"])}
                        for w in platform.queue.windows()],
            "recent_calls": recent}


def _reader_may_see_message(who: Principal | None, window: int | None) -> bool:
    """A manager's message is for its window's clerk (and the managers), not the hall's screens."""
    return who is not None and (who.role in ("supervisor", "admin") or (who.role == "clerk" and who.window == window))


async def event_lines(platform: Platform, request: Request, after: int,
                      who: Principal | None = None) -> AsyncIterator[str]:
    if platform.listener is not None:
        platform.listener.ensure_started()
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
            data.pop("case_numbers", None)  # displays see tickets and windows, never case numbers
            data.pop("clerk", None)  # nor who is at the window
            if row["kind"] == "message" and not _reader_may_see_message(who, row["window"]):
                data.pop("text", None)
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
        rows = [("案件编号", found["case_number"]), ("事项", found["bundle_name"])]
        if found["status"] == "accepted":
            estimate = "（预估，节假日安排公布后可能调整）" if found.get("promised_estimated") else ""
            rows += [("受理日期", found["accepted_on"]), ("承诺办结", found["promised_date"] + estimate)]
        elif found["status"] == "notice":
            rows += [("告知日期", found["noticed_on"]), ("尚缺材料", "、".join(found.get("missing", [])))]
        elif found["status"] == "superseded":
            rows += [("告知日期", found["noticed_on"]), ("受理编号", found.get("accepted_as", "")),
                     ("受理日期", found.get("accepted_on", ""))]
        else:
            rows += [("决定日期", found["decided_on"]), ("理由", found.get("reason", ""))]
        if found.get("handed_at"):
            rows.append(("交付时间", found["handed_at"][:16].replace("T", " ")))
        body = "".join(f"<p>{escape(k)}：{escape(v)}</p>" for k, v in rows[:2])
        body += f"<p>状态：<b>{escape(found['status_label'])}</b></p>"
        body += "".join(f"<p>{escape(k)}：{escape(v)}</p>" for k, v in rows[2:])
        items = []
        for matter in found.get("matters", []):
            line = f"{escape(matter['name'])}（{escape(matter['department'])}）：{escape(matter['label'])}"
            if matter["reason"]:
                line += f"；理由：{escape(matter['reason'])}"
            if matter["documents"]:
                line += f"；证照：{escape('、'.join(matter['documents']))}"
            items.append(f"<li>{line}</li>")
        if items:
            body += f"<h3>各事项办理情况</h3><ul>{''.join(items)}</ul>"
    return (f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><meta name='viewport' "
            f"content='width=device-width'><title>办件进度</title><h2>{escape(hall)} 办件进度</h2>{body}</html>")


def open_platform(db_path: Path | str, **kwargs: Any) -> Platform:
    return Platform(connect(db_path), **kwargs)
