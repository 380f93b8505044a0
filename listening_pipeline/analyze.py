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
from listening_pipeline.media.decode import DecodeLimits, decode_video
from listening_pipeline.tables import OCR_TEXT, TRANSCRIPTS, VIDEOS

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
            "sentiment": rows(self.text_units.join(self.sentiment, on=["hashtag", "day", "unit_id", "video_id"], how="left")),
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
) -> Analysis:
    """Decode ``path`` once and run every enrichment step on it with the given loaded models."""
    from listening_pipeline.enrich.asr import words_json
    from listening_pipeline.enrich.mentions import BrandMatcher, mention_rows
    from listening_pipeline.enrich.text_units import build_text_units, sentiment_rows

    path = Path(path)
    video_id = "0"
    day = dt.date.today()
    key = {"hashtag": ANALYZE_HASHTAG, "day": day, "video_id": video_id}
    decoded = decode_video(path, limits=DecodeLimits())
    notes = []
    transcript_rows = []
    if decoded.audio is None:
        notes.append("no audio track: no transcript")
    else:
        transcript = speech.transcribe(decoded.audio)
        for number, segment in enumerate(transcript.segments):
            transcript_rows.append(
                {**key, "segment_no": number, "start_s": segment.start_s, "end_s": segment.end_s, "text": segment.text,
                 "language": transcript.language, "words_json": words_json(segment), "model": transcript.model}
            )
    caption_rows = []
    for number, span in enumerate(reader.read(decoded.frames, decoded.width, decoded.height)):
        x0, y0, x1, y1 = span.box
        caption_rows.append(
            {**key, "span_no": number, "text": span.text, "confidence": span.confidence, "first_seen_s": span.first_seen_s,
             "last_seen_s": span.last_seen_s, "box_x0": x0, "box_y0": y0, "box_x1": x1, "box_y1": y1, "model": reader.name}
        )
    logo_rows = []
    if detector is None:
        notes.append("no logo detector weights: run the logo_detector asset or pass --logo-weights")
    else:
        for frame, found in zip(decoded.frames, detector.detect([f.image for f in decoded.frames])):
            for hit in found:
                x0, y0, x1, y1 = hit.box
                logo_rows.append(
                    {**key, "brand": hit.brand, "confidence": hit.confidence, "t_s": frame.t_s, "t_until_s": frame.t_until_s,
                     "box_x0": x0, "box_y0": y0, "box_x1": x1, "box_y1": y1, "model": detector.model_name}
                )
    from listening_pipeline.tables import LOGO_HITS

    video = {
        **key, "source": "file", "creator": None, "created_at": dt.datetime.now(dt.timezone.utc), "description": description,
        "hashtags": [], "region": None, "view_count": None, "like_count": None, "comment_count": None,
        "share_count": None, "duration_s": decoded.duration_s, "voice_to_text": None, "media_uri": str(path),
        "media_error": None,
    }
    videos = VIDEOS.frame([video])
    transcripts, captions, logos = TRANSCRIPTS.frame(transcript_rows), OCR_TEXT.frame(caption_rows), LOGO_HITS.frame(logo_rows)
    units = build_text_units(videos, transcripts=transcripts, ocr_text=captions)
    scores = sentiment_rows(units, scorer)
    mentions = mention_rows(units, scores, logos, BrandMatcher(catalog.brands), ANALYZE_HASHTAG, day)
    summary = {
        "file": str(path), "duration_s": round(decoded.duration_s, 2), "width": decoded.width, "height": decoded.height,
        "has_audio": decoded.has_audio, "frames_sampled": decoded.frames_sampled, "frames_kept": len(decoded.frames),
    }
    return Analysis(summary, transcripts, captions, logos, units, scores, mentions, notes)
