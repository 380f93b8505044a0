"""Logo appearances: per-frame logo hits of one brand, on consecutive frames at the same place, as one.

Why it exists: a logo held on screen for three sampled frames is one appearance, not three
mentions; how often frames are sampled must not change how often a brand is counted.
"""

from __future__ import annotations

import polars as pl

from listening_pipeline.lib.boxes import iou

# Hits of one brand in frames this close (seconds between one frame's span end and the next
# frame) and boxes overlapping this much (IoU) are one appearance of the logo.
APPEARANCE_MAX_GAP_S = 1.5
APPEARANCE_MIN_IOU = 0.3


def logo_appearances(logo_hits: pl.DataFrame) -> list[dict]:
    """Per-frame logo hits merged into appearances: same video and brand, consecutive frames, same place.

    Returns one dict per appearance with video_id, brand, t_s (first frame), t_until_s (end of
    the last frame's span), visible_until_s (until when it counts as on screen: the last hit's
    ``visible_until_s``, its ``t_until_s`` in rows written before that column), confidence (the best
    frame's) and frames (hits merged).
    """
    appearances: list[dict] = []
    if "visible_until_s" not in logo_hits.columns:
        logo_hits = logo_hits.with_columns(pl.lit(None, pl.Float64()).alias("visible_until_s"))
    columns = (
        "video_id",
        "brand",
        "t_s",
        "t_until_s",
        "visible_until_s",
        "confidence",
        "box_x0",
        "box_y0",
        "box_x1",
        "box_y1",
    )
    ordered = logo_hits.select(columns).sort("video_id", "brand", "t_s")
    open_by_key: dict[tuple[str, str], dict] = {}
    for hit in ordered.iter_rows(named=True):
        key = (hit["video_id"], hit["brand"])
        box = (hit["box_x0"], hit["box_y0"], hit["box_x1"], hit["box_y1"])
        current = open_by_key.get(key)
        end = hit["t_until_s"] if hit["t_until_s"] is not None else hit["t_s"]
        visible = max(end, hit["visible_until_s"] if hit["visible_until_s"] is not None else end)
        if (
            current is not None
            and hit["t_s"] - current["t_until_s"] <= APPEARANCE_MAX_GAP_S
            and _iou(current["box"], box) >= APPEARANCE_MIN_IOU
        ):
            current["t_until_s"] = max(current["t_until_s"], end)
            current["visible_until_s"] = max(current["visible_until_s"], visible)
            current["confidence"] = max(current["confidence"], hit["confidence"])
            current["frames"] += 1
            current["box"] = box
            continue
        current = {
            "video_id": hit["video_id"],
            "brand": hit["brand"],
            "t_s": hit["t_s"],
            "t_until_s": end,
            "visible_until_s": visible,
            "confidence": hit["confidence"],
            "frames": 1,
            "box": box,
        }
        open_by_key[key] = current
        appearances.append(current)
    return appearances


def _iou(a: tuple, b: tuple) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes; 1.0 when either box is unknown."""
    return 1.0 if any(v is None for v in (*a, *b)) else iou(a, b)
