"""Speech to text with whisperx (faster-whisper + pyannote VAD), offline, with no made-up speech.

Why it exists: spoken brand mentions are half of what a short video says. whisperx cuts
the audio into voiced regions (pyannote VAD) and transcribes them in batches with a
faster-whisper (CTranslate2) model loaded once from a local directory.

pyannote stays the VAD: Silero (faster-whisper's ONNX file) was 14x cheaper but raised the evaluation
set's WER from 19% to 21% (``eval/RESULTS.md``, column int8-ocr-silero-vad).

Whisper invents text when there is none: on a synthetic chord loop tiny.en wrote
"Thank you." (avg log-prob -0.996, just above Whisper's own -1.0 cut-off), on silence
"you", on noise "I'm going to do that.". Two defences, in order:

1. VAD: no voiced region, no transcription. This alone removed music, silence and noise
   in our tests.
2. Per-segment evidence, for what slips through VAD (singing, crowd noise). whisperx's
   batched decoder ignores the ``no_speech_threshold``/``log_prob_threshold`` options
   it accepts and reports only each segment's average log-probability, so the model
   class here also asks CTranslate2 for each batch item's no-speech probability (one
   extra decoder step on the encoder output already computed). A segment is dropped when
   its text is empty, when it compresses too well (a repetition loop), when the model
   was unsure of its tokens, or when the no-speech probability is high and the text is
   not confidently decoded (:class:`SpeechFilter`). Measured on tiny.en with the VAD
   made permissive: espeak-ng speech, alone or over music, had no-speech 0.07-0.37 (a
   spoken "Thank you." the highest) and log-prob -0.14 to -0.92; the hallucinations on
   music, humming, noise and silence had no-speech 0.78-0.95 and log-prob -0.48 to -1.72.

Word timings need a wav2vec2 alignment model that whisperx would download; alignment runs
only when a local model folder is configured (and NLTK's punkt_tab is installed), and
``words`` is None otherwise.

The offline switches (``HF_HUB_OFFLINE``, ``PYANNOTE_METRICS_ENABLED``: :mod:`listening_pipeline.lib.offline`)
are set before whisperx is first imported; audio is passed as decoded numpy arrays, never as paths
(``whisperx.load_audio`` would start an ffmpeg process).
"""

from __future__ import annotations

import logging
import re
import threading
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from listening_pipeline.lib.devices import available_threads, best_device, set_torch_threads
from listening_pipeline.lib.media.audio import SAMPLE_RATE
from listening_pipeline.lib.offline import use_offline_environment
from listening_pipeline.lib.speech_hints import SpeechHints

log = logging.getLogger(__name__)

# The pyannote VAD scores 5-s windows, slid by 0.5 s in whisperx (each second scored 10 times). By half a window:
# 0.52 s instead of 2.64 s for six bench clips, voiced chunks moved by at most 0.03 s (eval figures unchanged).
VAD_STEP_S = 2.5


@dataclass(frozen=True)
class Word:
    word: str
    start_s: float | None
    end_s: float | None
    score: float | None


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    text: str
    words: list[Word] | None = None
    avg_logprob: float | None = None
    no_speech_prob: float | None = None


@dataclass(frozen=True)
class Transcript:
    language: str | None  # ISO 639-1; None when no speech was found
    segments: list[Segment]
    model: str
    seconds: float = 0.0  # wall time spent transcribing
    dropped: int = 0  # segments removed as non-speech


@dataclass(frozen=True)
class SpeechFilter:
    """When a transcribed segment is taken for a hallucination and dropped.

    Thresholds follow Whisper's own (compression 2.4, log-prob -1.0, no-speech 0.6), with
    one change: Whisper keeps a segment with high no-speech probability as long as its
    log-prob is above -1.0, which let "Thank you." over music (-0.996) through; here such a
    segment must be confidently decoded (log-prob >= ``confident_logprob``) to stay.
    """

    compression_ratio_threshold: float = 2.4
    logprob_threshold: float = -1.0
    no_speech_threshold: float = 0.6
    confident_logprob: float = -0.35

    def reason_to_drop(self, text: str, avg_logprob: float | None, no_speech_prob: float | None) -> str | None:
        """Why the segment is not speech, or None to keep it."""
        if not re.search(r"\w", text):
            return "no words"
        ratio = compression_ratio(text)
        if ratio > self.compression_ratio_threshold:
            return f"repetitive (compression ratio {ratio:.2f})"
        if avg_logprob is not None and avg_logprob < self.logprob_threshold:
            return f"unsure decoding (avg log-prob {avg_logprob:.2f})"
        if (
            no_speech_prob is not None
            and no_speech_prob > self.no_speech_threshold
            and (avg_logprob is None or avg_logprob < self.confident_logprob)
        ):
            return f"no speech (probability {no_speech_prob:.2f}, avg log-prob {avg_logprob})"
        return None


