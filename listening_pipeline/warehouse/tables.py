"""Every warehouse table the Python assets write, declared once.

Each :class:`Table` is the single source for the polars frames an asset builds, the
warehouse DDL (DuckDB and PostgreSQL), the data-quality checks and the dbt source
definitions (``dbt/models/sources.yml`` is checked against these by a test).
Partitioned tables carry ``hashtag`` and ``day``; a materialization replaces exactly
the rows of its partition. Every stored row also carries :data:`LOADED_AT`, stamped by the
warehouse when it writes the row (assets never build it), which dbt's source freshness reads.
"""

from __future__ import annotations

import polars as pl

# What a declaration is lives in schema.py; its names are imported from here too, as before the split.
from listening_pipeline.warehouse.schema import (  # noqa: F401
    LOADED_AT,
    LOADED_AT_COLUMN,
    RAW_SCHEMA,
    Table,
    partitioned_columns,
    truncate,
)

VIDEOS = Table(
    name="videos",
    description="One row per video found for a tracked hashtag on a day, with metadata and media location.",
    columns=partitioned_columns(
        {
            "video_id": (pl.String(), "Platform video id, kept as text: ids exceed 2^53."),
            "source": (pl.String(), "Where the record came from: 'folder' or 'research_api'."),
            "creator": (pl.String(), "Username of the creator."),
            "created_at": (pl.Datetime("us", "UTC"), "Creation time of the video (UTC)."),
            "description": (pl.String(), "Video description as posted (NUL bytes removed)."),
            "hashtags": (pl.List(pl.String()), "Hashtags on the video, normalised."),
            "region": (pl.String(), "Region code reported by the platform."),
            "view_count": (pl.Int64(), "Views at collection time."),
            "like_count": (pl.Int64(), "Likes at collection time."),
            "comment_count": (pl.Int64(), "Comments at collection time."),
            "share_count": (pl.Int64(), "Shares at collection time."),
            "duration_s": (pl.Float64(), "Duration in seconds as reported by the platform."),
            "voice_to_text": (pl.String(), "Platform-provided transcript, when the source has one."),
            "music_id": (pl.String(), "The sound the video uses (the platform's music id, text)."),
            "effect_ids": (pl.List(pl.String()), "Ids of the effects the video uses."),
            "playlist_id": (pl.String(), "Playlist the video belongs to, when it is in one."),
            "favorites_count": (pl.Int64(), "Times the video was saved as a favourite, at collection time."),
            "is_stem_verified": (pl.Boolean(), "Whether the platform verified the video as quality STEM content."),
            "mentioned_users": (pl.List(pl.String()), "Usernames the video mentions (video_mention_list)."),
            "hashtag_info_json": (
                pl.String(),
                "hashtag_info_list as the platform sent it (JSON: hashtag ids, names, descriptions).",
            ),
            "sticker_info_json": (pl.String(), "sticker_info_list as the platform sent it (JSON: the stickers' text)."),
            "effect_info_json": (pl.String(), "effect_info_list as the platform sent it (JSON: effect ids and names)."),
            "effect_names": (
                pl.List(pl.String()),
                "Name of each of effect_ids, same order (null where effect_info_list names none).",
            ),
            "sticker_texts": (pl.List(pl.String()), "The text of the video's stickers, read from sticker_info_list."),
            "video_label_json": (pl.String(), "video_label as the platform sent it (JSON, e.g. an election label)."),
            "video_tag_json": (pl.String(), "video_tag as the platform sent it (JSON)."),
            "media_uri": (pl.String(), "Location of the media file in the media store; null when unavailable."),
            "media_error": (pl.String(), "Why the media is unavailable; null when it was stored."),
        }
    ),
    key=("hashtag", "day", "video_id"),
    not_null=("hashtag", "day", "video_id", "source", "created_at"),
    ranges={
        "view_count": (0, None),
        "like_count": (0, None),
        "comment_count": (0, None),
        "share_count": (0, None),
        "favorites_count": (0, None),
        "duration_s": (0, None),
    },
    allowed={"source": ("folder", "research_api")},
    written_daily=True,
)

