"""What every sentiment scorer returns: three labels, a result naming its model, the scorer protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Label = Literal["positive", "neutral", "negative"]
LABELS: tuple[Label, ...] = ("negative", "neutral", "positive")
LEXICON_MODEL_NAME = "lexicon:listening_pipeline-v1"


@dataclass(frozen=True)
class SentimentResult:
    """``score`` is the confidence of ``label``; ``polarity`` is P(positive) - P(negative)."""

    label: Label
    score: float
    polarity: float
    model: str


class SentimentScorer(Protocol):
    model_name: str

    def score(self, texts: Sequence[str]) -> list[SentimentResult]:
        """One result per text, in the same order."""
        ...
