"""Scanners that type (keyboard wedge): ID-card readers, QR and barcode scanners send
their reading as keystrokes much faster than a person types, ended by Enter. This
module tells such a burst from typing and says what was scanned; the screen decides
where it goes. No Textual here.

What a scan can be:
- an 18-character resident ID number (GB 11643, check digit verified) → "id";
- an 18-character unified social credit code (GB 32100, verified) → "uscc";
- an e-licence QR (亮证), in this documented form:
      ELIC1;type=<证照名称>;no=<证照编号>;holder=<持证人身份证号或统一社会信用代码>
  (fields in any order after ELIC1, separated by ";"; values without ";" or "=") → "elicence",
  routed by its holder's number, so the licence itself comes from shared data;
- the QR of one of our receipts or progress pages (…/p/<case number>) → "receipt";
- anything else → "unknown" (left where it was typed: a fast typist is not a scanner)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from window_tui.domain.validators import validate_id_number, validate_uscc

MIN_CHARS = 8  # shorter bursts are ordinary typing (a fast "123" is not a scan)
MAX_GAP = 0.05  # seconds between keystrokes: scanners send a key every 1–20 ms, people every 80 ms or more
RECEIPT = re.compile(r"/p/([0-9A-Za-z-]{6,40})/?(?:\?[^\s#]*)?$")  # the printed QR carries ?c=<check code>


@dataclass(frozen=True)
class Scan:
    kind: str  # id | uscc | elicence | receipt | unknown
    value: str  # the number to route (for an e-licence: its holder's number)
    details: dict[str, str] = field(default_factory=dict)


def classify(text: str) -> Scan:
    text = text.strip()
    if text.upper().startswith("ELIC1;"):
        parts = dict(part.split("=", 1) for part in text.split(";")[1:] if "=" in part)
        holder = parts.get("holder", "").strip().upper()
        inner = classify(holder)
        if inner.kind in ("id", "uscc"):
            return Scan("elicence", inner.value, {"holder_kind": inner.kind, "type": parts.get("type", ""),
                                                  "number": parts.get("no", "")})
        return Scan("unknown", text)
    receipt = RECEIPT.search(text)
    if receipt:
        return Scan("receipt", receipt.group(1))
    if len(text) == 18:
        if validate_id_number(text):
            return Scan("id", text.upper())
        if validate_uscc(text):
            return Scan("uscc", text.upper())
    return Scan("unknown", text)


@dataclass
class BurstWatch:
    """Follows one input's keystrokes: which characters came in the current burst."""

    value_before: str = ""
    text: str = ""
    last_at: float = -1.0
    slow: bool = False  # a pause inside the burst: a person typing

    def key(self, char: str, at: float, value_now: str) -> None:
        if self.last_at < 0 or at - self.last_at > MAX_GAP * 4:  # a new burst starts
            self.value_before, self.text, self.slow = value_now, "", False
        elif at - self.last_at > MAX_GAP:
            self.slow = True
        self.text += char
        self.last_at = at

    def scanned(self, enter_at: float) -> str | None:
        """At Enter: the burst's text when it was a scan, else None; the watch starts over."""
        text, fast = self.text, not self.slow and self.last_at >= 0 and enter_at - self.last_at <= MAX_GAP * 4
        self.text, self.last_at, self.slow = "", -1.0, False
        return text if fast and len(text) >= MIN_CHARS else None