VIDEO_STATS_SNAPSHOTS = Table(
    name="video_stats_snapshots",
    description=(
        "A video's counts each time it was collected (the daily schedule re-collects recent days), so its "
        "growth is known, not only its last value. Written beside raw.videos; one row per video and observation."
    ),
    columns={
        "video_id": (pl.String(), "Video the counts belong to."),
        "collected_at": (
            pl.Datetime("us", "UTC"),
            "When the counts were observed (UTC): the Research API query's time, or a folder export's "
            "videos.jsonl modification time (re-reading an unchanged export adds no snapshot).",
        ),
        "view_count": (pl.Int64(), "Views then."),
        "like_count": (pl.Int64(), "Likes then."),
        "comment_count": (pl.Int64(), "Comments then."),
        "share_count": (pl.Int64(), "Shares then."),
        "favorites_count": (pl.Int64(), "Favourites then."),
    },
    key=("video_id", "collected_at"),
    not_null=("video_id", "collected_at"),
    partitioned=False,
    ranges={
        "view_count": (0, None),
        "like_count": (0, None),
        "comment_count": (0, None),
        "share_count": (0, None),
        "favorites_count": (0, None),
    },
    written_daily=True,
)

COMMENTS = Table(
    name="comments",
    description="One row per comment on a video of the partition.",
    columns=partitioned_columns(
        {
            "comment_id": (pl.String(), "Platform comment id (text)."),
            "video_id": (pl.String(), "Video the comment belongs to."),
            "parent_comment_id": (pl.String(), "Parent comment; equals video_id for a top-level comment."),
            "text": (pl.String(), "Comment text (NUL bytes removed)."),
            "like_count": (pl.Int64(), "Likes on the comment."),
            "reply_count": (pl.Int64(), "Replies to the comment."),
            "created_at": (pl.Datetime("us", "UTC"), "Creation time of the comment (UTC)."),
        }
    ),
    key=("hashtag", "day", "comment_id"),
    not_null=("hashtag", "day", "comment_id", "video_id"),
    ranges={"like_count": (0, None), "reply_count": (0, None)},
)

CREATORS = Table(
    name="creators",
    description=(
        "The profile of each creator of the partition's videos (the Research API's user info, or a folder "
        "export's creators.jsonl), as read for that day: one row per creator. A profile already read for the "
        "same day under another hashtag is copied, not fetched again (once per creator per day)."
    ),
    columns=partitioned_columns(
        {
            "creator": (pl.String(), "Username of the creator (videos.creator)."),
            "display_name": (pl.String(), "Name shown on the profile."),
            "bio_description": (pl.String(), "Profile text (NUL bytes removed)."),
            "avatar_url": (pl.String(), "Profile picture URL, when the source gives one."),
            "is_verified": (pl.Boolean(), "Whether the platform verified the account."),
            "follower_count": (pl.Int64(), "Followers when the profile was read."),
            "following_count": (pl.Int64(), "Accounts the creator follows, when the profile was read."),
            "likes_count": (pl.Int64(), "Likes over all the creator's videos, when the profile was read."),
            "video_count": (pl.Int64(), "Videos on the profile, when the profile was read."),
            "fetched_at": (
                pl.Datetime("us", "UTC"),
                "When the profile was read (UTC): the API call's time, or the folder export's creators.jsonl "
                "modification time.",
            ),
        }
    ),
    key=("hashtag", "day", "creator"),
    not_null=("hashtag", "day", "creator", "fetched_at"),
    ranges={
        "follower_count": (0, None),
        "following_count": (0, None),
        "likes_count": (0, None),
        "video_count": (0, None),
    },
)

QUARANTINE = Table(
    name="quarantine",
    description="Inputs a stage could not read, with where and why; the rest of the partition went on.",
    columns=partitioned_columns(
        {
            "stage": (pl.String(), "Asset that quarantined the item, e.g. 'videos'."),
            "item": (pl.String(), "What could not be read: file and line, video id, URL."),
            "reason": (pl.String(), "Why, in words."),
            "raw": (pl.String(), "The offending input, truncated to 2,000 characters, when there is one."),
        }
    ),
    key=("hashtag", "day", "stage", "item"),
    not_null=("hashtag", "day", "stage", "item", "reason"),
)

