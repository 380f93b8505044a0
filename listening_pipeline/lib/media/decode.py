"""Decode a video once: 16 kHz mono audio for speech, and a few distinct frames for text and logos.

Why it exists: every later stage (speech, on-screen text, logos) needs the media in a
different shape, and decoding is the one step they can share. One pass over the file
(PyAV, no ffmpeg subprocess) yields both the resampled audio track and sampled frames.
Which frames are kept, and how near-duplicates are told apart, is :mod:`listening_pipeline.lib.media.frames`.

Decoding skips non-reference frames (``skip_frame="NONREF"``) with frame threading. On a
60 s 720x1280 H.264 clip with 2 busy cores, decode_video took 2.3 s this way (1010 of
1800 frames, still one every ~66 ms), 3.9 s decoding every frame and 0.25 s decoding
keyframes only; keyframes came every 7 s there, too rarely for captions, so that mode
is an option (``frame_decode``), not the default.

Media without a video track (audio only) or without an audio track (a silent slideshow)
are not errors: ``frames`` is empty or ``audio`` is None; a track this build has no decoder
for is treated as absent (and named in ``decoder``). Everything that makes a file unusable
raises :class:`MediaError` with a reason meant for the quarantine table.

Hostile files are refused early: file size, declared duration, then the declared frame
size (``max_pixels``, before any frame is decoded; ffmpeg's own ``max_pixels`` guard also
covers probing and decoding, for picture bombs whose size only decoding reveals). Time
limits and crashes are :mod:`listening_pipeline.lib.media.worker`'s: a killable child process.
"""

from __future__ import annotations

import logging
import math
import stat
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np

from listening_pipeline.lib.media.audio import SAMPLE_RATE, AudioCollector
from listening_pipeline.lib.media.frames import (
    BLOCK,
    HASH_SIZE,
    FrameSampler,
    KeptFrame,
    SeenFrame,
    dhash,
    frame_rotation,
    luma_thumbnail,
)

__all__ = ["SAMPLE_RATE", "DecodedVideo", "DecodeLimits", "KeptFrame", "MediaError", "decode_video", "grid_interval"]

log = logging.getLogger(__name__)


FrameDecode = Literal["all", "nonref", "keyframes"]
_SKIP_FRAME: dict[str, Any] = {"all": "DEFAULT", "nonref": "NONREF", "keyframes": "NONKEY"}


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
    max_pixels: int = 4096 * 4096  # per frame: 4K fits, a 16k x 16k picture bomb does not
    max_frames_kept: int = 200
    frame_interval_s: float = 1.0
    min_change_gap_s: float = 0.5
    change_settle_s: float = 0.2
    hash_threshold: int = 10
    block_threshold: float = 10.0
    # Kept frames are stored up to 1080p (a phone upload's size): captions and logos shrink
    # them for detection themselves, but small print is only legible at full size.
    max_side_px: int = 1920
    frame_decode: FrameDecode = "nonref"

    def describe(self, interval_s: float | None = None) -> str:
        return (
            f"interval={interval_s or self.frame_interval_s:.3g}s "
            f"change_gap={self.min_change_gap_s:g}s settle={self.change_settle_s:g}s "
            f"hash=dhash{HASH_SIZE}<={self.hash_threshold} block{BLOCK}<={self.block_threshold:g} "
            f"side<={self.max_side_px} decode={self.frame_decode}"
        )


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
    # max_pixels also guards ffmpeg's probing: some formats (PNG, raw H.264) are probed by decoding a frame.
    guard = {"max_pixels": str(limits.max_pixels)}
    try:
        container = av.open(str(path), metadata_errors="ignore", options=guard)
    except av.FFmpegError as exc:
        raise MediaError(f"not a readable media file ({_ffmpeg_reason(exc)}): {path.name}") from exc
    with container:
        video, audio, unsupported = _pick_streams(container)
        if video is None and audio is None:
            if unsupported:
                raise MediaError(f"no decodable audio or video track in {path.name}: {', '.join(unsupported)}")
            raise MediaError(f"no audio or video track in {path.name}")
        declared = _declared_duration(container, video, audio)
        if declared is not None and declared > limits.max_duration_s:
            raise MediaError(f"too long: {declared:.1f} s, over the {limits.max_duration_s:g} s limit")
        if video is not None:
            _check_frame_size(video.codec_context.width, video.codec_context.height, limits, "declared")
            video.codec_context.options = {**(video.codec_context.options or {}), **guard}
        interval = grid_interval(declared, limits)
        result = _decode_streams(container, video, audio, limits, interval)
    _check_complete(result, declared, path)
    result.decoder = _describe(video, audio, limits, interval, unsupported)
    result.decode_s = time.perf_counter() - started
    return result


