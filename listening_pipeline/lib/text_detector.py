"""EasyOCR's text detector (CRAFT) in 8-bit integers, run by ONNX Runtime on CPU.

Why it exists: text detection is most of the pipeline's CPU time (a VGG16 U-Net over every kept
frame). Where the CPU has 8-bit dot-product instructions (AVX-512 VNNI, AVX-VNNI, AMX), the same
network with int8 weights and activations ran a 384x640 canvas in 0.11 s on 2 cores of an AMD EPYC,
against 0.23 s in bfloat16 and 0.53 s in float32 (PyTorch), with score maps within 0.05 of
float32's (thresholds are 0.4 and 0.7) and correlated at 0.998.

The int8 network is derived from the EasyOCR weights on this machine, never downloaded: exported to
ONNX, then quantized with activation ranges measured on :func:`calibration_frames`, real photos that
ship inside scikit-image (an EasyOCR dependency) with caption-style text drawn over them at sizes
from small print to titles. It is built once (15 s here) and kept in a cache folder under
a name that hashes everything it was made from (weights, calibration, library versions), so a
changed input builds a new one and a half-written file is never read.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import logging
import os
import random
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

log = logging.getLogger(__name__)

# Bump when the calibration frames or the quantization settings change: the cached network is rebuilt.
CALIBRATION_VERSION = 1
# flock locks belong to open files: two threads of one process opening the lock file each get their own, so
# threads also take this lock first.
_THREAD_LOCK = threading.Lock()
# The detection canvas of the calibration frames (the reader's detect_side): their long side.
CALIBRATION_SIDE = 640

# Photos bundled in scikit-image's wheel (no download): people, animals, objects, textures, a page of text.
_PHOTOS = (
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "camera",
    "coins",
    "brick",
    "grass",
    "gravel",
    "horse",
    "page",
    "text",
    "immunohistochemistry",
    "hubble_deep_field",
    "retina",
    "moon",
    "clock",
    "cell",
)
_WORDS = (
    "summer sale",
    "NEW drop",
    "link in bio",
    "Only 2.99",
    "follow for more",
    "best coffee ever",
    "day 3 of 30",
    "ingredients: water, sugar",
    "LIMITED EDITION",
    "wait for it",
    "ad",
    "#fyp",
)


class Int8TextDetector:
    """Called as EasyOCR calls its detector, ``net(x) -> (scores, features)``; only the scores are used by it.

    ``threads``: ONNX Runtime's intra-op threads (the reader passes torch's, so both libraries share the cores).
    """

    def __init__(self, onnx_file: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Its threads would otherwise spin after each frame, on the cores torch's recognizer needs next (the
        # recognizer ran 2x slower with them spinning).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.file = onnx_file
        self._session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])

    def __call__(self, x: Any) -> tuple[Any, None]:
        import torch

        (scores,) = self._session.run(["scores"], {"image": x.detach().cpu().numpy().astype(np.float32, copy=False)})
        return torch.from_numpy(scores), None


def int8_detector_file(net: Any, weights: str, cache_dir: Path | None = None) -> Path:
    """The int8 network derived from ``net``: built into the cache if missing.

    ``weights`` names the float weights ``net`` was loaded from (their checksum: EasyOCR verifies it at load).
    """
    from listening_pipeline.lib.weights import model_cache_dir

    folder = cache_dir or model_cache_dir()
    target = folder / f"craft-int8-{_build_key(weights)}.onnx"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    # The first backfill on a machine starts several OCR steps at once: one builds, the others wait for it.
    with _exclusive(folder / f".{target.name}.lock"):
        if target.is_file():
            return target
        log.info("building the int8 text detector into %s (once per machine, about 15 s)", target)
        with tempfile.TemporaryDirectory(dir=folder, prefix=".building-") as work:
            exported = Path(work) / "craft-fp32.onnx"
            _export(net, exported)
            quantized = Path(work) / target.name
            _quantize(exported, quantized)
            os.replace(quantized, target)  # atomic: a reader without the lock never sees half a file
    return target


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """An exclusive lock across processes (and threads) of this machine, held while the block runs."""
    with _THREAD_LOCK, lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_key(weights: str) -> str:
    digest = hashlib.sha256(weights.encode())
    for package in ("torch", "onnx", "onnxruntime", "scikit-image"):
        digest.update(f"{package}={importlib.metadata.version(package)}".encode())
    digest.update(f"calibration={CALIBRATION_VERSION}:{CALIBRATION_SIDE}".encode())
    return digest.hexdigest()[:16]


def _export(net: Any, path: Path) -> None:
    import torch

    class ScoresOnly(torch.nn.Module):
        """CRAFT returns (scores, features); EasyOCR reads only the scores."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: Any) -> Any:
            return self.inner(x)[0]

    net.to(memory_format=torch.contiguous_format)  # channels-last weights (the CPU float path) export as transposes
    model = ScoresOnly(net).eval()
    example = torch.from_numpy(_network_input(calibration_frames()[0]))
    with torch.no_grad():
        torch.onnx.export(
            model,
            (example,),
            str(path),
            input_names=["image"],
            output_names=["scores"],
            dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}, "scores": {0: "batch", 1: "rows", 2: "cols"}},
            opset_version=17,
            dynamo=False,
        )