BRANDS = Table(
    name="brands",
    description="The brand catalog as a table: one row per brand, for joins in dbt.",
    columns={
        "brand": (pl.String(), "Brand name as in brands.yaml."),
        "competitor_group": (pl.String(), "Group of competing brands that share of voice is computed within."),
        "aliases": (pl.List(pl.String()), "Names that count as a mention of the brand."),
        "hashtags": (pl.List(pl.String()), "Hashtags tracked for the brand."),
    },
    key=("brand",),
    not_null=("brand", "competitor_group"),
    partitioned=False,
)

CAMPAIGNS = Table(
    name="campaigns",
    description=(
        "The catalog's campaigns as a table: one row per campaign (a brand's hashtag between two days, with an "
        "optional target), for marts.campaign_performance."
    ),
    columns={
        "campaign": (pl.String(), "Campaign name as in brands.yaml."),
        "brand": (pl.String(), "Brand running the campaign (a brand of the catalog)."),
        "hashtag": (pl.String(), "The campaign's hashtag, normalised, without '#'."),
        "start_day": (pl.Date(), "First day of the campaign (UTC)."),
        "end_day": (pl.Date(), "Last day of the campaign, included (UTC)."),
        "target_metric": (pl.String(), "What the target counts: videos, views, creators or mentions; null: no target."),
        "target_value": (pl.Int64(), "The total of target_metric to reach by end_day; null: no target."),
    },
    key=("campaign",),
    not_null=("campaign", "brand", "hashtag", "start_day", "end_day"),
    partitioned=False,
    ranges={"target_value": (1, None)},
    allowed={"target_metric": ("videos", "views", "creators", "mentions")},
)

MEDIA = Table(
    name="media",
    description="One row per decoded video: stream facts and where its audio and kept frames were stored.",
    columns=partitioned_columns(
        {
            "video_id": (pl.String(), "Video the media belongs to."),
            "duration_s": (pl.Float64(), "Decoded duration in seconds."),
            "width": (pl.Int64(), "Frame width in pixels (null for audio-only media)."),
            "height": (pl.Int64(), "Frame height in pixels (null for audio-only media)."),
            "has_audio": (pl.Boolean(), "Whether the file has an audio track."),
            "audio_uri": (pl.String(), "16 kHz mono float32 audio (.npy) in the media store; null without audio."),
            "frames_sampled": (pl.Int64(), "Frames sampled (time grid plus scene changes)."),
            "frames_kept": (pl.Int64(), "Frames left after near-duplicate removal."),
            "decoder": (pl.String(), "Decoder and settings that produced the row, e.g. 'pyav-18.1 fps=1 hash=dhash8'."),
            "media_sha256": (
                pl.String(),
                "SHA-256 of the media file decoded: with the decoder, what enrichment work is keyed by (done once).",
            ),
        }
    ),
    key=("hashtag", "day", "video_id"),
    not_null=("hashtag", "day", "video_id", "duration_s", "has_audio", "frames_kept", "decoder"),
    ranges={"duration_s": (0, None), "width": (1, None), "height": (1, None), "frames_kept": (0, None)},
)

FRAMES = Table(
    name="frames",
    description="Kept key frames: each stands for the span of near-identical frames from t_s to t_until_s.",
    columns=partitioned_columns(
        {
            "video_id": (pl.String(), "Video the frame belongs to."),
            "frame_no": (pl.Int64(), "Order of the kept frame in the video (0-based)."),
            "t_s": (pl.Float64(), "Time of the frame in seconds."),
            "t_until_s": (pl.Float64(), "Last time a near-identical frame was seen, in seconds."),
            "image_uri": (pl.String(), "The frame image (JPEG) in the media store."),
            "dhash": (pl.String(), "Perceptual difference hash, hex."),
        }
    ),
    key=("hashtag", "day", "video_id", "frame_no"),
    not_null=("hashtag", "day", "video_id", "frame_no", "t_s", "t_until_s", "image_uri"),
    ranges={"frame_no": (0, None), "t_s": (0, None), "t_until_s": (0, None)},
)

