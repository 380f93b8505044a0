"""The corpus plan: which videos go to which hashtag and day, the history days with their complaint wave, and the
malformed manifest lines; every decision is made here, from ``seed``, before any media is rendered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from random import Random
from typing import Any

from listening_pipeline.catalog import Catalog
from listening_pipeline.lib.sample_data.drawing import caption_layout
from listening_pipeline.lib.sample_data.phrases import DISAGREEING_THREAD, phrase
from listening_pipeline.lib.sample_data.spec import WIDTH, SampleDataError
from listening_pipeline.lib.sample_data.video_plan import (
    CAPTION_BANDS,
    COMMENT_ID_BASE,
    LOGO_BAND,
    SENTIMENTS,
    VIDEO_ID_BASE,
    CaptionPlan,
    CommentPlan,
    IdCounter,
    LogoPlan,
    Slot,
    VideoPlan,
    plan_comments,
    plan_video,
)

SECOND_LANGUAGES = ("es", "de")
HISTORY_VIDEOS_PER_DAY = 3
WAVE_VIDEOS = 4
# The sound the wave's videos share: heard once a few days before, then on every wave video (a rising sound).
RISING_SOUND_ID = 7_400_000_000_000_000_001
RISING_SOUND_FIRST_HEARD_DAYS_BEFORE = 5
# The planted brand switcher's handle (no other video has it): positive on a brand in the history's first
# days, positive on a competitor in its last days before the wave.
SWITCHER_USERNAME = "brand.hopper"
SWITCH_EARLY_DAYS = 4


@dataclass
class CorpusPlan:
    seed: int
    start_day: dt.date
    days: int
    hashtags: tuple[str, ...]
    videos: list[VideoPlan]
    bad_video_line: str = ""
    bad_video_line_after: int = 0  # inserted after this many video lines
    bad_comment_line: str = ""
    bad_comment_line_after: int = 0
    edge_cases: list[dict[str, Any]] = field(default_factory=list)
    history: dict[str, Any] | None = None  # the metadata-only days before start_day
    planted_alerts: list[dict[str, Any]] = field(default_factory=list)
    planted_trends: list[dict[str, Any]] = field(default_factory=list)
    planted_switchers: list[dict[str, Any]] = field(default_factory=list)
    planted_reactions: list[dict[str, Any]] = field(default_factory=list)


def plan_corpus(catalog: Catalog, *, seed: int, start_day: dt.date, days: int, history_days: int = 0) -> CorpusPlan:
    """Decide every video, text, caption, logo and comment from ``seed`` (no media are made).

    Hashtag i of the catalog covers competitor group i (cycling); each hashtag-day gets one
    positive, one negative and one neutral video, the neutral one brandless on alternate days.
    With ``history_days``, the last hashtag also gets that many metadata-only days before
    ``start_day`` (see :func:`_plan_history`).
    """
    if days < 1 or history_days < 0:
        raise ValueError("days must be at least 1 and history_days at least 0")
    hashtags = catalog.tracked_hashtags
    if not hashtags or not catalog.brands:
        raise SampleDataError(f"{catalog.path}: a sample corpus needs at least one hashtag and one brand")
    rng = Random(seed)
    groups = competitor_groups(catalog)
    counter = IdCounter()
    music_at = (hashtags[1 % len(hashtags)], start_day)
    corrupt_at = (hashtags[2 % len(hashtags)], start_day + dt.timedelta(days=min(1, days - 1)))
    videos: list[VideoPlan] = []
    for day_index in range(days):
        day = start_day + dt.timedelta(days=day_index)
        for tag_index, hashtag in enumerate(hashtags):
            slot = Slot(hashtag, day, day_index, days, groups[tag_index % len(groups)])
            sentiments = list(SENTIMENTS)
            rng.shuffle(sentiments)
            for position, sentiment in enumerate(sentiments):
                language = SECOND_LANGUAGES[tag_index % len(SECOND_LANGUAGES)] if position == 2 else "en"
                brandless = sentiment == "neutral" and (day_index + tag_index) % 2 == 0
                videos.append(plan_video(rng, counter, catalog, slot, "speech", language, sentiment, brandless))
            if (hashtag, day) == music_at:
                videos.append(plan_video(rng, counter, catalog, slot, "music_only", "en", "neutral", True))
            if (hashtag, day) == corrupt_at:
                videos.append(plan_video(rng, counter, catalog, slot, "corrupt_media", "en", "positive", False))
    plan = _with_broken_lines(CorpusPlan(seed=seed, start_day=start_day, days=days, hashtags=hashtags, videos=videos))
    if history_days:
        _plan_history(plan, catalog, counter, groups, history_days)
    return plan


def _plan_history(
    plan: CorpusPlan, catalog: Catalog, counter: IdCounter, groups: list[tuple[str, ...]], history_days: int
) -> None:
    """Quiet metadata-only days for the last hashtag before ``start_day``, and one planted complaint wave.

    Why: a trend or alert needs a baseline, and full clips for weeks of history would make the
    demo slow. These videos have a description, hashtags and comments but no media file, like
    Research API records whose media was not downloaded. Each day looks like an ordinary
    day of the main period for the hashtag's brands; on the last history day the group's last
    brand gets a wave of negative videos and comments, which the alert mart must report once.
    The wave's first video is a filmed complaint (:func:`_filmed_complaint`), so the alert's
    evidence has a second in a video and a frame to show. Drawn from its own random stream after
    the main period, so the main days do not change.
    """
    rng = Random(plan.seed * 1_000_003 + 17)
    tag_index = len(plan.hashtags) - 1
    hashtag = plan.hashtags[tag_index]
    group = groups[tag_index % len(groups)]
    first = plan.start_day - dt.timedelta(days=history_days)
    wave_day, wave_brand = plan.start_day - dt.timedelta(days=1), group[-1]
    wave_ids: list[str] = []
    for day_index in range(history_days):
        day = first + dt.timedelta(days=day_index)
        slot = Slot(hashtag, day, day_index, history_days, group)
        sentiments = list(SENTIMENTS)
        rng.shuffle(sentiments)
        for sentiment in sentiments[:HISTORY_VIDEOS_PER_DAY]:
            plan.videos.append(plan_video(rng, counter, catalog, slot, "metadata_only", "en", sentiment, False))
        if day == wave_day - dt.timedelta(days=RISING_SOUND_FIRST_HEARD_DAYS_BEFORE):
            plan.videos[-1].music_id = RISING_SOUND_ID
        if day == wave_day:
            for number in range(WAVE_VIDEOS):
                kind = "speech" if number == 0 else "metadata_only"
                video = plan_video(rng, counter, catalog, slot, kind, "en", "negative", False, brand=wave_brand)
                if number == 0:
                    _filmed_complaint(rng, video, wave_brand)
                video.comments = plan_comments(
                    rng,
                    counter,
                    catalog,
                    video.video_id,
                    "en",
                    wave_brand,
                    None,
                    video.create_time,
                    count=(6, 8),
                    key="comment.negative.wave",
                    sentiment="negative",
                )
                video.comment_count = len(video.comments) + rng.randint(20, 200)
                video.music_id = RISING_SOUND_ID
                plan.videos.append(video)
                wave_ids.append(str(video.video_id))
    _plant_switcher(plan, first, history_days, wave_day, wave_ids)
    plan.history = {
        "hashtag": hashtag,
        "start_day": first.isoformat(),
        "days": history_days,
        "kind": "metadata_only",
        "filmed": wave_ids[:1],  # the wave's filmed complaint: the one history video with media
    }
    plan.planted_trends.append(
        {
            "kind": "sound",
            "music_id": str(RISING_SOUND_ID),
            "day": wave_day.isoformat(),
            "videos": wave_ids,
            "first_heard": (wave_day - dt.timedelta(days=RISING_SOUND_FIRST_HEARD_DAYS_BEFORE)).isoformat(),
        }
    )
    plan.planted_alerts.append(
        {
            "brand": wave_brand,
            "day": wave_day.isoformat(),
            "reasons": ["mentions", "negative_share"],
            "videos": wave_ids,
        }
    )
    _plant_disagreeing_thread(plan, counter, hashtag, first, wave_brand)


def _plant_disagreeing_thread(
    plan: CorpusPlan, counter: IdCounter, hashtag: str, first: dt.date, wave_brand: str
) -> None:
    """One positive history video whose comments all disagree with it (audience_reaction's story).

    The video is the first positive one of a quiet history day (days 1-6: before the alert baseline's
    warm-up ends, so no alert can fire) whose brand is not the wave's; its comments become
    :data:`DISAGREEING_THREAD`, with purchase intent and complaints, and the day's other videos keep
    none, so audience_reaction's rows for that day are the thread's alone.
    Ids come last from the counter and likes from a Random of its own: nothing else moves.
    """
    rng = Random(plan.seed * 1_000_003 + 29)
    for offset in range(1, 7):
        day = first + dt.timedelta(days=offset)
        today = [v for v in plan.videos if v.hashtag == hashtag and v.day == day]
        for video in today:
            brand = video.brand
            if video.sentiment != "positive" or brand in (None, wave_brand):
                continue
            likes = sorted(rng.sample(range(5, 400), len(DISAGREEING_THREAD)), reverse=True)
            video.comments = [
                CommentPlan(
                    comment_id=COMMENT_ID_BASE + counter.next_comment(),
                    parent_id=video.video_id,
                    text=text.format(brand=brand),
                    language=language,
                    sentiment="negative",
                    like_count=like_count,
                    reply_count=0,
                    create_time=video.create_time + rng.randint(60, 36_000),
                )
                for (language, text, _, _), like_count in zip(DISAGREEING_THREAD, likes, strict=True)
            ]
            video.comment_count = max(video.comment_count, len(video.comments))
            for other in today:  # the brand-day's comments are the thread's alone: exact numbers to test
                if other is not video:
                    other.comments = []
            plan.planted_reactions.append(
                {
                    "kind": "disagreeing_thread",
                    "brand": brand,
                    "day": day.isoformat(),
                    "video": str(video.video_id),
                    "video_sentiment": "positive",
                    "comments": [
                        {
                            "id": str(c.comment_id),
                            "sentiment": c.sentiment,
                            "purchase_intent": purchase,
                            "complaint": complaint,
                            "like_count": c.like_count,
                        }
                        for c, (_, _, purchase, complaint) in zip(video.comments, DISAGREEING_THREAD, strict=True)
                    ],
                }
            )
            return
    raise SampleDataError("no quiet positive history video to plant the disagreeing thread on")


def _plant_switcher(
    plan: CorpusPlan, first: dt.date, history_days: int, wave_day: dt.date, wave_ids: list[str]
) -> None:
    """Give one positive history video about brand A on an early day, and one positive video about a
    competitor B on a later day, a new creator of their own: a brand switcher the creator marts must find.

    Only usernames change (never a text, so no mention count moves), chosen from a Random stream of
    its own. The two videos are metadata-only, so the creator's own words are their description and
    hashtags, which name only the video's brand.
    """
    rng = Random(plan.seed * 1_000_003 + 29)
    early_end = first + dt.timedelta(days=SWITCH_EARLY_DAYS)
    history = [
        v
        for v in plan.videos
        if v.kind == "metadata_only" and first <= v.day < wave_day and str(v.video_id) not in wave_ids
    ]
    early = [v for v in history if v.day < early_end and v.sentiment == "positive" and v.brand]
    if not early:
        return
    before = rng.choice(early)
    late = [
        v
        for v in history
        if v.day >= first + dt.timedelta(days=history_days - SWITCH_EARLY_DAYS - 1)
        and v.sentiment == "positive"
        and v.brand not in (None, before.brand)
    ]
    if not late:
        return
    after = rng.choice(late)
    before.username = after.username = SWITCHER_USERNAME
    plan.planted_switchers.append(
        {
            "creator": SWITCHER_USERNAME,
            "from_brand": before.brand,
            "to_brand": after.brand,
            "last_positive_day_on_from": before.day.isoformat(),
            "first_positive_day_on_to": after.day.isoformat(),
            "videos": [str(before.video_id), str(after.video_id)],
        }
    )


def _filmed_complaint(rng: Random, video: VideoPlan, brand: str) -> None:
    """The wave's viral video: the brand's logo on screen, a caption naming it and a spoken complaint.

    Its views are far above the day's others, so the alert's top evidence (negative first, then by
    reach) opens with its spoken and written complaint, each with its second in the video.
    """
    hook, complaint = f"Honest review: {brand}", phrase(rng, "en", "caption.negative.wave", brand=brand)
    middle = rng.choice((2.5, 3.0))
    captions = []
    for text, start, end, label, band_top in (
        (hook, 0.0, middle, "neutral", CAPTION_BANDS[0]),
        (complaint, middle, float(video.duration_s), "negative", CAPTION_BANDS[1]),
    ):
        lines, box = caption_layout(text, 30, band_top)
        captions.append(CaptionPlan(text, start, end, box, 30, lines, label))
    video.captions = captions
    size = 120
    x0, y0 = rng.randint(8, WIDTH - size - 8), rng.randint(LOGO_BAND[0], LOGO_BAND[1] - size)
    video.logos = [LogoPlan(brand, 1.0, float(video.duration_s) - 1.0, (x0, y0, x0 + size, y0 + size))]
    video.view_count *= 40
    video.like_count *= 40
    video.share_count *= 40


def _with_broken_lines(plan: CorpusPlan) -> CorpusPlan:
    """Add the two malformed manifest lines and list every edge case in the plan."""
    first_tag = plan.hashtags[0]
    target = plan.videos[0]
    plan.bad_video_line = (
        f'{{"id": {VIDEO_ID_BASE + 999_999}, "username": "broken_export", '
        f'"hashtag_names": ["{first_tag}", "fyp"], "video_description": "this line was cut off mid-write'
    )
    plan.bad_video_line_after = min(5, len(plan.videos))
    plan.bad_comment_line = (
        f'{{"id": {COMMENT_ID_BASE + 999_999}, "video_id": {target.video_id}, "text": "this comment line was cut off'
    )
    plan.bad_comment_line_after = min(8, sum(len(v.comments) for v in plan.videos))
    for video in plan.videos:
        if video.kind in ("music_only", "corrupt_media"):
            plan.edge_cases.append(
                {
                    "kind": video.kind,
                    "video_id": str(video.video_id),
                    "hashtag": video.hashtag,
                    "day": video.day.isoformat(),
                }
            )
    all_days = [(plan.start_day + dt.timedelta(days=i)).isoformat() for i in range(plan.days)]
    plan.edge_cases.append(
        {
            "kind": "malformed_video_line",
            "file": "videos.jsonl",
            "line": plan.bad_video_line_after + 1,
            "hashtag": first_tag,
            "days": all_days,
        }
    )
    plan.edge_cases.append(
        {
            "kind": "malformed_comment_line",
            "file": "comments.jsonl",
            "line": plan.bad_comment_line_after + 1,
            "video_id": str(target.video_id),
            "hashtag": target.hashtag,
            "day": target.day.isoformat(),
        }
    )
    return plan


def competitor_groups(catalog: Catalog) -> list[tuple[str, ...]]:
    """Brand names per competitor group, groups in first-seen order: hashtag i covers group i."""
    groups: dict[str, list[str]] = {}
    for brand in catalog.brands:
        groups.setdefault(brand.competitor_group, []).append(brand.name)
    return [tuple(names) for names in groups.values()]
