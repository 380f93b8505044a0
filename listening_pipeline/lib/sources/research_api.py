"""The TikTok Research API source: a client that survives the API's real behaviour, and a VideoSource.

What the client handles, and why (see RESEARCH_API.md for the evidence):

* **Tokens** are client-credentials tokens that expire (``expires_in``, two hours). One is
  cached and refreshed shortly before it expires, and once more if a call still answers
  401 ``access_token_invalid`` (tokens get revoked early).
* **Video queries** accept at most 30 days between ``start_date`` and ``end_date``, so long
  ranges are split into windows. Pages are fetched with ``cursor`` + ``search_id`` until
  ``has_more`` is false. Search ids are sometimes rejected moments after being issued
  ("Search Id N is invalid or expired"): the window is then queried again from the start
  and videos are de-duplicated by id.
* **end_date inclusivity** is ambiguous (TikTok's wrapper treats it as inclusive,
  tiktok-library as exclusive). We send ``end_date`` = the last wanted day + 1, which
  covers the wanted days under either reading, and drop videos created outside the wanted
  days ourselves. A one-day query also carries ``create_date EQ <day>``, so the API returns
  exactly that day whichever reading it uses and no quota is spent on the neighbour day.
* **Comments** are reachable only among the top 1,000 (``cursor + max_count <= 1000``).
* **Failures**: 429 ``rate_limit_exceeded`` and 5xx (including a 504 with an HTML body)
  are retried with jittered exponential backoff (``Retry-After`` honoured); the daily
  quota (429 ``daily_quota_limit_exceeded``) either waits until 00:00 UTC or raises
  :class:`QuotaExhausted` with a state that a later call resumes from.

Ids are kept exact: Python's ``json`` reads integers as ``int`` (never floats) and rows carry
them as text via :func:`parse_id`. NUL bytes are stripped when records become rows.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import polars as pl
import requests

from listening_pipeline.lib.http_retry import retry_after_s
from listening_pipeline.lib.sources.base import (
    Collected,
    MediaUnavailable,
    Problem,
    RecordError,
    comment_row,
    comments_frame,
    in_partition,
    parse_id,
    problem_for,
    video_row,
    videos_frame,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://open.tiktokapis.com"
TOKEN_PATH = "/v2/oauth/token/"
VIDEO_QUERY_PATH = "/v2/research/video/query/"
COMMENT_LIST_PATH = "/v2/research/video/comment/list/"

# What the VIDEOS and COMMENTS tables use; asking for less costs nothing and keeps payloads small.
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

MAX_COUNT = 100  # the most records the API returns per page
MAX_WINDOW_DAYS = 30  # the most days a video query may span
COMMENT_LIMIT = 1000  # only the top 1,000 comments of a video are reachable

_SEARCH_ID_EXPIRED = re.compile(r"search[ _]?id.*(invalid|expired)", re.IGNORECASE)
_FIELD_NAME = re.compile(r"^[a-z_]+$")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------- errors


class ResearchApiError(RuntimeError):
    """A Research API call that failed for good; the message names endpoint, status, code and log_id."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        status: int | None = None,
        code: str | None = None,
        log_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.log_id = log_id


class SearchIdExpired(ResearchApiError):
    """The API no longer knows the search id of a paged video query; the window must restart."""


class QuotaExhausted(ResearchApiError):
    """The daily quota is spent. ``state`` (when set) lets a later call resume without losing work."""

    state: VideoQueryState | CommentListState | None = None

    @property
    def collected(self) -> list[dict[str, Any]]:
        """Records gathered before the quota ran out (also inside ``state``)."""
        return [] if self.state is None else list(self.state.collected)


# --------------------------------------------------------------------------- resume states


