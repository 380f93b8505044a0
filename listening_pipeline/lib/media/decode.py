"""Decode a video once: 16 kHz mono audio for speech, and a few distinct frames for text and logos.

Why it exists: every later stage (speech, on-screen text, logos) needs the media in a
different shape, and decoding is the one step they can share. One pass over the file
(PyAV, no ffmpeg subprocess) yields both the resampled audio track and sampled frames.

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

Decoding skips non-reference frames (``skip_frame="NONREF"``) with frame threading. On a
60 s 720x1280 H.264 clip with 2 busy cores, decode_video took 2.3 s this way (1010 of
1800 frames, still one every ~66 ms), 3.9 s decoding every frame and 0.25 s decoding
keyframes only; keyframes came every 7 s there, too rarely for captions, so that mode
is an option (``frame_decode``), not the default.

Media without a video track (audio only) or without an audio track (a silent slideshow)
are not errors: ``frames`` is empty or ``audio`` is None. Everything that makes a file
unusable raises :class:`MediaError` with a reason meant for the quarantine table.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
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
_SKIP_FRAME: dict[str, str] = {"all": "DEFAULT", "nonref": "NONREF", "keyframes": "NONKEY"}


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
    change_settle_s: float = 0.2
    hash_threshold: int = 10
    block_threshold: float = 10.0
    max_side_px: int = 640
    frame_decode: FrameDecode = "nonref"

    def describe(self, interval_s: float | None = None) -> str:
        return (
            f"interval={interval_s or self.frame_interval_s:.3g}s "
            f"change_gap={self.min_change_gap_s:g}s settle={self.change_settle_s:g}s "
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


@dataclass
class DecodedVideo:
    """What one decode yields: the MEDIA row's facts, the audio for speech, the frames for text and logos."""

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
class _Seen:
    """A decoded frame as the sampler sees it: time, signature, and the frame to convert if kept."""

    t: float
    thumb: np.ndarray
    hash: int
    frame: av.VideoFrame


class _FrameSampler:
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
        self._previous: _Seen | None = None
        self._pending_jump: _Seen | None = None

    @property
    def full(self) -> bool:
        return len(self.kept) >= self.limits.max_frames_kept

    def offer(self, seen: _Seen) -> None:
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

    def _same(self, a: _Seen, b: _Seen) -> bool:
        return near_duplicate(a.hash, a.thumb, b.hash, b.thumb, self.limits)

    def _like_last_kept(self, seen: _Seen) -> bool:
        if self._kept_thumb is None:
            return False
        return near_duplicate(self._kept_hash, self._kept_thumb, seen.hash, seen.thumb, self.limits)

    def _extend_last_kept(self, seen: _Seen) -> None:
        if self.kept and seen.t > self.kept[-1].t_until_s and self._like_last_kept(seen):
            self.kept[-1].t_until_s = seen.t

    def _candidate(self, seen: _Seen, until: float) -> None:
        if self.full:
            return
        self.sampled += 1
        if self._like_last_kept(seen):
            self.kept[-1].t_until_s = max(self.kept[-1].t_until_s, until)
            return
        self.kept.append(
            KeptFrame(
                image=_rgb_image(seen.frame, self.limits.max_side_px),
                t_s=seen.t,
                t_until_s=until,
                dhash_hex=hash_hex(seen.hash),
            )
        )
        self._kept_hash, self._kept_thumb = seen.hash, seen.thumb
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
        self.cut = False  # True when audio beyond max_samples was dropped

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
        if chunk.size > room:
            self.cut = True
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
        interval = grid_interval(declared, limits)
        result = _decode_streams(container, video, audio, limits, interval)
    _check_complete(result, declared, path)
    result.decoder = _describe(video, audio, limits, interval)
    result.decode_s = time.perf_counter() - started
    return result


