"""Scoring a logo detector against ground truth: precision and recall at an IoU threshold.

Why it exists: the detector's settings (training size, epochs, confidence threshold) are
measured, not hoped (``bench/train_logo_detector.py``); this is the one scoring they share.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
from PIL import Image

from listening_pipeline.lib.boxes import Box, iou
from listening_pipeline.lib.logos.detection import Detection


class FrameDetector(Protocol):
    """Anything with :meth:`LogoDetector.detect`'s shape, so scoring does not depend on YOLO."""

    def detect(self, frames: Sequence[np.ndarray | Image.Image]) -> list[list[Detection]]: ...


def evaluate_detector(
    detector: FrameDetector,
    images_with_truth: Iterable[tuple[np.ndarray | Image.Image, Sequence[tuple[str, Box]]]],
    *,
    min_iou: float = 0.5,
) -> tuple[float, float]:
    """(precision, recall) of the detector's logos against true ``(brand, box)`` lists, boxes as fractions.

    A detection counts when it names the right brand and overlaps a not-yet-matched true
    box by IoU >= ``min_iou`` (most confident detections match first). With nothing
    predicted, precision is 1 only if nothing was there; with nothing there, recall is 1.
    """
    pairs = list(images_with_truth)
    predictions = detector.detect([image for image, _ in pairs])
    matched = predicted = expected = 0
    for found, (_, truth) in zip(predictions, pairs):
        predicted += len(found)
        expected += len(truth)
        matched += _matches(found, truth, min_iou)
    precision = matched / predicted if predicted else float(expected == 0)
    recall = matched / expected if expected else 1.0
    return precision, recall


def _matches(found: Sequence[Detection], truth: Sequence[tuple[str, Box]], min_iou: float) -> int:
    unmatched = list(truth)
    count = 0
    for detection in sorted(found, key=lambda d: -d.confidence):
        best = max(
            (t for t in unmatched if t[0] == detection.brand),
            key=lambda t: iou(detection.box, t[1]),
            default=None,
        )
        if best is not None and iou(detection.box, best[1]) >= min_iou:
            unmatched.remove(best)
            count += 1
    return count
