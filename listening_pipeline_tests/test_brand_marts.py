"""The brand-analytics marts a BI tool reads: share of voice, creators, co-hashtag trends, alerts.

User story: raw rows land in the warehouse (as the Python assets would leave them), dbt builds
the marts, and an analyst opens the DuckDB file and reads them. The raw data is a small
synthetic 20-day history written with the framework-free warehouse: two tracked hashtags, a
coffee group (Alpha, Beta, and Gamma that nobody mentions) and a tea group (Delta, and Epsilon
that only shows up on day 15). Alpha has one planted spike (a negative wave); Beta has ordinary
noise, including a jump from 8 to 17 mentions, which must not alert.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pytest

from listening_pipeline.lib.text.units import with_intents
from listening_pipeline.settings import DBT_PROJECT_DIR
from listening_pipeline.warehouse import DuckDBWarehouse
from listening_pipeline.warehouse.tables import (
    ALL_TABLES,
    BRAND_MENTIONS,
    BRANDS,
    CAMPAIGNS,
    COMMENTS,
    SENTIMENT,
    VIDEO_STATS_SNAPSHOTS,
    VIDEOS,
)
from listening_pipeline_tests.marts import MART_KEYS

START = dt.date(2026, 10, 1)
DAYS = 20
SPIKE = 16  # day index of Alpha's planted negative wave
RANK_DAY = 2  # day index with hand-made creators for the leaderboard
TWICE_DAY = 5  # day index on which one Alpha video is collected under both hashtags
EPSILON_FROM = 15  # Epsilon is first mentioned on this day index, loudly
TREND_DAYS = {10: 1, 12: 1, SPIKE: 4}  # 'pumpkinspice' videos per day index under #coffeetime
NEW_TAG_DAY = 19  # 'newtag' appears on two #coffeetime videos that day, never before
SOUND_ID = 7_500_000_000_000_000_000  # the steady sound of most videos; Epsilon's videos each have their own
RISING_SOUND = 7_500_000_000_000_000_099
EFFECT_ID = 7_600_000_000_000_000_000
EFFECT_NAMES = ("Green Screen", "Slow Zoom")
SNAPSHOT_GAIN = 5  # views each video gains between its two observations
# Alpha's campaign rides #pumpkinspice (never a partition of its own) and runs past the last day; Beta's
# hashtag is on no video; Delta's starts after the last collected day.
CAMPAIGN_ROWS = [
    ("Alpha Pumpkin", "Alpha", "pumpkinspice", 9, 25, "videos", 8),
    ("Beta Quiet", "Beta", "betachallenge", 18, 30, None, None),
    ("Delta Later", "Delta", "greentea", DAYS + 1, DAYS + 5, "views", 1000),
]

# Mentions per day: Alpha is quiet (10 +- 2) except the spike; Beta goes 8 -> 17 on day 13.
ALPHA = [9, 11, 10, 12, 8, 10, 11, 9, 13, 10, 7, 10, 12, 9, 11, 10, 40, 11, 9, 10]
ALPHA_NEGATIVE = [1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 1, 2, 1, 1, 2, 1, 24, 1, 2, 1]
BETA = [10, 12, 8, 9, 11, 10, 13, 7, 10, 12, 9, 11, 8, 17, 10, 9, 11, 12, 10, 8]
BETA_NEGATIVE = [
    1,
    1,
    2,
    1,
    1,
    2,
    1,
    1,
    1,
    2,
    1,
    1,
    1,
    2,
    6,
    1,
    1,
    2,
    1,
    1,
]  # 6 of 10 on day 14: under alert_min_negative
DELTA = [3, 4, 5, 3, 4, 5, 3, 4, 5, 3, 4, 5, 3, 4, 5, 3, 4, 5, 3, 4]
EPSILON = [0] * EPSILON_FROM + [15] * (DAYS - EPSILON_FROM)
SPIKE_VIDEO_SIZES = [10, 8, 6, 6, 4, 3, 3]  # Alpha's spike-day videos, by mentions

CATALOG = [
    ("Alpha", "coffee", "coffeetime"),
    ("Beta", "coffee", "coffeetime"),
    ("Gamma", "coffee", "coffeetime"),
    ("Delta", "tea", "morningbrew"),
    ("Epsilon", "tea", "morningbrew"),
]
HASHTAG_OF = {brand: hashtag for brand, _, hashtag in CATALOG}


def day(index: int) -> dt.date:
    return START + dt.timedelta(days=index)


@dataclass
class Video:
    hashtag: str
    day: dt.date
    video_id: str
    creator: str
    views: int
    mentions: list[tuple[str, str, str | None]] = field(default_factory=list)  # (brand, origin, sentiment)
    hashtags: list[str] = field(default_factory=list)


def _mention_list(count: int, negative: int) -> list[tuple[str, str | None]]:
    """``count`` mentions, ``negative`` of them negative: one logo hit (no sentiment), the rest text."""
    out: list[tuple[str, str | None]] = [("logo", None)]
    out += [("comment", "negative")] * negative
    while len(out) < count:
        out.append(("description", "positive") if len(out) % 2 else ("comment", "neutral"))
    return out[:count]


def _sound(video: Video, number: int) -> int:
    """Alpha's spike videos share the rising sound; Epsilon's (new, loud) videos each have their own."""
    brand = video.mentions[0][0]
    if brand == "Alpha" and video.day == day(SPIKE):
        return RISING_SOUND
    if brand == "Epsilon":
        return SOUND_ID + 1_000 + number % 1_000_000
    return SOUND_ID


def synthetic_raw_tables() -> dict[str, pl.DataFrame]:
    """The raw tables (as the Python assets write them) of the 20-day synthetic history."""
    videos: list[Video] = []
    serial = iter(range(7_300_000_000_000_000_000, 7_400_000_000_000_000_000))
    creators = ["ann", "bob", "cat", "dan", "eve"]

    def new_video(hashtag: str, index: int, creator: str | None = None, views: int | None = None) -> Video:
        number = next(serial)
        video = Video(
            hashtag=hashtag,
            day=day(index),
            video_id=str(number),
            creator=creator or creators[number % len(creators)],
            views=views if views is not None else 100 + (number * 7919) % 5000,
        )
        videos.append(video)
        return video

    for index in range(DAYS):
        for brand, counts, negatives in (
            ("Alpha", ALPHA, ALPHA_NEGATIVE),
            ("Beta", BETA, BETA_NEGATIVE),
            ("Delta", DELTA, [0] * DAYS),
            ("Epsilon", EPSILON, [0] * DAYS),
        ):
            mentions = _mention_list(counts[index], negatives[index])
            if not mentions:
                continue
            if brand == "Alpha" and index == RANK_DAY:
                # amy and zed tie on reach (amy has more mentions); abe and bob tie on reach and mentions.
                plan = [("zed", 5000, 2), ("amy", 3000, 3), ("amy", 2000, 1), ("bob", 1000, 2), ("abe", 1000, 2)]
            elif brand == "Alpha" and index == SPIKE:
                plan = [(None, None, size) for size in SPIKE_VIDEO_SIZES]
            else:
                plan = [(None, None, min(4, len(mentions) - start)) for start in range(0, len(mentions), 4)]
            assert sum(size for *_, size in plan) == len(mentions), (brand, index)
            taken = 0
            for creator, views, size in plan:
                video = new_video(HASHTAG_OF[brand], index, creator, views)
                video.mentions = [(brand, origin, label) for origin, label in mentions[taken : taken + size]]
                taken += size

    for video in videos:
        video.hashtags = [video.hashtag, "latte" if video.hashtag == "coffeetime" else "greentea"]
    for index, count in TREND_DAYS.items():
        for video in [v for v in videos if v.hashtag == "coffeetime" and v.day == day(index)][:count]:
            video.hashtags.append("pumpkinspice")
    for video in [v for v in videos if v.hashtag == "coffeetime" and v.day == day(NEW_TAG_DAY)][:2]:
        video.hashtags.append("newtag")
    # One Alpha video collected under both hashtags: same video id and mention ids in both partitions.
    twice = next(v for v in videos if v.day == day(TWICE_DAY) and v.mentions[0][0] == "Alpha")
    twice.hashtags.append("morningbrew")
    videos.append(
        Video("morningbrew", twice.day, twice.video_id, twice.creator, twice.views, twice.mentions, twice.hashtags)
    )

    video_rows, mention_rows, snapshot_rows = [], [], []
    for video in videos:
        number = int(video.video_id)
        effects = [str(EFFECT_ID + number % 2)] if number % 3 == 0 else []
        for hours, gained in ((12, 0), (36, SNAPSHOT_GAIN)):  # seen on its day, then a day later
            snapshot_rows.append(
                {
                    "video_id": video.video_id,
                    "collected_at": dt.datetime.combine(video.day, dt.time(0), tzinfo=dt.UTC)
                    + dt.timedelta(hours=hours),
                    "view_count": video.views + gained,
                    "like_count": video.views // 10,
                    "comment_count": 3,
                    "share_count": 1,
                    "favorites_count": 0,
                }
            )
        video_rows.append(
            {
                "hashtag": video.hashtag,
                "day": video.day,
                "video_id": video.video_id,
                "source": "folder",
                "creator": video.creator,
                "created_at": dt.datetime.combine(video.day, dt.time(12), tzinfo=dt.UTC),
                "description": "synthetic",
                "hashtags": video.hashtags,
                "region": ("US", "DE", "")[number % 3],  # '' as a platform leaves it when it does not know
                "view_count": video.views,
                "like_count": video.views // 10,
                "comment_count": 3,
                "share_count": 1,
                "duration_s": 12.0,
                "voice_to_text": None,
                "music_id": str(_sound(video, number)),
                "effect_ids": effects,
                "effect_names": [EFFECT_NAMES[int(e) - EFFECT_ID] for e in effects],
                "media_uri": None,
                "media_error": "metadata only",
            }
        )
        for n, (brand, origin, label) in enumerate(video.mentions):
            unit = None if origin == "logo" else f"{video.video_id}:{origin}:{n}"
            mention_rows.append(
                {
                    "hashtag": video.hashtag,
                    "day": video.day,
                    "mention_id": f"{video.video_id}:{n}:{brand}",
                    "video_id": video.video_id,
                    "brand": brand,
                    "origin": origin,
                    "unit_id": unit,
                    "matched_text": None if origin == "logo" else brand,
                    "t_s": float(n),
                    "end_s": float(n) + 3.0 if origin == "logo" else None,
                    "confidence": 1.0,
                    "sentiment_label": label,
                    "sentiment_polarity": None
                    if label is None
                    else {"positive": 0.8, "neutral": 0.0, "negative": -0.8}[label],
                }
            )
    brands = [
        {"brand": brand, "competitor_group": group, "aliases": [brand.lower()], "hashtags": []}
        for brand, group, _ in CATALOG
    ]
    campaigns = [
        dict(zip(CAMPAIGNS.columns, (name, brand, tag, day(first), day(last), metric, value), strict=True))
        for name, brand, tag, first, last, metric, value in CAMPAIGN_ROWS
    ]
    comment_rows, sentiment_rows = _thread_on_the_video_collected_twice(video_rows)
    return {
        VIDEOS.name: VIDEOS.frame(video_rows),
        COMMENTS.name: COMMENTS.frame(comment_rows),
        SENTIMENT.name: SENTIMENT.frame(with_intents(pl.DataFrame(sentiment_rows))),
        BRAND_MENTIONS.name: BRAND_MENTIONS.frame(mention_rows),
        BRANDS.name: BRANDS.frame(brands),
        CAMPAIGNS.name: CAMPAIGNS.frame(campaigns),
        # The video collected under both hashtags was observed once per collection, not once per hashtag.
        VIDEO_STATS_SNAPSHOTS.name: VIDEO_STATS_SNAPSHOTS.frame(
            list({(r["video_id"], r["collected_at"]): r for r in snapshot_rows}.values())
        ),
    }


# Comments on the video collected under two hashtags (each counted once): text, label.
THREAD = (
    ("Love it, just ordered two", "positive"),
    ("Arrived broken, I want a refund", "negative"),
    ("Where can I buy it?", "neutral"),
)


def _thread_on_the_video_collected_twice(video_rows: list[dict]) -> tuple[list[dict], list[dict]]:
    ids = [r["video_id"] for r in video_rows]
    comments, scored = [], []
    for row in (r for r in video_rows if ids.count(r["video_id"]) == 2):
        for n, (text, label) in enumerate(THREAD):
            key = {"hashtag": row["hashtag"], "day": row["day"], "video_id": row["video_id"]}
            comment_id = f"c{n}"
            comments.append(
                {**key, "comment_id": comment_id, "parent_comment_id": row["video_id"], "text": text,
                 "like_count": 10 * (n + 1), "reply_count": 0, "created_at": row["created_at"]}
            )  # fmt: skip
            polarity = {"positive": 0.8, "neutral": 0.0, "negative": -0.8}[label]
            scored.append(
                {**key, "unit_id": f"{row['video_id']}:comment:{comment_id}", "text": text, "label": label,
                 "score": 0.9, "polarity": polarity, "model": "synthetic"}
            )  # fmt: skip
    return comments, scored


def write_synthetic_warehouse(store) -> dict[str, pl.DataFrame]:
    """Every raw table created (dbt reads them all), the synthetic ones filled."""
    raw = synthetic_raw_tables()
    store.ensure_tables(ALL_TABLES.values())
    for name, frame in raw.items():
        store.replace_table(ALL_TABLES[name], frame)
    return raw


class Dbt:
    """dbt as Dagster runs it: a subprocess pointed at one warehouse, its target and logs in tmp."""

    def __init__(self, warehouse_path: Path, workdir: Path, project_dir: Path = DBT_PROJECT_DIR) -> None:
        self.workdir = workdir
        self.project_dir = project_dir
        self.env = {
            **os.environ,
            "LISTENING_PIPELINE_DBT_TARGET": "duckdb",
            "LISTENING_PIPELINE_DUCKDB_PATH": str(warehouse_path),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }

    def __call__(
        self, *args: str, window: tuple[dt.date, dt.date] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess:
        command = [
            str(Path(sys.executable).with_name("dbt")),
            *args,
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.project_dir),
            "--target-path",
            str(self.workdir / "target"),
            "--log-path",
            str(self.workdir / "logs"),
        ]
        if window:
            command += ["--vars", json.dumps({"min_date": window[0].isoformat(), "max_date": window[1].isoformat()})]
        result = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0 or not check, result.stdout[-6000:]
        return result


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The synthetic warehouse with every model built and tested by one plain `dbt build`."""
    root = tmp_path_factory.mktemp("brand_marts")
    store = DuckDBWarehouse(root / "warehouse.duckdb")
    raw = write_synthetic_warehouse(store)
    dbt = Dbt(store.path, root)
    dbt("build")
    return store, dbt, raw


