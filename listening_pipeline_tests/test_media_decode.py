"""Decoding: audio resampling, frame sampling and deduplication, and unusable files as MediaError.

Clips are made here with PyAV (H.264 + AAC, like short-form video): a still background
with captions drawn by PIL, and a sine tone, so the expected answer is known exactly.
"""

from __future__ import annotations

import io
import random
import wave
from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from listening_pipeline.lib.media.decode import SAMPLE_RATE, DecodeLimits, MediaError, decode_video
from listening_pipeline.lib.media.frames import dhash, image_thumbnail, near_duplicate

Caption = tuple[str, float, float]  # text, shown from, shown until (seconds)


def background(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """A smooth random picture: busy enough to look like video, identical in every frame."""
    rng = np.random.default_rng(seed)
    coarse = (rng.random((size[1] // 16, size[0] // 16, 3)) * 255).astype(np.uint8)
    return Image.fromarray(coarse).resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(4))


def draw_caption(image: Image.Image, text: str, y: float = 0.7, font_px: int | None = None) -> Image.Image:
    framed = image.copy()
    font = ImageFont.load_default(size=font_px or image.height // 18)
    ImageDraw.Draw(framed).text(
        (image.width // 12, int(image.height * y)), text, font=font, fill="white", stroke_width=3, stroke_fill="black"
    )
    return framed


def write_clip(
    path: Path,
    *,
    seconds: float = 6.0,
    size: tuple[int, int] = (360, 640),
    fps: int = 10,
    captions: Sequence[Caption] = (),
    tone_hz: float | None = 440.0,
    video: bool = True,
    pan_px_per_s: float = 0.0,
    faststart: bool = False,
) -> Path:
    """An MP4 (or M4A without video) with captions over a still or panning background and a tone."""
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as container:
        # Every stream is added before the first packet is written (the header lists them).
        picture = _video_stream(container, size, fps) if video else None
        sound = _audio_stream(container) if tone_hz is not None else None
        if picture is not None:
            _write_video(container, picture, size, fps, seconds, captions, pan_px_per_s)
        if sound is not None:
            _write_tone(container, sound, seconds, tone_hz)
    return path


def _video_stream(container, size: tuple[int, int], fps: int):
    stream = container.add_stream("libx264", rate=fps)
    stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
    stream.options = {"preset": "ultrafast"}
    return stream


def _audio_stream(container, rate: int = 44_100):
    stream = container.add_stream("aac", rate=rate)
    stream.layout = "stereo"
    return stream


def _write_video(container, stream, size, fps, seconds, captions, pan_px_per_s) -> None:
    wide = background((size[0] + 400, size[1]))
    for index in range(int(round(seconds * fps))):
        t = index / fps
        left = int(pan_px_per_s * t) % 400
        image = wide.crop((left, 0, left + size[0], size[1]))
        for text, start, end in captions:
            if start <= t < end:
                image = draw_caption(image, text)
        for packet in stream.encode(av.VideoFrame.from_image(image)):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


def _write_tone(container, stream, seconds: float, hz: float) -> None:
    rate = stream.rate
    total, block = int(seconds * rate), 1024
    for start in range(0, total, block):
        n = min(block, total - start)
        wave_ = (0.3 * np.sin(2 * np.pi * hz * np.arange(start, start + n) / rate)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(np.stack([wave_, wave_]), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = rate, start
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="module")
def two_captions(clips) -> Path:
    """6 s: 'Try the new Fizzly' for 3 s, then 'Only two euros' for 3 s, over a still picture."""
    return write_clip(clips / "two_captions.mp4", captions=[("Try the new Fizzly", 0, 3), ("Only two euros", 3, 6)])


# ---------------------------------------------------------------------------------------------
# Audio
# ---------------------------------------------------------------------------------------------


def test_audio_is_16khz_mono_float32_of_the_clip_length(two_captions):
    decoded = decode_video(two_captions)

    assert decoded.audio is not None and decoded.audio.dtype == np.float32 and decoded.audio.ndim == 1
    assert decoded.audio.size / SAMPLE_RATE == pytest.approx(6.0, abs=0.05)
    spectrum = np.abs(np.fft.rfft(decoded.audio))
    peak_hz = np.argmax(spectrum) * SAMPLE_RATE / decoded.audio.size
    assert peak_hz == pytest.approx(440.0, abs=3.0)  # resampled, not just relabelled
    assert decoded.duration_s == pytest.approx(6.0, abs=0.1)


# ---------------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------------


def test_a_static_caption_is_kept_once_with_its_first_and_last_seen_times(two_captions):
    decoded = decode_video(two_captions)

    assert decoded.frames_sampled == 6  # the 1 s grid
    assert len(decoded.frames) == 2 < decoded.frames_sampled
    first, second = decoded.frames
    assert first.t_s == 0.0 and 2.85 <= first.t_until_s < 3.0
    assert second.t_s == pytest.approx(3.0) and second.t_until_s >= 5.85
    assert len(first.dhash_hex) == 16 and int(first.dhash_hex, 16) >= 0
    assert first.image.mode == "RGB" and first.image.size == (360, 640)
    assert (decoded.width, decoded.height) == (360, 640)
    assert "pyav" in decoded.decoder and "interval=1s" in decoded.decoder


def test_a_caption_popping_in_between_grid_points_is_kept_from_when_it_appears(clips):
    path = write_clip(clips / "pop_in.mp4", seconds=5, captions=[("link in bio", 2.4, 5)])

    decoded = decode_video(path)

    assert [round(f.t_s, 2) for f in decoded.frames] == [0.0, 2.4]
    assert decoded.frames[0].t_until_s == pytest.approx(2.3)
    assert decoded.frames[1].t_until_s == pytest.approx(4.9)


def test_moving_pictures_are_not_taken_for_duplicates(clips):
    path = write_clip(clips / "pan.mp4", seconds=3, pan_px_per_s=40, tone_hz=None)

    decoded = decode_video(path)

    assert len(decoded.frames) == decoded.frames_sampled == 3


def test_frames_are_downscaled_and_the_source_size_is_reported(clips):
    path = write_clip(clips / "hd.mp4", seconds=2, size=(720, 1280), tone_hz=None)

    decoded = decode_video(path, limits=DecodeLimits(max_side_px=640))

    assert (decoded.width, decoded.height) == (720, 1280)
    assert {frame.image.size for frame in decoded.frames} == {(360, 640)}


def test_a_rotated_phone_video_is_turned_upright(tmp_path):
    # Coded 128x64 landscape with a red left strip, displayed rotated by 90 degrees; ffmpeg
    # shows it as 64x128 with the strip along the bottom (checked with the ffmpeg CLI).
    path = tmp_path / "rotated.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 128, 64, "yuv420p"
        stream.set_display_rotation(90)
        picture = np.zeros((64, 128, 3), np.uint8)
        picture[:, :32] = (255, 0, 0)
        for _ in range(10):
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)

    decoded = decode_video(path)

    assert (decoded.width, decoded.height) == (64, 128)
    upright = np.asarray(decoded.frames[0].image)
    assert upright.shape[:2] == (128, 64)
    assert upright[120, 32, 0] > 200 and upright[10, 32, 0] < 60


def test_frames_kept_are_capped_without_cutting_the_duration(two_captions):
    decoded = decode_video(two_captions, limits=DecodeLimits(max_frames_kept=1))

    assert len(decoded.frames) == 1
    assert decoded.duration_s == pytest.approx(6.0, abs=0.1)


def test_near_duplicates_see_a_caption_change_that_dhash_misses():
    still = background((720, 1280))
    one, other = draw_caption(still, "Try the new Fizzly"), draw_caption(still, "Only two euros")
    buffer = io.BytesIO()
    one.save(buffer, "JPEG", quality=60)
    recompressed = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    limits = DecodeLimits()

    def signature(image):
        thumb = image_thumbnail(image)
        return dhash(thumb), thumb

    (h1, t1), (h2, t2), (h3, t3) = signature(one), signature(other), signature(recompressed)
    assert (h1 ^ h2).bit_count() <= limits.hash_threshold  # a whole-frame hash barely moves...
    assert not near_duplicate(h1, t1, h2, t2, limits)  # ...the block test sees the new caption
    assert near_duplicate(h1, t1, h3, t3, limits)  # and JPEG noise is still the same picture


# ---------------------------------------------------------------------------------------------
# Tracks that are missing on purpose
# ---------------------------------------------------------------------------------------------


def test_an_audio_only_file_has_audio_and_no_frames(clips):
    path = write_clip(clips / "voice.m4a", seconds=2, video=False)

    decoded = decode_video(path)

    assert decoded.frames == [] and decoded.frames_sampled == 0
    assert decoded.width is None and decoded.height is None
    assert decoded.audio is not None and decoded.audio.size / SAMPLE_RATE == pytest.approx(2.0, abs=0.05)


def test_a_silent_video_has_frames_and_no_audio(clips):
    path = write_clip(clips / "silent.mp4", seconds=2, tone_hz=None, captions=[("no sound", 0, 2)])

    decoded = decode_video(path)

    assert decoded.audio is None and not decoded.has_audio
    assert len(decoded.frames) == 1 and decoded.duration_s == pytest.approx(2.0, abs=0.1)


# ---------------------------------------------------------------------------------------------
# Unusable files
# ---------------------------------------------------------------------------------------------


def _truncated(source: Path, target: Path, keep: float) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def _noise(seed: int) -> bytes:
    return random.Random(seed).randbytes(50_000)


def _zero_length_wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(b"")
    return path


@pytest.mark.parametrize(
    "make, limits, reason",
    [
        (lambda d, clip: d / "nothing-here.mp4", DecodeLimits(), "missing"),
        (lambda d, clip: _write(d / "empty.mp4", b""), DecodeLimits(), "empty"),
        # Seeded: about 1 in 200 random files probes as a container with no streams (a different reason).
        (lambda d, clip: _write(d / "noise.mp4", _noise(seed=0)), DecodeLimits(), "not a readable media file"),
        (lambda d, clip: _write(d / "noise.mp4", _noise(seed=131)), DecodeLimits(), "no audio or video track"),
        # The MP4 index (moov) is written last: half a file has none.
        (lambda d, clip: _truncated(clip, d / "half.mp4", 0.5), DecodeLimits(), "not a readable media file"),
        (
            lambda d, clip: _write(d / "subtitles.srt", b"1\n00:00:00,000 --> 00:00:01,000\nhello\n"),
            DecodeLimits(),
            "no audio or video track",
        ),
        (lambda d, clip: _zero_length_wav(d / "zero.wav"), DecodeLimits(), "zero length"),
        (lambda d, clip: clip, DecodeLimits(max_file_bytes=1_000), "too large"),
        (lambda d, clip: clip, DecodeLimits(max_duration_s=5), "too long"),
    ],
    ids=[
        "missing",
        "empty",
        "random-bytes",
        "random-bytes-probed",
        "truncated",
        "subtitles-only",
        "zero-length",
        "too-large",
        "too-long",
    ],
)
def test_unusable_files_raise_media_error_with_a_reason(tmp_path, two_captions, make, limits, reason):
    path = make(tmp_path, two_captions)

    with pytest.raises(MediaError) as caught:
        decode_video(path, limits=limits)

    assert reason in caught.value.reason
    assert str(caught.value) == caught.value.reason


def test_a_cut_off_streamable_mp4_is_reported_truncated(clips, tmp_path):
    # With the index up front (faststart) a cut-off file still opens: the missing end is the tell.
    whole = write_clip(clips / "streamable.mp4", seconds=6, faststart=True, captions=[("x", 0, 6)])

    with pytest.raises(MediaError, match="truncated"):
        decode_video(_truncated(whole, tmp_path / "cut.mp4", 0.5))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
