"""Evidence thumbnails: the frame a logo or caption was seen in, its box drawn, stored once.

The story: a brand manager opens an evidence row and sees the moment itself. The frames here are a
real photo (a public WHO infographic) stored as a video's kept frames, with no video anywhere: a
thumbnail is drawn from the stored frame, never by decoding again.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
from PIL import Image

from listening_pipeline.lib.evidence_frames import (
    OUTLINE_COLOURS,
    THUMBNAIL_SIDE,
    evidence_shots,
    store_thumbnails,
    with_thumbnails,
)
from listening_pipeline.lib.media.store import MediaStore
from listening_pipeline.warehouse.tables import BRAND_MENTIONS, FRAMES, LOGO_HITS, OCR_TEXT, TEXT_UNITS

PHOTO = Path(__file__).parent / "media" / "who_infographic.jpg"
DAY = dt.date(2026, 11, 2)
KEY = {"hashtag": "coffeetime", "day": DAY}
LOGO_BOX = (0.10, 0.20, 0.45, 0.40)
CAPTION_BOX = (0.05, 0.70, 0.95, 0.80)


def _mention(mention_id: str, origin: str, t_s: float | None, unit_id: str | None = None) -> dict:
    return {
        **KEY,
        "mention_id": mention_id,
        "video_id": "v1",
        "brand": "Mokka Mia",
        "origin": origin,
        "t_s": t_s,
        "unit_id": unit_id,
    }


def _tables(store: MediaStore, tmp_path: Path) -> dict[str, pl.DataFrame]:
    frame_rows = []
    for number, t_s in enumerate((0.0, 2.0, 4.0)):
        local = tmp_path / f"frame{number}.jpg"
        with Image.open(PHOTO) as photo:  # three different pictures: the photo turned 0, 90, 180 degrees
            photo.convert("RGB").rotate(90 * number, expand=True).save(local, quality=90)
        uri = store.put(local, f"decoded/v1/abc/frame{number}.jpg")
        frame_rows.append(
            {
                **KEY,
                "video_id": "v1",
                "frame_no": number,
                "t_s": t_s,
                "t_until_s": t_s + 1.0,
                "image_uri": uri,
                "dhash": None,
            }
        )
    x0, y0, x1, y1 = LOGO_BOX
    c0, d0, c1, d1 = CAPTION_BOX
    return {
        "mentions": BRAND_MENTIONS.frame(
            [
                _mention("logo1", "logo", 2.3),
                _mention("cap1", "caption", 4.0, unit_id="v1:caption:0"),
                _mention("speech1", "speech", 1.0, unit_id="v1:speech:0"),
                _mention("comment1", "comment", None, unit_id="c9"),
            ]
        ),
        "frames": FRAMES.frame(frame_rows),
        "logo_hits": LOGO_HITS.frame(
            [
                {
                    **KEY,
                    "video_id": "v1",
                    "brand": "Mokka Mia",
                    "confidence": 0.9,
                    "t_s": 2.3,
                    "t_until_s": 3.0,
                    "visible_until_s": 4.0,
                    "box_x0": x0,
                    "box_y0": y0,
                    "box_x1": x1,
                    "box_y1": y1,
                    "model": "yolo",
                }
            ]
        ),
        "ocr_text": OCR_TEXT.frame(
            [
                {
                    **KEY,
                    "video_id": "v1",
                    "span_no": 0,
                    "text": "MOKKA MIA RECALL",
                    "confidence": 0.9,
                    "first_seen_s": 4.0,
                    "last_seen_s": 5.0,
                    "box_x0": c0,
                    "box_y0": d0,
                    "box_x1": c1,
                    "box_y1": d1,
                    "model": "easyocr",
                }
            ]
        ),
        "units": TEXT_UNITS.frame(
            [
                {
                    **KEY,
                    "unit_id": "v1:caption:0",
                    "video_id": "v1",
                    "origin": "caption",
                    "origin_ref": "0",
                    "text": "MOKKA MIA RECALL",
                },
                {
                    **KEY,
                    "unit_id": "v1:speech:0",
                    "video_id": "v1",
                    "origin": "speech",
                    "origin_ref": "0",
                    "text": "mokka mia",
                },
            ]
        ),
    }


def _outline_share(path: Path, box: tuple[float, float, float, float], colour: tuple[int, int, int]) -> float:
    """Share of points along the box's top and bottom edges that are the outline's colour."""
    with Image.open(path) as image:
        pixels = image.convert("RGB")
    width, height = pixels.size
    hits, points = 0, 0
    for y_frac in (box[1], box[3]):
        for i in range(20):
            x = round((box[0] + (box[2] - box[0]) * (i + 0.5) / 20) * width)
            points += 1
            for dy in range(-4, 5):
                y = min(height - 1, max(0, round(y_frac * height) + dy))
                r, g, b = pixels.getpixel((min(width - 1, x), y))  # type: ignore[misc]
                if abs(r - colour[0]) + abs(g - colour[1]) + abs(b - colour[2]) < 90:
                    hits += 1
                    break
    return hits / points


def test_logo_and_caption_mentions_get_their_frame_with_the_box_drawn(tmp_path):
    store = MediaStore(str(tmp_path / "media"))
    tables = _tables(store, tmp_path)
    shots = evidence_shots(
        tables["mentions"], tables["frames"], tables["logo_hits"], tables["ocr_text"], tables["units"]
    )
    # The logo at 2.3 s is in the frame kept at 2.0 s (it stands for the time after it); the caption in 4.0's.
    assert set(shots) == {"logo1", "cap1"}
    assert shots["logo1"].frame_uri.endswith("frame1.jpg") and shots["cap1"].frame_uri.endswith("frame2.jpg")

    thumbnails = store_thumbnails(shots, store)
    assert thumbnails.written == 2 and not thumbnails.missing
    rows = with_thumbnails(tables["mentions"], thumbnails)
    assert rows.columns == tables["mentions"].columns and rows["mention_id"].to_list() == [
        "logo1",
        "cap1",
        "speech1",
        "comment1",
    ]
    uris = dict(zip(rows["mention_id"], rows["thumbnail_uri"]))
    assert uris["speech1"] is None and uris["comment1"] is None
    for mention_id, box in (("logo1", LOGO_BOX), ("cap1", CAPTION_BOX)):
        colour = OUTLINE_COLOURS["logo" if mention_id == "logo1" else "caption"]
        path = Path(uris[mention_id])
        assert path.is_file() and path.stat().st_size < 60_000
        with Image.open(path) as image:
            assert image.format == "JPEG" and max(image.size) == THUMBNAIL_SIDE
        assert _outline_share(path, box, colour) >= 0.9, mention_id
        # Nowhere else: the middle of the box shows the photo, not the outline.
        assert _outline_share(path, (box[0], (box[1] + box[3]) / 2, box[2], (box[1] + box[3]) / 2), colour) < 0.5

    # A re-run (or the same video under another hashtag) draws nothing and points at the same files.
    again = store_thumbnails(shots, store)
    assert again.written == 0 and again.uris == thumbnails.uris


def test_a_frame_gone_from_the_store_leaves_that_mention_without_a_thumbnail_and_keeps_the_rest(tmp_path):
    """Also with ultralytics loaded (the logo stage ran in this process): it patches PIL's Image.open."""
    import ultralytics  # noqa: F401

    store = MediaStore(str(tmp_path / "media"))
    tables = _tables(store, tmp_path)
    shots = evidence_shots(
        tables["mentions"], tables["frames"], tables["logo_hits"], tables["ocr_text"], tables["units"]
    )
    Path(shots["logo1"].frame_uri).unlink()
    (Path(shots["cap1"].frame_uri)).write_bytes(b"not a jpeg")  # a frame file damaged in the store
    shutil.copyfile(PHOTO, tmp_path / "unrelated.jpg")
    thumbnails = store_thumbnails(shots, store)
    assert thumbnails.uris == {} and sorted(thumbnails.missing) == ["cap1", "logo1"]
    rows = with_thumbnails(tables["mentions"], thumbnails)
    assert rows.height == 4 and rows["thumbnail_uri"].null_count() == 4
