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
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from window_tui.hall.speech import Sound, Voice, call_words, ticket_words, window_words, words_text

log = logging.getLogger(__name__)


MERGE_AT_MOST = 4  # calls in one sentence: longer ones are hard to follow


def spoken_ticket(label: str) -> str:
    """A105 → "A 一 零 五": letters and digits one by one."""
    return " ".join(ticket_words(label))


def spoken_number(number: int) -> str:
    """A window number as said aloud: 5 → 五, 12 → 十二, 20 → 二十, 105 → 一零五."""
    return "".join(window_words(number))


def call_sentence(calls: list[tuple[str, int]]) -> str:
    """One sentence for one or more calls, as text for a speech command."""
    return words_text(call_words(calls))


def default_command() -> str | None:
    """espeak-ng with its Mandarin pinyin voice when installed (plain `cmn` reads many
    characters as English letters)."""
    engine = shutil.which("espeak-ng") or shutil.which("espeak")
    return f"{engine} -v cmn-latn-pinyin -s 200 {{text}}" if engine else None


def default_player() -> str | None:
    """A command that plays a WAV file on this machine's speakers."""
    for name, template in (("paplay", "{engine} {file}"), ("aplay", "{engine} -q {file}"), ("play", "{engine} -q {file}")):
        engine = shutil.which(name)
        if engine:
            return template.replace("{engine}", engine)
    return None


Item = list[tuple[str, int]] | str | None  # calls to merge, free text, or stop
_NOTHING: list[tuple[str, int]] = []  # nothing held back (None is the stop)


@dataclass
class Announcer:
    """The one speaker of a display. With `voice` (a recorded pack, or espeak-ng rendered
    to WAV) each announcement is rendered and played by `player` (a command with "{file}",
    or a callable given the sound); otherwise `command` speaks the text itself."""

    command: str | None = None  # "{text}" is replaced by the words; None = find espeak-ng
    voice: Voice | None = None
    player: str | Callable[[Sound], None] | None = None
    chime_command: str | None = None  # a command that plays a chime; None = spoken "叮咚"
    chime: bool = True
    silent: bool = False
    merge_at_most: int = MERGE_AT_MOST
    warnings: list[str] = field(default_factory=list)
    heard: list[tuple[float, list[tuple[str, int]]]] = field(default_factory=list)  # (monotonic start, calls)
    _queue: queue.Queue[Item] = field(default_factory=queue.Queue)
    _held: Item = field(default_factory=lambda: _NOTHING)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        if self.silent:
            return
        if self.voice is not None:
            if self.player is None:
                self.player = default_player()
                if self.player is None:
                    self.warn("未找到播放程序（paplay/aplay/play），叫号将只显示不播报；可在配置中指定 voice.player")
        elif self.command is None:
            self.command = default_command()
            if self.command is None:
                self.warn("未找到语音引擎（espeak-ng），叫号将只显示不播报；可安装 espeak-ng 或在配置中指定 voice.command")

    @property
    def can_speak(self) -> bool:
        return not self.silent and bool(self.player if self.voice is not None else self.command)

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
        if self.can_speak:
            self._queue.put(text)

    def announce_call(self, ticket: str, window: int) -> None:
        """A call: merged with the calls waiting behind it when it is its turn."""
        if self.can_speak:
            self._queue.put([(ticket, window)])

    def stop(self, wait: bool = True) -> None:
        self._queue.put(None)
        if wait and self._thread is not None:
            self._thread.join(timeout=60)

    def pending(self) -> int:
        return self._queue.qsize()

    def _take(self) -> Item:
        if self._held is not _NOTHING:
            item, self._held = self._held, _NOTHING
            return item
        return self._queue.get()

    def _next(self) -> Item:
        """The next announcement: a call merged with the calls queued behind it."""
        item = self._take()
        if not isinstance(item, list):
            return item
        calls = list(item)
        while len(calls) < self.merge_at_most:
            try:
                following = self._queue.get_nowait()
            except queue.Empty:
                break
            if not isinstance(following, list):
                self._held = following  # a stop or a free text keeps its place after these calls
                break
            calls += following
        return calls

    def _run(self) -> None:
        while True:
            item = self._next()
            if item is None:
                return
            try:
                self._say(item)
            except Exception as exc:  # noqa: BLE001 (the speaker must outlive any one failure)
                self.warn(f"语音播报失败：{exc}")

    def _say(self, item: list[tuple[str, int]] | str) -> None:
        calls = item if isinstance(item, list) else []
        if self.voice is not None and calls:
            sound = self.voice.render(call_words(calls), with_chime=self.chime)
            self.heard.append((time.monotonic(), calls))
            self._play(sound)
            return
        text = item if isinstance(item, str) else call_sentence(calls)
        if self.chime:
            if self.chime_command:
                self._speak(self.chime_command, "")
            else:
                text = "叮咚，" + text
        if calls:
            self.heard.append((time.monotonic(), calls))
        self._speak(self.command or "", text)

    def _play(self, sound: Sound) -> None:
        if callable(self.player):
            self.player(sound)
            return
        with tempfile.NamedTemporaryFile(suffix=".wav", prefix="window-tui-call-") as handle:
            handle.write(sound.wav())
            handle.flush()
            args = [part.replace("{file}", handle.name) for part in shlex.split(self.player or "")]
            try:
                done = subprocess.run(args, check=False, timeout=60, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE)
            except (OSError, subprocess.TimeoutExpired) as exc:
                self.warn(f"语音播放失败：{exc}")
                return
            if done.returncode != 0:
                lines = done.stderr.decode("utf-8", "replace").strip().splitlines() or [f"退出码 {done.returncode}"]
                self.warn(f"语音播放失败（{args[0] if args else ''}）：{lines[-1][:120]}")

    def _speak(self, template: str, text: str) -> None:
        args = [part.replace("{text}", text) for part in shlex.split(template)]
        if "{text}" not in template and text:
            args.append(text)
        try:
            subprocess.run(args, check=False, timeout=30, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            self.warn(f"语音播报失败：{exc}")
