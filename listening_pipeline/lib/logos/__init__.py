"""Brand-logo detection with a small YOLO model the project trains itself, offline.

Why it exists: no pretrained brand-logo weights can be had offline, and a catalog's
brands are its own. So the detector is trained from the catalog's logo images: each logo
is pasted, transformed, onto many synthetic backgrounds (:func:`build_training_set`), a
small YOLO is trained from its yaml definition (:func:`train_detector`), and
:class:`LogoDetector` runs the weights, or any user-supplied YOLO detection weights, on
video frames. Nothing here imports Dagster.

Ultralytics reaches the network unless told not to (a DNS probe on import, font
downloads in dataset checks, usage events, an AMP check model). :func:`offline_ultralytics`
turns all of that off; every entry point here calls it before ultralytics is imported.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import math
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np
import yaml
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageStat

if TYPE_CHECKING:
    import ultralytics.engine.results

    from listening_pipeline.catalog import Brand

from listening_pipeline.lib import weights

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]
"""(x0, y0, x1, y1) as fractions of the frame's width and height."""

# Where ultralytics keeps its settings and font when a caller names no folder: per user, outside the repository.
DEFAULT_CONFIG_DIR = (
    Path(tempfile.gettempdir()) / f"listening_pipeline-{os.getuid() if hasattr(os, 'getuid') else 'user'}" / "yolo"
)

# Demo training settings, measured with bench/train_logo_detector.py on 2 CPU cores (6 brands):
# 240 frames at 256 px, 20 epochs, batch 8 train in about 4.5 minutes to validation mAP50 0.95.
# Batch 8 with one optimizer step per batch learned about twice as fast per epoch as batch 16.
DEMO_IMAGES = weights.LOGO_TRAINING_IMAGES
DEMO_IMGSZ = weights.LOGO_IMAGE_SIZE
DEMO_EPOCHS = weights.LOGO_TRAINING_EPOCHS
DEMO_BATCH = weights.LOGO_TRAINING_BATCH

# Ultralytics settings that would send data somewhere or load a logging integration.
_QUIET_SETTINGS = {
    "sync": False,
    "clearml": False,
    "comet": False,
    "dvc": False,
    "mlflow": False,
    "raytune": False,
    "tensorboard": False,
    "wandb": False,
}


# ---------------------------------------------------------------------------------------------
# Keeping ultralytics off the network
# ---------------------------------------------------------------------------------------------


def offline_ultralytics(config_dir: Path = DEFAULT_CONFIG_DIR) -> Path:
    """Make ultralytics work with no network; returns the settings folder it uses.

    Why each switch: ``YOLO_OFFLINE`` stops the DNS probe made on import,
    ``YOLO_AUTOINSTALL=0`` stops pip installs, settings ``sync=False`` stops usage events,
    and a font named ``Arial.ttf`` (and ``Arial.Unicode.ttf``, for non-ASCII class names
    such as "Café Brisa") in the settings folder stops the dataset check from fetching one.
    Call it before the first ``import ultralytics``: once imported, ultralytics keeps the
    settings folder it started with (this function then uses that one and says so).
    """
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_AUTOINSTALL"] = "0"
    already_imported = "ultralytics" in sys.modules
    if not already_imported:
        os.environ["YOLO_CONFIG_DIR"] = str(Path(config_dir).resolve())
    import ultralytics.utils as yolo_utils
    import ultralytics.utils.checks as yolo_checks

    folder = Path(yolo_utils.USER_CONFIG_DIR)
    if already_imported and folder.parent != Path(config_dir).resolve():
        log.info("ultralytics was imported before offline_ultralytics(); it keeps its settings in %s", folder)
    yolo_checks.AUTOINSTALL = False  # read at import time: covers an import that came first
    _place_fonts(folder)
    changed = {key: value for key, value in _QUIET_SETTINGS.items() if yolo_utils.SETTINGS.get(key) != value}
    if changed:
        yolo_utils.SETTINGS.update(changed)
    return folder


