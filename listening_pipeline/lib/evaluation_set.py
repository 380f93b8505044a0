"""Scores of a pipeline run on the real-media evaluation set (``eval/``) against its hand-written ground truth.

Why it exists apart from :mod:`.evaluation`: the sample corpus's scores compare counts the generator
planted; this set asks what a user asks of real media: per origin and per brand, how many of the
expected mentions were found (recall), how many found ones were right (precision) and how many
were not there at all (false mentions), plus each stage's raw figures (WER, caption recall, logo
boxes at IoU 0.5). The WER and caption matching are :mod:`.evaluation`'s; box maths is :mod:`.boxes`.

Counting rule (``ground_truth.json["counting_rule"]``): per video a brand counts once per origin for
speech, caption, logo, description and hashtag, and once per comment naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from listening_pipeline.lib.boxes import iou
from listening_pipeline.lib.evaluation import MENTION_ORIGINS, caption_recall, corpus_wer
from listening_pipeline.lib.text.folding import folded_words

Counts = dict[tuple[str, str, str], int]  # (video_id, origin, brand) -> count
LOGO_MIN_IOU = 0.5
LOGO_TOLERANCE_S = 1.0
# The targets, each a (figure path in the results, comparison, threshold).
TARGETS: tuple[tuple[str, str, str, float], ...] = (
    ("spoken brand mentions: recall >= 90%", "origins.speech.recall", ">=", 0.90),
    ("spoken brand mentions: precision >= 95%", "origins.speech.precision", ">=", 0.95),
    ("logos, video level: recall >= 90%", "origins.logo.recall", ">=", 0.90),
    ("logos, video level: precision >= 95%", "origins.logo.precision", ">=", 0.95),
    ("logos: 0 hits on background-only clips", "stages.logos.hits_on_background_only", "<=", 0),
    ("captions: >= 95% of brand captions read", "stages.captions.brand_caption_recall", ">=", 0.95),
    ("no double counts (hashtag in description)", "double_counts", "<=", 0),
    ("no words on music or silence", "stages.speech.words_on_music_or_silence", "<=", 0),
    (
        "captions: dense real frames, at least as many phrases as raw EasyOCR",
        "held_out.dense_text.margin",
        ">=",
        0,
    ),
)


def load_ground_truth(path: Path) -> dict[str, Any]:
    return dict(json.loads(Path(path).read_text(encoding="utf-8")))


def expected_counts(videos: Sequence[Mapping[str, Any]]) -> Counts:
    return {
        (v["id"], origin, brand): count
        for v in videos
        for origin, brands in v["mentions"].items()
        for brand, count in brands.items()
        if count
    }


def found_counts(brand_mentions: pl.DataFrame, video_ids: Iterable[str]) -> Counts:
    """The pipeline's mentions under the counting rule: comments by distinct unit, the rest once per video."""
    wanted = set(video_ids)
    counts: Counts = {}
    if brand_mentions.is_empty():
        return counts
    units = brand_mentions.group_by("video_id", "origin", "brand").agg(pl.col("unit_id").n_unique().alias("units"))
    for row in units.iter_rows(named=True):
        if row["video_id"] in wanted:
            counts[(row["video_id"], row["origin"], row["brand"])] = row["units"] if row["origin"] == "comment" else 1
    return counts


def _ratios(expected: int, found: int, matched: int) -> dict[str, Any]:
    return {
        "expected": expected,
        "found": found,
        "matched": matched,
        "false": found - matched,
        "missed": expected - matched,
        "recall": matched / expected if expected else None,
        "precision": matched / found if found else None,
    }


