"""Everything the pipeline finds in one video file, outside Dagster: for debugging a single video.

Runs the same framework-free code the assets run (decode, speech, captions, logos, text
units, sentiment, brand mentions) on any media file PyAV can open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from listening_pipeline.catalog import Catalog
from listening_pipeline.lib.media.decode import DecodeLimits, decode_video
from listening_pipeline.settings import FUZZY_MATCH_THRESHOLD
from listening_pipeline.warehouse.tables import LOGO_HITS, OCR_TEXT, TRANSCRIPTS, VIDEOS

ANALYZE_HASHTAG = "analyze"


@dataclass
class Analysis:
    video: dict[str, Any]
    transcript: pl.DataFrame
    captions: pl.DataFrame
    logos: pl.DataFrame
    text_units: pl.DataFrame
    sentiment: pl.DataFrame
    mentions: pl.DataFrame
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        def rows(frame: pl.DataFrame, drop=("hashtag", "day")) -> list[dict[str, Any]]:
            return frame.drop([c for c in drop if c in frame.columns]).to_dicts()

        return {
            "video": self.video,
            "transcript": rows(self.transcript),
            "captions": rows(self.captions),
            "logos": rows(self.logos),
            "sentiment": rows(
                self.text_units.join(self.sentiment, on=["hashtag", "day", "unit_id", "video_id"], how="left")
            ),
            "brand_mentions": rows(self.mentions),
            "notes": self.notes,
        }


def analyze_video(
    path: str | Path,
    catalog: Catalog,
    *,
    speech: Any,
    reader: Any,
    scorer: Any,
    detector: Any | None,
    description: str | None = None,
    fuzzy_match_threshold: float | None = FUZZY_MATCH_THRESHOLD,
) -> Analysis:
    """Decode ``path`` once and run every enrichment step on it with the given loaded models.

    As in the pipeline, the speech model is told the catalog's names and speech is matched tolerantly
    from ``fuzzy_match_threshold`` up (None: exact names only)."""
    from listening_pipeline.lib.caption_spans import caption_rows
    from listening_pipeline.lib.logos import hit_rows
    from listening_pipeline.lib.logos.see_through import text_boxes_at
    from listening_pipeline.lib.mentions import BrandMatcher, mention_rows
    from listening_pipeline.lib.speech import transcript_rows
    from listening_pipeline.lib.speech_hints import SpeechHints
    from listening_pipeline.lib.text.units import build_text_units, sentiment_rows

    path = Path(path)
    video_id = "0"
    day = dt.date.today()
    key = {"hashtag": ANALYZE_HASHTAG, "day": day, "video_id": video_id}
    decoded = decode_video(path, limits=DecodeLimits())
    notes = []
    transcripts: list[dict[str, Any]] = []
    if decoded.audio is None:
        notes.append("no audio track: no transcript")
    else:
        hints = SpeechHints.from_brands(catalog.brands)
        transcripts = transcript_rows(speech.transcribe(decoded.audio, catalog.languages, hints), **key)
    captions = caption_rows(reader.read(decoded.frames), reader.name, **key)
    logos: list[dict[str, Any]] = []
    if detector is None:
        notes.append("no logo detector weights: run the logo_detector asset or pass --logo-weights")
    else:
        found = detector.detect(
            [f.image for f in decoded.frames], [text_boxes_at(captions, f.t_s) for f in decoded.frames]
        )
        logos = hit_rows(decoded.frames, found, detector.model_name, **key)
    video = {
        **key,
        "source": "file",
        "creator": None,
        "created_at": dt.datetime.now(dt.UTC),
        "description": description,
        "hashtags": [],
        "region": None,
        "view_count": None,
        "like_count": None,
        "comment_count": None,
        "share_count": None,
        "duration_s": decoded.duration_s,
        "voice_to_text": None,
        "media_uri": str(path),
        "media_error": None,
    }
    videos = VIDEOS.frame([video])
    transcript_frame, caption_frame, logo_frame = (
        TRANSCRIPTS.frame(transcripts),
        OCR_TEXT.frame(captions),
        LOGO_HITS.frame(logos),
    )
    units = build_text_units(videos, transcripts=transcript_frame, ocr_text=caption_frame)
    scores = sentiment_rows(units, scorer)
    matcher = BrandMatcher(catalog.brands, fuzzy_match_threshold)
    mentions = mention_rows(
        units, scores, logo_frame, matcher, ANALYZE_HASHTAG, day, ocr_text=caption_frame, transcripts=transcript_frame
    )
    summary = {
        "file": str(path),
        "duration_s": round(decoded.duration_s, 2),
        "width": decoded.width,
        "height": decoded.height,
        "has_audio": decoded.has_audio,
        "frames_sampled": decoded.frames_sampled,
        "frames_kept": len(decoded.frames),
    }
    return Analysis(summary, transcript_frame, caption_frame, logo_frame, units, scores, mentions, notes)
