"""Logo proposals from the catalog's own logo files: where in a frame each reference correlates, at every size.

Why it exists: the detector's proposals come from a YOLO model trained in minutes on synthetic frames, and
what it proposes changes with the training. The same six-brand catalog, same settings and fingerprint,
trained on two machines: one detector's proposals led to 11 of the evaluation set's 13 logos, the other's
to 9 (it never proposed the 56 px scikit-image icon nor the partly hidden Shell; eval/RESULTS.md).
Correlating each reference with the whole frame, upright, at a coarse scale (the logo :data:`SEARCH_SIDE`
pixels long) and at every logo size from :data:`SMALLEST` to :data:`LARGEST` of the frame's short side,
costs 60-80 ms a frame here and depends on no training. Logos with an outline and detail inside it are
also searched as parts (a third cut off one side), so a partly hidden one is proposed with its whole box.
These are only proposals: :class:`.verification.LogoVerifier` judges them as it judges the detector's.

Measured on the evaluation set (``eval/score_logos.py``): the search and the verifier alone find 10 of its
13 logos, the detector's proposals alone 9, both 11, at 100% precision and no hit on the held-out photos.
Nothing here imports Dagster or ultralytics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from listening_pipeline.lib.boxes import Box, clipped, overlap_of_smaller
from listening_pipeline.lib.logos.templates import (
    FLAT_GREY,
    Spread,
    Template,
    as_rgba,
    has_detail,
    lightness,
    parts_of,
    reference_template,
)

SEARCH_SIDE = 24  # pixels of a logo's long side when searched: its outline survives, the frame is small
SMALLEST = 0.11  # logo long sides searched, as a share of the frame's short side: 40 px in a 360 px wide frame
LARGEST = 0.7
STEP = 1.12  # each size searched is this much larger than the one before
SEARCH_FLOOR = 0.5  # correlation a place needs to be proposed at all (true logos on the evaluation set: 0.51-0.95)
PER_BRAND = 2  # places proposed per brand and frame, best first: the verifier's cost grows with each one
_SAME_PLACE = 0.6  # a brand's place lying this much inside a better one is that place, seen at another size


@dataclass(frozen=True)
class Proposal:
    brand: str
    score: float  # correlation of the reference at this place, 0-1
    box: Box  # fractions of the frame


class LogoSearch:
    """Proposes the places in a frame where a reference logo's shape (or an icon's picture) correlates."""

    def __init__(self, references: Mapping[str, Sequence[Path | Image.Image]], per_brand: int = PER_BRAND) -> None:
        self.per_brand = per_brand
        self.templates: list[Template] = []
        for brand, images in references.items():
            for image in images:
                whole = reference_template(brand, as_rgba(image), 0.0, SEARCH_SIDE)
                self.templates.append(whole)
                if whole.blob is not None and has_detail(whole):  # a partly hidden logo with an outline
                    self.templates.extend(parts_of(whole))
        self.sizes = tuple(SMALLEST * STEP**i for i in range(int(np.log(LARGEST / SMALLEST) / np.log(STEP)) + 1))

    def propose(self, frame: np.ndarray | Image.Image) -> list[Proposal]:
        """Up to ``per_brand`` places per brand, each brand's best first."""
        grey = lightness(frame)
        height, width = grey.shape
        short = min(height, width)
        found: dict[str, list[Proposal]] = {}
        for size in self.sizes:
            factor = SEARCH_SIDE / (size * short)
            small = cv2.resize(
                grey, (max(1, round(width * factor)), max(1, round(height * factor))), interpolation=cv2.INTER_AREA
            )
            spread = Spread(small)
            for template in self.templates:
                for score, (x, y) in _peaks(small, template, spread):
                    vx0, vy0, vx1, vy1 = template.visible
                    box = clipped(
                        (
                            (x + vx0) / factor / width,
                            (y + vy0) / factor / height,
                            (x + vx1) / factor / width,
                            (y + vy1) / factor / height,
                        )
                    )
                    found.setdefault(template.brand, []).append(Proposal(template.brand, score, box))
        out: list[Proposal] = []
        for places in found.values():
            kept: list[Proposal] = []
            for place in sorted(places, key=lambda p: -p.score):
                if all(overlap_of_smaller(place.box, other.box) < _SAME_PLACE for other in kept):
                    kept.append(place)
                    if len(kept) == self.per_brand:
                        break
            out.extend(kept)
        return sorted(out, key=lambda p: -p.score)


def _peaks(frame: np.ndarray, template: Template, spread: Spread) -> list[tuple[float, tuple[int, int]]]:
    """Local maxima of the correlation over the frame, at least :data:`SEARCH_FLOOR`; flat places fit nothing."""
    th, tw = template.shape.shape
    if th > frame.shape[0] or tw > frame.shape[1]:
        return []
    if template.blob is not None or template.grey is None:  # its outline, either polarity
        scores = np.abs(cv2.matchTemplate(frame, template.shape, cv2.TM_CCOEFF_NORMED))
    else:  # an icon fills its box: its picture is all there is to find
        scores = cv2.matchTemplate(frame, template.grey, cv2.TM_CCOEFF_NORMED)
    scores = np.nan_to_num(scores, nan=0.0, posinf=0.0, neginf=0.0)
    scores[spread.under(th, tw) < FLAT_GREY] = 0.0
    local = cv2.dilate(scores, np.ones((5, 5), np.uint8))
    ys, xs = np.nonzero((scores >= local) & (scores >= SEARCH_FLOOR))
    return [(float(scores[y, x]), (int(x), int(y))) for y, x in zip(ys, xs)]
