"""One video's plan: its speech, captions, logos, description, hashtags and comments, drawn from the corpus's stream.

Every ``rng`` call here happens in a fixed order: moving or adding one changes every video after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from random import Random
from typing import Any

from listening_pipeline.catalog import Catalog
from listening_pipeline.lib.sample_data.brands import brand_hashtag
from listening_pipeline.lib.sample_data.drawing import caption_layout
from listening_pipeline.lib.sample_data.phrases import (
    CO_HASHTAGS,
    EVERYWHERE_HASHTAG,
    REGIONS,
    RISING_HASHTAGS,
    USERNAMES,
    phrase,
)
from listening_pipeline.lib.sample_data.spec import WIDTH

VIDEO_ID_BASE = 7_300_000_000_000_000_000
COMMENT_ID_BASE = 7_400_000_000_000_000_000
CAPTION_BANDS = (70, 440)  # top y of a caption panel: upper or lower third of the frame
LOGO_BAND = (200, 430)  # logos sit between the caption bands
SENTIMENTS = ("positive", "negative", "neutral")


@dataclass(frozen=True)
class CaptionPlan:
    text: str
    start_s: float
    end_s: float
    box: tuple[int, int, int, int]
    font_size: int
    lines: tuple[str, ...]
    sentiment: str


@dataclass(frozen=True)
class LogoPlan:
    brand: str
    start_s: float
    end_s: float
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class CommentPlan:
    comment_id: int
    parent_id: int
    text: str
    language: str
    sentiment: str
    like_count: int
    reply_count: int
    create_time: int


@dataclass
class VideoPlan:
    number: int
    video_id: int
    hashtag: str
    day: dt.date
    kind: str  # speech | music_only | corrupt_media | metadata_only
    language: str
    sentiment: str
    brand: str | None
    competitor: str | None
    username: str
    region: str
    create_time: int
    duration_s: int
    speech_text: str | None
    speech_start_s: float
    captions: list[CaptionPlan]
    logos: list[LogoPlan]
    description: str  # its sentiment is the video's
    hashtag_names: list[str]
    comments: list[CommentPlan]
    view_count: int
    like_count: int
    comment_count: int
    share_count: int
    background: tuple[tuple[int, int, int], tuple[int, int, int]]  # top and bottom of a gradient
    speech_end_s: float | None = None  # known once espeak-ng has spoken the text
    music_id: int | None = None  # a planted sound; None: the video's own original sound

    @property
    def media(self) -> str | None:
        """Where the clip lies in the corpus; None for a metadata-only video (no file offered)."""
        return None if self.kind == "metadata_only" else f"media/{self.video_id}.mp4"


@dataclass(frozen=True)
class Slot:
    """Where a video goes: its partition, and the competitor group its hashtag covers."""

    hashtag: str
    day: dt.date
    day_index: int
    days: int
    group: tuple[str, ...]


class IdCounter:
    """Sequential video and comment numbers, so ids are stable and readable."""

    def __init__(self) -> None:
        self.video = 0
        self.comment = 0

    def next_video(self) -> int:
        self.video += 1
        return self.video

    def next_comment(self) -> int:
        self.comment += 1
        return self.comment


def plan_video(
    rng: Random,
    counter: IdCounter,
    catalog: Catalog,
    slot: Slot,
    kind: str,
    language: str,
    sentiment: str,
    brandless: bool,
    brand: str | None = None,
) -> VideoPlan:
    number = counter.next_video()
    video_id = VIDEO_ID_BASE + number
    if brand is None:
        brand = None if brandless else rng.choice(slot.group)
    rivals = [b for b in slot.group if b != brand] or [b.name for b in catalog.brands if b.name != brand]
    competitor = rng.choice(rivals) if brand and rivals else None
    duration = rng.choice((6, 7, 8))
    day_start = int(dt.datetime.combine(slot.day, dt.time(), tzinfo=dt.UTC).timestamp())
    create_time = day_start + rng.randint(600, 86_400 - 600)
    views = int(rng.lognormvariate(9.0, 1.2)) + 50

    speech_text, captions, logos = None, [], []
    speech_start = 0.0
    comment_range = (4, 7) if kind == "metadata_only" else (2, 4)  # no speech, captions or logos to mention it
    if kind == "speech":
        speech_text, speech_start = _plan_speech(rng, language, sentiment, brand, competitor)
        captions = _plan_captions(rng, language, sentiment, brand, duration)
        logos = _plan_logos(rng, brand, competitor, duration)
    if kind == "music_only":
        description_text = phrase(rng, "en", "description.music")
    else:
        key = f"description.{sentiment}" + (".plain" if brand is None and sentiment == "neutral" else "")
        description_text = phrase(rng, language, key, brand=brand or "")
    tags = _plan_hashtags(rng, slot, brand)
    description = description_text + " " + " ".join(f"#{t}" for t in tags)
    comments = plan_comments(
        rng, counter, catalog, video_id, language, brand, competitor, create_time, count=comment_range
    )
    return VideoPlan(
        number=number,
        video_id=video_id,
        hashtag=slot.hashtag,
        day=slot.day,
        kind=kind,
        language=language,
        sentiment=sentiment,
        brand=brand,
        competitor=competitor,
        username=rng.choice(USERNAMES),
        region=rng.choice(REGIONS[language]),
        create_time=create_time,
        duration_s=duration,
        speech_text=speech_text,
        speech_start_s=speech_start,
        captions=captions,
        logos=logos,
        description=description,
        hashtag_names=tags,
        comments=comments,
        view_count=views,
        like_count=int(views * rng.uniform(0.02, 0.15)),
        comment_count=len(comments) + rng.randint(0, 40),
        share_count=int(views * rng.uniform(0.001, 0.02)),
        background=(_colour(rng, 150, 255), _colour(rng, 10, 110)),
    )


def _colour(rng: Random, low: int, high: int) -> tuple[int, int, int]:
    return (rng.randint(low, high), rng.randint(low, high), rng.randint(low, high))


def _plan_speech(
    rng: Random, language: str, sentiment: str, brand: str | None, competitor: str | None
) -> tuple[str, float]:
    """The words to speak, and when the voice starts."""
    if brand is None:
        key = "speech.neutral.plain"
    elif sentiment == "positive" and competitor and rng.random() < 0.35:
        key = "speech.positive.versus"
    else:
        key = f"speech.{sentiment}"
    return phrase(rng, language, key, brand=brand or "", rival=competitor or ""), rng.choice((0.3, 0.5, 0.8))


def _plan_captions(rng: Random, language: str, sentiment: str, brand: str | None, duration: int) -> list[CaptionPlan]:
    """A hook at the start, then (usually) a verdict; top or bottom band of the frame."""
    use_brand = brand is not None and rng.random() < 0.7
    hook = phrase(rng, language, "hook" if use_brand else "hook.plain", brand=brand or "")
    verdict = phrase(rng, language, f"verdict.{sentiment if brand else 'neutral'}")
    if rng.random() < 0.25:
        spans = [(hook, 0.0, float(duration), "neutral")]
    else:
        middle = rng.choice((2.5, 3.0, 3.5))
        spans = [(hook, 0.0, middle, "neutral"), (verdict, middle, float(duration), sentiment if brand else "neutral")]
    captions = []
    for text, start, end, label in spans:
        band_top = rng.choice(CAPTION_BANDS)
        font_size = rng.choice((30, 34))
        lines, box = caption_layout(text, font_size, band_top)
        captions.append(CaptionPlan(text, start, end, box, font_size, lines, label))
    return captions


def _plan_logos(rng: Random, brand: str | None, competitor: str | None, duration: int) -> list[LogoPlan]:
    """The video's brand logo in most branded videos, sometimes twice; a competitor's sometimes."""
    shown: list[str] = []
    if brand and rng.random() < 0.75:
        shown.append(brand)
        if rng.random() < 0.3:
            shown.append(brand)
    if competitor and rng.random() < 0.3:
        shown.append(competitor)
    logos: list[LogoPlan] = []
    for name in shown:
        size = rng.randint(80, 150)
        x0 = rng.randint(8, WIDTH - size - 8)
        y0 = rng.randint(LOGO_BAND[0], LOGO_BAND[1] - size)
        start = rng.choice((0.5, 1.0, 1.5, 2.0, 3.0, 4.0))
        end = min(float(duration), start + rng.choice((1.5, 2.0, 3.0, 4.0)))
        # A second appearance of a logo starts where no other logo is, so boxes do not overlap in time.
        overlapping = [other for other in logos if other.start_s < end and start < other.end_s]
        if overlapping:
            start = max(other.end_s for other in logos)
            end = min(float(duration), start + 1.5)
            if end - start < 1.0:
                continue
        logos.append(LogoPlan(name, start, end, (x0, y0, x0 + size, y0 + size)))
    return logos


def _written_name(rng: Random, catalog: Catalog, name: str) -> str:
    """How a commenter writes a brand: mostly its name, sometimes an alias or all lower case."""
    roll = rng.random()
    if roll < 0.25:
        return rng.choice(catalog.brand(name).aliases)
    if roll < 0.4:
        return name.casefold()
    return name


def _plan_hashtags(rng: Random, slot: Slot, brand: str | None) -> list[str]:
    """The campaign hashtag, often the brand's, some topical ones, a rising one, and #fyp."""
    hashtag = slot.hashtag
    co = CO_HASHTAGS.get(hashtag, (f"{hashtag}daily", f"{hashtag}tips"))
    tags = [hashtag]
    if brand and rng.random() < 0.7:
        tags.append(brand_hashtag(brand))
    tags.extend(t for t in co if rng.random() < 0.5)
    rising = RISING_HASHTAGS.get(hashtag, f"{hashtag}challenge")
    if slot.days > 1 and rng.random() < slot.day_index / (slot.days - 1):
        tags.append(rising)
    if rng.random() < 0.8:
        tags.append(EVERYWHERE_HASHTAG)
    return list(dict.fromkeys(tags))