@dataclass(frozen=True)
class VideoQueryState:
    """Where an interrupted :meth:`ResearchApiClient.query_videos` stands.

    ``window_start`` is the first day of the window being paged, ``cursor``/``search_id`` the
    next page of it (``search_id`` None: the window starts over), ``collected`` every record
    gathered so far. Plain data, so it can be stored as JSON between runs (:meth:`to_dict`).
    """

    hashtags: tuple[str, ...]
    start: dt.date
    end: dt.date
    fields: tuple[str, ...]
    window_start: dt.date
    cursor: int
    search_id: str | None
    collected: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("start", "end", "window_start"):
            data[key] = data[key].isoformat()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VideoQueryState:
        return cls(
            hashtags=tuple(data["hashtags"]),
            start=dt.date.fromisoformat(data["start"]),
            end=dt.date.fromisoformat(data["end"]),
            fields=tuple(data["fields"]),
            window_start=dt.date.fromisoformat(data["window_start"]),
            cursor=int(data["cursor"]),
            search_id=data.get("search_id"),
            collected=tuple(data.get("collected") or ()),
        )


@dataclass(frozen=True)
class CommentListState:
    """Where an interrupted :meth:`ResearchApiClient.list_comments` stands: next cursor and what was read."""

    video_id: str
    fields: tuple[str, ...]
    cursor: int
    collected: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CommentListState:
        return cls(
            video_id=str(data["video_id"]),
            fields=tuple(data["fields"]),
            cursor=int(data["cursor"]),
            collected=tuple(data.get("collected") or ()),
        )


# --------------------------------------------------------------------------- client


@dataclass(frozen=True)
class _Answer:
    """One HTTP answer, decoded as far as it can be."""

    status: int
    body: Any  # parsed JSON, or None when the body is not JSON
    text: str  # the start of the raw body, for error messages
    log_id: str | None
    code: str | None
    message: str
    retry_after: float | None


@dataclass
class _Token:
    value: str
    refresh_at: dt.datetime


