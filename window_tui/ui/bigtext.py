"""Large text for the terminal display, as big as the space it is given: the text is
drawn with a real font (Pillow, FreeType) at the size that fits, then each pair of pixel
rows becomes one row of half-block characters. Any letter or digit works (a service G
is as large as its digits), and a 240×67 terminal shows it three times as tall as 80×24."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from rich.text import Text
from textual.widget import Widget

BOLD_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
              "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf")
HALF = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in BOLD_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)  # Pillow's own scalable font


@lru_cache(maxsize=64)
def render_big(text: str, columns: int, rows: int) -> tuple[str, ...]:
    """`text` as half-block lines at most `columns` wide and `rows` tall, as large as fits."""
    if not text or columns < 2 or rows < 1:
        return ()
    width, height = columns, rows * 2  # a cell holds two pixels, one above the other
    size = height
    while size > 4:
        font = _font(size)
        left, top, right, bottom = font.getbbox(text)
        if right - left <= width and bottom - top <= height:
            break
        size -= max(1, size // 12)
    font = _font(size)
    left, top, right, bottom = font.getbbox(text)
    image = Image.new("1", (width, height), 0)
    offset_x = (width - (right - left)) // 2 - left
    offset_y = (height - (bottom - top)) // 2 - top
    ImageDraw.Draw(image).text((offset_x, offset_y), text, fill=1, font=font)
    pixels = image.load()
    lines = []
    for y in range(0, height, 2):
        lines.append("".join(HALF[(bool(pixels[x, y]), bool(pixels[x, y + 1]))] for x in range(width)))
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return tuple(lines)


class BigText(Widget):
    """Text drawn as large as the widget's size allows."""

    DEFAULT_CSS = "BigText { height: 1fr; width: 1fr; content-align: center middle; }"

    def __init__(self, text: str = "", *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self.text = text

    def update(self, text: str) -> None:
        self.text = text
        self.refresh()

    @property
    def drawn_rows(self) -> int:
        """How many terminal rows the text's ink takes (tests read it)."""
        size = self.content_size
        return len(render_big(self.text, size.width, size.height))

    def render(self) -> Text:
        size = self.content_size
        lines = render_big(self.text, size.width, size.height)
        pad = max(0, (size.height - len(lines)) // 2)
        return Text("\n" * pad + "\n".join(lines), no_wrap=True, justify="center")
