"""Logo detection on video frames: YOLO detection weights, loaded once, run in batches; LOGO_HITS rows.

Why it exists: logos on screen are brand mentions nobody says or writes. :class:`LogoDetector`
runs the weights :func:`.training.train_detector` wrote, or any YOLO detection weights a user
brings, and reports boxes as fractions of the frame so they hold at any frame size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from listening_pipeline.lib.boxes import Box, clipped, iou, suppressed
from listening_pipeline.lib.devices import torch_threads_kept, ultralytics_device
from listening_pipeline.lib.logos.search import LogoSearch
from listening_pipeline.lib.logos.see_through import see_through
from listening_pipeline.lib.logos.verification import DEFAULT_MIN_SCORE, LogoVerifier
from listening_pipeline.lib.logos.yolo import DEFAULT_CONFIG_DIR, offline_ultralytics


@dataclass(frozen=True)
class Detection:
    brand: str
    confidence: float
    box: Box


_NMS_IOU = 0.5  # ultralytics' 0.7 kept a second box on a rotated or occluded logo
# Measured on the sample corpus: at 0.25 a yellow sun disc passed for the orange Trailfox logo
# (precision 0.68); from 0.45 up precision and recall were both 1.0 there.
DEFAULT_CONF = 0.5
# With reference logos to verify against, the detector only proposes: a loose threshold finds the
# logos a strict one misses, and verification drops the rest (measured: eval/RESULTS.md).
PROPOSAL_CONF = 0.02
# ...and it proposes from frames larger than it was trained at, at two sizes whose proposals are pooled: small
# logos (60 px in a 640 px frame) got a box near them only so. Measured with the after-stop9 detector (6 brands):
# video-level recall 54% at its trained 256 px and conf 0.05, 77% at 320 px and conf 0.02, precision 100% both;
# at 416 px alone the partly hidden Shell was proposed and the black one on a page was not (eval/RESULTS.md).
PROPOSAL_UPSCALES = (1.25, 1.6)
# Proposals checked per frame, the detector's most confident first: each costs 10-20 ms of verification, and a
# frame of star fields or gravel yields dozens of loose proposals that are never logos. 24 before the whole-frame
# search; with it, 12, 8 and 24 found the same logos on the evaluation set (12: 593 ms/frame, 24: 847).
MAX_PROPOSALS = 12
# A logo found behind a caption is the one already found on the frame as it was when their boxes overlap this much.
_SAME_LOGO_BEHIND_CAPTION_IOU = 0.3
# A searched place is checked unless the detector proposed nearly the same box: the verifier's window is the
# box grown by 45%, and a detector's box overlapping a logo at IoU 0.5 can leave part of it outside that window.
_SAME_BOX_IOU = 0.8


class LogoDetector:
    """YOLO detection weights, loaded once, run on batches of frames.

    Works the same for weights from :func:`.training.train_detector` and for any YOLO detection
    weights a user brings: the brand names are the class names stored in the weights.
    ``imgsz=None`` runs at the size the weights were trained at (a model sees logos
    best at the scale it learned them), 320 when the weights do not say.

    ``references`` (brand -> its logo files, the catalog's): the weights only propose boxes (a loose
    ``proposal_conf``, a larger input), :class:`.search.LogoSearch` proposes the places where the files
    themselves correlate, and :class:`.verification.LogoVerifier` keeps those that match a
    reference, under the brand that matched, with the match score as confidence. Why: a detector
    trained in minutes on synthetic frames misses real logos at a strict threshold and finds dark round
    things at a loose one; the logo files know what the logos look like.
    """

    def __init__(
        self,
        weights: Path,
        device: str | None = None,
        conf: float = DEFAULT_CONF,
        imgsz: int | None = None,
        batch_size: int = 16,
        config_dir: Path = DEFAULT_CONFIG_DIR,
        references: Mapping[str, Sequence[Path]] | None = None,
        min_score: float = DEFAULT_MIN_SCORE,
        proposal_conf: float = PROPOSAL_CONF,
    ) -> None:
        offline_ultralytics(config_dir)
        from ultralytics import YOLO

        self.weights = Path(weights)
        if not self.weights.is_file():
            raise FileNotFoundError(f"logo detector weights not found: {self.weights}")
        self.model_name = f"{self.weights.name}@{_sha1_prefix(self.weights)}"
        self.device = device or ultralytics_device()
        self.conf = conf
        self.batch_size = batch_size
        self._model = YOLO(str(self.weights), task="detect")
        trained_size = self._model.overrides.get("imgsz")
        self.imgsz = imgsz or (trained_size if isinstance(trained_size, int) else 320)
        self.proposal_sizes: tuple[int, ...] = (self.imgsz,)
        if references and not imgsz:  # YOLO wants multiples of its stride
            self.proposal_sizes = tuple(dict.fromkeys(32 * round(self.imgsz * up / 32) for up in PROPOSAL_UPSCALES))
            self.imgsz = self.proposal_sizes[0]
        self.classes: tuple[str, ...] = tuple(self._model.names[i] for i in sorted(self._model.names))
        self.verifier: LogoVerifier | None = None
        self.search: LogoSearch | None = None
        if references:
            self.verifier = LogoVerifier(references, min_score=min_score)
            self.search = LogoSearch(references)
            self.conf = min(conf, proposal_conf)
            self.model_name += f"+verified@{_references_digest(references)}"

    def detect(
        self, frames: Sequence[np.ndarray | Image.Image], text_boxes: Sequence[Sequence[Box]] | None = None
    ) -> list[list[Detection]]:
        """Logos in each frame (RGB arrays or PIL images), best first; boxes as fractions of the frame.

        ``text_boxes``: per frame, the caption stage's text boxes on it: with reference logos to verify against,
        a frame with captions is also looked at with them taken off (:func:`.see_through.see_through`), and what
        is found there is added where nothing was found already. Added, not instead: a logo whose own wordmark
        the reader takes for a caption (white letters on a red badge) keeps its letters in the frame as it was.
        Without references the weights' boxes are taken as they come, and the paint where letters were passed
        for logos: on the sample corpus a badge's own word was painted out (logo recall 0.71, was 1.0) and a
        Trailfox was found where none was; so there the frames are looked at as they are.
        """
        frames = list(frames)
        if text_boxes is None or self.verifier is None:
            return self._detect(frames)
        captioned = [i for i, boxes in enumerate(text_boxes) if boxes]
        cleared: list[np.ndarray | Image.Image] = [see_through(_as_image(frames[i]), text_boxes[i]) for i in captioned]
        found = self._detect(frames + cleared)
        out, behind = found[: len(frames)], found[len(frames) :]
        for i, extra in zip(captioned, behind, strict=True):
            seen = out[i]
            added = [d for d in extra if all(iou(d.box, s.box) < _SAME_LOGO_BEHIND_CAPTION_IOU for s in seen)]
            out[i] = sorted(seen + added, key=lambda d: -d.confidence)
        return out

    def _detect(self, frames: list[np.ndarray | Image.Image]) -> list[list[Detection]]:
        out: list[list[Detection]] = []
        for start in range(0, len(frames), self.batch_size):
            chunk = [_as_yolo_input(f) for f in frames[start : start + self.batch_size]]
            found: list[list[Detection]] = [[] for _ in chunk]
            for size in self.proposal_sizes:
                with torch_threads_kept():  # ultralytics sets them to cores - 1 for the process
                    results = self._model.predict(
                        chunk,
                        conf=self.conf,
                        imgsz=size,
                        device=self.device,
                        verbose=False,
                        # One logo per spot: overlapping boxes, of any brand, are one logo seen twice.
                        iou=_NMS_IOU,
                        agnostic_nms=True,
                    )
                found = [known + self._detections(result) for known, result in zip(found, results)]
            if len(self.proposal_sizes) > 1:
                found = [_pooled(hits) for hits in found]
            if self.verifier is not None:
                found = [self._verified(frame, hits) for frame, hits in zip(chunk, found)]
            out.extend(found)
        return out

    def _verified(self, frame: np.ndarray | Image.Image, proposed: list[Detection]) -> list[Detection]:
        """The proposals, and the places the references' own search proposes, that match a reference logo,
        under the brand that matched, scored by the match."""
        assert self.verifier is not None and self.search is not None
        if isinstance(frame, np.ndarray):
            frame = frame[..., 2::-1]  # back from the BGR handed to ultralytics
        boxes = [d.box for d in proposed[:MAX_PROPOSALS]]
        boxes += [p.box for p in self.search.propose(frame) if all(iou(p.box, box) < _SAME_BOX_IOU for box in boxes)]
        matches = self.verifier.verify(frame, boxes)
        return [Detection(brand=m.brand, confidence=m.score, box=m.box) for m in matches]

    def _detections(self, result: Any) -> list[Detection]:
        boxes = result.boxes
        if boxes is None:
            return []
        found = [
            Detection(brand=self._model.names[int(cls)], confidence=float(score), box=clipped(xyxy))
            for cls, score, xyxy in zip(boxes.cls.tolist(), boxes.conf.tolist(), boxes.xyxyn.tolist())
        ]
        return sorted(found, key=lambda d: -d.confidence)


def _pooled(hits: list[Detection]) -> list[Detection]:
    """Proposals from several input sizes as one list, best first: a spot proposed twice is checked once."""
    kept = suppressed([d.box for d in hits], [d.confidence for d in hits], _NMS_IOU)
    return [hits[i] for i in kept]


def _as_image(frame: np.ndarray | Image.Image) -> Image.Image:
    return frame if isinstance(frame, Image.Image) else Image.fromarray(frame)


def _as_yolo_input(frame: np.ndarray | Image.Image) -> np.ndarray | Image.Image:
    """Ultralytics reads arrays as OpenCV BGR; our frames are RGB, so arrays are flipped (PIL is handled by it)."""
    if isinstance(frame, Image.Image):
        return frame.convert("RGB")
    if frame.ndim == 2:
        frame = np.stack([frame] * 3, axis=-1)
    return np.ascontiguousarray(frame[..., 2::-1])


def _references_digest(references: Mapping[str, Sequence[Path]], length: int = 8) -> str:
    """Which reference images verified the hits: brand names and file contents."""
    digest = hashlib.sha1()
    for brand, paths in sorted(references.items()):
        digest.update(brand.encode("utf-8") + b"\0")
        for path in paths:
            digest.update(_sha1_prefix(Path(path)).encode())
    return digest.hexdigest()[:length]


def _sha1_prefix(path: Path, length: int = 12) -> str:
    digest = hashlib.sha1()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:length]


def hit_rows(
    frames: Sequence[Any], detections: Sequence[Sequence[Detection]], model: str, **key: Any
) -> list[dict[str, Any]]:
    """LOGO_HITS rows of one video: one per brand per kept frame (its best box); ``key``: hashtag, day, video_id.

    ``visible_until_s`` is the next kept frame's time (the video's last frame: its own span's end): the frames
    between two kept frames are not looked at, and taking the logo to stay until the picture is next sampled
    measured 69.0 of the sample corpus's 74.5 planted logo seconds, against 43.1 with the frame's ``t_until_s``.
    """
    frames = list(frames)
    rows: dict[tuple[str, float], dict[str, Any]] = {}
    for i, (frame, found) in enumerate(zip(frames, detections)):
        visible_until = max(frames[i + 1].t_s, frame.t_until_s) if i + 1 < len(frames) else frame.t_until_s
        for hit in found:
            x0, y0, x1, y1 = hit.box
            row = {
                **key,
                "brand": hit.brand,
                "confidence": hit.confidence,
                "t_s": frame.t_s,
                "t_until_s": frame.t_until_s,
                "visible_until_s": visible_until,
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