def compression_ratio(text: str) -> float:
    """How much zlib shrinks the text: loops like "la la la la" compress far better than speech."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


class SpeechModel:
    """A faster-whisper model behind whisperx, loaded once; :meth:`transcribe` takes 16 kHz mono audio.

    ``threads`` defaults to the cores this process may use, for CTranslate2. Given
    explicitly it also sets torch's intra-op threads (as the whisperx CLI does), for the
    VAD: when several model processes share a machine, keep their threads within the
    cores. With one of 2 cores busy elsewhere, 2 torch threads made the VAD's LSTM take
    9-15 s instead of 0.1 s for 8 s of audio (OpenMP threads spinning on a taken core).
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        name: str | None = None,
        device: str | None = None,
        compute_type: str | None = None,
        threads: int | None = None,
        batch_size: int | None = None,
        speech_filter: SpeechFilter = SpeechFilter(),
        vad_onset: float = 0.5,
        vad_offset: float = 0.363,
        align_model_dir: str | Path | None = None,
        align_language: str = "en",
    ) -> None:
        use_offline_environment()
        folder, resolved_name = _model_folder(model_dir)
        self.device = device or best_device()
        self.compute_type = compute_type or ("float16" if self.device == "cuda" else "int8")
        self.batch_size = batch_size or (16 if self.device == "cuda" else 4)
        self.speech_filter = speech_filter
        short = (name or resolved_name).removeprefix("faster-whisper-")
        self.name = f"whisperx/faster-whisper:{short}:{self.compute_type}"
        self._lock = threading.Lock()
        if threads:
            set_torch_threads(threads)
        started = time.perf_counter()
        self._pipeline, self._whisper = _load_pipeline(
            folder, self.device, self.compute_type, threads or available_threads(), vad_onset, vad_offset
        )
        _set_vad_step(self._pipeline, VAD_STEP_S)
        self.multilingual = bool(self._whisper.model.is_multilingual)
        self._aligner = _Aligner.load(align_model_dir, align_language, self.device) if align_model_dir else None
        self.load_s = time.perf_counter() - started

    def transcribe(
        self, audio: np.ndarray | None, languages: Sequence[str] = (), hints: SpeechHints | None = None
    ) -> Transcript:
        """Speech segments of ``audio`` (float32 mono at 16 kHz); no segments when nobody speaks.

        ``languages`` (ISO 639-1), when given, are the only ones a multilingual model may pick:
        left to itself on a short clip, Whisper heard espeak-ng Spanish as Latin (p 0.42) and
        wrote nonsense; restricted to the catalog's markets it picks Spanish. ``hints``: the
        catalog's brand names, told to the model in the chosen language (:mod:`.speech_hints`).
        """
        started = time.perf_counter()
        if audio is None or audio.size < SAMPLE_RATE // 10:
            return Transcript(language=None, segments=[], model=self.name)
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        with self._lock:
            language = self._language_for(audio, languages)
            result = self._transcribe(audio, language, hints)
            if hints is not None and hints.echoed_in(result.get("segments", [])):
                log.warning("speech model wrote its prompt back; transcribing again without the brand names")
                result = self._transcribe(audio, language, None)
            no_speech = list(self._whisper.no_speech_probs)
        raw = result.get("segments", [])
        if len(no_speech) != len(raw):
            log.warning(
                "no-speech probabilities for %d of %d segments; filtering without them", len(no_speech), len(raw)
            )
            no_speech = [None] * len(raw)
        kept, dropped = self._keep_speech(raw, no_speech)
        if kept and self._aligner is not None and result.get("language") == self._aligner.language:
            kept = self._aligner.align(kept, audio)
        language = result.get("language") if kept else None
        return Transcript(language, kept, self.name, time.perf_counter() - started, dropped)

    def _transcribe(self, audio: np.ndarray, language: str | None, hints: SpeechHints | None) -> dict[str, Any]:
        """whisperx's transcription, told the catalog's names when ``hints`` are given (caller holds the lock)."""
        self._whisper.no_speech_probs.clear()  # filled anew by each transcription, one per segment
        plain = self._pipeline.options
        if hints is not None:
            self._pipeline.options = replace(
                plain, initial_prompt=hints.initial_prompt(language), hotwords=hints.hotword_text()
            )
        try:
            return dict(self._pipeline.transcribe(audio, batch_size=self.batch_size, language=language))
        finally:
            self._pipeline.options = plain

    def _language_for(self, audio: np.ndarray, languages: Sequence[str]) -> str | None:
        """'en' for an English-only model; the likeliest allowed language; None to let Whisper choose."""
        if not self.multilingual:
            return "en"
        if not languages:
            return None
        _, _, probabilities = self._whisper.detect_language(audio[: 30 * SAMPLE_RATE])
        allowed = [(p, code) for code, p in probabilities if code in languages]
        return max(allowed)[1] if allowed else None

    def _keep_speech(self, raw: Sequence[dict], no_speech: Sequence[float | None]) -> tuple[list[Segment], int]:
        kept: list[Segment] = []
        for item, nsp in zip(raw, no_speech):
            text = str(item.get("text", "")).strip()
            logprob = item.get("avg_logprob")
            reason = self.speech_filter.reason_to_drop(text, logprob, nsp)
            if reason:
                log.info("dropped segment %.1f-%.1f s %r: %s", item["start"], item["end"], text[:60], reason)
                continue
            kept.append(Segment(float(item["start"]), float(item["end"]), text, None, logprob, nsp))
        return kept, len(raw) - len(kept)


