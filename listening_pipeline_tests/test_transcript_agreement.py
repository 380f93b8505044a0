"""TikTok's transcript of a video against ours: the speech stage says, per video, how far they agree.

The story: a brand manager sees the check warn on a day and opens the videos where TikTok heard
"Mokka Mia" and our model heard something else, or nothing at all.
"""

from __future__ import annotations

import polars as pl

from listening_pipeline.defs.checks import AGREEMENT_CHECK, agreement_result
from listening_pipeline.lib.transcript_agreement import AGREEMENT_FLOOR, transcript_agreement

VIDEOS = pl.DataFrame(
    {
        "video_id": ["same", "misheard", "silent", "no_media", "no_platform", "blank"],
        "voice_to_text": [
            "I tried Mokka Mia today and it was terrible",
            "Honestly Mokka Mia is so disappointing",
            "Please do not buy Fizzly",
            "We packed some Bubblo",
            None,
            "   ",
        ],
    }
)
MEDIA = pl.DataFrame(
    {
        "video_id": ["same", "misheard", "silent", "no_media", "no_platform", "blank"],
        "audio_uri": ["a.npy", "b.npy", "c.npy", None, "e.npy", "f.npy"],
    }
)
TRANSCRIPTS = pl.DataFrame(
    {
        "video_id": ["same", "same", "misheard", "no_platform"],
        "segment_no": [1, 0, 0, 0],
        "text": ["and it was terrible.", "I tried Mokka Mia today", "Honestly, mocha is so disappointing.", "hi"],
    }
)


def test_each_video_both_transcribed_gets_its_agreement():
    agreement = transcript_agreement(VIDEOS, MEDIA, TRANSCRIPTS)
    by_video = dict(zip(agreement["video_id"], agreement["agreement"]))
    # Segments are joined in their order; case and punctuation do not count.
    assert by_video["same"] == 1.0
    # "mocha" for "Mokka Mia": one substitution and one deletion in 6 words.
    assert by_video["misheard"] == 1 - 2 / 6
    # We heard nothing where TikTok heard words: no agreement at all.
    assert by_video["silent"] == 0.0
    # Not compared: no audio of ours, no transcript of TikTok's, or TikTok's is blank.
    assert set(by_video) == {"same", "misheard", "silent"}


def test_the_check_warns_on_disagreement_and_lists_the_least_agreeing_first():
    result = agreement_result("transcripts", transcript_agreement(VIDEOS, MEDIA, TRANSCRIPTS), AGREEMENT_FLOOR)
    assert result.check_name == AGREEMENT_CHECK and not result.passed and result.severity.value == "WARN"
    assert result.metadata["videos_compared"].value == 3 and result.metadata["disagreeing"].value == 1
    table = result.metadata["least_agreeing"].value.splitlines()
    assert table[0] == "| video_id | agreement | TikTok's | ours |" and table[2].startswith("| silent | 0 |")
    agreeing = VIDEOS.filter(pl.col("video_id") == "same")
    assert agreement_result("transcripts", transcript_agreement(agreeing, MEDIA, TRANSCRIPTS), AGREEMENT_FLOOR).passed
    nothing = transcript_agreement(VIDEOS.head(0), MEDIA, TRANSCRIPTS)
    empty = agreement_result("transcripts", nothing, AGREEMENT_FLOOR)
    assert empty.passed and empty.metadata["videos_compared"].value == 0
