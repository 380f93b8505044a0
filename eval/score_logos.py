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


def photo_check(detector: Any) -> dict[str, Any]:
    """Hits on real photos without a catalog logo: each one is false."""
    false: list[str] = []
    for name in PHOTOS:
        for found in detector.detect(photo_frames(name)):
            false.extend(f"{name}/{hit.brand}" for hit in found)
    return {
        "frames": 3 * len(PHOTOS),
        "false_hits": len(false),
        "false": sorted(false),
    }


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
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where decoded frames are kept")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    from listening_pipeline.lib.logos import hit_rows
    from listening_pipeline.warehouse.tables import LOGO_HITS

    truth = json.loads((SET_DIR / "ground_truth.json").read_text(encoding="utf-8"))
    frames = cached_frames(args.cache, truth["videos"])
    detector = build_detector(args)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for video_id, kept in frames.items():
        found = detector.detect([f.image for f in kept])
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
    photos = photo_check(detector)
    print(
        f"real photos without a catalog logo: {photos['false_hits']} hits on {photos['frames']} frames "
        f"{photos['false'] or ''}"
    )
    if args.json:
        figures = {**figures, "detect_seconds": seconds, "photos": photos}
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