def read_mart(store: DuckDBWarehouse, mart: str) -> pl.DataFrame:
    return store.query(f"select * from marts.{mart} order by {', '.join(MART_KEYS[mart])}")


# --------------------------------------------------------------------------- sounds, effects, growth


def test_the_sound_the_spike_shares_is_rising_and_a_video_under_two_hashtags_counts_once(built):
    store, _, raw = built
    sounds = read_mart(store, "sound_trends")
    rising = sounds.filter(pl.col("is_rising"))
    assert rising.select("day", "music_id").rows() == [(day(SPIKE), str(RISING_SOUND))]
    row = rising.row(0, named=True)
    assert (row["videos"], row["mentioning_videos"], row["co_mentioned_brands"]) == (len(SPIKE_VIDEO_SIZES),) * 2 + (
        "Alpha",
    )
    assert row["baseline_days"] == 7 and row["baseline_videos"] == 0 and row["growth_ratio"] is None
    videos = raw[VIDEOS.name].unique(["day", "video_id"])  # each video once, whatever hashtags it came under
    assert sounds["videos"].sum() == videos.height
    twice = raw[VIDEOS.name].filter(pl.col("video_id").is_duplicated()).row(0, named=True)
    [shared] = sounds.filter((pl.col("day") == twice["day"]) & (pl.col("music_id") == twice["music_id"])).iter_rows(
        named=True
    )
    same_sound = videos.filter((pl.col("day") == twice["day"]) & (pl.col("music_id") == twice["music_id"]))
    assert shared["videos"] == same_sound.height and shared["views"] == same_sound["view_count"].sum()
    assert shared["tracked_hashtags"] == 2
    effects = read_mart(store, "effect_trends")
    with_effect = videos.filter(pl.col("effect_ids").list.len() > 0)
    assert effects["videos"].sum() == with_effect.height
    assert set(zip(effects["effect_id"], effects["effect_name"], strict=True)) == {
        (str(EFFECT_ID + n), name) for n, name in enumerate(EFFECT_NAMES)
    }


