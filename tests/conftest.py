from __future__ import annotations

from datetime import date

import pytest

from window_tui.domain.catalog import Catalog, load_catalog
from window_tui.domain.synthetic import Registry, generate_registry

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def registry() -> Registry:
    return generate_registry(seed=7, persons=3000, as_of=AS_OF)


# --- the real central platform on loopback ------------------------------------------------

import os  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import httpx  # noqa: E402

from window_tui.central.app import Platform, open_platform  # noqa: E402
from window_tui.central.clock import FixedClock  # noqa: E402
from window_tui.central.seed import DEMO_DISPLAY_TOKEN, DEMO_KIOSK_TOKEN, seed_demo  # noqa: E402
from window_tui.central.server import EmbeddedServer  # noqa: E402

HALL_TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 20, 9, 0, tzinfo=HALL_TZ)


class Hall:
    """A seeded platform served over HTTP on loopback, with helpers for tests."""

    def __init__(self, server: EmbeddedServer, platform: Platform, samples: dict[str, list[str]],
                 db: str = "") -> None:
        self.server, self.platform, self.samples = server, platform, samples
        self.url = server.url
        self.db = db  # the SQLite file or the PostgreSQL URL, for commands like `admin --db`

    @property
    def clock(self) -> FixedClock:
        assert isinstance(self.platform.clock, FixedClock)
        return self.platform.clock

    def client(self, token: str = "") -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url + "/api/v1", headers=headers, timeout=10)

    def manager_token(self) -> str:
        """The demo 值班长's (8000, a supervisor) token: the manager's screen and its routes."""
        with self.client() as c:
            return c.post("/auth/login", json={"clerk": "8000", "password": "demo8000"}).json()["token"]

    def clerk_token(self, window: int) -> str:
        """A token of the window's clerk from the tests' own "device". A window has one holder
        at a time: if a console under test holds it, it is released first, as a supervisor would."""
        from window_tui.central.auth import release_window
        from window_tui.central.db import transaction

        body = {"clerk": str(1000 + window), "password": f"demo{1000 + window}", "window": window,
                "device": "test-suite"}
        with self.client() as c:
            r = c.post("/auth/login", json=body)
            if r.status_code == 409:
                with transaction(self.platform.connection):
                    release_window(self.platform.connection, window)
                r = c.post("/auth/login", json=body)
            r.raise_for_status()
            return r.json()["token"]

    def kiosk(self) -> httpx.Client:
        return self.client(DEMO_KIOSK_TOKEN)

    def display(self) -> httpx.Client:
        return self.client(DEMO_DISPLAY_TOKEN)


# --- the platform's database: SQLite, and PostgreSQL for the modules that ask for both ---------

PG_UNAVAILABLE: list[str] = []


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test module with `BOTH_DATABASES = True` runs each platform test on SQLite and on
    PostgreSQL; every other test runs on SQLite, the embedded default."""
    if "database" in metafunc.fixturenames and getattr(metafunc.module, "BOTH_DATABASES", False):
        metafunc.parametrize("database", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(scope="session")
def pg_server() -> str:
    from tests.pg_server import NoServer, find_server

    try:
        return find_server()
    except NoServer as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests: {exc}")
        PG_UNAVAILABLE.append(str(exc))
        pytest.skip(f"PostgreSQL tests skipped: {exc}")


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A PostgreSQL URL that reaches a schema of this test's own."""
    from tests.pg_server import Schema

    schema = Schema(pg_server)
    yield schema.url
    schema.drop()


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[int], str]:
    """Where the n-th platform of a test keeps its data: a SQLite file, or a fresh schema."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return lambda n: str(tmp_path / f"central-{n}.db")
    base = request.getfixturevalue("pg_server")
    from tests.pg_server import Schema

    schemas: list[Schema] = []

    def make(_: int) -> str:
        schemas.append(Schema(base))
        return schemas[-1].url

    request.addfinalizer(lambda: [s.drop() for s in schemas])
    return make


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if PG_UNAVAILABLE:
        terminalreporter.write_line(f"PostgreSQL tests skipped: {PG_UNAVAILABLE[0]}", yellow=True)


@pytest.fixture
def make_hall(database: Callable[[int], str]) -> Iterator[Callable[..., Hall]]:
    started: list[EmbeddedServer] = []
    platforms: list[Platform] = []

    def make(windows: int = 8, persons: int = 1500, clock: FixedClock | None = None, **options: Any) -> Hall:
        """`options`: Platform settings (sms_url, notify_interval …)."""
        clock = clock or FixedClock(at=START)
        db = database(len(started))
        platform = open_platform(db, clock=clock, **options)
        platforms.append(platform)
        info = seed_demo(platform.connection, clock.now(), persons=persons, windows=windows)
        server = EmbeddedServer(platform).start()
        started.append(server)
        return Hall(server, platform, info["samples"], db)  # type: ignore[arg-type]

    yield make
    for server in started:
        server.stop()
    for platform in platforms:
        platform.connection.close()


@pytest.fixture
def hall(make_hall: Callable[..., Hall]) -> Hall:
    return make_hall()
