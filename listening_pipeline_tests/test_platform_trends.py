"""Sounds, effects and growth on the sample history: what a brand team asks after "who mentioned us".

The story: in the two quiet weeks before the Mokka Mia complaint wave, one sound is heard once; on
the wave day every wave video uses it. sound_trends must report that sound, and only it, as rising,
with the brand it rose with. effect_trends counts each effect's videos as the export has them. Then
the export is written again a day later with the wave's views grown, the day is collected again, and
video_growth shows each video's gain since the day before, from the snapshots both collections kept.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter

import polars as pl
import pytest

from listening_pipeline.lib.insights.platform import growth_line, sound_line
from listening_pipeline_tests.history import copied_history, record_day

pytestmark = pytest.mark.slow

GROWTH = 1_000  # views the wave's n-th video gains, times n, between the two collections


@pytest.fixture(scope="module")
def truth(sample_corpus):
    return json.loads((sample_corpus / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def history(tmp_path_factory, history_template, sample_corpus):
    root = tmp_path_factory.mktemp("platform-trends") / "history"
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        copied_history(history_template, root, sample_corpus, monkeypatch) as copy,
    ):
        yield copy


def test_the_planted_sound_is_the_one_rising_sound_with_the_brand_it_rose_with(history, truth):
    [planted] = [t for t in truth["planted_trends"] if t["kind"] == "sound"]
    wave = {v["id"]: v for v in truth["videos"] if v["id"] in planted["videos"]}
    rising = history.warehouse.query("select * from marts.sound_trends where is_rising order by day, music_id")
    assert rising.select("day", "music_id").rows() == [(dt.date.fromisoformat(planted["day"]), planted["music_id"])]
    row = rising.row(0, named=True)
    brands = sorted({b for v in wave.values() for found in v["mentions"].values() for b in found})
    assert row["videos"] == len(wave) and row["mentioning_videos"] == len(wave)
    assert row["co_mentioned_brands"] == ", ".join(brands)
    assert row["tracked_hashtags"] == 1
    # Its baseline: heard on one video in the 7 collected days before.
    assert row["baseline_days"] == 7 and row["baseline_videos"] == pytest.approx(1 / 7)
    assert row["growth_ratio"] == pytest.approx(len(wave) * 7)
    records = {str(r["id"]): r for r in history._all()}
    assert row["views"] == sum(records[v]["view_count"] for v in wave)
    assert row["creators"] == len({records[v]["username"] for v in wave})
    first = history.warehouse.query(
        "select day, videos, is_rising from marts.sound_trends where music_id = ? and day < ?",
        [planted["music_id"], dt.date.fromisoformat(planted["day"])],
    )
    assert first.rows() == [(dt.date.fromisoformat(planted["first_heard"]), 1, False)]
    # Every other sound is a video's own: one video each, never rising.
    others = history.warehouse.query("select max(videos) as most from marts.sound_trends where music_id <> ?",
                                     [planted["music_id"]])  # fmt: skip
    assert others.item() == 1
    # What `make demo` prints for it.
    line = sound_line(history.warehouse)
    assert planted["music_id"] in line and planted["day"] in line and ", ".join(brands) in line


def test_each_effect_counts_the_videos_of_the_export_that_use_it(history):
    days = set(history.days)
    expected: Counter[tuple[dt.date, str, str]] = Counter()
    for record in history._all():
        if record_day(record) in days and history.hashtag in record["hashtag_names"]:
            for info in record.get("effect_info_list") or []:
                expected[(record_day(record), info["effect_id"], info["effect_name"])] += 1
    assert expected, "the sample's history uses effects"
    got = history.warehouse.query(
        "select day, effect_id, effect_name, videos from marts.effect_trends where day between ? and ?",
        [history.days[0], history.days[-1]],
    )
    assert {(d, e, n): v for d, e, n, v in got.rows()} == dict(expected)


@pytest.fixture(scope="module")
def grown(history, truth):
    """The export written again a day later with the wave's views grown; the wave day collected again."""
    [planted] = [t for t in truth["planted_trends"] if t["kind"] == "sound"]
    gains = {video_id: GROWTH * n for n, video_id in enumerate(planted["videos"], start=1)}
    manifest = history.export / "videos.jsonl"
    first_written = manifest.stat().st_mtime

    def grow(record):
        gain = gains.get(str(record.get("id")), 0)
        return {**record, "view_count": record["view_count"] + gain, "like_count": record["like_count"] + gain // 100}

    history.rewrite(grow)
    os.utime(manifest, (first_written + 86_400, first_written + 86_400))
    day = dt.date.fromisoformat(planted["day"])
    assert history.run("collect_job", day)
    history.dbt(day, day)
    observed = dt.datetime.fromtimestamp(int(first_written), dt.UTC).date()
    return gains, day, observed


def test_a_day_collected_again_later_shows_each_videos_growth(history, grown):
    gains, day, first_seen = grown
    growth = history.warehouse.query("select * from marts.video_growth where day = ? order by video_id, observed_on",
                                     [day])  # fmt: skip
    by_video: dict[str, list[dict]] = {}
    for row in growth.iter_rows(named=True):
        by_video.setdefault(row["video_id"], []).append(row)
    assert set(gains) <= set(by_video)
    for video_id, rows in by_video.items():
        first, second = rows  # one observation per collection, each on its own day
        assert (first["observed_on"], second["observed_on"]) == (first_seen, first_seen + dt.timedelta(days=1))
        assert first["views_gained"] is None and first["views_since_first_seen"] == 0
        gain = gains.get(video_id, 0)
        assert second["view_count"] - first["view_count"] == gain
        assert second["views_gained"] == gain and second["views_since_first_seen"] == gain
        assert second["engagement_gained"] == gain // 100 and second["days_since_first_seen"] == 1
    assert f"largest gain in a day {max(gains.values()):,} views" in growth_line(history.warehouse)
    snapshots = "select count(*) as n, count(distinct video_id) as videos from raw.video_stats_snapshots"
    before = history.warehouse.query(snapshots).row(0, named=True)
    assert before["n"] == before["videos"] + len(by_video)  # the wave day's videos twice, every other once
    # Collecting the same export again is no new observation: nothing is added, nothing doubled.
    assert history.run("collect_job", day)
    assert history.warehouse.query(snapshots).row(0, named=True) == before


def test_the_wave_is_talked_about_with_its_captions_hashtags_and_spoken_complaint(history, truth):
    """brand_topics on the wave day: the filmed complaint's captions as shown, the wave videos' other
    hashtags counted in videos, and keywords of what was said (never a word that was not)."""
    from listening_pipeline.lib.text.keywords import keywords

    [alert] = truth["planted_alerts"]
    brand, day = alert["brand"], dt.date.fromisoformat(alert["day"])
    videos = [v for v in truth["videos"] if v["day"] == alert["day"] and v["hashtag"] == history.hashtag]
    mentioning = [v for v in videos if any(brand in found for found in v["mentions"].values())]
    topics = history.warehouse.query(
        "select topic_kind, topic, videos, topic_rank from marts.brand_topics where brand = ? and day = ?", [brand, day]
    )
    by_kind = {kind: topics.filter(pl.col("topic_kind") == kind) for kind in ("hashtag", "caption", "speech")}
    # What OCR read of the planted captions (a line may come as pieces), never the brand's bare name.
    shown = [" ".join(c["text"].lower().split()) for v in mentioning for c in v["captions"]]
    read = set(by_kind["caption"]["topic"])
    assert read and all(any(topic in caption for caption in shown) for topic in read), (read, shown)
    assert f"{brand.lower()}: awful" in read and not read & {brand.lower(), *brand.lower().split()}
    names = brand.lower().replace(" ", "")
    tags = Counter(
        h["tag"] for v in mentioning for h in v["hashtags"] if h["tag"] != history.hashtag and h["tag"] not in names
    )
    expected = sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert by_kind["hashtag"].sort("topic_rank").select("topic", "videos").rows() == expected
    said = {word for v in mentioning if v["speech"] for word in keywords(v["speech"]["text"])}
    assert by_kind["speech"].height and set(by_kind["speech"]["topic"]) <= said


def test_each_mention_is_in_its_videos_region_and_the_thread_speaks_its_languages(history, truth):
    """brand_region_metrics adds up to the brand's days, region by region as the export says; the planted
    thread's Spanish and German complaints are counted in Spanish and German."""
    regions = history.warehouse.query("select * from marts.brand_region_metrics")
    evidence = history.warehouse.query("select distinct day, brand, mention_id, video_id from marts.mention_evidence")
    region_of = {str(r["id"]): r.get("region_code") or "unknown" for r in history._all()}
    expected = Counter((r["brand"], r["day"], region_of[r["video_id"]]) for r in evidence.iter_rows(named=True))
    got = Counter()
    for row in regions.iter_rows(named=True):
        got[(row["brand"], row["day"], row["region"])] += row["mentions"]
    assert got == expected
    [thread] = truth["planted_reactions"]
    comments = {c["id"]: c for v in truth["videos"] for c in v["comments"]}
    spoken = Counter(
        comments[c["id"]]["language"] for c in thread["comments"] if thread["brand"] in comments[c["id"]]["brands"]
    )
    day = dt.date.fromisoformat(thread["day"])
    slices = regions.filter((pl.col("brand") == thread["brand"]) & (pl.col("day") == day))
    by_language = dict(slices.group_by("language").agg(pl.col("mentions").sum()).rows())
    for language in ("es", "de"):
        assert by_language.get(language, 0) >= spoken[language] > 0, (language, by_language, spoken)
