"""The logo detector's training data: catalog logos composited onto synthetic frames, as a YOLO dataset.

Why it exists: no pretrained brand-logo weights can be had offline, and a catalog's brands are
its own. So each logo is pasted, transformed, onto many synthetic backgrounds
(:func:`build_training_set`, painted by :mod:`.drawing`), with logo-coloured silhouettes and
frames with no logo as hard negatives; :func:`synthetic_frames` makes held-out frames the same way.
"""

from __future__ import annotations

import logging
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import yaml
from PIL import Image, ImageFilter

from listening_pipeline.lib.boxes import Box, iou
from listening_pipeline.lib.logos import drawing
from listening_pipeline.lib.weights import LOGO_IMAGE_SIZE, LOGO_TRAINING_IMAGES

if TYPE_CHECKING:
    from listening_pipeline.catalog import Brand

log = logging.getLogger(__name__)


class LabeledFrame(NamedTuple):
    """A frame and the logos really in it: ``[(brand, box), ...]``, boxes as fractions."""

    image: Image.Image
    truth: tuple[tuple[str, Box], ...]


@dataclass(frozen=True)
class _Logo:
    brand_index: int
    image: Image.Image  # RGBA, cropped to its visible pixels
    silhouette: Image.Image  # the same outline in the logo's main colour, with no inner detail: a hard negative


# Frame shapes (width, height relative to the long side): vertical, as short videos are, and square,
# which wastes no training compute on letterbox padding.
_ASPECTS = ((9 / 16, 1.0), (9 / 16, 1.0), (1.0, 1.0), (1.0, 1.0), (1.0, 9 / 16))
_NEGATIVE_EVERY = 8  # one frame in 8 has no logo: it teaches what is not a logo
# Logos per positive frame, drawn from this tuple: several per frame give more to learn per image trained on.
_LOGO_COUNTS = (1, 2, 2, 3, 3, 4)


def build_training_set(
    brands: Sequence[Brand],
    out_dir: Path,
    *,
    images: int = LOGO_TRAINING_IMAGES,
    size: int = LOGO_IMAGE_SIZE,
    seed: int = 0,
    val_fraction: float = 0.2,
    backgrounds: Sequence[Path | Image.Image | np.ndarray] = (),
) -> Path:
    """Write a YOLO dataset of logos composited onto varied frames; returns its ``data.yaml``.

    Classes are the brands that have at least one logo image, in catalog order (a brand
    without a logo cannot be learned, so it is left out with a warning). ``backgrounds``
    are optional real frames (images, image files or video files, RGB arrays) mixed in
    with the synthetic ones: they must show no catalog logo, or they teach the model that
    a logo is background. The same arguments always write the same files.
    """
    logos, names = _load_logos(brands)
    real_backgrounds = _load_backgrounds(backgrounds)
    out_dir = Path(out_dir).resolve()
    val_count = min(images - 1, max(1, round(images * val_fraction))) if val_fraction > 0 else 0
    if images < 2 and val_count:
        raise ValueError("build_training_set needs at least 2 images to hold some out for validation")
    for split in ("train", "val"):
        # Ultralytics caches labels beside the folder and trusts the cache while file names and sizes match.
        (out_dir / "labels" / f"{split}.cache").unlink(missing_ok=True)
        for kind in ("images", "labels"):
            folder = out_dir / kind / split
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
    for index in range(images):
        split = "val" if index >= images - val_count else "train"
        rng = random.Random(f"{seed}:{index}")
        frame = _compose(rng, logos, names, size, real_backgrounds, negative=index % _NEGATIVE_EVERY == 1)
        _write_example(rng, frame, names, out_dir, split, f"{index:05d}")
    data_yaml = out_dir / "data.yaml"
    doc = {
        "path": str(out_dir),
        "train": "images/train",
        "val": "images/val" if val_count else "images/train",
        "names": dict(enumerate(names)),
    }
    data_yaml.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return data_yaml


def synthetic_frames(
    brands: Sequence[Brand],
    count: int,
    *,
    size: int = LOGO_IMAGE_SIZE,
    seed: int = 1,
    backgrounds: Sequence[Path | Image.Image | np.ndarray] = (),
) -> list[LabeledFrame]:
    """Frames made like the training set's, with their truth: held-out test data for a seed not trained on."""
    logos, names = _load_logos(brands)
    real_backgrounds = _load_backgrounds(backgrounds)
    frames = []
    for index in range(count):
        rng = random.Random(f"heldout:{seed}:{index}")
        frames.append(_compose(rng, logos, names, size, real_backgrounds, negative=index % _NEGATIVE_EVERY == 1))
    return frames


def _load_logos(brands: Sequence[Brand]) -> tuple[list[_Logo], list[str]]:
    logos: list[_Logo] = []
    names: list[str] = []
    for brand in brands:
        if not brand.logos:
            log.warning("brand %r has no logo image: the detector will not learn it", brand.name)
            continue
        for path in brand.logos:
            with Image.open(path) as image:
                visible = drawing.visible_part(image.convert("RGBA"))
            logos.append(_Logo(len(names), visible, drawing.silhouette(visible)))
        names.append(brand.name)
    if not names:
        raise ValueError("no brand in the catalog has a logo image: nothing to train a logo detector on")
    return logos, names


