"""Logos behind on-screen text: a frame with its captions' letters and translucent panels taken off.

Why it exists: captions are the most common thing in front of a logo in short videos, and the caption
stage already knows where every line of text is. A logo half under a translucent caption panel, with
letters across it, fits no reference (a black Apple under TikTok-style captions scored 0.49 where 0.62
is needed; eval/RESULTS.md), and cutting the logo at the panel's edge made half silhouettes that fit
textures anywhere. Here the panel is *un-blended* instead: its opacity is measured where its edges cross
the picture (the same scene, seen with and without the panel), the pixels under it are brought back as
they were, and the letters are painted over from their surroundings. The logo stage then sees the whole
logo and judges it as it judges any other: nothing is fitted to parts, so no new kind of false fit.

A panel is only un-blended when its edges agree on one opacity between :data:`MIN_OPACITY` and
:data:`MAX_OPACITY`: an opaque panel hides what is behind it (nothing to bring back), no panel needs nothing.
Letters are taken off either way. Nothing here imports Dagster, easyocr or ultralytics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image

from listening_pipeline.lib.boxes import Box

MIN_OPACITY = 0.2  # a panel fainter than this barely changes what is behind it
MAX_OPACITY = 0.85  # behind a panel darker than this, too little of the picture is left to bring back
_OPACITY_AGREEMENT = 0.15  # the panel's edges must measure opacities this close to each other
_REACH = 0.8  # how far past the text box a panel's edge is looked for, in text-box heights
_MIN_STEP = 12.0  # grey levels: a panel edge darkens (or lightens) the picture at least this much
_LETTER = 200  # a letter pixel is lighter than this in every channel (white captions)...
_STROKE_PX = 2  # ...and its dark outline lies within this many pixels of it (short-video captions: 2 px)
# A caption line: letters cover this share of its box, on a ground (panel, outline) darker than this grey.
MIN_LETTERS, MAX_LETTERS = 0.03, 0.5
MAX_CAPTION_GROUND = 110
_SEAM_PX = 3  # width of the band along a panel's border painted over after un-blending


@dataclass(frozen=True)
class Panel:
    """A caption's translucent panel: its rectangle in pixels (end exclusive), opacity (0-1) and grey."""

    x0: int
    y0: int
    x1: int
    y1: int
    opacity: float
    colour: float  # the panel's grey: 0 black, 255 white


def see_through(frame: Image.Image, text_boxes: Sequence[Box]) -> Image.Image:
    """``frame`` with each caption's letters painted over and a translucent panel behind it un-blended.

    ``text_boxes``: the caption stage's boxes, fractions of the frame. Only captions in the short-video style
    are touched: light letters on a darker ground (a panel, or the letters' own dark outline); a line of dark
    print on a light page is part of the picture. A frame without such text is returned as is.
    """
    rgb = np.asarray(frame.convert("RGB")).astype(np.float32)
    height, width = rgb.shape[:2]
    letters = np.zeros((height, width), bool)
    panels: list[Panel] = []
    for box in text_boxes:
        x0, y0 = max(0, int(box[0] * width)), max(0, int(box[1] * height))
        x1, y1 = min(width, int(np.ceil(box[2] * width))), min(height, int(np.ceil(box[3] * height)))
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        light = rgb[y0:y1, x0:x1].min(axis=2) > _LETTER
        if not MIN_LETTERS <= light.mean() <= MAX_LETTERS or np.median(rgb[y0:y1, x0:x1]) > MAX_CAPTION_GROUND:
            continue
        letters |= caption_letters(rgb, (x0, y0, x1, y1))
        panel = find_panel(rgb, (x0, y0, x1, y1))
        if panel is not None:
            panels.append(panel)
    if not letters.any():
        return frame
    for panel in panels:
        region = rgb[panel.y0 : panel.y1, panel.x0 : panel.x1]
        restored = (region - panel.opacity * panel.colour) / (1.0 - panel.opacity)
        # A pixel brought back brighter than white (darker than black) was never under the panel: a rounded corner.
        outside = ((restored > 255) | (restored < 0)).any(axis=2, keepdims=True)
        rgb[panel.y0 : panel.y1, panel.x0 : panel.x1] = np.where(outside, region, restored)
        # The panel's border, a pixel or two either way, is painted over with the letters: no seam is left there.
        border = np.zeros(letters.shape, np.uint8)
        cv2.rectangle(border, (panel.x0, panel.y0), (panel.x1 - 1, panel.y1 - 1), 1, thickness=_SEAM_PX)
        letters |= border > 0
    return Image.fromarray(cv2.inpaint(rgb.astype(np.uint8), letters.astype(np.uint8), 3, cv2.INPAINT_TELEA))


def caption_letters(rgb: np.ndarray, text: tuple[int, int, int, int]) -> np.ndarray:
    """The pixels of the light letters in the text box ``text`` (pixels) and of their dark outline, frame-sized."""
    x0, y0, x1, y1 = text
    letters = np.zeros(rgb.shape[:2], np.uint8)
    letters[y0:y1, x0:x1] = rgb[y0:y1, x0:x1].min(axis=2) > _LETTER
    stroke = 2 * _STROKE_PX + 1
    return cv2.dilate(letters, np.ones((stroke, stroke), np.uint8)) > 0


