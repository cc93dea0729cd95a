"""The voice: Mandarin words (espeak-ng checked phoneme by phoneme), voice packs, and a
busy hall — 30 windows at a clerk's pace — where every call is spoken within 10 s."""

from __future__ import annotations

import shutil
import struct
import time
import wave
from pathlib import Path

import pytest

from bench.hall_calls import announce_compressed, clerk_pace_schedule
from tests.tv_browser import make_tone_pack
from window_tui.hall.speech import (
    PACK_WORDS,
    EspeakVoice,
    Sound,
    VoiceError,
    VoicePack,
    call_words,
    make_pack_from_espeak,
    read_wav,
    words_text,
)
from window_tui.hall.voice import Announcer

ESPEAK = shutil.which("espeak-ng")
need_espeak = pytest.mark.skipif(ESPEAK is None, reason="未安装 espeak-ng（apt install espeak-ng；scripts/setup 以 root 运行时会安装）")


def test_words_follow_hall_practice() -> None:
    assert call_words([("A105", 5)]) == ["请", "A", "一", "零", "五", "号", "到", "五", "号", "窗口", "办理"]
    merged = call_words([("A105", 5), ("B7", 12)])
    assert merged == ["请", "A", "一", "零", "五", "号", "到", "五", "号", "窗口", "，",
                      "B", "七", "号", "到", "十", "二", "号", "窗口"]  # no closing 办理 to wait for
    assert words_text(merged) == "请 A 一 零 五号到五号窗口，B 七号到十二号窗口"


@need_espeak
def test_espeak_pinyin_voice_says_every_word_in_mandarin() -> None:
    """`espeak-ng -x` shows a switch to English as "(en)": plain `cmn` reads 请 as "king three";
    the pinyin voice must not fall back on any word we say, nor in a whole sentence."""
    voice = EspeakVoice.find()
    assert "(en)" in voice.phonemes_with("cmn", "请到号窗口办理")  # the failure this guards against
    for word in PACK_WORDS:
        phonemes = voice.phonemes(word)
        assert phonemes.strip() and "(en)" not in phonemes, (word, phonemes)
    sentence = words_text(call_words([("A105", 5), ("G023", 12), ("Z9", 30)]))
    assert "(en)" not in voice.phonemes(sentence)


@need_espeak
def test_espeak_renders_whole_announcements_and_merging_saves_time() -> None:
    voice = EspeakVoice.find()
    one = voice.render(call_words([("A105", 5)]))
    two = voice.render(call_words([("A105", 5), ("A106", 6)]))
    alone = voice.render(call_words([("A106", 6)]))
    assert 2.0 < one.seconds < 6.0 and one.rate == 22050 and one.width == 2
    assert two.seconds < one.seconds + alone.seconds - 1.0  # one chime, one 请, no 办理 in the middle
    assert read_wav(one.wav()).seconds == pytest.approx(one.seconds)  # a valid WAV, sizes fixed


def test_voice_pack_concatenates_clips_and_refuses_a_broken_pack(tmp_path: Path) -> None:
    pack = VoicePack.load(make_tone_pack(tmp_path / "pack", seconds=0.05))
    words = call_words([("A105", 5), ("B7", 12)])
    sound = pack.render(words, with_chime=False)
    expected = sum(0.3 if w == "，" else 0.05 for w in words)  # a clip per word, 0.3 s of pause between calls
    assert sound.seconds == pytest.approx(expected, abs=0.01)
    assert pack.render(words).seconds > sound.seconds + 0.4  # the chime first

    broken = make_tone_pack(tmp_path / "broken")
    manifest = (broken / "manifest.toml").read_text(encoding="utf-8")
    (broken / "manifest.toml").write_text(manifest.replace('"窗口" = ', '"窗户" = '), encoding="utf-8")
    with pytest.raises(VoiceError, match="缺少这些词的录音：窗口"):
        VoicePack.load(broken)
    mixed = make_tone_pack(tmp_path / "mixed")
    with wave.open(str(mixed / "00.wav"), "wb") as handle:  # one clip recorded at another rate
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(struct.pack("<h", 0) * 800)
    with pytest.raises(VoiceError, match="格式不一致"):
        VoicePack.load(mixed)
    with pytest.raises(VoiceError, match="manifest.toml"):
        VoicePack.load(tmp_path / "nowhere")


def test_announcer_plays_rendered_sounds_whole_and_in_order(tmp_path: Path) -> None:
    pack = VoicePack.load(make_tone_pack(tmp_path / "pack", seconds=0.02))
    played: list[tuple[float, float, float]] = []

    def player(sound: Sound) -> None:
        started = time.monotonic()
        time.sleep(sound.seconds)
        played.append((started, time.monotonic(), sound.seconds))

    announcer = Announcer(voice=pack, player=player).start()
    for n in range(1, 8):
        announcer.announce_call(f"A{n:03d}", n)
    announcer.stop()
    said = [ticket for _, calls in announcer.heard for ticket, _ in calls]
    assert said == [f"A{n:03d}" for n in range(1, 8)]  # each once, in order
    for (_, end, _length), (start, _, _) in zip(played, played[1:], strict=False):
        assert start >= end  # never cut off
    assert all(end - start >= seconds for start, end, seconds in played)


@need_espeak
def test_thirty_windows_at_a_clerks_pace_every_call_spoken_within_ten_seconds(tmp_path: Path) -> None:
    """The real announcer (merging), a voice pack rendered from espeak-ng at the default speed,
    and a hall's 15 minutes compressed 40 times: calls arrive on the schedule, each sound
    plays for its real length divided by 40."""
    speedup = 40.0
    pack = VoicePack.load(make_pack_from_espeak(tmp_path / "espeak-pack"))
    schedule = clerk_pace_schedule(windows=30, minutes=15)
    delays, announcements = announce_compressed(pack, schedule, speedup)
    assert sorted(delays) == sorted(ticket for _, ticket, _ in schedule)  # every call spoken once
    worst = max(delays.values())
    print(f"{len(schedule)} calls, {announcements} announcements, worst {worst:.1f} s")
    assert worst <= 10.0, sorted(delays.values())[-5:]


def test_voice_command_says_checks_and_refuses_in_one_line(tmp_path: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    from window_tui.cli import main

    monkeypatch.setenv("WINDOW_TUI_CONFIG", str(tmp_path / "none.toml"))
    pack = make_tone_pack(tmp_path / "pack")
    out = tmp_path / "call.wav"
    assert main(["voice", "say", "A105", "5", "b7", "12", "--pack", str(pack), "--out", str(out)]) == 0
    assert "请 A 一 零 五号到五号窗口，B 七号到十二号窗口" in capsys.readouterr().out
    assert read_wav(out.read_bytes()).seconds > 1.0
    assert main(["voice", "check", "--pack", str(pack)]) == 0
    assert "42 段录音齐全" in capsys.readouterr().out
    for argv, expected in ((["voice", "say", "A105"], "成对"), (["voice", "say", "A1O5", "5"], "无效的叫号"),
                           (["voice", "check", "--pack", str(tmp_path / "none")], "manifest.toml")):
        assert main([*argv, "--pack", str(pack)] if argv[1] == "say" else argv) == 1
        err = capsys.readouterr().err.strip()
        assert expected in err and len(err.splitlines()) == 1 and "Traceback" not in err