def test_each_video_grows_by_what_its_later_observation_saw(built):
    store, _, raw = built
    growth = read_mart(store, "video_growth")
    videos = raw[VIDEOS.name].unique("video_id")
    assert growth.height == 2 * videos.height
    first, later = (
        growth.filter(pl.col("days_since_first_seen") == 0),
        growth.filter(pl.col("days_since_first_seen") == 1),
    )
    assert first["views_gained"].null_count() == first.height and (first["views_since_first_seen"] == 0).all()
    assert (later["views_gained"] == SNAPSHOT_GAIN).all() and (later["engagement_gained"] == 0).all()
    assert (later["observed_on"] == later["day"] + dt.timedelta(days=1)).all()


# --------------------------------------------------------------------------- campaigns


def test_a_campaign_counts_the_videos_carrying_its_hashtag_every_day_to_the_last_collected(built):
    """Alpha's #pumpkinspice rides #coffeetime videos: every day from its start to the last collected day
    is a row (zeros between), each video's +SNAPSHOT_GAIN shows a day later as growth, and the running
    total meets the target of 8 videos against the elapsed share of its days."""
    store, _, raw = built
    mart = read_mart(store, "campaign_performance")
    name, brand, tag, first, last, _, target = CAMPAIGN_ROWS[0]
    videos = (
        raw[VIDEOS.name]
        .filter(pl.col("hashtags").list.contains(tag), pl.col("day").is_between(day(first), day(last)))
        .unique("video_id")
    )
    mentions = raw[BRAND_MENTIONS.name].filter(pl.col("brand") == brand).unique("mention_id")
    alpha = mart.filter(pl.col("campaign") == name)
    assert alpha["day"].to_list() == [day(i) for i in range(first, DAYS)]  # stops at the last collected day
    total_days = last - first + 1
    running = 0
    for number, row in enumerate(alpha.iter_rows(named=True), start=1):
        today = videos.filter(pl.col("day") == row["day"])
        ours = mentions.filter(pl.col("video_id").is_in(today["video_id"].to_list()), pl.col("day") == row["day"])
        everywhere = mentions.filter(pl.col("day") == row["day"])
        grown = videos.filter(pl.col("day") == row["day"] - dt.timedelta(days=1)).height * SNAPSHOT_GAIN
        running += today.height
        assert (row["videos"], row["creators"], row["views"], row["views_gained"]) == (
            today.height,
            today["creator"].n_unique(),
            today["view_count"].sum(),
            grown,
        ), row["day"]
        assert (row["brand_mentions"], row["negative_mentions"], row["all_brand_mentions"]) == (
            ours.height,
            ours.filter(pl.col("sentiment_label") == "negative").height,
            everywhere.height,
        ), row["day"]
        assert row["share_of_brand_mentions"] == pytest.approx(ours.height / everywhere.height)
        assert (row["cumulative_videos"], row["target_cumulative"]) == (running, running)
        assert row["progress"] == pytest.approx(running / target)
        assert row["on_track"] == (running * total_days >= number * target)
    assert alpha["videos"].sum() == sum(TREND_DAYS.values()) and alpha["views_gained"].sum() > 0
    assert (alpha["videos"] == 0).sum() == alpha.height - len(TREND_DAYS)  # quiet days are rows of zeros
    # No target: nulls; a campaign starting after the last collected day has no rows yet.
    quiet = mart.filter(pl.col("campaign") == CAMPAIGN_ROWS[1][0])
    assert quiet.height == DAYS - CAMPAIGN_ROWS[1][3] and quiet["progress"].null_count() == quiet.height
    assert (quiet["videos"] == 0).all() and mart.filter(pl.col("campaign") == CAMPAIGN_ROWS[2][0]).is_empty()


