"""The logo stage alone on the evaluation set: a seconds-long inner loop for the detector, no pipeline run.

Why it exists: ``make eval`` runs everything (speech, OCR, dbt) and takes minutes; choosing a
logo design needs its figures in seconds. This decodes the set's clips once (frames cached in
``--cache``, then passed through JPEG as the media stage stores them), runs a logo detector on them through the same lib
functions ``logo_hits`` calls (:class:`LogoDetector`, :func:`hit_rows`), and prints the logo
figures ``make eval`` prints: video-level recall / precision / false mentions (one mention per
video and brand, as :func:`logo_appearances` merges hits), box recall and precision at IoU 0.5,
and hits on background-only clips. Then a held-out check the set cannot give: hits on 69 frames cut
from scikit-image's bundled real photos (shipped in its wheel, so offline), none of which shows a
catalog logo (its ``logo`` photo, the scikit-image reference's own source, is left out).

    .venv/bin/python eval/score_logos.py --weights path/to/logos-yolo11n.pt
    .venv/bin/python eval/score_logos.py --train /tmp/detectors      # train for eval/brands.yaml first
    .venv/bin/python eval/score_logos.py --weights W --no-verify     # YOLO boxes as they come
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from PIL import Image

EVAL_DIR = Path(__file__).resolve().parent
SET_DIR = EVAL_DIR / "set"
CATALOG = EVAL_DIR / "brands.yaml"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "lp-score-logos-frames"


def cached_frames(cache: Path, videos: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Each clip's kept frames (decoded once by the media stage's own decoder, then read from ``cache``)."""
    from listening_pipeline.lib.media.decode import decode_video
    from listening_pipeline.lib.media.frames import KeptFrame
    from listening_pipeline.lib.media.worker import as_stored

    cache.mkdir(parents=True, exist_ok=True)
    out: dict[str, list[Any]] = {}
    for video in videos:
        path = cache / f"{video['slug']}.npz"
        if not path.is_file():
            decoded = decode_video(SET_DIR / video["media"])
            np.savez_compressed(
                path,
                images=np.stack([np.asarray(f.image) for f in decoded.frames]),
                t=np.array([[f.t_s, f.t_until_s] for f in decoded.frames]),
            )
        data = np.load(path)
        out[video["id"]] = [
            KeptFrame(image=as_stored(Image.fromarray(image)), t_s=float(t[0]), t_until_s=float(t[1]), dhash_hex="")
            for image, t in zip(data["images"], data["t"])
        ]
    return out


# scikit-image's bundled real photos (in its wheel: nothing is fetched) without a catalog logo.
PHOTOS = (
    "astronaut", "brick", "camera", "cat", "cell", "chelsea", "clock", "coffee", "coins", "colorwheel",
    "grass", "gravel", "horse", "hubble_deep_field", "immunohistochemistry", "microaneurysms", "moon",
    "stereo_motorcycle", "page", "retina", "rocket", "text",
)  # fmt: skip