class ResearchApiClient:
    """Client for the TikTok Research API (client-credentials auth, video query, comment list).

    ``sleep`` and ``clock`` are injectable so tests (and callers with their own scheduler)
    control time; ``clock`` must return an aware UTC datetime.
    """

    def __init__(
        self,
        base_url: str,
        client_key: str,
        client_secret: str,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], dt.datetime] = utc_now,
        rng: random.Random | None = None,
        max_retries: int = 5,
        backoff_base_s: float = 2.0,
        backoff_max_s: float = 120.0,
        retry_after_max_s: float = 900.0,
        timeout_s: float = 60.0,
        token_margin_s: float = 300.0,
        wait_for_quota_reset: bool = False,
        quota_reset_grace_s: float = 30.0,
        max_quota_waits: int = 2,
        max_search_restarts: int = 3,
    ) -> None:
        if not client_key or not client_secret:
            raise ValueError("the Research API needs a client key and a client secret")
        self.base_url = base_url.rstrip("/")
        self._client_key = client_key
        self._client_secret = client_secret
        self.session = session or requests.Session()
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.retry_after_max_s = retry_after_max_s
        self.timeout_s = timeout_s
        self.token_margin_s = token_margin_s
        self.wait_for_quota_reset = wait_for_quota_reset
        self.quota_reset_grace_s = quota_reset_grace_s
        self.max_quota_waits = max_quota_waits
        self.max_search_restarts = max_search_restarts
        self._token: _Token | None = None

    def __repr__(self) -> str:  # never show the secret
        return f"ResearchApiClient({self.base_url!r}, client_key={self._client_key!r})"

    # ----------------------------------------------------------------- public calls

    def query_videos(
        self,
        hashtag: str | Sequence[str],
        start: dt.date,
        end: dt.date,
        fields: Sequence[str] = VIDEO_FIELDS,
        *,
        resume: VideoQueryState | None = None,
    ) -> list[dict[str, Any]]:
        """Videos carrying ``hashtag`` (any of several) created from ``start`` to ``end`` inclusive (UTC days).

        Returns raw API records, one per video id, in the order the API gave them. With
        ``resume`` (from :class:`QuotaExhausted`), continues where that call stopped and
        returns everything, the earlier records included.
        """
        hashtags = _hashtag_values(hashtag)
        fields = _field_list(fields)
        if end < start:
            raise ValueError(f"video query for {hashtags}: end {end} is before start {start}")
        windows = list(_windows(start, end))
        seen: dict[str, dict[str, Any]] = {}
        first_cursor, first_search_id = 0, None
        if resume is not None:
            _check_resume(resume, hashtags, start, end, fields)
            for record in resume.collected:
                seen[_record_key(record)] = record
            windows = [w for w in windows if w[0] >= resume.window_start]
            first_cursor, first_search_id = resume.cursor, resume.search_id
        for index, (window_start, window_end) in enumerate(windows):
            cursor, search_id = (first_cursor, first_search_id) if index == 0 else (0, None)
            self._collect_window(hashtags, start, end, fields, window_start, window_end, cursor, search_id, seen)
        return [record for record in seen.values() if _created_within(record, start, end)]

    def list_comments(
        self,
        video_id: str | int,
        fields: Sequence[str] = COMMENT_FIELDS,
        *,
        resume: CommentListState | None = None,
    ) -> list[dict[str, Any]]:
        """The reachable comments of a video (at most the top 1,000), as raw API records."""
        video = parse_id(video_id, "video_id")
        fields = _field_list(fields)
        seen: dict[str, dict[str, Any]] = {}
        cursor = 0
        if resume is not None:
            if resume.video_id != video or resume.fields != fields:
                raise ValueError(f"resume state is for comments of video {resume.video_id}, not {video}")
            seen.update((_record_key(r), r) for r in resume.collected)
            cursor = resume.cursor
        while cursor < COMMENT_LIMIT:
            count = min(MAX_COUNT, COMMENT_LIMIT - cursor)
            body = {"video_id": int(video), "max_count": count, "cursor": cursor}
            try:
                data = self._call(COMMENT_LIST_PATH, body, fields)
            except QuotaExhausted as exc:
                exc.state = CommentListState(video, fields, cursor, tuple(seen.values()))
                raise
            for record in _records(data, "comments", COMMENT_LIST_PATH):
                seen.setdefault(_record_key(record), record)
            if not data.get("has_more"):
                break
            cursor = _next_cursor(data, cursor, COMMENT_LIST_PATH)
        return list(seen.values())

    # ----------------------------------------------------------------- video windows

    def _collect_window(
        self,
        hashtags: tuple[str, ...],
        start: dt.date,
        end: dt.date,
        fields: tuple[str, ...],
        window_start: dt.date,
        window_end: dt.date,
        cursor: int,
        search_id: str | None,
        seen: dict[str, dict[str, Any]],
    ) -> None:
        """Page through one window into ``seen``; restart it when the API forgets the search id."""
        restarts = 0
        while True:
            body = _video_query_body(hashtags, window_start, window_end, cursor, search_id)
            try:
                data = self._call(VIDEO_QUERY_PATH, body, fields)
            except SearchIdExpired as exc:
                restarts += 1
                if restarts > self.max_search_restarts:
                    raise ResearchApiError(
                        f"TikTok Research API {VIDEO_QUERY_PATH}: search id rejected {restarts} times for window "
                        f"{window_start}..{window_end} of {list(hashtags)}; giving up ({exc})",
                        endpoint=VIDEO_QUERY_PATH,
                        status=exc.status,
                        code=exc.code,
                        log_id=exc.log_id,
                    ) from exc
                log.warning("%s; restarting window %s..%s from the first page", exc, window_start, window_end)
                cursor, search_id = 0, None
                continue
            except QuotaExhausted as exc:
                exc.state = VideoQueryState(
                    hashtags, start, end, fields, window_start, cursor, search_id, tuple(seen.values())
                )
                raise
            for record in _records(data, "videos", VIDEO_QUERY_PATH):
                seen[_record_key(record)] = record  # a later copy of the same video is fresher
            if not data.get("has_more"):
                return
            cursor = _next_cursor(data, cursor, VIDEO_QUERY_PATH)
            search_id = _text_or_none(data.get("search_id")) or search_id

    # ----------------------------------------------------------------- HTTP with retries

    def _call(self, path: str, body: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
        """POST a JSON body to an API endpoint and return ``data``, retrying what is worth retrying."""
        url = f"{self.base_url}{path}?fields={','.join(fields)}"
        retries = quota_waits = 0
        refreshed = False
        while True:
            answer = self._post(url, json=body, headers=self._auth_headers())
            if answer.status == 200 and answer.code in ("ok", None) and isinstance(answer.body, dict):
                data = answer.body.get("data")
                if isinstance(data, dict):
                    return data
                raise ResearchApiError(_describe(path, answer, "answer has no 'data' object"), **_where(path, answer))
            if answer.code == "access_token_invalid" and not refreshed:
                log.info("%s: access token rejected (log_id %s); fetching a new one", path, answer.log_id)
                self._token = None
                refreshed = True
                continue
            if answer.code == "daily_quota_limit_exceeded":
                quota_waits += 1
                if not self.wait_for_quota_reset or quota_waits > self.max_quota_waits:
                    raise QuotaExhausted(_describe(path, answer, "daily quota exhausted"), **_where(path, answer))
                self._wait_for_quota_reset(path)
                continue
            if answer.status == 400 and _SEARCH_ID_EXPIRED.search(answer.message):
                raise SearchIdExpired(_describe(path, answer, "search id rejected"), **_where(path, answer))
            if not _is_transient(answer):
                raise ResearchApiError(_describe(path, answer, "request failed"), **_where(path, answer))
            if retries >= self.max_retries:
                raise ResearchApiError(
                    _describe(path, answer, f"gave up after {retries + 1} attempts"), **_where(path, answer)
                )
            self._back_off(path, answer, retries)
            retries += 1

    def _post(self, url: str, **kwargs: Any) -> _Answer:
        """One POST; a network failure becomes a retryable answer with status 0."""
        try:
            response = self.session.post(url, timeout=self.timeout_s, **kwargs)
        except requests.RequestException as exc:
            return _Answer(0, None, f"{type(exc).__name__}: {exc}", None, None, str(exc), None)
        return _decode(response)

    def _back_off(self, path: str, answer: _Answer, retries: int) -> None:
        if answer.retry_after is not None:
            delay = min(answer.retry_after, self.retry_after_max_s)
        else:
            ceiling = min(self.backoff_max_s, self.backoff_base_s * 2**retries)
            delay = ceiling * (0.5 + 0.5 * self.rng.random())  # jitter spreads out parallel collectors
        log.warning(
            "%s: HTTP %s %s (log_id %s); retrying in %.1f s", path, answer.status, answer.code, answer.log_id, delay
        )
        self.sleep(delay)

    def _wait_for_quota_reset(self, path: str) -> None:
        """Sleep until the next 00:00 UTC (plus a little grace for clock skew), when quotas reset."""
        now = self.clock().astimezone(dt.UTC)
        midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        delay = (midnight - now).total_seconds() + self.quota_reset_grace_s
        log.warning("%s: daily quota exhausted; waiting %.0f s for the 00:00 UTC reset", path, delay)
        self.sleep(delay)

    # ----------------------------------------------------------------- token

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._access_token()}"}

    def _access_token(self) -> str:
        if self._token is None or self.clock() >= self._token.refresh_at:
            self._token = self._fetch_token()
        return self._token.value

    def _fetch_token(self) -> _Token:
        url = f"{self.base_url}{TOKEN_PATH}"
        form = {
            "client_key": self._client_key,
            "client_secret": self._client_secret,
            "grant_type": "client_credentials",
        }
        headers = {"Cache-Control": "no-cache"}
        retries = 0
        while True:
            answer = self._post(url, data=form, headers=headers)
            body = answer.body if isinstance(answer.body, dict) else {}
            token, lifetime = body.get("access_token"), body.get("expires_in")
            if answer.status == 200 and isinstance(token, str) and token:
                return self._token_from(token, lifetime)
            failure = _token_failure(answer, body)
            if not _is_transient(failure) or retries >= self.max_retries:
                what = "token request failed" if retries == 0 else f"token request gave up after {retries + 1} attempts"
                raise ResearchApiError(_describe(TOKEN_PATH, failure, what), **_where(TOKEN_PATH, failure))
            self._back_off(TOKEN_PATH, failure, retries)
            retries += 1

    def _token_from(self, value: str, lifetime: Any) -> _Token:
        seconds = float(lifetime) if isinstance(lifetime, (int, float)) and not isinstance(lifetime, bool) else 7200.0
        margin = min(self.token_margin_s, seconds / 2)  # a short-lived token is still used for a while
        return _Token(value, self.clock() + dt.timedelta(seconds=seconds - margin))


