"""Frames of a decoded video: grey thumbnails, difference hashes, the near-duplicate test and the sampler.

Frame sampling. Every decoded frame gets a small grey thumbnail (long side 160 px, from
the luma plane, no RGB conversion) and a 64-bit difference hash (dHash). A frame becomes
a *candidate* when

* the time grid reaches it (every ``frame_interval_s``, widened for long videos so the
  grid fits in ``max_frames_kept``), or
* the picture jumps (it is not a near-duplicate of the previous decoded frame) and then
  holds still for ``change_settle_s`` (later frames stay near-duplicates of it): a caption
  popping in or a hard cut, caught at its first frame rather than at the next grid point.
  Motion does not hold still and so adds no candidates; none comes sooner than
  ``min_change_gap_s`` after the last kept frame.

A candidate that is a near-duplicate of the last kept frame is dropped; otherwise it is
kept, downscaled to ``max_side_px``. Each kept frame's ``t_until_s`` is the time of the
last decoded frame that was still a near-duplicate of it, so a caption on screen for 10 s
over a still picture is read once and keeps its first and last seen times to within a
decoded frame. Over a moving picture every grid frame differs, so a caption's times are
known to within the grid step (OCR merges its readings across kept frames).

Near-duplicate means: dHash Hamming distance <= ``hash_threshold`` **and** no 8x8 block of
the thumbnails differs by more than ``block_threshold`` grey levels on average. The
second test is needed because a whole-frame dHash does not see captions: swapping one
caption line for another on a 720x1280 frame changed 0-2 bits of a 64- or 256-bit dHash,
no more than JPEG noise. Measured on H.264 clips: a caption swap or pop-in moved the
largest block by 23-38 grey levels (text 10-32 px high on 640), encoder noise by at most
4 (crf 45), hence the default threshold of 10.

The decoder (:mod:`listening_pipeline.lib.media.decode`) feeds every decoded frame to a
:class:`FrameSampler`; OCR uses the same signatures to read a frame once however often it recurs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import av
import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from listening_pipeline.lib.media.decode import DecodeLimits

THUMB_SIDE = 160
"""Long side, in pixels, of the grey thumbnails frames are compared on."""

BLOCK = 8
"""Side, in thumbnail pixels, of the blocks compared (1/20 of the long side: 64 px on 1280)."""

HASH_SIZE = 8
"""dHash grid: 8x8 gradients, a 64-bit hash written as 16 hex digits."""


@dataclass
class KeptFrame:
    """One kept frame; it stands for every near-identical frame from ``t_s`` to ``t_until_s``."""

    image: Image.Image  # RGB, long side at most DecodeLimits.max_side_px
    t_s: float
    t_until_s: float
    dhash_hex: str


# ---------------------------------------------------------------------------------------------
# Frame signatures: thumbnail, dHash, near-duplicate test
# ---------------------------------------------------------------------------------------------


def grey_thumbnail(grey: Image.Image) -> np.ndarray:
    """A box-filtered thumbnail (long side THUMB_SIDE) of a grey image, as int16 for differencing."""
    scale = THUMB_SIDE / max(grey.size)
    size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
    # reducing_gap: integer pre-reduction first, a third of the cost of a plain box resize.
    return np.asarray(grey.resize(size, Image.Resampling.BOX, reducing_gap=1.0), dtype=np.int16)


def image_thumbnail(image: Image.Image) -> np.ndarray:
    """The thumbnail of an RGB image, comparable to those made from decoded luma planes."""
    return grey_thumbnail(image.convert("L"))


def dhash(thumbnail: np.ndarray) -> int:
    """64-bit difference hash: is each cell brighter than its right neighbour, on a 9x8 grid."""
    grid = Image.fromarray(thumbnail.astype(np.uint8)).resize((HASH_SIZE + 1, HASH_SIZE), Image.Resampling.BOX)
    cells = np.asarray(grid, dtype=np.int16)
    bits = (cells[:, :-1] > cells[:, 1:]).ravel()
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def hash_hex(value: int) -> str:
    return f"{value:0{HASH_SIZE * HASH_SIZE // 4}x}"


def largest_block_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute grey difference of the most-changed BLOCK x BLOCK block (inf if shapes differ)."""
    if a.shape != b.shape:
        return math.inf
    diff = np.abs(a - b).astype(np.float32)
    rows, cols = -(-diff.shape[0] // BLOCK), -(-diff.shape[1] // BLOCK)
    padded = np.zeros((rows * BLOCK, cols * BLOCK), np.float32)
    padded[: diff.shape[0], : diff.shape[1]] = diff
    # Edge blocks are padded with zeros: a change there is slightly diluted, never missed entirely.
    return float(padded.reshape(rows, BLOCK, cols, BLOCK).mean(axis=(1, 3)).max())


def near_duplicate(hash_a: int, thumb_a: np.ndarray, hash_b: int, thumb_b: np.ndarray, limits: DecodeLimits) -> bool:
    """Whether two frames show the same thing, small local changes (a caption) included."""
    if (hash_a ^ hash_b).bit_count() > limits.hash_threshold:
        return False
    return largest_block_difference(thumb_a, thumb_b) <= limits.block_threshold


# ---------------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------------


@dataclass
class SeenFrame:
    """A decoded frame as the sampler sees it: time, signature, and the frame to convert if kept."""

    t: float
    thumb: np.ndarray
    hash: int
    frame: av.VideoFrame


class FrameSampler:
    """Turns the stream of decoded frames into kept frames (see the module docstring)."""

    def __init__(self, limits: DecodeLimits, interval_s: float) -> None:
        self.limits = limits
        self.interval_s = interval_s
        self.kept: list[KeptFrame] = []
        self._kept_hash = 0
        self._kept_thumb: np.ndarray | None = None
        self.sampled = 0
        self._next_grid_t = 0.0
        self._last_kept_t = -math.inf
        self._previous: SeenFrame | None = None
        self._pending_jump: SeenFrame | None = None

    @property
    def full(self) -> bool:
        return len(self.kept) >= self.limits.max_frames_kept

    def offer(self, seen: SeenFrame) -> None:
        """Look at one decoded frame, in presentation order."""
        self._extend_last_kept(seen)
        jump = self._previous is not None and not self._same(self._previous, seen)
        self._previous = seen
        pending = self._pending_jump
        if pending is not None and not self._same(pending, seen):
            pending = self._pending_jump = None  # it kept changing: motion, not a new still picture
        grid_due = seen.t >= self._next_grid_t
        if grid_due:
            self._next_grid_t = (math.floor(seen.t / self.interval_s + 1e-9) + 1) * self.interval_s
        if pending is not None and (grid_due or seen.t - pending.t >= self.limits.change_settle_s):
            # The picture jumped at `pending` and has held since: a new caption or scene.
            self._pending_jump = None
            self._candidate(pending, until=seen.t)
        elif grid_due:
            self._candidate(seen, until=seen.t)
        elif jump and pending is None and seen.t - self._last_kept_t >= self.limits.min_change_gap_s:
            self._pending_jump = seen

    def _same(self, a: SeenFrame, b: SeenFrame) -> bool:
        return near_duplicate(a.hash, a.thumb, b.hash, b.thumb, self.limits)

    def _like_last_kept(self, seen: SeenFrame) -> bool:
        if self._kept_thumb is None:
            return False
        return near_duplicate(self._kept_hash, self._kept_thumb, seen.hash, seen.thumb, self.limits)

    def _extend_last_kept(self, seen: SeenFrame) -> None:
        if self.kept and seen.t > self.kept[-1].t_until_s and self._like_last_kept(seen):
            self.kept[-1].t_until_s = seen.t

    def _candidate(self, seen: SeenFrame, until: float) -> None:
        if self.full:
            return
        self.sampled += 1
        if self._like_last_kept(seen):
            self.kept[-1].t_until_s = max(self.kept[-1].t_until_s, until)
            return
        self.kept.append(
            KeptFrame(
                image=rgb_image(seen.frame, self.limits.max_side_px),
                t_s=seen.t,
                t_until_s=until,
                dhash_hex=hash_hex(seen.hash),
            )
        )
        self._kept_hash, self._kept_thumb = seen.hash, seen.thumb
        self._last_kept_t = seen.t


def rgb_image(frame: av.VideoFrame, max_side: int) -> Image.Image:
    """The frame as an upright RGB image whose long side is at most ``max_side``."""
    scale = min(1.0, max_side / max(frame.width, frame.height))
    width, height = max(2, round(frame.width * scale)), max(2, round(frame.height * scale))
    image = frame.reformat(width=width, height=height, format="rgb24", interpolation="AREA").to_image()
    rotation = frame_rotation(frame)
    return image.rotate(rotation, expand=True) if rotation else image


def frame_rotation(frame: av.VideoFrame) -> int:
    """Counter-clockwise degrees the display matrix asks for (phone videos), multiple of 90."""
    try:
        degrees = frame.rotation or 0
    except (AttributeError, ValueError):
        return 0
    return int(round(degrees / 90.0)) * 90 % 360


def luma_thumbnail(frame: av.VideoFrame) -> np.ndarray:
    """Thumbnail from the luma plane, read in place: 0.4 ms a 720x1280 frame, no RGB conversion."""
    if frame.format.name.startswith(("yuv", "nv12", "nv21")) and frame.format.components[0].bits == 8:
        plane = frame.planes[0]
        grey = Image.frombuffer("L", (frame.width, frame.height), memoryview(plane), "raw", "L", plane.line_size, 1)
    else:
        grey = Image.fromarray(frame.to_ndarray(format="gray"))
    thumb = grey_thumbnail(grey)
    rotation = frame_rotation(frame)
    return np.ascontiguousarray(np.rot90(thumb, k=rotation // 90)) if rotation else thumb
