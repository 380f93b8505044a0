"""Every piece of text of a partition as one table, so sentiment and brand matching see all of it alike.

Why one table: speech, on-screen captions, descriptions, hashtags and comments are scored
and matched by the same code; keeping each unit's origin (and its time in the video where
there is one) lets the marts split mentions by where they came from. Pure functions over
polars frames shaped by :mod:`listening_pipeline.warehouse.tables`.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from listening_pipeline.lib.text.intent import INTENT_LEXICON, classify
from listening_pipeline.lib.text.keywords import keywords
from listening_pipeline.lib.text.language import with_written_languages
from listening_pipeline.lib.text.scoring import SentimentScorer
from listening_pipeline.warehouse.tables import SENTIMENT, TEXT_UNITS

PLATFORM_TRANSCRIPT_REF = "platform"

_NO_TEXT = pl.lit(None, dtype=pl.String())
_NO_TIME = pl.lit(None, dtype=pl.Float64())


def build_text_units(
    videos: pl.DataFrame,
    comments: pl.DataFrame | None = None,
    transcripts: pl.DataFrame | None = None,
    ocr_text: pl.DataFrame | None = None,
    languages: Sequence[str] = (),
) -> pl.DataFrame:
    """TEXT_UNITS rows for one partition: descriptions, hashtags, comments, speech segments, captions.

    Texts are stripped and empty ones dropped. A video with no ASR segments falls back on
    the platform's own transcript (``voice_to_text``) as one speech unit, so videos whose
    media could not be fetched still have their speech. Rows are ordered by video and
    origin (input order within), so the same inputs give the same frame.
    """
    parts = [_description_units(videos), _hashtag_units(videos), _platform_object_units(videos)]
    if comments is not None:
        parts.append(_comment_units(comments))
    if transcripts is not None:
        parts.append(_speech_units(transcripts))
    parts.append(_platform_speech_units(videos, transcripts))
    if ocr_text is not None:
        parts.append(_caption_units(ocr_text))
    units = pl.concat(parts, how="vertical")
    units = (
        units.with_columns(pl.col("text").str.strip_chars())
        .filter(pl.col("text").is_not_null() & (pl.col("text").str.len_chars() > 0))
        .with_columns(unit_id=pl.concat_str(["video_id", "origin", "origin_ref"], separator=":"))
        .unique(subset=["hashtag", "day", "unit_id"], keep="first", maintain_order=True)
        .sort(["video_id", "origin"], maintain_order=True)  # stable: segments, spans, comments keep input order
    )
    units = units.with_columns(
        keywords=pl.col("text").map_elements(keywords, return_dtype=pl.List(pl.String()), skip_nulls=True)
    )
    return TEXT_UNITS.frame(with_written_languages(units, languages))


def _unit_columns(
    origin: str,
    origin_ref: pl.Expr,
    text: pl.Expr,
    language: pl.Expr = _NO_TEXT,
    start: pl.Expr = _NO_TIME,
    end: pl.Expr = _NO_TIME,
) -> list[pl.Expr]:
    return [
        pl.col("hashtag"),
        pl.col("day"),
        pl.col("video_id"),
        pl.lit(origin).alias("origin"),
        origin_ref.cast(pl.String()).alias("origin_ref"),
        text.cast(pl.String()).alias("text"),
        language.cast(pl.String()).alias("language"),
        start.cast(pl.Float64()).alias("start_s"),
        end.cast(pl.Float64()).alias("end_s"),
    ]


def _description_units(videos: pl.DataFrame) -> pl.DataFrame:
    return videos.select(_unit_columns("description", pl.lit("0"), pl.col("description")))


def _hashtag_units(videos: pl.DataFrame) -> pl.DataFrame:
    """One unit per distinct hashtag, written '#tag' so matchers and scorers see it as a hashtag."""
    tags = (
        videos.select("hashtag", "day", "video_id", pl.col("hashtags").alias("tag"))
        .explode("tag")
        .filter(pl.col("tag").is_not_null())
        .with_columns(pl.col("tag").str.strip_chars().str.strip_chars_start("#"))
    )
    return tags.select(_unit_columns("hashtag", pl.col("tag"), pl.lit("#") + pl.col("tag")))


def _platform_object_units(videos: pl.DataFrame) -> pl.DataFrame:
    """The text inside the platform's objects: each sticker's words (numbered), each effect's name (keyed
    by effect id) and each mentioned handle, written '@handle' as a person tags an account."""
    rows: list[tuple[str, str, str, object, str, str]] = []
    present = [c for c in ("sticker_texts", "effect_ids", "effect_names", "mentioned_users") if c in videos.columns]
    for video in videos.select("hashtag", "day", "video_id", *present).iter_rows(named=True):
        where = (video["hashtag"], video["video_id"], video["day"])
        for n, text in enumerate(video.get("sticker_texts") or []):
            rows.append((*where, "sticker", str(n), text))
        effects = zip(video.get("effect_ids") or [], video.get("effect_names") or [], strict=False)
        rows.extend((*where, "effect", effect_id, name) for effect_id, name in effects if name)
        for handle in video.get("mentioned_users") or []:
            name = (handle or "").strip().lstrip("@")
            if name:
                rows.append((*where, "handle", name, f"@{name}"))
    frame = pl.DataFrame(
        rows,
        schema={
            "hashtag": pl.String(),
            "video_id": pl.String(),
            "day": pl.Date(),
            "origin": pl.String(),
            "origin_ref": pl.String(),
            "text": pl.String(),
        },
        orient="row",
    )
    return frame.select(
        "hashtag", "day", "video_id", "origin", "origin_ref", "text",
        language=_NO_TEXT, start_s=_NO_TIME, end_s=_NO_TIME,
    )  # fmt: skip


def _comment_units(comments: pl.DataFrame) -> pl.DataFrame:
    return comments.select(_unit_columns("comment", pl.col("comment_id"), pl.col("text")))


def _speech_units(transcripts: pl.DataFrame) -> pl.DataFrame:
    return transcripts.select(
        _unit_columns(
            "speech", pl.col("segment_no"), pl.col("text"), pl.col("language"), pl.col("start_s"), pl.col("end_s")
        )
    )


def _platform_speech_units(videos: pl.DataFrame, transcripts: pl.DataFrame | None) -> pl.DataFrame:
    """The platform transcript of each video that has no ASR segment (no times: the platform gives none)."""
    with_text = videos.filter(pl.col("voice_to_text").is_not_null() & (pl.col("voice_to_text").str.strip_chars() != ""))
    if transcripts is not None and transcripts.height:
        with_text = with_text.join(transcripts.select("video_id").unique(), on="video_id", how="anti")
    return with_text.select(_unit_columns("speech", pl.lit(PLATFORM_TRANSCRIPT_REF), pl.col("voice_to_text")))


def _caption_units(ocr_text: pl.DataFrame) -> pl.DataFrame:
    return ocr_text.select(
        _unit_columns(
            "caption", pl.col("span_no"), pl.col("text"), start=pl.col("first_seen_s"), end=pl.col("last_seen_s")
        )
    )


def sentiment_rows(units: pl.DataFrame, scorer: SentimentScorer) -> pl.DataFrame:
    """SENTIMENT rows for ``units``; each distinct text is scored once (repeated comments, hashtags)."""
    if units.is_empty():
        return SENTIMENT.empty()
    texts = units.get_column("text").unique(maintain_order=True).to_list()
    results = scorer.score(texts)
    if len(results) != len(texts):
        raise RuntimeError(f"sentiment scorer returned {len(results)} results for {len(texts)} texts")
    scored = pl.DataFrame(
        {
            "text": texts,
            "label": [r.label for r in results],
            "score": [float(r.score) for r in results],
            "polarity": [float(r.polarity) for r in results],
            "model": [r.model for r in results],
        },
        schema={
            "text": pl.String(),
            "label": pl.String(),
            "score": pl.Float64(),
            "polarity": pl.Float64(),
            "model": pl.String(),
        },
    )
    rows = units.select("hashtag", "day", "unit_id", "video_id", "text")
    rows = rows.join(scored, on="text", how="left", maintain_order="left")
    return SENTIMENT.frame(with_intents(rows))


def with_intents(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` (with a ``text`` column) plus the intent flags of each text and the lexicon's version."""
    found = {text: classify(text) for text in rows.get_column("text").unique().to_list()}
    return rows.with_columns(
        purchase_intent=pl.col("text").replace_strict(
            {t: i.purchase_intent for t, i in found.items()}, return_dtype=pl.Boolean()
        ),
        complaint=pl.col("text").replace_strict({t: i.complaint for t, i in found.items()}, return_dtype=pl.Boolean()),
        intent_lexicon=pl.lit(INTENT_LEXICON, dtype=pl.String()),
    )
