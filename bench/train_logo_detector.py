"""Train the logo detector on a brand catalog with the default settings (lib/weights.py) and print what it scores.

Why: the demo trains its own logo detector (no pretrained logo weights exist offline), so
its settings must be measured, not hoped: this prints the validation precision, recall
and mAP50, the training time, and precision/recall on held-out synthetic frames (a seed
the training never saw) and, with ``--corpus``, on frames of the sample videos whose
logos are known from ``ground_truth.json``.

    python bench/train_logo_detector.py [--epochs N] [--out DIR] [--catalog brands.yaml] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listening_pipeline.lib import logos
from listening_pipeline.lib.boxes import Box
from listening_pipeline.lib.weights import (
    LOGO_IMAGE_SIZE,
    LOGO_TRAINING_BATCH,
    LOGO_TRAINING_EPOCHS,
    LOGO_TRAINING_IMAGES,
)

if TYPE_CHECKING:
    import numpy as np


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="logo-bench-")).resolve()
    logos.offline_ultralytics(out / "yolo-config")
    from listening_pipeline.catalog import CatalogError, load_catalog

    try:
        catalog = load_catalog(args.catalog)
    except CatalogError as exc:
        print(f"no usable catalog: {exc}", file=sys.stderr)
        return 2
    print(f"catalog {catalog.path}: {len(catalog.brands)} brands; cpu threads {os.cpu_count()}; load {_load()}")

    started = time.perf_counter()
    data_yaml = logos.build_training_set(
        catalog.brands, out / "dataset", images=args.images, size=args.imgsz, seed=args.seed
    )
    print(
        f"training set: {args.images} images at {args.imgsz} px in {time.perf_counter() - started:.1f} s -> {data_yaml}"
    )

    trained = logos.train_detector(
        data_yaml,
        out / "train",
        epochs=args.epochs,
        imgsz=args.imgsz,
        batch=args.batch,
        seed=args.seed,
        config_dir=out / "yolo-config",
    )
    print(f"trained {args.epochs} epochs in {trained.seconds:.0f} s -> {trained.weights}")
    print(f"validation split: precision {trained.precision:.3f} recall {trained.recall:.3f} mAP50 {trained.map50:.3f}")
    _print_curve(trained.weights.parent / "run" / "results.csv")

    detector = logos.LogoDetector(
        trained.weights, imgsz=args.imgsz, conf=min(THRESHOLDS), config_dir=out / "yolo-config"
    )
    heldout = logos.synthetic_frames(catalog.brands, args.heldout, size=args.imgsz, seed=args.seed + 1000)
    started = time.perf_counter()
    answers = detector.detect([image for image, _ in heldout])
    per_frame_ms = (time.perf_counter() - started) / max(1, len(heldout)) * 1000
    print(
        f"held-out synthetic frames ({len(heldout)}, {per_frame_ms:.0f} ms/frame), IoU 0.5: {_sweep(answers, heldout)}"
    )
    if args.corpus:
        frames = _corpus_frames(Path(args.corpus))
        with_logo = sum(1 for _, truth in frames if truth)
        answers = detector.detect([image for image, _ in frames])
        print(f"sample-corpus frames ({len(frames)}, {with_logo} with logos), IoU 0.5: {_sweep(answers, frames)}")
    print(f"model {detector.model_name}; LogoDetector's default conf is {logos.DEFAULT_CONF}")
    return 0


THRESHOLDS = (0.25, 0.35, 0.5)


class _Answers:
    """Detections computed once, seen through a confidence threshold, for evaluate_detector."""

    def __init__(self, answers: list[list[logos.Detection]], threshold: float) -> None:
        self.answers, self.threshold = answers, threshold

    def detect(self, frames):
        return [[d for d in found if d.confidence >= self.threshold] for found in self.answers]


def _sweep(answers: list[list[logos.Detection]], frames) -> str:
    parts = []
    for threshold in THRESHOLDS:
        precision, recall = logos.evaluate_detector(_Answers(answers, threshold), frames)
        parts.append(f"conf {threshold}: P {precision:.3f} R {recall:.3f}")
    return "; ".join(parts)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=LOGO_TRAINING_EPOCHS)
    parser.add_argument("--images", type=int, default=LOGO_TRAINING_IMAGES, help="training + validation images")
    parser.add_argument("--imgsz", type=int, default=LOGO_IMAGE_SIZE)
    parser.add_argument("--batch", type=int, default=LOGO_TRAINING_BATCH)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--heldout", type=int, default=120, help="held-out synthetic frames to score")
    parser.add_argument("--catalog", default=None, help="brands.yaml (default: the bundled catalog)")
    parser.add_argument("--corpus", default=None, help="a sample corpus folder with ground_truth.json to score on")
    parser.add_argument("--out", default=None, help="work folder (default: a new temporary one)")
    return parser.parse_args(argv)


def _print_curve(results_csv: Path) -> None:
    """Validation mAP50 per epoch, to see whether more epochs would still pay."""
    if not results_csv.is_file():
        return
    with results_csv.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    points = [f"{int(float(r['epoch']))}:{float(r['metrics/mAP50(B)']):.2f}" for r in rows if r.get("metrics/mAP50(B)")]
    print("mAP50 by epoch: " + " ".join(points))


def _corpus_frames(folder: Path, step_s: float = 0.5) -> list[tuple[np.ndarray, list[tuple[str, Box]]]]:
    """Frames every ``step_s`` of each sample video, with the logos ground_truth.json says are on screen."""
    import av

    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    width, height = truth["video"]["width"], truth["video"]["height"]
    frames = []
    for video in truth["videos"]:
        if video["kind"] == "corrupt_media":
            continue
        next_t = 0.0
        with av.open(str(folder / video["media"])) as container:
            for frame in container.decode(video=0):
                t = float(frame.time)
                if t + 1e-6 < next_t:
                    continue
                next_t += step_s
                shown = [
                    (
                        logo["brand"],
                        (
                            logo["box"][0] / width,
                            logo["box"][1] / height,
                            logo["box"][2] / width,
                            logo["box"][3] / height,
                        ),
                    )
                    for logo in video["logos"]
                    if logo["start_s"] <= t < logo["end_s"]
                ]
                frames.append((frame.to_ndarray(format="rgb24"), shown))
    return frames


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


if __name__ == "__main__":
    raise SystemExit(main())
