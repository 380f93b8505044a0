"""The Research API fields beyond the text and counts: sound, effects, stickers, tagged accounts, labels.

Derived from the video's number (and its brand), not drawn from the plan's random stream, so adding
them changed no other part of the corpus. Some of them name the video's brand, as real ones do: a
sticker ("Mokka Mia haul"), a branded effect ("Mokka Mia Glow") and a tagged account (@mokkamia);
the ground truth counts those mentions under their own origins (:func:`platform_texts`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from listening_pipeline.lib.sample_data.brands import brand_hashtag
from listening_pipeline.lib.sample_data.video_plan import VideoPlan

MUSIC_ID_BASE = 7_500_000_000_000_000_000
EFFECT_ID_BASE = 7_600_000_000_000_000_000
BRANDED_EFFECT_ID_BASE = EFFECT_ID_BASE + 1_000
EFFECTS = ("Green Screen", "Slow Zoom", "Vintage Film", "Sparkle")


def platform_fields(video: VideoPlan) -> dict[str, Any]:
    """The rest of the Research API's video fields for one planned video.

    Every field appears somewhere: each video has a sound (its own "original sound", one music id
    per video as most uploads are, unless the plan gave it a planted one), every third an effect,
    every fourth with speech TikTok's transcript of it, every fifth a sticker and a playlist, every
    seventh a tagged user and a label. A branded video also names its brand in a sticker (every
    tenth), a branded effect (every ninth) and a tagged account (every fourteenth).
    """
    n = video.number
    stickers, effects, handles = platform_texts(video)
    fields: dict[str, Any] = {
        "music_id": video.music_id if video.music_id is not None else MUSIC_ID_BASE + n,
        "effect_ids": [effect_id for effect_id, _ in effects],
        "effect_info_list": [{"effect_id": str(e), "effect_name": name} for e, name in effects],
        "favorites_count": video.like_count // 4,
        "is_stem_verified": n % 11 == 0,
        "hashtag_info_list": [
            {"hashtag_id": str(_tag_id(tag)), "hashtag_name": tag, "hashtag_description": ""}
            for tag in video.hashtag_names
        ],
        "video_mention_list": handles,
        "sticker_info_list": [{"sticker_text": stickers}] if stickers else [],
    }
    if video.speech_text and n % 4 == 0:  # TikTok's own transcript: the words as spoken
        fields["voice_to_text"] = video.speech_text
    if n % 5 == 0:
        fields["playlist_id"] = 7_700_000_000_000_000_000 + n % 2
    if n % 7 == 0:
        fields["video_label"] = {"content": "Learn more about this topic"}
        fields["video_tag"] = {"type": 1, "value": "sample"}
    return fields


def platform_texts(video: VideoPlan) -> tuple[list[str], list[tuple[int, str]], list[str]]:
    """(sticker texts, (effect id, effect name) pairs, tagged usernames) of a planned video."""
    n, brand = video.number, video.brand
    stickers = [f"POV: day {n}"] if n % 5 == 0 else []
    if brand and n % 10 == 0:
        stickers.append(f"{brand} haul")
    effects = [(EFFECT_ID_BASE + n % len(EFFECTS), EFFECTS[n % len(EFFECTS)])] if n % 3 == 0 else []
    if brand and n % 9 == 0:
        effects.append((BRANDED_EFFECT_ID_BASE + _stable(brand) % 1_000, f"{brand} Glow"))
    handles = [video.username] if n % 7 == 0 else []
    if brand and n % 14 == 0:
        handles.append(brand_hashtag(brand))
    return stickers, effects, handles


def _stable(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16)


def _tag_id(tag: str) -> int:
    return int(hashlib.sha1(tag.encode("utf-8")).hexdigest()[:15], 16)
