"""The one interface every video source implements, and the record parsing they share.

Both sources speak the Research API's field names (``id``, ``username``, ``create_time``,
``video_description``, ``hashtag_names``...): a vendor export or scraper run dropped in a
folder uses the same shape, so one parser turns either into warehouse rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from listening_pipeline.hashtags import InvalidHashtag, normalize_hashtag
from listening_pipeline.warehouse.tables import COMMENTS, QUARANTINE, VIDEOS, truncate


class RecordError(ValueError):
    """A record that cannot become a row; the message says which field and why."""


class MediaUnavailable(RuntimeError):
    """The media of a video cannot be fetched; its metadata row is kept with this reason."""


@dataclass(frozen=True)
class Problem:
    """An input a source could not read: errors are data, kept in the quarantine table."""

    item: str
    reason: str
    raw: str | None = None


@dataclass
class Collected:
    """What a source returns for one partition: rows ready for the warehouse, and problems."""

    rows: pl.DataFrame
    problems: list[Problem] = field(default_factory=list)


class VideoSource(Protocol):
    name: str

    def videos(self, hashtag: str, day: dt.date) -> Collected:
        """Videos created on ``day`` (UTC) that carry ``hashtag``; VIDEOS rows without media columns set."""

    def comments(self, videos: pl.DataFrame, hashtag: str, day: dt.date) -> Collected:
        """Comments of the given VIDEOS rows, as COMMENTS rows."""

    def fetch_media(self, video: Mapping[str, Any], dest: Path) -> Path:
        """A local file holding the video's media, or :class:`MediaUnavailable`.

        Remote sources download to ``dest``; a source whose media already is a local file
        may return that file instead, so nothing is copied twice.
        """


def clean_text(value: Any) -> str | None:
    """Text without NUL bytes (PostgreSQL refuses them, real API payloads carry them)."""
    if value is None:
        return None
    return str(value).replace("\x00", "")


def parse_id(value: Any, field_name: str) -> str:
    """Ids stay exact text: the platform's int64 ids exceed float precision."""
    if isinstance(value, bool) or value is None:
        raise RecordError(f"{field_name} is missing")
    if isinstance(value, float):
        raise RecordError(f"{field_name} {value!r} is a float and may have lost precision")
    text = str(value).strip()
    if not text.isdigit():
        raise RecordError(f"{field_name} {value!r} is not a numeric id")
    return text


def _count(record: Mapping[str, Any], name: str) -> int | None:
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RecordError(f"{name} {value!r} is not a non-negative integer")
    return value


def _time(value: Any, field_name: str) -> dt.datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RecordError(f"{field_name} {value!r} is not epoch seconds")
    try:
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise RecordError(f"{field_name} {value!r} is out of range") from exc


def video_row(record: Mapping[str, Any], *, hashtag: str, day: dt.date, source: str) -> dict[str, Any]:
    """One VIDEOS row (media columns empty) from an API-shaped record, or :class:`RecordError`."""
    if not isinstance(record, Mapping):
        raise RecordError("record is not a JSON object")
    tags: list[str] = []
    for raw in record.get("hashtag_names") or []:
        try:
            tags.append(normalize_hashtag(str(raw)))
        except InvalidHashtag:
            continue  # a platform hashtag we cannot key on is still not a reason to drop the video
    duration = record.get("video_duration")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration < 0):
        raise RecordError(f"video_duration {duration!r} is not a non-negative number")
    return {
        "hashtag": hashtag,
        "day": day,
        "video_id": parse_id(record.get("id"), "id"),
        "source": source,
        "creator": clean_text(record.get("username")),
        "created_at": _time(record.get("create_time"), "create_time"),
        "description": clean_text(record.get("video_description")),
        "hashtags": list(dict.fromkeys(tags)),
        "region": clean_text(record.get("region_code")),
        "view_count": _count(record, "view_count"),
        "like_count": _count(record, "like_count"),
        "comment_count": _count(record, "comment_count"),
        "share_count": _count(record, "share_count"),
        "duration_s": None if duration is None else float(duration),
        "voice_to_text": clean_text(record.get("voice_to_text")),
        "media_uri": None,
        "media_error": None,
    }


def comment_row(record: Mapping[str, Any], *, hashtag: str, day: dt.date) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        raise RecordError("record is not a JSON object")
    video_id = parse_id(record.get("video_id"), "video_id")
    parent = record.get("parent_comment_id")
    created = record.get("create_time")
    return {
        "hashtag": hashtag,
        "day": day,
        "comment_id": parse_id(record.get("id"), "id"),
        "video_id": video_id,
        "parent_comment_id": video_id if parent is None else parse_id(parent, "parent_comment_id"),
        "text": clean_text(record.get("text")),
        "like_count": _count(record, "like_count"),
        "reply_count": _count(record, "reply_count"),
        "created_at": None if created is None else _time(created, "create_time"),
    }


def in_partition(row: Mapping[str, Any], hashtag: str, day: dt.date) -> bool:
    """A video belongs to (hashtag, day) when it carries the hashtag and was created that UTC day."""
    return row["created_at"].date() == day and hashtag in row["hashtags"]


def videos_frame(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """VIDEOS frame with one row per video id (the last record of a duplicated id wins)."""
    by_id = {row["video_id"]: row for row in rows}
    return VIDEOS.frame(list(by_id.values())).sort("video_id")


def comments_frame(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    by_id = {row["comment_id"]: row for row in rows}
    return COMMENTS.frame(list(by_id.values())).sort("comment_id")


def problem_for(item: str, exc: Exception, raw: Any = None) -> Problem:
    if raw is not None and not isinstance(raw, str):
        try:
            raw = json.dumps(raw, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            raw = repr(raw)
    return Problem(item=item, reason=f"{type(exc).__name__}: {exc}", raw=truncate(clean_text(raw)))


def problems_frame(problems: Sequence[Problem], *, hashtag: str, day: dt.date, stage: str) -> pl.DataFrame:
    """QUARANTINE rows for the problems a stage met in one partition (one row per item)."""
    by_item = {p.item: p for p in problems}
    return QUARANTINE.frame(
        [
            {"hashtag": hashtag, "day": day, "stage": stage, "item": p.item, "reason": p.reason, "raw": p.raw}
            for p in by_item.values()
        ]
    )
