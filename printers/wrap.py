"""Width in printer columns and line wrapping for Chinese thermal printers.

A column is one byte of the GB encoding: ASCII takes one, every two-byte GB
character (punctuation included) takes two. Unicode width is not used: a
full-width comma is one cell wide in some fonts but always two columns here.
"""

from __future__ import annotations

import re

# Punctuation that must not start a line (避头点), Chinese and Latin.
CLOSING = set("，。、；：？！）》」』】〕〉”’％…—～·,.;:!?)]}%")
# Punctuation that must not end a line (避尾点).
OPENING = set("（《「『【〔〈“‘([{")
_TOKEN = re.compile(r"[!-~]+|\s+|.", re.DOTALL)  # ASCII words (case numbers, URLs) stay whole


class UnprintableCharacter(ValueError):
    """A character with no two-byte code in the printer's character set."""

    def __init__(self, char: str, charset: str, *, font: str = "") -> None:
        self.char = char
        self.charset = charset
        self.font = font
        where = f"，字体 {font} 也没有该字" if font else ""
        super().__init__(f"字符“{char}”（U+{ord(char):04X}）无法用打印机字符集 {charset.upper()} 打印{where}")


def char_columns(char: str, charset: str) -> int:
    if ord(char) < 0x80:
        return 1
    try:
        encoded = char.encode(charset)
    except UnicodeEncodeError as exc:
        raise UnprintableCharacter(char, charset) from exc
    if len(encoded) != 2:  # GB18030 four-byte codes have no glyph in printer firmware
        raise UnprintableCharacter(char, charset)
    return 2


def columns(text: str, charset: str) -> int:
    return sum(char_columns(c, charset) for c in text)


def printable(text: str, charset: str) -> str | None:
    """The first character that cannot be printed as text, or None."""
    for char in text:
        try:
            char_columns(char, charset)
        except UnprintableCharacter:
            return char
    return None


def _width(token: str, charset: str) -> int:
    # Unprintable characters are measured as two columns: such a line becomes an image.
    total = 0
    for char in token:
        try:
            total += char_columns(char, charset)
        except UnprintableCharacter:
            total += 2
    return total


def wrap(text: str, width: int, charset: str) -> list[str]:
    """Wrap to `width` columns: never splits a character, keeps ASCII words whole
    when they fit, and starts no line with closing punctuation."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_paragraph(paragraph, width, charset))
    return lines


def _wrap_paragraph(text: str, width: int, charset: str) -> list[str]:
    """Greedy: fill a line, then pick the latest break that (1) starts the next line with
    no closing mark, ends this one with no opening mark and keeps ASCII words whole;
    failing that (2) only the punctuation rules, so a long word is split rather than a
    comma starting a line; failing that (3) a closing mark may start the line: only a run
    of closing marks longer than a line leaves no choice."""
    sizes = [_width(c, charset) for c in text]
    lines: list[str] = []
    start, n = 0, len(text)
    while start < n:
        if lines:
            while start < n and text[start].isspace():
                start += 1  # a break swallows the spaces at it
            if start == n:
                break
        end, used = start, 0
        while end < n and used + sizes[end] <= width:
            used += sizes[end]
            end += 1
        if end == start:  # wider than the line by itself (cannot happen for width >= 2)
            end = start + 1
        if end == n:
            lines.append(text[start:end].rstrip())
            break
        lines.append(text[start:_break(text, start, end)].rstrip())
        start = _break(text, start, end)
    return lines or [""]


def _word(char: str) -> bool:
    return "!" <= char <= "~"


def _break(text: str, start: int, end: int) -> int:
    """Where the next line begins, for a line that may hold text[start:end]."""

    def next_char(b: int) -> str:
        while b < len(text) and text[b].isspace():
            b += 1
        return text[b] if b < len(text) else ""

    def punctuation_ok(b: int) -> bool:
        before = text[start:b].rstrip()
        return next_char(b) not in CLOSING and (not before or before[-1] not in OPENING)

    candidates = range(end, start, -1)
    for b in candidates:
        if punctuation_ok(b) and not (_word(text[b - 1]) and _word(text[b])):
            return b
    for b in candidates:
        if punctuation_ok(b):
            return b
    for b in candidates:
        if next_char(b) not in CLOSING:
            return b
    return end


def pad_between(left: str, right: str, width: int, charset: str) -> str | None:
    """`left ... right` on one line of `width` columns, or None if they do not fit."""
    gap = width - columns(left, charset) - columns(right, charset)
    if gap < 1:
        return None
    return left + " " * gap + right