# --------------------------------------------------------------------------- helpers


def _decode(response: requests.Response) -> _Answer:
    """Read status, error envelope, log id and Retry-After from any answer, JSON or not."""
    raw = response.content or b""
    try:
        body = json.loads(raw) if raw else None  # stdlib json: integers stay exact ints
    except (ValueError, UnicodeDecodeError):
        body = None
    text = " ".join(raw[:300].decode("utf-8", "replace").split())
    error = body.get("error") if isinstance(body, dict) else None
    code = message = log_id = None
    if isinstance(error, dict):
        code, message, log_id = error.get("code"), error.get("message"), error.get("log_id")
    elif isinstance(error, str):  # the OAuth endpoint's shape
        code, message, log_id = error, body.get("error_description"), body.get("log_id")
    log_id = log_id or response.headers.get("X-Tt-Logid")
    return _Answer(
        status=response.status_code,
        body=body,
        text=text,
        log_id=None if log_id is None else str(log_id),
        code=None if code is None else str(code),
        message="" if message is None else str(message),
        retry_after=retry_after_s(response.headers.get("Retry-After")),
    )


def _token_failure(answer: _Answer, body: Mapping[str, Any]) -> _Answer:
    """A 200 without a token is still a failure; keep its status so it is not retried forever."""
    if answer.status == 200:
        return _Answer(
            200,
            body,
            answer.text,
            answer.log_id,
            answer.code or "no_access_token",
            answer.message or "the answer carries no access_token",
            None,
        )
    return answer


