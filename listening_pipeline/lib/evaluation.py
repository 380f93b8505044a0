"""How well the enrichment reads the sample corpus, scored against the generator's ground truth.

Used by the tests (each score has a floor) and by ``bench/frame_dedup.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

import polars as pl

from listening_pipeline.lib.text.folding import folded_words


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, by word-level edit distance."""
    ref, hyp = folded_words(reference), folded_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / len(ref)


def corpus_wer(pairs: Iterable[tuple[str, str]]) -> float:
    """WER over many utterances, weighted by reference length."""
    errors = words = 0.0
    for reference, hypothesis in pairs:
        n = len(folded_words(reference))
        errors += word_error_rate(reference, hypothesis) * n
        words += n
    return errors / words if words else 0.0


def caption_found(caption: str, spans: Sequence[str], threshold: float = 0.8) -> bool:
    """A caption counts as read when a span, or spans read together, match it closely enough."""
    target = " ".join(folded_words(caption))
    if not target:
        return True
    candidates = [" ".join(folded_words(s)) for s in spans]
    candidates.append(" ".join(candidates))
    for candidate in candidates:
        if target in candidate or SequenceMatcher(None, target, candidate).ratio() >= threshold:
            return True
    # Spans that each cover part of a multi-line caption.
    joined = " ".join(c for c in candidates[:-1] if c and c in target)
    return SequenceMatcher(None, target, joined).ratio() >= threshold


def caption_recall(truth_videos: Sequence[Mapping[str, Any]], ocr_text: pl.DataFrame) -> float:
    """Share of the ground-truth captions that OCR recovered (in the same video, overlapping in time)."""
    total = found = 0
    for video in truth_videos:
        spans = ocr_text.filter(pl.col("video_id") == video["id"])
        for caption in video.get("captions", []):
            total += 1
            during = spans.filter(
                (pl.col("first_seen_s") <= caption["end_s"]) & (pl.col("last_seen_s") >= caption["start_s"] - 1.0)
            )
            found += caption_found(caption["text"], during["text"].to_list())
    return found / total if total else 1.0


def logo_precision_recall(
    truth_videos: Sequence[Mapping[str, Any]], logo_hits: pl.DataFrame, tolerance_s: float = 1.0
) -> tuple[float, float]:
    """Recall: logo appearances with a hit of that brand during them. Precision: hits that fall in one."""
    appearances = [
        (v["id"], logo["brand"], logo["start_s"], logo["end_s"]) for v in truth_videos for logo in v.get("logos", [])
    ]
    found = 0
    for video_id, brand, start, end in appearances:
        hits = logo_hits.filter(
            (pl.col("video_id") == video_id)
            & (pl.col("brand") == brand)
            & (pl.col("t_s") >= start - tolerance_s)
            & (pl.col("t_s") <= end + tolerance_s)
        )
        found += hits.height > 0
    correct = 0
    for hit in logo_hits.iter_rows(named=True):
        correct += any(
            hit["video_id"] == v and hit["brand"] == b and s - tolerance_s <= hit["t_s"] <= e + tolerance_s
            for v, b, s, e in appearances
        )
    recall = found / len(appearances) if appearances else 1.0
    precision = correct / logo_hits.height if logo_hits.height else 1.0
    return precision, recall


def sentiment_agreement(truth_videos: Sequence[Mapping[str, Any]], units: pl.DataFrame, scores: pl.DataFrame) -> float:
    """Share of descriptions and comments whose label matches the generator's label."""
    labelled = units.join(scores.select("unit_id", "label"), on="unit_id")
    by_ref = {(r["video_id"], r["origin"], r["origin_ref"]): r["label"] for r in labelled.iter_rows(named=True)}
    total = agree = 0
    for video in truth_videos:
        if video.get("description"):
            total += 1
            agree += by_ref.get((video["id"], "description", "0")) == video["description"]["sentiment"]
        for comment in video.get("comments", []):
            label = by_ref.get((comment.get("video_id", video["id"]), "comment", comment["id"]))
            total += 1
            agree += label == comment["sentiment"]
    return agree / total if total else 1.0


MENTION_ORIGINS = ("speech", "caption", "logo", "description", "hashtag", "comment", "sticker", "effect", "handle")
PartitionBrand = tuple[str, str, str]  # hashtag, ISO day, brand


def expected_origin_counts(
    mention_counts: Iterable[Mapping[str, Any]], partitions: set[tuple[str, str]]
) -> dict[PartitionBrand, dict[str, int]]:
    """Ground truth ``mention_counts`` of the given (hashtag, ISO day) partitions, per brand and origin."""
    expected: dict[PartitionBrand, dict[str, int]] = {}
    for row in mention_counts:
        if (row["hashtag"], row["day"]) in partitions:
            counts = expected.setdefault((row["hashtag"], row["day"], row["brand"]), dict.fromkeys(MENTION_ORIGINS, 0))
            counts[row["origin"]] = row["count"]
    return expected


def measured_origin_counts(
    brand_daily_metrics: pl.DataFrame, partitions: set[tuple[str, str]]
) -> dict[PartitionBrand, dict[str, int]]:
    """The same shape from ``marts.brand_daily_metrics`` rows (its ``<origin>_mentions`` columns)."""
    return {
        (r["hashtag"], r["day"].isoformat(), r["brand"]): {o: r[f"{o}_mentions"] for o in MENTION_ORIGINS}
        for r in brand_daily_metrics.iter_rows(named=True)
        if (r["hashtag"], r["day"].isoformat()) in partitions
    }
