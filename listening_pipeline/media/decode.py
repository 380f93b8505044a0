"""Decode a video once: 16 kHz mono audio for speech, and a few distinct frames for text and logos.

Why it exists: every later stage (speech, on-screen text, logos) needs the media in a
different shape, and decoding is the one step they can share. One pass over the file
(PyAV, no ffmpeg subprocess) yields both the resampled audio track and sampled frames.

Frame sampling. Every decoded frame gets a small grey thumbnail (long side 160 px) and a
64-bit difference hash (dHash). A frame becomes a *candidate* when

* the time grid reaches it (every ``frame_interval_s``), or
* the picture jumps (it is not a near-duplicate of the previous decoded frame) and then
  holds still (the next decoded frame is a near-duplicate of it): a caption popping in or
  a hard cut, caught at its first frame rather than at the next grid point. Continuous
  motion does not hold still and so does not add candidates; none sooner than
  ``min_change_gap_s`` after the last kept frame.

A candidate that is a near-duplicate of the last kept frame is dropped; otherwise it is
kept, downscaled to ``max_side_px``. Each kept frame's ``t_until_s`` is the time of the
last decoded frame that was still a near-duplicate of it, so a caption on screen for 10 s
is read once and keeps its first and last seen times (last seen to within one decoded
frame; first seen exactly when it pops in, else to within ``frame_interval_s``).

Near-duplicate means: dHash Hamming distance <= ``hash_threshold`` **and** no 8x8 block of
the thumbnails differs by more than ``block_threshold`` grey levels on average. The
second test is needed because a whole-frame dHash does not see captions: swapping one
56 px caption line for another on a 720x1280 frame changed 0-2 bits of a 64- or 256-bit
dHash (the same as JPEG noise), while the largest block difference was 25-80 grey levels
(noise: 1-3).

Decoding skips non-reference frames (``skip_frame="NONREF"``) with frame threading:
measured on a 60 s 720x1280 H.264 clip on 2 busy cores, all frames took 1.9-3.6 s,
non-reference skipped 1.2 s (1010 of 1800 frames, still every ~66 ms), keyframes only
0.08 s but just 9 frames (one per 7 s scene), too few for captions; see ``frame_decode``.

Media without a video track (audio only) or without an audio track (a silent slideshow)
are not errors: ``frames`` is empty or ``audio`` is None. Everything that makes a file
unusable raises :class:`MediaError` with a reason meant for the quarantine table.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import av
import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
"""Audio sample rate handed to speech models (Whisper's)."""

THUMB_SIDE = 160
"""Long side, in pixels, of the grey thumbnails frames are compared on."""

BLOCK = 8
"""Side, in thumbnail pixels, of the blocks compared (1/20 of the long side: 64 px on 1280)."""

HASH_SIZE = 8
"""dHash grid: 8x8 gradients, a 64-bit hash written as 16 hex digits."""

FrameDecode = Literal["all", "nonref", "keyframes"]


class MediaError(Exception):
    """A media file that cannot be used; ``reason`` says why, in words, for the quarantine table."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DecodeLimits:
    """What a decode may cost, and how frames are sampled and deduplicated.

    The defaults suit short-form video (TikTok allows up to 10 minutes).
    """

    max_file_bytes: int = 512 * 1024 * 1024
    max_duration_s: float = 900.0
    max_frames_kept: int = 200
    frame_interval_s: float = 1.0
    min_change_gap_s: float = 0.5
    hash_threshold: int = 10
    block_threshold: float = 10.0
    max_side_px: int = 640
    frame_decode: FrameDecode = "nonref"

    def describe(self) -> str:
        return (
            f"interval={self.frame_interval_s:g}s change_gap={self.min_change_gap_s:g}s "
            f"hash=dhash{HASH_SIZE}<={self.hash_threshold} block{BLOCK}<={self.block_threshold:g} "
            f"side<={self.max_side_px} decode={self.frame_decode}"
        )


@dataclass
class KeptFrame:
    """One kept frame; it stands for every near-identical frame from ``t_s`` to ``t_until_s``."""

    image: Image.Image  # RGB, long side at most DecodeLimits.max_side_px
    t_s: float
    t_until_s: float
    dhash_hex: str
    # Grey thumbnail the near-duplicate test compares; None for frames rebuilt from stored images.
    thumbnail: np.ndarray | None = field(default=None, repr=False, compare=False)


@dataclass
class DecodedVideo:
    duration_s: float
    width: int | None  # displayed size of the source (after rotation); None without a video track
    height: int | None
    audio: np.ndarray | None  # float32 mono at SAMPLE_RATE; None without an audio track
    frames: list[KeptFrame]
    frames_sampled: int
    decoder: str
    decode_s: float = 0.0

    @property
    def has_audio(self) -> bool:
        return self.audio is not None


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
    return int("".join("1" if bit else "0" for bit in bits), 2)


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
class _Seen:
    """A decoded frame as the sampler sees it: time, signature, and the frame to convert if kept."""

    t: float
    thumb: np.ndarray
    hash: int
    frame: av.VideoFrame


class _FrameSampler:
    """Turns the stream of decoded frames into kept frames (see the module docstring)."""

    def __init__(self, limits: DecodeLimits) -> None:
        self.limits = limits
        self.kept: list[KeptFrame] = []
        self._kept_hash = 0
        self.sampled = 0
        self._next_grid_t = 0.0
        self._last_kept_t = -math.inf
        self._previous: _Seen | None = None
        self._pending_jump: _Seen | None = None

    @property
    def full(self) -> bool:
        return len(self.kept) >= self.limits.max_frames_kept

    def offer(self, seen: _Seen) -> None:
        """Look at one decoded frame, in presentation order."""
        self._extend_last_kept(seen)
        jump = self._previous is not None and not self._same(self._previous, seen)
        pending, self._pending_jump = self._pending_jump, None
        if pending is not None and not jump:
            # The picture jumped at `pending` and holds still since: a new caption or scene.
            self._candidate(pending, until=seen.t)
        if seen.t >= self._next_grid_t:
            self._candidate(seen, until=seen.t)
            step = self.limits.frame_interval_s
            self._next_grid_t = (math.floor(seen.t / step + 1e-9) + 1) * step
        elif jump and seen.t - self._last_kept_t >= self.limits.min_change_gap_s:
            self._pending_jump = seen
        self._previous = seen

    def _same(self, a: _Seen, b: _Seen) -> bool:
        return near_duplicate(a.hash, a.thumb, b.hash, b.thumb, self.limits)

    def _extend_last_kept(self, seen: _Seen) -> None:
        if not self.kept:
            return
        last = self.kept[-1]
        assert last.thumbnail is not None
        if seen.t > last.t_until_s and near_duplicate(self._kept_hash, last.thumbnail, seen.hash, seen.thumb, self.limits):
            last.t_until_s = seen.t

    def _candidate(self, seen: _Seen, until: float) -> None:
        if self.full:
            return
        self.sampled += 1
        if self.kept:
            last = self.kept[-1]
            assert last.thumbnail is not None
            if near_duplicate(self._kept_hash, last.thumbnail, seen.hash, seen.thumb, self.limits):
                last.t_until_s = max(last.t_until_s, until)
                return
        self.kept.append(
            KeptFrame(
                image=_rgb_image(seen.frame, self.limits.max_side_px),
                t_s=seen.t,
                t_until_s=until,
                dhash_hex=hash_hex(seen.hash),
                thumbnail=seen.thumb,
            )
        )
        self._kept_hash = seen.hash
        self._last_kept_t = seen.t


def _rgb_image(frame: av.VideoFrame, max_side: int) -> Image.Image:
    """The frame as an upright RGB image whose long side is at most ``max_side``."""
    scale = min(1.0, max_side / max(frame.width, frame.height))
    width, height = max(2, round(frame.width * scale)), max(2, round(frame.height * scale))
    image = frame.reformat(width=width, height=height, format="rgb24", interpolation="AREA").to_image()
    rotation = _rotation(frame)
    return image.rotate(rotation, expand=True) if rotation else image


def _rotation(frame: av.VideoFrame) -> int:
    """Counter-clockwise degrees the display matrix asks for (phone videos), multiple of 90."""
    try:
        degrees = frame.rotation or 0
    except (AttributeError, ValueError):
        return 0
    return int(round(degrees / 90.0)) * 90 % 360


def _luma_thumbnail(frame: av.VideoFrame) -> np.ndarray:
    """Thumbnail from the luma plane, read in place: 0.4 ms a 720x1280 frame, no RGB conversion."""
    if frame.format.name.startswith(("yuv", "nv12", "nv21")) and frame.format.components[0].bits == 8:
        plane = frame.planes[0]
        grey = Image.frombuffer("L", (frame.width, frame.height), plane, "raw", "L", plane.line_size, 1)
    else:
        grey = Image.fromarray(frame.to_ndarray(format="gray"))
    thumb = grey_thumbnail(grey)
    rotation = _rotation(frame)
    return np.ascontiguousarray(np.rot90(thumb, k=rotation // 90)) if rotation else thumb


# ---------------------------------------------------------------------------------------------
# Audio
# ---------------------------------------------------------------------------------------------


class _AudioCollector:
    """Resamples decoded audio to 16 kHz mono float32, on the video's clock."""

    def __init__(self, origin_s: float, max_samples: int) -> None:
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        self._chunks: list[np.ndarray] = []
        self._origin_s = origin_s
        self._started = False
        self._max_samples = max_samples
        self.samples = 0

    def add(self, frame: av.AudioFrame | None) -> None:
        if frame is not None and not self._started:
            self._started = True
            self._align_start(frame)
        for out in self._resampler.resample(frame):
            self._append(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))

    def _align_start(self, frame: av.AudioFrame) -> None:
        """Pad with silence when audio starts after the video, so speech times are video times."""
        if frame.time is None:
            return
        offset = frame.time - self._origin_s
        if offset > 0:
            self._append(np.zeros(int(round(offset * SAMPLE_RATE)), np.float32))

    def _append(self, chunk: np.ndarray) -> None:
        room = self._max_samples - self.samples
        if room <= 0 or chunk.size == 0:
            return
        chunk = chunk[:room]
        self._chunks.append(chunk)
        self.samples += chunk.size

    def audio(self) -> np.ndarray | None:
        if not self._started:
            return None
        self.add(None)  # flush the resampler's buffered tail
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32)


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------


