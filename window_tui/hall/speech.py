"""Turning calls into sound: the words of an announcement, and two engines that
render them to one WAV — a hall's own recorded voice pack (clips concatenated)
and espeak-ng's Mandarin pinyin voice. Both put a generated two-tone chime first.

A voice pack is a folder with `manifest.toml`:

    name = "某某大厅 2026 年录音"
    [clips]
    "请" = "qing.wav"
    "号" = "hao.wav"
    ...                       # every word in PACK_WORDS, each a PCM WAV file
    [optional]
    chime = "chime.wav"       # else a generated chime
    pause = "pause.wav"       # between merged calls; else 0.3 s of silence

All clips share one sample rate, sample width and channel count."""

from __future__ import annotations

import io
import math
import shutil
import struct
import subprocess
import tomllib
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

DIGITS = "零一二三四五六七八九"
LETTERS = tuple(chr(c) for c in range(ord("A"), ord("Z") + 1))
PAUSE = "，"
PACK_WORDS = ("请", "号", "到", "窗口", "办理", "十", *DIGITS, *LETTERS)
ESPEAK_VOICE = "cmn-latn-pinyin"  # plain `cmn` reads 请, 号, 到, 口, 办, 理 as English letters


class VoiceError(Exception):
    """A voice that cannot speak: the message is one Chinese line."""


def ticket_words(label: str) -> list[str]:
    """A105 → ["A", "一", "零", "五"]: hall practice reads letters and digits one by one
    ("一百零五" is heard as 150)."""
    return [DIGITS[int(c)] if c.isdigit() else c.upper() for c in label if not c.isspace()]


def window_words(number: int) -> list[str]:
    """A window number as said aloud: 5 → 五, 12 → 十 二, 20 → 二 十, 105 → 一 零 五."""
    if 0 < number < 10:
        return [DIGITS[number]]
    if 10 <= number < 100:
        tens, ones = divmod(number, 10)
        return ([] if tens == 1 else [DIGITS[tens]]) + ["十"] + ([DIGITS[ones]] if ones else [])
    return [DIGITS[int(c)] for c in str(number)]


def call_words(calls: list[tuple[str, int]]) -> list[str]:
    """The words of one announcement, as halls say it: "请 A 一 零 五 号 到 五 号 窗口 办理" for
    one call; several merged without the closing 办理, which would only make the last
    applicant wait longer: "请 A 一 零 五 号 到 五 号 窗口 ， A 一 零 六 号 到 六 号 窗口"."""
    words = ["请"]
    for index, (ticket, window) in enumerate(calls):
        if index:
            words.append(PAUSE)
        words += [*ticket_words(ticket), "号", "到", *window_words(window), "号", "窗口"]
    return [*words, "办理"] if len(calls) == 1 else words


def words_text(words: list[str]) -> str:
    """The words as text for a speech engine: a ticket's letters and digits spaced so each
    is read alone ("请 A 一 零 五号到十二号窗口办理")."""
    spelled = set(DIGITS) | set(LETTERS)
    text = ""
    for previous, word in zip(["", *words], words, strict=False):
        if previous == "请" or (previous in spelled and word in spelled):
            text += " "
        text += word
    return text


@dataclass(frozen=True)
class Sound:
    """Raw PCM frames with their format."""

    frames: bytes
    rate: int
    width: int  # bytes per sample
    channels: int

    @property
    def seconds(self) -> float:
        return len(self.frames) / (self.rate * self.width * self.channels)

    def wav(self) -> bytes:
        out = io.BytesIO()
        with wave.open(out, "wb") as handle:
            handle.setnchannels(self.channels)
            handle.setsampwidth(self.width)
            handle.setframerate(self.rate)
            handle.writeframes(self.frames)
        return out.getvalue()


def read_wav(data: bytes, where: str = "") -> Sound:
    try:
        with wave.open(io.BytesIO(data), "rb") as handle:
            return Sound(handle.readframes(handle.getnframes()), handle.getframerate(), handle.getsampwidth(),
                         handle.getnchannels())
    except (wave.Error, EOFError) as exc:
        raise VoiceError(f"{where or '音频'} 不是有效的 PCM WAV 文件：{exc}") from exc


