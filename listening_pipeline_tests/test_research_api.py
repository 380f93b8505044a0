"""The Research API client and source against a real local HTTP fake of the API.

Time is injected: ``FakeTime`` records every sleep and moves the client's clock forward
instead of sleeping, so backoff and quota waits are asserted, never waited for.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from listening_pipeline.lib.sources.base import MediaUnavailable
from listening_pipeline.lib.sources.research_api import (
    COMMENT_LIST_PATH,
    TOKEN_PATH,
    VIDEO_QUERY_PATH,
    CommentListState,
    NoMediaDownloader,
    QuotaExhausted,
    ResearchApiClient,
    ResearchApiError,
    ResearchApiSource,
    UrlTemplateDownloader,
    VideoQueryState,
)
from listening_pipeline_tests.fake_research_api import HTML_504, FakeResearchApi, make_comments, make_video

DAY = dt.date(2024, 5, 1)
BIG_ID = 7234567890123456789  # above 2^53: a float would turn it into 7234567890123456512
assert BIG_ID > 2**53 and float(BIG_ID) != BIG_ID


class FakeTime:
    """Injected clock + sleep: sleeping advances the clock, nothing really waits."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def api() -> Iterator[FakeResearchApi]:
    with FakeResearchApi() as server:
        yield server


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime(dt.datetime(2024, 5, 3, 9, 0, tzinfo=dt.UTC))


def make_client(api: FakeResearchApi, clock: FakeTime, **options) -> ResearchApiClient:
    options.setdefault("rng", random.Random(7))
    return ResearchApiClient(
        api.base_url, api.client_key, api.client_secret, sleep=clock.sleep, clock=clock.clock, **options
    )


def add_day_of_videos(
    api: FakeResearchApi, count: int, day: dt.date = DAY, hashtag: str = "nike", first: int = BIG_ID
) -> list[int]:
    ids = [first + n for n in range(count)]
    api.add_videos(*(make_video(i, day, [hashtag]) for i in ids))
    return ids


def ids_of(records) -> list[int]:
    return [r["id"] for r in records]


# --------------------------------------------------------------------------- token


