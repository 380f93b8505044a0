"""The naive side: the script a data scientist writes in an afternoon, with the pipeline's own weights.

For each video, every model is loaded again; every frame at 1 fps, at its native resolution, goes through
EasyOCR (``readtext``) and YOLO one at a time; the audio goes through faster-whisper without VAD batching;
each text (speech segments, OCR lines, description, comments) is scored for sentiment on its own. Seconds are
summed per stage, loads included (a script that reloads pays them every time).

    python -m bench.naive --corpus DIR --videos ID [ID ...] --out result.json
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_RATE = 16_000


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--videos", nargs="+", required=True, help="video ids to process")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    records = _records(args.corpus)
    stages: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for video_id in args.videos:
        record = records[video_id]
        for stage, seconds, count in process(args.corpus / record["media"], record):
            stages[stage] += seconds
            counts[stage] += count
    result = {"videos": args.videos, "stages": dict(stages), "counts": dict(counts), "weights": weights_used()}
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


def weights_used() -> dict[str, str]:
    """The same weights the pipeline resolves (``lib/weights.py``, the settings' logo weights)."""
    from listening_pipeline.lib import weights
    from listening_pipeline.settings import Settings

    settings = Settings.from_env()
    logo = settings.logo_weights or str(weights.resolve_yolo_weights(search_dirs=(settings.logo_dir,)).path)
    return {
        "whisper": str(weights.resolve_whisper_model(settings.whisper_model).path),
        "easyocr": str(weights.resolve_easyocr_models().path),
        "yolo": logo,
        "sentiment": str(getattr(weights.resolve_sentiment_model(), "path", "lexicon")),
    }


def process(path: Path, record: dict[str, Any]) -> list[tuple[str, float, int]]:
    """One video through every model, loading each first; (stage, seconds, items) per stage."""
    used = weights_used()
    timings: list[tuple[str, float, int]] = []
    started = time.perf_counter()
    frames, audio = decode_1fps(path)
    timings.append(("decode", time.perf_counter() - started, len(frames)))

    started = time.perf_counter()
    from faster_whisper import WhisperModel

    whisper = WhisperModel(used["whisper"], device="cpu", compute_type="int8")
    segments, _ = whisper.transcribe(audio, vad_filter=False)
    speech = [segment.text for segment in segments]
    timings.append(("speech", time.perf_counter() - started, len(speech)))

    started = time.perf_counter()
    import easyocr

    reader = easyocr.Reader(
        ["en"], gpu=False, model_storage_directory=used["easyocr"], download_enabled=False, verbose=False
    )
    lines = [text for frame in frames for _, text, _ in reader.readtext(frame)]
    timings.append(("ocr", time.perf_counter() - started, len(frames)))

    started = time.perf_counter()
    from listening_pipeline.lib.logos.yolo import offline_ultralytics

    offline_ultralytics()
    from ultralytics import YOLO

    yolo: Any = YOLO(used["yolo"], task="detect")
    hits = 0
    for frame in frames:  # one at a time, as BGR (what ultralytics takes an array to be)
        result: Any = yolo.predict(np.ascontiguousarray(frame[..., ::-1]), verbose=False)[0]
        hits += len(result.boxes)
    timings.append(("logos", time.perf_counter() - started, hits))

    started = time.perf_counter()
    from listening_pipeline.lib.text.sentiment import load_scorer

    scorer = load_scorer()
    texts = [*speech, *lines, record["video_description"], *record["comments"]]
    for text in texts:
        scorer.score([text])
    timings.append(("sentiment", time.perf_counter() - started, len(texts)))
    return timings


def decode_1fps(path: Path) -> tuple[list[np.ndarray], np.ndarray]:
    """Every frame decoded, one a second kept as a native-size RGB array; the audio as 16 kHz mono float32."""
    import av

    frames: list[np.ndarray] = []
    chunks: list[np.ndarray] = []
    with av.open(str(path)) as container:
        next_t = 0.0
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time >= next_t:
                frames.append(frame.to_ndarray(format="rgb24"))
                next_t += 1.0
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        for sound in container.decode(audio=0):
            for piece in resampler.resample(sound):
                chunks.append(piece.to_ndarray().reshape(-1))
    audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return frames, audio.astype(np.float32)


def _records(corpus: Path) -> dict[str, dict[str, Any]]:
    videos = [json.loads(line) for line in (corpus / "videos.jsonl").read_text(encoding="utf-8").splitlines()]
    comments: dict[str, list[str]] = defaultdict(list)
    for line in (corpus / "comments.jsonl").read_text(encoding="utf-8").splitlines():
        comment = json.loads(line)
        comments[str(comment["video_id"])].append(comment["text"])
    return {str(v["id"]): {**v, "comments": comments[str(v["id"])]} for v in videos}


if __name__ == "__main__":
    raise SystemExit(main())
