"""A deterministic sample corpus: short vertical videos with real speech, captions and logos.

Why it exists: every stage of the pipeline (ASR, OCR, logo detection, sentiment, brand
mentions, dbt marts) needs inputs whose right answers are known. This module writes a
folder that :class:`~listening_pipeline.lib.sources.folder.FolderSource` reads, plus a
``ground_truth.json`` saying exactly what was spoken, shown and meant, so tests and
benchmarks can score WER, OCR recall, logo precision/recall, sentiment agreement and
mention counts against it. Nothing here imports Dagster.

Output folder::

    videos.jsonl        Research-API-shaped video objects, one per line, with every documented
                        field (sound, effects, stickers, playlist... platform.platform_fields), plus "media"
    comments.jsonl      comment objects (id, video_id, text, like_count, reply_count,
                        parent_comment_id, create_time); top-level comments have
                        parent_comment_id == video_id, as the Research API returns them
    media/<id>.mp4      360x640, 12 fps, H.264 + AAC mono 22.05 kHz, 6-8 s
    ground_truth.json   what every video contains (shape below)

Content, for the bundled catalog and defaults (3 campaign hashtags x 3 days): three
videos per hashtag-day with speech made by ``espeak-ng`` (English, plus Spanish or
German in one video of each partition), one or two on-screen captions, brand logos in
some frames, descriptions and comments that are positive, negative or neutral about a
brand or its competitor; some videos mention no brand at all. Edge cases, listed in
``ground_truth.json["edge_cases"]``: one extra music-only video (chords, no speech, no
captions, no logos), one extra video whose media file is corrupt, one line of
``videos.jsonl`` that is not JSON (it names the first campaign hashtag, so every
partition of that hashtag reports it) and one line of ``comments.jsonl`` that is not
JSON (it names one video, so only that video's partition reports it).

``ground_truth.json`` shape (times in seconds from the start of the clip; a caption or
logo is on screen for frame times ``start_s <= t < end_s``; boxes are pixel
``[x0, y0, x1, y1]`` in the 360x640 frame, x1/y1 exclusive; ids are strings because they
exceed 2^53)::

    {
      "format": 1, "seed": 7, "start_day": "2026-11-01", "days": 3,
      "hashtags": ["summerdrinks", ...],
      "video": {"width": 360, "height": 640, "fps": 12, "audio_sample_rate": 22050,
                "video_codec": "libx264", "audio_codec": "aac"},
      "mention_rule": "...",            # how "brands" below were decided, in words
      "videos": [{
        "id": "7300000000000000001", "hashtag": "summerdrinks", "day": "2026-11-01",
        "kind": "speech" | "music_only" | "corrupt_media" | "metadata_only",
        "media": "media/7300000000000000001.mp4", "duration_s": 7,
        "language": "en" | "es" | "de" | null,      # of speech; null: no speech
        "brand": "Fizzly" | null, "competitor": "Bubblo" | null,   # what the video is about
        "speech": null | {"text": "<exact words given to espeak-ng>", "voice": "en-us",
                          "start_s": 0.5, "end_s": 4.2, "sentiment": "positive",
                          "brands": ["Fizzly"]},
        "captions": [{"text": "...", "start_s": 0.0, "end_s": 3.5, "box": [..],
                      "sentiment": "neutral", "brands": []}],
        "logos": [{"brand": "Fizzly", "start_s": 1.0, "end_s": 4.0, "box": [..]}],
        "description": {"text": "...", "sentiment": "positive", "brands": ["Fizzly"]},
        "hashtags": [{"tag": "summerdrinks", "brands": []}, {"tag": "fizzly", "brands": ["Fizzly"]}],
        "comments": [{"id": "...", "parent_id": "<video id or comment id>", "text": "...",
                      "language": "en", "sentiment": "negative", "brands": ["Bubblo"]}],
        "mentions": {"speech": [..], "caption": [..], "logo": [..], "description": [..],
                     "hashtag": [..], "comment": [..]}      # brands per origin, sorted
      }],
      "edge_cases": [{"kind": "music_only" | "corrupt_media", "video_id", "hashtag", "day"},
                     {"kind": "malformed_video_line", "file": "videos.jsonl", "line": 6,
                      "hashtag": "summerdrinks", "days": [...]},
                     {"kind": "malformed_comment_line", "file": "comments.jsonl", "line": 9,
                      "video_id", "hashtag", "day"}],
      "mention_counts": [{"hashtag", "day", "brand", "origin", "count"}]
    }

History and the planted alert: the last hashtag (``coffeetime``) also has ``history_days``
(14) metadata-only days before ``start_day``: three videos a day with a description,
hashtags and 4-7 comments, no media file (``"media": null``, as for Research API records
whose media was not downloaded), at about the mention level of an ordinary main day. On the
last history day its group's last brand (``Mokka Mia``) gets a wave of four negative
videos with 6-8 complaint comments each; the first of them is filmed (a clip with the brand's
logo, a caption naming it and a spoken complaint, and 40 times the views: the alert's
evidence has a second and a frame), listed under ``"history": {"filmed": [id]}``.
``ground_truth.json`` lists the wave under
``"planted_alerts": [{"brand", "day", "reasons": ["mentions", "negative_share"], "videos"}]``
and describes the history under ``"history"``.

Campaigns: ``"campaigns"`` lists the catalog's campaigns (``campaigns:`` in ``brands.yaml``) as
``{"name", "brand", "hashtag", "start_day", "end_day", "target": {"metric", "value"} | null,
"days": {"YYYY-MM-DD": [video ids]}}``: per day, the planned videos created that day that carry the
campaign's hashtag. The bundled catalog's campaign runs on ``coffeetime`` across the wave day.

``mention_counts`` counts text units (one speech track, caption, description, hashtag
or comment) naming the brand, and logo appearances; a corrupt video contributes only its
metadata (description, hashtags, comments). The corrupt and music-only videos have empty
``captions`` and ``logos`` and a null ``speech``. Descriptions end with the video's
hashtags, as posted on the platform; ``#fizzly`` there is the video's hashtag and counts once,
under ``hashtag`` (not under ``description`` too). Sentiment labels are what the text was
written to say: a description shares its video's label, an opening caption ("hook") is neutral, a comparison such as "I
switched from Bubblo to Fizzly, so much better" is positive.

Determinism: everything is drawn from ``random.Random(seed)`` in a fixed order, so the
same seed gives byte-identical ``videos.jsonl``, ``comments.jsonl`` and
``ground_truth.json`` (speech end times come from espeak-ng, so another espeak-ng version
may shift them). Media are byte-identical too on the same library versions: x264 runs on
one thread with macroblock-tree rate control off (with it on, the same frames gave
different bytes from run to run).
"""

