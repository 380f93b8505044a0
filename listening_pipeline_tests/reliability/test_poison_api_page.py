"""Poison API page: Research API pages carrying hostile records (and one record that is not even a
JSON object) are paged through; every good record lands and each bad one is quarantined with its id
and the field that failed, and the collect run succeeds.

The local fake Research API (real HTTP) serves the pages; ``collect_job`` runs for one hashtag x day
on the session's Dagster instance and warehouse with the source pointed at the fake. Records the fake
could not even write or search (nested 10,000 deep, a number for ``hashtag_names``, a 5,000-digit
number) are served verbatim with ``FakeResearchApi.raw``.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from listening_pipeline.lib.sources.research_api import COMMENT_LIST_PATH, MAX_COUNT, VIDEO_QUERY_PATH
from listening_pipeline.partitions import hashtag_partitions, partition_key
from listening_pipeline_tests.fake_research_api import FakeResearchApi, make_comments, make_video
from listening_pipeline_tests.test_creators import PROFILE

HASHTAG = "poisonapipage"
DAY = dt.date(2025, 3, 5)
FIRST_ID = 7_310_000_000_000_000_000
GOOD = 2 * MAX_COUNT  # with the hostile ones: three pages
DEEP = "[" * 10_000 + "]" * 10_000
PROFILED, HOSTILE_PROFILE = "creator_0000", "creator_0010"  # make_video's handles of the first two good videos


def _video(n: int, **fields) -> dict:
    return make_video(FIRST_ID + n, DAY, [HASHTAG, "fyp"], **{"comment_count": 0, **fields})


def _raw(record: dict, **raw_fields: str) -> str:
    """``record`` as JSON text with ``raw_fields`` spliced in verbatim (deep nesting, huge numbers)."""
    text = json.dumps({k: v for k, v in record.items() if k not in raw_fields})
    for name, raw in raw_fields.items():
        text = text[:-1] + f', "{name}": {raw}}}'
    return text


def _serve_poisoned_pages(api: FakeResearchApi) -> tuple[dict[str, str], list[str]]:
    """Good videos (ids FIRST_ID + 10 n) with hostile ones between them on every page (the fake pages in
    descending id order); returns ({id as the item quotes it: field the reason names}, good ids)."""
    good = [_video(10 * n, comment_count=4 if n == 0 else 0) for n in range(GOOD)]
    spot = iter(10 * k + 5 for k in (5, 25, 45, 65, 90, 110, 140, 170, 195))
    n = next(spot)
    hostile = [(n, "hashtag_names", api.raw(_raw(_video(n), hashtag_names="5"), **_video(n)))]
    n = next(spot)
    hostile.append((n, "view_count", _video(n, view_count=2**70)))
    n = next(spot)
    hostile.append((n, "view_count", api.raw(_raw(_video(n), view_count="1" * 5000), **_video(n))))
    n = next(spot)
    hostile.append((n, "video_duration", _video(n, video_duration=float("nan"))))
    n = next(spot)
    hostile.append((n, "like_count", _video(n, like_count=float("inf"))))
    n = next(spot)
    hostile.append((n, "video_description", api.raw(_raw(_video(n), video_description=DEEP), **_video(n))))
    n = next(spot)
    hostile.append((n, "username", _video(n, username={"a": "dict where text belongs"})))
    n = next(spot)
    hostile.append((n, "comment_count", _video(n, comment_count=-1)))
    n = next(spot)
    hostile.append((n, "create_time", api.raw(_raw(_video(n), create_time=str(10**12)), **_video(n))))
    bad = {str(FIRST_ID + n): field for n, field, _ in hostile}
    odd_ids = {"'²'": make_video("²", DAY, [HASHTAG]), "'١٢٣'": make_video("١٢٣", DAY, [HASHTAG])}
    bad.update(dict.fromkeys(odd_ids, "id"))
    not_an_object = api.raw(json.dumps(["not", "a", "record", HASHTAG]), **_video(10 * GOOD + 7))
    # Repairable: lands with the NUL stripped and the lone surrogate replaced.
    repaired = _video(10 * GOOD + 1, video_description="half an emoji \ud83d, a NUL\x00")
    api.add_videos(*good, *(r for _, _, r in hostile), *odd_ids.values(), not_an_object, repaired)
    return bad, [str(r["id"]) for r in (*good, repaired)]


@pytest.fixture(scope="module")
def poisoned(instance, warehouse):
    from listening_pipeline.definitions import defs
    from listening_pipeline.defs.resources import SourceResource

    with FakeResearchApi() as api:
        bad, good = _serve_poisoned_pages(api)
        commented = FIRST_ID  # the only video with comments
        api.add_comments(
            commented,
            [
                *make_comments(commented, 2),
                dict(make_comments(commented, 1, first_id=7_410_000_000_000_000_000)[0], like_count=2**70),
                api.raw('"a comment that is only text"'),
                dict(make_comments(commented, 1, first_id=7_420_000_000_000_000_000)[0], id="²"),
            ],
        )
        # The creators' profiles come from the same API: one served, one hostile, the rest unknown to it.
        api.add_user(PROFILED, PROFILE)
        api.add_user(HOSTILE_PROFILE, {**PROFILE, "follower_count": 2**70})
        instance.add_dynamic_partitions(hashtag_partitions.name, [HASHTAG])
        source = SourceResource(
            kind="research_api", api_base_url=api.base_url, client_key=api.client_key, client_secret=api.client_secret
        )
        result = (
            defs()
            .resolve_job_def("collect_job")
            .execute_in_process(
                instance=instance,
                partition_key=partition_key(HASHTAG, DAY),
                resources={"source": source},
                raise_on_error=False,
            )
        )
        pages = len(api.requests_to(VIDEO_QUERY_PATH))
        comment_pages = len(api.requests_to(COMMENT_LIST_PATH))
    return result, bad, good, pages, comment_pages


def _quarantine(warehouse, stage: str) -> dict[str, str]:
    rows = warehouse.query(
        "select item, reason from raw.quarantine where hashtag = ? and day = ? and stage = ?", [HASHTAG, DAY, stage]
    )
    return {r["item"]: r["reason"] for r in rows.iter_rows(named=True)}


def test_poison_api_page_run_succeeds_after_paging_through(poisoned):
    result, _, _, pages, comment_pages = poisoned
    assert result.success
    assert pages == 3 and comment_pages == 1


def test_poison_api_page_every_good_record_lands(poisoned, warehouse):
    _, _, good, _, _ = poisoned
    videos = warehouse.query(
        "select video_id, description from raw.videos where hashtag = ? and day = ? order by video_id", [HASHTAG, DAY]
    )
    assert videos["video_id"].to_list() == sorted(good)
    repaired = videos.filter(videos["video_id"] == str(FIRST_ID + 10 * GOOD + 1))["description"].item()
    assert repaired == "half an emoji \ufffd, a NUL"
    comments = warehouse.query("select comment_id from raw.comments where hashtag = ? and day = ?", [HASHTAG, DAY])
    assert sorted(comments["comment_id"].to_list()) == [str(7_100_000_000_000_000_000 + n) for n in range(2)]


def test_poison_api_page_each_bad_record_is_quarantined_with_its_id_and_field(poisoned, warehouse):
    _, bad, _, _, _ = poisoned
    found = _quarantine(warehouse, "videos")
    assert len(found) == len(bad) + 1  # + the record that is not an object
    for quoted_id, field in bad.items():
        [(item, reason)] = [(i, r) for i, r in found.items() if f"id {quoted_id} " in i]
        assert HASHTAG in item and field in reason, (item, reason)
    [not_an_object] = [r for r in found.values() if "not a JSON object" in r]
    assert "record is a list" in not_an_object


def test_poison_api_page_bad_comments_are_quarantined(poisoned, warehouse):
    found = _quarantine(warehouse, "comments")
    assert len(found) == 3, found
    reasons = "\n".join(found.values())
    assert "like_count 1180591620717411303424: does not fit a 64-bit integer" in reasons
    assert "record is text, not a JSON object" in reasons
    assert "id '²': is not a numeric id" in reasons
    assert all(str(FIRST_ID) in item for item in found)


def test_poison_api_page_creator_profiles_land_or_are_quarantined_by_name(poisoned, warehouse):
    """The run's creators step asks the API for every handle of the day's good videos: a served profile lands,
    a hostile one and the accounts the API does not know are quarantined, each naming its handle."""
    _, _, good, _, _ = poisoned
    profiles = warehouse.query(
        "select creator, follower_count, bio_description from raw.creators where hashtag = ? and day = ?",
        [HASHTAG, DAY],
    )
    assert profiles.rows() == [(PROFILED, PROFILE["follower_count"], "iced coffee every day")]
    found = _quarantine(warehouse, "creators")
    handles = {f"creator_{video_id[-4:]}" for video_id in good}
    assert len(found) == len(handles) - 1, "every other creator of the day is named once"
    [hostile] = [reason for item, reason in found.items() if f"'{HOSTILE_PROFILE}'" in item]
    assert "follower_count" in hostile
    assert all(HASHTAG in item for item in found)
