"""The Research API client: token, retries, video windows and comment pages (see the package docstring)."""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from listening_pipeline.lib.sources.base import parse_id
from listening_pipeline.lib.sources.research_api.errors import (
    CommentListState,
    QuotaExhausted,
    ResearchApiError,
    SearchIdExpired,
    VideoQueryState,
)
from listening_pipeline.lib.sources.research_api.http import (
    Answer,
    decode_answer,
    describe_failure,
    error_fields,
    is_transient,
    token_failure,
)
from listening_pipeline.lib.sources.research_api.query import (
    COMMENT_FIELDS,
    COMMENT_LIMIT,
    COMMENT_LIST_PATH,
    MAX_COUNT,
    TOKEN_PATH,
    USER_FIELDS,
    USER_INFO_PATH,
    VIDEO_FIELDS,
    VIDEO_QUERY_PATH,
    check_resume,
    created_within,
    date_windows,
    field_list,
    hashtag_values,
    next_cursor,
    page_records,
    record_key,
    text_or_none,
    video_query_body,
)

log = logging.getLogger(__name__)

_SEARCH_ID_EXPIRED = re.compile(r"search[ _]?id.*(invalid|expired)", re.IGNORECASE)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
        """Videos found by ``hashtag`` (any of several) created from ``start`` to ``end`` inclusive (UTC days).

        A value may also be a tracked keyword or creator query (``keyword:oat_milk``, ``creator:x``):
        the search is then by keyword or username (:func:`query_condition`), one kind per call.

        Returns raw API records, one per video id, in the order the API gave them. With
        ``resume`` (from :class:`QuotaExhausted`), continues where that call stopped and
        returns everything, the earlier records included.
        """
        hashtags = hashtag_values(hashtag)
        fields = field_list(fields)
        if end < start:
            raise ValueError(f"video query for {hashtags}: end {end} is before start {start}")
        windows = list(date_windows(start, end))
        seen: dict[str, dict[str, Any]] = {}
        first_cursor, first_search_id = 0, None
        if resume is not None:
            check_resume(resume, hashtags, start, end, fields)
            for record in resume.collected:
                seen[record_key(record)] = record
            windows = [w for w in windows if w[0] >= resume.window_start]
            first_cursor, first_search_id = resume.cursor, resume.search_id
        for index, (window_start, window_end) in enumerate(windows):
            cursor, search_id = (first_cursor, first_search_id) if index == 0 else (0, None)
            self._collect_window(hashtags, start, end, fields, window_start, window_end, cursor, search_id, seen)
        return [record for record in seen.values() if created_within(record, start, end)]

    def list_comments(
        self,
        video_id: str | int,
        fields: Sequence[str] = COMMENT_FIELDS,
        *,
        resume: CommentListState | None = None,
        limit: int = COMMENT_LIMIT,
    ) -> list[dict[str, Any]]:
        """The reachable comments of a video, every page up to ``limit`` (at most the API's top 1,000)."""
        if not 1 <= limit <= COMMENT_LIMIT:
            raise ValueError(f"comment limit must be 1..{COMMENT_LIMIT}, not {limit}")
        video = parse_id(video_id, "video_id")
        fields = field_list(fields)
        seen: dict[str, dict[str, Any]] = {}
        cursor = 0
        if resume is not None:
            if resume.video_id != video or resume.fields != fields:
                raise ValueError(f"resume state is for comments of video {resume.video_id}, not {video}")
            seen.update((record_key(r), r) for r in resume.collected)
            cursor = resume.cursor
        while cursor < limit:
            count = min(MAX_COUNT, limit - cursor)
            body = {"video_id": int(video), "max_count": count, "cursor": cursor}
            try:
                data = self._call(COMMENT_LIST_PATH, body, fields)
            except QuotaExhausted as exc:
                exc.state = CommentListState(video, fields, cursor, tuple(seen.values()))
                raise
            for record in page_records(data, "comments", COMMENT_LIST_PATH):
                seen.setdefault(record_key(record), record)
            if not data.get("has_more"):
                break
            cursor = next_cursor(data, cursor, COMMENT_LIST_PATH)
        return list(seen.values())

    def user_info(self, username: str, fields: Sequence[str] = USER_FIELDS) -> dict[str, Any]:
        """The profile of ``username`` as a raw API record, with ``username`` added (the API does not echo it).

        A private, deleted or unknown account is refused by the API with a 4xx: that raises
        :class:`ResearchApiError` like any other refusal; the caller decides it is about this user only.
        """
        if not isinstance(username, str) or not username.strip():
            raise ValueError(f"user info needs a username, got {username!r}")
        data = self._call(USER_INFO_PATH, {"username": username}, field_list(fields))
        return {**data, "username": username}

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
            body = video_query_body(hashtags, window_start, window_end, cursor, search_id)
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
            for record in page_records(data, "videos", VIDEO_QUERY_PATH):
                seen[record_key(record)] = record  # a later copy of the same video is fresher
            if not data.get("has_more"):
                return
            cursor = next_cursor(data, cursor, VIDEO_QUERY_PATH)
            search_id = text_or_none(data.get("search_id")) or search_id

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
                raise ResearchApiError(
                    describe_failure(path, answer, "answer has no 'data' object"), **error_fields(path, answer)
                )
            if answer.code == "access_token_invalid" and not refreshed:
                log.info("%s: access token rejected (log_id %s); fetching a new one", path, answer.log_id)
                self._token = None
                refreshed = True
                continue
            if answer.code == "daily_quota_limit_exceeded":
                quota_waits += 1
                if not self.wait_for_quota_reset or quota_waits > self.max_quota_waits:
                    raise QuotaExhausted(
                        describe_failure(path, answer, "daily quota exhausted"), **error_fields(path, answer)
                    )
                self._wait_for_quota_reset(path)
                continue
            if answer.status == 400 and _SEARCH_ID_EXPIRED.search(answer.message):
                raise SearchIdExpired(
                    describe_failure(path, answer, "search id rejected"), **error_fields(path, answer)
                )
            if not is_transient(answer):
                raise ResearchApiError(describe_failure(path, answer, "request failed"), **error_fields(path, answer))
            if retries >= self.max_retries:
                raise ResearchApiError(
                    describe_failure(path, answer, f"gave up after {retries + 1} attempts"),
                    **error_fields(path, answer),
                )
            self._back_off(path, answer, retries)
            retries += 1

    def _post(self, url: str, **kwargs: Any) -> Answer:
        """One POST; a network failure becomes a retryable answer with status 0."""
        try:
            response = self.session.post(url, timeout=self.timeout_s, **kwargs)
        except requests.RequestException as exc:
            return Answer(0, None, f"{type(exc).__name__}: {exc}", None, None, str(exc), None)
        return decode_answer(response)

    def _back_off(self, path: str, answer: Answer, retries: int) -> None:
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
            failure = token_failure(answer, body)
            if not is_transient(failure) or retries >= self.max_retries:
                what = "token request failed" if retries == 0 else f"token request gave up after {retries + 1} attempts"
                raise ResearchApiError(describe_failure(TOKEN_PATH, failure, what), **error_fields(TOKEN_PATH, failure))
            self._back_off(TOKEN_PATH, failure, retries)
            retries += 1

    def _token_from(self, value: str, lifetime: Any) -> _Token:
        seconds = float(lifetime) if isinstance(lifetime, (int, float)) and not isinstance(lifetime, bool) else 7200.0
        margin = min(self.token_margin_s, seconds / 2)  # a short-lived token is still used for a while
        return _Token(value, self.clock() + dt.timedelta(seconds=seconds - margin))
