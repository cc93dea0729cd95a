"""Voice announcements: one queue, spoken one after another. A new call never
cuts off the one being spoken; a recall is announced again; a chime goes
before each; silent mode and a missing speech engine only warn (once)."""

from __future__ import annotations

import logging
import queue
import shlex
import shutil
import subprocess
import threading
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


def default_command() -> str | None:
    """espeak-ng with a Mandarin voice when installed."""
    engine = shutil.which("espeak-ng") or shutil.which("espeak")
    return f"{engine} -v cmn -s 150 {{text}}" if engine else None


@dataclass
class Announcer:
    command: str | None = None  # "{text}" is replaced by the words; None = find espeak-ng
    chime_command: str | None = None  # a command that plays a chime; None = spoken "叮咚"
    chime: bool = True
    silent: bool = False
    warnings: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        if self.command is None and not self.silent:
            self.command = default_command()
            if self.command is None:
                self.warn("未找到语音引擎（espeak-ng），叫号将只显示不播报；可安装 espeak-ng 或在配置中指定 voice.command")

    def warn(self, message: str) -> None:
        if message not in self.warnings:  # once
            self.warnings.append(message)
            log.warning(message)

    def start(self) -> Announcer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="announcer", daemon=True)
            self._thread.start()
        return self

    def announce(self, text: str) -> None:
        if not self.silent and self.command:
            self._queue.put(text)

    def stop(self, wait: bool = True) -> None:
        self._queue.put(None)
        if wait and self._thread is not None:
            self._thread.join(timeout=60)

    def pending(self) -> int:
        return self._queue.qsize()

    def _run(self) -> None:
        while True:
            text = self._queue.get()
            if text is None:
                return
            if self.chime:
                if self.chime_command:
                    self._speak(self.chime_command, "")
                else:
                    text = "叮咚，" + text
            self._speak(self.command or "", text)

    def _speak(self, template: str, text: str) -> None:
        args = [part.replace("{text}", text) for part in shlex.split(template)]
        if "{text}" not in template and text:
            args.append(text)
        try:
            subprocess.run(args, check=False, timeout=30, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            self.warn(f"语音播报失败：{exc}")
