"""Brand mentions: catalog aliases found in text units, plus logo hits, as BRAND_MENTIONS rows.

Why a token matcher and not one big regex: a mention must respect word boundaries in any
script ("Fizzlyness" is not "Fizzly", "bubblo's" is "Bubblo"), ignore case and accents
("CAFE BRISA" is "Café Brisa"), allow any punctuation between the words of an alias
("Nord-Peak"), and accept hashtags and handles written solid ("#cafebrisa"). Folding the
text once and comparing token sequences does all of that with one dictionary lookup per
token, and maps each match back to its place in the original text.

Speech also gets a tolerant pass (:mod:`listening_pipeline.lib.text.tolerant`): the speech model
spells invented names as words it knows, so where no alias is found as written, windows of one
to three words that read or sound like an alias count, with their score as the mention's
``match_confidence``. How each origin is counted (and why a ``#brand`` in a description is a
hashtag mention, not a description one) is in docs/bi.md, "How mentions are counted".
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

import polars as pl

from listening_pipeline.lib.boxes import share_inside
from listening_pipeline.lib.logos.appearances import logo_appearances
from listening_pipeline.lib.text.common_words import CommonWordRule, confirm_common_words
from listening_pipeline.lib.text.folding import fold, fold_char, fold_with_offsets, word_spans
from listening_pipeline.lib.text.tolerant import FuzzyAlias, fuzzy_aliases, tolerant_hits
from listening_pipeline.warehouse.tables import BRAND_MENTIONS

_SOLID_PREFIXES = ("#", "@")  # hashtags and handles are written without spaces
# Origins matched tolerantly as well as exactly: speech only. Measured on the sample corpus, captions
# (OCR) read brand names exactly already, and people write descriptions and comments as they mean them.
TOLERANT_ORIGINS: tuple[str, ...] = ("speech",)


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
    confidence: float = 1.0  # 1: an alias as written; below 1: a tolerant match's score
    tagged: bool = False  # written as a hashtag ("#cafebrisa")
    rule: str | None = "exact"  # why it counts (common_words.MATCH_RULES); None: a common word without evidence


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
    """Finds the catalog's brands in text; aliases are folded and indexed once, when built.

    ``fuzzy_threshold``: the lowest confidence a tolerant match (:meth:`find_tolerant`) may have;
    None turns tolerant matching off.
    """

    def __init__(self, brands: Iterable[BrandLike], fuzzy_threshold: float | None = None) -> None:
        self._by_first_token: dict[str, list[_Alias]] = {}
        self._solid: dict[str, _Alias] = {}
        self._fuzzy: list[FuzzyAlias] = []
        self.fuzzy_threshold = fuzzy_threshold
        brands = list(brands)
        self.common_words = CommonWordRule(brands)
        for brand in brands:
            folded_aliases = []
            for alias in dict.fromkeys([brand.name, *brand.aliases]):
                tokens = _alias_tokens(alias)
                if not tokens:
                    continue
                folded_aliases.append(tokens)
                entry = _Alias(brand.name, tokens)
                bucket = self._by_first_token.setdefault(tokens[0], [])
                if entry not in bucket:
                    bucket.append(entry)
                # Longest alias first, so "Fizzly Soda" wins over "Fizzly" where both fit.
                bucket.sort(key=lambda a: -len(a.tokens))
                self._solid.setdefault("".join(tokens), entry)
            common = self.common_words.common_names(brand.name)  # ordinary words match as written only
            self._fuzzy.extend(fuzzy_aliases(brand.name, [a for a in folded_aliases if a not in common]))

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
        return [
            self._to_match(text, origins, c, tagged=c[0] > 0 and folded[c[0] - 1] == "#")
            for c in _without_overlaps(candidates)
        ]

    def find_tolerant(self, text: str | None) -> list[Match]:
        """:meth:`find`, plus windows of words that read or sound like an alias where no alias is written.

        A brand found as written keeps its exact match; a tolerant match never overlaps an exact one,
        and of overlapping tolerant matches the likeliest stays. Without a threshold: :meth:`find`.
        """
        exact = self.find(text)
        if not text or self.fuzzy_threshold is None or not self._fuzzy:
            return exact
        folded, origins = fold_with_offsets(text)
        spans = word_spans(folded)
        words = [folded[s:e] for s, e in spans]
        capitalised = [text[origins[s]].isupper() for s, _ in spans]
        hits = tolerant_hits(words, capitalised, self._fuzzy, self.fuzzy_threshold)
        taken = [(m.start, m.end) for m in exact]
        found = {m.brand for m in exact}
        tolerant: list[Match] = []
        for hit in sorted(hits, key=lambda h: (-h.confidence, h.first - h.last, h.first)):
            match = self._to_match(text, origins, (spans[hit.first][0], spans[hit.last][1], hit.brand), hit.confidence)
            match = Match(match.brand, match.start, match.end, match.matched_text, match.confidence, rule="tolerant")
            if hit.brand in found or any(match.start < end and start < match.end for start, end in taken):
                continue
            taken.append((match.start, match.end))
            found.add(hit.brand)
            tolerant.append(match)
        return sorted([*exact, *tolerant], key=lambda m: m.start)

    def judged(self, text: str, matches: list[Match], origin: str) -> list[Match]:
        """``matches`` with the rule each counts by: a common-word name's evidence in ``text``, or None (none)."""
        return [
            replace(m, rule=self.common_words.evidence(text, m.start, m.end, m.brand, origin))
            if self.common_words.is_common(m.brand, m.matched_text)
            else m
            for m in matches
        ]

    @staticmethod
    def _to_match(
        text: str, origins: list[int], candidate: tuple[int, int, str], confidence: float = 1.0, tagged: bool = False
    ) -> Match:
        start, end, brand = candidate
        original_start, original_end = origins[start], origins[end - 1] + 1
        while original_end < len(text) and fold_char(text[original_end]) == "":
            original_end += 1  # accents written as separate characters belong to the word
        return Match(brand, original_start, original_end, text[original_start:original_end], confidence, tagged)


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
    transcripts: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """BRAND_MENTIONS rows of one partition: one per brand named in a text unit, one per logo appearance.

    A mention is a piece of evidence a person would count: a comment naming a brand twice is one
    mention, and a logo held on screen for three sampled frames is one appearance, not three.
    A brand hashtag written in the description is the video's hashtag (origin ``hashtag``), counted
    once with the same tag in the video's hashtag list. With ``ocr_text``, a caption that is only
    the wordmark inside a detected logo of the same brand is left to the logo: OCR reads "TRAILFOX"
    off the logo, and counting it twice would inflate captions by every logo shown. With
    ``transcripts`` holding word timings, a speech mention's time is its first word's.
    """
    rows = _text_mention_rows(text_units, sentiment, matcher, hashtag, day, _word_starts(transcripts))
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
    units: pl.DataFrame,
    sentiment: pl.DataFrame | None,
    matcher: BrandMatcher,
    hashtag: str,
    day: date,
    word_starts: dict[str, list[float | None]],
) -> list[dict]:
    labels: dict[str, tuple[str | None, float | None]] = {}
    if sentiment is not None and not sentiment.is_empty():
        for unit_id, label, polarity in sentiment.select("unit_id", "label", "polarity").iter_rows():
            labels[unit_id] = (label, polarity)
    unit_rows = list(units.select("unit_id", "video_id", "origin", "text", "start_s", "end_s").iter_rows(named=True))
    # The video's hashtags, per brand: a '#tag' in the description that is also in the list is that same hashtag.
    tags_seen = {
        (unit["video_id"], match.brand, _tag_key(unit["text"], match.start))
        for unit in unit_rows
        if unit["origin"] == "hashtag"
        for match in matcher.find(unit["text"])
    }
    rows = []
    for unit in unit_rows:
        tolerant = unit["origin"] in TOLERANT_ORIGINS
        matches = matcher.find_tolerant(unit["text"]) if tolerant else matcher.find(unit["text"])
        matches = matcher.judged(unit["text"], matches, unit["origin"])
        for origin, match in _counted(unit, matches, tags_seen):
            label, polarity = labels.get(unit["unit_id"], (None, None))
            rows.append(
                {
                    "hashtag": hashtag,
                    "day": day,
                    "mention_id": mention_id(unit["unit_id"], match.brand, match.start),
                    "video_id": unit["video_id"],
                    "brand": match.brand,
                    "origin": origin,
                    "unit_id": unit["unit_id"],
                    "matched_text": match.matched_text,
                    "t_s": _mention_time(unit, match, word_starts),
                    "end_s": unit["end_s"],
                    "confidence": match.confidence,
                    "match_confidence": match.confidence,
                    "match_rule": match.rule,
                    "sentiment_label": label,
                    "sentiment_polarity": polarity,
                }
            )
    return confirm_common_words(rows, unit_rows, matcher.common_words)