def test_audience_reaction_counts_each_comment_once_with_its_intents(built):
    """The thread on the video collected under two hashtags: each comment once, per brand it mentions."""
    store, _, raw = built
    twice = raw[VIDEOS.name].filter(pl.col("video_id").is_duplicated()).row(0, named=True)
    brands = raw[BRAND_MENTIONS.name].filter(pl.col("video_id") == twice["video_id"])["brand"].unique().to_list()
    rows = read_mart(store, "audience_reaction")
    assert rows["day"].unique().to_list() == [twice["day"]] and sorted(rows["brand"]) == sorted(brands)
    for row in rows.iter_rows(named=True):
        assert (row["total_comments"], row["positive_comments"], row["negative_comments"]) == (3, 1, 1)
        assert (row["purchase_intent_comments"], row["complaint_comments"]) == (2, 1)
        assert row["agreeing_comments"] + row["disagreeing_comments"] + row["no_stance_comments"] == 3
        assert row["top_complaint"] == "Arrived broken, I want a refund"


# --------------------------------------------------------------------------- regions and languages


def test_regions_split_each_brands_day_and_share_their_voice_per_region(built):
    """Every mention once in exactly one region and language; per region, a group's shares sum to 1."""
    store, _, raw = built
    regions = read_mart(store, "brand_region_metrics")
    videos = raw[VIDEOS.name].unique(["day", "video_id"]).select("day", "video_id", "region")
    mentions = raw[BRAND_MENTIONS.name].unique(["day", "mention_id"]).join(videos, on=["day", "video_id"])
    mentions = mentions.with_columns(region=pl.when(pl.col("region") == "").then(pl.lit("unknown")).otherwise("region"))
    expected = mentions.group_by("brand", "day", "region").agg(pl.len().alias("mentions"))
    got = regions.group_by("brand", "day", "region").agg(pl.col("mentions").sum())
    assert got.sort(got.columns).equals(expected.sort(expected.columns).cast({"mentions": pl.Int64}))
    assert set(regions["region"]) == {"US", "DE", "unknown"} and set(regions["language"]) == {"und"}
    shares = regions.unique(["brand", "day", "region"]).group_by("competitor_group", "day", "region")
    assert (shares.agg(pl.col("region_share_of_voice").sum())["region_share_of_voice"] - 1).abs().max() < 1e-9


