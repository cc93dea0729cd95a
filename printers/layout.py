"""The layout model: what a receipt says, independent of bytes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Text:
    text: str
    size: int = 1  # 1 = normal, 2 = double width and height
    bold: bool = False
    align: Align = "left"


@dataclass(frozen=True)
class Columns:
    """A label on the left and a value on the right (wrapped under the label if long)."""

    left: str
    right: str
    bold: bool = False


@dataclass(frozen=True)
class Rule:
    char: str = "-"


@dataclass(frozen=True)
class QR:
    data: str
    module_size: int = 6


@dataclass(frozen=True)
class Barcode:
    data: str  # CODE128, ASCII only


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    pass


Block = Text | Columns | Rule | QR | Barcode | Feed | Cut


@dataclass
class Document:
    blocks: list[Block] = field(default_factory=list)
    title: str = ""

    def add(self, *blocks: Block) -> Document:
        self.blocks.extend(blocks)
        return self
