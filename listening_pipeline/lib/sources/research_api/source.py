"""The VideoSource over the Research API: rows and quarantined problems from the client's records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from listening_pipeline.lib.sources.base import (
    Collected,
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
from listening_pipeline.lib.sources.creators import creator_row, creators_frame
from listening_pipeline.lib.sources.records import shown
from listening_pipeline.lib.sources.research_api.client import ResearchApiClient
from listening_pipeline.lib.sources.research_api.errors import ResearchApiError
from listening_pipeline.lib.sources.research_api.media import MediaDownloader, NoMediaDownloader
from listening_pipeline.lib.sources.research_api.query import COMMENT_FIELDS, COMMENT_LIMIT, USER_FIELDS, VIDEO_FIELDS


class ResearchApiSource:
    """VideoSource over the Research API: metadata and comments from the API, media via a downloader.

    Malformed records become :class:`Problem` rows; a video whose comments the API refuses
    (removed, private) becomes a Problem too. Quota exhaustion and give-ups after retries are
    raised, so the partition is retried rather than silently left incomplete.

    Every comment page of a video is read, up to ``max_comments_per_video`` (default and most: the
    API's top 1,000; lower it to save quota on viral videos). A video that reaches the cap is listed
    in :attr:`Collected.capped_videos`, which the comments asset logs and shows in its metadata.
    """

    name = "research_api"

    def __init__(
        self,
        client: ResearchApiClient,
        *,
        media: MediaDownloader | None = None,
        video_fields: Sequence[str] = VIDEO_FIELDS,
        comment_fields: Sequence[str] = COMMENT_FIELDS,
        user_fields: Sequence[str] = USER_FIELDS,
        max_comments_per_video: int = COMMENT_LIMIT,
    ) -> None:
        if not 1 <= max_comments_per_video <= COMMENT_LIMIT:
            raise ValueError(f"max_comments_per_video must be 1..{COMMENT_LIMIT}, not {max_comments_per_video}")
        self.max_comments_per_video = max_comments_per_video
        self.client = client
        self.media = media or NoMediaDownloader()
        self.video_fields = tuple(video_fields)
        self.comment_fields = tuple(comment_fields)
        self.user_fields = tuple(user_fields)

    def videos(self, hashtag: str, day: dt.date) -> Collected:
        as_of = dt.datetime.now(dt.UTC)
        records = self.client.query_videos(hashtag, day, day, self.video_fields)
        rows: list[dict[str, Any]] = []
        problems: list[Problem] = []
        for number, record in enumerate(records, start=1):
            try:
                row = video_row(record, hashtag=hashtag, day=day, source=self.name)
            except RecordError as exc:
                problems.append(problem_for(_item("video", record, hashtag, day, number), exc, record))
                continue
            if in_partition(row, hashtag, day, keyword_matched=True):
                rows.append(row)
        return Collected(rows=videos_frame(rows), problems=problems, as_of=as_of)

    def comments(self, videos: pl.DataFrame, hashtag: str, day: dt.date) -> Collected:
        rows: list[dict[str, Any]] = []
        problems: list[Problem] = []
        capped: list[str] = []
        for video in videos.select("video_id", "comment_count").iter_rows(named=True):
            video_id = video["video_id"]
            if video["comment_count"] == 0:
                continue  # nothing to read: save the quota
            try:
                records = self.client.list_comments(video_id, self.comment_fields, limit=self.max_comments_per_video)
            except ResearchApiError as exc:
                if exc.status is None or exc.status in (401, 429) or exc.status >= 500:
                    raise  # not about this video: the whole partition must be retried
                problems.append(problem_for(f"research_api comments of video {video_id}", exc))
                continue
            if len(records) >= self.max_comments_per_video:
                capped.append(video_id)
            for number, record in enumerate(records, start=1):
                if isinstance(record, Mapping) and record.get("video_id") is None:
                    record = {**record, "video_id": video_id}  # we know which video we asked about
                try:
                    rows.append(comment_row(record, hashtag=hashtag, day=day))
                except RecordError as exc:
                    item = f"research_api comment {number} of video {video_id}"
                    problems.append(problem_for(item, exc, record))
        return Collected(rows=comments_frame(rows), problems=problems, capped_videos=capped)

    def creators(self, usernames: Sequence[str], hashtag: str, day: dt.date) -> Collected:
        """One user-info request per username; a refused account (private, deleted: a 4xx) is a Problem."""
        rows: list[dict[str, Any]] = []
        problems: list[Problem] = []
        for username in usernames:
            item = f"research_api creator {shown(username, 80)} (#{hashtag} {day.isoformat()})"
            try:
                record = self.client.user_info(username, self.user_fields)
            except ResearchApiError as exc:
                if exc.status is None or exc.status in (401, 429) or exc.status >= 500:
                    raise  # not about this creator: the whole partition must be retried
                problems.append(problem_for(item, exc))
                continue
            try:
                rows.append(creator_row(record, hashtag=hashtag, day=day, fetched_at=dt.datetime.now(dt.UTC)))
            except RecordError as exc:
                problems.append(problem_for(item, exc, record))
        return Collected(rows=creators_frame(rows), problems=problems)

    def fetch_media(self, video: Mapping[str, Any], dest: Path) -> Path:
        return self.media.fetch(video, dest)


def _item(kind: str, record: Any, hashtag: str, day: dt.date, number: int) -> str:
    """A quarantine item name a person can find again: the id when there is one, else the position.

    The id is quoted as the API sent it (``id '²'``, ``id {'a': 1}``), shortened: it may be the bad field.
    """
    raw_id = record.get("id") if isinstance(record, Mapping) else None
    if raw_id is None:
        where = f"record {number}"
    else:
        try:
            where = f"id {parse_id(raw_id, 'id')}"
        except RecordError:
            where = f"id {shown(raw_id, 40)} (record {number})"
    return f"research_api {kind} {where} (#{hashtag} {day.isoformat()})"