def test_token_is_fetched_once_form_encoded_and_reused(api, clock):
    add_day_of_videos(api, 3)
    client = make_client(api, clock)

    client.query_videos("nike", DAY, DAY)
    client.query_videos("nike", DAY, DAY)

    token_requests = api.requests_to(TOKEN_PATH)
    assert len(token_requests) == 1
    assert token_requests[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert token_requests[0].form == {
        "client_key": api.client_key,
        "client_secret": api.client_secret,
        "grant_type": "client_credentials",
    }
    auth = {r.headers["authorization"] for r in api.requests_to(VIDEO_QUERY_PATH)}
    assert len(auth) == 1 and auth.pop().startswith("Bearer clt.")


def test_token_refreshed_before_it_expires(api, clock):
    add_day_of_videos(api, 1)
    client = make_client(api, clock, token_margin_s=300)

    client.query_videos("nike", DAY, DAY)
    clock.now += dt.timedelta(seconds=7200 - 300 - 1)  # still inside the safety margin
    client.query_videos("nike", DAY, DAY)
    assert len(api.requests_to(TOKEN_PATH)) == 1
    clock.now += dt.timedelta(seconds=2)  # now within 300 s of expiry
    client.query_videos("nike", DAY, DAY)

    assert len(api.requests_to(TOKEN_PATH)) == 2
    tokens = [r.headers["authorization"] for r in api.requests_to(VIDEO_QUERY_PATH)]
    assert tokens[0] == tokens[1] != tokens[2]


def test_token_refreshed_once_on_401_access_token_invalid(api, clock):
    ids = add_day_of_videos(api, 2)
    client = make_client(api, clock)
    client.query_videos("nike", DAY, DAY)

    api.expire_tokens()  # revoked early, while the client still thinks it valid
    assert sorted(ids_of(client.query_videos("nike", DAY, DAY))) == ids

    assert len(api.requests_to(TOKEN_PATH)) == 2
    assert [r.status for r in api.requests_to(VIDEO_QUERY_PATH)] == [200, 401, 200]


def test_persistent_401_is_an_error_not_a_loop(api, clock):
    add_day_of_videos(api, 1)
    api.fail_next(VIDEO_QUERY_PATH, 401, "access_token_invalid", "The access token is invalid", times=5)
    client = make_client(api, clock)

    with pytest.raises(ResearchApiError, match="access_token_invalid") as caught:
        client.query_videos("nike", DAY, DAY)

    assert caught.value.status == 401 and caught.value.endpoint == VIDEO_QUERY_PATH
    assert len(api.requests_to(VIDEO_QUERY_PATH)) == 2  # the first try and one after refreshing


def test_wrong_secret_names_the_token_endpoint(api, clock):
    client = ResearchApiClient(api.base_url, api.client_key, "wrong", sleep=clock.sleep, clock=clock.clock)

    with pytest.raises(ResearchApiError, match=r"/v2/oauth/token/.*HTTP 401, invalid_client") as caught:
        client.query_videos("nike", DAY, DAY)
    assert caught.value.log_id and caught.value.log_id in str(caught.value)


# --------------------------------------------------------------------------- video query


def test_video_pages_follow_cursor_and_search_id_until_has_more_is_false(api, clock):
    ids = add_day_of_videos(api, 250)
    client = make_client(api, clock)

    records = client.query_videos("nike", DAY, DAY, fields=("id", "create_time", "hashtag_names"))

    assert sorted(ids_of(records)) == ids
    pages = api.requests_to(VIDEO_QUERY_PATH)
    bodies = [p.json for p in pages]
    assert len(pages) == 3
    assert all(b["max_count"] == 100 for b in bodies)
    assert [b["cursor"] for b in bodies] == [0, 100, 200]
    assert "search_id" not in bodies[0]
    assert bodies[1]["search_id"] == bodies[2]["search_id"] and bodies[1]["search_id"]
    assert all(p.fields == ["id", "create_time", "hashtag_names"] for p in pages)
    assert bodies[0]["query"]["and"] == [
        {"field_name": "hashtag_name", "operation": "EQ", "field_values": ["nike"]},
        {"field_name": "create_date", "operation": "EQ", "field_values": ["20240501"]},
    ]
    assert pages[0].headers["content-type"] == "application/json"


def test_several_hashtags_use_IN(api, clock):
    api.add_videos(make_video(11, DAY, ["nike"]), make_video(12, DAY, ["adidas"]), make_video(13, DAY, ["puma"]))
    client = make_client(api, clock)

    records = client.query_videos(["#nike", "adidas"], DAY, DAY)

    assert sorted(ids_of(records)) == [11, 12]
    condition = api.requests_to(VIDEO_QUERY_PATH)[0].json["query"]["and"][0]
    assert condition == {"field_name": "hashtag_name", "operation": "IN", "field_values": ["nike", "adidas"]}


def test_long_range_is_split_into_windows_of_at_most_30_days(api, clock):
    start, end = dt.date(2024, 1, 1), dt.date(2024, 3, 15)  # 75 days
    days = [start, dt.date(2024, 1, 30), dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 1), end]
    api.add_videos(*(make_video(100 + n, day, ["nike"]) for n, day in enumerate(days)))
    api.add_videos(make_video(1, dt.date(2023, 12, 31), ["nike"]), make_video(2, dt.date(2024, 3, 16), ["nike"]))
    client = make_client(api, clock)

    records = client.query_videos("nike", start, end)

    assert sorted(ids_of(records)) == [100 + n for n in range(len(days))]  # each once, none outside
    windows = [(b["start_date"], b["end_date"]) for b in (r.json for r in api.requests_to(VIDEO_QUERY_PATH))]
    assert windows == [("20240101", "20240131"), ("20240131", "20240301"), ("20240301", "20240316")]
    for first, after in windows:
        span = dt.datetime.strptime(after, "%Y%m%d") - dt.datetime.strptime(first, "%Y%m%d")
        assert span.days <= 30


