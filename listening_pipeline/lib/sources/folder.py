"""The embedded default source: a folder a data-vendor export or a scraper run leaves behind.

Layout::

    <root>/videos.jsonl     one Research-API-shaped video object per line, plus "media":
                            a path (relative to <root>) or URL of the media file
    <root>/comments.jsonl   one comment object per line (id, video_id, text, ...)
    <root>/creators.jsonl   optional: one user-info object per creator (username, display_name,
                            follower_count, ...: the Research API's user-info fields)
    <root>/media/...        the media files

A line that is not valid JSON or not a valid record (see :mod:`.records` for the rules per
field) becomes a :class:`Problem` naming the file and line, the field and why; every other
line is kept. A partition quarantines the bad lines that could have belonged to it: those
that name its hashtag and whose creation day is its day or cannot be read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from listening_pipeline.lib.sources.base import (
    Collected,
    MediaUnavailable,
    Problem,
    RecordError,
    comment_row,
    comments_frame,
    in_partition,
    keyword_in,
    problem_for,
    video_row,
    videos_frame,
)
from listening_pipeline.lib.sources.creators import creator_row, creators_frame
from listening_pipeline.lib.sources.records import load_json
from listening_pipeline.queries import parse_query


class FolderSource:
    name = "folder"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def videos(self, hashtag: str, day: dt.date) -> Collected:
        rows, problems = [], []
        manifest = self.root / "videos.jsonl"
        # The export's counts are as of when it was written: re-reading an unchanged export is no new observation.
        as_of = dt.datetime.fromtimestamp(int(manifest.stat().st_mtime), dt.UTC) if manifest.exists() else None
        for where, record, error in _read_jsonl(self.root / "videos.jsonl"):
            if error is not None:
                # A line we cannot parse is quarantined by each partition whose hashtag it names.
                if parse_query(hashtag).value in (error.raw or "").casefold():
                    problems.append(error)
                continue
            try:
                row = video_row(record, hashtag=hashtag, day=day, source=self.name)
            except RecordError as exc:
                # Only quarantine what could have belonged to this partition.
                if _could_belong(record, hashtag, day):
                    problems.append(problem_for(where, exc, record))
                continue
            if in_partition(row, hashtag, day):
                rows.append(row)
        return Collected(rows=videos_frame(rows), problems=problems, as_of=as_of)

    def comments(self, videos: pl.DataFrame, hashtag: str, day: dt.date) -> Collected:
        wanted = set(videos["video_id"].to_list())
        rows, problems = [], []
        path = self.root / "comments.jsonl"
        if not path.exists():
            return Collected(rows=comments_frame([]), problems=[])
        for where, record, error in _read_jsonl(path):
            if error is not None:
                if any(vid in (error.raw or "") for vid in wanted):
                    problems.append(error)
                continue
            try:
                row = comment_row(record, hashtag=hashtag, day=day)
            except RecordError as exc:
                if str(record.get("video_id")) in wanted:
                    problems.append(problem_for(where, exc, record))
                continue
            if row["video_id"] in wanted:
                rows.append(row)
        return Collected(rows=comments_frame(rows), problems=problems)

    def creators(self, usernames: Sequence[str], hashtag: str, day: dt.date) -> Collected:
        """Profiles of ``usernames`` from creators.jsonl (none when the export has no such file)."""
        path = self.root / "creators.jsonl"
        if not path.exists() or not usernames:
            return Collected(rows=creators_frame([]), problems=[])
        wanted = set(usernames)
        fetched_at = dt.datetime.fromtimestamp(int(path.stat().st_mtime), dt.UTC)
        rows, problems = [], []
        for where, record, error in _read_jsonl(path):
            if error is not None:
                if any(f'"{name}"' in (error.raw or "") for name in wanted):
                    problems.append(error)
                continue
            try:
                row = creator_row(record, hashtag=hashtag, day=day, fetched_at=fetched_at)
            except RecordError as exc:
                if record.get("username") in wanted:
                    problems.append(problem_for(where, exc, record))
                continue
            if row["creator"] in wanted:
                rows.append(row)
        return Collected(rows=creators_frame(rows), problems=problems, as_of=fetched_at)

    def fetch_media(self, video: Mapping[str, Any], dest: Path) -> Path:
        ref = self._media_index.get(str(video["video_id"]))
        if not ref:
            raise MediaUnavailable("the manifest names no media file for this video")
        src = (self.root / ref).resolve()
        if not src.is_relative_to(self.root.resolve()):
            raise MediaUnavailable(f"media path {ref!r} points outside the source folder")
        if not src.is_file():
            raise MediaUnavailable(f"media file {src} not found")
        return src

    @cached_property
    def _media_index(self) -> dict[str, str]:
        """video id -> media reference, read once per source object."""
        index: dict[str, str] = {}
        for _, record, error in _read_jsonl(self.root / "videos.jsonl"):
            if error is None and record.get("media"):
                index[str(record.get("id"))] = str(record["media"])
        return index


def _could_belong(record: Mapping[str, Any], query: str, day: dt.date) -> bool:
    """Whether a record that failed its checks could be one of (query, day)'s videos, read leniently.

    The field the query searches must name it: the hashtags (a bare string counts as one hashtag),
    the username, or the description. When that field cannot be read at all (a number, an object),
    a creation time on ``day``, or else the query's text anywhere in the record, is enough. A
    readable creation time on another day never belongs.
    """
    created = _created_day(record)
    if created is not None and created != day:
        return False
    wanted = parse_query(query)
    if wanted.kind == "hashtag":
        names = record.get("hashtag_names")
        if isinstance(names, str):
            names = [names]
        if isinstance(names, list):
            return wanted.value in {h.strip().lstrip("#").casefold() for h in names if isinstance(h, str)}
    elif wanted.kind == "creator" and isinstance(record.get("username"), str):
        return record["username"].strip().lstrip("@").casefold() == wanted.value
    elif wanted.kind == "keyword" and isinstance(record.get("video_description"), str):
        return keyword_in(wanted.value, record["video_description"])
    return created is not None or wanted.value in str(record).casefold()


def _created_day(record: Mapping[str, Any]) -> dt.date | None:
    created = record.get("create_time")
    if isinstance(created, bool) or not isinstance(created, (int, float)):
        return None
    try:
        return dt.datetime.fromtimestamp(created, tz=dt.UTC).date()
    except (OverflowError, OSError, ValueError):
        return None


def _read_jsonl(path: Path) -> Iterator[tuple[str, Any, Problem | None]]:
    """(where, record, problem) per non-blank line; a bad line yields a problem, not an exception."""
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: a folder source needs a videos.jsonl manifest")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{path.name}:{number}"
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
                record = load_json(text)
            except ValueError as exc:  # not UTF-8, not JSON
                yield where, None, problem_for(where, exc, raw.decode("utf-8", "replace"))
                continue
            if not isinstance(record, dict):
                yield where, None, problem_for(where, RecordError("line is not a JSON object"), text)
                continue
            yield where, record, None


def partitions_in_folder(root: str | Path, queries: list[str] | tuple[str, ...]) -> list[tuple[str, dt.date]]:
    """(query, day) pairs of ``queries`` (partition keys) that the folder has videos for, sorted by day."""
    found: set[tuple[str, dt.date]] = set()
    for _, record, error in _read_jsonl(Path(root) / "videos.jsonl"):
        if error is not None:
            continue
        try:
            row = video_row(record, hashtag="", day=dt.date.min, source="folder")
        except RecordError:
            continue
        day = row["created_at"].date()
        found.update((query, day) for query in queries if in_partition(row, query, day))
    return sorted(found, key=lambda p: (p[1], p[0]))