def _place_fonts(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    font = bundled_font()
    if font is None:
        log.warning("no TTF font found in installed packages: ultralytics may try to download Arial.ttf")
        return
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        target = folder / name
        if not target.exists():
            shutil.copyfile(font, target)


def bundled_font() -> Path | None:
    """A TTF that ships with an installed package (matplotlib's DejaVu Sans), found without importing it."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.origin:
        return None
    font = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    return font if font.is_file() else None


# ---------------------------------------------------------------------------------------------
# Synthetic training frames
# ---------------------------------------------------------------------------------------------


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
    images: int = DEMO_IMAGES,
    size: int = DEMO_IMGSZ,
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
    size: int = DEMO_IMGSZ,
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
                visible = _visible_part(image.convert("RGBA"))
            logos.append(_Logo(len(names), visible, _silhouette(visible)))
        names.append(brand.name)
    if not names:
        raise ValueError("no brand in the catalog has a logo image: nothing to train a logo detector on")
    return logos, names


def _visible_part(image: Image.Image) -> Image.Image:
    """The logo cropped to its non-transparent pixels, so its label box is the logo, not its padding."""
    box = image.getchannel("A").point(lambda a: 255 if a > 32 else 0).getbbox()
    return image.crop(box) if box else image


def _silhouette(logo: Image.Image) -> Image.Image:
    """The logo's outline filled with its median colour: what a logo-coloured blob (a sun, a cup) looks like."""
    alpha = logo.getchannel("A")
    colour = tuple(
        round(v) for v in ImageStat.Stat(logo.convert("RGB"), mask=alpha.point(lambda a: 255 if a > 128 else 0)).median
    )
    flat = Image.new("RGBA", logo.size, colour + (255,))
    flat.putalpha(alpha)
    return flat


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
    frame = _background(rng, width, height, backgrounds)
    _draw_distractors(rng, frame)
    _paste_silhouettes(rng, frame, logos)
    truth: list[tuple[str, Box]] = []
    placed: list[tuple[int, int, int, int]] = []
    count = 0 if negative else rng.choice(_LOGO_COUNTS)
    for _ in range(count):
        logo = rng.choice(logos)
        sticker = _transformed_logo(rng, logo.image, min(width, height))
        spot = _free_spot(rng, sticker.size, (width, height), placed)
        if spot is None:
            continue
        frame.paste(sticker, spot, sticker)
        box = (spot[0], spot[1], spot[0] + sticker.width, spot[1] + sticker.height)
        placed.append(box)
        if rng.random() < 0.25:
            _occlude(rng, frame, box)
        truth.append((names[logo.brand_index], (box[0] / width, box[1] / height, box[2] / width, box[3] / height)))
    if rng.random() < 0.25:
        frame = frame.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.4)))
    return LabeledFrame(frame, tuple(truth))


def _background(rng: random.Random, width: int, height: int, backgrounds: list[Image.Image]) -> Image.Image:
    kind = rng.random()
    if backgrounds and kind < 0.4:
        return _crop_to(rng.choice(backgrounds), width, height, rng)
    if kind < 0.55:
        return _gradient(rng, width, height)
    if kind < 0.8:
        return _smooth_noise(rng, width, height)
    return Image.new("RGB", (width, height), _random_colour(rng))


def _crop_to(image: Image.Image, width: int, height: int, rng: random.Random) -> Image.Image:
    scale = max(width / image.width, height / image.height) * rng.uniform(1.0, 1.5)
    resized = image.resize((max(width, round(image.width * scale)), max(height, round(image.height * scale))))
    x0 = rng.randint(0, resized.width - width)
    y0 = rng.randint(0, resized.height - height)
    return resized.crop((x0, y0, x0 + width, y0 + height))


