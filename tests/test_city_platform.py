"""One platform for a city: four `window-tui serve` processes on one PostgreSQL
database share one queue. 30 windows make 10,000 calls spread over the four;
three displays follow the event stream, each through a client that knows all four
addresses; one process is killed mid-run. Nothing is called twice, nothing is
lost, event ids have no gaps, and every display sees every call once, in order."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from tests.conftest import Hall
from tests.platform_process import ServeProcess, free_port, issue_in_parallel
from window_tui.client import PlatformClient, server_urls
from window_tui.hall.feed import DisplayFeed

TICKETS = 10_000
WINDOWS = 30
PROCESSES = 4
DISPLAYS = 3


class Display(threading.Thread):
    """A hall display on the real path (DisplayFeed, PlatformClient with every address)."""

    def __init__(self, urls: list[str]) -> None:
        super().__init__(daemon=True)
        self.urls = urls
        self.calls: list[tuple[int, str]] = []
        self.offline_seen = 0
        self.ready = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        asyncio.run(self._follow())

    async def _follow(self) -> None:
        client = PlatformClient(",".join(self.urls), token="demo-display-token")
        feed = DisplayFeed(client, retry_initial=0.1, retry_cap=0.5)
        async for kind, item in feed.follow():
            if kind == "call" and item.kind == "called":
                self.calls.append((item.event_id, item.ticket))
            elif kind == "state":
                self.ready.set()
                self.offline_seen += not item.online
            if self.stop.is_set():
                break
        await client.aclose()


def _post(connection: http.client.HTTPConnection, path: str, body: dict, token: str) -> tuple[int, dict]:
    connection.request("POST", "/api/v1" + path, body=json.dumps(body),
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    return response.status, json.loads(response.read())


class Window(threading.Thread):
    """A window's clerk calling and finishing as fast as the platform answers. When its
    process dies, the clerk's console goes to the next address; a call whose answer was
    lost shows as 'not finished' (409) there, and is finished."""

    def __init__(self, window: int, token: str, servers: list[ServeProcess], errors: list[str]) -> None:
        super().__init__(daemon=True)
        self.window, self.token, self.servers, self.errors = window, token, servers, errors
        self.home = window % len(servers)
        self.moved = 0

    def _connection(self) -> http.client.HTTPConnection:
        server = self.servers[self.home]
        return http.client.HTTPConnection(server.host, server.port, timeout=30)

    def run(self) -> None:
        connection = self._connection()
        while True:
            try:
                status, data = _post(connection, f"/windows/{self.window}/call-next", {}, self.token)
                if status == 409:
                    status, data = _post(connection, f"/windows/{self.window}/finish", {"case_numbers": []},
                                         self.token)
                    continue
                if status != 200:
                    self.errors.append(f"call {status} {data}")
                    return
                if data["ticket"] is None:
                    return
                status, data = _post(connection, f"/windows/{self.window}/finish", {"case_numbers": []}, self.token)
                if status not in (200, 409):
                    self.errors.append(f"finish {status} {data}")
            except (OSError, http.client.HTTPException):
                self.home = (self.home + 1) % len(self.servers)
                self.moved += 1
                connection = self._connection()


@pytest.mark.slow
def test_four_processes_one_queue_and_a_process_killed_midway(pg_url: str, tmp_path: Path) -> None:
    first = ServeProcess(pg_url, windows=WINDOWS, persons=300, workdir=tmp_path).start()
    servers = [first] + [ServeProcess(pg_url, windows=WINDOWS, workdir=tmp_path).start(seed=False)
                         for _ in range(PROCESSES - 1)]
    try:
        urls = [s.url for s in servers]

        errors = issue_in_parallel(servers, TICKETS, 8)
        assert errors == []

        # The displays list the doomed process first: it is where they start.
        displays = [Display(urls) for _ in range(DISPLAYS)]
        for display in displays:
            display.start()
            assert display.ready.wait(15)
        tokens = {w: servers[w % PROCESSES].login(w) for w in range(1, WINDOWS + 1)}
        windows = [Window(w, tokens[w], servers, errors) for w in tokens]
        started = time.monotonic()
        for window in windows:
            window.start()
        with psycopg.connect(pg_url) as db:  # kill process 0 once a quarter of the queue is called
            while db.execute("SELECT COUNT(*) FROM events WHERE kind = 'called'").fetchone()[0] < TICKETS // 4:
                time.sleep(0.05)
        servers[0].kill()
        for window in windows:
            window.join(timeout=600)
        elapsed = time.monotonic() - started
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(len(d.calls) < TICKETS for d in displays):
            time.sleep(0.2)
        for display in displays:
            display.stop.set()
    finally:
        for server in servers:
            server.stop()

    assert errors == []
    assert sum(w.moved for w in windows) > 0  # windows on the killed process went on elsewhere
    with psycopg.connect(pg_url) as db:
        assert dict(Counter(r[0] for r in db.execute("SELECT status FROM tickets"))) == {"done": TICKETS}
        called = db.execute("SELECT id, ticket FROM events WHERE kind = 'called' ORDER BY id").fetchall()
        ids = [r[0] for r in db.execute("SELECT id FROM events ORDER BY id")]
    assert len(called) == TICKETS and len({ticket for _, ticket in called}) == TICKETS  # nobody called twice
    assert ids == list(range(1, len(ids) + 1))  # ids from the database, gap-free across processes
    for display in displays:
        assert display.offline_seen >= 1  # it noticed its process die...
        assert display.calls == [tuple(r) for r in called]  # ...and shows every call once, in order
    print(f"{TICKETS} calls over {PROCESSES} processes in {elapsed:.1f} s; "
          f"{sum(w.moved for w in windows)} windows moved after the kill")


def test_server_urls_and_failover_order() -> None:
    assert server_urls(" http://a:1/, http://b:2 ") == ["http://a:1", "http://b:2"]
    client = PlatformClient("http://a:1,http://b:2")
    assert client.active_url == "http://a:1"
    client._fail_over()
    assert client.active_url == "http://b:2"
    client._fail_over()
    assert client.active_url == "http://a:1"
    with pytest.raises(ValueError):
        server_urls(" , ")


def _terminate(url: str, application: str) -> int:
    with psycopg.connect(url, autocommit=True) as db:
        return len(db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s"
                              " AND pid <> pg_backend_pid()", (application,)).fetchall())


class StreamReader(threading.Thread):
    """A display's raw event stream: the ids of the calls it receives, and when."""

    def __init__(self, url: str) -> None:
        """`url`: the platform's address (a hall's, /halls/{code}, on a city platform)."""
        super().__init__(daemon=True)
        self.url = url
        self.calls: dict[str, float] = {}
        self.open = threading.Event()

    def run(self) -> None:
        import httpx

        headers = {"Authorization": "Bearer demo-display-token"}
        with httpx.Client(base_url=self.url, timeout=None) as client, \
                client.stream("GET", "/api/v1/events/stream", headers=headers) as response:
            self.open.set()
            try:
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        data = json.loads(line[5:])
                        if data["kind"] == "called":
                            self.calls[data["ticket"]] = time.monotonic()
            except httpx.RemoteProtocolError:
                return  # the test's platform stopped at teardown: the stream ends there


