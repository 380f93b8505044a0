"""Verification of logo boxes against the brand's own logo files: keep what looks like the logo, drop the rest.

Why it exists: the detector is trained on synthetic frames in minutes, with no pretrained backbone
(none ships offline), so on real footage it either misses logos (a strict threshold) or proposes
boxes on any dark round thing (a loose one). The catalog holds what each logo really looks like;
:class:`LogoVerifier` re-checks every proposed box against those reference images with OpenCV
and keeps a box only where a reference matches, under the brand that matched, with the match
score as its confidence and the box snapped to where the reference fits.

How a match is scored: the window around the box is compared with each reference by normalised
cross-correlation (``cv2.matchTemplate``) at a few rotations and scales, in two forms:

- the logo's *shape* (its alpha mask inside its bounding rectangle), correlated without sign: a
  logo printed in one ink (black on a light wall, white on a dark shirt) is its silhouette, and
  light-on-dark correlates as strongly as dark-on-light;
- the logo's *grey appearance* (its lightness, masked to the logo's pixels): the inner detail of a
  colour logo, which a blob of the logo's outline lacks.

A box printed in colour must also have the reference's colours (mean Lab distance at most
:data:`MAX_COLOUR_DISTANCE`): two round badges, red and brown, are the same shape in grey. A box printed
in one ink (black, white, grey) is judged by its shape, and must fit it better than a blob of its
outline (a dark round thing fits the Apple silhouette almost as well as the Apple does).

Both are cheap: the window is scaled so the box's long side is :data:`TEMPLATE_SIDE` pixels, and the
reference templates for every rotation and scale are made once, when the verifier is built.
Nothing here imports Dagster or ultralytics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from listening_pipeline.lib.boxes import Box, clipped, iou

TEMPLATE_SIDE = 40  # pixels of a box's long side when matched: enough for a logo's outline, cheap to correlate
ANGLES = (-30.0, -15.0, 0.0, 15.0, 30.0)  # degrees; a logo turned further is rare in footage
SCALES = (0.7, 0.85, 1.0, 1.2, 1.45)  # the detector's box is rarely the logo's box exactly
MARGIN = 0.45  # the search window: the box grown by this share of its size on every side
# Measured on the real-media evaluation set (eval/score_logos.py): see eval/RESULTS.md.
DEFAULT_MIN_SCORE = 0.62
# A logo must fit better than a blob of its own outline: a dark round thing fits the Apple silhouette
# at 0.6-0.74, but no better than a rounded blob of that size (detail <= 0.05); real logos scored 0.19-0.55 more.
DEFAULT_MIN_DETAIL = 0.1
_FLAT_GREY = 4.0  # grey levels (std) under which a logo is one colour: its shape says everything
_RECTANGULAR = 0.9  # a reference filling this much of its box (an app icon) has no outline to tell apart
# ...so it is judged on its inner appearance alone, and must match that closely: brick texture fitted the
# scikit-image icon at 0.62-0.64 on the evaluation set, the icon itself (56 to 170 px) at 0.98-1.0.
MIN_SCORE_WITHOUT_OUTLINE = 0.8
_SAME_SPOT_IOU = 0.5  # two kept boxes overlapping this much are one logo: the better match stays
# Proposals checked per frame, the detector's most confident first: each costs about a millisecond per
# template, and a frame of star fields or gravel yields dozens of loose proposals that are never logos.
MAX_PROPOSALS = 24


@dataclass(frozen=True)
class _Template:
    brand: str
    shape: np.ndarray  # float32, 1 inside the logo, 0 around it, in its (rotated) bounding rectangle
    grey: np.ndarray | None  # float32 lightness of the logo's pixels; None for a one-colour logo (no inner detail)
    mask: np.ndarray  # float32 alpha of the logo's pixels: grey is compared only there
    blob: np.ndarray | None  # the shape with its detail blurred away; None for a rectangular reference
    visible: tuple[int, int, int, int]  # the logo's own box inside the template, pixels
    lab: np.ndarray  # the reference's mean Lab colour (OpenCV 8-bit Lab scale)


@dataclass(frozen=True)
class Match:
    """The best reference for a box: which brand, how well (0-1), and the box where it fits, as fractions."""

    brand: str
    score: float
    box: Box
    detail: float = 0.0  # how much better the logo fits than a blob of its outline: >0 means its detail is there
    outline: bool = True  # False for a reference that fills its box: no outline, detail is not measured
    colour_distance: float | None = None  # Lab distance of the region's colour to the reference's; None: one ink


class LogoVerifier:
    """Re-checks proposed logo boxes on a frame against the catalog's reference logo images.

    ``references``: brand name -> its logo files (or RGBA images); every brand's references are
    tried for every box, so a box the detector labelled with the wrong brand keeps the right one.
    ``min_score``: the normalised correlation a box needs to be kept; ``min_detail``: how much better
    than a blob of the logo's outline it must fit (a rectangular reference, an app icon, has no outline
    to compare and is judged by its score alone).
    """

    def __init__(
        self,
        references: Mapping[str, Sequence[Path | Image.Image]],
        *,
        min_score: float = DEFAULT_MIN_SCORE,
        min_detail: float = DEFAULT_MIN_DETAIL,
        angles: Sequence[float] = ANGLES,
        scales: Sequence[float] = SCALES,
    ) -> None:
        self.min_score = min_score
        self.min_detail = min_detail
        self.templates: list[_Template] = []
        for brand, images in references.items():
            for image in images:
                rgba = _rgba(image)
                for angle in angles:
                    for scale in scales:
                        self.templates.append(_template(brand, rgba, angle, TEMPLATE_SIDE * scale))
        if not self.templates:
            raise ValueError("no reference logo image to verify against")
        self.brands = tuple(dict.fromkeys(references))

    def best_match(self, grey: np.ndarray, box: Box, lab: np.ndarray | None = None) -> Match | None:
        """The best-matching reference around ``box`` (fractions) on a frame's lightness, or None when none fits."""
        height, width = grey.shape
        x0, y0, x1, y1 = box[0] * width, box[1] * height, box[2] * width, box[3] * height
        side = max(x1 - x0, y1 - y0)
        if side < 4:
            return None
        factor = TEMPLATE_SIDE / side
        pad = MARGIN * side
        wx0, wy0 = max(0, int(x0 - pad)), max(0, int(y0 - pad))
        wx1, wy1 = min(width, int(np.ceil(x1 + pad))), min(height, int(np.ceil(y1 + pad)))
        window = cv2.resize(
            grey[wy0:wy1, wx0:wx1],
            (max(1, round((wx1 - wx0) * factor)), max(1, round((wy1 - wy0) * factor))),
            interpolation=cv2.INTER_AREA,
        )
        best: tuple[float, _Template, tuple[int, int]] | None = None
        for template in self.templates:
            th, tw = template.shape.shape
            if th > window.shape[0] or tw > window.shape[1]:
                continue
            score, spot = _correlate(window, template)
            if best is None or score > best[0]:
                best = (score, template, spot)
        if best is None:
            return None
        score, template, (sx, sy) = best
        blob = _blob_score(window, template, (sx, sy))
        distance = None
        if lab is not None:
            distance = _colour_distance(lab[wy0:wy1, wx0:wx1], factor, template, (sx, sy))
        vx0, vy0, vx1, vy1 = template.visible
        found = (
            (wx0 + (sx + vx0) / factor) / width,
            (wy0 + (sy + vy0) / factor) / height,
            (wx0 + (sx + vx1) / factor) / width,
            (wy0 + (sy + vy1) / factor) / height,
        )
        return Match(
            template.brand, float(score), clipped(found), float(score - blob), template.blob is not None, distance
        )

    def verify(self, frame: np.ndarray | Image.Image, boxes: Sequence[Box]) -> list[Match]:
        """The boxes that match a reference, as matches (brand, score, snapped box), best first; one per spot.

        ``boxes`` come best first (the detector's order): only the first :data:`MAX_PROPOSALS` are checked.
        """
        grey = lightness(frame)
        rgb = np.ascontiguousarray(
            np.asarray(frame.convert("RGB") if isinstance(frame, Image.Image) else frame)[..., :3]
        )
        lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
        kept: list[Match] = []
        for box in list(boxes)[:MAX_PROPOSALS]:
            match = self.best_match(grey, box, lab)
            if match is not None and self._holds(match):
                kept.append(match)
        kept.sort(key=lambda m: -m.score)
        out: list[Match] = []
        for match in kept:
            if all(iou(match.box, other.box) < _SAME_SPOT_IOU for other in out):
                out.append(match)
        return out

    def _holds(self, match: Match) -> bool:
        if match.colour_distance is not None:  # printed in colour: its colours must be the logo's
            return match.score >= self.min_score and match.colour_distance <= MAX_COLOUR_DISTANCE
        if not match.outline:
            return match.score >= max(self.min_score, MIN_SCORE_WITHOUT_OUTLINE)
        return match.score >= self.min_score and match.detail >= self.min_detail