def _counted(unit: dict, matches: list[Match], tags_seen: set[tuple[str, str, str]]) -> list[tuple[str, Match]]:
    """(origin, match) of the mentions one text unit counts: its best match per brand, and in a description
    each brand hashtag not already among the video's hashtags, as origin ``hashtag``."""
    counted: list[tuple[str, Match]] = []
    best: dict[str, Match] = {}
    for match in matches:
        if unit["origin"] == "description" and match.tagged:
            key = (unit["video_id"], match.brand, _tag_key(unit["text"], match.start))
            if key not in tags_seen:
                tags_seen.add(key)
                counted.append(("hashtag", match))
            continue
        if match.brand not in best or _strength(match) > _strength(best[match.brand]):
            best[match.brand] = match
    return [(unit["origin"], m) for m in best.values()] + counted


def _strength(match: Match) -> tuple[bool, float]:
    """A match with evidence beats a common word without, then the surer match wins."""
    return match.rule is not None, match.confidence


_TAG_BODY = re.compile(r"\w+")


def _tag_key(text: str, start: int) -> str:
    """The folded hashtag a match at ``start`` sits in: '#Cafe_Brisa!' -> 'cafe_brisa'."""
    body = _TAG_BODY.match(text, start)
    return fold(body.group() if body else text[start:])


