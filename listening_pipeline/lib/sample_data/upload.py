"""A planned sample video redrawn as a real upload: larger frames, a higher rate, a longer clip and more speech.

Why: the sample corpus is small (360x640, 12 fps, 6-8 s) so tests stay fast, which hides what real uploads
(720x1280 or 1080x1920, 30 fps, 15-60 s) cost to decode and read. The benchmark (``python -m bench``) draws
the same plans, with the same drawing code, at those sizes: boxes and fonts scaled with the frame, captions
and logos stretched over the longer clip, several of the corpus's spoken phrases read one after another.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from listening_pipeline.lib.sample_data.audio import SPEECH_RATE_WPM, soundtrack
from listening_pipeline.lib.sample_data.spec import HEIGHT, WIDTH, Canvas, SampleDataError
from listening_pipeline.lib.sample_data.video import render_video
from listening_pipeline.lib.sample_data.video_plan import VideoPlan

UPLOAD_CANVASES = (Canvas(720, 1280, 30), Canvas(1080, 1920, 30))
SPEECH_SHARE = 0.6  # of the clip's length filled with speech, at espeak-ng's rate


def at_upload_size(video: VideoPlan, canvas: Canvas, duration_s: int, extra_speech: Sequence[str] = ()) -> VideoPlan:
    """``video`` laid out on ``canvas`` and stretched to ``duration_s``; ``extra_speech`` is spoken after its own
    words while the whole still fits in :data:`SPEECH_SHARE` of the clip."""
    if canvas.width * HEIGHT != canvas.height * WIDTH or canvas.width % WIDTH:
        raise SampleDataError(f"{canvas.width}x{canvas.height}: a whole multiple of the {WIDTH}x{HEIGHT} layout")
    if duration_s < video.duration_s:
        raise SampleDataError(
            f"{duration_s} s is shorter than the planned {video.duration_s} s: its speech may not fit"
        )
    scale, stretch = canvas.width // WIDTH, duration_s / video.duration_s

    def box(b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return (b[0] * scale, b[1] * scale, b[2] * scale, b[3] * scale)

    captions = [
        dataclasses.replace(
            c, start_s=c.start_s * stretch, end_s=c.end_s * stretch, box=box(c.box), font_size=c.font_size * scale
        )
        for c in video.captions
    ]
    logos = [
        dataclasses.replace(logo, start_s=logo.start_s * stretch, end_s=logo.end_s * stretch, box=box(logo.box))
        for logo in video.logos
    ]
    speech = video.speech_text
    if speech is not None:
        budget_words = SPEECH_SHARE * duration_s * SPEECH_RATE_WPM / 60
        for more in extra_speech:
            if len(f"{speech} {more}".split()) > budget_words:
                break
            speech = f"{speech} {more}"
    return dataclasses.replace(video, duration_s=duration_s, captions=captions, logos=logos, speech_text=speech)


def write_upload(
    video: VideoPlan, canvas: Canvas, path: Path, logo_files: dict[str, Path | None], scratch: Path, seed: int
) -> VideoPlan:
    """Render one upload-size clip (a plan from :func:`at_upload_size`) to ``path``; returns it with its speech end."""
    audio, speech_end = soundtrack(video, scratch, seed)
    render_video(video, path, audio, logo_files, canvas)
    return dataclasses.replace(video, speech_end_s=speech_end)


__all__ = ["SPEECH_SHARE", "UPLOAD_CANVASES", "at_upload_size", "write_upload"]
