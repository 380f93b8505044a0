"""What each enrichment stage's work is keyed by (:class:`~listening_pipeline.lib.ledger.Work`), from the
resources' settings, without loading a model: a stage that finds all its work done loads nothing.

Each version names the weights (by content), the device (CUDA float16 and CPU int8 do not agree to the
last digit), the libraries that run them, the stage's own code and the settings that change its rows
(the speech prompt and languages from the catalog, the decode settings of the media stage).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from listening_pipeline.catalog import Catalog
from listening_pipeline.defs.resources import MLModelsResource
from listening_pipeline.lib import weights
from listening_pipeline.lib.ledger import DECODE_MODULES, Work, weights_fingerprint, work
from listening_pipeline.lib.media.decode import DecodeLimits
from listening_pipeline.lib.speech_hints import SpeechHints
from listening_pipeline.lib.text.scoring import LEXICON_MODEL_NAME


def _device(ml_models: MLModelsResource) -> str:
    return ml_models.device or weights.best_device()


def media_work(limits: DecodeLimits) -> Work:
    return work("media", modules=DECODE_MODULES, libraries=("av", "pillow"), limits=repr(limits))


def speech_work(ml_models: MLModelsResource, languages: Sequence[str], hints: SpeechHints) -> Work:
    resolved = weights.resolve_whisper_model(ml_models.whisper_model or None)
    return work(
        "transcripts",
        modules=("listening_pipeline.lib.speech", "listening_pipeline.lib.speech_hints"),
        libraries=("whisperx", "faster-whisper", "ctranslate2", "torch"),
        weights=f"{resolved.name}@{weights_fingerprint(resolved.path)}",
        device=_device(ml_models),
        languages=",".join(languages),
        hints=repr(hints),
    )


def captions_work(ml_models: MLModelsResource) -> Work:
    resolved = weights.resolve_easyocr_models(ml_models.easyocr_models or None)
    return work(
        "ocr_text",
        modules=(
            "listening_pipeline.lib.captions",
            "listening_pipeline.lib.caption_spans",
            "listening_pipeline.lib.boxes",
            "listening_pipeline.lib.text_detector",
        ),
        libraries=("easyocr", "torch", "opencv-python-headless", "onnxruntime"),
        weights=f"{resolved.name}@{weights_fingerprint(resolved.path)}",
        device=_device(ml_models),
    )


def logo_weights(ml_models: MLModelsResource, catalog: Catalog, notify: Callable[[str], None]) -> Path | None:
    """The weights ``logo_hits`` runs (trained first if missing, as the stage would), None: no logos to find."""
    if ml_models.logo_weights:
        return weights.resolve_yolo_weights(ml_models.logo_weights, search_dirs=(Path(ml_models.logo_dir),)).path
    record = ml_models.ensure_logo_detector(catalog, notify)
    return None if record is None else record.weights


def logos_work(ml_models: MLModelsResource, weights_file: Path, catalog: Catalog) -> Work:
    """The weights, (for a catalog's own detector) the logo files its proposals are verified against, and the
    caption stage's version: its text boxes are where logos are looked for behind captions."""
    references = ",".join(
        f"{brand}:{weights_fingerprint(Path(logo))}"
        for brand, logos in ml_models.verification_references(catalog)
        for logo in logos
    )
    return work(
        "logo_hits",
        modules=(
            "listening_pipeline.lib.logos.detection",
            "listening_pipeline.lib.logos.verification",
            "listening_pipeline.lib.logos.search",
            "listening_pipeline.lib.logos.templates",
            "listening_pipeline.lib.logos.see_through",
            "listening_pipeline.lib.boxes",
        ),
        libraries=("ultralytics", "torch", "opencv-python-headless"),
        weights=f"{weights_file.name}@{weights_fingerprint(weights_file)}",
        references=references,
        device=_device(ml_models),
        captions=captions_work(ml_models).version,
    )


def sentiment_work(ml_models: MLModelsResource) -> Work:
    """Keyed by the scorer the resource would load; the lexicon when no classifier is found."""
    explicit = ml_models.sentiment_model or None
    resolved = None if explicit == "lexicon" else weights.resolve_sentiment_model(explicit)
    scorer = LEXICON_MODEL_NAME if resolved is None else f"{resolved.name}@{weights_fingerprint(resolved.path)}"
    return work(
        "sentiment",
        modules=(
            "listening_pipeline.lib.text.sentiment",
            "listening_pipeline.lib.text.scoring",
            "listening_pipeline.lib.text.lexicon",
        ),
        libraries=("transformers", "torch") if resolved is not None else (),
        scorer=scorer,
        device=_device(ml_models) if resolved is not None else "any",
    )


def scored_as_keyed(work_: Work, model_name: str) -> bool:
    """Whether a loaded scorer is the one ``work_`` is keyed by: a classifier that failed to load falls back
    to the lexicon, and those scores must not be recorded as the classifier's."""
    return (LEXICON_MODEL_NAME in work_.described) == (model_name == LEXICON_MODEL_NAME)