def _word_starts(transcripts: pl.DataFrame | None) -> dict[str, list[float | None]]:
    """Speech unit id -> the start time of each of its words, for segments aligned to words."""
    if transcripts is None or transcripts.is_empty():
        return {}
    out = {}
    for video_id, segment_no, words in transcripts.select("video_id", "segment_no", "words_json").iter_rows():
        if words:
            out[f"{video_id}:speech:{segment_no}"] = [w.get("start") for w in json.loads(words)]
    return out


def _mention_time(unit: dict, match: Match, word_starts: dict[str, list[float | None]]) -> float | None:
    """The start of the matched word where the segment is aligned to words, else the unit's start.

    Aligned words are the segment text's whitespace-separated words, in order (whisperx alignment).
    """
    starts = word_starts.get(unit["unit_id"])
    if starts:
        before = unit["text"][: match.start]
        index = len(before.split()) - (1 if before and not before[-1].isspace() else 0)
        if 0 <= index < len(starts) and starts[index] is not None:
            return float(starts[index])  # type: ignore[arg-type]
    return unit["start_s"]


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
            "end_s": seen["visible_until_s"],
            "confidence": seen["confidence"],
            "match_confidence": None,
            "match_rule": None,
            "sentiment_label": None,
            "sentiment_polarity": None,
        }
        for seen in logo_appearances(logo_hits)
    ]
