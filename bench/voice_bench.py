"""How long after a call is it spoken? The real Announcer (merging up to MERGE_AT_MOST
calls), fed a hall's calls on a seeded schedule, time compressed (each sound plays for its
real length divided by the speed-up). Voices: espeak-ng's pinyin voice at three speeds,
as voice packs of its own words (a hall's recorded pack behaves the same way).

    .venv/bin/python -m bench.voice_bench [--speedup 40] [--minutes 20]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.common import bar_chart, console, median, pct, save
from bench.hall_calls import announce_compressed, clerk_pace_schedule
from window_tui.hall.speech import EspeakVoice, VoicePack, call_words, make_pack_from_espeak

SCENARIOS = {  # name: (windows, median service s, opening s)
    "常态": (30, 300.0, 300.0),  # 30 windows, 5-minute median service, opening over 5 minutes
    "高峰": (30, 180.0, 120.0),  # 30 windows, 3-minute median service, opening over 2 minutes
}


def run_once(voice: VoicePack, windows: int, median_service: float, opening: float, minutes: float,
             speedup: float) -> dict[str, float]:
    schedule = clerk_pace_schedule(windows=windows, minutes=minutes, median_service=median_service,
                                   opening=opening)
    by_ticket, announcements = announce_compressed(voice, schedule, speedup)
    delays = list(by_ticket.values())
    return {"calls": len(schedule), "spoken": len(delays), "announcements": announcements,
            "p50": median(delays), "p95": pct(delays, 0.95), "max": max(delays)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--speedup", type=float, default=40.0)
    parser.add_argument("--minutes", type=float, default=20.0)
    args = parser.parse_args()
    espeak = EspeakVoice.find()
    results: dict[str, object] = {"speedup": args.speedup, "minutes": args.minutes, "voices": {}}
    one = call_words([("A105", 5)])
    four = call_words([("A105", 5), ("A106", 6), ("B007", 12), ("A108", 30)])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for speed in (150, 175, 200):
            espeak.speed = speed
            direct = (espeak.render(one).seconds, espeak.render(four).seconds)
            pack = VoicePack.load(make_pack_from_espeak(Path(tmp) / f"pack-{speed}", speed))
            figures = {"espeak one call s": direct[0], "espeak four merged s": direct[1],
                       "pack one call s": pack.render(one).seconds, "pack four merged s": pack.render(four).seconds}
            for name, (windows, median_service, opening) in SCENARIOS.items():
                result = run_once(pack, windows, median_service, opening, args.minutes, args.speedup)
                figures[name] = result
                console.print(f"{speed} 字/分 · {name}: {result}")
                rows.append((f"{speed} 字/分 {name} 最长", result["max"]))
            results["voices"][f"espeak-ng {speed}"] = figures  # type: ignore[index]
    bar_chart("叫号到开始播报的最长等待（秒，越短越好；目标 ≤ 10）", rows, "s")
    print(f"saved {save('voice', results)}")


if __name__ == "__main__":
    main()