TRANSCRIPTS = Table(
    name="transcripts",
    description="Speech segments from whisperx: text, time, language, and the model that produced them.",
    columns=partitioned_columns(
        {
            "video_id": (pl.String(), "Video the speech belongs to."),
            "segment_no": (pl.Int64(), "Order of the segment in the video (0-based)."),
            "start_s": (pl.Float64(), "Segment start, seconds."),
            "end_s": (pl.Float64(), "Segment end, seconds."),
            "text": (pl.String(), "Transcribed text."),
            "language": (pl.String(), "Detected language (ISO 639-1)."),
            "words_json": (pl.String(), "Word timings as JSON [{word, start, end, score}] when available."),
            "model": (pl.String(), "Model that produced the segment."),
        }
    ),
    key=("hashtag", "day", "video_id", "segment_no"),
    not_null=("hashtag", "day", "video_id", "segment_no", "start_s", "end_s", "text", "model"),
    ranges={"start_s": (0, None), "end_s": (0, None)},
)

OCR_TEXT = Table(
    name="ocr_text",
    description="On-screen text spans from easyocr, merged across frames, with first and last seen times.",
    columns=partitioned_columns(
        {
            "video_id": (pl.String(), "Video the caption was read from."),
            "span_no": (pl.Int64(), "Order of the span in the video (0-based)."),
            "text": (pl.String(), "Text read."),
            "confidence": (pl.Float64(), "Recognition confidence in [0, 1] (best over merged frames)."),
            "first_seen_s": (pl.Float64(), "First time the text was on screen, seconds."),
            "last_seen_s": (pl.Float64(), "Last time the text was on screen, seconds."),
            "box_x0": (pl.Float64(), "Left edge, fraction of frame width."),
            "box_y0": (pl.Float64(), "Top edge, fraction of frame height."),
            "box_x1": (pl.Float64(), "Right edge, fraction of frame width."),
            "box_y1": (pl.Float64(), "Bottom edge, fraction of frame height."),
            "model": (pl.String(), "Model that read the text."),
        }
    ),
    key=("hashtag", "day", "video_id", "span_no"),
    not_null=("hashtag", "day", "video_id", "span_no", "text", "confidence", "first_seen_s", "last_seen_s", "model"),
    ranges={
        "confidence": (0, 1),
        "first_seen_s": (0, None),
        "last_seen_s": (0, None),
        "box_x0": (0, 1),
        "box_y0": (0, 1),
        "box_x1": (0, 1),
        "box_y1": (0, 1),
    },
)

LOGO_HITS = Table(
    name="logo_hits",
    description="Brand logos detected in kept frames by the YOLO logo detector.",
    columns=partitioned_columns(
        {
            "video_id": (pl.String(), "Video the logo was seen in."),
            "brand": (pl.String(), "Catalog brand of the logo."),
            "confidence": (pl.Float64(), "Detection confidence in [0, 1]."),
            "t_s": (pl.Float64(), "Time of the frame, seconds."),
            "t_until_s": (pl.Float64(), "End of the span the frame stands for, seconds."),
            "visible_until_s": (
                pl.Float64(),
                "Until when the logo counts as on screen: the next kept frame's time (screen time), seconds.",
            ),
            "box_x0": (pl.Float64(), "Left edge, fraction of frame width."),
            "box_y0": (pl.Float64(), "Top edge, fraction of frame height."),
            "box_x1": (pl.Float64(), "Right edge, fraction of frame width."),
            "box_y1": (pl.Float64(), "Bottom edge, fraction of frame height."),
            "model": (pl.String(), "Detector weights that produced the hit."),
        }
    ),
    key=("hashtag", "day", "video_id", "brand", "t_s"),
    not_null=("hashtag", "day", "video_id", "brand", "confidence", "t_s", "model"),
    ranges={
        "confidence": (0, 1),
        "t_s": (0, None),
        "box_x0": (0, 1),
        "box_y0": (0, 1),
        "box_x1": (0, 1),
        "box_y1": (0, 1),
    },
)

