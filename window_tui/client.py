"""The one client for the central platform (httpx, async). Queue actions,
registry lookups, catalog, case delivery and the event stream all go through
here, exactly as they would to a provincial platform.

Errors are split by what the caller should do:
- `PlatformUnavailable`: network down, timeout, 5xx, 408/429 — retry later;
- `PlatformRejected`: the platform said no (4xx) — show the Chinese reason.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from window_tui.domain.shared import LookupKey, SharedRecord

if TYPE_CHECKING:
    from window_tui.shift_login import ShiftLogin

API = "/api/v1"


class PlatformError(Exception):
    def __init__(self, message: str, status: int = 0, payload: dict[str, Any] | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.payload = payload or {}
        self.retry_after = retry_after


class PlatformUnavailable(PlatformError):
    """Try again later."""


class PlatformRejected(PlatformError):
    """The platform refused; `message` is for the clerk."""


class LoginRequired(PlatformRejected):
    """The platform refused the shift's credentials (password changed, account locked,
    window taken): only the clerk can log in again."""


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from datetime import datetime
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass
class StreamEvent:
    id: int
    kind: str
    data: dict[str, Any]


@dataclass
class PlatformClient:
    """One HTTP client. With `auth` (the counter's ShiftLogin) every request carries the
    shift's current token, logs in when there is none yet (after an offline login) and
    logs in again once on a 401; without it, `token` is used as it is (devices)."""

    base_url: str  # one platform address, or several separated by commas (processes or hosts)
    token: str = ""
    timeout: float = 5.0
    auth: ShiftLogin | None = None
    _client: httpx.AsyncClient | None = field(default=None, repr=False)
    _active: int = field(default=0, repr=False)

    @property
    def urls(self) -> list[str]:
        return server_urls(self.base_url)

    @property
    def active_url(self) -> str:
        """The platform address requests go to now; the next one after a connection fails."""
        urls = self.urls
        return urls[self._active % len(urls)]

    def _fail_over(self) -> None:
        self._active = (self._active + 1) % len(self.urls)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout, connect=2.0),
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _headers(self, extra: dict[str, str] | None = None, token: str | None = None) -> dict[str, str]:
        token = self.token if token is None else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return {**headers, **(extra or {})}

    async def _token(self) -> str | None:
        """The shift's token, logging in first if there is none yet; None without auth."""
        if self.auth is None:
            return None
        return self.auth.token or await self.auth.obtain(self, "")

    async def _send(self, method: str, path: str, token: str | None, **kwargs: Any) -> httpx.Response:
        """A request that could not connect goes to the next platform address at once (it never
        reached a platform); one that failed after it was sent is not repeated (a call-next may
        have happened), but the next request goes to the next address."""
        headers = self._headers(kwargs.pop("headers", None), token)
        for attempt in range(len(self.urls)):
            try:
                return await self._http().request(method, self.active_url + API + path, headers=headers, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                self._fail_over()
                if attempt == len(self.urls) - 1:
                    raise PlatformUnavailable(f"无法连接中心平台：{_transport_words(exc)}") from exc
            except httpx.TimeoutException as exc:
                self._fail_over()
                raise PlatformUnavailable("连接中心平台超时") from exc
            except httpx.TransportError as exc:
                self._fail_over()
                raise PlatformUnavailable(f"无法连接中心平台：{_transport_words(exc)}") from exc
        raise PlatformUnavailable("没有可用的中心平台地址")

    async def request(self, method: str, path: str, *, json_body: Any = None, params: dict[str, Any] | None = None,
                      headers: dict[str, str] | None = None, ok: tuple[int, ...] = ()) -> httpx.Response:
        token = await self._token()
        response = await self._send(method, path, token, json=json_body, params=params, headers=headers)
        if response.status_code == 401 and self.auth is not None and token:
            # Expired or revoked: the shift logs in again once, then the request is repeated.
            token = await self.auth.obtain(self, token)
            response = await self._send(method, path, token, json=json_body, params=params, headers=headers)
        if response.status_code in ok or response.is_success or response.status_code == 304:
            return response
        raise _error_for(response)

    # --- accounts -------------------------------------------------------------------------

    async def login(self, clerk: str, password: str, window: int | None, device: str = "") -> dict[str, Any]:
        """POST /auth/login without any token; sets `token` (the counter's ShiftLogin keeps its own)."""
        body: dict[str, Any] = {"clerk": clerk, "password": password, "window": window}
        if device:
            body["device"] = device
        response = await self._send("POST", "/auth/login", "", json=body)
        if not response.is_success:
            # A 429 here is the platform's login delay after wrong passwords: a refusal to show,
            # never a reason to fall back to an offline login.
            raise _error_for(response, retry=(408,))
        data = response.json()
        self.token = data["token"]
        return data

    async def health(self) -> dict[str, Any]:
        return (await self.request("GET", "/health")).json()

    async def handover_info(self, case_number: str) -> dict[str, Any]:
        """出件: a case's state and the documents due, by the number on its receipt."""
        return (await self.request("GET", f"/handover/{case_number}")).json()

    async def move_waiting(self, service: str, to_service: str, count: int) -> dict[str, Any]:
        """The manager moves the first `count` waiting tickets of a queue to another service."""
        return (await self.request("POST", f"/services/{service}/move",
                                   json_body={"to_service": to_service, "count": count})).json()

    async def message_window(self, window: int, text: str) -> dict[str, Any]:
        return (await self.request("POST", f"/windows/{window}/message", json_body={"text": text})).json()

    async def appointments(self, day: str, service: str = "") -> list[dict[str, Any]]:
        params = {"day": day, **({"service": service} if service else {})}
        return (await self.request("GET", "/appointments", params=params)).json()

    async def book_appointment(self, body: dict[str, Any]) -> dict[str, Any]:
        return (await self.request("POST", "/appointments", json_body=body)).json()

    async def cancel_appointment(self, code: str) -> dict[str, Any]:
        return (await self.request("POST", f"/appointments/{code}/cancel")).json()

    async def overview(self) -> dict[str, Any]:
        """The hall at this moment, for its manager (supervisor or admin)."""
        return (await self.request("GET", "/overview")).json()

    async def open_followups(self) -> list[dict[str, Any]]:
        """差评 follow-ups (return visits) not yet done, by deadline."""
        return (await self.request("GET", "/followups", params={"open": "true"})).json()

    async def close_followup(self, rating_id: str, outcome: str, note: str) -> dict[str, Any]:
        """The manager records how a 差评's return visit ended."""
        return (await self.request("POST", f"/followups/{rating_id}/close",
                                   json_body={"outcome": outcome, "note": note})).json()

    async def open_reports(self) -> list[dict[str, Any]]:
        """办不成事 reports not yet closed, by deadline (contacts masked)."""
        return (await self.request("GET", "/reports", params={"open": "true"})).json()

    # --- queue ------------------------------------------------------------------------------

    async def services(self) -> list[dict[str, Any]]:
        return (await self.request("GET", "/services")).json()

    async def windows(self) -> list[dict[str, Any]]:
        return (await self.request("GET", "/windows")).json()

    async def issue_ticket(self, service: str, priority: str = "normal", priority_kind: str = "",
                           appointment_code: str = "") -> dict[str, Any]:
        body = {"service": service, "priority": priority, "priority_kind": priority_kind,
                "appointment_code": appointment_code}
        return (await self.request("POST", "/tickets", json_body=body)).json()

    async def position(self, label: str) -> dict[str, Any]:
        return (await self.request("GET", f"/tickets/{label}/position")).json()

    async def window_action(self, window: int, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """call-next, call, recall, no-show, start, finish, transfer, pause, resume."""
        return (await self.request("POST", f"/windows/{window}/{action}", json_body=body or {})).json()

    async def lease_case_numbers(self, window: int, days: int = 7, size: int = 50) -> list[dict[str, Any]]:
        """Blocks of case numbers for this window, today and the next days (see offline.numbers)."""
        response = await self.request("POST", f"/windows/{window}/case-numbers", json_body={"days": days, "size": size})
        return response.json()["blocks"]

    async def window_state(self, window: int) -> dict[str, Any]:
        return (await self.request("GET", f"/windows/{window}/state")).json()

    async def snapshot(self) -> dict[str, Any]:
        return (await self.request("GET", "/display/snapshot")).json()

    async def stats(self, day: str | None = None, to: str | None = None) -> dict[str, Any]:
        params = {k: v for k, v in (("day", day), ("to", to)) if v}
        return (await self.request("GET", "/stats", params=params or None)).json()

    # --- shared data --------------------------------------------------------------------

    async def open_case(self, case_id: str, bundle: str, ticket: str = "") -> None:
        """Registers the intake: the purpose of this case's registry lookups."""
        await self.request("POST", f"/cases/{case_id}/open", json_body={"bundle": bundle, "ticket": ticket})

    async def lookup(self, key: LookupKey, case_id: str) -> SharedRecord | None:
        response = await self.request("GET", f"/registry/{key.registry}/{key.key}", params={"case_id": case_id},
                                      ok=(404,))
        if response.status_code == 404:
            if _json(response).get("found") is False:
                return None
            raise PlatformRejected(str(_json(response).get("detail", "共享数据来源不存在")), 404)
        data = response.json()
        # The fetch time as this counter saw it: it labels the age of cached data later.
        data["fetched_at"] = datetime.now().astimezone().isoformat(timespec="seconds")
        return SharedRecord.from_json(data)

    async def catalog(self, etag: str | None = None) -> tuple[int, str | None, dict[str, Any] | None]:
        response = await self.request("GET", "/catalog", headers={"If-None-Match": etag} if etag else None)
        if response.status_code == 304:
            return 304, etag, None
        return 200, response.headers.get("ETag"), response.json()

    # --- delivery ---------------------------------------------------------------------------

    async def put_case(self, case: dict[str, Any]) -> dict[str, Any]:
        return (await self.request("PUT", f"/cases/{case['case_id']}", json_body=case)).json()

    async def get_case(self, case_id: str) -> dict[str, Any] | None:
        response = await self.request("GET", f"/cases/{case_id}", ok=(404,))
        return None if response.status_code == 404 else response.json()

    async def batch(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return (await self.request("POST", "/sync/batch", json_body={"items": items})).json()["results"]

    async def progress(self, case_number: str, check_code: str) -> dict[str, Any] | None:
        response = await self.request("GET", f"/progress/{case_number}", params={"c": check_code}, ok=(404,))
        return None if response.status_code == 404 else response.json()

    # --- event stream -------------------------------------------------------------------

    async def events(self, last_event_id: int = 0, read_timeout: float = 30.0,
                     announce_open: bool = False) -> AsyncIterator[StreamEvent]:
        """Server-sent events after `last_event_id`. Ends (raises) when the connection drops;
        the caller reconnects with the last id it saw. With `announce_open`, a StreamEvent
        of kind "open" (id 0) comes first, as soon as the platform accepted the stream."""
        token = await self._token()
        headers = self._headers({"Last-Event-ID": str(last_event_id), "Accept": "text/event-stream"}, token)
        timeout = httpx.Timeout(read_timeout, connect=2.0)
        try:
            async with self._http().stream("GET", self.active_url + API + "/events/stream", headers=headers,
                                           timeout=timeout) as response:
                if response.status_code != 200:
                    await response.aread()
                    payload = _json(response)
                    detail = str(payload.get("detail", "")) or f"HTTP {response.status_code}"
                    if response.status_code == 401 and self.auth is not None and token:
                        await self.auth.obtain(self, token)  # the follower reconnects with the new token
                        raise PlatformUnavailable("登录已更新，重新连接事件流")
                    if response.status_code >= 500 or response.status_code in (408, 429):
                        raise PlatformUnavailable(f"事件流暂时不可用：{detail}", response.status_code)
                    raise PlatformRejected(detail, response.status_code)
                if announce_open:
                    yield StreamEvent(0, "open", {})
                event_id, kind, data = None, "message", []
                async for line in response.aiter_lines():
                    if line == "":
                        if data and event_id is not None:
                            yield StreamEvent(event_id, kind, json.loads("\n".join(data)))
                        event_id, kind, data = None, "message", []
                    elif line.startswith("id:"):
                        event_id = int(line[3:].strip())
                    elif line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
        except httpx.TimeoutException as exc:
            self._fail_over()  # the follower reconnects, resuming by Last-Event-ID, to the next address
            raise PlatformUnavailable("事件流超时") from exc
        except httpx.TransportError as exc:
            self._fail_over()
            raise PlatformUnavailable(f"事件流中断：{_transport_words(exc)}") from exc


def server_urls(text: str) -> list[str]:
    """`http://a:8700, http://b:8700` → both addresses, without trailing slashes."""
    urls = [u.strip().rstrip("/") for u in text.split(",") if u.strip()]
    if not urls:
        raise ValueError("中心平台地址为空")
    return urls


def _transport_words(exc: httpx.TransportError) -> str:
    """What went wrong on the wire, in words a clerk or a hall's IT staff can act on."""
    if isinstance(exc, httpx.ConnectError):
        return "连接被拒绝或地址不可达"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return "连接被平台关闭"
    if isinstance(exc, httpx.ProxyError):
        return "代理服务器错误"
    return "网络错误"


def _error_for(response: httpx.Response, retry: tuple[int, ...] = (408, 429)) -> PlatformError:
    """The platform's answer as an error: try later (network-like) or refused (with its reason)."""
    payload = _json(response)
    detail = str(payload.get("detail", "")) or f"HTTP {response.status_code}"
    if response.status_code >= 500 or response.status_code in retry:
        return PlatformUnavailable(f"中心平台暂时不可用：{detail}", response.status_code, payload,
                                   parse_retry_after(response.headers.get("Retry-After")))
    return PlatformRejected(detail, response.status_code, payload)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}
