"""Boxes on a frame: the one home of their type and of the maths on them (overlap, IoU, clipping).

A :data:`Box` is ``(x0, y0, x1, y1)``: left, top, right, bottom. In output rows and between
modules the units are fractions of the frame's width and height; the functions here work
in any units as long as both boxes share them (the logo training set places stickers in pixels).
"""

from __future__ import annotations

from collections.abc import Sequence

Box = tuple[float, float, float, float]
"""(x0, y0, x1, y1) as fractions of the frame's width and height."""


def area(box: Sequence[float]) -> float:
    """Width times height (negative for a box whose corners are swapped: callers pass well-formed boxes)."""
    return (box[2] - box[0]) * (box[3] - box[1])


def intersection(a: Sequence[float], b: Sequence[float]) -> float:
    """Area the two boxes share; 0.0 when they do not overlap (touching edges do not count)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return width * height if width > 0 and height > 0 else 0.0


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union: 1.0 for the same box, 0.0 for boxes apart."""
    shared = intersection(a, b)
    if not shared:
        return 0.0
    union = area(a) + area(b) - shared
    return shared / union if union > 0 else 0.0


def overlap_of_smaller(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over the smaller box's area: 1.0 when one box lies inside the other, whatever their sizes."""
    shared = intersection(a, b)
    if not shared:
        return 0.0
    smaller = min(area(a), area(b))
    return shared / smaller if smaller > 0 else 0.0


def share_inside(inner: Sequence[float], outer: Sequence[float]) -> float:
    """The part of ``inner``'s area that lies inside ``outer`` (0.0 to 1.0)."""
    shared = intersection(inner, outer)
    if not shared:
        return 0.0
    size = area(inner)
    return shared / size if size > 0 else 0.0


def suppressed(boxes: Sequence[Box], scores: Sequence[float], max_iou: float) -> list[int]:
    """Indices of the boxes kept by greedy non-maximum suppression, best score first."""
    kept: list[int] = []
    for index in sorted(range(len(boxes)), key=lambda i: -scores[i]):
        if all(iou(boxes[index], boxes[other]) <= max_iou for other in kept):
            kept.append(index)
    return kept


def clipped(values: Sequence[float]) -> Box:
    """The box with each coordinate held to 0..1, the frame's extent in fractions."""
    x0, y0, x1, y1 = (min(1.0, max(0.0, float(v))) for v in values)
    return (x0, y0, x1, y1)
