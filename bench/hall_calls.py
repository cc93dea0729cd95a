"""A hall's calls at a clerk's pace, for the voice tests and bench: each window calls its
next applicant when the last one is done (service time log-normal around a median, never
below the time a no-show takes), the clerks starting within the first minutes of the
day. Seeded: the same schedule every run."""

from __future__ import annotations

import math
import random
import time
from typing import Any

# A comprehensive window's 一件事 intake takes minutes, not seconds: a 5-minute median
# (a brisk pace for bundled matters) with a 40-second floor (a no-show, a quick hand-in).
MEDIAN_SERVICE = 300.0
SHORTEST = 40.0
OPENING = 300.0  # clerks' first calls spread over the first five minutes


def clerk_pace_schedule(windows: int = 30, minutes: float = 20.0, median_service: float = MEDIAN_SERVICE,
                        shortest: float = SHORTEST, opening: float = OPENING,
                        seed: int = 11) -> list[tuple[float, str, int]]:
    """(seconds from opening, ticket, window) for every call, in time order."""
    rng = random.Random(seed)
    calls: list[tuple[float, int]] = []
    for window in range(1, windows + 1):
        at = rng.uniform(0, opening)
        while at < minutes * 60:
            calls.append((at, window))
            at += max(shortest, median_service * math.exp(rng.gauss(0, 0.6)))
    calls.sort()
    return [(at, f"{'AB'[i % 2]}{i // 2 + 1:03d}", window) for i, (at, window) in enumerate(calls)]


def latencies(schedule: list[tuple[float, str, int]], heard: list[tuple[float, list[tuple[str, int]]]],
              started: float, speedup: float) -> dict[str, float]:
    """Seconds (hall time) from each call to the start of the announcement that says it;
    a call never announced is missing from the result."""
    called = {ticket: at for at, ticket, _ in schedule}
    out: dict[str, float] = {}
    for start, calls in heard:
        for ticket, _ in calls:
            out[ticket] = (start - started) * speedup - called[ticket]
    return out


def announce_compressed(voice: Any, schedule: list[tuple[float, str, int]], speedup: float) -> tuple[dict[str, float], int]:
    """The real Announcer (merging included) fed `schedule` in compressed time: each call
    arrives at its time / speedup, each sound plays for its length / speedup. Returns the
    delay (hall seconds) from each call to the start of its announcement, and how many
    announcements were made."""
    from window_tui.hall.voice import Announcer

    announcer = Announcer(voice=voice, player=lambda sound: time.sleep(sound.seconds / speedup)).start()
    started = time.monotonic()
    for at, ticket, window in schedule:
        delay = started + at / speedup - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        announcer.announce_call(ticket, window)
    announcer.stop()
    return latencies(schedule, announcer.heard, started, speedup), len(announcer.heard)
