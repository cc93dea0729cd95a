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

    def __init__(self, char: str, charset: str) -> None:
        self.char = char
        self.charset = charset
        super().__init__(f"字符“{char}”（U+{ord(char):04X}）无法用打印机字符集 {charset.upper()} 打印")


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
    tokens = _TOKEN.findall(text)
    lines: list[list[str]] = [[]]
    used = 0
    for token in tokens:
        size = _width(token, charset)
        if token.isspace():
            if used and used + size <= width:
                lines[-1].append(token)
                used += size
            # A space that does not fit is dropped: the line is full, so the next token breaks
            # it (and may pull characters down so that it does not start the new line).
            continue
        if size > width:  # a word longer than a line: break it at character boundaries
            for char in token:
                char_size = _width(char, charset)
                if used + char_size > width:
                    carried = []
                    if char in CLOSING and len(lines[-1]) > 1 and lines[-1][-1] not in CLOSING:
                        carried = [lines[-1].pop()]  # "10" + ".1": the dot does not start the line
                    lines.append(carried)
                    used = sum(_width(c, charset) for c in carried)
                lines[-1].append(char)
                used += char_size
            continue
        if used + size > width:
            carried: list[str] = []
            if token[0] in CLOSING:
                # Pull characters down until the new line starts with one that may start a line
                # (two closing marks meeting at a break, "。。" or "）”", need more than one).
                while len(lines[-1]) > 1 and (not carried or carried[0][0] in CLOSING):
                    pulled = lines[-1].pop()
                    if not pulled.isspace():
                        carried.insert(0, pulled)
                if carried and carried[0][0] in CLOSING:  # a line of nothing but closing marks
                    lines[-1].extend(carried)
                    carried = []
            while len(lines[-1]) > 1 and lines[-1][-1] in OPENING:
                carried.insert(0, lines[-1].pop())  # an opening mark goes with what it opens
            lines.append(carried)
            used = sum(_width(t, charset) for t in carried)
            if used + size > width:  # the carried piece and the token do not fit together
                lines[-1] = []
                lines[-2].extend(carried)
                used = 0
        lines[-1].append(token)
        used += size
    return ["".join(line).rstrip() for line in lines] or [""]


def pad_between(left: str, right: str, width: int, charset: str) -> str | None:
    """`left ... right` on one line of `width` columns, or None if they do not fit."""
    gap = width - columns(left, charset) - columns(right, charset)
    if gap < 1:
        return None
    return left + " " * gap + right