def wav_seconds(data: bytes) -> float:
    return read_wav(data).seconds


def silence(seconds: float, rate: int, width: int, channels: int) -> bytes:
    return bytes(int(seconds * rate) * width * channels)


def chime(rate: int, width: int, channels: int) -> bytes:
    """叮咚: two soft tones (E6 then C6) with a decaying envelope, about half a second
    (a longer chime delays every call in a busy hall)."""
    if width != 2:
        raise VoiceError("生成提示音需要 16 位音频")
    frames = bytearray()
    for freq, length in ((1318.5, 0.18), (1046.5, 0.3)):
        count = int(length * rate)
        for i in range(count):
            envelope = math.exp(-4.0 * i / count)
            sample = int(9000 * envelope * math.sin(2 * math.pi * freq * i / rate))
            frames += struct.pack("<h", sample) * channels
    return bytes(frames) + silence(0.08, rate, width, channels)


class Voice(Protocol):
    name: str

    def render(self, words: list[str], *, with_chime: bool = True) -> Sound: ...


@dataclass
class VoicePack:
    """A hall's recorded clips, concatenated."""

    folder: Path
    name: str
    clips: dict[str, Sound]
    chime_sound: Sound | None
    pause: Sound

    @classmethod
    def load(cls, folder: Path) -> VoicePack:
        manifest_path = folder / "manifest.toml"
        try:
            manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise VoiceError(f"语音包 {folder} 缺少 manifest.toml（{exc.strerror or exc}）") from exc
        except tomllib.TOMLDecodeError as exc:
            raise VoiceError(f"语音包清单 {manifest_path} 格式错误：{exc}") from exc
        listed = manifest.get("clips", {})
        missing = [word for word in PACK_WORDS if word not in listed]
        if missing:
            raise VoiceError(f"语音包 {folder} 缺少这些词的录音：{'、'.join(missing)}")

        def load_clip(word: str, file: str) -> Sound:
            path = folder / file
            try:
                return read_wav(path.read_bytes(), f"语音包录音 {path}")
            except OSError as exc:
                raise VoiceError(f"语音包录音 {path}（“{word}”）无法读取：{exc.strerror or exc}") from exc

        clips = {word: load_clip(word, str(file)) for word, file in listed.items()}
        formats = {(s.rate, s.width, s.channels) for s in clips.values()}
        optional = manifest.get("optional", {})
        chime_sound = load_clip("提示音", optional["chime"]) if "chime" in optional else None
        pause = load_clip("停顿", optional["pause"]) if "pause" in optional else None
        formats |= {(s.rate, s.width, s.channels) for s in (chime_sound, pause) if s is not None}
        if len(formats) != 1:
            raise VoiceError(f"语音包 {folder} 的录音格式不一致（采样率/位深/声道）：{sorted(formats)}；请统一转换后再用")
        rate, width, channels = formats.pop()
        if pause is None:
            pause = Sound(silence(0.3, rate, width, channels), rate, width, channels)
        return cls(folder, str(manifest.get("name", folder.name)), clips, chime_sound, pause)

    def render(self, words: list[str], *, with_chime: bool = True) -> Sound:
        sample = self.pause
        parts: list[bytes] = []
        if with_chime:
            parts.append(self.chime_sound.frames if self.chime_sound else
                         chime(sample.rate, sample.width, sample.channels))
        for word in words:
            if word == PAUSE:
                parts.append(self.pause.frames)
            elif word in self.clips:
                parts.append(self.clips[word].frames)
            else:
                raise VoiceError(f"语音包 {self.name} 没有“{word}”的录音")
        return Sound(b"".join(parts), sample.rate, sample.width, sample.channels)


