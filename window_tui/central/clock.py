"""The platform reads the same hall clock as the counter (window_tui.clock)."""

from window_tui.clock import Clock, FixedClock

__all__ = ["Clock", "FixedClock"]
