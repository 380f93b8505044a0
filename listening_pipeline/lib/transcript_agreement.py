"""How far TikTok's own transcript of a video (``voice_to_text``) and ours agree.

Why it exists: where the platform transcribed a video, a disagreement is a signal a user wants to
see: our model misheard (a brand name, a language it was not told about), the platform's did, or
the audio is music. Nothing is replaced or dropped; the speech stage reports the agreement as a
check, per video, so the disagreeing ones can be listened to.
"""

from __future__ import annotations

import polars as pl

from listening_pipeline.lib.evaluation import word_error_rate
from listening_pipeline.lib.text.folding import folded_words

AGREEMENT_FLOOR = 0.5
"""Below this a video's transcripts disagree: 1 - word error rate of ours against the platform's."""

AGREEMENT_SCHEMA = {
    "video_id": pl.String(),
    "platform_words": pl.Int64(),
    "our_words": pl.Int64(),
    "agreement": pl.Float64(),
    "platform_text": pl.String(),
    "our_text": pl.String(),
}


def transcript_agreement(videos: pl.DataFrame, media: pl.DataFrame, transcripts: pl.DataFrame) -> pl.DataFrame:
    """Per video with a platform transcript and audio we transcribed: 1 - WER(platform's, ours), at least 0.

    A video we found no words in while the platform did has agreement 0; one without audio (not decoded,
    metadata only) is not compared: there is nothing of ours to compare.
    """
    said = videos.filter(pl.col("voice_to_text").is_not_null()).select("video_id", "voice_to_text")
    heard = media.filter(pl.col("audio_uri").is_not_null()).select("video_id")
    ours = (
        transcripts.sort("video_id", "segment_no")
        .group_by("video_id", maintain_order=True)
        .agg(pl.col("text").str.join(" ").alias("ours"))
    )
    rows = []
    joined = said.unique("video_id").join(heard.unique(), on="video_id").join(ours, on="video_id", how="left")
    for row in joined.sort("video_id").iter_rows(named=True):
        platform, our_text = row["voice_to_text"], row["ours"] or ""
        if not folded_words(platform):
            continue
        rows.append(
            {
                "video_id": row["video_id"],
                "platform_words": len(folded_words(platform)),
                "our_words": len(folded_words(our_text)),
                "agreement": max(0.0, 1.0 - word_error_rate(platform, our_text)),
                "platform_text": platform,
                "our_text": our_text,
            }
        )
    return pl.DataFrame(rows, schema=AGREEMENT_SCHEMA)
