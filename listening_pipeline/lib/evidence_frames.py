"""Evidence frames: a small JPEG of the moment a logo or a caption was seen, its box drawn on it.

Why it exists: a number is trusted when its proof is one look away; the person paged by an alert
sees the frame, not only a link to a video. Thumbnails are made from the kept frames already in the
media store (a video is never decoded again for them) and stored once, under a name derived from
what they show (the frame file, the box, the drawing), so a re-run or a video collected under a
second hashtag reuses the file instead of writing it again.
"""

from __future__ import annotations

import bisect
import io
import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from PIL import Image, ImageDraw

from listening_pipeline.lib.boxes import Box
from listening_pipeline.lib.ledger import digest
from listening_pipeline.lib.media.store import MediaStore

log = logging.getLogger(__name__)

THUMBNAIL_SIDE = 320
"""Long side of an evidence thumbnail, pixels: a 9:16 frame is 180x320, 6-8 KB, 3.9 ms to draw and encode."""

DRAWING = "box-v1"
"""Names how a thumbnail is drawn; a new drawing gets new file names, never a stale picture under an old one."""

OUTLINE_COLOURS = {"logo": (255, 40, 40), "caption": (255, 214, 0)}
"""Outline colour per origin: red for a logo, yellow for a caption."""
_TIME_SLACK_S = 1e-6


@dataclass(frozen=True)
class Shot:
    """What one evidence thumbnail shows: a kept frame and the box on it."""

    frame_uri: str
    box: Box
    origin: str

    @property
    def key(self) -> str:
        name = digest(self.frame_uri, *(f"{v:.4f}" for v in self.box), self.origin, DRAWING)
        return f"evidence/{name[:2]}/{name}.jpg"


@dataclass
class Thumbnails:
    """Per mention id, the thumbnail's URI in the media store; and the mentions left without one, and why."""

    uris: dict[str, str] = field(default_factory=dict)
    written: int = 0
    missing: list[str] = field(default_factory=list)


def draw_evidence(image: Image.Image, box: Box, origin: str) -> Image.Image:
    """The frame shrunk to THUMBNAIL_SIDE with the box drawn (boxes are fractions of the frame).

    The outline is a bright colour between two black lines, so it shows on any picture: a plain cyan
    outline vanished on a real blue infographic.
    """
    picture = image.convert("RGB")
    picture.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    width, height = picture.size
    x0, y0, x1, y1 = box
    line = max(2, round(max(width, height) / 120))
    pad = line + 1  # just outside the logo or text, which stays readable
    left, top = x0 * width - pad, y0 * height - pad
    right, bottom = x1 * width + pad, y1 * height + pad
    draw = ImageDraw.Draw(picture)
    for grow, colour, stroke in ((1, (0, 0, 0), line + 2), (0, OUTLINE_COLOURS.get(origin, (255, 255, 255)), line)):
        outline = [
            (max(0, left - grow), max(0, top - grow)),
            (min(width - 1, right + grow), min(height - 1, bottom + grow)),
        ]
        draw.rectangle(outline, outline=colour, width=stroke)
    return picture


