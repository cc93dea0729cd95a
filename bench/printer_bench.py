"""Printers: building and encoding a receipt (layout + ESC/POS), median of many runs.

    .venv/bin/python -m bench.printer_bench
"""

from __future__ import annotations

import time

from bench.common import bar_chart, console, median, pct, save
from printers.decoder import decode
from printers.encoder import Encoder
from printers.profiles import parse_profile
from printers.samples import sample_for
from printers.templates import HallInfo, build

RUNS = 300


def main() -> None:
    hall = HallInfo()
    source = sample_for("receipt")
    results = {}
    for profile_name in ("58mm-gb18030", "80mm-gb18030", "80mm-gbk"):
        profile = parse_profile(profile_name)
        encoder = Encoder(profile)
        times, decode_times = [], []
        for _ in range(RUNS):
            started = time.perf_counter()
            data = encoder.encode(build("receipt", source, hall))
            times.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            decode(data, profile.charset)
            decode_times.append((time.perf_counter() - started) * 1000)
        results[profile_name] = {"build_encode_median_ms": median(times), "build_encode_p95_ms": pct(times, 0.95),
                                 "decode_median_ms": median(decode_times), "bytes": len(data)}
        console.print(f"{profile_name}：生成并编码受理回执 中位数 {median(times):.2f} ms（p95 {pct(times, 0.95):.2f}），"
                      f"{len(data):,} 字节；解码 {median(decode_times):.2f} ms")
    bar_chart("受理回执生成+编码 中位数（目标 ≤ 5 ms）",
              [(k, v["build_encode_median_ms"]) for k, v in results.items()] + [("目标", 5.0)], "ms")
    save("printer", results)


if __name__ == "__main__":
    main()
