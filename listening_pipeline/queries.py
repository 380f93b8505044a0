"""Tracked queries: a hashtag, a keyword or a creator handle, each a partition key like a hashtag.

The Research API finds videos by hashtag, by keyword (in the description) or by username, so a
brand team can follow its own account or a product name nobody tags. Each tracked query is one
value of the partitions' dynamic dimension, written so that a person reading a mart's ``hashtag``
column sees which kind it is:

* ``coffeetime``: a hashtag (bare, as before, so existing partitions keep their keys);
* ``keyword:oat_milk``: the keyword "oat milk" (words joined by ``_`` in the key);
* ``creator:brand.hopper``: the account ``@brand.hopper``.

This module is the only gate between user text and such keys; like
:func:`listening_pipeline.hashtags.normalize_hashtag`, it refuses loudly whatever could break a
partition key (``|``, ``,``, ``[``, ``]``), a path or SQL, before anything is written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from listening_pipeline.hashtags import MAX_HASHTAG_LENGTH, InvalidHashtag, normalize_hashtag

QueryKind = Literal["hashtag", "keyword", "creator"]
KEYWORD_PREFIX = "keyword:"
CREATOR_PREFIX = "creator:"
MAX_KEYWORD_WORDS = 5
MAX_HANDLE_LENGTH = 24  # TikTok's own limit on usernames
_HANDLE = re.compile(r"^[a-z0-9_](?:[a-z0-9_.]*[a-z0-9_])?$")


class InvalidQuery(InvalidHashtag):
    """A tracked query that cannot become a partition key (an :class:`InvalidHashtag` for old callers)."""


@dataclass(frozen=True)
class TrackedQuery:
    kind: QueryKind
    value: str  # the hashtag, the keyword's words separated by spaces, or the handle without '@'

    @property
    def key(self) -> str:
        """The partition key (and the marts' ``hashtag`` value)."""
        if self.kind == "keyword":
            return KEYWORD_PREFIX + self.value.replace(" ", "_")
        if self.kind == "creator":
            return CREATOR_PREFIX + self.value
        return self.value

    @property
    def label(self) -> str:
        """How logs and progress lines name it: #coffeetime, "oat milk", @brand.hopper."""
        return {"hashtag": f"#{self.value}", "keyword": f'"{self.value}"', "creator": f"@{self.value}"}[self.kind]


def normalize_query(raw: str) -> str:
    """The partition key of ``raw`` or :class:`InvalidQuery`.

    Accepted: ``coffeetime``, ``#coffeetime`` or ``hashtag:coffeetime``; ``keyword:oat milk`` (or
    ``keyword:oat_milk``); ``creator:brand.hopper`` or ``@brand.hopper``.
    """
    return parse_query(raw).key


def parse_query(raw: str) -> TrackedQuery:
    """What ``raw`` (user text or a stored partition key) asks for, validated."""
    if not isinstance(raw, str):
        raise InvalidQuery(f"query must be text, got {type(raw).__name__}")
    text = unicodedata.normalize("NFC", raw.strip())
    kind, sep, rest = text.partition(":")
    kind = kind.strip().casefold()
    if text.startswith("@"):
        return TrackedQuery("creator", normalize_handle(text))
    if sep and kind == "creator":
        return TrackedQuery("creator", normalize_handle(rest))
    if sep and kind == "keyword":
        return TrackedQuery("keyword", normalize_keyword(rest))
    if sep and kind == "hashtag":
        return TrackedQuery("hashtag", _hashtag(rest))
    return TrackedQuery("hashtag", _hashtag(text))


def normalize_keyword(raw: str) -> str:
    """A keyword's words, case-folded, separated by one space; letters, digits and '-' inside words only."""
    shown = _shown(raw)
    words = unicodedata.normalize("NFC", raw).replace("_", " ").casefold().split()
    if not words:
        raise InvalidQuery(f"keyword {shown} is empty")
    if len(words) > MAX_KEYWORD_WORDS:
        raise InvalidQuery(f"keyword {shown} has {len(words)} words; at most {MAX_KEYWORD_WORDS} are allowed")
    text = " ".join(words)
    if len(text) > MAX_HASHTAG_LENGTH:
        raise InvalidQuery(f"keyword {shown} is {len(text)} characters long; at most {MAX_HASHTAG_LENGTH} are allowed")
    bad = sorted({ch for word in words for ch in word if not (_letter_or_digit(ch) or ch == "-")})
    if bad or any(w.strip("-") != w for w in words):
        listed = " ".join(ascii(ch) for ch in bad[:10]) or "'-' at a word's edge"
        raise InvalidQuery(
            f"keyword {shown} may hold only words of letters and digits (a '-' inside a word); refused: {listed}"
        )
    return text


def normalize_handle(raw: str) -> str:
    """A TikTok username without '@', lower case: letters a-z, digits, '_' and '.' (not at either end)."""
    shown = _shown(raw)
    text = raw.strip()
    text = text[1:] if text.startswith("@") else text
    text = text.casefold()
    if not text:
        raise InvalidQuery(f"creator handle {shown} is empty")
    if len(text) > MAX_HANDLE_LENGTH:
        raise InvalidQuery(f"creator handle {shown} is {len(text)} characters long; TikTok allows {MAX_HANDLE_LENGTH}")
    if not _HANDLE.match(text) or ".." in text:
        raise InvalidQuery(
            f"creator handle {shown} is not a TikTok username: letters a-z, digits, '_' and '.' only, "
            "no '.' at either end or twice in a row"
        )
    return text


def _hashtag(raw: str) -> str:
    try:
        return normalize_hashtag(raw)
    except InvalidHashtag as exc:
        if ":" in raw:
            raise InvalidQuery(
                f"{exc}; a query of another kind is written keyword:WORDS or creator:HANDLE (or @HANDLE)"
            ) from None
        raise InvalidQuery(str(exc)) from None


def _letter_or_digit(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in ("L", "M") or category == "Nd"


def _shown(raw: str) -> str:
    return ascii(raw if len(raw) <= 60 else raw[:60] + "...")
