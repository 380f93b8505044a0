"""Sentiment of short social texts: a transformers classifier when one is on disk, a lexicon otherwise.

Why two scorers: no sentiment classifier installs from PyPI, and the pipeline must run on a
fresh laptop with no network. :func:`load_scorer` picks the classifier that
:mod:`listening_pipeline.lib.weights` finds, and falls back to :class:`LexiconScorer`
(English, Spanish and German words, emoji, emoticons) with the reason logged. Every result names
the scorer that produced it, so rows from either can be told apart downstream.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from listening_pipeline.lib import weights
from listening_pipeline.lib.text.lexicon import LexiconScorer
from listening_pipeline.lib.text.scoring import (
    LABELS,
    LEXICON_MODEL_NAME,
    Label,
    SentimentResult,
    SentimentScorer,
)

__all__ = [
    "LABELS",
    "LEXICON_MODEL_NAME",
    "Label",
    "LexiconScorer",
    "SentimentResult",
    "SentimentScorer",
    "TransformersScorer",
    "load_scorer",
    "map_labels",
]

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Transformers classifier
# ---------------------------------------------------------------------------------------------

# Label names seen in published sentiment classifiers, folded to lower case.
_NAMED_LABELS: dict[str, Label] = {
    "negative": "negative",
    "neg": "negative",
    "very negative": "negative",
    "very_negative": "negative",
    "neutral": "neutral",
    "neu": "neutral",
    "mixed": "neutral",
    "positive": "positive",
    "pos": "positive",
    "very positive": "positive",
    "very_positive": "positive",
    "1 star": "negative",
    "2 stars": "negative",
    "3 stars": "neutral",
    "4 stars": "positive",
    "5 stars": "positive",
}
# Generic LABEL_<i> names mean different things by class count: the usual conventions.
_ORDINAL_LABELS: dict[int, tuple[Label, ...]] = {
    2: ("negative", "positive"),  # SST-2 style
    3: ("negative", "neutral", "positive"),  # cardiffnlp style
    5: ("negative", "negative", "neutral", "positive", "positive"),  # star ratings
}
_USER_HANDLE = re.compile(r"(?<!\w)@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")


def map_labels(id2label: Mapping[int, str]) -> dict[str, Label]:
    """The model's label names mapped onto positive / neutral / negative; raises for labels it cannot place."""
    count = len(id2label)
    mapping: dict[str, Label] = {}
    unknown = []
    for _, raw in sorted(id2label.items(), key=lambda item: int(item[0])):
        name = str(raw).strip().lower()
        generic = re.fullmatch(r"label_(\d+)", name)
        if name in _NAMED_LABELS:
            mapping[str(raw)] = _NAMED_LABELS[name]
        elif generic and count in _ORDINAL_LABELS and int(generic.group(1)) < count:
            mapping[str(raw)] = _ORDINAL_LABELS[count][int(generic.group(1))]
        else:
            unknown.append(str(raw))
    if unknown or not mapping:
        shown = unknown or list(id2label.values())
        raise ValueError(f"cannot map sentiment labels {shown} onto positive/neutral/negative")
    if "positive" not in mapping.values() or "negative" not in mapping.values():
        raise ValueError(f"sentiment labels {list(id2label.values())} lack a positive or a negative class")
    return mapping


