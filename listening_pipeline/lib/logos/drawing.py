"""The pixels of synthetic training frames: backgrounds, distractors, logo transforms, occluders.

Why it exists: a detector trained on logos pasted onto plain frames learns the frames, not the
logos. These painters give every frame what real video has (gradients, textures, shapes,
caption-like text) and every logo what real footage does to it (scale, squeeze, colour,
transparency, rotation, a hand in front); :mod:`.synthetic` composes them. Every function
draws from the ``rng`` it is given, so one seed always paints the same frame.
"""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageStat

from listening_pipeline.lib.logos.yolo import bundled_font


def visible_part(image: Image.Image) -> Image.Image:
    """The logo cropped to its non-transparent pixels, so its label box is the logo, not its padding."""
    box = image.getchannel("A").point(lambda a: 255 if a > 32 else 0).getbbox()
    return image.crop(box) if box else image


def silhouette(logo: Image.Image) -> Image.Image:
    """The logo's outline filled with its median colour: what a logo-coloured blob (a sun, a cup) looks like."""
    alpha = logo.getchannel("A")
    colour = tuple(
        round(v) for v in ImageStat.Stat(logo.convert("RGB"), mask=alpha.point(lambda a: 255 if a > 128 else 0)).median
    )
    flat = Image.new("RGBA", logo.size, colour + (255,))
    flat.putalpha(alpha)
    return flat


def background(rng: random.Random, width: int, height: int, backgrounds: list[Image.Image]) -> Image.Image:
    kind = rng.random()
    if backgrounds and kind < 0.4:
        return _crop_to(rng.choice(backgrounds), width, height, rng)
    if kind < 0.55:
        return _gradient(rng, width, height)
    if kind < 0.8:
        return _smooth_noise(rng, width, height)
    return Image.new("RGB", (width, height), _random_colour(rng))


def _crop_to(image: Image.Image, width: int, height: int, rng: random.Random) -> Image.Image:
    scale = max(width / image.width, height / image.height) * rng.uniform(1.0, 1.5)
    resized = image.resize((max(width, round(image.width * scale)), max(height, round(image.height * scale))))
    x0 = rng.randint(0, resized.width - width)
    y0 = rng.randint(0, resized.height - height)
    return resized.crop((x0, y0, x0 + width, y0 + height))


def _gradient(rng: random.Random, width: int, height: int) -> Image.Image:
    start, end = np.array(_random_colour(rng), np.float32), np.array(_random_colour(rng), np.float32)
    angle = rng.uniform(0, math.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = xs / width * math.cos(angle) + ys / height * math.sin(angle)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    pixels = start * (1 - ramp[..., None]) + end * ramp[..., None]
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def _smooth_noise(rng: random.Random, width: int, height: int) -> Image.Image:
    """Blotchy colour noise: coarse random cells scaled up, like out-of-focus scenery."""
    cells = np.random.default_rng(rng.getrandbits(32)).integers(
        0, 256, (rng.randint(2, 12), rng.randint(2, 12), 3), np.uint8
    )
    image = Image.fromarray(cells, "RGB").resize((width, height), Image.Resampling.BICUBIC)
    fine = np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(0, 18), (height, width, 3))
    return Image.fromarray(np.clip(np.asarray(image, np.float32) + fine, 0, 255).astype(np.uint8), "RGB")


def _random_colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))