def lightness(frame: np.ndarray | Image.Image) -> np.ndarray:
    """A frame's lightness as float32 (0-255), from an RGB array or any PIL image."""
    array = np.asarray(frame.convert("RGB") if isinstance(frame, Image.Image) else frame)
    if array.ndim == 3:
        array = cv2.cvtColor(np.ascontiguousarray(array[..., :3]), cv2.COLOR_RGB2GRAY)
    return array.astype(np.float32)


def _correlate(window: np.ndarray, template: _Template) -> tuple[float, tuple[int, int]]:
    """The best of shape (either polarity) and grey appearance correlation, and where it was."""
    scores: np.ndarray | None = None
    if template.blob is not None or template.grey is None:  # a rectangle's outline matches every caption panel
        scores = np.abs(cv2.matchTemplate(window, template.shape, cv2.TM_CCOEFF_NORMED))
    if template.grey is not None:
        grey = cv2.matchTemplate(window, template.grey, cv2.TM_CCOEFF_NORMED, mask=template.mask)
        grey = np.nan_to_num(grey, nan=0.0, posinf=0.0, neginf=0.0)
        scores = grey if scores is None else np.maximum(scores, grey)
    assert scores is not None
    _, score, _, spot = cv2.minMaxLoc(scores)
    return float(score), (int(spot[0]), int(spot[1]))