def test_topics_are_the_other_hashtags_of_a_brands_videos_counted_in_videos(built):
    """No speech or captions in the synthetic history: its topics are the co-hashtags, without the tracked ones."""
    store, _, raw = built
    topics = read_mart(store, "brand_topics")
    videos = raw[VIDEOS.name].unique(["day", "video_id"]).select("day", "video_id", "hashtags")
    mentioning = raw[BRAND_MENTIONS.name].select("brand", "day", "video_id").unique()
    tags = mentioning.join(videos, on=["day", "video_id"]).explode("hashtags").rename({"hashtags": "topic"})
    tracked = set(raw[VIDEOS.name]["hashtag"])
    expected = (
        tags.filter(~pl.col("topic").is_in(tracked))
        .group_by("brand", "day", "topic")
        .agg(pl.col("video_id").n_unique().alias("videos"))
    )
    assert set(topics["topic_kind"]) == {"hashtag"}
    got = topics.select("brand", "day", "topic", "videos")
    assert got.sort(got.columns).equals(expected.sort(expected.columns).cast({"videos": pl.Int64}))
    spike = topics.filter((pl.col("brand") == "Alpha") & (pl.col("day") == day(SPIKE)))
    assert spike.sort("topic_rank")["topic"].to_list()[:2] == ["latte", "pumpkinspice"]


