"""Soundtracks: speech spoken by espeak-ng over faint room noise, or chords for the music-only clip."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

from listening_pipeline.lib.sample_data.spec import AUDIO_RATE, ESPEAK_VOICES, SampleDataError
from listening_pipeline.lib.sample_data.video_plan import VideoPlan

SPEECH_RATE_WPM = 150


def require_espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise SampleDataError(
            "espeak-ng is not installed: the sample corpus needs it to speak its videos "
            "(Debian/Ubuntu: apt-get install espeak-ng; macOS: brew install espeak-ng; or `make`)"
        )
    return path


def synthesize_speech(text: str, language: str, workdir: Path, *, max_seconds: float) -> np.ndarray:
    """Mono float32 samples at AUDIO_RATE spoken by espeak-ng, sped up if longer than ``max_seconds``."""
    espeak = require_espeak()
    voice = ESPEAK_VOICES.get(language, language)
    rate = SPEECH_RATE_WPM
    while True:
        wav_path = workdir / "speech.wav"
        command = [espeak, "-v", voice, "-s", str(rate), "-w", str(wav_path), text]
        subprocess.run(command, check=True, capture_output=True)
        samples = _read_wav(wav_path)
        seconds = len(samples) / AUDIO_RATE
        if seconds <= max_seconds or rate >= 260:
            if seconds > max_seconds:
                raise SampleDataError(f"speech {text!r} does not fit in {max_seconds:.1f} s")
            return samples
        rate = min(260, int(rate * seconds / max_seconds) + 6)


def _read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as handle:
        if handle.getsampwidth() != 2 or handle.getnchannels() != 1:
            raise SampleDataError(f"{path}: expected 16-bit mono audio from espeak-ng")
        rate = handle.getframerate()
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    if rate != AUDIO_RATE:  # espeak-ng builds differ; linear resampling is enough for a sample
        positions = np.arange(0, len(samples), rate / AUDIO_RATE)
        samples = np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)
    return samples


def chord_music(seconds: float) -> np.ndarray:
    """C-F-G-C triads with soft attacks: a music-only soundtrack with no speech in it."""
    chords = ((261.63, 329.63, 392.00), (349.23, 440.00, 523.25), (392.00, 493.88, 587.33), (261.63, 329.63, 392.00))
    total = int(seconds * AUDIO_RATE)
    out = np.zeros(total, dtype=np.float32)
    span = total // len(chords)
    t = np.arange(span, dtype=np.float32) / AUDIO_RATE
    envelope = np.minimum(1.0, t / 0.05) * np.exp(-1.2 * t)
    for index, chord in enumerate(chords):
        tone = sum(np.sin(2 * np.pi * f * t) for f in chord) / len(chord)
        out[index * span : (index + 1) * span] = 0.35 * envelope * tone
    return out


def soundtrack(video: VideoPlan, workdir: Path, seed: int) -> tuple[np.ndarray, float | None]:
    """The whole clip's audio and when its speech ends: speech over faint room noise, or chords."""
    if video.kind == "music_only" or video.speech_text is None:
        return chord_music(video.duration_s), None
    total = video.duration_s * AUDIO_RATE
    audio = np.random.default_rng([seed, video.number]).normal(0.0, 0.002, total).astype(np.float32)
    room = video.duration_s - video.speech_start_s - 0.3
    speech = synthesize_speech(video.speech_text, video.language, workdir, max_seconds=room)
    start = int(round(video.speech_start_s * AUDIO_RATE))
    audio[start : start + len(speech)] += speech
    return np.clip(audio, -1.0, 1.0), round(video.speech_start_s + len(speech) / AUDIO_RATE, 3)
