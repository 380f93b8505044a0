"""Frame deduplication: what near-duplicate removal saves in OCR time, and what it costs in captions read.

Baseline, measured in the same run: the same videos sampled every 0.25 s (a naive 4 fps
sampler) with deduplication switched off (``hash_threshold=-1``). Prints the ratios
baseline / ours.

    .venv/bin/python bench/frame_dedup.py [--corpus var/sample] [--videos 6]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from listening_pipeline.lib.caption_spans import caption_rows
from listening_pipeline.lib.captions import TextReader
from listening_pipeline.lib.evaluation import caption_recall
from listening_pipeline.lib.media.decode import DecodeLimits, decode_video
from listening_pipeline.lib.weights import resolve_easyocr_models
from listening_pipeline.warehouse.tables import OCR_TEXT


def run(corpus: Path, videos: int) -> None:
    truth = [v for v in json.loads((corpus / "ground_truth.json").read_text())["videos"] if v["kind"] == "speech"][
        :videos
    ]
    reader = TextReader(("en",), resolve_easyocr_models().path)
    results = {}
    for name, limits in {
        "deduplicated": DecodeLimits(),
        "baseline (no dedup)": DecodeLimits(hash_threshold=-1, frame_interval_s=0.25),
    }.items():
        frames = ocr_s = 0.0
        rows = []
        for video in truth:
            decoded = decode_video(corpus / video["media"], limits=limits)
            frames += len(decoded.frames)
            started = time.perf_counter()
            spans = reader.read(decoded.frames)
            ocr_s += time.perf_counter() - started
            rows += caption_rows(
                spans, reader.name, hashtag=video["hashtag"], day=date.fromisoformat(video["day"]), video_id=video["id"]
            )
        recall = caption_recall(truth, OCR_TEXT.frame(rows) if rows else OCR_TEXT.empty())
        results[name] = (frames, ocr_s, recall)
        print(f"{name:22} frames {frames:5.0f}  OCR {ocr_s:7.1f} s  caption recall {recall:.3f}")
    (df, ds, dr), (bf, bs, br) = results["deduplicated"], results["baseline (no dedup)"]
    print(f"ratio baseline/dedup: frames x{bf / df:.2f}, OCR time x{bs / ds:.2f}; recall {dr:.3f} vs {br:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("var/sample"))
    parser.add_argument("--videos", type=int, default=3)
    args = parser.parse_args()
    run(args.corpus, args.videos)
