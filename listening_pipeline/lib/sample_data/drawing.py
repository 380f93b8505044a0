"""Pixels that are not video: the font, brand logos (drawn, and written for the bundled catalog), caption panels."""

from __future__ import annotations

import importlib.util
import math
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont

from listening_pipeline.catalog import BUNDLED_CATALOG
from listening_pipeline.lib.sample_data.brands import logo_slug
from listening_pipeline.lib.sample_data.spec import WIDTH, SampleDataError

if TYPE_CHECKING:
    from listening_pipeline.lib.sample_data.video_plan import CaptionPlan

LOGO_SIZE = 192


@lru_cache(maxsize=1)
def _font_file() -> Path:
    """DejaVu Sans Bold from matplotlib (a dependency): Pillow's built-in font lacks accents."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise SampleDataError("matplotlib is needed for its DejaVu font (captions with accents)")
    path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    if not path.is_file():
        raise SampleDataError(f"font {path} not found in the matplotlib installation")
    return path


@lru_cache(maxsize=32)
def load_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_font_file()), size)


@dataclass(frozen=True)
class LogoStyle:
    shape: str  # circle | rounded | mountain | diamond | ring | hexagon
    fill: tuple[int, int, int]
    ink: tuple[int, int, int]


LOGO_STYLES: dict[str, LogoStyle] = {
    "Fizzly": LogoStyle("circle", (214, 32, 58), (255, 255, 255)),
    "Bubblo": LogoStyle("rounded", (28, 116, 232), (255, 236, 64)),
    "Nordpeak": LogoStyle("mountain", (22, 112, 72), (255, 255, 255)),
    "Trailfox": LogoStyle("diamond", (242, 122, 18), (30, 30, 30)),
    "Café Brisa": LogoStyle("ring", (104, 58, 28), (250, 232, 200)),
    "Mokka Mia": LogoStyle("hexagon", (122, 38, 140), (255, 255, 255)),
}
_FALLBACK_SHAPES = ("circle", "rounded", "mountain", "diamond", "ring", "hexagon")


def logo_style(name: str) -> LogoStyle:
    """The bundled brands' styles; any other brand gets one derived from its name's CRC."""
    if name in LOGO_STYLES:
        return LOGO_STYLES[name]
    code = zlib.crc32(name.encode("utf-8"))
    fill = ((code >> 16) & 0xFF, (code >> 8) & 0xFF, code & 0xFF)
    ink = (255, 255, 255) if sum(fill) < 384 else (20, 20, 20)
    return LogoStyle(_FALLBACK_SHAPES[code % len(_FALLBACK_SHAPES)], fill, ink)


def draw_logo(name: str, size: int = LOGO_SIZE) -> Image.Image:
    """A distinctive RGBA logo: a coloured shape with the brand word, drawn at 4x then reduced."""
    style = logo_style(name)
    big = size * 4
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    _draw_shape(draw, style, big)
    words = name.upper().split()
    text = "\n".join(words)
    font_size = int(big * 0.26)
    max_width = 0.66 if style.shape == "mountain" else 0.74  # the triangle is narrow higher up
    font = load_font(font_size)
    while font_size > 8:  # shrink until the word fits inside the shape
        left, top, right, bottom = draw.multiline_textbbox((0, 0), text, font=font, align="center")
        if right - left <= big * max_width and bottom - top <= big * 0.5:
            break
        font_size -= 4
        font = load_font(font_size)
    center_y = big * (0.74 if style.shape == "mountain" else 0.5)
    draw.multiline_text(
        (big / 2, center_y),
        text,
        font=font,
        fill=style.ink + (255,),
        anchor="mm",
        align="center",
        stroke_width=max(2, font_size // 14),
        stroke_fill=style.fill + (255,),
    )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _draw_shape(draw: ImageDraw.ImageDraw, style: LogoStyle, big: int) -> None:
    pad = big * 0.04
    fill = style.fill + (255,)
    if style.shape == "circle":
        draw.ellipse((pad, pad, big - pad, big - pad), fill=fill)
        draw.ellipse((big * 0.62, big * 0.14, big * 0.78, big * 0.30), fill=style.ink + (200,))
    elif style.shape == "rounded":
        draw.rounded_rectangle((pad, pad, big - pad, big - pad), radius=big * 0.22, fill=fill)
        for cx, cy, r in ((0.22, 0.2, 0.07), (0.34, 0.12, 0.04), (0.8, 0.82, 0.06)):
            bubble = (big * (cx - r), big * (cy - r), big * (cx + r), big * (cy + r))
            draw.ellipse(bubble, outline=style.ink + (255,), width=int(big * 0.015))
    elif style.shape == "mountain":
        draw.polygon([(big / 2, pad), (big - pad, big - pad), (pad, big - pad)], fill=fill)
        draw.polygon([(big / 2, pad), (big * 0.62, big * 0.26), (big * 0.38, big * 0.26)], fill=(255, 255, 255, 255))
    elif style.shape == "diamond":
        draw.polygon([(big / 2, pad), (big - pad, big / 2), (big / 2, big - pad), (pad, big / 2)], fill=fill)
    elif style.shape == "ring":
        draw.ellipse((pad, pad, big - pad, big - pad), fill=fill)
        inset = big * 0.1
        draw.ellipse((inset, inset, big - inset, big - inset), outline=style.ink + (255,), width=int(big * 0.025))
    else:  # hexagon
        r = big / 2 - pad
        angles = [math.radians(60 * k) for k in range(6)]
        points = [(big / 2 + r * math.cos(a), big / 2 + r * math.sin(a)) for a in angles]
        draw.polygon(points, fill=fill)


def write_bundled_logos(dest: Path = BUNDLED_CATALOG.parent / "logos") -> list[Path]:
    """Write one PNG per bundled brand (run once; the files are committed)."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name in LOGO_STYLES:
        path = dest / f"{logo_slug(name)}.png"
        draw_logo(name).save(path, format="PNG", optimize=False)
        written.append(path)
    return written


def caption_layout(text: str, font_size: int, top: int) -> tuple[tuple[str, ...], tuple[int, int, int, int]]:
    """Wrap ``text`` to the frame and return the lines and the box of its dark backing panel."""
    font = load_font(font_size)
    max_width = WIDTH - 40
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= max_width:
            lines[-1] = candidate
        else:
            lines.append(word)
    line_height = int(font_size * 1.25)
    width = int(max(font.getlength(line) for line in lines)) + 24
    height = line_height * len(lines) + 16
    x0 = (WIDTH - width) // 2
    return tuple(lines), (x0, top, x0 + width, top + height)


def caption_image(caption: CaptionPlan) -> Image.Image:
    """The caption's lines on its dark rounded panel, as :func:`caption_layout` placed them."""
    x0, y0, x1, y1 = caption.box
    panel = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
    draw = ImageDraw.Draw(panel)
    draw.rounded_rectangle((0, 0, x1 - x0 - 1, y1 - y0 - 1), radius=12, fill=(0, 0, 0, 180))
    font = load_font(caption.font_size)
    line_height = int(caption.font_size * 1.25)
    for index, line in enumerate(caption.lines):
        y = 8 + index * line_height + line_height // 2
        draw.text(
            ((x1 - x0) / 2, y),
            line,
            font=font,
            fill=(255, 255, 255, 255),
            anchor="mm",
            stroke_width=2,
            stroke_fill=(0, 0, 0, 255),
        )
    return panel