@pytest.mark.parametrize("inclusive", [True, False], ids=["api-end-inclusive", "api-end-exclusive"])
def test_one_day_partition_gets_exactly_that_day(clock, inclusive):
    with FakeResearchApi(end_date_inclusive=inclusive) as api:
        api.add_videos(
            make_video(1, DAY - dt.timedelta(days=1), ["nike"], hour=23),
            make_video(2, DAY, ["nike"], hour=0),
            make_video(3, DAY, ["nike"], hour=23),
            make_video(4, DAY + dt.timedelta(days=1), ["nike"], hour=0),
        )
        client = make_client(api, clock)

        assert sorted(ids_of(client.query_videos("nike", DAY, DAY))) == [2, 3]
        # The server itself returned only that day: no quota spent on the neighbour.
        assert len(api.requests_to(VIDEO_QUERY_PATH)) == 1


def test_expired_search_id_restarts_the_window_without_duplicates(api, clock):
    ids = add_day_of_videos(api, 250)
    api.fail_next(VIDEO_QUERY_PATH, 400, "invalid_params", "Search Id {search_id} is invalid or expired", skip=1)
    client = make_client(api, clock)

    records = client.query_videos("nike", DAY, DAY)

    assert sorted(ids_of(records)) == ids
    assert len(records) == len(set(ids_of(records))) == 250
    bodies = [r.json for r in api.requests_to(VIDEO_QUERY_PATH)]
    assert [(b["cursor"], "search_id" in b) for b in bodies] == [
        (0, False),
        (100, True),
        (0, False),
        (100, True),
        (200, True),
    ]
    assert clock.sleeps == []  # a restart is not a backoff


def test_search_id_rejected_again_and_again_gives_up(api, clock):
    add_day_of_videos(api, 150)
    api.fail_next(VIDEO_QUERY_PATH, 400, "invalid_params", "Search Id {search_id} is invalid or expired", skip=1)
    for _ in range(3):
        api.fail_next(VIDEO_QUERY_PATH, 400, "invalid_params", "Search Id {search_id} is invalid or expired", skip=1)
    client = make_client(api, clock, max_search_restarts=3)

    with pytest.raises(ResearchApiError, match=r"search id rejected 4 times for window 2024-05-01\.\.2024-05-01"):
        client.query_videos("nike", DAY, DAY)


# --------------------------------------------------------------------------- comments


def test_comments_are_paged_and_capped_at_the_top_1000(api, clock):
    api.add_comments(BIG_ID, make_comments(BIG_ID, 1250))
    api.add_comments(42, make_comments(42, 150, first_id=10_000))
    client = make_client(api, clock)

    capped = client.list_comments(str(BIG_ID))
    short = client.list_comments(42)

    assert len(capped) == 1000 and len({c["id"] for c in capped}) == 1000
    assert len(short) == 150
    bodies = [r.json for r in api.requests_to(COMMENT_LIST_PATH)]
    assert len(bodies) == 10 + 2
    assert all(b["max_count"] == 100 and b["cursor"] + b["max_count"] <= 1000 for b in bodies)
    assert [b["cursor"] for b in bodies[:10]] == list(range(0, 1000, 100))
    assert bodies[0]["video_id"] == BIG_ID  # sent as an exact JSON integer
    assert all(r.status == 200 for r in api.requests_to(COMMENT_LIST_PATH))