@dataclass
class EspeakVoice:
    """espeak-ng's Mandarin pinyin voice, rendered to WAV (--stdout)."""

    engine: str
    speed: int = 200
    name: str = "espeak-ng " + ESPEAK_VOICE

    @classmethod
    def find(cls, speed: int = 200) -> EspeakVoice:
        engine = shutil.which("espeak-ng") or shutil.which("espeak")
        if engine is None:
            raise VoiceError("未找到语音引擎 espeak-ng：请安装（apt install espeak-ng）或配置录音语音包 voice.pack")
        return cls(engine, speed)

    def command(self, text: str, *, phonemes: bool = False, language: str = ESPEAK_VOICE) -> list[str]:
        extra = ["-q", "-x"] if phonemes else ["--stdout"]
        return [self.engine, "-v", language, "-s", str(self.speed), *extra, text]

    def render(self, words: list[str], *, with_chime: bool = True) -> Sound:
        try:
            done = subprocess.run(self.command(words_text(words)), capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise VoiceError(f"espeak-ng 运行失败：{exc}") from exc
        if done.returncode != 0 or not done.stdout:
            raise VoiceError(f"espeak-ng 运行失败：{done.stderr.decode('utf-8', 'replace').strip()[:200]}")
        speech = _trim(read_wav(_fix_stream_header(done.stdout), "espeak-ng 输出"))
        if not with_chime:
            return speech
        return Sound(chime(speech.rate, speech.width, speech.channels) + speech.frames, speech.rate,
                     speech.width, speech.channels)

    def phonemes(self, text: str) -> str:
        """What espeak-ng will say, as phoneme mnemonics (`-x`): a switch to another
        language shows as "(en)"."""
        return self.phonemes_with(ESPEAK_VOICE, text)

    def phonemes_with(self, language: str, text: str) -> str:
        done = subprocess.run(self.command(text, phonemes=True, language=language), capture_output=True,
                              timeout=30, check=False)
        return done.stdout.decode("utf-8", "replace")


def _fix_stream_header(data: bytes) -> bytes:
    """espeak-ng writing to a pipe cannot seek back, so its RIFF and data sizes say
    0x7FFFFFFF; put the real sizes in so every WAV reader accepts it."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return data
    at = data.find(b"data", 12)
    if at < 0:
        return data
    body = len(data) - (at + 8)
    return data[:4] + struct.pack("<I", len(data) - 8) + data[8:at + 4] + struct.pack("<I", body) + data[at + 8:]


def open_voice(pack: str = "", speed: int = 200) -> Voice:
    """The configured voice: the hall's pack when one is set, else espeak-ng."""
    if pack:
        return VoicePack.load(Path(pack).expanduser())
    return EspeakVoice.find(speed)


def make_pack_from_espeak(folder: Path, speed: int = 200) -> Path:
    """A starting voice pack rendered by espeak-ng (a hall replaces the clips with its
    own announcer's recordings, keeping the manifest)."""
    voice = EspeakVoice.find(speed)
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f'name = "espeak-ng {ESPEAK_VOICE} 生成（请替换为本大厅的录音）"', "[clips]"]
    for index, word in enumerate(PACK_WORDS):
        file = f"{index:02d}-{word if word.isascii() else 'w' + format(ord(word[0]), 'x')}.wav"
        (folder / file).write_bytes(_trim(voice.render([word], with_chime=False)).wav())
        lines.append(f'"{word}" = "{file}"')
    (folder / "manifest.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _trim(sound: Sound, threshold: int = 300) -> Sound:
    """Cut leading and trailing near-silence from a 16-bit clip so joined words flow."""
    if sound.width != 2:
        return sound
    step = sound.width * sound.channels
    count = len(sound.frames) // step
    samples = struct.unpack(f"<{count * sound.channels}h", sound.frames[: count * step])

    def loud(i: int) -> bool:
        return any(abs(samples[i * sound.channels + c]) > threshold for c in range(sound.channels))

    first = next((i for i in range(count) if loud(i)), 0)
    last = next((i for i in range(count - 1, -1, -1) if loud(i)), count - 1)
    pad = int(0.02 * sound.rate)
    first, last = max(0, first - pad), min(count, last + pad)
    return Sound(sound.frames[first * step: last * step], sound.rate, sound.width, sound.channels)