def _wait(predicate, timeout: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_the_event_listener_is_supervised_and_streams_never_miss_a_call(make_hall) -> None:  # noqa: ANN001
    """Calls made by another process reach this process's streams by NOTIFY; with the
    listener's connection killed, by the once-a-second look at the table; the listener
    comes back by itself, and /health says what state it is in."""
    from window_tui.central.app import open_platform
    from window_tui.central.dialect import LISTENER_APPLICATION

    hall = make_hall(windows=4)
    other = open_platform(hall.db, clock=hall.clock)  # another platform process, as far as the stream knows
    reader = StreamReader(hall.url)
    reader.start()
    assert reader.open.wait(5)
    with hall.display() as display:
        assert _wait(lambda: display.get("/health").json()["events"] == "监听中", 5)

        def call_elsewhere() -> tuple[str, float]:
            other.queue.issue("A", hall.clock.now())
            ticket = other.queue.call_next(1, hall.clock.now())
            other.queue.finish(1, hall.clock.now(), [])
            return ticket["label"], time.monotonic()

        label, at = call_elsewhere()
        assert _wait(lambda: label in reader.calls, 2)
        assert reader.calls[label] - at < 0.5  # woken by NOTIFY, not by the fallback poll

        assert _terminate(hall.db, LISTENER_APPLICATION) == 1
        assert _wait(lambda: display.get("/health").json()["events"].startswith("未能监听"), 5)
        label, at = call_elsewhere()
        assert _wait(lambda: label in reader.calls, 3)  # the fallback poll: late by at most a second
        assert reader.calls[label] - at < 1.6
        assert _wait(lambda: display.get("/health").json()["events"] == "监听中", 5)  # back by itself
        label, at = call_elsewhere()
        assert _wait(lambda: label in reader.calls, 2) and reader.calls[label] - at < 0.5
    other.connection.close()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_lost_database_connection_is_one_refused_request_then_reconnected(make_hall) -> None:  # noqa: ANN001
    from window_tui.central.dialect import PLATFORM_APPLICATION

    hall = make_hall(windows=4)
    token = hall.clerk_token(1)
    with hall.kiosk() as kiosk, hall.client(token) as clerk:
        assert kiosk.post("/tickets", json={"service": "A"}).status_code == 201
        assert _terminate(hall.db, PLATFORM_APPLICATION) >= 1  # a DBA's kill, a failover, a restart
        first = clerk.post("/windows/1/call-next", json={})
        if first.status_code != 200:
            assert first.status_code == 503 and first.json()["detail"] == "数据库暂时不可用，请稍后重试"
            assert clerk.post("/windows/1/call-next", json={}).status_code == 200
        assert clerk.get("/windows/1/state").json()["current"]["label"] == "A001"


def test_serve_on_an_unreachable_database_says_so_in_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "WINDOW_TUI_CONFIG": str(tmp_path / "none.toml")}
    out = subprocess.run([sys.executable, "-m", "window_tui.cli", "serve", "--db",
                          "postgresql://postgres:secret@127.0.0.1:1/city", "--port", str(free_port())],
                         capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("window-tui serve: 无法连接或读写 PostgreSQL 数据库"), out.stderr
    assert "secret" not in out.stderr


def test_a_throwaway_cluster_starts_where_no_server_answers() -> None:
    """What a developer's machine without a PostgreSQL server gets: the installed binaries
    start a private cluster for the test run (the path `find_server` takes last)."""
    from tests.pg_server import Cluster, NoServer, Schema, _binary

    if not (_binary("initdb") and _binary("pg_ctl")):
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not installed: the throwaway-cluster path is not tested")
    try:
        cluster = Cluster()
    except NoServer as exc:
        pytest.fail(str(exc))
    try:
        schema = Schema(cluster.url)
        from window_tui.central.db import connect

        platform_db = connect(schema.url)  # the platform's schema, migrated, on the private cluster
        assert platform_db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0
        platform_db.close()
    finally:
        cluster.stop()
    assert not _answers_quietly(cluster.url)


def _answers_quietly(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_the_console_carries_on_at_the_second_platform_process(make_hall, tmp_path: Path) -> None:  # noqa: ANN001
    """The clerk's console knows two platform processes; the one it used stops mid-shift; the
    clerk goes on at the other without logging in again or retyping anything."""
    from tests.ui_helpers import make_app, noticed, screen_text, wait_for
    from window_tui.central.app import open_platform
    from window_tui.central.server import EmbeddedServer
    from window_tui.ui.console import ConsoleScreen

    hall: Hall = make_hall(persons=300)
    second = EmbeddedServer(open_platform(hall.db, clock=hall.clock)).start()
    try:
        for _ in range(2):
            hall.platform.queue.issue("A", hall.clock.now())
        app, session = make_app(f"{hall.url},{second.url}", tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
            await pilot.press("n")
            await wait_for(pilot, lambda: "A001" in screen_text(app))
            hall.server.stop()  # the first process goes away mid-shift
            await pilot.press("f")

            def finished() -> bool:
                return "A001" not in screen_text(app).split("等候人数")[0]

            # Either the finish found the first process gone before it was sent and went to the
            # second at once, or it was on its way when the process went: then it is not repeated
            # behind the clerk's back (a call-next could have been done), the clerk is told, and
            # presses F again. Which one depends on how far the stop had got.
            await wait_for(pilot, lambda: noticed(app, "办结失败") or finished())
            assert session.client.active_url == second.url
            if not finished():
                await pilot.press("f")
            await wait_for(pilot, finished)
            await pilot.press("n")
            await wait_for(pilot, lambda: "A002" in screen_text(app))
        rows = hall.platform.connection.execute(
            "SELECT label, status, window FROM tickets ORDER BY id").fetchall()
        assert [tuple(r) for r in rows] == [("A001", "done", 5), ("A002", "called", 5)]
    finally:
        second.stop()
        second.platform.connection.close()
