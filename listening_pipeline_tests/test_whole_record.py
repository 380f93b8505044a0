"""The whole TikTok record is kept: sound, effects, playlist, favourites, STEM flag, mentioned users,
and the hashtag, sticker, effect, label and tag objects, from the Research API and from a folder export.

The story: a brand team asks which sound its campaign videos used and which effects went with them;
the collector must not have dropped those fields at the door. A field that does not fit quarantines
its record with the field named, as every other field does, and the rest of the day lands.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import polars as pl
import pytest

from listening_pipeline.lib.sources.folder import FolderSource
from listening_pipeline.lib.sources.records import RecordError, video_row
from listening_pipeline.lib.sources.research_api import VIDEO_FIELDS, ResearchApiClient, ResearchApiSource
from listening_pipeline.warehouse.tables import VIDEOS
from listening_pipeline_tests.fake_research_api import FakeResearchApi, make_video

DAY = dt.date(2024, 5, 1)
BIG_ID = 7234567890123456789
MUSIC_ID = 7300123456789012345  # above 2^53, like every platform id
WHOLE = {
    "music_id": MUSIC_ID,
    "effect_ids": [7400000000000000001, "7400000000000000002"],
    "playlist_id": 7500000000000000009,
    "favorites_count": 31,
    "is_stem_verified": True,
    "video_mention_list": ["mokkamia_official", "barista.jo"],
    "hashtag_info_list": [{"hashtag_id": 123, "hashtag_name": "coffeetime", "hashtag_description": "Coffee talk"}],
    "sticker_info_list": [{"sticker_text": ["Mokka Mia leaks?!", "poll: yes / no"]}],
    "effect_info_list": [{"effect_id": "7400000000000000001", "effect_name": "Green Screen"}],
    "video_label": {"content": "Learn more about elections"},
    "video_tag": {"type": 1, "value": "stem"},
}
STORED = {
    "music_id": str(MUSIC_ID),
    "effect_ids": ["7400000000000000001", "7400000000000000002"],
    "playlist_id": "7500000000000000009",
    "favorites_count": 31,
    "is_stem_verified": True,
    "mentioned_users": ["mokkamia_official", "barista.jo"],
    "hashtag_info_json": '[{"hashtag_description":"Coffee talk","hashtag_id":123,"hashtag_name":"coffeetime"}]',
    "sticker_info_json": '[{"sticker_text":["Mokka Mia leaks?!","poll: yes / no"]}]',
    "effect_info_json": '[{"effect_id":"7400000000000000001","effect_name":"Green Screen"}]',
    "video_label_json": '{"content":"Learn more about elections"}',
    "video_tag_json": '{"type":1,"value":"stem"}',
    # What a person sees in those objects, taken out as text: the stickers' words, each effect's name.
    "sticker_texts": ["Mokka Mia leaks?!", "poll: yes / no"],
    "effect_names": ["Green Screen", None],
}


def test_every_documented_video_field_is_asked_for_and_has_a_column():
    documented = {
        "id", "create_time", "username", "region_code", "video_description", "voice_to_text", "hashtag_names",
        "view_count", "like_count", "comment_count", "share_count", "video_duration", "music_id", "effect_ids",
        "playlist_id", "favorites_count", "is_stem_verified", "video_mention_list", "hashtag_info_list",
        "sticker_info_list", "effect_info_list", "video_label", "video_tag",
    }  # fmt: skip
    assert set(VIDEO_FIELDS) == documented
    row = video_row(make_video(BIG_ID, DAY, ["coffeetime"], **WHOLE), hashtag="coffeetime", day=DAY, source="folder")
    assert set(row) == set(VIDEOS.schema)
    assert {k: row[k] for k in STORED} == STORED


def test_the_research_api_source_stores_the_whole_record(clock_time):
    with FakeResearchApi() as api:
        api.add_videos(make_video(BIG_ID, DAY, ["coffeetime"], **WHOLE), make_video(BIG_ID + 1, DAY, ["coffeetime"]))
        client = ResearchApiClient(
            api.base_url, api.client_key, api.client_secret, sleep=lambda s: None, clock=clock_time,
            rng=random.Random(7),
        )  # fmt: skip
        rows = ResearchApiSource(client).videos("coffeetime", DAY).rows
        asked = api.requests_to("/v2/research/video/query/")[0].query["fields"][-1].split(",")
    assert set(asked) == set(VIDEO_FIELDS)
    whole, bare = rows.sort("video_id").iter_rows(named=True)
    assert {k: whole[k] for k in STORED} == STORED
    # A record without the optional fields (an older export, a field TikTok left out) is kept, empty there.
    assert all(bare[k] in (None, []) for k in STORED)
    assert rows.schema == VIDEOS.schema


def test_the_folder_export_of_the_sample_carries_every_field(sample_corpus):
    source = FolderSource(sample_corpus)
    lines = [json.loads(line) for line in (sample_corpus / "videos.jsonl").read_text(encoding="utf-8").splitlines()
             if line.startswith("{") and line.endswith("}")]  # fmt: skip
    day = dt.datetime.fromtimestamp(lines[0]["create_time"], dt.UTC).date()
    tag = lines[0]["hashtag_names"][0]
    rows = source.videos(tag, day).rows
    assert rows.height
    by_id = {str(r["id"]): r for r in lines}
    for row in rows.iter_rows(named=True):
        record = by_id[row["video_id"]]
        assert row["music_id"] == str(record["music_id"])
        assert row["effect_ids"] == [str(e) for e in record["effect_ids"]]
        assert json.loads(row["hashtag_info_json"]) == record["hashtag_info_list"]
    # Across the whole sample, every new column holds a value somewhere.
    every = [video_row(r, hashtag=tag, day=day, source="folder") for r in lines if "id" in r]
    for column in STORED:
        assert any(v[column] not in (None, [], False, "[]") for v in every), column


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("effect_ids", [7400000000000000001, 1.5], "item 1 1.5 is a float"),
        ("effect_ids", "7400000000000000001", "expected a list of ids, got text"),
        ("is_stem_verified", "true", "expected true or false, got text"),
        ("is_stem_verified", 1, "expected true or false, got an integer"),
        ("sticker_info_list", "Mokka Mia", "expected a JSON object or array, got text"),
        ("effect_info_list", [{"effect_name": float("nan")}], "holds a value JSON cannot carry"),
        ("video_label", {"content": "x" * 30_000}, "more than 20,000"),
        ("video_mention_list", ["ok", 7], "item 1 is an integer, expected text"),
        ("music_id", -3, "is not a numeric id"),
        ("favorites_count", -1, "below the allowed minimum"),
    ],
)
def test_a_field_that_does_not_fit_names_itself(field, value, why):
    with pytest.raises(RecordError) as raised:
        video_row(make_video(BIG_ID, DAY, ["coffeetime"], **{field: value}), hashtag="coffeetime", day=DAY,
                  source="folder")  # fmt: skip
    assert field in str(raised.value) and why in str(raised.value)


def test_a_hostile_record_in_an_export_is_quarantined_and_the_day_lands(tmp_path):
    good = make_video(BIG_ID, DAY, ["coffeetime"], **WHOLE)
    bad = make_video(
        BIG_ID + 1,
        DAY,
        ["coffeetime"],
        sticker_info_list=[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
    )
    (tmp_path / "videos.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    collected = FolderSource(tmp_path).videos("coffeetime", DAY)
    assert collected.rows["video_id"].to_list() == [str(BIG_ID)]
    [problem] = collected.problems
    assert problem.item == "videos.jsonl:2" and str(BIG_ID + 1) in problem.raw
    assert "sticker_info_list" in problem.reason and "deeper" in problem.reason
    assert pl.DataFrame(collected.rows).row(0, named=True)["sticker_info_json"] == STORED["sticker_info_json"]


@pytest.fixture
def clock_time():
    now = dt.datetime(2024, 5, 3, 9, 0, tzinfo=dt.UTC)
    return lambda: now