# --------------------------------------------------------------------------- share of voice


def test_share_of_voice_sums_to_one_and_keeps_silent_competitors(built):
    store, _, raw = built
    sov = read_mart(store, "share_of_voice")

    totals = sov.group_by("day", "competitor_group").agg(pl.col("share_of_voice").sum().alias("total"))
    assert totals.height == DAYS * 2
    assert (totals["total"] - 1).abs().max() < 1e-9

    # Gamma is never mentioned but is on every coffee day with share 0; Epsilon only once the tea group talks.
    gamma = sov.filter(pl.col("brand") == "Gamma")
    assert gamma.height == DAYS and gamma["mentions"].sum() == 0 and gamma["share_of_voice"].max() == 0.0
    assert sov.filter(pl.col("brand") == "Epsilon").height == DAYS

    # Counts are distinct mentions: the video collected under both hashtags counts once.
    mentions = raw[BRAND_MENTIONS.name]
    assert mentions.filter(pl.col("day") == day(TWICE_DAY), pl.col("brand") == "Alpha").height > ALPHA[TWICE_DAY]
    row = sov.filter(pl.col("day") == day(TWICE_DAY), pl.col("brand") == "Alpha").row(0, named=True)
    assert row["mentions"] == ALPHA[TWICE_DAY]
    assert row["group_mentions"] == ALPHA[TWICE_DAY] + BETA[TWICE_DAY]
    assert row["share_of_voice"] == pytest.approx(ALPHA[TWICE_DAY] / (ALPHA[TWICE_DAY] + BETA[TWICE_DAY]))
    reach_total = sov.filter(pl.col("day") == day(TWICE_DAY), pl.col("competitor_group") == "coffee")[
        "reach_share"
    ].sum()
    assert reach_total == pytest.approx(1.0)


# --------------------------------------------------------------------------- creators


def test_creator_leaderboard_ranks_by_reach_then_mentions_then_name(built):
    store, _, _ = built
    board = read_mart(store, "creator_leaderboard")
    ranked = board.filter(pl.col("day") == day(RANK_DAY), pl.col("brand") == "Alpha").sort("rank_by_reach")
    assert ranked.select("rank_by_reach", "creator", "reach", "mentions", "mentioning_videos").rows() == [
        (1, "amy", 5000, 4, 2),
        (2, "zed", 5000, 2, 1),
        (3, "abe", 1000, 2, 1),
        (4, "bob", 1000, 2, 1),
    ]
    # Ranks run 1..n without gaps for every brand and day, and mentions add up to the brand's day.
    per_brand_day = board.group_by("brand", "day").agg(
        pl.col("rank_by_reach").min().alias("first"),
        pl.col("rank_by_reach").max().alias("last"),
        pl.len().alias("creators"),
        pl.col("mentions").sum().alias("mentions"),
    )
    assert (per_brand_day["first"] == 1).all() and (per_brand_day["last"] == per_brand_day["creators"]).all()
    twice = per_brand_day.filter(pl.col("brand") == "Alpha", pl.col("day") == day(TWICE_DAY))
    assert twice["mentions"].item() == ALPHA[TWICE_DAY]
    assert board["net_sentiment"].drop_nulls().is_between(-1, 1).all()


# --------------------------------------------------------------------------- co-hashtag trends