def _is_transient(answer: _Answer) -> bool:
    """Worth retrying: network failures, rate limits, 5xx, internal errors and unreadable 200s."""
    if answer.status == 0 or answer.status == 429 or answer.status >= 500:
        return True
    if answer.code in ("rate_limit_exceeded", "internal_error"):
        return True  # whatever HTTP status carried them
    return answer.status == 200 and not isinstance(answer.body, dict)


def _describe(path: str, answer: _Answer, what: str) -> str:
    """'TikTok Research API <endpoint>: <what>: HTTP <status>, <code>: <message> (log_id <id>)'."""
    if answer.status == 0:
        return f"TikTok Research API {path}: {what}: no HTTP answer, {answer.text}"
    if answer.code:
        detail = f"{answer.code}: {answer.message}" if answer.message else answer.code
    elif answer.text:
        detail = f"non-JSON body {answer.text[:160]!r}"
    else:
        detail = "empty body"
    return f"TikTok Research API {path}: {what}: HTTP {answer.status}, {detail} (log_id {answer.log_id or 'none'})"


def _where(path: str, answer: _Answer) -> dict[str, Any]:
    return {"endpoint": path, "status": answer.status or None, "code": answer.code, "log_id": answer.log_id}


def _hashtag_values(hashtag: str | Sequence[str]) -> tuple[str, ...]:
    raw = [hashtag] if isinstance(hashtag, str) else list(hashtag)
    values = tuple(dict.fromkeys(str(h).strip().lstrip("#") for h in raw))
    if not values or not all(values):
        raise ValueError(f"video query needs at least one non-empty hashtag, got {hashtag!r}")
    return values


def _field_list(fields: Sequence[str]) -> tuple[str, ...]:
    """Fields go unescaped into the URL, as the API expects: only plain field names are allowed."""
    values = tuple(fields)
    bad = [f for f in values if not _FIELD_NAME.match(f)]
    if not values or bad:
        raise ValueError(f"invalid field list {values!r}: fields are lower-case names like 'id'")
    return values


def _windows(start: dt.date, end: dt.date, days: int = MAX_WINDOW_DAYS) -> Iterator[tuple[dt.date, dt.date]]:
    """Consecutive inclusive (first, last) day pairs covering start..end, each at most ``days`` long."""
    first = start
    while first <= end:
        last = min(end, first + dt.timedelta(days=days - 1))
        yield first, last
        first = last + dt.timedelta(days=1)