def find_panel(rgb: np.ndarray, text: tuple[int, int, int, int]) -> Panel | None:
    """The translucent panel behind the text box ``text`` (pixels), from where its edges cross the picture.

    On each side, the strongest step in the median grey of the rows (columns) between the text and
    :data:`_REACH` text heights past it is the panel's edge; the grey just inside over the grey just
    outside, pixel by pixel along the edge, gives the opacity (the picture is the same on both sides of an
    edge a pixel apart). An edge against something as dark as the panel shows no step: that side is placed
    as far from the text as the opposite side is (captions are centred in their panels). None unless at least
    two sides show an edge and agree on one opacity between :data:`MIN_OPACITY` and :data:`MAX_OPACITY`.
    """
    grey = rgb.mean(axis=2)
    height, width = grey.shape
    x0, y0, x1, y1 = text
    reach = max(4, int(_REACH * (y1 - y0)))
    free = ~caption_letters(rgb, text)
    edges = {
        side: found
        for side in ("top", "bottom", "left", "right")
        if (found := _edge(grey, free, text, side, reach, (height, width))) is not None
    }
    if len(edges) < 2:
        return None
    inner = np.concatenate([edge[1] for edge in edges.values()])
    outer = np.concatenate([edge[2] for edge in edges.values()])
    colour = 0.0 if np.median(inner) < np.median(outer) else 255.0
    opacities: dict[str, float] = {}
    for side, (_, inside, outside) in edges.items():
        # inside = (1 - a) * outside + a * colour, pixel by pixel along the edge
        spread = colour - outside
        usable = np.abs(spread) > 20
        if usable.sum() >= 5:
            opacities[side] = float(np.median((inside[usable] - outside[usable]) / spread[usable]))
    # A side whose step was something else (a bright object beside the panel) disagrees with the others: left out.
    typical = float(np.median(list(opacities.values()))) if opacities else 0.0
    agreeing = {side: a for side, a in opacities.items() if abs(a - typical) <= _OPACITY_AGREEMENT}
    opacity = float(np.median(list(agreeing.values()))) if agreeing else 0.0
    if len(agreeing) < 2 or not MIN_OPACITY <= opacity <= MAX_OPACITY:
        return None
    # How far the panel reaches past the text on each side (negative: the text box reaches past the panel).
    outward = {
        "top": lambda at: y0 - at,
        "bottom": lambda at: at - y1,
        "left": lambda at: x0 - at,
        "right": lambda at: at - x1,
    }
    reach_past = {side: outward[side](edges[side][0]) for side in agreeing}
    opposite = {"top": "bottom", "bottom": "top", "left": "right", "right": "left"}
    past = {side: reach_past.get(side, reach_past.get(opposite[side], 0)) for side in opposite}
    return Panel(
        max(0, x0 - past["left"]),
        max(0, y0 - past["top"]),
        min(width, x1 + past["right"]),
        min(height, y1 + past["bottom"]),
        opacity,
        colour,
    )


def _edge(
    grey: np.ndarray,
    free: np.ndarray,
    text: tuple[int, int, int, int],
    side: str,
    reach: int,
    shape: tuple[int, int],
) -> tuple[int, np.ndarray, np.ndarray] | None:
    """Where the panel's edge is on ``side`` (the first pixel row/column outside it) and the greys a pixel
    inside and a pixel outside it along the edge; None when no step of :data:`_MIN_STEP` grey levels is there."""
    height, width = shape
    x0, y0, x1, y1 = text
    # Lines from inside the text box outwards: each line's median grey over its free (non-letter) pixels.
    # From the text's middle: a text box may reach past its panel (the reader's boxes have a margin).
    middle_x, middle_y = (x0 + x1) // 2, (y0 + y1) // 2
    outwards = {
        "top": range(middle_y, max(0, y0 - reach) - 1, -1),
        "bottom": range(middle_y, min(height, y1 + reach)),
        "left": range(middle_x, max(0, x0 - reach) - 1, -1),
        "right": range(middle_x, min(width, x1 + reach)),
    }
    lines = list(outwards[side])
    if side in ("top", "bottom"):
        profile = [_median(grey[y, x0:x1], free[y, x0:x1]) for y in lines]
    else:
        profile = [_median(grey[y0:y1, x], free[y0:y1, x]) for x in lines]
    steps = [abs(profile[i + 1] - profile[i]) for i in range(len(profile) - 1)]
    if not steps or max(steps) < _MIN_STEP:
        return None
    at = int(np.argmax(steps))
    inside_line, outside_line = lines[at], lines[at + 1]
    if side in ("top", "bottom"):
        inside, outside = grey[inside_line, x0:x1], grey[outside_line, x0:x1]
        keep = free[inside_line, x0:x1] & free[outside_line, x0:x1]
    else:
        inside, outside = grey[y0:y1, inside_line], grey[y0:y1, outside_line]
        keep = free[y0:y1, inside_line] & free[y0:y1, outside_line]
    # The panel's rectangle: from its top/left edge's first inside line to its bottom/right's first outside one.
    return (inside_line if side in ("top", "left") else outside_line), inside[keep], outside[keep]


def _median(values: np.ndarray, keep: np.ndarray) -> float:
    chosen = values[keep]
    return float(np.median(chosen)) if chosen.size else float(np.median(values))


def text_boxes_at(ocr_rows: Sequence[Mapping[str, Any]], t_s: float) -> list[Box]:
    """The boxes of the caption stage's spans (OCR_TEXT rows) on screen at ``t_s``: where captions cover the frame."""
    return [
        (row["box_x0"], row["box_y0"], row["box_x1"], row["box_y1"])
        for row in ocr_rows
        if row["box_x0"] is not None and row["first_seen_s"] <= t_s <= row["last_seen_s"]
    ]
