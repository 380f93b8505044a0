"""Dense real frames: phrases the pipeline's text reader reads against raw EasyOCR at its default canvas.

Why it exists: issue 12's target "on dense real frames (signs, labels, infographics) at least as many
phrases as raw easyocr at its default canvas" needs frames the project did not draw, with their phrases
written down. Three real pictures, each shared the way a creator shares a photo (placed in a 1080x1920
portrait upload, so its text is small): a WHO infographic and a photo of Paris street signs (both from
EasyOCR's own examples), and a photographed book page (scikit-image's ``page``). Sources: SOURCES.md.

A phrase is read when each of its words is among the frame's readings (accents and case folded, one
wrong letter in five forgiven). Both readers use the same offline English weights; raw EasyOCR is
``Reader.readtext`` on the whole frame with its defaults (detection on a canvas up to 2560 px), the way
a user would call it; ours is :class:`TextReader` as the captions stage runs it.

    .venv/bin/python eval/score_text.py [--json PATH]
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

EVAL_DIR = Path(__file__).resolve().parent
ROOT = EVAL_DIR.parent
UPLOAD = (1080, 1920)

# Each frame's phrases as printed (lines of the picture), written down by hand.
FRAMES: dict[str, tuple[str, ...]] = {
    # its lines are written down beside the picture, for listening_pipeline_tests/test_small_text.py too
    "who_infographic": tuple(
        (ROOT / "listening_pipeline_tests" / "media" / "who_infographic.txt").read_text(encoding="utf-8").splitlines()
    ),
    "paris_signs": (
        "Mairie du Ier",
        "Palais du Louvre",
        "Les Arts Décoratifs",
        "Musée du Louvre",
        "Théâtre du Palais-Royal",
    ),
    "book_page": (
        "Region-based segmentation",
        "Let us first determine markers of the coins and the",
        "background. These markers are pixels that we can label",
        "unambiguously as either object or background. Here,",
        "the markers are found at the two extreme parts of the",
        "histogram of grey values:",
        "markers = np.zeros_like(coins)",
    ),
}


def picture(name: str) -> Image.Image:
    if name == "who_infographic":
        return Image.open(ROOT / "listening_pipeline_tests" / "media" / "who_infographic.jpg").convert("RGB")
    if name == "paris_signs":
        return Image.open(EVAL_DIR / "set" / "dense" / "paris_signs.jpg").convert("RGB")
    import skimage.data

    return Image.fromarray(skimage.data.page()).convert("RGB")


def upload(image: Image.Image, size: tuple[int, int] = UPLOAD) -> Image.Image:
    """The picture as a creator shares it: fitted into a portrait frame on a dark background."""
    frame = Image.new("RGB", size, (24, 24, 24))
    scale = min(size[0] / image.width, size[1] / image.height)
    fitted = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    frame.paste(fitted, ((size[0] - fitted.width) // 2, (size[1] - fitted.height) // 2))
    return frame


def words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", folded)


def phrases_read(phrases: tuple[str, ...], readings: list[str]) -> list[bool]:
    """Per phrase: whether every word of it is among the readings' words (a near spelling counts)."""
    seen = set(words(" ".join(readings)))

    def found(word: str) -> bool:
        return word in seen or any(difflib.SequenceMatcher(None, word, w).ratio() >= 0.8 for w in seen)

    return [all(found(word) for word in words(phrase)) for phrase in phrases]


def measure() -> dict[str, Any]:
    """Phrases read per frame by the captions stage's reader and by raw EasyOCR, with their times."""
    import easyocr

    from listening_pipeline.lib.captions import TextReader
    from listening_pipeline.lib.weights import resolve_easyocr_models

    ours = TextReader()
    weights = str(resolve_easyocr_models(None).path)
    raw = easyocr.Reader(["en"], gpu=False, model_storage_directory=weights, download_enabled=False, verbose=False)
    readers = {
        "ours": lambda f: [r.text for r in ours.read_image(f)],
        "raw_easyocr": lambda f: [text for _, text, _ in raw.readtext(np.asarray(f))],
    }
    figures: dict[str, Any] = {"frames": {}, "reader": ours.name}
    for name, phrases in FRAMES.items():
        frame = upload(picture(name))
        row: dict[str, Any] = {"phrases": len(phrases)}
        for label, read in readers.items():
            started = time.perf_counter()
            hits = phrases_read(phrases, read(frame))
            row[label] = {
                "read": sum(hits),
                "missed": [p for p, ok in zip(phrases, hits) if not ok],
                "seconds": round(time.perf_counter() - started, 2),
            }
        figures["frames"][name] = row
    total = {k: sum(r[k]["read"] for r in figures["frames"].values()) for k in readers}
    figures["total"] = {"phrases": sum(len(p) for p in FRAMES.values()), **total}
    figures["margin"] = total["ours"] - total["raw_easyocr"]  # the target: >= 0
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = measure()
    for name, row in figures["frames"].items():
        print(
            f"{name:16s} {row['phrases']:2d} phrases: ours {row['ours']['read']:2d} in {row['ours']['seconds']:5.1f} s,"
            f" raw EasyOCR {row['raw_easyocr']['read']:2d} in {row['raw_easyocr']['seconds']:5.1f} s"
        )
    total = figures["total"]
    print(f"all: ours {total['ours']}, raw EasyOCR {total['raw_easyocr']} of {total['phrases']} phrases")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