def _video_query_body(
    hashtags: tuple[str, ...], first: dt.date, last: dt.date, cursor: int, search_id: str | None
) -> dict[str, Any]:
    """The JSON body for one page of one window (first..last inclusive, see the module docstring)."""
    conditions: list[dict[str, Any]] = [
        {
            "field_name": "hashtag_name",
            "operation": "EQ" if len(hashtags) == 1 else "IN",
            "field_values": list(hashtags),
        }
    ]
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


def _records(data: Mapping[str, Any], key: str, path: str) -> list[Any]:
    """The list of records of a page; anything inside is kept, even malformed (the source quarantines it)."""
    records = data.get(key)
    if records is None:
        return []
    if not isinstance(records, list):
        raise ResearchApiError(f"TikTok Research API {path}: 'data.{key}' is not a list", endpoint=path)
    return records


def _next_cursor(data: Mapping[str, Any], cursor: int, path: str) -> int:
    """The next page's cursor; one that does not move forward would loop for ever."""
    nxt = data.get("cursor")
    if isinstance(nxt, bool) or not isinstance(nxt, int) or nxt <= cursor:
        raise ResearchApiError(
            f"TikTok Research API {path}: has_more is true but cursor {nxt!r} does not advance past {cursor}",
            endpoint=path,
        )
    return nxt


def _record_key(record: Any) -> str:
    """De-duplication key: the id as exact text, or the whole record when it has no usable id."""
    if isinstance(record, Mapping) and record.get("id") is not None and not isinstance(record.get("id"), float):
        return f"id:{record['id']}"
    return "raw:" + json.dumps(record, sort_keys=True, default=str)


def _created_within(record: Any, start: dt.date, end: dt.date) -> bool:
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


def _text_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _check_resume(
    state: VideoQueryState, hashtags: tuple[str, ...], start: dt.date, end: dt.date, fields: tuple[str, ...]
) -> None:
    asked = (hashtags, start, end, fields)
    held = (tuple(state.hashtags), state.start, state.end, tuple(state.fields))
    if asked != held:
        raise ValueError(f"resume state is for video query {held}, not {asked}")


# --------------------------------------------------------------------------- media


class MediaDownloader(Protocol):
    """Where media comes from: the Research API serves metadata and voice_to_text, never media."""

    def fetch(self, video: Mapping[str, Any], dest: Path) -> Path:
        """Write the video's media to ``dest`` and return it, or raise :class:`MediaUnavailable`."""


class NoMediaDownloader:
    """The default: no media source, so every video keeps its metadata and gets a media_error."""

    def fetch(self, video: Mapping[str, Any], dest: Path) -> Path:
        raise MediaUnavailable(
            "no media downloader configured for the research_api source "
            "(the Research API returns metadata only; set a URL template to fetch media)"
        )


class UrlTemplateDownloader:
    """Fetches media from a URL built per video, e.g. ``https://vendor.example/{video_id}.mp4``.

    ``{video_id}`` and ``{username}`` are filled in. http(s) URLs go through requests; any
    other scheme fsspec knows (``file://``, ``s3://``...) through fsspec.
    """

    def __init__(self, template: str, *, session: requests.Session | None = None, timeout_s: float = 120.0) -> None:
        try:
            template.format(video_id="1", username="u")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"media URL template {template!r} may only use {{video_id}} and {{username}}: {exc!r}"
            ) from exc
        self.template = template
        self.session = session or requests.Session()
        self.timeout_s = timeout_s

    def url_for(self, video: Mapping[str, Any]) -> str:
        try:
            video_id = parse_id(video.get("video_id", video.get("id")), "video_id")
        except RecordError as exc:
            raise MediaUnavailable(f"cannot build a media URL: {exc}") from exc
        username = str(video.get("creator") or video.get("username") or "")
        return self.template.format(video_id=video_id, username=username)

    def fetch(self, video: Mapping[str, Any], dest: Path) -> Path:
        url = self.url_for(video)
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(dest.name + ".part")  # a killed download never looks complete
        try:
            if url.startswith(("http://", "https://")):
                self._download_http(url, partial)
            else:
                _copy_with_fsspec(url, partial)
            if partial.stat().st_size == 0:
                raise MediaUnavailable(f"media at {url} is empty")
            partial.replace(dest)
        finally:
            partial.unlink(missing_ok=True)
        return dest

    def _download_http(self, url: str, target: Path) -> None:
        try:
            with self.session.get(url, stream=True, timeout=self.timeout_s) as response:
                if response.status_code != 200:
                    raise MediaUnavailable(f"GET {url} answered HTTP {response.status_code}")
                with target.open("wb") as out:
                    for chunk in response.iter_content(chunk_size=1 << 20):
                        out.write(chunk)
        except requests.RequestException as exc:
            raise MediaUnavailable(f"GET {url} failed: {type(exc).__name__}: {exc}") from exc