def _gradient(rng: random.Random, width: int, height: int) -> Image.Image:
    start, end = np.array(_random_colour(rng), np.float32), np.array(_random_colour(rng), np.float32)
    angle = rng.uniform(0, math.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = xs / width * math.cos(angle) + ys / height * math.sin(angle)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    pixels = start * (1 - ramp[..., None]) + end * ramp[..., None]
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def _smooth_noise(rng: random.Random, width: int, height: int) -> Image.Image:
    """Blotchy colour noise: coarse random cells scaled up, like out-of-focus scenery."""
    cells = np.random.default_rng(rng.getrandbits(32)).integers(
        0, 256, (rng.randint(2, 12), rng.randint(2, 12), 3), np.uint8
    )
    image = Image.fromarray(cells, "RGB").resize((width, height), Image.Resampling.BICUBIC)
    fine = np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(0, 18), (height, width, 3))
    return Image.fromarray(np.clip(np.asarray(image, np.float32) + fine, 0, 255).astype(np.uint8), "RGB")


def _random_colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))


def _draw_distractors(rng: random.Random, frame: Image.Image) -> None:
    """Shapes and caption-like text that are not logos, so the model learns the logos themselves."""
    draw = ImageDraw.Draw(frame, "RGBA")
    width, height = frame.size
    for _ in range(rng.randint(1, 5)):
        side = rng.uniform(0.08, 0.4) * min(width, height)
        x0, y0 = rng.uniform(-side / 2, width - side / 2), rng.uniform(-side / 2, height - side / 2)
        fill = _random_colour(rng) + (rng.randint(120, 255),)
        shape = rng.choice(("ellipse", "rectangle", "triangle", "diamond"))
        if shape == "ellipse":
            draw.ellipse((x0, y0, x0 + side, y0 + side * rng.uniform(0.6, 1.4)), fill=fill)
        elif shape == "rectangle":
            draw.rounded_rectangle(
                (x0, y0, x0 + side * rng.uniform(0.6, 1.6), y0 + side), radius=side * 0.15, fill=fill
            )
        elif shape == "triangle":
            draw.polygon([(x0 + side / 2, y0), (x0 + side, y0 + side), (x0, y0 + side)], fill=fill)
        else:
            draw.polygon(
                [(x0 + side / 2, y0), (x0 + side, y0 + side / 2), (x0 + side / 2, y0 + side), (x0, y0 + side / 2)],
                fill=fill,
            )
    if rng.random() < 0.5:
        _draw_caption(rng, draw, width, height)


def _paste_silhouettes(rng: random.Random, frame: Image.Image, logos: list[_Logo]) -> None:
    """Logo-shaped, logo-coloured blobs with no detail: without them the model takes any orange disc for a logo."""
    if rng.random() < 0.5:
        return
    for _ in range(rng.randint(1, 2)):
        blob = _transformed_logo(rng, rng.choice(logos).silhouette, min(frame.size))
        if blob.width <= frame.width and blob.height <= frame.height:
            frame.paste(
                blob, (rng.randint(0, frame.width - blob.width), rng.randint(0, frame.height - blob.height)), blob
            )


def _draw_caption(rng: random.Random, draw: ImageDraw.ImageDraw, width: int, height: int) -> None:
    letters = "ABCDEFGHIJKLMNOPRSTUVWYZabcdefghijklmnoprstuvwyz"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 8))) for _ in range(rng.randint(1, 4))]
    font = _font(max(8, round(min(width, height) * rng.uniform(0.05, 0.1))))
    text = " ".join(words)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = rng.uniform(0, max(1.0, width - (right - left)))
    y = rng.uniform(0, max(1.0, height - (bottom - top)))
    if rng.random() < 0.6:
        draw.rounded_rectangle(
            (x - 6, y - 4, x + right - left + 6, y + bottom - top + 8), radius=6, fill=(0, 0, 0, 170)
        )
    draw.text(
        (x - left, y - top), text, font=font, fill=(255, 255, 255, 255), stroke_width=1, stroke_fill=(0, 0, 0, 255)
    )


_FONTS: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}


