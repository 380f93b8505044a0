"""Hashtag normalisation: the only gate between user text and partition keys, paths and SQL.

Dagster joins multi-partition dimensions with ``|`` and uses ``,``/``[``/``]`` in key
ranges, so a hashtag that reaches a partition key must be plain letters, digits and
underscores. Everything else is refused here, loudly, before anything is written.
"""

from __future__ import annotations

import unicodedata

MAX_HASHTAG_LENGTH = 100


class InvalidHashtag(ValueError):
    """A hashtag that cannot become a partition key."""


def normalize_hashtag(raw: str) -> str:
    """Return the canonical form of ``raw`` (NFC, lower case, no leading ``#``) or raise."""
    if not isinstance(raw, str):
        raise InvalidHashtag(f"hashtag must be text, got {type(raw).__name__}")
    text = unicodedata.normalize("NFC", raw.strip())
    if text.startswith("#"):
        text = text[1:]
    text = text.casefold()
    shown = ascii(raw if len(raw) <= 60 else raw[:60] + "...")
    if not text:
        raise InvalidHashtag(f"hashtag {shown} is empty")
    if len(text) > MAX_HASHTAG_LENGTH:
        raise InvalidHashtag(
            f"hashtag {shown} is {len(text)} characters long; at most {MAX_HASHTAG_LENGTH} are allowed"
        )
    bad = sorted({ch for ch in text if not _allowed(ch)})
    if bad:
        listed = " ".join(ascii(ch) for ch in bad[:10])
        raise InvalidHashtag(f"hashtag {shown} contains characters other than letters, digits and '_': {listed}")
    return text


def _allowed(ch: str) -> bool:
    if ch == "_":
        return True
    # Letters (L*), combining marks needed by many scripts (M*), and decimal digits (Nd).
    category = unicodedata.category(ch)
    return category[0] in ("L", "M") or category == "Nd"