# Lab distance (OpenCV's 8-bit scale) between a colour print's mean colour and the reference's. Measured on
# the sample corpus' badge logos with the bundled detector: grey matching alone kept precision 0.54 / recall
# 0.81 (badges of one shape taken for each other), with this colour check 0.80 / 0.97; the evaluation set
# kept its figures.
MAX_COLOUR_DISTANCE = 30.0
_ONE_INK_CHROMA = 12.0  # mean Lab chroma under which the region is a one-ink (black, white, grey) print


def _colour_distance(lab_window: np.ndarray, factor: float, template: _Template, spot: tuple[int, int]) -> float | None:
    """Lab distance from the frame's pixels under the logo to the reference's mean colour; None: a one-ink print."""
    th, tw = template.mask.shape
    h, w = max(1, round(lab_window.shape[0] * factor)), max(1, round(lab_window.shape[1] * factor))
    small = cv2.resize(lab_window, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    x, y = spot
    patch = small[y : y + th, x : x + tw]
    mask = template.mask[: patch.shape[0], : patch.shape[1]] > 0
    if not mask.any():
        return None
    region = patch[mask].mean(axis=0)
    chroma = float(np.hypot(region[1] - 128, region[2] - 128))
    ref_chroma = float(np.hypot(template.lab[1] - 128, template.lab[2] - 128))
    if chroma < _ONE_INK_CHROMA and ref_chroma >= _ONE_INK_CHROMA:
        return None  # a colour logo printed in one ink: its shape is the evidence
    if chroma < _ONE_INK_CHROMA and ref_chroma < _ONE_INK_CHROMA:
        return None  # a one-ink logo as designed: shape and detail judge it
    return float(np.linalg.norm(region - template.lab))


def _blob_score(window: np.ndarray, template: _Template, spot: tuple[int, int]) -> float:
    """How well a blob of the template's outline fits at ``spot`` (either polarity); 0 with no outline to blur."""
    if template.blob is None:
        return 0.0
    x, y = spot
    th, tw = template.blob.shape
    patch = np.ascontiguousarray(window[y : y + th, x : x + tw])
    return abs(float(cv2.matchTemplate(patch, template.blob, cv2.TM_CCOEFF_NORMED)[0, 0]))


def _rgba(image: Path | Image.Image) -> Image.Image:
    if isinstance(image, Image.Image):
        return image.convert("RGBA")
    with Image.open(image) as opened:
        return opened.convert("RGBA")


def _template(brand: str, rgba: Image.Image, angle: float, long_side: float) -> _Template:
    """The reference turned by ``angle`` and scaled so its visible part's long side is ``long_side`` pixels,
    with a one-pixel transparent border so the shape has an outside to correlate against."""
    visible = rgba.getchannel("A").point(lambda a: 255 if a > 32 else 0).getbbox()
    logo = rgba.crop(visible) if visible else rgba
    has_outline = float(np.mean(np.asarray(logo.getchannel("A")) > 128)) < _RECTANGULAR  # before turning it
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
    detailed = float(grey[mask > 0].std()) >= _FLAT_GREY if mask.any() else False
    blob = None
    if has_outline:
        blob = (cv2.GaussianBlur(alpha, (0, 0), max(1.5, 0.12 * min(alpha.shape))) > 0.4).astype(np.float32)
    rgb = np.asarray(bordered.convert("RGB"))
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)[mask > 0].astype(np.float32).mean(axis=0)
    return _Template(
        brand=brand, shape=alpha, grey=grey if detailed else None, mask=mask, blob=blob, visible=box, lab=lab
    )