def mention_scores(expected: Counts, found: Counts) -> dict[str, Any]:
    """Recall, precision and false mentions overall, per origin and per brand; and the mismatches by name."""
    keys = set(expected) | set(found)
    per_origin: dict[str, list[int]] = {o: [0, 0, 0] for o in MENTION_ORIGINS}
    per_brand: dict[str, list[int]] = {}
    totals = [0, 0, 0]
    misses, extras = [], []
    for key in sorted(keys):
        e, f = expected.get(key, 0), found.get(key, 0)
        m = min(e, f)
        for bucket in (per_origin.setdefault(key[1], [0, 0, 0]), per_brand.setdefault(key[2], [0, 0, 0]), totals):
            bucket[0] += e
            bucket[1] += f
            bucket[2] += m
        if e > m:
            misses.append({"video_id": key[0], "origin": key[1], "brand": key[2], "count": e - m})
        if f > m:
            extras.append({"video_id": key[0], "origin": key[1], "brand": key[2], "count": f - m})
    return {
        "all": _ratios(*totals),
        "origins": {o: _ratios(*v) for o, v in per_origin.items()},
        "brands": {b: _ratios(*v) for b, v in sorted(per_brand.items())},
        "missed": misses,
        "false": extras,
    }


def double_counts(videos: Sequence[Mapping[str, Any]], found: Counts) -> int:
    """Brands a video names only by hashtag that the pipeline counted as a description mention as well."""
    total = 0
    for v in videos:
        for brand in v["mentions"]["hashtag"]:
            if not v["mentions"]["description"].get(brand) and found.get((v["id"], "description", brand)):
                total += 1
    return total


def transcript_text(transcripts: pl.DataFrame, video_id: str) -> str:
    if transcripts.is_empty():
        return ""
    rows = transcripts.filter(pl.col("video_id") == video_id).sort("segment_no")
    return " ".join(t for t in rows["text"].to_list() if t)


def speech_scores(videos: Sequence[Mapping[str, Any]], transcripts: pl.DataFrame) -> dict[str, Any]:
    """WER over all speech, per language and per voice (real vs synthetic); words heard on music or silence."""
    pairs: dict[str, list[tuple[str, str]]] = {"all": []}
    per_clip = {}
    silent_words = 0
    for v in videos:
        heard = transcript_text(transcripts, v["id"])
        if v["speech"] is None:
            silent_words += len(folded_words(heard))
            continue
        pair = (v["speech"]["text"], heard)
        voice = "real" if v["speech"]["voice"] == "human" else "synthetic"
        for key in ("all", f"language:{v['language']}", f"voice:{voice}"):
            pairs.setdefault(key, []).append(pair)
        per_clip[v["slug"]] = {"reference": pair[0], "heard": heard, "wer": corpus_wer([pair])}
    return {
        "wer": {key: corpus_wer(value) for key, value in sorted(pairs.items())},
        "words_on_music_or_silence": silent_words,
        "clips": per_clip,
    }


def caption_scores(videos: Sequence[Mapping[str, Any]], ocr_text: pl.DataFrame) -> dict[str, Any]:
    """Caption recall (:func:`.evaluation.caption_recall`) over all captions and over captions naming a brand."""
    if ocr_text.is_empty():
        ocr_text = pl.DataFrame(schema={"video_id": pl.String, "text": pl.String, "first_seen_s": pl.Float64,
                                        "last_seen_s": pl.Float64})  # fmt: skip
    with_brand = [{**v, "captions": [c for c in v["captions"] if c["brands"]]} for v in videos]
    return {
        "caption_recall": caption_recall(videos, ocr_text),
        "captions": sum(len(v["captions"]) for v in videos),
        "brand_caption_recall": caption_recall(with_brand, ocr_text),
        "brand_captions": sum(len(v["captions"]) for v in with_brand),
    }


