"""Central platform: queue operations per second (issue, call, finish) and the
call-to-display latency with 30 windows calling and 3 displays following the
event stream, against `window-tui serve` in its own process on loopback — on
SQLite (one process, the embedded default) and on PostgreSQL with 1, 2 and 4
processes, in the same run, so the figures compare side by side.

    .venv/bin/python -m bench.queue_bench            # all four
    .venv/bin/python -m bench.queue_bench sqlite     # only SQLite (no PostgreSQL needed)
    .venv/bin/python -m bench.queue_bench hold       # only the time one queue transaction takes
    .venv/bin/python -m bench.queue_bench halls      # a city: 30 windows in 1 hall vs in 3 halls
"""

from __future__ import annotations

import http.client
import json
import random
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.progress import Progress

from bench.common import RESULTS, bar_chart, console, cpu_seconds_by_group, median, pct, save
from tests.platform_process import ServeProcess

WINDOWS = 30
DISPLAYS = 3
ISSUES = 6000
ROUNDS = 3


def _post(connection: http.client.HTTPConnection, path: str, body: dict, token: str) -> dict:
    connection.request("POST", path, body=json.dumps(body),
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    return json.loads(response.read())


def issue_phase(server: ServeProcess, progress: Progress, halls: tuple[str, ...] = ("",)) -> float:
    """Six kiosks issuing at once (in a city, spread over the halls: paths /halls/{code})."""
    task = progress.add_task("取号", total=ISSUES)
    per_thread = ISSUES // 6

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection(server.host, server.port)
        path = halls[seed % len(halls)] + "/api/v1/tickets"
        for _ in range(per_thread):
            _post(connection, path, {"service": rng.choice("ABCD")}, "demo-kiosk-token")
            progress.advance(task)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ISSUES / (time.perf_counter() - started)


def call_phase(server: ServeProcess, tokens: dict[Any, str], progress: Progress) -> float:
    """Every window calls and finishes as fast as it can until the queue is empty. A window is
    its number, or (hall path, number) in a city."""
    task = progress.add_task("叫号与办结", total=ISSUES)
    ops = [0]
    lock = threading.Lock()

    def window_loop(key: Any) -> None:
        hall, window = key if isinstance(key, tuple) else ("", key)
        connection = http.client.HTTPConnection(server.host, server.port)
        while True:
            data = _post(connection, f"{hall}/api/v1/windows/{window}/call-next", {}, tokens[key])
            if data.get("ticket") is None:
                with lock:
                    ops[0] += 1
                return
            _post(connection, f"{hall}/api/v1/windows/{window}/finish", {"case_numbers": []}, tokens[key])
            with lock:
                ops[0] += 2
            progress.advance(task)

    threads = [threading.Thread(target=window_loop, args=(w,)) for w in tokens]
    cpu_before = cpu_seconds_by_group(CPU_GROUPS)
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    cpu_after = cpu_seconds_by_group(CPU_GROUPS)
    # Where the two cores went during the phase, in cores (1.0 = one core busy all along).
    CPU_SHARE.append({g: (cpu_after[g] - cpu_before[g]) / elapsed for g in CPU_GROUPS})
    return ops[0] / elapsed


class DisplayReader(threading.Thread):
    """A display following /events/stream; records when each event id arrives."""

    def __init__(self, server: ServeProcess) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.arrivals: dict[int, float] = {}
        self.ready = threading.Event()

    def run(self) -> None:
        connection = http.client.HTTPConnection(self.server.host, self.server.port)
        connection.request("GET", "/api/v1/display/snapshot", headers={"Authorization": "Bearer demo-display-token"})
        last = json.loads(connection.getresponse().read())["last_event_id"]
        connection.request("GET", "/api/v1/events/stream", headers={"Authorization": "Bearer demo-display-token",
                                                                     "Last-Event-ID": str(last)})
        response = connection.getresponse()
        self.ready.set()
        event_id = None
        while True:
            line = response.fp.readline()
            if not line:
                return
            if line.startswith(b"id:"):
                event_id = int(line[3:])
            elif line.startswith(b"data:") and event_id is not None:
                self.arrivals[event_id] = time.perf_counter()


def latency_phase(server: ServeProcess, tokens: dict[int, str], progress: Progress, calls: int = 1500) -> list[float]:
    readers = [DisplayReader(server) for _ in range(DISPLAYS)]
    for reader in readers:
        reader.start()
        reader.ready.wait(5)
    connection = http.client.HTTPConnection(server.host, server.port)
    for _ in range(calls):
        _post(connection, "/api/v1/tickets", {"service": "A"}, "demo-kiosk-token")
    time.sleep(0.5)
    task = progress.add_task("叫号到显示屏延迟", total=calls)
    sent: dict[int, float] = {}
    lock = threading.Lock()
    per_window = calls // WINDOWS

    def window_loop(window: int) -> None:
        rng = random.Random(window)
        conn = http.client.HTTPConnection(server.host, server.port)
        for _ in range(per_window):
            started = time.perf_counter()
            data = _post(conn, f"/api/v1/windows/{window}/call-next", {}, tokens[window])
            if data.get("ticket"):
                with lock:
                    sent[data["ticket"]["event_id"]] = started
                _post(conn, f"/api/v1/windows/{window}/finish", {"case_numbers": []}, tokens[window])
            progress.advance(task)
            time.sleep(rng.uniform(0.05, 0.25))  # a clerk's pace, 30 windows at once

    threads = [threading.Thread(target=window_loop, args=(w,)) for w in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(1)
    latencies = []
    for event_id, started in sent.items():
        for reader in readers:
            if event_id in reader.arrivals:
                latencies.append((reader.arrivals[event_id] - started) * 1000)
    missing = sum(1 for e in sent for r in readers if e not in r.arrivals)
    if missing:
        console.print(f"[red]{missing} 次叫号未到达显示屏[/]")
    return latencies


def measure(server: ServeProcess, progress: Progress) -> dict[str, Any]:
    tokens = {w: server.login(w) for w in range(1, WINDOWS + 1)}
    issue_rates, call_rates = [], []
    for _ in range(ROUNDS):  # a noisy 2-core machine: report the median of several rounds
        issue_rates.append(issue_phase(server, progress))
        call_rates.append(call_phase(server, tokens, progress))
    cpu = {g: median([share[g] for share in CPU_SHARE[-ROUNDS:]]) for g in CPU_GROUPS}
    latencies = latency_phase(server, tokens, progress)
    return {"cpu_cores_during_calls": cpu, "issue_per_s": median(issue_rates), "call_finish_per_s": median(call_rates),
            "issue_rounds": issue_rates, "call_rounds": call_rates, "latency_p50_ms": median(latencies),
            "latency_p95_ms": pct(latencies, 0.95), "latency_samples": len(latencies)}


CONFIGS = [("SQLite", 1), ("PostgreSQL", 1), ("PostgreSQL", 2), ("PostgreSQL", 4)]
CPU_GROUPS = {
    "platform": lambda name, cmd: "window_tui" in cmd and " serve " in cmd or "multiprocessing" in cmd,
    "postgres": lambda name, cmd: name.startswith("postgres"),
    "bench client": lambda name, cmd: "bench.queue_bench" in cmd,
}
CPU_SHARE: list[dict[str, float]] = []


def transaction_ms(db: Path | str) -> float:
    """Time one queue transaction takes in-process (call-next or finish, one thread, 3,000
    tickets waiting): on PostgreSQL that is how long the writer lock is held, so one hall
    can never exceed 1000 / this many changes per second, however many cores."""
    from tests.conftest import START
    from window_tui.central.app import open_platform
    from window_tui.central.clock import FixedClock
    from window_tui.central.seed import seed_demo

    clock = FixedClock(at=START)
    platform = open_platform(db, clock=clock)
    seed_demo(platform.connection, clock.now(), persons=200, windows=4)
    for i in range(3000):
        platform.queue.issue("ABCD"[i % 4], clock.now())
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(200):
            platform.queue.call_next(1, clock.now())
            platform.queue.finish(1, clock.now(), [])
        runs.append((time.perf_counter() - started) / 400 * 1000)
    platform.connection.close()
    return median(runs)


def hold_times(pg_base: str) -> dict[str, float]:
    from tests.pg_server import Schema

    schema = Schema(pg_base)
    try:
        with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
            out = {"SQLite": transaction_ms(Path(tmp) / "central.db"), "PostgreSQL": transaction_ms(schema.url)}
    finally:
        schema.drop()
    for name, ms in out.items():
        console.print(f"{name} 一次队列事务（进程内，单线程）中位数 {ms:.3f} ms → 单个大厅上限约 {1000 / ms:,.0f} 次/秒")
    return out


CITY_HALLS = ("3201", "3202", "3203")


def city_round(server: ServeProcess, halls: tuple[str, ...], progress: Progress) -> dict[str, Any]:
    """30 windows calling at full speed: all in one hall, or 10 in each of 3 halls."""
    per_hall = WINDOWS // len(halls)
    paths = tuple(f"/halls/{code}" for code in halls)
    tokens: dict[Any, str] = {}
    for path in paths:
        for window in range(1, per_hall + 1):
            clerk = str(1000 + window)
            connection = http.client.HTTPConnection(server.host, server.port)
            tokens[(path, window)] = _post(connection, f"{path}/api/v1/auth/login",
                                           {"clerk": clerk, "password": f"demo{clerk}", "window": window}, "")["token"]
    issue_rates, call_rates = [], []
    for _ in range(ROUNDS):
        issue_rates.append(issue_phase(server, progress, paths))
        call_rates.append(call_phase(server, tokens, progress))
    return {"halls": len(halls), "issue_per_s": median(issue_rates), "call_finish_per_s": median(call_rates),
            "issue_rounds": issue_rates, "call_rounds": call_rates,
            "cpu_cores_during_calls": {g: median([share[g] for share in CPU_SHARE[-ROUNDS:]]) for g in CPU_GROUPS}}


def city(pg_base: str, progress: Progress) -> dict[str, Any]:
    """The same 30 windows and 4 processes, in one hall and in three (each hall has its own
    writer lock), beside one SQLite process, in one run."""
    from tests.pg_server import Schema
    from window_tui.central.city import add_hall, hall_connection
    from window_tui.central.db import connect
    from window_tui.central.seed import seed_demo

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp, \
            ServeProcess(Path(tmp) / "central.db", windows=WINDOWS, persons=300, workdir=Path(tmp)) as server:
        progress.console.print("[bold]SQLite ×1，1 个大厅[/]")
        tokens = {w: server.login(w) for w in range(1, WINDOWS + 1)}
        rates = []
        for _ in range(ROUNDS):
            issue_phase(server, progress)
            rates.append(call_phase(server, tokens, progress))
        out["SQLite ×1，1 个大厅"] = {"halls": 1, "call_finish_per_s": median(rates), "call_rounds": rates}
    for halls in (CITY_HALLS[:1], CITY_HALLS):
        name = f"PostgreSQL ×4，{len(halls)} 个大厅"
        progress.console.print(f"[bold]{name}[/]")
        schema = Schema(pg_base)
        try:
            base = connect(schema.url)
            now = datetime.now().astimezone()
            for code in halls:
                add_hall(base, code, f"第{code}大厅", now)
                seed_demo(hall_connection(base, code), now, persons=100, windows=WINDOWS // len(halls))
            base.close()
            with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp, \
                    ServeProcess(schema.url, windows=1, persons=50, workers=4, workdir=Path(tmp)) as server:
                out[name] = city_round(server, halls, progress)
        finally:
            schema.drop()
    base_rate = out["SQLite ×1，1 个大厅"]["call_finish_per_s"]
    for name, r in out.items():
        console.print(f"{name:<20} 叫号+办结 {r['call_finish_per_s']:>6,.0f}/s（×{r['call_finish_per_s'] / base_rate:.2f}）")
    bar_chart("全市：30 个窗口叫号+办结（次/秒，越高越好）", [(n, r["call_finish_per_s"]) for n, r in out.items()], "次/秒")
    return out


def main() -> None:
    if sys.argv[1:] == ["halls"]:
        from tests.pg_server import find_server

        path = RESULTS / "queue.json"
        results = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        with Progress(console=console, transient=True) as progress:
            results["city"] = city(find_server(), progress)
        save("queue", results)
        return
    if sys.argv[1:] == ["hold"]:
        from tests.pg_server import find_server

        results = json.loads((RESULTS / "queue.json").read_text(encoding="utf-8"))
        results["transaction_ms"] = hold_times(find_server())
        save("queue", results)
        return
    only_sqlite = sys.argv[1:] == ["sqlite"]
    pg_base = ""
    if not only_sqlite:
        from tests.pg_server import find_server

        pg_base = find_server()
    results: dict[str, Any] = {"windows": WINDOWS, "displays": DISPLAYS, "rounds": ROUNDS, "configs": {}}
    with Progress(console=console, transient=True) as progress:
        for database, processes in CONFIGS[:1] if only_sqlite else CONFIGS:
            name = f"{database} ×{processes}"
            progress.console.print(f"[bold]{name}[/]")
            with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
                schema = None
                if database == "SQLite":
                    db: Path | str = Path(tmp) / "central.db"
                else:
                    from tests.pg_server import Schema

                    schema = Schema(pg_base)
                    db = schema.url
                try:
                    with ServeProcess(db, windows=WINDOWS, persons=300, workers=processes,
                                      workdir=Path(tmp)) as server:
                        results["configs"][name] = measure(server, progress)
                finally:
                    if schema is not None:
                        schema.drop()
    if not only_sqlite:
        results["transaction_ms"] = hold_times(pg_base)
    configs = results["configs"]
    base = configs["SQLite ×1"]["call_finish_per_s"]
    for name, r in configs.items():
        cpu = "，".join(f"{g} {v:.2f}" for g, v in r["cpu_cores_during_calls"].items())
        console.print(f"{name:<14} 取号 {r['issue_per_s']:>6,.0f}/s  叫号+办结 {r['call_finish_per_s']:>6,.0f}/s"
                      f"（×{r['call_finish_per_s'] / base:.2f}）  叫号→显示屏 p95 {r['latency_p95_ms']:.1f} ms"
                      f"  CPU（核）：{cpu}")
    bar_chart("叫号+办结（次/秒，30 个窗口并发，越高越好）",
              [(name, r["call_finish_per_s"]) for name, r in configs.items()], "次/秒")
    bar_chart("取号（次/秒）", [(name, r["issue_per_s"]) for name, r in configs.items()], "次/秒")
    save("queue", results)


if __name__ == "__main__":
    main()
