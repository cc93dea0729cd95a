"""`window-tui voice say | check | make-pack`: a hall's IT staff hear and check the voice
before a TV speaks to applicants."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from window_tui.hall.speech import (
    PACK_WORDS,
    EspeakVoice,
    VoiceError,
    VoicePack,
    call_words,
    make_pack_from_espeak,
    open_voice,
    words_text,
)

TICKET = re.compile(r"^[A-Za-z]{0,4}[0-9]{1,5}$")


def run(args: argparse.Namespace) -> int:
    from window_tui.config import load_config_or_exit

    config = load_config_or_exit()
    try:
        if args.voice_command == "make-pack":
            folder = make_pack_from_espeak(Path(args.folder), config.voice.speed)
            print(f"已生成语音包模板：{folder}（{len(PACK_WORDS)} 段录音；请按 manifest.toml 换成本厅录音）")
            return 0
        pack = args.pack if args.pack is not None else config.voice.pack
        if args.voice_command == "check":
            return _check(pack, config.voice.speed)
        return _say(args, pack, config.voice.speed, config.voice.player)
    except VoiceError as exc:
        print(str(exc), file=sys.stderr)
        return 1


def _calls(values: list[str]) -> list[tuple[str, int]]:
    if len(values) % 2:
        raise VoiceError("号码与窗口号须成对给出，如：voice say A105 5 A106 6")
    calls = []
    for ticket, window in zip(values[::2], values[1::2], strict=True):
        if not TICKET.match(ticket) or not window.isdigit() or not 1 <= int(window) <= 999:
            raise VoiceError(f"无效的叫号：{ticket} {window}（号码如 A105，窗口号 1–999）")
        calls.append((ticket.upper(), int(window)))
    return calls


def _say(args: argparse.Namespace, pack: str, speed: int, player: str) -> int:
    from window_tui.hall.voice import Announcer

    calls = _calls(args.calls)
    voice = open_voice(pack, speed)
    words = call_words(calls)
    sound = voice.render(words)
    print(f"{voice.name}：{words_text(words)}（{sound.seconds:.1f} 秒）")
    if args.out:
        Path(args.out).write_bytes(sound.wav())
        print(f"已写入 {args.out}")
        return 0
    import logging

    logging.getLogger("window_tui.hall.voice").addHandler(logging.NullHandler())  # printed below, once
    announcer = Announcer(voice=voice, player=player or None)
    if not announcer.can_speak:
        raise VoiceError("；".join(announcer.warnings) or "无法播放")
    announcer.start()
    for ticket, window in calls:
        announcer.announce_call(ticket, window)
    announcer.stop()
    for warning in announcer.warnings:
        print(warning, file=sys.stderr)
    return 1 if announcer.warnings else 0


def _check(pack: str, speed: int) -> int:
    if pack:
        loaded = VoicePack.load(Path(pack).expanduser())
        sample = next(iter(loaded.clips.values()))
        print(f"语音包“{loaded.name}”：{len(loaded.clips)} 段录音齐全，{sample.rate} Hz，"
              f"{8 * sample.width} 位，{sample.channels} 声道")
        return 0
    voice = EspeakVoice.find(speed)
    english = [word for word in PACK_WORDS if "(en)" in voice.phonemes(word)]
    if english:
        print(f"espeak-ng 把这些词读成英文：{'、'.join(english)}（请升级 espeak-ng 或改用录音语音包）", file=sys.stderr)
        return 1
    print(f"{voice.name}（{speed} 字/分）：{len(PACK_WORDS)} 个播报用词均按普通话发音")
    return 0
