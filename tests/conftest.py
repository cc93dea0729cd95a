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

from collections.abc import Callable, Iterator  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402
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

    def __init__(self, server: EmbeddedServer, platform: Platform, samples: dict[str, list[str]]) -> None:
        self.server, self.platform, self.samples = server, platform, samples
        self.url = server.url

    @property
    def clock(self) -> FixedClock:
        assert isinstance(self.platform.clock, FixedClock)
        return self.platform.clock

    def client(self, token: str = "") -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url + "/api/v1", headers=headers, timeout=10)

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


@pytest.fixture
def make_hall(tmp_path: Path) -> Iterator[Callable[..., Hall]]:
    started: list[EmbeddedServer] = []

    def make(windows: int = 8, persons: int = 1500, clock: FixedClock | None = None) -> Hall:
        clock = clock or FixedClock(at=START)
        platform = open_platform(tmp_path / f"central-{len(started)}.db", clock=clock)
        info = seed_demo(platform.connection, clock.now(), persons=persons, windows=windows)
        server = EmbeddedServer(platform).start()
        started.append(server)
        return Hall(server, platform, info["samples"])  # type: ignore[arg-type]

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def hall(make_hall: Callable[..., Hall]) -> Hall:
    return make_hall()
