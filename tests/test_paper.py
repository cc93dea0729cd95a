"""Paper that tells the truth, read back with the decoder: no line starts with closing
punctuation, no character is lost or drawn as an empty box, image lines wrap to the paper,
and the PNG preview draws what the printer draws."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from printers.decoder import decode
from printers.encoder import EncodeOptions, Encoder, find_cjk_font, font_covers
from printers.layout import Document, Text
from printers.preview import preview_png
from printers.profiles import parse_profile
from printers.wrap import CLOSING, OPENING, UnprintableCharacter, columns, wrap

FONT = find_cjk_font()
needs_font = pytest.mark.skipif(FONT is None, reason="no CJK font installed (apt: fonts-wqy-microhei)")

HAN = "申请材料受理窗口新生儿出生医学证明户口登记社会保障卡办理事项承诺时限"
CLOSE = "，。、；：？！）》」』】”’"
OPEN = "（《「“"
LATIN = ["370800-20261120-05-0001", "http://10.1.2.3/p/X?c=K7M2", "A023", "abc", "GB18030", " "]


def mixed_text(rng: random.Random) -> str:
    """Chinese with punctuation and Latin words, as receipts carry them: up to three closing
    marks meet (“。”）”), never a run longer than a line, which no break could help."""
    parts: list[str] = []
    for _ in range(rng.randint(1, 40)):
        roll = rng.random()
        if roll < 0.55:
            parts.append("".join(rng.choice(HAN) for _ in range(rng.randint(1, 6))))
        elif roll < 0.8:
            if parts and parts[-1][-1] in CLOSE:
                continue
            parts.append("".join(rng.choice(CLOSE) for _ in range(rng.randint(1, 3))))
        elif roll < 0.88:
            parts.append(rng.choice(OPEN))
        else:
            parts.append(rng.choice(LATIN))
    return "".join(parts)


def test_ten_thousand_texts_decoded_never_start_a_line_with_closing_punctuation() -> None:
    rng = random.Random(20261127)
    profiles = [parse_profile("58mm-gb18030"), parse_profile("80mm-gb18030")]
    starts, too_wide, lost = 0, 0, 0
    for index in range(10_000):
        text = mixed_text(rng)
        profile = profiles[index % 2]
        size = 2 if index % 10 == 0 else 1
        decoded = decode(Encoder(profile).encode(Document(blocks=[Text(text, size=size)])), profile.charset)
        lines = decoded.text
        starts += sum(1 for line in lines[1:] if line[:1] in CLOSING)
        too_wide += sum(1 for line in lines if columns(line, profile.charset) * size > profile.columns)
        lost += "".join(lines).replace(" ", "") != text.replace(" ", "")
    assert (starts, too_wide, lost) == (0, 0, 0)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(list(HAN) + list(CLOSE) + list(OPEN) + LATIN), min_size=1, max_size=80),
       st.sampled_from([16, 24, 32, 48]))
def test_wrap_properties(pieces: list[str], width: int) -> None:
    text = "".join(pieces)
    lines = wrap(text, width, "gb18030")
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # no character lost
    for before, line in zip([""] + lines, lines, strict=False):
        assert columns(line, "gb18030") <= width  # never wider than the paper
        if before and line[:1] in CLOSING:
            # Only a run of closing marks that fills a whole line after one character leaves no
            # choice (moving that character down would start its line with the same run).
            assert all(c in CLOSING for c in before.replace(" ", "")[1:]), (before, line)
        if line is not lines[-1]:
            assert line[-1:] not in OPENING or all(c in OPENING for c in line.replace(" ", ""))


@needs_font
def test_a_character_the_font_cannot_draw_is_refused_by_name() -> None:
    assert FONT is not None
    profile = parse_profile("80mm-gb18030")
    for char in ("𠮷", "😀"):
        assert not font_covers(FONT, char)
        with pytest.raises(UnprintableCharacter) as error:
            Encoder(profile, EncodeOptions(font_path=FONT)).encode(Document(blocks=[Text(f"申请人：{char}某")]))
        assert char in str(error.value) and Path(FONT).name in str(error.value)


@needs_font
def test_an_image_line_wider_than_the_paper_wraps() -> None:
    """GB 2312 has no €: the line is drawn with the font, and a long one continues on the
    next raster row instead of being cut at the paper's edge."""
    assert FONT is not None and font_covers(FONT, "€")
    profile = parse_profile("58mm-gb2312")
    text = "收费€" * 12  # wider than 384 dots once drawn
    data = Encoder(profile, EncodeOptions(font_path=FONT)).encode(Document(blocks=[Text(text)]))
    decoded = decode(data, profile.charset)
    assert decoded.images >= 2
    for line in decoded.lines:
        if line.image:
            assert line.raster_width_bytes * 8 <= profile.dots
            assert any(line.raster)  # something is drawn


@needs_font
def test_png_preview_draws_sizes_widths_and_images(tmp_path: Path) -> None:
    from PIL import Image

    profile = parse_profile("58mm-gb2312")
    options = EncodeOptions(font_path=FONT)
    doc = Document(blocks=[Text("受理回执", size=2), Text("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"), Text("收费€")])
    data = Encoder(profile, options).encode(doc)
    image = Image.open(preview_png(data, profile, tmp_path / "p.png", font_path=FONT)).convert("L")
    rows = [[image.getpixel((x, y)) < 128 for x in range(image.width)] for y in range(image.height)]

    def ink_span(top: int, bottom: int) -> tuple[int, int]:
        xs = [x for y in range(top, bottom) for x, dark in enumerate(rows[y]) if dark]
        return min(xs), max(xs)

    # Line 1: four Chinese characters at double size take 4 × 2 × 2 columns = 16 of 32: half the paper.
    left, right = ink_span(28, 28 + 56)
    assert 0.4 * profile.dots < right - left < 0.55 * profile.dots
    # Line 2: 32 ASCII letters fill the 32 columns: the whole paper, not double-spaced past it.
    left, right = ink_span(28 + 56, 28 + 56 + 28)
    assert 0.9 * profile.dots < right - left <= profile.dots + 2
    # Line 3: the image line is pasted as the printer's raster, not a placeholder.
    left, right = ink_span(28 + 56 + 28, image.height - 28)
    assert right - left > 40