def _copy_with_fsspec(url: str, target: Path) -> None:
    import fsspec  # imported here: only this downloader needs it

    try:
        with fsspec.open(url, "rb") as src, target.open("wb") as out:
            shutil.copyfileobj(src, out, length=1 << 20)
    except FileNotFoundError as exc:
        raise MediaUnavailable(f"media {url} not found") from exc
    except (OSError, ValueError, ImportError) as exc:
        raise MediaUnavailable(f"reading media {url} failed: {type(exc).__name__}: {exc}") from exc


# --------------------------------------------------------------------------- source


class ResearchApiSource:
    """VideoSource over the Research API: metadata and comments from the API, media via a downloader.

    Malformed records become :class:`Problem` rows; a video whose comments the API refuses
    (removed, private) becomes a Problem too. Quota exhaustion and give-ups after retries are
    raised, so the partition is retried rather than silently left incomplete.
    """

    name = "research_api"

    def __init__(
        self,
        client: ResearchApiClient,
        *,
        media: MediaDownloader | None = None,
        video_fields: Sequence[str] = VIDEO_FIELDS,
        comment_fields: Sequence[str] = COMMENT_FIELDS,
    ) -> None:
        self.client = client
        self.media = media or NoMediaDownloader()
        self.video_fields = tuple(video_fields)
        self.comment_fields = tuple(comment_fields)

    def videos(self, hashtag: str, day: dt.date) -> Collected:
        records = self.client.query_videos(hashtag, day, day, self.video_fields)
        rows: list[dict[str, Any]] = []
        problems: list[Problem] = []
        for number, record in enumerate(records, start=1):
            try:
                row = video_row(record, hashtag=hashtag, day=day, source=self.name)
            except RecordError as exc:
                problems.append(problem_for(_item("video", record, hashtag, day, number), exc, record))
                continue
            if in_partition(row, hashtag, day):
                rows.append(row)
        return Collected(rows=videos_frame(rows), problems=problems)

    def comments(self, videos: pl.DataFrame, hashtag: str, day: dt.date) -> Collected:
        rows: list[dict[str, Any]] = []
        problems: list[Problem] = []
        for video in videos.select("video_id", "comment_count").iter_rows(named=True):
            video_id = video["video_id"]
            if video["comment_count"] == 0:
                continue  # nothing to read: save the quota
            try:
                records = self.client.list_comments(video_id, self.comment_fields)
            except ResearchApiError as exc:
                if exc.status is None or exc.status in (401, 429) or exc.status >= 500:
                    raise  # not about this video: the whole partition must be retried
                problems.append(problem_for(f"research_api comments of video {video_id}", exc))
                continue
            for number, record in enumerate(records, start=1):
                if isinstance(record, Mapping) and record.get("video_id") is None:
                    record = {**record, "video_id": video_id}  # we know which video we asked about
                try:
                    rows.append(comment_row(record, hashtag=hashtag, day=day))
                except RecordError as exc:
                    item = f"research_api comment {number} of video {video_id}"
                    problems.append(problem_for(item, exc, record))
        return Collected(rows=comments_frame(rows), problems=problems)

    def fetch_media(self, video: Mapping[str, Any], dest: Path) -> Path:
        return self.media.fetch(video, dest)


def _item(kind: str, record: Any, hashtag: str, day: dt.date, number: int) -> str:
    """A quarantine item name a person can find again: the id when there is one, else the position."""
    raw_id = record.get("id") if isinstance(record, Mapping) else None
    where = f"id {raw_id}" if raw_id is not None else f"record {number}"
    return f"research_api {kind} {where} (#{hashtag} {day.isoformat()})"