def _font(pixels: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if pixels not in _FONTS:
        path = bundled_font()
        _FONTS[pixels] = ImageFont.truetype(str(path), pixels) if path else ImageFont.load_default(pixels)
    return _FONTS[pixels]


def _transformed_logo(rng: random.Random, logo: Image.Image, frame_short_side: int) -> Image.Image:
    """The logo resized, squeezed a little, recoloured and rotated, cropped to its visible pixels."""
    long_side = max(12, round(frame_short_side * rng.uniform(0.14, 0.55)))
    squeeze = rng.uniform(0.85, 1.15)
    scale = long_side / max(logo.size)
    sticker = logo.resize(
        (max(6, round(logo.width * scale * squeeze)), max(6, round(logo.height * scale / squeeze))),
        Image.Resampling.LANCZOS,
    )
    rgb, alpha = sticker.convert("RGB"), sticker.getchannel("A")
    rgb = ImageEnhance.Brightness(rgb).enhance(rng.uniform(0.7, 1.3))
    rgb = ImageEnhance.Contrast(rgb).enhance(rng.uniform(0.7, 1.3))
    rgb = ImageEnhance.Color(rgb).enhance(rng.uniform(0.6, 1.3))
    if rng.random() < 0.2:  # semi-transparent, as watermarks and overlays are
        alpha = alpha.point(lambda a, k=rng.uniform(0.65, 0.9): round(a * k))
    sticker = Image.merge("RGBA", (*rgb.split(), alpha))
    if rng.random() < 0.6:
        sticker = sticker.rotate(rng.uniform(-25, 25), resample=Image.Resampling.BICUBIC, expand=True)
    return _visible_part(sticker)


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


def _occlude(rng: random.Random, frame: Image.Image, box: tuple[int, int, int, int]) -> None:
    """Cover up to about a third of a logo with a shape, as hands, cups and captions do."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cw, ch = w * rng.uniform(0.25, 0.55), h * rng.uniform(0.25, 0.55)
    corner_x = x0 - cw * 0.3 if rng.random() < 0.5 else x1 - cw * 0.7
    corner_y = y0 - ch * 0.3 if rng.random() < 0.5 else y1 - ch * 0.7
    draw = ImageDraw.Draw(frame)
    shape = (corner_x, corner_y, corner_x + cw, corner_y + ch)
    (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(shape, fill=_random_colour(rng))


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


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainedDetector:
    """Weights written by :func:`train_detector` and how they scored on the validation split."""

    weights: Path
    precision: float
    recall: float
    map50: float
    classes: tuple[str, ...]
    seconds: float


def train_detector(
    data_yaml: Path,
    out_dir: Path,
    *,
    model_yaml: str = "yolo11n.yaml",
    epochs: int = DEMO_EPOCHS,
    imgsz: int = DEMO_IMGSZ,
    batch: int = DEMO_BATCH,
    device: str | None = None,
    seed: int = 0,
    config_dir: Path = DEFAULT_CONFIG_DIR,
) -> TrainedDetector:
    """Train a YOLO from its architecture yaml (no pretrained weights) and score it on the val split.

    Why these fixed arguments: ``pretrained=False`` and a yaml model mean nothing is
    downloaded; ``amp=False`` skips the AMP check, which loads a hub model; ``plots=False``
    draws nothing; ``workers=0`` keeps data loading in this process (no forked workers
    fighting for a few cores). The weights are copied to ``out_dir/logos-<model>.pt`` so
    their file name says what they are.
    """
    offline_ultralytics(config_dir)
    from ultralytics import YOLO

    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    model = YOLO(model_yaml)
    with _process_state_kept():
        model.train(
            data=str(Path(data_yaml).resolve()),
            epochs=epochs,
            imgsz=imgsz,
            batch=batch,
            device=device or _best_device(),
            seed=seed,
            deterministic=True,
            pretrained=False,
            amp=False,
            plots=False,
            val=True,
            workers=0,
            project=str(out_dir),
            name="run",
            exist_ok=True,
            verbose=False,
            nbs=batch,  # one optimizer step per batch: the default (64) leaves a short run too few steps to learn
            warmup_epochs=min(3.0, max(0.0, epochs / 10)),
            close_mosaic=min(10, epochs // 4),
        )
    seconds = time.perf_counter() - started
    trainer = model.trainer
    best = trainer.best if trainer.best.exists() else trainer.last
    weights = out_dir / f"logos-{Path(model_yaml).stem}.pt"
    shutil.copyfile(best, weights)
    metrics = trainer.metrics or {}
    return TrainedDetector(
        weights=weights,
        precision=float(metrics.get("metrics/precision(B)", 0.0)),
        recall=float(metrics.get("metrics/recall(B)", 0.0)),
        map50=float(metrics.get("metrics/mAP50(B)", 0.0)),
        classes=tuple(trainer.data["names"].values()),
        seconds=seconds,
    )


@contextlib.contextmanager
def _process_state_kept() -> Iterator[None]:
    """Undo what training does to the whole process: reseeded global RNGs, deterministic torch.

    Why: training runs inside long-lived processes (a code server, a test session) whose
    other work should not become deterministic-only or replay the same random numbers.
    """
    import torch

    python_state, numpy_state, torch_state = random.getstate(), np.random.get_state(), torch.get_rng_state()
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    cudnn_deterministic = torch.backends.cudnn.deterministic
    env = {name: os.environ.get(name) for name in ("CUBLAS_WORKSPACE_CONFIG", "PYTHONHASHSEED")}
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        torch.set_rng_state(torch_state)
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.backends.cudnn.deterministic = cudnn_deterministic
        for name, value in env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _best_device() -> str:
    import torch

    return "0" if torch.cuda.is_available() else "cpu"


# ---------------------------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detection:
    brand: str
    confidence: float
    box: Box


_NMS_IOU = 0.5  # ultralytics' 0.7 kept a second box on a rotated or occluded logo
# Measured on the sample corpus: at 0.25 a yellow sun disc passed for the orange Trailfox logo
# (precision 0.68); from 0.45 up precision and recall were both 1.0 there.
DEFAULT_CONF = 0.5


class LogoDetector:
    """YOLO detection weights, loaded once, run on batches of frames.

    Works the same for weights from :func:`train_detector` and for any YOLO detection
    weights a user brings: the brand names are the class names stored in the weights.
    ``imgsz=None`` runs at the size the weights were trained at (a model sees logos
    best at the scale it learned them), 320 when the weights do not say.
    """

    def __init__(
        self,
        weights: Path,
        device: str | None = None,
        conf: float = DEFAULT_CONF,
        imgsz: int | None = None,
        batch_size: int = 16,
        config_dir: Path = DEFAULT_CONFIG_DIR,
    ) -> None:
        offline_ultralytics(config_dir)
        from ultralytics import YOLO

        self.weights = Path(weights)
        if not self.weights.is_file():
            raise FileNotFoundError(f"logo detector weights not found: {self.weights}")
        self.model_name = f"{self.weights.name}@{_sha1_prefix(self.weights)}"
        self.device = device or _best_device()
        self.conf = conf
        self.batch_size = batch_size
        self._model = YOLO(str(self.weights), task="detect")
        trained_size = self._model.overrides.get("imgsz")
        self.imgsz = imgsz or (trained_size if isinstance(trained_size, int) else 320)
        self.classes: tuple[str, ...] = tuple(self._model.names[i] for i in sorted(self._model.names))

    def detect(self, frames: Sequence[np.ndarray | Image.Image]) -> list[list[Detection]]:
        """Logos in each frame (RGB arrays or PIL images), best first; boxes as fractions of the frame."""
        frames = list(frames)
        out: list[list[Detection]] = []
        for start in range(0, len(frames), self.batch_size):
            chunk = [_as_yolo_input(f) for f in frames[start : start + self.batch_size]]
            results = self._model.predict(
                chunk,
                conf=self.conf,
                imgsz=self.imgsz,
                device=self.device,
                verbose=False,
                # One logo per spot: overlapping boxes, of any brand, are one logo seen twice.
                iou=_NMS_IOU,
                agnostic_nms=True,
            )
            out.extend(self._detections(result) for result in results)
        return out

    def _detections(self, result: ultralytics.engine.results.Results) -> list[Detection]:
        boxes = result.boxes
        found = [
            Detection(brand=self._model.names[int(cls)], confidence=float(score), box=_clipped(xyxy))
            for cls, score, xyxy in zip(boxes.cls.tolist(), boxes.conf.tolist(), boxes.xyxyn.tolist())
        ]
        return sorted(found, key=lambda d: -d.confidence)


def _clipped(xyxy: Sequence[float]) -> Box:
    x0, y0, x1, y1 = (min(1.0, max(0.0, float(v))) for v in xyxy)
    return (x0, y0, x1, y1)


def _as_yolo_input(frame: np.ndarray | Image.Image) -> np.ndarray | Image.Image:
    """Ultralytics reads arrays as OpenCV BGR; our frames are RGB, so arrays are flipped (PIL is handled by it)."""
    if isinstance(frame, Image.Image):
        return frame.convert("RGB")
    if frame.ndim == 2:
        frame = np.stack([frame] * 3, axis=-1)
    return np.ascontiguousarray(frame[..., 2::-1])


def _sha1_prefix(path: Path, length: int = 12) -> str:
    digest = hashlib.sha1()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:length]


# ---------------------------------------------------------------------------------------------
# Scoring against ground truth
# ---------------------------------------------------------------------------------------------


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes in the same units."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


class FrameDetector(Protocol):
    """Anything with :meth:`LogoDetector.detect`'s shape, so scoring does not depend on YOLO."""

    def detect(self, frames: Sequence[np.ndarray | Image.Image]) -> list[list[Detection]]: ...


def evaluate_detector(
    detector: FrameDetector,
    images_with_truth: Iterable[tuple[np.ndarray | Image.Image, Sequence[tuple[str, Box]]]],
    *,
    min_iou: float = 0.5,
) -> tuple[float, float]:
    """(precision, recall) of the detector's logos against true ``(brand, box)`` lists, boxes as fractions.

    A detection counts when it names the right brand and overlaps a not-yet-matched true
    box by IoU >= ``min_iou`` (most confident detections match first). With nothing
    predicted, precision is 1 only if nothing was there; with nothing there, recall is 1.
    """
    pairs = list(images_with_truth)
    predictions = detector.detect([image for image, _ in pairs])
    matched = predicted = expected = 0
    for found, (_, truth) in zip(predictions, pairs):
        predicted += len(found)
        expected += len(truth)
        matched += _matches(found, truth, min_iou)
    precision = matched / predicted if predicted else float(expected == 0)
    recall = matched / expected if expected else 1.0
    return precision, recall


def _matches(found: Sequence[Detection], truth: Sequence[tuple[str, Box]], min_iou: float) -> int:
    unmatched = list(truth)
    count = 0
    for detection in sorted(found, key=lambda d: -d.confidence):
        best = max(
            (t for t in unmatched if t[0] == detection.brand),
            key=lambda t: iou(detection.box, t[1]),
            default=None,
        )
        if best is not None and iou(detection.box, best[1]) >= min_iou:
            unmatched.remove(best)
            count += 1
    return count


def hit_rows(
    frames: Sequence[Any], detections: Sequence[Sequence[Detection]], model: str, **key: Any
) -> list[dict[str, Any]]:
    """LOGO_HITS rows of one video: one per brand per kept frame (the best box); ``key`` holds hashtag, day, video_id."""
    rows: dict[tuple[str, float], dict[str, Any]] = {}
    for frame, found in zip(frames, detections):
        for hit in found:
            x0, y0, x1, y1 = hit.box
            row = {
                **key,
                "brand": hit.brand,
                "confidence": hit.confidence,
                "t_s": frame.t_s,
                "t_until_s": frame.t_until_s,
                "box_x0": x0,
                "box_y0": y0,
                "box_x1": x1,
                "box_y1": y1,
                "model": model,
            }
            best = rows.get((hit.brand, frame.t_s))
            if best is None or hit.confidence > best["confidence"]:
                rows[(hit.brand, frame.t_s)] = row
    return list(rows.values())