def logo_box_scores(videos: Sequence[Mapping[str, Any]], logo_hits: pl.DataFrame, width: int, height: int) -> dict:
    """Per-frame hits against drawn logos: a hit is right when a logo of its brand is on screen then
    (within LOGO_TOLERANCE_S) and the boxes overlap by IoU >= 0.5; a logo is found when one hit is right."""
    truth = {v["id"]: v["logos"] for v in videos}
    found_logos: set[tuple[str, int]] = set()
    correct = on_background_only = 0
    hits = list(logo_hits.iter_rows(named=True)) if not logo_hits.is_empty() else []
    for hit in hits:
        logos = truth.get(hit["video_id"])
        if logos is None:
            continue
        if not logos:
            on_background_only += 1
        box = (hit["box_x0"] * width, hit["box_y0"] * height, hit["box_x1"] * width, hit["box_y1"] * height)
        right = [
            i
            for i, logo in enumerate(logos)
            if logo["brand"] == hit["brand"]
            and logo["start_s"] - LOGO_TOLERANCE_S <= hit["t_s"] <= logo["end_s"] + LOGO_TOLERANCE_S
            and iou(box, logo["box"]) >= LOGO_MIN_IOU
        ]
        correct += bool(right)
        found_logos.update((hit["video_id"], i) for i in right)
    drawn = sum(len(v) for v in truth.values())
    counted = sum(h["video_id"] in truth for h in hits)
    return {
        "box_recall": len(found_logos) / drawn if drawn else None,
        "box_precision": correct / counted if counted else None,
        "hits": counted,
        "logos": drawn,
        "hits_on_background_only": on_background_only,
        "found": sorted(f"{v}#{i}" for v, i in found_logos),
    }


def speech_sentiment(
    videos: Sequence[Mapping[str, Any]], text_units: pl.DataFrame, sentiment: pl.DataFrame
) -> dict[str, Any]:
    """The label of each clip's speech units next to the sentiment the speech was written with."""
    out: dict[str, Any] = {}
    if text_units.is_empty() or sentiment.is_empty():
        return out
    labelled = text_units.filter(pl.col("origin") == "speech").join(sentiment.select("unit_id", "label"), on="unit_id")
    for v in videos:
        if v["speech"] is None or v["speech"]["voice"] == "human":
            continue
        labels = labelled.filter(pl.col("video_id") == v["id"])["label"].to_list()
        out[v["slug"]] = {"expected": v["speech"]["sentiment"], "labels": labels}
    agree = sum(1 for s in out.values() if s["expected"] in s["labels"])
    return {"agreement": agree / len(out) if out else None, "clips": out}


def figure(results: Mapping[str, Any], path: str) -> Any:
    value: Any = results
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def target_verdicts(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    verdicts = []
    for name, path, op, threshold in TARGETS:
        value = figure(results, path)
        met = value is not None and (value >= threshold if op == ">=" else value <= threshold)
        verdicts.append({"target": name, "figure": path, "value": value, "met": met})
    return verdicts


def score_run(
    ground_truth: Mapping[str, Any], tables: Mapping[str, pl.DataFrame], held_out: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Every figure of one run: ``tables`` holds the raw tables read back from the run's warehouse;
    ``held_out``, figures measured beside the set (real photos, dense frames: eval/run_eval.py)."""
    videos = ground_truth["videos"]
    ids = [v["id"] for v in videos]
    expected = expected_counts(videos)
    found = found_counts(tables["brand_mentions"], ids)
    mentions = mention_scores(expected, found)
    frame = ground_truth["frame"]
    results: dict[str, Any] = {
        "clips": len(videos),
        "mentions": mentions["all"],
        "origins": mentions["origins"],
        "brands": mentions["brands"],
        "missed": mentions["missed"],
        "false_mentions": mentions["false"],
        "double_counts": double_counts(videos, found),
        "stages": {
            "speech": speech_scores(videos, tables["transcripts"]),
            "captions": caption_scores(videos, tables["ocr_text"]),
            "logos": logo_box_scores(videos, tables["logo_hits"], frame["width"], frame["height"]),
            "sentiment": speech_sentiment(videos, tables["text_units"], tables["sentiment"]),
        },
    }
    if held_out is not None:
        results["held_out"] = dict(held_out)
    results["targets"] = target_verdicts(results)
    return results
