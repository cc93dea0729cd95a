"""Turns our ESC/POS bytes back into lines, styles, QR payloads, barcodes,
images and cuts, and raises on anything it does not expect. Tests use it to
prove that what we send is what we meant."""

from __future__ import annotations

from dataclasses import dataclass, field


class DecodeError(ValueError):
    pass


@dataclass
class DecodedLine:
    text: str
    align: str = "left"
    bold: bool = False
    size: int = 1
    image: bool = False  # printed as a raster image
    raster: bytes = b""  # GS v 0 data: rows of `raster_width_bytes` bytes, 1 = black
    raster_width_bytes: int = 0


@dataclass
class Decoded:
    lines: list[DecodedLine] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    barcodes: list[str] = field(default_factory=list)
    images: int = 0
    cuts: int = 0
    feeds: int = 0

    @property
    def text(self) -> list[str]:
        return [line.text for line in self.lines]


_ALIGNS = {0: "left", 1: "center", 2: "right"}


def decode(data: bytes, charset: str) -> Decoded:
    out = Decoded()
    i, n = 0, len(data)
    align, bold, size = "left", False, 1
    chinese = False
    current = bytearray()
    line_size = 1
    line_bold = False

    def need(count: int) -> bytes:
        if i + count > n:
            raise DecodeError(f"命令在第 {i} 字节处被截断")
        return data[i:i + count]

    def flush_text() -> str:
        try:
            return current.decode(charset)
        except UnicodeDecodeError as exc:
            raise DecodeError(f"无法按 {charset} 解码：{bytes(current)!r}") from exc

    while i < n:
        b = data[i]
        if chinese:
            if data[i:i + 2] == b"\x1c.":
                chinese = False
                i += 2
                continue
            if b < 0x80:
                raise DecodeError(f"中文模式中出现单字节 0x{b:02x}（第 {i} 字节）")
            current += need(2)
            i += 2
            continue
        if b >= 0x80:
            raise DecodeError(f"非中文模式下出现字节 0x{b:02x}（第 {i} 字节）")
        if b == 0x0A:  # LF ends a line
            if size != 1:
                raise DecodeError("放大字号未在行尾复位")
            if bold:
                raise DecodeError("加粗未在行尾复位")
            out.lines.append(DecodedLine(flush_text(), align, line_bold, line_size))
            current.clear()
            line_size, line_bold = 1, False
            i += 1
            continue
        if b == 0x1C:
            if data[i:i + 2] == b"\x1c&":
                chinese = True
                i += 2
                continue
            raise DecodeError(f"未知的 FS 命令 {data[i:i + 2]!r}")
        if b == 0x1B:
            cmd = need(2)[1:2]
            if cmd == b"@":
                align, bold, size = "left", False, 1
                i += 2
            elif cmd == b"a":
                align = _ALIGNS.get(need(3)[2])
                if align is None:
                    raise DecodeError("未知的对齐方式")
                i += 3
            elif cmd == b"E":
                bold = bool(need(3)[2])
                line_bold = line_bold or bold
                i += 3
            elif cmd == b"d":
                out.feeds += need(3)[2]
                i += 3
            else:
                raise DecodeError(f"未知的 ESC 命令 {cmd!r}")
            continue
        if b == 0x1D:
            cmd = need(2)[1:2]
            if cmd == b"!":
                value = need(3)[2]
                if value not in (0x00, 0x11):
                    raise DecodeError(f"未预期的字号 0x{value:02x}")
                size = 2 if value == 0x11 else 1
                line_size = max(line_size, size)
                i += 3
            elif cmd == b"V":
                need(4)
                out.cuts += 1
                i += 4
            elif cmd == b"(":
                i = _qr(data, i, out)
            elif cmd in (b"h", b"w", b"H"):
                i += 3
            elif cmd == b"k":
                length = need(4)[3]
                payload = need(4 + length)[4:]
                if not payload.startswith(b"{B"):
                    raise DecodeError("条码应为 CODE128 B 集")
                out.barcodes.append(payload[2:].decode("ascii"))
                i += 4 + length
            elif cmd == b"v":
                header = need(8)
                if header[2:4] != b"0\x00":
                    raise DecodeError("未预期的光栅模式")
                width_bytes = header[4] + header[5] * 256
                height = header[6] + header[7] * 256
                bitmap = data[i + 8:i + 8 + width_bytes * height]
                i += 8 + width_bytes * height
                if i > n:
                    raise DecodeError("光栅图像数据被截断")
                out.images += 1
                out.lines.append(DecodedLine("", align, False, 1, image=True, raster=bytes(bitmap),
                                             raster_width_bytes=width_bytes))
                if i < n and data[i] == 0x0A:
                    i += 1
            else:
                raise DecodeError(f"未知的 GS 命令 {cmd!r}")
            continue
        if 0x20 <= b < 0x7F:
            current.append(b)
            i += 1
            continue
        raise DecodeError(f"未预期的控制字节 0x{b:02x}（第 {i} 字节）")
    if chinese:
        raise DecodeError("中文模式未退出")
    if current:
        raise DecodeError("最后一行没有换行")
    return out


def _qr(data: bytes, i: int, out: Decoded) -> int:
    if data[i + 2:i + 3] != b"k":
        raise DecodeError("未知的 GS ( 命令")
    length = data[i + 3] + data[i + 4] * 256
    body = data[i + 5:i + 5 + length]
    if len(body) != length:
        raise DecodeError("二维码命令被截断")
    if body[:2] == b"\x31\x50":  # store data
        out.qr.append(body[3:].decode("utf-8"))
    elif body[:2] not in (b"\x31\x41", b"\x31\x43", b"\x31\x45", b"\x31\x51"):
        raise DecodeError(f"未知的二维码功能 {body[:2]!r}")
    return i + 5 + length
