"""Our ESC/POS encoder for Chinese thermal printers, on top of python-escpos's
command constants and raster image code.

What it guarantees (and the decoder checks):
- Chinese runs are wrapped in FS & ... FS . and encoded in the profile's set;
  no byte >= 0x80 is ever sent outside Chinese mode;
- widths are counted in printer columns (the GB byte length);
- enlarged text uses GS ! and is reset afterwards (python-escpos's
  double_width enlarges ASCII only on Chinese firmware);
- a line with a character the printer cannot print as text is sent as a
  raster image of that line when the CJK font has a glyph for every character
  (checked in its cmap), wrapped to the paper's dots; otherwise it is refused
  with an error naming the character — never a '?' and never an empty box.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from printers.layout import QR, Barcode, Columns, Cut, Document, Feed, Rule, Text
from printers.profiles import PrinterProfile
from printers.wrap import UnprintableCharacter, pad_between, printable, wrap

ESC = b"\x1b"
GS = b"\x1d"
FS = b"\x1c"
INIT = ESC + b"@"
CHINESE_ON = FS + b"&"
CHINESE_OFF = FS + b"."
ALIGN = {"left": ESC + b"a\x00", "center": ESC + b"a\x01", "right": ESC + b"a\x02"}
BOLD_ON, BOLD_OFF = ESC + b"E\x01", ESC + b"E\x00"
SIZE_NORMAL = GS + b"!\x00"
SIZE_DOUBLE = GS + b"!\x11"  # double width and double height
CUT = GS + b"V\x42\x00"  # partial cut after feeding to the cutter
LF = b"\n"


@dataclass(frozen=True)
class EncodeOptions:
    font_path: str | None = None  # a CJK font for lines the printer cannot print as text


def encode_text_line(line: str, charset: str) -> bytes:
    """ASCII as is; every run of non-ASCII characters inside FS & … FS ."""
    out = bytearray()
    run: list[str] = []
    for char in line:
        if ord(char) < 0x80:
            if run:
                out += CHINESE_ON + "".join(run).encode(charset) + CHINESE_OFF
                run = []
            out += char.encode("ascii")
        else:
            run.append(char)
    if run:
        out += CHINESE_ON + "".join(run).encode(charset) + CHINESE_OFF
    return bytes(out)


class Encoder:
    def __init__(self, profile: PrinterProfile, options: EncodeOptions | None = None) -> None:
        self.profile = profile
        self.options = options or EncodeOptions()

    @property
    def charset(self) -> str:
        return self.profile.charset

    def encode(self, document: Document) -> bytes:
        out = bytearray(INIT)
        for block in document.blocks:
            out += self._block(block)
        return bytes(out)

    def _block(self, block: object) -> bytes:
        if isinstance(block, Text):
            return self._text(block)
        if isinstance(block, Columns):
            return self._columns(block)
        if isinstance(block, Rule):
            return ALIGN["left"] + (block.char * self.profile.columns).encode("ascii") + LF
        if isinstance(block, QR):
            return self._qr(block)
        if isinstance(block, Barcode):
            return self._barcode(block)
        if isinstance(block, Feed):
            return ESC + b"d" + bytes([min(block.lines, 255)])
        if isinstance(block, Cut):
            return (ESC + b"d\x04" + CUT) if self.profile.cutter else ESC + b"d\x06"
        raise TypeError(f"unknown layout block {block!r}")

    def _line(self, line: str, *, align: str, size: int, bold: bool) -> bytes:
        bad = printable(line, self.charset)
        if bad is not None:
            return self._image_line(line, align=align, size=size, bad=bad)
        out = bytearray(ALIGN[align])
        if bold:
            out += BOLD_ON
        if size == 2:
            out += SIZE_DOUBLE
        out += encode_text_line(line, self.charset)
        if size == 2:
            out += SIZE_NORMAL
        if bold:
            out += BOLD_OFF
        return bytes(out + LF)

    def _text(self, block: Text) -> bytes:
        width = self.profile.columns // block.size
        return b"".join(self._line(line, align=block.align, size=block.size, bold=block.bold)
                        for line in wrap(block.text, width, self.charset))

    def _columns(self, block: Columns) -> bytes:
        try:
            joined = pad_between(block.left, block.right, self.profile.columns, self.charset)
        except UnprintableCharacter:
            joined = None
        if joined is not None:
            return self._line(joined, align="left", size=1, bold=block.bold)
        # Too long for one line: the label, then the value indented under it.
        out = self._line(block.left, align="left", size=1, bold=block.bold)
        for line in wrap(block.right, self.profile.columns - 2, self.charset):
            out += self._line("  " + line, align="left", size=1, bold=block.bold)
        return out

    def _qr(self, block: QR) -> bytes:
        data = block.data.encode("utf-8")
        if self.profile.native_qr:
            store = len(data) + 3
            return (
                ALIGN["center"]
                + GS + b"(k\x04\x00\x31\x41\x32\x00"  # model 2
                + GS + b"(k\x03\x00\x31\x43" + bytes([block.module_size])  # module size
                + GS + b"(k\x03\x00\x31\x45\x31"  # error correction M
                + GS + b"(k" + bytes([store % 256, store // 256]) + b"\x31\x50\x30" + data
                + GS + b"(k\x03\x00\x31\x51\x30"  # print
                + LF + ALIGN["left"]
            )
        import qrcode

        qr = qrcode.QRCode(border=2, box_size=block.module_size, error_correction=qrcode.constants.ERROR_CORRECT_M)
        qr.add_data(block.data)
        image = qr.make_image(fill_color="black", back_color="white").get_image().convert("1")
        return ALIGN["center"] + raster(image, self.profile.dots) + ALIGN["left"]

    def _barcode(self, block: Barcode) -> bytes:
        data = block.data.encode("ascii")
        payload = b"{B" + data
        return (ALIGN["center"] + GS + b"h\x50" + GS + b"w\x02" + GS + b"H\x02"
                + GS + b"k\x49" + bytes([len(payload)]) + payload + LF + ALIGN["left"])

    def _image_line(self, line: str, *, align: str, size: int, bad: str) -> bytes:
        """A line the printer's character set cannot print, drawn with the CJK font: every
        character must be one the font really has (a missing glyph would print as an empty
        box), and a line wider than the paper continues on the next raster row."""
        font_path = self.options.font_path or find_cjk_font()
        if font_path is None:
            raise UnprintableCharacter(bad, self.charset)
        missing = next((c for c in line if not c.isspace() and not font_covers(font_path, c)), None)
        if missing is not None:
            raise UnprintableCharacter(missing, self.charset, font=Path(font_path).name)
        from PIL import Image, ImageDraw, ImageFont

        height = 24 * size
        font = ImageFont.truetype(font_path, height - 2)
        out = bytearray()
        for piece in _fit_pixels(line, font, self.profile.dots - 2):
            image = Image.new("1", (int(font.getlength(piece)) + 2, height), 1)
            ImageDraw.Draw(image).text((0, 0), piece, font=font, fill=0)
            out += ALIGN[align] + raster(image, self.profile.dots) + ALIGN["left"]
        return bytes(out)


def _fit_pixels(line: str, font: object, dots: int) -> list[str]:
    """Split a line into pieces no wider than `dots` pixels, at character boundaries."""
    pieces, current = [], ""
    for char in line:
        if current and font.getlength(current + char) > dots:  # type: ignore[attr-defined]
            pieces.append(current)
            current = char.lstrip()
        else:
            current += char
    return [*pieces, current] if current or not pieces else pieces


@cache
def _font_cmap(font_path: str) -> frozenset[int]:
    from fontTools.ttLib import TTCollection, TTFont

    if font_path.lower().endswith((".ttc", ".otc")):
        font = TTCollection(font_path, lazy=True).fonts[0]
    else:
        font = TTFont(font_path, lazy=True)
    return frozenset(font["cmap"].getBestCmap())


def font_covers(font_path: str, char: str) -> bool:
    """Whether the font has a glyph for `char` (its cmap maps the code point)."""
    return ord(char) in _font_cmap(font_path)


def raster(image: object, max_dots: int) -> bytes:
    """GS v 0: a 1-bit raster image (python-escpos's EscposImage does the packing)."""
    from escpos.image import EscposImage

    escpos_image = EscposImage(image)
    if escpos_image.width > max_dots:
        raise ValueError("图像宽于纸张")
    header = GS + b"v0\x00"
    width_bytes = escpos_image.width_bytes
    height = escpos_image.height
    return (header + bytes([width_bytes % 256, width_bytes // 256, height % 256, height // 256])
            + escpos_image.to_raster_format() + LF)


_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def find_cjk_font() -> str | None:
    import os

    for path in _FONT_CANDIDATES:
        if os.path.exists(path):
            return path
    return None

