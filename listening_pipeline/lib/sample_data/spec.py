"""What every part of the sample corpus agrees on: the clip format, the espeak-ng voices, the error type."""

from __future__ import annotations

WIDTH, HEIGHT = 360, 640
FPS = 12
AUDIO_RATE = 22050
ESPEAK_VOICES = {"en": "en-us", "es": "es", "de": "de"}


class SampleDataError(RuntimeError):
    """The sample corpus cannot be generated; the message says what is missing."""