def decode_video(path: str | Path, *, limits: DecodeLimits = DecodeLimits()) -> DecodedVideo:
    """Audio (16 kHz mono float32) and deduplicated frames of a media file, in one pass.

    Raises :class:`MediaError` when the file is missing, empty, too large, not a readable
    container, truncated, has neither audio nor video, has zero length or is too long.
    """
    started = time.perf_counter()
    path = Path(path)
    _check_file(path, limits)
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise MediaError(f"not a readable media file ({_ffmpeg_reason(exc)}): {path.name}") from exc
    with container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        if video is None and audio is None:
            raise MediaError(f"no audio or video track in {path.name}")
        declared = _declared_duration(container, video, audio)
        if declared is not None and declared > limits.max_duration_s:
            raise MediaError(f"too long: {declared:.1f} s, over the {limits.max_duration_s:g} s limit")
        result = _decode_streams(container, video, audio, limits)
    _check_complete(result, declared, path)
    result.decoder = _describe(video, audio, limits)
    result.decode_s = time.perf_counter() - started
    return result


def _check_file(path: Path, limits: DecodeLimits) -> None:
    if not path.is_file():
        raise MediaError(f"media file missing: {path}")
    size = path.stat().st_size
    if size == 0:
        raise MediaError(f"media file is empty (0 bytes): {path.name}")
    if size > limits.max_file_bytes:
        raise MediaError(f"media file too large: {size:,} bytes, over the {limits.max_file_bytes:,} byte limit")


