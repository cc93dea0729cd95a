"""`window-tui display-web`: the hall's TV page and its voice, served on the hall's
own network by a small relay that holds the display's device token.

One follower of the platform's event stream (DisplayFeed: snapshot, then events
resumed by Last-Event-ID) feeds every TV connected to this relay. A TV's page
follows the relay with EventSource: a snapshot on each connect, then each call
with the platform's event id, so after any restart — of the platform, of the
relay, of the browser — the page resumes by Last-Event-ID without a person.
The relay renders the announcements (voice pack or espeak-ng) to WAV; the page
queues and plays them. Nothing a TV receives carries personal data."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from window_tui.central.hub import EventHub
from window_tui.client import PlatformClient
from window_tui.clock import Clock
from window_tui.hall.feed import Call, DisplayFeed
from window_tui.hall.speech import Voice, VoiceError, call_words
from window_tui.hall.voice import MERGE_AT_MOST

log = logging.getLogger("window_tui.tv")

TICK_SECONDS = 1.0  # the page's watchdog expects a tick at least every few seconds
CALL_PARAM = re.compile(r"^([A-Za-z]{0,4}[0-9]{1,5})-([0-9]{1,3})$")
WEEKDAYS = "一二三四五六日"
PAGE_FILES = {"/": ("index.html", "text/html; charset=utf-8"), "/tv.css": ("tv.css", "text/css; charset=utf-8"),
              "/tv.js": ("tv.js", "text/javascript; charset=utf-8")}


class TvRelay:
    """The relay's state: one feed from the platform, fanned out to every TV."""

    def __init__(self, client: PlatformClient, *, voice: Voice | None, voice_problem: str = "",
                 clock: Clock | None = None, retry_cap: float = 3.0) -> None:
        self.feed = DisplayFeed(client, retry_initial=0.3, retry_cap=retry_cap)
        self.server = client.base_url
        self.voice, self.voice_problem = voice, voice_problem
        self.clock = clock or Clock()
        self.calls: deque[Call] = deque(maxlen=500)  # replayed to a page that resumes
        self.hub = EventHub()
        self.connected_once = False
        self._sounds: OrderedDict[tuple[tuple[str, int], ...], bytes] = OrderedDict()
        self._render_lock = asyncio.Lock()

    # -- following the platform (supervised: a crash is logged, shown and restarted) --
    async def run(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 (the TVs must never be left with a dead feed)
                log.exception("TV relay feed failed")
                self.feed.state.online = False
                self.feed.state.problem = f"显示服务内部错误，{delay:.0f} 秒后重试：{exc}"
                self.hub.notify()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def _follow(self) -> None:
        async for kind, item in self.feed.follow():
            if kind == "call":
                self.calls.append(item)
            elif self.feed.state.online:
                # A first paint (this relay just started) brings recent calls a resuming page
                # may not have seen: keep the ones newer than any call already kept.
                newest = self.calls[-1].event_id if self.calls else 0
                self.calls.extend(sorted((c for c in self.feed.state.recent if c.event_id > newest),
                                         key=lambda c: c.event_id))
                self.connected_once = True
            self.hub.notify()

    # -- what a page receives --
    def status(self) -> dict[str, Any]:
        state = self.feed.state
        return {"online": state.online, "problem": state.problem, "advice": self.advice(),
                "connected_once": self.connected_once, "hall": state.hall, "waiting": state.waiting,
                "service_names": state.service_names}

    def advice(self) -> str:
        """What the hall's IT staff should do, shown under the problem (the TV retries by itself)."""
        state = self.feed.state
        if state.online:
            return ""
        if "令牌" in state.problem:
            return ("请在平台上为本屏换发令牌（window-tui admin rotate-device 屏名），写入 display-web 的 "
                    "--token-file 文件后重启 display-web")
        return f"中心平台 {self.server}：请检查平台是否运行、地址与网络；本屏每隔几秒自动重试"

    def snapshot(self, resumed_after: int) -> dict[str, Any]:
        recent = [_call_json(c) for c in self.feed.state.recent if not resumed_after or c.event_id <= resumed_after]
        return {**self.status(), "recent": recent, "merge_at_most": MERGE_AT_MOST,
                "voice": {"available": self.voice is not None, "problem": self.voice_problem}}

    def tick(self) -> dict[str, Any]:
        now = self.clock.now()
        return {"time": now.strftime("%H:%M:%S"), "date": f"{now:%Y-%m-%d} 星期{WEEKDAYS[now.weekday()]}"}

    async def stream(self, request: Request, after: int) -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        sent = after or max((c.event_id for c in self.feed.state.recent), default=0)
        # The snapshot carries the last call it covers as its id, so the browser's own
        # reconnection resumes after it (Last-Event-ID) even before any call arrives.
        yield _sse("snapshot", self.snapshot(after), event_id=sent or None)
        yield _sse("tick", self.tick())
        last_status = json.dumps(self.status(), sort_keys=True, ensure_ascii=False)
        last_tick = time.monotonic()
        while True:
            version = self.hub.version
            for call in [c for c in self.calls if c.event_id > sent]:
                yield _sse("call", _call_json(call), event_id=call.event_id)
                sent = call.event_id
            status = json.dumps(self.status(), sort_keys=True, ensure_ascii=False)
            if status != last_status:
                last_status = status
                yield _sse("status", self.status())
            if time.monotonic() - last_tick >= TICK_SECONDS:
                last_tick = time.monotonic()
                yield _sse("tick", self.tick())
            if await request.is_disconnected():
                return
            await self.hub.wait(version, TICK_SECONDS)

    async def sound(self, calls: tuple[tuple[str, int], ...]) -> bytes:
        """One announcement as WAV (a few recent ones are kept: every TV asks for the same)."""
        async with self._render_lock:
            if calls in self._sounds:
                self._sounds.move_to_end(calls)
                return self._sounds[calls]
            assert self.voice is not None
            wav = (await asyncio.to_thread(self.voice.render, call_words(list(calls)))).wav()
            self._sounds[calls] = wav
            while len(self._sounds) > 32:
                self._sounds.popitem(last=False)
            return wav


def _call_json(call: Call) -> dict[str, Any]:
    return {"id": call.event_id, "ticket": call.ticket, "window": call.window, "kind": call.kind,
            "service": call.service, "service_name": call.service_name}


def _sse(kind: str, data: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def create_tv_app(relay: TvRelay) -> Starlette:
    page = {path: (resources.files("window_tui.hall").joinpath("tv", name).read_bytes(), media)
            for path, (name, media) in PAGE_FILES.items()}

    async def static(request: Request) -> Response:
        body, media = page[request.url.path]
        return Response(body, media_type=media, headers={"Cache-Control": "no-cache"})

    async def events(request: Request) -> Response:
        raw = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
        after = int(raw) if raw.isdigit() and len(raw) < 19 else 0
        return StreamingResponse(relay.stream(request, after), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def voice(request: Request) -> Response:
        if relay.voice is None:
            return JSONResponse({"detail": relay.voice_problem or "本机未配置语音"}, status_code=503)
        calls = []
        for value in request.query_params.getlist("c")[: MERGE_AT_MOST * 2]:
            match = CALL_PARAM.match(value)
            if match is None or not 1 <= int(match[2]) <= 999:
                return JSONResponse({"detail": f"叫号参数无效：{value[:20]}（应为 A105-5）"}, status_code=422)
            calls.append((match[1].upper(), int(match[2])))
        if not calls:
            return JSONResponse({"detail": "缺少叫号参数 c=号码-窗口"}, status_code=422)
        try:
            wav = await relay.sound(tuple(calls))
        except VoiceError as exc:
            log.error("voice rendering failed: %s", exc)
            return JSONResponse({"detail": str(exc)}, status_code=503)
        return Response(wav, media_type="audio/wav", headers={"Cache-Control": "no-store"})

    async def health(_: Request) -> Response:
        return JSONResponse({"online": relay.feed.state.online, "problem": relay.feed.state.problem,
                             "last_event_id": relay.feed.state.last_event_id})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(relay.run(), name="tv-relay-feed")
        yield
        task.cancel()

    routes = [Route(path, static) for path in PAGE_FILES]
    routes += [Route("/events", events), Route("/voice.wav", voice), Route("/health", health)]
    return Starlette(routes=routes, lifespan=lifespan)