def jpeg_bytes(picture: Image.Image, quality: int = 82) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def evidence_shots(
    mentions: pl.DataFrame, frames: pl.DataFrame, logo_hits: pl.DataFrame, ocr_text: pl.DataFrame, units: pl.DataFrame
) -> dict[str, Shot]:
    """Per logo or caption mention id: the kept frame at its first second and the box to draw.

    The logo's box is its hit in that frame; the caption's, its span's. The frame is the last kept frame
    at or before the mention's second (a kept frame stands for the time after it).
    """
    visual = mentions.filter(pl.col("origin").is_in(["logo", "caption"]) & pl.col("t_s").is_not_null())
    if visual.is_empty() or frames.is_empty():
        return {}
    frames_by_video: dict[str, tuple[list[float], list[str]]] = {}
    for video_id, group in frames.sort("video_id", "t_s").group_by("video_id", maintain_order=True):
        frames_by_video[str(video_id[0])] = (group["t_s"].to_list(), group["image_uri"].to_list())
    logo_boxes = {
        (row["video_id"], row["brand"], row["t_s"]): _box(row)
        for row in logo_hits.iter_rows(named=True)
        if _box(row) is not None
    }
    span_of_unit = {
        row["unit_id"]: row["origin_ref"]
        for row in units.filter(pl.col("origin") == "caption").iter_rows(named=True)
        if "origin_ref" in units.columns
    }
    caption_boxes = {
        (row["video_id"], str(row["span_no"])): _box(row)
        for row in ocr_text.iter_rows(named=True)
        if _box(row) is not None
    }
    shots: dict[str, Shot] = {}
    for mention in visual.iter_rows(named=True):
        found = frames_by_video.get(mention["video_id"])
        if mention["origin"] == "logo":
            box = logo_boxes.get((mention["video_id"], mention["brand"], mention["t_s"]))
        else:
            box = caption_boxes.get((mention["video_id"], str(span_of_unit.get(mention["unit_id"]))))
        if found is None or box is None:
            continue
        times, uris = found
        at = max(0, bisect.bisect_right(times, mention["t_s"] + _TIME_SLACK_S) - 1)
        shots[mention["mention_id"]] = Shot(frame_uri=uris[at], box=box, origin=mention["origin"])
    return shots


def store_thumbnails(shots: Mapping[str, Shot], store: MediaStore) -> Thumbnails:
    """Each shot's thumbnail in the media store, drawn only when it is not there yet.

    A frame missing from the store or unreadable leaves its mention without a thumbnail (listed in
    ``missing``): the evidence row keeps everything else. A store that keeps failing raises
    :class:`.store.MediaStoreError`, so the run fails and a re-run fixes it.
    """
    out = Thumbnails()
    drawn: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="lp-evidence-") as scratch:
        for mention_id, shot in shots.items():
            key = shot.key
            if key not in drawn:
                if not store.fs.exists(f"{store.base}/{key}"):
                    try:
                        picture = _drawn(store, shot)
                    # Gone from the store, or not an image. ImportError: once ultralytics is loaded it patches
                    # PIL's Image.open to look for a HEIF plugin on any unreadable file, and fails on its import.
                    except (OSError, ValueError, ImportError) as exc:
                        log.warning(
                            "no evidence thumbnail for mention %s: frame %s: %s", mention_id, shot.frame_uri, exc
                        )
                        out.missing.append(mention_id)
                        continue
                    local = Path(scratch) / Path(key).name
                    local.write_bytes(jpeg_bytes(picture))
                    store.put(local, key)
                    out.written += 1
                drawn[key] = store.uri(key)
            out.uris[mention_id] = drawn[key]
    return out


def _drawn(store: MediaStore, shot: Shot) -> Image.Image:
    with store.local_path(shot.frame_uri) as path:
        image = Image.open(io.BytesIO(path.read_bytes()))
        image.load()
    return draw_evidence(image, shot.box, shot.origin)


def _box(row: Mapping[str, Any]) -> Box | None:
    values = tuple(row.get(f"box_{c}") for c in ("x0", "y0", "x1", "y1"))
    if any(v is None for v in values):
        return None
    return (float(values[0]), float(values[1]), float(values[2]), float(values[3]))  # type: ignore[arg-type]


def with_thumbnails(mentions: pl.DataFrame, thumbnails: Thumbnails) -> pl.DataFrame:
    """``mentions`` with ``thumbnail_uri`` set from ``thumbnails`` (null where there is none)."""
    uris = pl.DataFrame(
        {"mention_id": list(thumbnails.uris), "_uri": list(thumbnails.uris.values())},
        schema={"mention_id": pl.String(), "_uri": pl.String()},
    )
    joined = mentions.join(uris, on="mention_id", how="left", maintain_order="left")
    return joined.with_columns(pl.col("_uri").alias("thumbnail_uri")).drop("_uri").select(mentions.columns)
