"""Brand mentions: catalog aliases found in text units, plus logo hits, as BRAND_MENTIONS rows.

Why a token matcher and not one big regex: a mention must respect word boundaries in any
script ("Fizzlyness" is not "Fizzly", "bubblo's" is "Bubblo"), ignore case and accents
("CAFE BRISA" is "Café Brisa"), allow any punctuation between the words of an alias
("Nord-Peak"), and accept hashtags and handles written solid ("#cafebrisa"). Folding the
text once and comparing token sequences does all of that with one dictionary lookup per
token, and maps each match back to its place in the original text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import polars as pl

from listening_pipeline.lib.boxes import share_inside
from listening_pipeline.lib.logos.appearances import logo_appearances
from listening_pipeline.lib.text.folding import fold_char, fold_with_offsets, word_spans
from listening_pipeline.warehouse.tables import BRAND_MENTIONS

_SOLID_PREFIXES = ("#", "@")  # hashtags and handles are written without spaces


class BrandLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def aliases(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Match:
    """An alias found in a text: ``text[start:end] == matched_text`` (offsets in the original text)."""

    brand: str
    start: int
    end: int
    matched_text: str


@dataclass(frozen=True)
class _Alias:
    brand: str
    tokens: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# Folding and tokens
# ---------------------------------------------------------------------------------------------


def _alias_tokens(alias: str) -> tuple[str, ...]:
    folded, _ = fold_with_offsets(alias)
    return tuple(folded[s:e] for s, e in word_spans(folded))


# ---------------------------------------------------------------------------------------------
# Matcher
# ---------------------------------------------------------------------------------------------


class BrandMatcher:
    """Finds the catalog's brands in text; aliases are folded and indexed once, when built."""

    def __init__(self, brands: Iterable[BrandLike]) -> None:
        self._by_first_token: dict[str, list[_Alias]] = {}
        self._solid: dict[str, _Alias] = {}
        for brand in brands:
            for alias in dict.fromkeys([brand.name, *brand.aliases]):
                tokens = _alias_tokens(alias)
                if not tokens:
                    continue
                entry = _Alias(brand.name, tokens)
                bucket = self._by_first_token.setdefault(tokens[0], [])
                if entry not in bucket:
                    bucket.append(entry)
                # Longest alias first, so "Fizzly Soda" wins over "Fizzly" where both fit.
                bucket.sort(key=lambda a: -len(a.tokens))
                self._solid.setdefault("".join(tokens), entry)

    def find(self, text: str | None) -> list[Match]:
        """Non-overlapping brand matches in ``text``, in order; the longest wins where matches overlap."""
        if not text:
            return []
        folded, origins = fold_with_offsets(text)
        spans = word_spans(folded)
        words = [folded[s:e] for s, e in spans]
        candidates: list[tuple[int, int, str]] = []  # folded start, folded end, brand
        for index, word in enumerate(words):
            for alias in self._by_first_token.get(word, ()):
                last = index + len(alias.tokens) - 1
                if last < len(words) and tuple(words[index : last + 1]) == alias.tokens:
                    candidates.append((spans[index][0], spans[last][1], alias.brand))
            start = spans[index][0]
            if start > 0 and folded[start - 1] in _SOLID_PREFIXES and word in self._solid:
                candidates.append((start, spans[index][1], self._solid[word].brand))
        return [self._to_match(text, origins, c) for c in _without_overlaps(candidates)]

    @staticmethod
    def _to_match(text: str, origins: list[int], candidate: tuple[int, int, str]) -> Match:
        start, end, brand = candidate
        original_start, original_end = origins[start], origins[end - 1] + 1
        while original_end < len(text) and fold_char(text[original_end]) == "":
            original_end += 1  # accents written as separate characters belong to the word
        return Match(brand, original_start, original_end, text[original_start:original_end])


def _without_overlaps(candidates: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    kept: list[tuple[int, int, str]] = []
    for candidate in sorted(set(candidates), key=lambda c: (c[0], -(c[1] - c[0]), c[2])):
        if not kept or candidate[0] >= kept[-1][1]:
            kept.append(candidate)
    return kept


# ---------------------------------------------------------------------------------------------
# BRAND_MENTIONS rows
# ---------------------------------------------------------------------------------------------


def mention_id(*parts: object) -> str:
    """A stable id from the parts that identify a mention (not the partition: a video in two
    hashtag partitions yields the same ids in both, so marts can count it once)."""
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:24]


