"""The one interface every video source implements, and what they share: rows, problems, messages.

Both sources speak the Research API's field names (``id``, ``username``, ``create_time``,
``video_description``, ``hashtag_names``...): a vendor export or scraper run dropped in a
folder uses the same shape, so one parser (:mod:`.records`, checked against the declared
tables) turns either into warehouse rows, and a record that does not fit into a :class:`Problem`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import polars as pl

from listening_pipeline.lib.sources.records import RecordError, clean_text, comment_row, parse_id, video_row
from listening_pipeline.lib.text.folding import fold
from listening_pipeline.queries import parse_query
from listening_pipeline.warehouse.tables import COMMENTS, QUARANTINE, VIDEO_STATS_SNAPSHOTS, VIDEOS, truncate

__all__ = [
    "Collected",
    "MediaUnavailable",
    "Problem",
    "RecordError",
    "VideoSource",
    "clean_text",
    "comment_row",
    "comments_frame",
    "in_partition",
    "keyword_in",
    "parse_id",
    "problem_for",
    "problems_frame",
    "scrub_urls",
    "stats_snapshots",
    "video_row",
    "videos_frame",
]

_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
# A path with a query, as requests quotes it ("Max retries exceeded with url: /media/1.mp4?token=...").
_PATH_QUERY = re.compile(r"(?<![\w/:])(/[^\s?'\"<>]*)\?([^\s'\"<>()#]+)")


class MediaUnavailable(RuntimeError):
    """The media of a video cannot be fetched; its metadata row is kept with this reason.

    The reason is stored (``videos.media_error``) and logged, so URLs in it lose their
    credentials and query strings (signed URLs, tokens): see :func:`scrub_urls`.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(scrub_urls(reason))


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
    # When the rows' counts (views, likes...) were observed; None: now, when they are stored.
    as_of: dt.datetime | None = None
    # Videos whose comments stopped at the source's per-video cap (more may exist): shown, never silent.
    capped_videos: list[str] = field(default_factory=list)


class VideoSource(Protocol):
    name: str

    def videos(self, hashtag: str, day: dt.date) -> Collected:
        """Videos created on ``day`` (UTC) that carry ``hashtag``; VIDEOS rows without media columns set."""

    def comments(self, videos: pl.DataFrame, hashtag: str, day: dt.date) -> Collected:
        """Comments of the given VIDEOS rows, as COMMENTS rows."""

    def creators(self, usernames: Sequence[str], hashtag: str, day: dt.date) -> Collected:
        """CREATORS rows (profiles) of ``usernames``; see :mod:`.creators` for the once-a-day cache."""

    def fetch_media(self, video: Mapping[str, Any], dest: Path) -> Path:
        """A local file holding the video's media, or :class:`MediaUnavailable`.

        Remote sources download to ``dest``; a source whose media already is a local file
        may return that file instead, so nothing is copied twice.
        """


def in_partition(row: Mapping[str, Any], query: str, day: dt.date, *, keyword_matched: bool = False) -> bool:
    """A video belongs to (query, day) when it was created that UTC day and the query finds it.

    A hashtag query finds videos carrying the hashtag; a creator query, the creator's videos; a
    keyword query, videos whose description holds the keyword's words in a row, as whole words, case
    and accents aside. With ``keyword_matched`` the source has searched by keyword itself (the
    Research API matches descriptions its own way, and its judgement is kept: refusing its results
    here would lose rows without a word).
    """
    if row["created_at"].date() != day:
        return False
    wanted = parse_query(query)
    if wanted.kind == "creator":
        return str(row.get("creator") or "").casefold() == wanted.value
    if wanted.kind == "keyword":
        return keyword_matched or keyword_in(wanted.value, row.get("description") or "")
    return wanted.value in row["hashtags"]


def keyword_in(keyword: str, text: str) -> bool:
    """Whether ``text`` holds ``keyword``'s words in a row as whole words (case and accents aside)."""
    words = [re.escape(fold(w)) for w in keyword.split()]
    pattern = r"(?<![\w-])" + r"[\s_-]+".join(words) + r"(?![\w-])"
    return re.search(pattern, fold(text)) is not None


def videos_frame(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """VIDEOS frame with one row per video id (the last record of a duplicated id wins)."""
    by_id = {row["video_id"]: row for row in rows}
    return VIDEOS.frame(list(by_id.values())).sort("video_id")


def stats_snapshots(videos: pl.DataFrame, as_of: dt.datetime) -> pl.DataFrame:
    """VIDEO_STATS_SNAPSHOTS rows: each video's counts as observed at ``as_of`` (UTC, whole seconds)."""
    when = as_of.astimezone(dt.UTC).replace(microsecond=0)
    counts = ["view_count", "like_count", "comment_count", "share_count", "favorites_count"]
    frame = videos.select("video_id", *counts).unique("video_id", keep="last", maintain_order=True)
    return VIDEO_STATS_SNAPSHOTS.frame(frame.with_columns(collected_at=pl.lit(when, dtype=pl.Datetime("us", "UTC"))))


def comments_frame(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    by_id = {row["comment_id"]: row for row in rows}
    return COMMENTS.frame(list(by_id.values())).sort("comment_id")


def problem_for(item: str, exc: Exception, raw: Any = None) -> Problem:
    if raw is not None and not isinstance(raw, str):
        try:
            raw = json.dumps(raw, ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError):
            raw = f"<{type(raw).__name__} that cannot be shown as JSON>"
    # Cleaned here, not only when written: items and reasons are logged too (the event log is UTF-8).
    reason = truncate(clean_text(f"{type(exc).__name__}: {exc}")) or ""
    return Problem(item=truncate(clean_text(item), 500) or "", reason=reason, raw=truncate(clean_text(raw)))


def problems_frame(problems: Sequence[Problem], *, hashtag: str, day: dt.date, stage: str) -> pl.DataFrame:
    """QUARANTINE rows for the problems a stage met in one partition (one row per item).

    Item and reason are made storable too (NUL, lone surrogates, length): they may quote the input.
    """
    by_item = {truncate(clean_text(p.item), 500): p for p in problems}
    return QUARANTINE.frame(
        [
            {
                "hashtag": hashtag,
                "day": day,
                "stage": stage,
                "item": item,
                "reason": truncate(clean_text(p.reason)),
                "raw": truncate(clean_text(p.raw)),
            }
            for item, p in by_item.items()
        ]
    )


def scrub_urls(text: str) -> str:
    """``text`` with every URL's user, password, query values and fragment removed.

    Media URLs may be signed (``?X-Amz-Signature=...``, ``?token=...``) or carry credentials
    (``https://user:secret@host``); error messages that are stored or logged keep only the
    scheme, host, path and query keys.
    """
    text = _URL.sub(lambda m: _scrub_url(m.group()), text)
    return _PATH_QUERY.sub(lambda m: f"{m.group(1)}?{_redact_query(m.group(2))}", text)


def _scrub_url(url: str) -> str:
    stripped = url.rstrip(".,;:)]")  # sentence punctuation after a URL is not part of it
    if stripped != url:
        return _scrub_url(stripped) + url[len(stripped) :]
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0]
    query = _redact_query(parts.query) if parts.query else ""
    return urlunsplit((parts.scheme, host if parts.netloc else "", parts.path, query, ""))


def _redact_query(query: str) -> str:
    """Keys kept, every value replaced: ``token=abc&sig=x`` -> ``token=REDACTED&sig=REDACTED``."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(key, "REDACTED") for key, _ in pairs], safe="") if pairs else "REDACTED"