def _load_backgrounds(sources: Sequence[Path | Image.Image | np.ndarray]) -> list[Image.Image]:
    out: list[Image.Image] = []
    for source in sources:
        if isinstance(source, Image.Image):
            out.append(source.convert("RGB"))
        elif isinstance(source, np.ndarray):
            out.append(Image.fromarray(source).convert("RGB"))
        elif Path(source).suffix.lower() in {".mp4", ".mov", ".webm", ".mkv", ".avi"}:
            out.extend(_video_keyframes(Path(source)))
        else:
            with Image.open(source) as image:
                out.append(image.convert("RGB"))
    return out


def _video_keyframes(path: Path, limit: int = 8) -> list[Image.Image]:
    """A few key frames of a video (cheap to decode), as background material."""
    import av

    frames: list[Image.Image] = []
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.codec_context.skip_frame = "NONKEY"
            for frame in container.decode(stream):
                frames.append(frame.to_image())
                if len(frames) >= limit:
                    break
    except (av.error.FFmpegError, IndexError) as exc:  # a bad file is skipped: backgrounds are optional
        log.warning("cannot read background video %s: %s", path, exc)
    return frames


def _compose(
    rng: random.Random,
    logos: list[_Logo],
    names: list[str],
    size: int,
    backgrounds: list[Image.Image],
    *,
    negative: bool,
) -> LabeledFrame:
    """One frame: a background, distractors, 0-3 transformed logos, maybe an occluder, maybe blur."""
    width_part, height_part = rng.choice(_ASPECTS)
    width, height = max(32, round(size * width_part)), max(32, round(size * height_part))
    frame = drawing.background(rng, width, height, backgrounds)
    drawing.draw_distractors(rng, frame)
    _paste_silhouettes(rng, frame, logos)
    truth: list[tuple[str, Box]] = []
    placed: list[tuple[int, int, int, int]] = []
    count = 0 if negative else rng.choice(_LOGO_COUNTS)
    for _ in range(count):
        logo = rng.choice(logos)
        sticker = drawing.transformed_logo(rng, logo.image, min(width, height))
        spot = _free_spot(rng, sticker.size, (width, height), placed)
        if spot is None:
            continue
        frame.paste(sticker, spot, sticker)
        box = (spot[0], spot[1], spot[0] + sticker.width, spot[1] + sticker.height)
        placed.append(box)
        if rng.random() < 0.25:
            drawing.occlude(rng, frame, box)
        truth.append((names[logo.brand_index], (box[0] / width, box[1] / height, box[2] / width, box[3] / height)))
    if rng.random() < 0.25:
        frame = frame.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.4)))
    return LabeledFrame(frame, tuple(truth))


def _paste_silhouettes(rng: random.Random, frame: Image.Image, logos: list[_Logo]) -> None:
    """Logo-shaped, logo-coloured blobs with no detail: without them the model takes any orange disc for a logo."""
    if rng.random() < 0.5:
        return
    for _ in range(rng.randint(1, 2)):
        blob = drawing.transformed_logo(rng, rng.choice(logos).silhouette, min(frame.size))
        if blob.width <= frame.width and blob.height <= frame.height:
            frame.paste(
                blob, (rng.randint(0, frame.width - blob.width), rng.randint(0, frame.height - blob.height)), blob
            )


def _free_spot(
    rng: random.Random, sticker: tuple[int, int], frame: tuple[int, int], placed: list[tuple[int, int, int, int]]
) -> tuple[int, int] | None:
    """A top-left corner where the logo fits inside the frame and barely overlaps the others."""
    if sticker[0] > frame[0] or sticker[1] > frame[1]:
        return None
    for _ in range(20):
        x0, y0 = rng.randint(0, frame[0] - sticker[0]), rng.randint(0, frame[1] - sticker[1])
        box = (x0, y0, x0 + sticker[0], y0 + sticker[1])
        if all(iou(box, other) < 0.05 for other in placed):
            return (x0, y0)
    return None


def _write_example(
    rng: random.Random, frame: LabeledFrame, names: list[str], out_dir: Path, split: str, stem: str
) -> None:
    """The frame as a JPEG (varying quality, as video frames are compressed) and its YOLO label file."""
    frame.image.save(out_dir / "images" / split / f"{stem}.jpg", quality=rng.randint(55, 95))
    lines = []
    for brand, (x0, y0, x1, y1) in frame.truth:
        lines.append(f"{names.index(brand)} {(x0 + x1) / 2:.6f} {(y0 + y1) / 2:.6f} {x1 - x0:.6f} {y1 - y0:.6f}")
    (out_dir / "labels" / split / f"{stem}.txt").write_text(
        "\n".join(lines) + ("\n" if lines else ""), encoding="utf-8"
    )
