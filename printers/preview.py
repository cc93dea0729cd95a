"""Previews of a job, made from the decoded bytes so they show what the
printer will print: cell-accurate text for the console and a PNG for docs."""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len

from printers.decoder import Decoded, decode
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
    from PIL import Image, ImageDraw, ImageFont

    from printers.encoder import find_cjk_font

    decoded = decode(data, profile.charset)
    lines = preview_lines(data, profile, decoded)
    font_file = font_path or find_cjk_font()
    font = ImageFont.truetype(font_file, 22) if font_file else ImageFont.load_default()
    line_height = 28
    qr_images = []
    import qrcode

    for payload in decoded.qr:
        qr_images.append(qrcode.make(payload, box_size=4, border=2).get_image().convert("L"))
    height = line_height * (len(lines) + 2) + sum(img.height for img in qr_images)
    image = Image.new("L", (profile.dots + 40, height), 255)
    draw = ImageDraw.Draw(image)
    y = line_height
    qr_iter = iter(qr_images)
    char_width = profile.dots / profile.columns
    for line in lines:
        if line.strip() == "▣ 二维码":
            qr = next(qr_iter, None)
            if qr is not None:
                image.paste(qr, (20 + (profile.dots - qr.width) // 2, y))
                y += qr.height
                continue
        x = 20.0
        for char in line:
            draw.text((x, y), char, font=font, fill=0)
            x += char_width * cell_len(char)
        y += line_height
    image.save(path)
    return path
