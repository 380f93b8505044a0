"""What a Research API request looks like: endpoints, fields, limits, date windows, bodies and pages."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from listening_pipeline.lib.sources.research_api.errors import ResearchApiError, VideoQueryState
from listening_pipeline.queries import CREATOR_PREFIX, KEYWORD_PREFIX, parse_query

DEFAULT_BASE_URL = "https://open.tiktokapis.com"
TOKEN_PATH = "/v2/oauth/token/"
VIDEO_QUERY_PATH = "/v2/research/video/query/"
COMMENT_LIST_PATH = "/v2/research/video/comment/list/"
USER_INFO_PATH = "/v2/research/user/info/"

# Every field the Research API documents for a video (the VIDEOS table keeps them all); comments' fields.
VIDEO_FIELDS: tuple[str, ...] = (
    "id",
    "create_time",
    "username",
    "region_code",
    "video_description",
    "voice_to_text",
    "hashtag_names",
    "view_count",
    "like_count",
    "comment_count",
    "share_count",
    "video_duration",
    "music_id",
    "effect_ids",
    "playlist_id",
    "favorites_count",
    "is_stem_verified",
    "video_mention_list",
    "hashtag_info_list",
    "sticker_info_list",
    "effect_info_list",
    "video_label",
    "video_tag",
)
COMMENT_FIELDS: tuple[str, ...] = (
    "id",
    "video_id",
    "text",
    "like_count",
    "reply_count",
    "parent_comment_id",
    "create_time",
)

# Every field the Research API documents for a user's profile (the CREATORS table keeps them all).
USER_FIELDS: tuple[str, ...] = (
    "display_name",
    "bio_description",
    "avatar_url",
    "is_verified",
    "follower_count",
    "following_count",
    "likes_count",
    "video_count",
)

MAX_COUNT = 100  # the most records the API returns per page
MAX_WINDOW_DAYS = 30  # the most days a video query may span
COMMENT_LIMIT = 1000  # only the top 1,000 comments of a video are reachable

_FIELD_NAME = re.compile(r"^[a-z_]+$")


def hashtag_values(hashtag: str | Sequence[str]) -> tuple[str, ...]:
    raw = [hashtag] if isinstance(hashtag, str) else list(hashtag)
    values = tuple(dict.fromkeys(str(h).strip().lstrip("#") for h in raw))
    if not values or not all(values):
        raise ValueError(f"video query needs at least one non-empty hashtag, got {hashtag!r}")
    return values


def query_condition(queries: tuple[str, ...]) -> dict[str, Any]:
    """The search condition for tracked queries of one kind: ``hashtag_name``, ``keyword`` or ``username``.

    Hashtags are sent as given (``hashtag_values`` has dropped their '#'); a ``keyword:``,
    ``creator:`` or ``@`` query goes through the partition-key gate first, so only a valid keyword or
    username is ever sent.
    """
    by_field: dict[str, list[str]] = {}
    for query in queries:
        field, value = "hashtag_name", query
        if query.startswith(("@", KEYWORD_PREFIX, CREATOR_PREFIX)):
            parsed = parse_query(query)
            field, value = ("keyword" if parsed.kind == "keyword" else "username"), parsed.value
        by_field.setdefault(field, []).append(value)
    if len(by_field) != 1:
        raise ValueError(
            f"one video query searches one kind of query (hashtags, keywords or creators), not {queries!r}"
        )
    field, values = next(iter(by_field.items()))
    return {"field_name": field, "operation": "EQ" if len(values) == 1 else "IN", "field_values": values}


def field_list(fields: Sequence[str]) -> tuple[str, ...]:
    """Fields go unescaped into the URL, as the API expects: only plain field names are allowed."""
    values = tuple(fields)
    bad = [f for f in values if not _FIELD_NAME.match(f)]
    if not values or bad:
        raise ValueError(f"invalid field list {values!r}: fields are lower-case names like 'id'")
    return values


def date_windows(start: dt.date, end: dt.date, days: int = MAX_WINDOW_DAYS) -> Iterator[tuple[dt.date, dt.date]]:
    """Consecutive inclusive (first, last) day pairs covering start..end, each at most ``days`` long."""
    first = start
    while first <= end:
        last = min(end, first + dt.timedelta(days=days - 1))
        yield first, last
        first = last + dt.timedelta(days=1)


def video_query_body(
    hashtags: tuple[str, ...], first: dt.date, last: dt.date, cursor: int, search_id: str | None
) -> dict[str, Any]:
    """The JSON body for one page of one window (first..last inclusive, see the module docstring)."""
    conditions: list[dict[str, Any]] = [query_condition(hashtags)]
    if first == last:
        conditions.append({"field_name": "create_date", "operation": "EQ", "field_values": [_yyyymmdd(first)]})
    body: dict[str, Any] = {
        "query": {"and": conditions},
        "start_date": _yyyymmdd(first),
        "end_date": _yyyymmdd(last + dt.timedelta(days=1)),
        "max_count": MAX_COUNT,
        "cursor": cursor,
    }
    if search_id:
        body["search_id"] = search_id
    return body


def _yyyymmdd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def page_records(data: Mapping[str, Any], key: str, path: str) -> list[Any]:
    """The list of records of a page; anything inside is kept, even malformed (the source quarantines it)."""
    records = data.get(key)
    if records is None:
        return []
    if not isinstance(records, list):
        raise ResearchApiError(f"TikTok Research API {path}: 'data.{key}' is not a list", endpoint=path)
    return records


def next_cursor(data: Mapping[str, Any], cursor: int, path: str) -> int:
    """The next page's cursor; one that does not move forward would loop for ever."""
    nxt = data.get("cursor")
    if isinstance(nxt, bool) or not isinstance(nxt, int) or nxt <= cursor:
        raise ResearchApiError(
            f"TikTok Research API {path}: has_more is true but cursor {nxt!r} does not advance past {cursor}",
            endpoint=path,
        )
    return nxt


def record_key(record: Any) -> str:
    """De-duplication key: the id as exact text, or the whole record when it has no usable id."""
    if isinstance(record, Mapping) and record.get("id") is not None and not isinstance(record.get("id"), float):
        return f"id:{record['id']}"
    return "raw:" + json.dumps(record, sort_keys=True, default=str)


def created_within(record: Any, start: dt.date, end: dt.date) -> bool:
    """False only for a record provably created outside start..end; unreadable times are kept for quarantine."""
    if not isinstance(record, Mapping):
        return True
    created = record.get("create_time")
    if isinstance(created, bool) or not isinstance(created, (int, float)):
        return True
    try:
        day = dt.datetime.fromtimestamp(created, tz=dt.UTC).date()
    except (OverflowError, OSError, ValueError):
        return True
    return start <= day <= end


def text_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def check_resume(
    state: VideoQueryState, hashtags: tuple[str, ...], start: dt.date, end: dt.date, fields: tuple[str, ...]
) -> None:
    asked = (hashtags, start, end, fields)
    held = (tuple(state.hashtags), state.start, state.end, tuple(state.fields))
    if asked != held:
        raise ValueError(f"resume state is for video query {held}, not {asked}")