def _model_folder(model_dir: str | Path | None) -> tuple[Path, str]:
    """The model directory and its readable name, found locally only (a bare size name would download).

    A folder must hold model.bin, config.json and tokenizer.json: without the tokenizer
    faster-whisper fetches one from the hub.
    """
    from listening_pipeline.lib.weights import resolve_whisper_model

    resolved = resolve_whisper_model(model_dir)
    return resolved.path, resolved.name


def _load_pipeline(
    folder: Path, device: str, compute_type: str, threads: int, vad_onset: float, vad_offset: float
) -> tuple[Any, Any]:
    """whisperx's pipeline around our evidence-recording model (both Any: whisperx is imported lazily)."""
    import whisperx

    whisper = _evidence_model_class()(
        str(folder), device=device, compute_type=compute_type, cpu_threads=threads, local_files_only=True
    )
    pipeline = whisperx.load_model(
        str(folder),
        device,
        compute_type=compute_type,
        language=None,
        vad_method="pyannote",  # the Silero option loads through torch.hub: not offline
        vad_options={"vad_onset": vad_onset, "vad_offset": vad_offset},
        model=whisper,
        threads=threads,
        # whisperx's defaults, stated because they matter: no blank first token, and no
        # previous-text conditioning, so one hallucinated segment cannot seed the next.
        asr_options={"suppress_blank": True, "condition_on_previous_text": False},
    )
    return pipeline, whisper


def _set_vad_step(pipeline: Any, step_s: float) -> None:
    """Slide the VAD's 5-s window by ``step_s`` (whisperx leaves pyannote's 0.5 s: each second scored 10 times)."""
    inference = getattr(getattr(pipeline.vad_model, "vad_pipeline", None), "_segmentation", None)
    if inference is None or not hasattr(inference, "step"):
        log.warning("cannot set the VAD step on %r: it stays at its default", type(pipeline.vad_model).__name__)
        return
    inference.step = min(step_s, inference.duration)


_EVIDENCE_CLASS: type | None = None


