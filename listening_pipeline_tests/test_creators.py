"""Creator profiles: checked like videos (a hostile profile is quarantined with its field), read from a
folder's creators.jsonl or the Research API's user info, and fetched at most once per creator per day."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from listening_pipeline.lib.sources.creators import collect_creators, creator_row
from listening_pipeline.lib.sources.folder import FolderSource
from listening_pipeline.lib.sources.records import RecordError
from listening_pipeline.lib.sources.research_api import ResearchApiClient, ResearchApiSource
from listening_pipeline.warehouse.tables import CREATORS
from listening_pipeline_tests.fake_research_api import USER_INFO_PATH, FakeResearchApi

DAY = dt.date(2026, 10, 20)
NOW = dt.datetime(2026, 10, 22, 6, 0, tzinfo=dt.UTC)
PROFILE = {
    "display_name": "Sunny Sips",
    "bio_description": "iced coffee\x00 every day",
    "avatar_url": "https://example.invalid/a.jpeg",
    "is_verified": True,
    "follower_count": 120_000,
    "following_count": 80,
    "likes_count": 2_000_000,
    "video_count": 310,
}


def test_a_profile_becomes_a_row_and_a_hostile_one_names_its_fields():
    row = creator_row({"username": "sunny.sips", **PROFILE}, hashtag="coffeetime", day=DAY, fetched_at=NOW)
    assert row["creator"] == "sunny.sips" and row["follower_count"] == 120_000 and row["is_verified"] is True
    assert row["bio_description"] == "iced coffee every day", "NUL bytes are removed"
    hostile = {"username": "x", **PROFILE, "follower_count": 2**70, "is_verified": "yes", "display_name": ["a"]}
    with pytest.raises(RecordError) as caught:
        creator_row(hostile, hashtag="coffeetime", day=DAY, fetched_at=NOW)
    reason = str(caught.value)
    assert "follower_count" in reason and "64-bit" in reason
    assert "is_verified" in reason and "display_name" in reason
    with pytest.raises(RecordError, match="username is missing"):
        creator_row(PROFILE, hashtag="coffeetime", day=DAY, fetched_at=NOW)
    with pytest.raises(RecordError, match="follower_count -1: is below"):
        creator_row({"username": "x", **PROFILE, "follower_count": -1}, hashtag="h", day=DAY, fetched_at=NOW)


def test_the_folder_reads_creators_jsonl_and_quarantines_bad_lines_with_file_and_line(tmp_path):
    lines = [
        json.dumps({"username": "sunny.sips", **PROFILE}),
        '{"username": "bean.there", "display_name": "cut off',
        json.dumps({"username": "trail_tales", **PROFILE, "video_count": -5}),
        json.dumps({"username": "someone_else", **PROFILE, "video_count": -5}),
        "[1, 2]",
    ]
    (tmp_path / "videos.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "creators.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    collected = FolderSource(tmp_path).creators(["bean.there", "sunny.sips", "trail_tales"], "coffeetime", DAY)
    assert collected.rows["creator"].to_list() == ["sunny.sips"]
    assert collected.rows.schema == CREATORS.schema
    items = sorted(p.item for p in collected.problems)
    assert items == ["creators.jsonl:2", "creators.jsonl:3"], "only lines that could be this partition's creators"
    assert "video_count -5" in next(p.reason for p in collected.problems if p.item == "creators.jsonl:3")
    (tmp_path / "creators.jsonl").unlink()
    assert FolderSource(tmp_path).creators(["sunny.sips"], "coffeetime", DAY).rows.height == 0, "the file is optional"


def test_user_info_is_fetched_once_per_creator_per_day_and_a_private_account_is_quarantined():
    with FakeResearchApi() as api:
        api.add_user("sunny.sips", PROFILE)
        api.add_user("trail_tales", {**PROFILE, "follower_count": 2**70})
        api.add_user("gone.away", PROFILE, private=True)
        client = ResearchApiClient(api.base_url, api.client_key, api.client_secret, sleep=lambda s: None)
        source = ResearchApiSource(client)
        wanted = ["gone.away", "sunny.sips", "trail_tales"]
        first = collect_creators(source, wanted, CREATORS.empty(), "coffeetime", DAY)
        assert first.rows["creator"].to_list() == ["sunny.sips"] and first.fetched == 3 and first.reused == 0
        asked = api.requests_to(USER_INFO_PATH)
        assert sorted(r.json["username"] for r in asked) == wanted
        assert set(asked[0].fields) == set(PROFILE), "every documented user field is asked for"
        reasons = {p.item.split()[2]: p.reason for p in first.problems}
        assert set(reasons) == {"'gone.away'", "'trail_tales'"}
        assert "private" in reasons["'gone.away'"] and "follower_count" in reasons["'trail_tales'"]
        # A re-run of the day, and another hashtag the same day: the stored profile is copied, not fetched.
        again = collect_creators(source, ["sunny.sips"], first.rows, "coffeetime", DAY)
        other = collect_creators(source, ["sunny.sips"], first.rows, "icedcoffee", DAY)
        assert len(api.requests_to(USER_INFO_PATH)) == 3
        assert again.fetched == other.fetched == 0 and other.reused == 1
        assert other.rows["hashtag"].to_list() == ["icedcoffee"]
        assert other.rows.drop("hashtag").equals(first.rows.drop("hashtag"))
        # The next day is a new observation.
        later = collect_creators(source, ["sunny.sips"], first.rows, "coffeetime", DAY + dt.timedelta(days=1))
        assert later.fetched == 1 and len(api.requests_to(USER_INFO_PATH)) == 4
        assert later.rows.filter(pl.col("creator") == "sunny.sips").height == 1
