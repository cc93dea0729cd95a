"""A scanner fired at a screen of one-key actions must not press its keys: the receipt
QR "http://…/p/370800-…" holds n, x, f and p, which call, skip, finish and pause.

A screen with this mixin holds each printable key it would act on for HOLD_S. A
burst that ends with Enter at a scanner's pace (domain.scan.BurstWatch) is handed to
`scanned` whole and none of its keys act; a person's key (or keys with a person's
gaps) is let through in order as if it had just been pressed. Keys at a scanner's
pace that never end with Enter are dropped with a toast after SCAN_WAIT_S rather
than acted on: on a loaded machine the hold may run out in the middle of a burst.
Keys a focused input consumes never reach the screen, so typing is untouched."""

from __future__ import annotations

from time import monotonic

from textual import events
from textual.timer import Timer

from window_tui.domain.scan import BurstWatch

HOLD_S = 0.08  # longer than a scanner's gap between keys (≤ 50 ms), short enough that a clerk feels no delay
SCAN_WAIT_S = 0.6  # how long keys at a scanner's pace wait for their Enter


class ScanGuardedScreen:
    """Mixin for a Screen; it overrides `scanned(text)` to use the scans it gets."""

    _held: list[tuple[str, str | None]]
    _burst: BurstWatch
    _hold_timer: Timer | None
    _released: list[events.Key]
    _held_since: float

    def _guard_state(self) -> None:
        if not hasattr(self, "_held"):
            self._held, self._burst, self._hold_timer, self._released = [], BurstWatch(), None, []
            self._held_since = 0.0

    async def on_key(self, event: events.Key) -> None:
        self._guard_state()
        if any(event is released for released in self._released):
            self._released = [e for e in self._released if e is not event]
            return  # a held key let through: the app's bindings act on it now
        if event.is_printable and event.character:
            self._stop(event)
            if not self._held:
                self._held_since = monotonic()
            self._held.append((event.key, event.character))
            self._burst.key(event.character, event.time, "")
            self._arm()
            return
        if not self._held:
            return
        self._stop(event)
        if event.key == "enter":
            text = self._burst.scanned(event.time)
            if text is not None:
                self._clear()
                self.scanned(text)
                return
        self._let_through(then=(event.key, event.character))

    def _arm(self) -> None:
        if self._hold_timer is not None:
            self._hold_timer.stop()
        self._hold_timer = self.set_timer(HOLD_S, self._hold_over)  # type: ignore[attr-defined]

    def _hold_over(self) -> None:
        at_scanner_pace = len(self._held) >= 2 and not self._burst.slow
        if not at_scanner_pace:
            self._let_through()
        elif monotonic() - self._held_since < SCAN_WAIT_S:
            self._arm()
        else:
            count = len(self._held)  # not the characters: they may be an ID number
            self._clear()
            self.notify(f"{count} 个按键过快且未以回车结束（像一次中断的扫描），均未执行",  # type: ignore[attr-defined]
                        severity="warning")

    def _let_through(self, then: tuple[str, str | None] | None = None) -> None:
        keys = [*self._held, *([then] if then else [])]
        self._clear()
        for key, character in keys:
            released = events.Key(key, character)
            self._released.append(released)
            self.app.post_message(released)  # type: ignore[attr-defined]

    def _clear(self) -> None:
        if self._hold_timer is not None:
            self._hold_timer.stop()
        self._held, self._hold_timer, self._burst = [], None, BurstWatch()

    @staticmethod
    def _stop(event: events.Key) -> None:
        event.stop()
        event.prevent_default()

    def scanned(self, text: str) -> None:
        """What a screen does with a whole scan; a screen that takes none says so (the
        console opens 出件 for a receipt)."""
        del text  # never shown: it may be an ID number
        self.notify("本界面不接收扫描", severity="warning")  # type: ignore[attr-defined]