def test_a_co_hashtag_that_takes_off_is_rising(built):
    store, _, _ = built
    trends = read_mart(store, "hashtag_trends")
    assert trends.filter(pl.col("co_hashtag") == pl.col("hashtag")).height == 0

    pumpkin = trends.filter(pl.col("hashtag") == "coffeetime", pl.col("co_hashtag") == "pumpkinspice")
    by_day = {r["day"]: r for r in pumpkin.iter_rows(named=True)}
    assert set(by_day) == {day(i) for i in TREND_DAYS}
    spike = by_day[day(SPIKE)]
    assert spike["videos"] == 4 and spike["baseline_days"] == 7
    assert spike["baseline_videos"] == pytest.approx(2 / 7)
    assert spike["growth_ratio"] == pytest.approx(14.0)
    assert spike["is_rising"] is True
    assert by_day[day(10)]["is_rising"] is False  # one video is not a trend

    new = trends.filter(pl.col("co_hashtag") == "newtag").row(0, named=True)
    assert (new["day"], new["videos"], new["baseline_videos"], new["growth_ratio"], new["is_rising"]) == (
        day(NEW_TAG_DAY),
        2,
        0.0,
        None,
        True,
    )
    latte = trends.filter(pl.col("co_hashtag") == "latte", pl.col("day") == day(NEW_TAG_DAY)).row(0, named=True)
    assert latte["is_rising"] is False and latte["baseline_days"] == 7
    # Nothing rises on a hashtag's first collected day (no baseline yet).
    assert not trends.filter(pl.col("day") == START)["is_rising"].any()


# --------------------------------------------------------------------------- alerts


def test_the_planted_spike_is_the_only_alert(built):
    store, _, _ = built
    alerts = read_mart(store, "brand_alerts")
    assert alerts.height == 1, alerts
    alert = alerts.row(0, named=True)

    import hashlib

    spike_day = day(SPIKE)
    assert alert["alert_id"] == hashlib.md5(f"Alpha|{spike_day.isoformat()}".encode()).hexdigest()
    assert (alert["day"], alert["brand"], alert["competitor_group"], alert["reasons"]) == (
        spike_day,
        "Alpha",
        "coffee",
        "mentions,negative_share",
    )
    history = ALPHA[:SPIKE]
    assert alert["mentions"] == ALPHA[SPIKE] and alert["baseline_days"] == SPIKE
    assert alert["baseline_mentions"] == pytest.approx(statistics.mean(history))
    assert alert["mentions_z"] == pytest.approx((ALPHA[SPIKE] - statistics.mean(history)) / statistics.stdev(history))
    # Every mention but the logo hit has a sentiment label.
    shares = [n / (m - 1) for n, m in zip(ALPHA_NEGATIVE[:SPIKE], history)]
    assert alert["negative_mentions"] == ALPHA_NEGATIVE[SPIKE]
    assert alert["negative_share"] == pytest.approx(ALPHA_NEGATIVE[SPIKE] / (ALPHA[SPIKE] - 1))
    # The baseline rate pools the baseline days' mentions; z is a proportion test on today's.
    pooled = sum(ALPHA_NEGATIVE[:SPIKE]) / sum(m - 1 for m in history)
    assert shares and alert["baseline_negative_share"] == pytest.approx(pooled)
    assert alert["negative_share_z"] == pytest.approx(
        (alert["negative_share"] - pooled) / math.sqrt(max(pooled * (1 - pooled), 0.01) / (ALPHA[SPIKE] - 1))
    )

    # The biggest videos first, the two with 6 mentions by id, five at most.
    mentions = store.query(
        "select video_id, count(*) as n from raw.brand_mentions where brand = 'Alpha' and day = ?"
        " group by video_id order by n desc, video_id limit 5",
        [spike_day],
    )
    assert alert["top_videos"] == ",".join(mentions["video_id"])
    assert mentions["n"].to_list() == SPIKE_VIDEO_SIZES[:5]

    # The sensor's column contract, with the types the mart was built with.
    types = store.query(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = 'marts' and table_name = 'brand_alerts' order by ordinal_position"
    )
    assert types.rows() == [
        ("alert_id", "VARCHAR"),
        ("day", "DATE"),
        ("brand", "VARCHAR"),
        ("competitor_group", "VARCHAR"),
        ("reasons", "VARCHAR"),
        ("mentions", "BIGINT"),
        ("baseline_mentions", "DOUBLE"),
        ("mentions_z", "DOUBLE"),
        ("negative_mentions", "BIGINT"),
        ("negative_share", "DOUBLE"),
        ("baseline_negative_share", "DOUBLE"),
        ("negative_share_z", "DOUBLE"),
        ("baseline_days", "INTEGER"),
        ("top_videos", "VARCHAR"),
        ("top_evidence", "VARCHAR"),
    ]
    from listening_pipeline.lib.alerts import ALERT_COLUMNS, Alert

    assert tuple(types["column_name"]) == ALERT_COLUMNS

    # The proof it carries: five of its mentions, each once, the negative ones first (the negative share
    # rose), then by the video's views; each is that mention's evidence row.
    evidence = json.loads(alert["top_evidence"])
    assert len(evidence) == 5 and len({e["mention_id"] for e in evidence}) == 5
    rows = read_mart(store, "mention_evidence").filter((pl.col("brand") == "Alpha") & (pl.col("day") == spike_day))
    negatives = rows.filter(pl.col("sentiment_label") == "negative").unique("mention_id")
    assert negatives.height >= 5 and all(e["sentiment_label"] == "negative" for e in evidence)
    assert [e["view_count"] for e in evidence] == sorted(negatives["view_count"].to_list(), reverse=True)[:5]
    by_id = {r["mention_id"]: r for r in rows.iter_rows(named=True)}
    for item in evidence:
        row = by_id[item["mention_id"]]
        assert (item["video_id"], item["quote"], item["video_url"], item["start_s"]) == (
            row["video_id"],
            row["quote"],
            row["video_url"],
            row["start_s"],
        )
    assert [e.quote for e in Alert.from_row(alert).evidence] == [e["quote"] for e in evidence]


