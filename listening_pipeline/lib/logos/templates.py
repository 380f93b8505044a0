"""Reference logo templates: a catalog's logo file turned into the arrays logo matching correlates with.

Why it exists: the verifier (:mod:`.verification`) and the whole-frame search (:mod:`.search`) compare frames
with the same references, at the same rotations and sizes, in the same forms (the logo's shape, its grey
appearance, a blob of its outline, its colours); this is the one place those forms are made.
Nothing here imports Dagster or ultralytics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

FLAT_GREY = 4.0  # grey levels (std) under which a logo is one colour: its shape says everything
RECTANGULAR = 0.9  # a reference filling this much of its box (an app icon) has no outline to tell apart
# A reference gets parts when its outline is this unlike a blob of it (1 - correlation of the two): the Shell
# 0.75, the Target 0.5, the Spotify 0.42; the Apple 0.25 and the Puma 0.24 do not. Icons with inner detail do.
MIN_PART_DETAIL = 0.4
PART_KEPT = 2 / 3  # share of the logo a part keeps: a third hidden on one side


@dataclass(frozen=True)
class Template:
    brand: str
    shape: np.ndarray  # float32, 1 inside the logo, 0 around it, in its (rotated) bounding rectangle
    grey: np.ndarray | None  # float32 lightness of the logo's pixels; None for a one-colour logo (no inner detail)
    mask: np.ndarray  # float32 alpha of the logo's pixels: grey is compared only there
    blob: np.ndarray | None  # the shape with its detail blurred away; None for a rectangular reference
    visible: tuple[int, int, int, int]  # the whole logo's box inside the template, pixels (a part: relative to it)
    lab: np.ndarray  # the reference's mean Lab colour (OpenCV 8-bit Lab scale) over the pixels it compares
    lab_image: np.ndarray  # the reference's Lab pixels: a part's mean colour is taken from its own pixels
    part: str = "whole"  # or the side cut off: "left", "right", "top", "bottom" (see parts_of)


def has_detail(template: Template) -> bool:
    """Whether the logo can be told from a part of it: detail inside (an icon's picture) or an outline unlike a blob."""
    if template.blob is None:
        return template.grey is not None
    blob_likeness = abs(float(cv2.matchTemplate(template.shape, template.blob, cv2.TM_CCOEFF_NORMED)[0, 0]))
    return 1.0 - blob_likeness >= MIN_PART_DETAIL


def parts_of(template: Template) -> list[Template]:
    """The template less a third on each side in turn; ``visible`` stays the whole logo's box (from the part)."""
    height, width = template.shape.shape
    keep_w, keep_h = max(3, round(width * PART_KEPT)), max(3, round(height * PART_KEPT))
    cuts = {
        "right": (0, 0, keep_w, height),
        "left": (width - keep_w, 0, width, height),
        "bottom": (0, 0, width, keep_h),
        "top": (0, height - keep_h, width, height),
    }
    out = []
    vx0, vy0, vx1, vy1 = template.visible
    for cut, (x0, y0, x1, y1) in cuts.items():
        mask = np.ascontiguousarray(template.mask[y0:y1, x0:x1])
        if not mask.any():
            continue
        grey = None if template.grey is None else np.ascontiguousarray(template.grey[y0:y1, x0:x1])
        if grey is not None and float(grey[mask > 0].std()) < FLAT_GREY:
            grey = None
        blob = None if template.blob is None else np.ascontiguousarray(template.blob[y0:y1, x0:x1])
        out.append(
            Template(
                brand=template.brand,
                shape=np.ascontiguousarray(template.shape[y0:y1, x0:x1]),
                grey=grey,
                mask=mask,
                blob=blob,
                visible=(vx0 - x0, vy0 - y0, vx1 - x0, vy1 - y0),
                lab=template.lab_image[y0:y1, x0:x1][mask > 0].mean(axis=0),
                lab_image=template.lab_image[y0:y1, x0:x1],
                part=cut,
            )
        )
    return out


def as_rgba(image: Path | Image.Image) -> Image.Image:
    if isinstance(image, Image.Image):
        return image.convert("RGBA")
    with Image.open(image) as opened:
        return opened.convert("RGBA")


def reference_template(brand: str, rgba: Image.Image, angle: float, long_side: float) -> Template:
    """The reference turned by ``angle`` and scaled so its visible part's long side is ``long_side`` pixels,
    with a one-pixel transparent border so the shape has an outside to correlate against."""
    visible = rgba.getchannel("A").point(lambda a: 255 if a > 32 else 0).getbbox()
    logo = rgba.crop(visible) if visible else rgba
    has_outline = float(np.mean(np.asarray(logo.getchannel("A")) > 128)) < RECTANGULAR  # before turning it
    scale = long_side / max(logo.size)
    logo = logo.resize(
        (max(3, round(logo.width * scale)), max(3, round(logo.height * scale))), Image.Resampling.LANCZOS
    )
    if angle:
        logo = logo.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    bordered = Image.new("RGBA", (logo.width + 4, logo.height + 4), (0, 0, 0, 0))
    bordered.paste(logo, (2, 2))
    alpha = np.asarray(bordered.getchannel("A"), np.float32) / 255.0
    grey = cv2.cvtColor(np.asarray(bordered.convert("RGB")), cv2.COLOR_RGB2GRAY).astype(np.float32)
    box = bordered.getchannel("A").point(lambda a: 255 if a > 32 else 0).getbbox() or (0, 0, *bordered.size)
    mask = (alpha > 0.5).astype(np.float32)
    detailed = float(grey[mask > 0].std()) >= FLAT_GREY if mask.any() else False
    blob = None
    if has_outline:
        blob = (cv2.GaussianBlur(alpha, (0, 0), max(1.5, 0.12 * min(alpha.shape))) > 0.4).astype(np.float32)
    rgb = np.asarray(bordered.convert("RGB"))
    lab_image = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab = lab_image[mask > 0].mean(axis=0)
    return Template(
        brand=brand,
        shape=alpha,
        grey=grey if detailed else None,
        mask=mask,
        blob=blob,
        visible=box,
        lab=lab,
        lab_image=lab_image,
    )


def lightness(frame: np.ndarray | Image.Image) -> np.ndarray:
    """A frame's lightness as float32 (0-255), from an RGB array or any PIL image."""
    array = np.asarray(frame.convert("RGB") if isinstance(frame, Image.Image) else frame)
    if array.ndim == 3:
        array = cv2.cvtColor(np.ascontiguousarray(array[..., :3]), cv2.COLOR_RGB2GRAY)
    return array.astype(np.float32)


class Spread:
    """Grey-level spread of a window under each placement of a template of a given size (integral images, once).

    Why: normalised correlation is undefined on a flat patch and OpenCV answers 1.0 there; a box inside
    scikit-image's black horse silhouette "fitted" every brand at 1.0 before this check.
    """

    def __init__(self, window: np.ndarray) -> None:
        self.sums, self.squares = cv2.integral2(window.astype(np.float64))

    def under(self, height: int, width: int) -> np.ndarray:
        def box(table: np.ndarray) -> np.ndarray:
            return table[height:, width:] - table[:-height, width:] - table[height:, :-width] + table[:-height, :-width]

        area = float(height * width)
        mean = box(self.sums) / area
        return np.sqrt(np.maximum(box(self.squares) / area - mean * mean, 0.0)).astype(np.float32)
