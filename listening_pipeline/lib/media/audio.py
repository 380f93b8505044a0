"""The audio track, resampled while decoding to what speech models take: 16 kHz mono float32."""

from __future__ import annotations

import av
import numpy as np

SAMPLE_RATE = 16_000
"""Audio sample rate handed to speech models (Whisper's)."""


class AudioCollector:
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