class TransformersScorer:
    """A sequence-classification model, loaded once from local files, scoring texts in batches.

    Texts are sorted by length before batching (less padding) and truncated to
    ``max_length`` tokens. User handles and links become ``@user`` / ``http``, as the
    cardiffnlp tweet models were trained; emoji are kept, they carry sentiment.
    """

    def __init__(
        self,
        model_dir_or_id: str | Path,
        device: str | None = None,
        batch_size: int = 32,
        max_length: int = 256,
        *,
        name: str | None = None,
    ) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

        source = str(model_dir_or_id)
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(source, local_files_only=True)
        model.eval()
        self.labels = map_labels(model.config.id2label)
        self.max_length = _usable_max_length(max_length, tokenizer.model_max_length, model.config)
        self.batch_size = batch_size
        self.device = device or weights.best_device()
        self.model_name = f"transformers:{name or _display_name(source)}"
        self._pipe = pipeline(
            "text-classification",
            model=model,
            tokenizer=tokenizer,
            device=self.device,
            top_k=None,
            truncation=True,
            max_length=self.max_length,
        )

    def score(self, texts: Sequence[str]) -> list[SentimentResult]:
        if not texts:
            return []
        prepared = [_prepare_for_model(t) for t in texts]
        order = sorted(range(len(prepared)), key=lambda i: len(prepared[i]))
        outputs = self._pipe([prepared[i] for i in order], batch_size=self.batch_size)
        results: dict[int, SentimentResult] = {}
        for index, scores in zip(order, outputs):
            results[index] = self._result(list(scores) if isinstance(scores, list) else [scores])
        if len(results) != len(texts):
            raise RuntimeError(f"{self.model_name} returned {len(results)} results for {len(texts)} texts")
        return [results[i] for i in range(len(texts))]

    def _result(self, scores: list[dict]) -> SentimentResult:
        """Sum class probabilities per three-way label (e.g. 1 and 2 stars are both negative)."""
        totals = {label: 0.0 for label in LABELS}
        for item in scores:
            totals[self.labels[item["label"]]] += float(item["score"])
        label = max(LABELS, key=lambda name: totals[name])
        polarity = max(-1.0, min(1.0, totals["positive"] - totals["negative"]))
        return SentimentResult(label, min(1.0, totals[label]), polarity, self.model_name)


def _usable_max_length(wanted: int, tokenizer_limit: int | None, config) -> int:
    """``wanted`` capped by what the tokenizer and the position embeddings allow.

    Tokenizers saved without a limit report a huge sentinel (1e30), so the model's own
    ``max_position_embeddings`` is the real cap; RoBERTa-style models spend two positions
    on the padding offset, so two are kept in reserve for every model.
    """
    limits = [wanted]
    if tokenizer_limit and tokenizer_limit < 100_000:
        limits.append(tokenizer_limit)
    positions = getattr(config, "max_position_embeddings", None)
    if positions:
        limits.append(positions - 2)
    return max(1, min(limits))


def _display_name(source: str) -> str:
    path = Path(source)
    return weights._name_from_dir(path) if path.exists() else source


def _prepare_for_model(text: str) -> str:
    return _URL.sub("http", _USER_HANDLE.sub("@user", text))


# ---------------------------------------------------------------------------------------------
# Choosing a scorer
# ---------------------------------------------------------------------------------------------


def load_scorer(explicit: str | Path | None = None, device: str | None = None, **scorer_options) -> SentimentScorer:
    """The classifier named or found on this machine, or the lexicon scorer (reason logged).

    ``explicit="lexicon"`` asks for the lexicon scorer. An explicit model that cannot be
    found or loaded raises; a cached default that fails to load falls back with a warning.
    """
    if explicit is not None and str(explicit) == "lexicon":
        return LexiconScorer()
    resolved = weights.resolve_sentiment_model(explicit)
    if resolved is None:
        log.info(
            "no sentiment classifier in the Hugging Face cache (looked for %s): scoring with %s; "
            "`listening-pipeline models pull sentiment` downloads one",
            ", ".join(weights.SENTIMENT_CACHE_CANDIDATES),
            LEXICON_MODEL_NAME,
        )
        return LexiconScorer()
    try:
        return TransformersScorer(resolved.path, device=device, name=resolved.name, **scorer_options)
    except Exception as exc:
        if explicit:
            raise
        log.warning(
            "cannot load sentiment model %s from %s (%s): scoring with %s",
            resolved.name,
            resolved.path,
            exc,
            LEXICON_MODEL_NAME,
        )
        return LexiconScorer()