def grid_interval(duration_s: float | None, limits: DecodeLimits) -> float:
    """The time grid's step: ``frame_interval_s``, widened for long videos so that the
    grid fits in ``max_frames_kept`` and the kept frames cover the whole video, not its start."""
    if not duration_s:
        return limits.frame_interval_s
    return max(limits.frame_interval_s, duration_s / max(1, limits.max_frames_kept))


def _check_file(path: Path, limits: DecodeLimits) -> None:
    if "\x00" in str(path):
        raise MediaError(f"media path {str(path)!r} contains a NUL byte")
    try:
        info = path.stat()
    except FileNotFoundError:
        raise MediaError(f"media file missing: {path}") from None
    except (OSError, ValueError) as exc:
        raise MediaError(f"media file unreadable ({type(exc).__name__}: {exc}): {path}") from exc
    if not stat.S_ISREG(info.st_mode):
        # A FIFO or device would block the decoder forever, a folder is no media file.
        raise MediaError(f"media path is not a regular file: {path}")
    size = info.st_size
    if size == 0:
        raise MediaError(f"media file is empty (0 bytes): {path.name}")
    if size > limits.max_file_bytes:
        raise MediaError(f"media file too large: {size:,} bytes, over the {limits.max_file_bytes:,} byte limit")


def _ffmpeg_reason(exc: av.FFmpegError) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def _pick_streams(
    container: av.container.InputContainer,
) -> tuple[av.VideoStream | None, av.AudioStream | None, list[str]]:
    """The first video and audio tracks this build can decode, and the tracks it cannot (no codec context)."""
    unsupported: list[str] = []
    picked: dict[str, Any] = {"video": None, "audio": None}
    for kind, streams in (("video", container.streams.video), ("audio", container.streams.audio)):
        for stream in streams:
            if stream.codec_context is None:
                unsupported.append(f"{kind} track #{stream.index} has a codec this build cannot decode")
            elif picked[kind] is None:
                picked[kind] = stream
    return picked["video"], picked["audio"], unsupported


def _check_frame_size(width: int | None, height: int | None, limits: DecodeLimits, how: str) -> None:
    if width and height and width * height > limits.max_pixels:
        raise MediaError(
            f"frame too large: {width}x{height} {how} ({width * height:,} pixels), "
            f"over the {limits.max_pixels:,} pixel limit"
        )


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
    sound = AudioCollector(origin, int(limits.max_duration_s * SAMPLE_RATE)) if audio is not None else None
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
    if pictures is not None:
        pictures.check_decoded()
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
        self.sampler = FrameSampler(limits, interval_s)
        self.limits = limits
        self.origin_s = origin_s
        self.end_s = 0.0
        self.width: int | None = None
        self.height: int | None = None
        self.declared_size = bool(stream.codec_context.width and stream.codec_context.height)
        self.decoded = 0
        self.failed = 0

    def add(self, packet: av.Packet) -> int:
        """Decode one packet; 1 if it was damaged, else 0."""
        end = _packet_end(packet) - self.origin_s
        if math.isfinite(end):
            self.end_s = max(self.end_s, end)
        if self.sampler.full and packet.size:
            return 0  # enough frames kept: only the packet times are needed from here on
        frames, failed = _decode_packet(packet)
        self.failed += failed
        for frame in frames:
            self._add_frame(frame)
        return failed

    def check_decoded(self) -> None:
        """A video track whose every frame was refused: say why when the decoder's size guard is the likely cause."""
        if self.decoded == 0 and self.failed and not self.declared_size:
            raise MediaError(
                f"no video frame could be decoded: the frame size is not declared and the decoder refused "
                f"{self.failed} packet(s) (a frame over the {self.limits.max_pixels:,} pixel limit, or corrupt)"
            )

    def _add_frame(self, frame: av.VideoFrame) -> None:
        _check_frame_size(frame.width, frame.height, self.limits, "decoded")
        self.decoded += 1
        if self.width is None:
            self.width, self.height = _display_size(frame)
        t = (frame.time if frame.time is not None else 0.0) - self.origin_s
        if t > self.limits.max_duration_s:
            raise MediaError(f"too long: video runs over the {self.limits.max_duration_s:g} s limit")
        thumb = luma_thumbnail(frame)
        self.sampler.offer(SeenFrame(t, thumb, dhash(thumb), frame))


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
    if frame_rotation(frame) in (90, 270):
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
    video: av.VideoStream | None,
    audio: av.AudioStream | None,
    limits: DecodeLimits,
    interval_s: float,
    unsupported: Sequence[str] = (),
) -> str:
    tracks = []
    if video is not None:
        tracks.append(f"video={video.codec_context.name}")
    if audio is not None:
        tracks.append(f"audio={audio.codec_context.name}->{SAMPLE_RATE}Hz")
    # Only when there is one: the description's digest names the decoded artifacts, it must not change otherwise.
    if unsupported:
        tracks.append(f"undecodable_tracks={len(unsupported)}")
    return f"pyav-{av.__version__} {' '.join(tracks)} {limits.describe(interval_s)}"
