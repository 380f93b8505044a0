"""What every part of the sample corpus agrees on: the clip format, the espeak-ng voices, the error type."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 360, 640
FPS = 12
AUDIO_RATE = 22050
ESPEAK_VOICES = {"en": "en-us", "es": "es", "de": "de"}


@dataclass(frozen=True)
class Canvas:
    """A clip's frame size and rate. The sample corpus is drawn on :data:`SAMPLE_CANVAS`; the benchmark draws the
    same plans at real upload sizes (``scale`` times the sample's 360x640 layout)."""

    width: int = WIDTH
    height: int = HEIGHT
    fps: int = FPS

    @property
    def scale(self) -> float:
        return self.width / WIDTH


SAMPLE_CANVAS = Canvas()


class SampleDataError(RuntimeError):
    """The sample corpus cannot be generated; the message says what is missing."""