def draw_distractors(rng: random.Random, frame: Image.Image) -> None:
    """Shapes and caption-like text that are not logos, so the model learns the logos themselves."""
    draw = ImageDraw.Draw(frame, "RGBA")
    width, height = frame.size
    for _ in range(rng.randint(1, 5)):
        side = rng.uniform(0.08, 0.4) * min(width, height)
        x0, y0 = rng.uniform(-side / 2, width - side / 2), rng.uniform(-side / 2, height - side / 2)
        fill = _random_colour(rng) + (rng.randint(120, 255),)
        shape = rng.choice(("ellipse", "rectangle", "triangle", "diamond"))
        if shape == "ellipse":
            draw.ellipse((x0, y0, x0 + side, y0 + side * rng.uniform(0.6, 1.4)), fill=fill)
        elif shape == "rectangle":
            draw.rounded_rectangle(
                (x0, y0, x0 + side * rng.uniform(0.6, 1.6), y0 + side), radius=side * 0.15, fill=fill
            )
        elif shape == "triangle":
            draw.polygon([(x0 + side / 2, y0), (x0 + side, y0 + side), (x0, y0 + side)], fill=fill)
        else:
            draw.polygon(
                [(x0 + side / 2, y0), (x0 + side, y0 + side / 2), (x0 + side / 2, y0 + side), (x0, y0 + side / 2)],
                fill=fill,
            )
    if rng.random() < 0.5:
        _draw_caption(rng, draw, width, height)


def _draw_caption(rng: random.Random, draw: ImageDraw.ImageDraw, width: int, height: int) -> None:
    letters = "ABCDEFGHIJKLMNOPRSTUVWYZabcdefghijklmnoprstuvwyz"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 8))) for _ in range(rng.randint(1, 4))]
    font = _font(max(8, round(min(width, height) * rng.uniform(0.05, 0.1))))
    text = " ".join(words)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = rng.uniform(0, max(1.0, width - (right - left)))
    y = rng.uniform(0, max(1.0, height - (bottom - top)))
    if rng.random() < 0.6:
        draw.rounded_rectangle(
            (x - 6, y - 4, x + right - left + 6, y + bottom - top + 8), radius=6, fill=(0, 0, 0, 170)
        )
    draw.text(
        (x - left, y - top), text, font=font, fill=(255, 255, 255, 255), stroke_width=1, stroke_fill=(0, 0, 0, 255)
    )


_FONTS: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}


def _font(pixels: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if pixels not in _FONTS:
        path = bundled_font()
        _FONTS[pixels] = ImageFont.truetype(str(path), pixels) if path else ImageFont.load_default(pixels)
    return _FONTS[pixels]


def transformed_logo(rng: random.Random, logo: Image.Image, frame_short_side: int) -> Image.Image:
    """The logo resized, squeezed a little, recoloured and rotated, cropped to its visible pixels."""
    long_side = max(12, round(frame_short_side * rng.uniform(0.14, 0.55)))
    squeeze = rng.uniform(0.85, 1.15)
    scale = long_side / max(logo.size)
    sticker = logo.resize(
        (max(6, round(logo.width * scale * squeeze)), max(6, round(logo.height * scale / squeeze))),
        Image.Resampling.LANCZOS,
    )
    rgb, alpha = sticker.convert("RGB"), sticker.getchannel("A")
    rgb = ImageEnhance.Brightness(rgb).enhance(rng.uniform(0.7, 1.3))
    rgb = ImageEnhance.Contrast(rgb).enhance(rng.uniform(0.7, 1.3))
    rgb = ImageEnhance.Color(rgb).enhance(rng.uniform(0.6, 1.3))
    if rng.random() < 0.2:  # semi-transparent, as watermarks and overlays are
        alpha = alpha.point(lambda a, k=rng.uniform(0.65, 0.9): round(a * k))
    sticker = Image.merge("RGBA", (*rgb.split(), alpha))
    if rng.random() < 0.6:
        sticker = sticker.rotate(rng.uniform(-25, 25), resample=Image.Resampling.BICUBIC, expand=True)
    return visible_part(sticker)


def occlude(rng: random.Random, frame: Image.Image, box: tuple[int, int, int, int]) -> None:
    """Cover up to about a third of a logo with a shape, as hands, cups and captions do."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cw, ch = w * rng.uniform(0.25, 0.55), h * rng.uniform(0.25, 0.55)
    corner_x = x0 - cw * 0.3 if rng.random() < 0.5 else x1 - cw * 0.7
    corner_y = y0 - ch * 0.3 if rng.random() < 0.5 else y1 - ch * 0.7
    draw = ImageDraw.Draw(frame)
    shape = (corner_x, corner_y, corner_x + cw, corner_y + ch)
    (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(shape, fill=_random_colour(rng))