TEXT_UNITS = Table(
    name="text_units",
    description=(
        "Every piece of text of the partition with its origin: speech, caption, description, hashtag, comment, "
        "sticker, effect, handle."
    ),
    columns=partitioned_columns(
        {
            "unit_id": (pl.String(), "Stable id: <video_id>:<origin>:<origin_ref>."),
            "video_id": (pl.String(), "Video the text belongs to."),
            "origin": (pl.String(), "speech | caption | description | hashtag | comment | sticker | effect | handle."),
            "origin_ref": (
                pl.String(),
                "Segment no, span no, comment id, hashtag, sticker text no, effect id or handle within the origin.",
            ),
            "text": (pl.String(), "The text."),
            "language": (
                pl.String(),
                "Language (ISO 639-1) when known: speech by the speech model, written text (descriptions, comments, "
                "captions, stickers) by py3langid among the catalog's languages; null when too short or unsure.",
            ),
            "start_s": (pl.Float64(), "Start in the video, seconds, for speech and captions."),
            "end_s": (pl.Float64(), "End in the video, seconds, for speech and captions."),
            "keywords": (
                pl.List(pl.String()),
                "Its content words: folded, without function words, numbers and words under 4 letters (topics).",
            ),
        }
    ),
    key=("hashtag", "day", "unit_id"),
    not_null=("hashtag", "day", "unit_id", "video_id", "origin", "text"),
    ranges={"start_s": (0, None), "end_s": (0, None)},
    allowed={"origin": ("speech", "caption", "description", "hashtag", "comment", "sticker", "effect", "handle")},
    written_daily=True,
)

SENTIMENT = Table(
    name="sentiment",
    description="Sentiment of each text unit: label, score, the scorer that produced it, and its intents.",
    columns=partitioned_columns(
        {
            "unit_id": (pl.String(), "Text unit scored."),
            "video_id": (pl.String(), "Video the unit belongs to."),
            "label": (pl.String(), "positive | neutral | negative."),
            "score": (pl.Float64(), "Confidence of the label in [0, 1]."),
            "polarity": (pl.Float64(), "Signed score in [-1, 1]: positive minus negative."),
            "model": (pl.String(), "Model or lexicon that scored the unit."),
            "purchase_intent": (pl.Boolean(), "The text wants to buy or just bought (intent lexicon; null before it)."),
            "complaint": (pl.Boolean(), "The text complains: broken, refund, scam, never again (intent lexicon)."),
            "intent_lexicon": (pl.String(), "Intent lexicon version that set the two flags (lib/text/intent.py)."),
        }
    ),
    key=("hashtag", "day", "unit_id"),
    not_null=("hashtag", "day", "unit_id", "video_id", "label", "score", "polarity", "model"),
    ranges={"score": (0, 1), "polarity": (-1, 1)},
    allowed={"label": ("positive", "neutral", "negative")},
    written_daily=True,
)

