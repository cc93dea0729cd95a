"""Previews of a job, made from the decoded bytes so they show what the
printer will print: cell-accurate text for the console and a PNG for docs."""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len

from printers.decoder import Decoded, DecodedLine, decode
from printers.profiles import PrinterProfile


def _widen(text: str) -> str:
    # Double-size text takes twice the columns: pad each character by its own width.
    return "".join(c + " " * cell_len(c) for c in text)


def preview_lines(data: bytes, profile: PrinterProfile, decoded: Decoded | None = None) -> list[str]:
    """One string per printed line, each exactly `profile.columns` terminal cells wide."""
    decoded = decoded or decode(data, profile.charset)
    width = profile.columns
    qr_payloads = iter(decoded.qr)
    out: list[str] = []
    for line in decoded.lines:
        text = "[图像行]" if line.image else _widen(line.text) if line.size == 2 else line.text
        if not text and line.align == "center" and decoded.qr:
            payload = next(qr_payloads, None)
            if payload is not None:
                text = "▣ 二维码"
        out.append(_place(text, width, line.align))
    return out


def _place(text: str, width: int, align: str) -> str:
    used = cell_len(text)
    if used >= width:
        return text
    gap = width - used
    if align == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    if align == "right":
        return " " * gap + text
    return text + " " * gap


def preview_png(data: bytes, profile: PrinterProfile, path: Path, font_path: str | None = None) -> Path:
    """What the paper will look like, drawn from the decoded bytes: each character at its
    printer width (ASCII one column, Chinese two), double size twice as wide and tall,
    image lines as their own raster, QR codes as QR codes."""
    from PIL import Image, ImageDraw, ImageFont

    from printers.encoder import find_cjk_font
    from printers.wrap import char_columns

    decoded = decode(data, profile.charset)
    font_file = font_path or find_cjk_font()
    fonts = {size: ImageFont.truetype(font_file, 22 * size) if font_file else ImageFont.load_default()
             for size in (1, 2)}
    column = profile.dots / profile.columns  # dots per printer column
    margin, line_height = 20, 28
    blocks: list[tuple[str, object, DecodedLine]] = []
    qr_payloads = iter(decoded.qr)
    for line in decoded.lines:
        if line.image:
            blocks.append(("image", _raster_image(line), line))
        elif not line.text and line.align == "center" and (payload := next(qr_payloads, None)) is not None:
            import qrcode

            blocks.append(("image", qrcode.make(payload, box_size=4, border=2).get_image().convert("L"), line))
        else:
            blocks.append(("text", None, line))
    height = 2 * line_height + sum(b[1].height if b[0] == "image" else line_height * b[2].size  # type: ignore[union-attr]
                                   for b in blocks)
    image = Image.new("L", (profile.dots + 2 * margin, height), 255)
    draw = ImageDraw.Draw(image)
    y = line_height
    for kind, picture, line in blocks:
        if kind == "image":
            width = picture.width  # type: ignore[union-attr]
            image.paste(picture, (margin + _offset(line.align, width, profile.dots), y))  # type: ignore[arg-type]
            y += picture.height  # type: ignore[union-attr]
            continue
        size = line.size
        widths = [char_columns(c, profile.charset) * column * size for c in line.text]
        x = margin + _offset(line.align, int(sum(widths)), profile.dots)
        for char, advance in zip(line.text, widths, strict=True):
            # The printer draws every character in a fixed cell (12 dots for ASCII, 24 for
            # Chinese at normal size): centre the glyph in its cell, as the firmware does.
            left = x + (advance - fonts[size].getlength(char)) / 2
            draw.text((left, y), char, font=fonts[size], fill=0)
            if line.bold:
                draw.text((left + 1, y), char, font=fonts[size], fill=0)
            x += advance
        y += line_height * size
    image.save(path)
    return path


def _offset(align: str, width: int, dots: int) -> int:
    if align == "center":
        return max(0, (dots - width) // 2)
    if align == "right":
        return max(0, dots - width)
    return 0


def _raster_image(line: DecodedLine) -> object:
    """The GS v 0 bitmap of an image line, as a PIL image (1 bits are black dots)."""
    from PIL import Image

    width = line.raster_width_bytes * 8
    height = len(line.raster) // max(1, line.raster_width_bytes)
    bitmap = Image.frombytes("1", (width, height), bytes(b ^ 0xFF for b in line.raster))
    return bitmap.convert("L")