def photo_frames(name: str) -> list[Image.Image]:
    """Three frames from one bundled photo: portrait and landscape phone frames, and a zoomed quarter."""
    import skimage.data

    loaded = getattr(skimage.data, name)()
    pixels = np.asarray(loaded[0] if isinstance(loaded, tuple) else loaded)  # a stereo pair: its left view
    if pixels.dtype != np.uint8:  # a binary mask (the horse) or a float image
        pixels = pixels.astype(np.float32)
        pixels = (255 * (pixels - pixels.min()) / max(1e-9, float(pixels.max() - pixels.min()))).astype(np.uint8)
    photo = Image.fromarray(pixels[..., :3] if pixels.ndim == 3 else pixels).convert("RGB")
    quarter = photo.crop((0, 0, photo.width // 2, photo.height // 2))
    return [photo.resize((360, 640)), photo.resize((640, 360)), quarter.resize((360, 640))]


# Captions drawn over the held-out photos, as short videos show them: white letters with a dark outline on a
# translucent dark panel (opacity 0.5-0.8), low or high in the frame. None names a catalog brand.
PHOTO_CAPTIONS = ("Morning routine", "Wait for it...", "Best day ever", "Rutina de gimnasio", "So good!!")


def captioned(frame: Image.Image, n: int) -> Image.Image:
    """``frame`` with caption ``n`` drawn on a translucent panel (text, height and opacity vary with ``n``)."""
    from PIL import ImageDraw, ImageFont

    from listening_pipeline.lib.logos.yolo import bundled_font

    text = PHOTO_CAPTIONS[n % len(PHOTO_CAPTIONS)]
    font = ImageFont.truetype(str(bundled_font()), max(14, frame.width // 14))
    left, top, right, bottom = font.getbbox(text, stroke_width=2)
    w, h = min(frame.width - 8, right - left + 28), bottom - top + 20
    x, y = (frame.width - w) // 2, int(frame.height * (0.12, 0.55, 0.82)[n % 3])
    panel = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(panel)
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=10, fill=(0, 0, 0, (130, 170, 200)[n % 3]))
    draw.text((w / 2, h / 2), text, font=font, fill="white", anchor="mm", stroke_width=2, stroke_fill="black")
    out = frame.convert("RGBA")
    out.alpha_composite(panel, (x, y))
    return out.convert("RGB")


def photo_check(detector: Any, reader: Any | None = None) -> dict[str, Any]:
    """Hits on real photos without a catalog logo, as they are and with a caption on a panel: each one is false.

    With ``reader`` (the caption stage's), the captioned frames are read and their text boxes handed to the
    detector, as the pipeline does: what it brings back from behind a caption must not fit a logo either."""
    from listening_pipeline.lib.caption_spans import caption_rows
    from listening_pipeline.lib.logos.see_through import text_boxes_at

    false: list[str] = []
    false_captioned: list[str] = []
    frames = 0
    for name in PHOTOS:
        plain = photo_frames(name)
        frames += len(plain)
        for found in detector.detect(plain):
            false.extend(f"{name}/{hit.brand}" for hit in found)
        if reader is None:
            continue
        for n, frame in enumerate(plain):
            shown = captioned(frame, n + len(name))
            rows = caption_rows(reader.read([_kept(shown)]), reader.name, video_id=name)
            for found in detector.detect([shown], [text_boxes_at(rows, 0.0)]):
                false_captioned.extend(f"{name}+caption/{hit.brand}" for hit in found)
    return {
        "frames": frames,
        "false_hits": len(false),
        "false": sorted(false),
        "captioned_frames": frames if reader is not None else 0,
        "false_hits_captioned": len(false_captioned),
        "false_captioned": sorted(false_captioned),
    }


def _kept(image: Image.Image) -> Any:
    """One still as the caption stage reads a video's kept frames."""
    from listening_pipeline.lib.media.frames import KeptFrame

    return KeptFrame(image=image, t_s=0.0, t_until_s=1.0, dhash_hex="")


def text_boxes(cache: Path, videos: list[dict[str, Any]], frames: dict[str, list[Any]], reader: Any) -> dict[str, Any]:
    """Each clip's caption rows (OCR_TEXT), read once by the caption stage's reader and kept in ``cache``."""
    from listening_pipeline.lib.caption_spans import caption_rows

    out: dict[str, Any] = {}
    for video in videos:
        path = cache / f"{video['slug']}.captions.json"
        stored = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        if stored is None or stored["reader"] != reader.name:
            rows = caption_rows(reader.read(frames[video["id"]]), reader.name, video_id=video["id"])
            stored = {"reader": reader.name, "rows": [{k: v for k, v in r.items() if k != "day"} for r in rows]}
            path.write_text(json.dumps(stored), encoding="utf-8")
        out[video["id"]] = stored["rows"]
    return out


def score(truth: dict[str, Any], hits: pl.DataFrame) -> dict[str, Any]:
    """Video-level logo mentions and box figures, as ``make eval`` scores them."""
    from listening_pipeline.lib.evaluation_set import logo_box_scores
    from listening_pipeline.lib.logos.appearances import logo_appearances

    videos = truth["videos"]
    expected = {(v["id"], b) for v in videos for b, n in v["mentions"]["logo"].items() if n}
    found = {(a["video_id"], a["brand"]) for a in logo_appearances(hits)} if hits.height else set()
    matched = expected & found
    slugs = {v["id"]: v["slug"] for v in videos}
    frame = truth["frame"]
    return {
        "video_recall": len(matched) / len(expected) if expected else None,
        "video_precision": len(matched) / len(found) if found else None,
        "false": sorted(f"{slugs[v]}/{b}" for v, b in found - expected),
        "missed": sorted(f"{slugs[v]}/{b}" for v, b in expected - found),
        "boxes": logo_box_scores(videos, hits, frame["width"], frame["height"]),
    }


def build_detector(args: argparse.Namespace) -> Any:
    from listening_pipeline.catalog import load_catalog
    from listening_pipeline.lib.logos import LogoDetector
    from listening_pipeline.lib.logos.registry import TrainingPlan, ensure_detector
    from listening_pipeline.lib.weights import LOGO_TRAINING_EPOCHS, LOGO_TRAINING_IMAGES
    from listening_pipeline.settings import BUNDLED_LOGO_WEIGHTS

    catalog = load_catalog(CATALOG)
    weights = args.weights
    if weights is None:
        plan = TrainingPlan.of(
            catalog.brands,
            images=args.images or LOGO_TRAINING_IMAGES,
            epochs=args.epochs or LOGO_TRAINING_EPOCHS,
            init_weights=BUNDLED_LOGO_WEIGHTS if BUNDLED_LOGO_WEIGHTS.is_file() else None,
        )
        record = ensure_detector(plan, args.train, notify=print)
        assert record is not None
        print(
            f"detector {record.fingerprint}: trained in {record.training_seconds:.0f} s, val mAP50 {record.map50:.2f}"
        )
        weights = record.weights
    references = None if args.no_verify else {b.name: [Path(p) for p in b.logos] for b in catalog.brands if b.logos}
    kwargs = {} if args.conf is None else {"conf": args.conf}
    return LogoDetector(Path(weights), references=references, **kwargs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--weights", type=Path, help="YOLO weights to score")
    source.add_argument("--train", type=Path, help="detector folder: train for eval/brands.yaml (once) and score")
    parser.add_argument("--images", type=int, help="training images (default: the pipeline's)")
    parser.add_argument("--epochs", type=int, help="training epochs (default: the pipeline's)")
    parser.add_argument("--conf", type=float, default=None, help="YOLO confidence threshold (default: detector's)")
    parser.add_argument("--no-verify", action="store_true", help="skip verification against the reference logos")
    parser.add_argument(
        "--no-captions", action="store_true", help="do not read captions (no logo is looked for behind them)"
    )
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where decoded frames are kept")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    from listening_pipeline.lib import weights
    from listening_pipeline.lib.captions import TextReader
    from listening_pipeline.lib.logos import hit_rows
    from listening_pipeline.lib.logos.see_through import text_boxes_at
    from listening_pipeline.warehouse.tables import LOGO_HITS

    truth = json.loads((SET_DIR / "ground_truth.json").read_text(encoding="utf-8"))
    frames = cached_frames(args.cache, truth["videos"])
    reader = None if args.no_captions else TextReader(("en",), weights.resolve_easyocr_models(None).path)
    captions = {} if reader is None else text_boxes(args.cache, truth["videos"], frames, reader)
    detector = build_detector(args)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for video_id, kept in frames.items():
        on_screen = [text_boxes_at(captions.get(video_id, []), f.t_s) for f in kept]
        found = detector.detect([f.image for f in kept], on_screen)
        rows.extend(
            hit_rows(
                kept,
                found,
                detector.model_name,
                hashtag="eval",
                day=dt.date.fromisoformat(truth["day"]),
                video_id=video_id,
            )
        )
    seconds = time.perf_counter() - started
    hits = LOGO_HITS.frame(rows)
    figures = score(truth, hits)
    boxes = figures["boxes"]
    n_frames = sum(len(v) for v in frames.values())
    print(
        f"logos, video level: recall {figures['video_recall']:.0%}  precision "
        f"{(figures['video_precision'] or 0):.0%}  false {len(figures['false'])}\n"
        f"boxes at IoU 0.5: recall {boxes['box_recall']:.0%}  precision {(boxes['box_precision'] or 0):.0%} "
        f"of {boxes['hits']} hits; hits on background-only clips {boxes['hits_on_background_only']}\n"
        f"detect: {seconds:.2f} s for {n_frames} frames ({1000 * seconds / n_frames:.0f} ms/frame)\n"
        f"missed: {', '.join(figures['missed']) or 'none'}\nfalse:  {', '.join(figures['false']) or 'none'}"
    )
    photos = photo_check(detector, reader)
    print(
        f"real photos without a catalog logo: {photos['false_hits']} hits on {photos['frames']} frames "
        f"{photos['false'] or ''}\n"
        f"the same with a caption on a translucent panel: {photos['false_hits_captioned']} hits on "
        f"{photos['captioned_frames']} frames {photos['false_captioned'] or ''}"
    )
    if args.json:
        figures = {**figures, "detect_seconds": seconds, "photos": photos}
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
