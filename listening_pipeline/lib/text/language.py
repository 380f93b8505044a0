"""The language of written text (descriptions, comments, captions, stickers), for splitting metrics by it.

Speech has its language from the speech model; written text gets it from py3langid, a naive Bayes
model over byte n-grams that ships in its wheel (offline, ~1 s to load, well under a millisecond
per text). Short texts tell little: a text with fewer than :data:`MIN_LETTERS` letters, or whose best
language is below :data:`MIN_CONFIDENCE`, has no language rather than a guess. Where the catalog
names the languages to expect, the choice is among them (far fewer wrong guesses on short posts).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import polars as pl

MIN_LETTERS = 12
MIN_CONFIDENCE = 0.8
WRITTEN_ORIGINS = ("description", "comment", "caption", "sticker")  # hashtags, handles, effects are names


@lru_cache(maxsize=8)
def _identifier(languages: tuple[str, ...]) -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    known = [code for code in languages if code in identifier.nb_classes]
    if known:
        identifier.set_languages(known)
    return identifier


def detect_language(text: str | None, languages: Sequence[str] = ()) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None when the text is too short or the model unsure."""
    if not text or sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return None
    code, confidence = _identifier(tuple(languages)).classify(text)
    return str(code) if confidence >= MIN_CONFIDENCE else None


def with_written_languages(units: pl.DataFrame, languages: Sequence[str] = ()) -> pl.DataFrame:
    """Text units with ``language`` filled for written text that has none (speech keeps the model's)."""
    todo = units.filter(pl.col("language").is_null() & pl.col("origin").is_in(WRITTEN_ORIGINS))
    if todo.is_empty():
        return units
    texts = todo.get_column("text").unique(maintain_order=True).to_list()
    found = pl.DataFrame(
        {"text": texts, "detected": [detect_language(t, languages) for t in texts]},
        schema={"text": pl.String(), "detected": pl.String()},
    )
    return (
        units.join(found, on="text", how="left", maintain_order="left")
        .with_columns(
            language=pl.when(pl.col("origin").is_in(WRITTEN_ORIGINS))
            .then(pl.coalesce("language", "detected"))
            .otherwise(pl.col("language"))
        )
        .drop("detected")
    )
