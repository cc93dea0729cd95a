"""Case numbers that never collide: `{hall}-{yyyymmdd}-{window}-{seq}`, where the
sequence comes only from blocks the platform leased to this window.

The platform keeps, per window and day, the next free sequence number and hands
out blocks of it (`POST /windows/{w}/case-numbers`) for today and the next days.
A counter leases at online login and tops its blocks up whenever it is online, so
it can keep numbering cases offline; it never makes a number up. Hence:
- losing `state.json` or reinstalling loses the blocks (and the clerk's offline
  login verifier), so the next case needs an online login, which leases a fresh
  block: old numbers are never handed out again;
- two PCs configured as one window each hold different blocks;
- a state file restored from an old backup cannot re-use a number either: the next
  number is also kept above every number found in the local outbox and archive.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from offline.store import LocalStore

LEASE_DAYS = 7  # blocks for today and the next 6 days: a counter can work offline that long
LEASE_SIZE = 50
LOW_WATER = 15  # top up when fewer remain today


class NoCaseNumber(RuntimeError):
    """No leased number left for that day; the message says what to do."""


def _state_key(window: int) -> str:
    return f"numbers:{window}"


def seq_of(case_number: str, window: int, day: date) -> int | None:
    parts = case_number.split("-")
    if len(parts) != 4 or parts[1] != f"{day:%Y%m%d}" or parts[2] != f"{window:02d}" or not parts[3].isdigit():
        return None
    return int(parts[3])


class CaseNumbers:
    def __init__(self, store: LocalStore, window: int) -> None:
        self.store = store
        self.window = window
        self._floors: dict[str, int] = {}

    def _load(self) -> dict[str, Any]:
        state = self.store.get_state(_state_key(self.window)) or {}
        return {"blocks": list(state.get("blocks", [])), "used": dict(state.get("used", {}))}

    def add_blocks(self, blocks: list[dict[str, Any]], today: date) -> None:
        """Blocks from the platform: [{"day", "first", "last"}]; past days are dropped."""
        with self.store.mutex:
            state = self._load()
            known = {(b["day"], b["first"]) for b in state["blocks"]}
            for block in blocks:
                if (block["day"], int(block["first"])) not in known:
                    state["blocks"].append({"day": block["day"], "first": int(block["first"]),
                                            "last": int(block["last"])})
            keep = today.isoformat()
            state["blocks"] = sorted((b for b in state["blocks"] if b["day"] >= keep),
                                     key=lambda b: (b["day"], b["first"]))
            state["used"] = {d: s for d, s in state["used"].items() if d >= keep}
            self.store.set_state(_state_key(self.window), state)

    def remaining(self, day: date) -> int:
        state = self._load()
        used = max(int(state["used"].get(day.isoformat(), 0)), self._floor(day))
        return sum(b["last"] - max(b["first"], used + 1) + 1 for b in state["blocks"]
                   if b["day"] == day.isoformat() and b["last"] > used)

    def days_covered(self) -> list[str]:
        return sorted({b["day"] for b in self._load()["blocks"]})

    def take(self, day: date) -> int:
        """The next leased number for `day`, durably marked used before it is returned."""
        with self.store.mutex:
            state = self._load()
            key = day.isoformat()
            used = max(int(state["used"].get(key, 0)), self._floor(day))
            for block in state["blocks"]:
                if block["day"] == key and block["last"] > used:
                    seq = max(block["first"], used + 1)
                    state["used"][key] = seq
                    self.store.set_state(_state_key(self.window), state)
                    self._floors[key] = seq
                    return seq
        raise NoCaseNumber(f"本机没有 {key} 可用的案件编号：编号由中心平台按窗口分配，保证不与其他电脑重复。"
                           "请在网络恢复后重新登录（或按 Ctrl+P → 立即同步），案件草稿已保存")

    def _floor(self, day: date) -> int:
        """The highest number of this window and day already in the local outbox or archive."""
        key = day.isoformat()
        if key not in self._floors:
            numbers = [seq_of(ref, self.window, day) for ref in self.store.case_refs(day)]
            self._floors[key] = max((n for n in numbers if n is not None), default=0)
        return self._floors[key]