def grid_interval(duration_s: float | None, limits: DecodeLimits) -> float:
    """The time grid's step: ``frame_interval_s``, widened for long videos so that the
    grid fits in ``max_frames_kept`` and the kept frames cover the whole video, not its start."""
    if not duration_s:
        return limits.frame_interval_s
    return max(limits.frame_interval_s, duration_s / max(1, limits.max_frames_kept))


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
    interval_s: float,
) -> DecodedVideo:
    """One demuxing pass feeding both decoders; a few damaged packets are skipped, many are an error."""
    starts = [s for s in (_stream_start(video), _stream_start(audio)) if s is not None]
    origin = min(starts) if starts else 0.0
    pictures = _VideoTrack(video, limits, interval_s, origin) if video is not None else None
    sound = _AudioCollector(origin, int(limits.max_duration_s * SAMPLE_RATE)) if audio is not None else None
    packets = bad_packets = 0
    for packet in container.demux(*[s for s in (video, audio) if s is not None]):
        packets += 1
        if pictures is not None and packet.stream is video:
            bad_packets += pictures.add(packet)
        elif sound is not None:
            frames, failed = _decode_packet(packet)
            bad_packets += failed
            for frame in frames:
                sound.add(frame)
    if packets and bad_packets > max(3, packets // 10):
        raise MediaError(f"corrupt stream: {bad_packets} of {packets} packets could not be decoded")
    samples = sound.audio() if sound is not None else None
    if sound is not None and sound.cut:
        raise MediaError(f"too long: audio runs over the {limits.max_duration_s:g} s limit")
    audio_end = samples.size / SAMPLE_RATE if samples is not None else 0.0
    return DecodedVideo(
        duration_s=max(pictures.end_s if pictures else 0.0, audio_end),
        width=pictures.width if pictures else None,
        height=pictures.height if pictures else None,
        audio=samples,
        frames=pictures.sampler.kept if pictures else [],
        frames_sampled=pictures.sampler.sampled if pictures else 0,
        decoder="",
    )


class _VideoTrack:
    """Decodes video packets into the frame sampler, and notes the track's size and end."""

    def __init__(self, stream: av.VideoStream, limits: DecodeLimits, interval_s: float, origin_s: float) -> None:
        stream.thread_type = "FRAME"
        stream.codec_context.skip_frame = _SKIP_FRAME[limits.frame_decode]
        self.sampler = _FrameSampler(limits, interval_s)
        self.limits = limits
        self.origin_s = origin_s
        self.end_s = 0.0
        self.width: int | None = None
        self.height: int | None = None

    def add(self, packet: av.Packet) -> int:
        """Decode one packet; 1 if it was damaged, else 0."""
        end = _packet_end(packet) - self.origin_s
        if math.isfinite(end):
            self.end_s = max(self.end_s, end)
        if self.sampler.full and packet.size:
            return 0  # enough frames kept: only the packet times are needed from here on
        frames, failed = _decode_packet(packet)
        for frame in frames:
            self._add_frame(frame)
        return failed

    def _add_frame(self, frame: av.VideoFrame) -> None:
        if self.width is None:
            self.width, self.height = _display_size(frame)
        t = (frame.time if frame.time is not None else 0.0) - self.origin_s
        if t > self.limits.max_duration_s:
            raise MediaError(f"too long: video runs over the {self.limits.max_duration_s:g} s limit")
        thumb = _luma_thumbnail(frame)
        self.sampler.offer(_Seen(t, thumb, dhash(thumb), frame))


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
        raise MediaError(f"truncated: decoded {result.duration_s:.1f} s of the {declared:.1f} s its header declares")


def _describe(
    video: av.VideoStream | None, audio: av.AudioStream | None, limits: DecodeLimits, interval_s: float
) -> str:
    tracks = []
    if video is not None:
        tracks.append(f"video={video.codec_context.name}")
    if audio is not None:
        tracks.append(f"audio={audio.codec_context.name}->{SAMPLE_RATE}Hz")
    return f"pyav-{av.__version__} {' '.join(tracks)} {limits.describe(interval_s)}"