def _evidence_model_class() -> type:
    """whisperx's WhisperModel, also recording each batch item's no-speech probability.

    Built on first use so that importing this module does not import whisperx (8 s, torch).
    """
    global _EVIDENCE_CLASS
    if _EVIDENCE_CLASS is not None:
        return _EVIDENCE_CLASS
    from whisperx.asr import WhisperModel

    class _EvidenceWhisperModel(WhisperModel):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.no_speech_probs: list[float] = []
            self._last_encoded = None

        def encode(self, features: np.ndarray):
            self._last_encoded = super().encode(features)
            return self._last_encoded

        def generate_segment_batched(self, features, tokenizer, options, encoder_output=None):
            result = super().generate_segment_batched(features, tokenizer, options, encoder_output)
            prompt = self.get_prompt(tokenizer, [], without_timestamps=True)
            probes = self.model.generate(
                self._last_encoded,
                [prompt] * features.shape[0],
                max_length=len(prompt) + 1,
                return_no_speech_prob=True,
            )
            self.no_speech_probs.extend(float(p.no_speech_prob) for p in probes)
            return result

    _EVIDENCE_CLASS = _EvidenceWhisperModel
    return _EVIDENCE_CLASS


@dataclass
class _Aligner:
    """Optional word timings from a local wav2vec2 model (whisperx alignment)."""

    model: Any
    metadata: dict
    language: str
    device: str
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, model_dir: str | Path, language: str, device: str) -> _Aligner | None:
        folder = Path(model_dir).expanduser()
        if not folder.is_dir():
            log.warning("alignment model folder %s does not exist: words are left out", folder)
            return None
        if not _punkt_installed():
            log.warning("NLTK punkt_tab is not installed (whisperx would download it): words are left out")
            return None
        import whisperx

        try:
            model, metadata = whisperx.load_align_model(language, device, model_name=str(folder))
        except (ValueError, OSError) as exc:
            log.warning("alignment model in %s could not be loaded, words are left out: %s", folder, exc)
            return None
        return cls(model, metadata, language, device)

    def align(self, segments: list[Segment], audio: np.ndarray) -> list[Segment]:
        import whisperx

        plain = [{"start": s.start_s, "end": s.end_s, "text": s.text} for s in segments]
        try:
            with self._lock:
                aligned = whisperx.align(plain, self.model, self.metadata, audio, self.device)
        except Exception as exc:  # alignment is an extra: keep the unaligned segments
            log.warning("word alignment failed, keeping segments without words: %s", exc)
            return segments
        return [_aligned_segment(item, segments) for item in aligned.get("segments", [])]


def _aligned_segment(item: dict, originals: list[Segment]) -> Segment:
    words = [Word(str(w.get("word", "")), w.get("start"), w.get("end"), w.get("score")) for w in item.get("words", [])]
    start, end = float(item["start"]), float(item["end"])
    source = next((s for s in originals if s.start_s - 0.5 <= start <= s.end_s), None)
    return Segment(
        start,
        end,
        str(item.get("text", "")).strip(),
        words,
        source.avg_logprob if source else None,
        source.no_speech_prob if source else None,
    )


def _punkt_installed() -> bool:
    try:
        import nltk

        nltk.data.find("tokenizers/punkt_tab/english/")
        return True
    except (LookupError, ImportError):
        return False


def words_json(segment: Segment) -> str | None:
    """The TRANSCRIPTS.words_json value: [{word, start, end, score}] or None without alignment."""
    if segment.words is None:
        return None
    import json

    return json.dumps(
        [{"word": w.word, "start": w.start_s, "end": w.end_s, "score": w.score} for w in segment.words],
        ensure_ascii=False,
    )


def transcript_rows(transcript: Transcript, **key: Any) -> list[dict[str, Any]]:
    """TRANSCRIPTS rows of one video; ``key`` holds hashtag, day and video_id."""
    return [
        {
            **key,
            "segment_no": number,
            "start_s": segment.start_s,
            "end_s": segment.end_s,
            "text": segment.text,
            "language": transcript.language,
            "words_json": words_json(segment),
            "model": transcript.model,
        }
        for number, segment in enumerate(transcript.segments)
    ]
