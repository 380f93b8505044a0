"""Clips: frames composed from a gradient, logos and caption panels, muxed with the soundtrack by PyAV (x264 + AAC);
and the corrupt file that decoders must reject."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from random import Random
from typing import cast

import av
import numpy as np
from PIL import Image, ImageDraw

from listening_pipeline.lib.sample_data.drawing import caption_image, draw_logo
from listening_pipeline.lib.sample_data.spec import AUDIO_RATE, FPS, SAMPLE_CANVAS, Canvas, SampleDataError
from listening_pipeline.lib.sample_data.video_plan import CaptionPlan, LogoPlan, VideoPlan


@lru_cache(maxsize=1)
def video_codec() -> str:
    """The first H.264-or-fallback encoder this PyAV build has (wheels differ)."""
    for name in ("libx264", "h264", "libopenh264", "mpeg4"):
        try:
            return av.codec.Codec(name, "w").name
        except Exception:
            continue
    raise SampleDataError("this PyAV build has no H.264 or MPEG-4 encoder")


def _encoder_options() -> dict[str, str]:
    """x264 settings; macroblock-tree rate control is off because with it the same frames
    encoded to different bytes from one run to the next."""
    if video_codec() == "libx264":
        return {"preset": "veryfast", "crf": "26", "x264-params": "mbtree=0"}
    return {}


def _background(video: VideoPlan, canvas: Canvas) -> Image.Image:
    light, dark = (np.array(c, dtype=np.float32) for c in video.background)
    ramp = np.linspace(0.0, 1.0, canvas.height, dtype=np.float32)[:, None, None]
    pixels = (light * (1 - ramp) + dark * ramp).astype(np.uint8)
    return Image.fromarray(np.broadcast_to(pixels, (canvas.height, canvas.width, 3)).copy(), "RGB")


def render_video(
    video: VideoPlan,
    path: Path,
    audio: np.ndarray,
    logo_files: dict[str, Path | None],
    canvas: Canvas = SAMPLE_CANVAS,
) -> None:
    """Encode ``video`` to ``path``; its boxes must already be in ``canvas`` pixels (see ``upload.at_upload_size``)."""
    background = _background(video, canvas)
    captions = [(c, caption_image(c)) for c in video.captions]
    logos = [(logo, _placed_logo(logo, logo_files.get(logo.brand))) for logo in video.logos]
    with av.open(str(path), mode="w", format="mp4") as container:
        vstream = cast(av.VideoStream, container.add_stream(video_codec(), rate=canvas.fps, options=_encoder_options()))
        vstream.width, vstream.height, vstream.pix_fmt = canvas.width, canvas.height, "yuv420p"
        vstream.codec_context.gop_size = 2 * canvas.fps
        vstream.thread_count = 1  # frame threads would make bytes depend on timing
        astream = container.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        for index in range(video.duration_s * canvas.fps):
            frame_image = _compose_frame(background, index, captions, logos, canvas)
            frame = av.VideoFrame.from_image(frame_image)
            frame.pts = index
            container.mux(vstream.encode(frame))
        container.mux(vstream.encode(None))
        chunk = 1024
        for start in range(0, len(audio), chunk):
            piece = audio[start : start + chunk].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(piece), format="fltp", layout="mono")
            frame.sample_rate = AUDIO_RATE
            frame.pts = start
            frame.time_base = Fraction(1, AUDIO_RATE)
            container.mux(astream.encode(frame))
        container.mux(astream.encode(None))


def _compose_frame(
    background: Image.Image,
    index: int,
    captions: Sequence[tuple[CaptionPlan, Image.Image]],
    logos: Sequence[tuple[LogoPlan, Image.Image]],
    canvas: Canvas = SAMPLE_CANVAS,
) -> Image.Image:
    """Background, a drifting sun disc (so frames differ), then logos and captions visible at this time.

    The disc moves as fast per second, in layout units, at any size and rate; on the sample canvas the
    integer arithmetic is the original one, so the sample clips stay byte-identical.
    """
    t = index / canvas.fps
    frame = background.copy()
    draw = ImageDraw.Draw(frame)
    unit = round(canvas.scale)
    travel = index * 5 * unit * FPS // canvas.fps
    cx = int(40 * unit + travel % (canvas.width - 80 * unit))
    radius, bottom = 30 * unit, canvas.height - 20 * unit
    draw.ellipse((cx - radius, bottom - 2 * radius, cx + radius, bottom), fill=(255, 214, 90))
    for logo, image in logos:
        if logo.start_s <= t < logo.end_s:
            frame.paste(image, logo.box[:2], image)
    for caption, image in captions:
        if caption.start_s <= t < caption.end_s:
            frame.paste(image, caption.box[:2], image)
    return frame


def _placed_logo(logo: LogoPlan, path: Path | None) -> Image.Image:
    x0, y0, x1, y1 = logo.box
    return _logo_image(logo.brand, path).resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS)


@lru_cache(maxsize=64)
def _logo_image(brand: str, path: Path | None) -> Image.Image:
    if path is not None and path.is_file():
        with Image.open(path) as image:
            return image.convert("RGBA")
    return draw_logo(brand)


def write_corrupt_media(path: Path, seed: int) -> None:
    """An MP4-looking header followed by noise: decoders must fail on it, loudly."""
    noise = Random(seed).randbytes(6000)
    path.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + noise)