from __future__ import annotations

from listening_pipeline.lib.sample_data.audio import SPEECH_RATE_WPM, chord_music, synthesize_speech
from listening_pipeline.lib.sample_data.brands import (
    MENTION_RULE,
    brand_hashtag,
    brands_in_hashtag,
    brands_named_in,
    logo_slug,
)
from listening_pipeline.lib.sample_data.corpus import generate_sample_corpus
from listening_pipeline.lib.sample_data.drawing import (
    LOGO_SIZE,
    LOGO_STYLES,
    LogoStyle,
    draw_logo,
    logo_style,
    write_bundled_logos,
)
from listening_pipeline.lib.sample_data.ground_truth import ORIGINS
from listening_pipeline.lib.sample_data.phrases import (
    CO_HASHTAGS,
    EVERYWHERE_HASHTAG,
    PHRASES,
    REGIONS,
    RISING_HASHTAGS,
    USERNAMES,
)
from listening_pipeline.lib.sample_data.plan import (
    HISTORY_VIDEOS_PER_DAY,
    SECOND_LANGUAGES,
    WAVE_VIDEOS,
    CorpusPlan,
    plan_corpus,
)
from listening_pipeline.lib.sample_data.spec import AUDIO_RATE, ESPEAK_VOICES, FPS, HEIGHT, WIDTH, SampleDataError
from listening_pipeline.lib.sample_data.video import video_codec
from listening_pipeline.lib.sample_data.video_plan import (
    CAPTION_BANDS,
    COMMENT_ID_BASE,
    LOGO_BAND,
    SENTIMENTS,
    VIDEO_ID_BASE,
    CaptionPlan,
    CommentPlan,
    LogoPlan,
    VideoPlan,
)

__all__ = [
    "AUDIO_RATE",
    "CAPTION_BANDS",
    "CO_HASHTAGS",
    "COMMENT_ID_BASE",
    "ESPEAK_VOICES",
    "EVERYWHERE_HASHTAG",
    "FPS",
    "HEIGHT",
    "HISTORY_VIDEOS_PER_DAY",
    "LOGO_BAND",
    "LOGO_SIZE",
    "LOGO_STYLES",
    "MENTION_RULE",
    "ORIGINS",
    "PHRASES",
    "REGIONS",
    "RISING_HASHTAGS",
    "SECOND_LANGUAGES",
    "SENTIMENTS",
    "SPEECH_RATE_WPM",
    "USERNAMES",
    "VIDEO_ID_BASE",
    "WAVE_VIDEOS",
    "WIDTH",
    "CaptionPlan",
    "CommentPlan",
    "CorpusPlan",
    "LogoPlan",
    "LogoStyle",
    "SampleDataError",
    "VideoPlan",
    "brand_hashtag",
    "brands_in_hashtag",
    "brands_named_in",
    "chord_music",
    "draw_logo",
    "generate_sample_corpus",
    "logo_slug",
    "logo_style",
    "plan_corpus",
    "synthesize_speech",
    "video_codec",
    "write_bundled_logos",
]