BRAND_MENTIONS = Table(
    name="brand_mentions",
    description="Each piece of evidence that a catalog brand is in a video: alias matches in text and logo hits.",
    columns=partitioned_columns(
        {
            "mention_id": (pl.String(), "Stable id of the mention."),
            "video_id": (pl.String(), "Video mentioning the brand."),
            "brand": (pl.String(), "Catalog brand."),
            "origin": (
                pl.String(),
                "speech | caption | description | hashtag | comment | sticker | effect | handle | logo.",
            ),
            "unit_id": (pl.String(), "Text unit matched (null for logo hits)."),
            "matched_text": (pl.String(), "Alias as it appears in the text (null for logo hits)."),
            "t_s": (pl.Float64(), "Time in the video, seconds, where known."),
            "end_s": (
                pl.Float64(),
                "Where the evidence ends in the video, seconds: the speech segment's or caption's end; for a logo, "
                "until the frame after its appearance's last (screen time); null for descriptions, hashtags and "
                "comments.",
            ),
            "thumbnail_uri": (
                pl.String(),
                "Logos and captions: a small JPEG of the frame with the box drawn, in the media store; else null.",
            ),
            "confidence": (pl.Float64(), "Text: match_confidence; logos: the detector confidence."),
            "match_confidence": (
                pl.Float64(),
                "How closely the text matched an alias: 1 as written, below 1 a tolerant speech match "
                "(LISTENING_PIPELINE_FUZZY_MATCH_THRESHOLD and up); null for logos.",
            ),
            "match_rule": (
                pl.String(),
                "Why the text counts: exact (an alias as written), tolerant (speech sounding like an alias); for a "
                "name that is a common word: hashtag (#tag, @handle), capitalised (mid-sentence, written text), "
                "context (a brand context word nearby), confirmed (named with evidence elsewhere in the video). "
                "Null for logos.",
            ),
            "sentiment_label": (pl.String(), "Sentiment of the text unit around the mention (null for logos)."),
            "sentiment_polarity": (pl.Float64(), "Signed sentiment in [-1, 1] of that unit (null for logos)."),
        }
    ),
    key=("hashtag", "day", "mention_id"),
    not_null=("hashtag", "day", "mention_id", "video_id", "brand", "origin", "confidence"),
    ranges={
        "confidence": (0, 1),
        "match_confidence": (0, 1),
        "sentiment_polarity": (-1, 1),
        "t_s": (0, None),
        "end_s": (0, None),
    },
    allowed={
        "origin": ("speech", "caption", "description", "hashtag", "comment", "sticker", "effect", "handle", "logo"),
        "match_rule": ("exact", "tolerant", "hashtag", "capitalised", "context", "confirmed"),
        "sentiment_label": ("positive", "neutral", "negative"),
    },
    written_daily=True,
)

ALERT_DELIVERIES = Table(
    name="alert_deliveries",
    description=(
        "The alert ledger: one row per brand alert (marts.brand_alerts) the brand_alert_sensor posted to the webhook, "
        "claimed before the POST and updated with its answer. Written by the sensor, not an asset."
    ),
    columns={
        "alert_id": (pl.String(), "Alert id from marts.brand_alerts (md5 of brand|day)."),
        "brand": (pl.String(), "Brand of the alert."),
        "day": (pl.Date(), "Day of the alert."),
        "status": (
            pl.String(),
            "sending (claimed, POST under way) | delivered | failed (refused with a 4xx, or never reached the "
            "webhook: posted again on later ticks) | unknown (posted, no answer: not posted again until an operator "
            "settles it).",
        ),
        "webhook_host": (pl.String(), "Host the alert was posted to; never the full URL, which is a secret."),
        "attempts": (pl.Int64(), "HTTP attempts of the last delivery."),
        "http_status": (pl.Int64(), "HTTP status the webhook answered last."),
        "error": (
            pl.String(),
            "Why the alert is not delivered: the webhook's answer or the error (first 500 characters); "
            "null when delivered.",
        ),
        "delivered_at": (pl.Datetime("us", "UTC"), "When the webhook accepted the alert (UTC); null otherwise."),
        "last_attempt_at": (pl.Datetime("us", "UTC"), "When the row was last written (UTC)."),
    },
    key=("alert_id",),
    not_null=("alert_id", "brand", "day", "status", "webhook_host", "attempts", "last_attempt_at"),
    partitioned=False,
    ranges={"attempts": (1, None)},
    allowed={"status": ("sending", "delivered", "failed", "unknown")},
)

ALL_TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        VIDEOS,
        COMMENTS,
        CREATORS,
        VIDEO_STATS_SNAPSHOTS,
        QUARANTINE,
        BRANDS,
        CAMPAIGNS,
        MEDIA,
        FRAMES,
        TRANSCRIPTS,
        OCR_TEXT,
        LOGO_HITS,
        TEXT_UNITS,
        SENTIMENT,
        BRAND_MENTIONS,
        ALERT_DELIVERIES,
    )
}