def mention_rows(
    text_units: pl.DataFrame,
    sentiment: pl.DataFrame | None,
    logo_hits: pl.DataFrame | None,
    matcher: BrandMatcher,
    hashtag: str,
    day: date,
    ocr_text: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """BRAND_MENTIONS rows of one partition: one per brand named in a text unit, one per logo appearance.

    A mention is a piece of evidence a person would count: a comment naming a brand twice is one
    mention, and a logo held on screen for three sampled frames is one appearance, not three.
    With ``ocr_text``, a caption that is only the wordmark inside a detected logo of the same
    brand is left to the logo: OCR reads "TRAILFOX" off the logo, and counting it twice would
    inflate captions by every logo shown.
    """
    rows = _text_mention_rows(text_units, sentiment, matcher, hashtag, day)
    if logo_hits is not None and not logo_hits.is_empty():
        if ocr_text is not None and not ocr_text.is_empty():
            rows = _without_logo_wordmarks(rows, ocr_text, logo_hits)
        rows.extend(_logo_mention_rows(logo_hits, hashtag, day))
    return BRAND_MENTIONS.frame(rows)


WORDMARK_MIN_INSIDE = 0.6  # share of a caption's box inside a logo box for it to be the logo's own text
WORDMARK_TIME_SLACK_S = 1.0


def _without_logo_wordmarks(rows: list[dict], ocr_text: pl.DataFrame, logo_hits: pl.DataFrame) -> list[dict]:
    spans = {
        (r["video_id"], str(r["span_no"])): r
        for r in ocr_text.select(
            "video_id", "span_no", "first_seen_s", "last_seen_s", "box_x0", "box_y0", "box_x1", "box_y1"
        ).iter_rows(named=True)
    }
    hits: dict[tuple[str, str], list[dict]] = {}
    for hit in logo_hits.iter_rows(named=True):
        hits.setdefault((hit["video_id"], hit["brand"]), []).append(hit)
    kept = []
    for row in rows:
        if row["origin"] == "caption":
            span = spans.get((row["video_id"], row["unit_id"].rsplit(":", 1)[-1]))
            if span is not None and any(
                _is_wordmark(span, hit) for hit in hits.get((row["video_id"], row["brand"]), ())
            ):
                continue
        kept.append(row)
    return kept


def _is_wordmark(span: dict, hit: dict) -> bool:
    """The caption's box lies mostly inside the logo's box, while the logo is on screen."""
    until = hit["t_until_s"] if hit["t_until_s"] is not None else hit["t_s"]
    if span["first_seen_s"] > until + WORDMARK_TIME_SLACK_S or span["last_seen_s"] < hit["t_s"] - WORDMARK_TIME_SLACK_S:
        return False
    caption = (span["box_x0"], span["box_y0"], span["box_x1"], span["box_y1"])
    logo = (hit["box_x0"], hit["box_y0"], hit["box_x1"], hit["box_y1"])
    if any(v is None for v in (*caption, *logo)):
        return False
    return share_inside(caption, logo) >= WORDMARK_MIN_INSIDE


def _text_mention_rows(
    units: pl.DataFrame, sentiment: pl.DataFrame | None, matcher: BrandMatcher, hashtag: str, day: date
) -> list[dict]:
    labels: dict[str, tuple[str | None, float | None]] = {}
    if sentiment is not None and not sentiment.is_empty():
        for unit_id, label, polarity in sentiment.select("unit_id", "label", "polarity").iter_rows():
            labels[unit_id] = (label, polarity)
    rows = []
    for unit in units.select("unit_id", "video_id", "origin", "text", "start_s").iter_rows(named=True):
        label, polarity = labels.get(unit["unit_id"], (None, None))
        first_per_brand: dict[str, Match] = {}
        for match in matcher.find(unit["text"]):
            first_per_brand.setdefault(match.brand, match)
        for match in first_per_brand.values():
            rows.append(
                {
                    "hashtag": hashtag,
                    "day": day,
                    "mention_id": mention_id(unit["unit_id"], match.brand, match.start),
                    "video_id": unit["video_id"],
                    "brand": match.brand,
                    "origin": unit["origin"],
                    "unit_id": unit["unit_id"],
                    "matched_text": match.matched_text,
                    "t_s": unit["start_s"],
                    "confidence": 1.0,
                    "sentiment_label": label,
                    "sentiment_polarity": polarity,
                }
            )
    return rows


def _logo_mention_rows(logo_hits: pl.DataFrame, hashtag: str, day: date) -> list[dict]:
    return [
        {
            "hashtag": hashtag,
            "day": day,
            "mention_id": mention_id(seen["video_id"], "logo", seen["brand"], repr(float(seen["t_s"]))),
            "video_id": seen["video_id"],
            "brand": seen["brand"],
            "origin": "logo",
            "unit_id": None,
            "matched_text": None,
            "t_s": seen["t_s"],
            "confidence": seen["confidence"],
            "sentiment_label": None,
            "sentiment_polarity": None,
        }
        for seen in logo_appearances(logo_hits)
    ]