# --------------------------------------------------------------------------- screen time


def test_screen_time_counts_each_logo_second_once_and_shares_sum_to_one(built):
    store, _, raw = built
    screen = read_mart(store, "visual_share_of_voice")
    totals = screen.group_by("day", "competitor_group").agg(pl.col("screen_share").sum().alias("total"))
    assert (totals["total"] - 1).abs().max() < 1e-9

    # Every synthetic logo is on screen 3 s; the video collected under both hashtags counts once.
    logos = raw[BRAND_MENTIONS.name].filter(pl.col("origin") == "logo").unique(["day", "video_id", "brand"])
    expected = logos.group_by("day", "brand").agg((pl.len() * 3.0).alias("expected"), pl.len().alias("videos"))
    joined = screen.join(expected, on=["day", "brand"], how="left").with_columns(pl.col("expected").fill_null(0.0))
    assert (joined["screen_seconds"] == joined["expected"]).all()
    assert (joined["videos_with_logo"] == joined["videos"].fill_null(0)).all()
    assert screen.filter(pl.col("brand") == "Gamma")["screen_seconds"].sum() == 0  # never seen, still listed


# --------------------------------------------------------------------------- evidence


EVIDENCE_TESTS = (
    "assert_brand_daily_metrics_match_mention_evidence",
    "assert_share_of_voice_matches_mention_evidence",
    "assert_brand_alerts_match_mention_evidence",
)


def test_every_count_is_its_evidence_and_a_count_without_evidence_fails_the_build(built, tmp_path):
    store, _, _ = built
    evidence = read_mart(store, "mention_evidence")
    metrics = read_mart(store, "brand_daily_metrics")
    assert evidence.height == metrics["mentions"].sum() and evidence["video_url"].null_count() == 0

    # The planted alert's day loses one mention's evidence in a copy of the warehouse: all three marts'
    # counts now disagree with it, and each test says so.
    alert = read_mart(store, "brand_alerts").row(0, named=True)
    lost = evidence.filter((pl.col("brand") == alert["brand"]) & (pl.col("day") == alert["day"]))["mention_id"][0]
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(store.path, copy)
    with DuckDBWarehouse(copy).connect() as con:
        con.execute("delete from marts.mention_evidence where mention_id = ?", [lost])
    result = Dbt(copy, tmp_path)("test", "--select", *EVIDENCE_TESTS, check=False)
    assert result.returncode != 0
    failed = {line.split("FAIL", 1)[1].split()[1] for line in result.stdout.splitlines() if " FAIL " in line}
    assert failed == set(EVIDENCE_TESTS), result.stdout[-3000:]


# --------------------------------------------------------------------------- rebuilds and docs


def test_rebuilding_a_day_or_a_range_changes_nothing(built):
    store, dbt, _ = built
    before = {mart: read_mart(store, mart) for mart in MART_KEYS}
    for window in [(day(SPIKE), day(SPIKE + 1)), (day(SPIKE - 2), day(SPIKE + 2)), (START, day(1))]:
        dbt("build", "--select", "marts", window=window)
        for mart, frame in before.items():
            after = read_mart(store, mart)
            assert after.equals(frame), f"{mart} changed after rebuilding {window}"


def test_dbt_docs_generate_gives_a_catalog_of_every_mart(built):
    store, dbt, _ = built
    dbt("docs", "generate")
    target = dbt.workdir / "target"
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    for mart in MART_KEYS:
        node = f"model.listening_pipeline.{mart}"
        columns = catalog["nodes"][node]["columns"]
        documented = manifest["nodes"][node]["columns"]
        assert set(columns) == set(documented), mart  # every built column is documented, and only those
        assert all(c["description"] for c in documented.values()), mart
        assert manifest["nodes"][node]["description"], mart
    assert (target / "index.html").exists()