def test_fake_refuses_comments_beyond_the_top_1000(api, clock):
    """The fake's own fidelity: the limit the client must respect is really enforced."""
    client = make_client(api, clock)
    token = client._access_token()
    answer = requests.post(
        f"{api.base_url}{COMMENT_LIST_PATH}?fields=id",
        json={"video_id": 1, "cursor": 950, "max_count": 100},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "Invalid count or cursor"


# --------------------------------------------------------------------------- resilience


def test_rate_limit_backs_off_exponentially_with_jitter(api, clock):
    add_day_of_videos(api, 2)
    api.fail_next(VIDEO_QUERY_PATH, 429, "rate_limit_exceeded", "rate limit exceeded", times=3)
    client = make_client(api, clock, backoff_base_s=2.0)

    assert len(client.query_videos("nike", DAY, DAY)) == 2

    assert len(clock.sleeps) == 3
    for attempt, slept in enumerate(clock.sleeps):
        ceiling = 2.0 * 2**attempt
        assert ceiling / 2 <= slept <= ceiling
    assert len(set(clock.sleeps)) == 3  # jittered, not a fixed schedule


def test_retry_after_header_is_honoured(api, clock):
    add_day_of_videos(api, 1)
    api.fail_next(VIDEO_QUERY_PATH, 429, "rate_limit_exceeded", "slow down", headers={"Retry-After": "7"})
    client = make_client(api, clock)

    client.query_videos("nike", DAY, DAY)

    assert clock.sleeps == [7.0]


def test_daily_quota_waits_until_midnight_utc(api, clock):
    ids = add_day_of_videos(api, 2)
    clock.now = dt.datetime(2024, 5, 3, 22, 30, 15, tzinfo=dt.UTC)
    api.fail_next(VIDEO_QUERY_PATH, 429, "daily_quota_limit_exceeded", "API daily quota limit exceeded")
    client = make_client(api, clock, wait_for_quota_reset=True, quota_reset_grace_s=30)

    assert sorted(ids_of(client.query_videos("nike", DAY, DAY))) == ids

    until_midnight = (
        dt.datetime(2024, 5, 4, tzinfo=dt.UTC) - dt.datetime(2024, 5, 3, 22, 30, 15, tzinfo=dt.UTC)
    ).total_seconds()
    assert clock.sleeps == [until_midnight + 30]


def test_daily_quota_stops_with_resumable_state_and_resume_gets_the_rest(clock):
    start, end = dt.date(2024, 4, 1), dt.date(2024, 5, 10)  # two windows: 30 + 10 days
    with FakeResearchApi(daily_request_limit=2) as api:
        early = add_day_of_videos(api, 150, day=dt.date(2024, 4, 2), first=BIG_ID)
        late = add_day_of_videos(api, 120, day=dt.date(2024, 5, 9), first=BIG_ID + 1000)
        client = make_client(api, clock)

        with pytest.raises(QuotaExhausted, match=r"/v2/research/video/query/.*daily_quota_limit_exceeded") as caught:
            client.query_videos("nike", start, end)

        state = caught.value.state
        # The first window (150 videos) took both allowed requests; the quota hit the second
        # window's first page, so that window is resumed from its start.
        assert isinstance(state, VideoQueryState)
        assert (state.window_start, state.cursor, state.search_id) == (dt.date(2024, 5, 1), 0, None)
        assert sorted(ids_of(caught.value.collected)) == early
        assert clock.sleeps == []  # stopped without waiting

        # The state survives being stored as JSON between runs.
        restored = VideoQueryState.from_dict(json.loads(json.dumps(state.to_dict())))
        assert restored == state

        api.reset_quota()
        records = client.query_videos("nike", start, end, resume=restored)

    assert sorted(ids_of(records)) == sorted(early + late)
    assert len(records) == len(set(ids_of(records)))


def test_quota_hit_mid_window_resumes_from_the_saved_cursor(clock):
    with FakeResearchApi(daily_request_limit=2) as api:
        ids = add_day_of_videos(api, 350)
        client = make_client(api, clock)

        with pytest.raises(QuotaExhausted) as caught:
            client.query_videos("nike", DAY, DAY)
        state = caught.value.state
        assert (state.cursor, len(state.collected)) == (200, 200) and state.search_id

        api.reset_quota()
        records = client.query_videos("nike", DAY, DAY, resume=state)

        resumed = [r.json for r in api.requests_to(VIDEO_QUERY_PATH) if r.status == 200][2:]
        assert [(b["cursor"], b.get("search_id")) for b in resumed] == [(200, state.search_id), (300, state.search_id)]
    assert sorted(ids_of(records)) == ids and len(records) == 350


def test_comment_quota_stop_and_resume(api, clock):
    api.add_comments(BIG_ID, make_comments(BIG_ID, 450))
    api.fail_next(COMMENT_LIST_PATH, 429, "daily_quota_limit_exceeded", "API daily quota limit exceeded", skip=2)
    client = make_client(api, clock)

    with pytest.raises(QuotaExhausted) as caught:
        client.list_comments(BIG_ID)
    state = caught.value.state
    assert isinstance(state, CommentListState) and state.cursor == 200 and len(state.collected) == 200

    comments = client.list_comments(BIG_ID, resume=CommentListState.from_dict(json.loads(json.dumps(state.to_dict()))))
    assert len(comments) == len({c["id"] for c in comments}) == 450


def test_server_errors_are_retried_including_a_504_with_an_html_body(api, clock):
    ids = add_day_of_videos(api, 2)
    api.fail_next(VIDEO_QUERY_PATH, 500, "internal_error", "Something went wrong")
    api.fail_next(VIDEO_QUERY_PATH, 504, body=HTML_504)
    client = make_client(api, clock)

    assert sorted(ids_of(client.query_videos("nike", DAY, DAY))) == ids
    assert [r.status for r in api.requests_to(VIDEO_QUERY_PATH)] == [500, 504, 200]
    assert len(clock.sleeps) == 2


def test_gives_up_after_max_retries_with_a_clear_message(api, clock):
    api.fail_next(VIDEO_QUERY_PATH, 504, body=HTML_504, times=10)
    client = make_client(api, clock, max_retries=2)

    with pytest.raises(ResearchApiError) as caught:
        client.query_videos("nike", DAY, DAY)

    error = caught.value
    message = str(error)
    assert "/v2/research/video/query/" in message and "gave up after 3 attempts" in message
    assert "HTTP 504" in message and "504 Gateway Time-out" in message
    assert error.log_id and f"log_id {error.log_id}" in message  # from the X-Tt-Logid header
    assert (error.status, error.endpoint) == (504, VIDEO_QUERY_PATH)
    assert len(api.requests_to(VIDEO_QUERY_PATH)) == 3 and len(clock.sleeps) == 2


def test_unreachable_server_is_retried_then_named(clock):
    with FakeResearchApi() as api:
        base = api.base_url
    client = ResearchApiClient(base, "k", "s", sleep=clock.sleep, clock=clock.clock, max_retries=1, timeout_s=2)

    with pytest.raises(
        ResearchApiError, match=r"/v2/oauth/token/: token request gave up after 2 attempts: no HTTP answer"
    ):
        client.query_videos("nike", DAY, DAY)


# --------------------------------------------------------------------------- records and the source


def test_64_bit_ids_stay_exact_end_to_end(api, clock):
    api.add_videos(make_video(BIG_ID, DAY, ["nike"], comment_count=1))
    api.add_comments(BIG_ID, make_comments(BIG_ID, 1, first_id=BIG_ID + 1))
    source = ResearchApiSource(make_client(api, clock))

    videos = source.videos("nike", DAY)
    comments = source.comments(videos.rows, "nike", DAY)

    assert videos.rows["video_id"].to_list() == ["7234567890123456789"]
    assert comments.rows["comment_id"].to_list() == ["7234567890123456790"]
    assert (
        comments.rows["video_id"].to_list() == comments.rows["parent_comment_id"].to_list() == ["7234567890123456789"]
    )
    assert b"7234567890123456789" in api.requests_to(COMMENT_LIST_PATH)[0].body


def test_nul_bytes_are_stripped_from_text(api, clock):
    api.add_videos(
        make_video(
            BIG_ID, DAY, ["nike"], video_description="new\x00 shoes", voice_to_text="just\x00 do it", username="r\x00un"
        )
    )
    api.add_comments(BIG_ID, [dict(make_comments(BIG_ID, 1)[0], text="lo\x00ve")])
    source = ResearchApiSource(make_client(api, clock))

    row = source.videos("nike", DAY).rows.row(0, named=True)
    comment = source.comments(source.videos("nike", DAY).rows, "nike", DAY).rows.row(0, named=True)

    assert (row["description"], row["voice_to_text"], row["creator"]) == ("new shoes", "just do it", "run")
    assert comment["text"] == "love"


def test_a_malformed_record_becomes_a_problem_and_the_rest_are_kept(api, clock):
    api.add_videos(
        make_video(BIG_ID, DAY, ["nike"]),
        make_video(BIG_ID + 1, DAY, ["nike"], view_count="lots"),
        make_video(BIG_ID + 2, DAY, ["nike"]),
    )
    api.add_comments(BIG_ID, [*make_comments(BIG_ID, 2), {"id": "not-an-id", "video_id": BIG_ID, "text": "x"}])
    source = ResearchApiSource(make_client(api, clock))

    videos = source.videos("nike", DAY)
    comments = source.comments(videos.rows.filter(videos.rows["video_id"] == str(BIG_ID)), "nike", DAY)

    assert videos.rows["video_id"].to_list() == [str(BIG_ID), str(BIG_ID + 2)]
    [problem] = videos.problems
    assert str(BIG_ID + 1) in problem.item and "view_count" in problem.reason and "lots" in problem.raw
    assert comments.rows.height == 2
    [comment_problem] = comments.problems
    assert str(BIG_ID) in comment_problem.item and "not-an-id" in comment_problem.reason


def test_every_comment_page_is_read_up_to_the_cap_and_a_capped_video_is_named(api, clock):
    api.add_videos(make_video(1, DAY, ["nike"], comment_count=340), make_video(2, DAY, ["nike"], comment_count=120))
    api.add_comments(1, make_comments(1, 340, first_id=1_000))
    api.add_comments(2, make_comments(2, 120, first_id=5_000))

    every = ResearchApiSource(make_client(api, clock)).comments(
        ResearchApiSource(make_client(api, clock)).videos("nike", DAY).rows, "nike", DAY
    )
    pages = [(r.json["video_id"], r.json["cursor"], r.json["max_count"]) for r in api.requests_to(COMMENT_LIST_PATH)]
    assert every.rows.height == 460 and every.rows["comment_id"].n_unique() == 460 and every.capped_videos == []
    assert pages == [(1, 0, 100), (1, 100, 100), (1, 200, 100), (1, 300, 100), (2, 0, 100), (2, 100, 100)]

    capped_source = ResearchApiSource(make_client(api, clock), max_comments_per_video=250)
    capped = capped_source.comments(capped_source.videos("nike", DAY).rows, "nike", DAY)
    last = [(r.json["cursor"], r.json["max_count"]) for r in api.requests_to(COMMENT_LIST_PATH)][len(pages) :]
    assert capped.rows.filter(capped.rows["video_id"] == "1").height == 250 and capped.capped_videos == ["1"]
    assert capped.rows.filter(capped.rows["video_id"] == "2").height == 120
    assert last == [(0, 100), (100, 100), (200, 50), (0, 100), (100, 100)]  # never past the cap
    with pytest.raises(ValueError, match="1..1000"):
        ResearchApiSource(make_client(api, clock), max_comments_per_video=1001)


def test_comments_refused_for_one_video_become_a_problem(api, clock):
    api.add_videos(
        make_video(1, DAY, ["nike"]), make_video(2, DAY, ["nike"]), make_video(3, DAY, ["nike"], comment_count=0)
    )
    api.add_comments(2, make_comments(2, 3))
    # Rows are ordered by video id, so video 1 is asked about first.
    api.fail_next(COMMENT_LIST_PATH, 400, "invalid_params", "video 1 is private or removed")
    source = ResearchApiSource(make_client(api, clock))

    videos = source.videos("nike", DAY)
    comments = source.comments(videos.rows, "nike", DAY)

    assert comments.rows.height == 3
    [problem] = comments.problems
    assert problem.item == "research_api comments of video 1" and "private or removed" in problem.reason
    assert len(api.requests_to(COMMENT_LIST_PATH)) == 2  # none for the video with no comments


def test_media_unavailable_keeps_the_metadata_row(api, clock):
    api.add_videos(make_video(BIG_ID, DAY, ["nike"]))
    source = ResearchApiSource(make_client(api, clock), media=NoMediaDownloader())

    rows = source.videos("nike", DAY).rows
    with pytest.raises(MediaUnavailable, match="no media downloader configured"):
        source.fetch_media(rows.row(0, named=True), Path("/nonexistent/never-written.mp4"))

    assert rows.height == 1 and rows["media_uri"].to_list() == [None]
    assert source.name == "research_api"


def test_url_template_downloader_reads_file_urls(tmp_path):
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    (vendor / f"{BIG_ID}.mp4").write_bytes(b"fake mp4 bytes")
    downloader = UrlTemplateDownloader(f"file://{vendor}/{{video_id}}.mp4")

    dest = downloader.fetch({"video_id": str(BIG_ID)}, tmp_path / "store" / "a.mp4")
    assert dest.read_bytes() == b"fake mp4 bytes"

    with pytest.raises(MediaUnavailable, match=r"media file://.*/42\.mp4 not found"):
        downloader.fetch({"video_id": "42"}, tmp_path / "store" / "b.mp4")
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == ["a.mp4"]  # no partial file left


def test_url_template_downloader_over_http(api, clock, tmp_path):
    api.add_media(f"{BIG_ID}.mp4", b"\x00\x00\x00 ftyp mp4")
    source = ResearchApiSource(
        make_client(api, clock), media=UrlTemplateDownloader(api.base_url + "/media/{video_id}.mp4")
    )

    dest = source.fetch_media({"video_id": str(BIG_ID)}, tmp_path / "x.mp4")
    assert dest.read_bytes() == b"\x00\x00\x00 ftyp mp4"

    with pytest.raises(MediaUnavailable, match=r"GET http://127\.0\.0\.1:\d+/media/5\.mp4 answered HTTP 404"):
        source.fetch_media({"video_id": "5"}, tmp_path / "y.mp4")


def test_media_errors_never_carry_tokens_or_credentials(api, clock, tmp_path):
    """A signed or credentialed media URL may end up in videos.media_error and the logs: only its
    scheme, host, path and query keys are kept."""
    template = api.base_url.replace("http://", "http://vendor:hunter2@") + "/media/{video_id}.mp4?token=s3cr3t&sig=x"
    source = ResearchApiSource(make_client(api, clock), media=UrlTemplateDownloader(template))

    with pytest.raises(MediaUnavailable) as failure:
        source.fetch_media({"video_id": "5"}, tmp_path / "y.mp4")

    message = str(failure.value)
    assert "s3cr3t" not in message and "hunter2" not in message and "vendor" not in message
    assert "/media/5.mp4?token=REDACTED&sig=REDACTED" in message
    # requests quotes only the path and query when a connection fails: scrubbed too.
    refused = MediaUnavailable("GET failed: Max retries exceeded with url: /media/5.mp4?token=s3cr3t (Caused by x)")
    assert "s3cr3t" not in str(refused) and "/media/5.mp4?token=REDACTED (Caused by x)" in str(refused)


def test_url_template_with_unknown_placeholder_is_refused():
    with pytest.raises(ValueError, match="only use"):
        UrlTemplateDownloader("https://vendor.example/{region}/{video_id}.mp4")
