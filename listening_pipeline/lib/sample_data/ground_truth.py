"""``ground_truth.json``: what every video contains, per origin, and the mention counts the pipeline must reproduce."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from listening_pipeline.catalog import Catalog
from listening_pipeline.lib.sample_data.brands import MENTION_RULE, brands_in_hashtag, brands_named_in
from listening_pipeline.lib.sample_data.campaigns import campaign_truth
from listening_pipeline.lib.sample_data.plan import CorpusPlan
from listening_pipeline.lib.sample_data.platform import platform_texts
from listening_pipeline.lib.sample_data.spec import AUDIO_RATE, ESPEAK_VOICES, FPS, HEIGHT, WIDTH
from listening_pipeline.lib.sample_data.video import video_codec
from listening_pipeline.lib.sample_data.video_plan import VideoPlan

ORIGINS = ("speech", "caption", "logo", "description", "hashtag", "comment", "sticker", "effect", "handle")


def _video_truth(video: VideoPlan, catalog: Catalog) -> dict[str, Any]:
    has_media = video.kind == "speech"
    speech: dict[str, Any] | None = None
    if has_media and video.speech_text is not None:
        speech = {
            "text": video.speech_text,
            "voice": ESPEAK_VOICES.get(video.language, video.language),
            "start_s": video.speech_start_s,
            "end_s": video.speech_end_s,
            "sentiment": video.sentiment,
            "brands": brands_named_in(video.speech_text, catalog),
        }
    captions: list[dict[str, Any]] = (
        [
            {
                "text": c.text,
                "start_s": c.start_s,
                "end_s": c.end_s,
                "box": list(c.box),
                "sentiment": c.sentiment,
                "brands": brands_named_in(c.text, catalog),
            }
            for c in video.captions
        ]
        if has_media
        else []
    )
    logos: list[dict[str, Any]] = (
        [
            {"brand": logo.brand, "start_s": logo.start_s, "end_s": logo.end_s, "box": list(logo.box)}
            for logo in video.logos
        ]
        if has_media
        else []
    )
    hashtags = [{"tag": t, "brands": brands_in_hashtag(t, catalog)} for t in video.hashtag_names]
    comments = [
        {
            "id": str(c.comment_id),
            "parent_id": str(c.parent_id),
            "text": c.text,
            "language": c.language,
            "sentiment": c.sentiment,
            "brands": brands_named_in(c.text, catalog),
        }
        for c in video.comments
    ]
    description = {
        "text": video.description,
        "sentiment": video.sentiment,
        # The '#tags' it ends with are the video's hashtags, counted there (docs/bi.md, "How mentions are counted").
        "brands": brands_named_in(re.sub(r"#\w+", " ", video.description), catalog),
    }
    sticker_texts, effects, handles = platform_texts(video)
    platform = {
        "stickers": [{"text": t, "brands": brands_named_in(t, catalog)} for t in sticker_texts],
        "effects": [{"id": str(e), "name": name, "brands": brands_named_in(name, catalog)} for e, name in effects],
        "handles": [{"handle": h, "brands": brands_in_hashtag(h, catalog)} for h in handles],
    }
    per_origin: dict[str, set[str]] = {origin: set() for origin in ORIGINS}
    per_origin["speech"].update(speech["brands"] if speech else [])
    per_origin["caption"].update(b for c in captions for b in c["brands"])
    per_origin["logo"].update(logo["brand"] for logo in logos)
    per_origin["description"].update(description["brands"])
    per_origin["hashtag"].update(b for h in hashtags for b in h["brands"])
    per_origin["comment"].update(b for c in comments for b in c["brands"])
    for origin, items in (("sticker", "stickers"), ("effect", "effects"), ("handle", "handles")):
        per_origin[origin].update(b for item in platform[items] for b in item["brands"])
    return {
        "id": str(video.video_id),
        "hashtag": video.hashtag,
        "day": video.day.isoformat(),
        "kind": video.kind,
        "username": video.username,
        "media": video.media,
        "duration_s": video.duration_s,
        "language": video.language if video.kind == "speech" else None,
        "brand": video.brand,
        "competitor": video.competitor,
        "speech": speech,
        "captions": captions,
        "logos": logos,
        "description": description,
        "hashtags": hashtags,
        "comments": comments,
        **platform,
        "mentions": {origin: sorted(brands) for origin, brands in per_origin.items()},
    }


def _mention_counts(videos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts: dict[tuple[str, str, str, str], int] = {}

    def add(video: dict[str, Any], origin: str, brands: Iterable[str]) -> None:
        for brand in brands:
            key = (video["hashtag"], video["day"], brand, origin)
            counts[key] = counts.get(key, 0) + 1

    for video in videos:
        if video["speech"]:
            add(video, "speech", video["speech"]["brands"])
        for caption in video["captions"]:
            add(video, "caption", caption["brands"])
        for logo in video["logos"]:
            add(video, "logo", [logo["brand"]])
        add(video, "description", video["description"]["brands"])
        for tag in video["hashtags"]:
            add(video, "hashtag", tag["brands"])
        for comment in video["comments"]:
            add(video, "comment", comment["brands"])
        for origin, items in (("sticker", "stickers"), ("effect", "effects"), ("handle", "handles")):
            for item in video[items]:
                add(video, origin, item["brands"])
    return [
        {"hashtag": h, "day": d, "brand": b, "origin": o, "count": n}
        for (h, d, b, o), n in sorted(counts.items(), key=_mention_order)
    ]


def _mention_order(item: tuple[tuple[str, str, str, str], int]) -> tuple[str, str, str, int]:
    """Day, hashtag, brand, then origins in pipeline order."""
    (hashtag, day, brand, origin), _ = item
    return (day, hashtag, brand, ORIGINS.index(origin))


def build_ground_truth(plan: CorpusPlan, catalog: Catalog) -> dict[str, Any]:
    videos = [_video_truth(v, catalog) for v in plan.videos]
    return {
        "format": 1,
        "seed": plan.seed,
        "start_day": plan.start_day.isoformat(),
        "days": plan.days,
        "hashtags": list(plan.hashtags),
        "video": {
            "width": WIDTH,
            "height": HEIGHT,
            "fps": FPS,
            "audio_sample_rate": AUDIO_RATE,
            "video_codec": video_codec(),
            "audio_codec": "aac",
        },
        "mention_rule": MENTION_RULE,
        "videos": videos,
        "edge_cases": plan.edge_cases,
        "history": plan.history,
        "planted_alerts": plan.planted_alerts,
        "planted_trends": plan.planted_trends,
        "planted_switchers": plan.planted_switchers,
        "campaigns": campaign_truth(plan.videos, catalog),
        "planted_reactions": plan.planted_reactions,
        "mention_counts": _mention_counts(videos),
    }
