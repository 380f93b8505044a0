"""The content words of a text, for "what are people talking about when they mention us" (brand_topics).

Folded like every other comparison in the project (lower case, no accents), without the function
words of the catalog's usual languages (the one list, :data:`~listening_pipeline.lib.text.tolerant.STOP_WORDS`),
numbers, or words shorter than :data:`MIN_CHARS`; each word once, in order of first use.
"""

from __future__ import annotations

from listening_pipeline.lib.text.folding import folded_words
from listening_pipeline.lib.text.tolerant import STOP_WORDS

MIN_CHARS = 4
MAX_KEYWORDS = 50  # a transcript segment is up to 30 s of speech; more words are not more topics


def keywords(text: str | None) -> list[str]:
    if not text:
        return []
    found: list[str] = []
    for word in folded_words(text):
        word = word.strip("'")
        if len(word) >= MIN_CHARS and word.isalpha() and word not in STOP_WORDS and word not in found:
            found.append(word)
            if len(found) == MAX_KEYWORDS:
                break
    return found
