"""The core packages never import Textual (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "window_tui.domain.validators", "window_tui.domain.masking", "window_tui.domain.workdays",
    "window_tui.domain.catalog", "window_tui.domain.forms", "window_tui.domain.prefill",
    "window_tui.domain.materials", "window_tui.domain.case", "window_tui.domain.synthetic",
    "window_tui.domain.efficiency", "window_tui.domain.rules", "window_tui.domain.queue_policy",
    "window_tui.central.app", "window_tui.central.server", "window_tui.central.queue", "window_tui.client",
    "window_tui.session", "window_tui.hall.feed", "window_tui.hall.voice",
    "printers.encoder", "printers.service", "printers.connections", "printers.templates", "printers.preview",
    "offline.store", "offline.sync",
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_never_imports_textual(module: str) -> None:
    code = f"import sys, {module}; bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]; print(bad); sys.exit(1 if bad else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