def _quantize(exported: Path, path: Path) -> None:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Frames(CalibrationDataReader):
        def __init__(self) -> None:
            self._inputs = iter([_network_input(frame) for frame in calibration_frames()])

        def get_next(self) -> dict[str, np.ndarray] | None:
            x = next(self._inputs, None)
            return None if x is None else {"image": x}

    prepared = exported.with_name("craft-prepared.onnx")
    quant_pre_process(str(exported), str(prepared))
    quantize_static(
        str(prepared),
        str(path),
        Frames(),
        quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        per_channel=True,
    )


def _network_input(frame: np.ndarray) -> np.ndarray:
    """A frame prepared exactly as EasyOCR prepares a detection canvas (resize to a multiple of 32, normalise)."""
    from easyocr.imgproc import normalizeMeanVariance, resize_aspect_ratio

    resized, _, _ = resize_aspect_ratio(frame, CALIBRATION_SIDE, interpolation=1, mag_ratio=1.0)
    return np.ascontiguousarray(np.transpose(normalizeMeanVariance(resized), (2, 0, 1))[None]).astype(np.float32)


@lru_cache(maxsize=1)
def calibration_frames() -> list[np.ndarray]:
    """Portrait and landscape frames (long side :data:`CALIBRATION_SIDE`) of real photos with text drawn on them.

    Deterministic: the same frames on every machine, so the same weights quantize the same way.
    """
    from skimage import data

    from listening_pipeline.lib.sample_data.drawing import load_font

    rng = random.Random(CALIBRATION_VERSION)
    frames = []
    for index, name in enumerate(_PHOTOS):
        photo = Image.fromarray(getattr(data, name)()).convert("RGB")
        size = (360, 640) if index % 3 else (640, 360)
        frame = _cover(photo, size)
        draw = ImageDraw.Draw(frame)
        for _ in range(rng.randint(1, 4)):
            text = rng.choice(_WORDS)
            font = load_font(rng.choice((9, 11, 14, 18, 24, 32, 44)))
            x = rng.randint(0, size[0] // 3)
            y = rng.randint(0, size[1] - 60)
            style = rng.randrange(3)
            if style == 0:  # white with a dark outline, as phone apps write captions
                draw.text((x, y), text, font=font, fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0))
            elif style == 1:  # dark text on a light panel
                left, top, right, bottom = draw.textbbox((x, y), text, font=font)
                draw.rectangle((left - 6, top - 4, right + 6, bottom + 4), fill=(245, 245, 240))
                draw.text((x, y), text, font=font, fill=(20, 20, 20))
            else:  # coloured text straight on the photo
                draw.text((x, y), text, font=font, fill=tuple(rng.randrange(256) for _ in range(3)))
        frames.append(np.asarray(frame))
    return frames


def _cover(photo: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``photo`` scaled to cover ``size`` and centre-cropped to it."""
    scale = max(size[0] / photo.width, size[1] / photo.height)
    scaled = photo.resize((max(size[0], round(photo.width * scale)), max(size[1], round(photo.height * scale))))
    left = (scaled.width - size[0]) // 2
    top = (scaled.height - size[1]) // 2
    return scaled.crop((left, top, left + size[0], top + size[1]))