def plan_comments(
    rng: Random,
    counter: IdCounter,
    catalog: Catalog,
    video_id: int,
    language: str,
    brand: str | None,
    competitor: str | None,
    video_time: int,
    *,
    count: tuple[int, int] = (2, 4),
    key: str | None = None,
    sentiment: str | None = None,
) -> list[CommentPlan]:
    """2-4 comments of mixed sentiment about the brand, its competitor or nothing; some are replies.

    With ``key`` and ``sentiment``, every comment is that phrase kind about ``brand`` (a complaint wave).
    """
    drafts: list[dict[str, Any]] = []
    fixed_key, fixed_sentiment = key, sentiment
    for _ in range(rng.randint(*count)):
        comment_language = language if language != "en" and rng.random() < 0.5 else "en"
        sentiment = fixed_sentiment or rng.choice(SENTIMENTS)
        about = None
        if fixed_key is not None:
            about = brand
        elif brand is not None and rng.random() < 0.75:
            about = brand if competitor is None or rng.random() < 0.6 else competitor
        key = fixed_key or f"comment.{sentiment}" + ("" if about else ".plain")
        text = phrase(rng, comment_language, key, brand=_written_name(rng, catalog, about) if about else "")
        if any(d["text"] == text for d in drafts):
            continue  # small phrasebooks repeat; two identical comments on one video look fake
        parent = video_id
        if drafts and rng.random() < 0.3:
            parent = drafts[0]["comment_id"]
        drafts.append(
            {
                "comment_id": COMMENT_ID_BASE + counter.next_comment(),
                "parent_id": parent,
                "text": text,
                "language": comment_language,
                "sentiment": sentiment,
                "like_count": rng.randint(0, 300),
                "create_time": video_time + rng.randint(60, 36_000),
            }
        )
    replies = {d["comment_id"]: sum(1 for other in drafts if other["parent_id"] == d["comment_id"]) for d in drafts}
    return [CommentPlan(reply_count=replies[d["comment_id"]], **d) for d in drafts]
