"""Printer profiles: paper width, Chinese character set, cutter, native QR.

A profile is named like `80mm-gb18030`, with optional `-nocut`, `-noqr` and
`@<python-escpos profile>` parts, e.g. `58mm-gbk-nocut@POS-5890`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CHARSETS = {"gb2312": "gb2312", "gbk": "gbk", "gb18030": "gb18030"}
_SPEC = re.compile(r"^(?P<mm>58|80)mm-(?P<charset>gb2312|gbk|gb18030)(?P<flags>(?:-nocut|-noqr)*)(?:@(?P<escpos>[\w.-]+))?$",
                   re.IGNORECASE)


class ProfileError(ValueError):
    """A bad profile name; the message says what is accepted."""


@dataclass(frozen=True)
class PrinterProfile:
    name: str
    paper_mm: int
    charset: str  # Python codec name
    cutter: bool = True
    native_qr: bool = True
    escpos_profile: str = "default"

    @property
    def columns(self) -> int:
        """Font A columns: 58 mm = 384 dots = 32 columns; 80 mm = 576 dots = 48 columns."""
        return 32 if self.paper_mm == 58 else 48

    @property
    def dots(self) -> int:
        return 384 if self.paper_mm == 58 else 576


def parse_profile(spec: str) -> PrinterProfile:
    match = _SPEC.match(spec.strip())
    if match is None:
        raise ProfileError(
            f"打印机配置“{spec}”无效：应为 58mm 或 80mm 加字符集 gb2312/gbk/gb18030，"
            "可加 -nocut（无切刀）、-noqr（不支持原生二维码），如 80mm-gb18030 或 58mm-gbk-nocut"
        )
    flags = (match["flags"] or "").lower()
    return PrinterProfile(
        name=spec.strip(), paper_mm=int(match["mm"]), charset=CHARSETS[match["charset"].lower()],
        cutter="-nocut" not in flags, native_qr="-noqr" not in flags,
        escpos_profile=match["escpos"] or "default",
    )