def _ffmpeg_reason(exc: av.FFmpegError) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def _declared_duration(
    container: av.container.InputContainer, video: av.VideoStream | None, audio: av.AudioStream | None
) -> float | None:
    """Duration from the container header (None when it does not say)."""
    if container.duration:
        return container.duration / av.time_base
    spans = [float(s.duration * s.time_base) for s in (video, audio) if s is not None and s.duration and s.time_base]
    return max(spans) if spans else None


def _stream_start(stream: av.stream.Stream | None) -> float | None:
    if stream is None or stream.start_time is None or stream.time_base is None:
        return None
    return float(stream.start_time * stream.time_base)


def _decode_streams(
    container: av.container.InputContainer,
    video: av.VideoStream | None,
    audio: av.AudioStream | None,
    limits: DecodeLimits,
) -> DecodedVideo:
    starts = [s for s in (_stream_start(video), _stream_start(audio)) if s is not None]
    origin = min(starts) if starts else 0.0
    sampler = _FrameSampler(limits)
    collector = _AudioCollector(origin, int(limits.max_duration_s * SAMPLE_RATE)) if audio is not None else None
    if video is not None:
        video.thread_type = "FRAME"
        video.codec_context.skip_frame = {"all": "DEFAULT", "nonref": "NONREF", "keyframes": "NONKEY"}[limits.frame_decode]
    video_end = 0.0
    width = height = None
    streams = [s for s in (video, audio) if s is not None]
    packets = bad_packets = 0
    for packet in container.demux(*streams):
        packets += 1
        if packet.stream is video:
            end = _packet_end(packet) - origin
            video_end = max(video_end, end if math.isfinite(end) else video_end)
            if sampler.full and packet.size:
                continue  # enough frames kept: only the packet times are needed from here on
            frames, failed = _decode_packet(packet)
            bad_packets += failed
            for frame in frames:
                if width is None:
                    width, height = _display_size(frame)
                t = (frame.time if frame.time is not None else 0.0) - origin
                if t > limits.max_duration_s:
                    raise MediaError(f"too long: over the {limits.max_duration_s:g} s limit")
                thumb = _luma_thumbnail(frame)
                sampler.offer(_Seen(t, thumb, dhash(thumb), frame))
        elif collector is not None:
            frames, failed = _decode_packet(packet)
            bad_packets += failed
            for frame in frames:
                collector.add(frame)
    if packets and bad_packets > max(3, packets // 10):
        raise MediaError(f"corrupt stream: {bad_packets} of {packets} packets could not be decoded")
    samples = collector.audio() if collector is not None else None
    audio_end = samples.size / SAMPLE_RATE if samples is not None else 0.0
    return DecodedVideo(
        duration_s=max(video_end, audio_end),
        width=width if video is not None else None,
        height=height if video is not None else None,
        audio=samples,
        frames=sampler.kept,
        frames_sampled=sampler.sampled,
        decoder="",
    )


def _decode_packet(packet: av.Packet) -> tuple[list, int]:
    """The packet's frames, and 1 if the decoder rejected it (a damaged packet is skipped, not fatal)."""
    try:
        return list(packet.decode()), 0
    except av.FFmpegError as exc:
        log.debug("skipping undecodable packet at %s: %s", packet.pts, exc)
        return [], 1


def _packet_end(packet: av.Packet) -> float:
    if packet.pts is None or packet.time_base is None:
        return -math.inf
    return float((packet.pts + (packet.duration or 0)) * packet.time_base)


def _display_size(frame: av.VideoFrame) -> tuple[int, int]:
    if _rotation(frame) in (90, 270):
        return frame.height, frame.width
    return frame.width, frame.height


def _check_complete(result: DecodedVideo, declared: float | None, path: Path) -> None:
    """Refuse media that decoded to nothing, or to much less than its header promised."""
    decoded_nothing = not result.frames and not (result.audio is not None and result.audio.size)
    if decoded_nothing or result.duration_s <= 0:
        if declared:
            raise MediaError(f"truncated or corrupt: nothing decodable in the {declared:.1f} s its header declares")
        raise MediaError(f"zero length: {path.name} holds no audio samples or video frames")
    if declared and result.duration_s < 0.9 * declared - 0.5:
        raise MediaError(
            f"truncated: decoded {result.duration_s:.1f} s of the {declared:.1f} s its header declares"
        )


def _describe(video: av.VideoStream | None, audio: av.AudioStream | None, limits: DecodeLimits) -> str:
    tracks = []
    if video is not None:
        tracks.append(f"video={video.codec_context.name}")
    if audio is not None:
        tracks.append(f"audio={audio.codec_context.name}->{SAMPLE_RATE}Hz")
    return f"pyav-{av.__version__} {' '.join(tracks)} {limits.describe()}"
