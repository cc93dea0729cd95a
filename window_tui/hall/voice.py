"""Voice announcements: one queue, spoken one after another. A new call never
cuts off the one being spoken; a recall is announced again; a chime goes
before each; silent mode and a missing speech engine only warn (once).

Words follow hall practice: a ticket is read letter by letter and digit by digit
("A 一 零 五", never "一百零五", which is heard as 150); calls that queue up while one is
spoken are merged into one sentence ("请 A 一 零 五 号到五号窗口，A 一 零 六 号到六号窗口办理"),
so a busy hall is not left minutes behind."""

from __future__ import annotations

import logging
import queue
import shlex
import shutil
import subprocess
import threading
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


DIGITS = "零一二三四五六七八九"
MERGE_AT_MOST = 4  # calls in one sentence: longer ones are hard to follow


def spoken_ticket(label: str) -> str:
    """A105 → "A 一 零 五": letters and digits one by one."""
    return " ".join(DIGITS[int(c)] if c.isdigit() else c.upper() for c in label if not c.isspace())


def spoken_number(number: int) -> str:
    """A window number as said aloud: 5 → 五, 12 → 十二, 20 → 二十, 105 → 一零五."""
    if 0 < number < 10:
        return DIGITS[number]
    if 10 <= number < 100:
        tens, ones = divmod(number, 10)
        return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")
    return "".join(DIGITS[int(c)] for c in str(number))


def call_sentence(calls: list[tuple[str, int]]) -> str:
    """One sentence for one or more calls."""
    parts = [f"{spoken_ticket(ticket)} 号到{spoken_number(window)}号窗口" for ticket, window in calls]
    return "请 " + "，".join(parts) + "办理"


def default_command() -> str | None:
    """espeak-ng with its Mandarin pinyin voice when installed (plain `cmn` reads many
    characters as English letters)."""
    engine = shutil.which("espeak-ng") or shutil.which("espeak")
    return f"{engine} -v cmn-latn-pinyin -s 150 {{text}}" if engine else None


@dataclass
class Announcer:
    command: str | None = None  # "{text}" is replaced by the words; None = find espeak-ng
    chime_command: str | None = None  # a command that plays a chime; None = spoken "叮咚"
    chime: bool = True
    silent: bool = False
    warnings: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | tuple[str, int] | None] = field(default_factory=queue.Queue)
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

    def announce_call(self, ticket: str, window: int) -> None:
        """A call: merged with the calls waiting behind it when it is its turn."""
        if not self.silent and self.command:
            self._queue.put((ticket, window))

    def stop(self, wait: bool = True) -> None:
        self._queue.put(None)
        if wait and self._thread is not None:
            self._thread.join(timeout=60)

    def pending(self) -> int:
        return self._queue.qsize()

    def _next_text(self) -> str | None:
        item = self._queue.get()
        if not isinstance(item, tuple):
            return item
        calls = [item]
        while len(calls) < MERGE_AT_MOST:
            try:
                following = self._queue.get_nowait()
            except queue.Empty:
                break
            if not isinstance(following, tuple):
                self._queue.put(following)  # a stop or a free text keeps its place after these calls
                break
            calls.append(following)
        return call_sentence(calls)

    def _run(self) -> None:
        while True:
            text = self._next_text()
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
