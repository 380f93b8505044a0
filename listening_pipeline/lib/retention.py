"""Retention and privacy: what is kept about people, for how long, and in what form.

Two rules, both off by default (the pipeline keeps everything):

* **Personal data** of partitions older than ``retention_days``: comment text is set to null (the
  comment row, its likes and replies stay, so counts do not change), comment text units are
  deleted, the raw input kept with quarantined records is dropped, and creator handles (``creator``,
  ``mentioned_users``) are replaced by an *anonym*: HMAC-SHA256 under a key drawn for the purge and
  thrown away after it. The same handle gets the same anonym within one purge (a day's distinct
  creator counts stay right), but nobody, us included, can map an anonym back or test a guess: that
  is erasure, where a kept key would only be pseudonymization.
* **Media** of partitions older than ``media_retention_days``: the video file, its decoded audio and
  frames and its evidence thumbnails are deleted from the media store, and the warehouse rows that
  pointed at them say so (``media_uri`` null with a ``media_error``, ``audio_uri`` null, frame rows
  deleted, ``thumbnail_uri`` null).

Each partition is rewritten in one transaction per table, the warehouse first and the files after,
so a purge cut short leaves files that :func:`remaining` reports and the next purge deletes. And
:func:`pseudonym` is the option to store handles keyed-hashed from collection on
(``LISTENING_PIPELINE_HASH_CREATOR_HANDLES``): there the key is kept, so a handle always maps to
the same pseudonym and the marts count distinct creators across days as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from listening_pipeline.lib.media.store import MediaStore
from listening_pipeline.warehouse.tables import (
    BRAND_MENTIONS,
    COMMENTS,
    CREATORS,
    FRAMES,
    MEDIA,
    QUARANTINE,
    RAW_SCHEMA,
    TEXT_UNITS,
    VIDEOS,
    Table,
)

PROFILE_TEXT = ("display_name", "bio_description", "avatar_url")  # what a person wrote or shows on a profile
PSEUDONYM_PREFIX = "hmac:"  # a kept-key pseudonym (collection option); handles never hold ':'
ANONYM_PREFIX = "anon:"  # a thrown-away-key anonym (retention)
MEDIA_DELETED = "media deleted after the retention window"


def pseudonym(handle: str | None, key: bytes, prefix: str = PSEUDONYM_PREFIX) -> str | None:
    """``handle`` as ``<prefix><16 hex>``: HMAC-SHA256 under ``key``, so it cannot be guessed without the key.

    A plain hash would not do: handles are few and public, so anyone could hash a list of them and
    look the results up. Already hashed values are hashed again only for another prefix."""
    if handle is None or handle.startswith(prefix):
        return handle
    return prefix + hmac.new(key, handle.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def hash_handles(videos: pl.DataFrame, key: bytes, prefix: str = PSEUDONYM_PREFIX) -> pl.DataFrame:
    """VIDEOS rows with ``creator`` and each of ``mentioned_users`` replaced by :func:`pseudonym`."""
    if not key:
        raise ValueError("a handle hash key must not be empty")

    def one(value: str | None) -> str | None:
        return pseudonym(value, key, prefix)

    mentioned = [None if names is None else [one(n) for n in names] for names in videos["mentioned_users"].to_list()]
    return videos.with_columns(
        pl.Series("creator", [one(c) for c in videos["creator"].to_list()], dtype=pl.String),
        pl.Series("mentioned_users", mentioned, dtype=pl.List(pl.String)),
    )


@dataclass(frozen=True)
class Cutoffs:
    """Partitions on days before ``personal`` lose personal data, before ``media`` their media (None: kept)."""

    personal: dt.date | None
    media: dt.date | None

    @classmethod
    def of(cls, as_of: dt.date, retention_days: int | None, media_retention_days: int | None) -> Cutoffs:
        """Days more than N days before ``as_of`` are past the window."""

        def cut(days: int | None) -> dt.date | None:
            return None if days is None else as_of - dt.timedelta(days=days)

        return cls(cut(retention_days), cut(media_retention_days))


# What "personal data remains" means, per table: the SQL condition on one row of a partition past the window.
# starts_with, not LIKE 'anon:%': the conditions run with bound parameters, and psycopg2 reads a bare '%' as one.
_PERSONAL_LEFT: tuple[tuple[Table, str], ...] = (
    (COMMENTS, "text IS NOT NULL"),
    (TEXT_UNITS, "origin = 'comment'"),
    (QUARANTINE, "raw IS NOT NULL"),
    (
        CREATORS,
        f"(NOT starts_with(creator, '{ANONYM_PREFIX}') OR display_name IS NOT NULL OR bio_description IS NOT NULL"
        " OR avatar_url IS NOT NULL)",
    ),
    (
        VIDEOS,
        f"(NOT starts_with(creator, '{ANONYM_PREFIX}') OR EXISTS (SELECT 1 FROM unnest(mentioned_users) AS u(name)"
        f" WHERE NOT starts_with(u.name, '{ANONYM_PREFIX}')))",
    ),
)
_MEDIA_LEFT: tuple[tuple[Table, str], ...] = (
    (VIDEOS, "media_uri IS NOT NULL"),
    (MEDIA, "audio_uri IS NOT NULL"),
    (FRAMES, "TRUE"),
    (BRAND_MENTIONS, "thumbnail_uri IS NOT NULL"),
)


def remaining(store: Any, media: MediaStore, cutoffs: Cutoffs) -> dict[str, int]:
    """What is still kept past the window, by kind ("videos.creator", "media files"...): all zero after a purge."""
    left: dict[str, int] = {}
    for cutoff, rules in ((cutoffs.personal, _PERSONAL_LEFT), (cutoffs.media, _MEDIA_LEFT)):
        if cutoff is None:
            continue
        for table, condition in rules:
            frame = store.query(
                f'SELECT count(*) AS n FROM {RAW_SCHEMA}."{table.name}" WHERE day < {store.param} AND ({condition})',
                [cutoff],
                missing_ok=True,
            )
            left[f"{table.name}: {condition}"] = int(frame["n"][0]) if frame.height else 0
    if cutoffs.media is not None:
        left["media store files of expired videos"] = len(media_files(store, media, cutoffs.media))
    return left


def expired_partitions(store: Any, cutoffs: Cutoffs) -> list[tuple[str, dt.date]]:
    """The (hashtag, day) partitions past a window that still hold something :func:`remaining` counts."""
    found: set[tuple[str, dt.date]] = set()
    for cutoff, rules in ((cutoffs.personal, _PERSONAL_LEFT), (cutoffs.media, _MEDIA_LEFT)):
        if cutoff is None:
            continue
        for table, condition in rules:
            frame = store.query(
                f'SELECT DISTINCT hashtag, day FROM {RAW_SCHEMA}."{table.name}"'
                f" WHERE day < {store.param} AND ({condition})",
                [cutoff],
                missing_ok=True,
            )
            found.update((h, d) for h, d in frame.iter_rows())
    return sorted(found)


def media_files(store: Any, media: MediaStore, cutoff: dt.date) -> list[str]:
    """Paths in the media store of videos on days before ``cutoff``: the video, its decoded files, thumbnails."""
    ids = store.query(
        f'SELECT DISTINCT video_id FROM {RAW_SCHEMA}."{VIDEOS.name}" WHERE day < {store.param}',
        [cutoff],
        missing_ok=True,
    )
    thumbs = store.query(
        f'SELECT DISTINCT thumbnail_uri FROM {RAW_SCHEMA}."{BRAND_MENTIONS.name}"'
        f" WHERE day < {store.param} AND thumbnail_uri IS NOT NULL",
        [cutoff],
        missing_ok=True,
    )
    return _files_of(
        media,
        ids["video_id"].to_list() if ids.height else [],
        thumbs["thumbnail_uri"].to_list() if thumbs.height else [],
    )


def _files_of(media: MediaStore, video_ids: Iterable[str], thumbnail_uris: Iterable[str]) -> list[str]:
    fs, base = media.fs, media.base
    found: list[str] = []
    videos = set(fs.ls(f"{base}/videos", detail=False)) if fs.exists(f"{base}/videos") else set()
    for video_id in video_ids:
        found += sorted(p for p in videos if p.rsplit("/", 1)[-1].split(".", 1)[0] == video_id)
        decoded = f"{base}/decoded/{video_id}"
        if fs.exists(decoded):
            found += sorted(fs.find(decoded))
    for uri in thumbnail_uris:
        path = f"{base}/{uri.removeprefix(media.root + '/')}"
        if fs.exists(path):
            found.append(path)
    return list(dict.fromkeys(found))


@dataclass
class Purged:
    """What one purge changed: rows rewritten per table, media files deleted, the days rewritten
    (what dbt built from them still holds what was erased until those days are built again)."""

    partitions: int = 0
    rows: dict[str, int] | None = None
    files: int = 0
    days: list[dt.date] = field(default_factory=list)


def purge(store: Any, media: MediaStore, cutoffs: Cutoffs) -> Purged:
    """Apply both windows to every partition past them; then delete the expired media files."""
    anonym_key = secrets.token_bytes(32)  # for this purge only: never stored, so anonyms cannot be reversed
    done = Purged(rows={})
    files: list[str] = []
    if cutoffs.media is not None:
        files = media_files(store, media, cutoffs.media)  # listed before the rows that name them change
    expired = expired_partitions(store, cutoffs)
    for hashtag, day in expired:
        personal = cutoffs.personal is not None and day < cutoffs.personal
        expired_media = cutoffs.media is not None and day < cutoffs.media
        for table, rows in _rewritten(store, hashtag, day, personal, expired_media, anonym_key):
            store.replace_partition(table, rows, hashtag=hashtag, day=day)
            assert done.rows is not None
            done.rows[table.name] = done.rows.get(table.name, 0) + rows.height
        done.partitions += 1
    done.days = sorted({day for _, day in expired})
    for path in files:
        if media.fs.exists(path):
            media.fs.rm(path)
            done.files += 1
    return done


def _rewritten(
    store: Any, hashtag: str, day: dt.date, personal: bool, media: bool, anonym_key: bytes
) -> list[tuple[Table, pl.DataFrame]]:
    """The partition's rows of each table that changes, as they are after the purge."""

    def read(table: Table) -> pl.DataFrame:
        return store.read_partition(table, hashtag=hashtag, day=day)

    out: list[tuple[Table, pl.DataFrame]] = []
    videos = read(VIDEOS)
    if personal:
        videos = hash_handles(videos, anonym_key, ANONYM_PREFIX)
        out.append((COMMENTS, read(COMMENTS).with_columns(pl.lit(None, dtype=pl.String).alias("text"))))
        out.append((TEXT_UNITS, read(TEXT_UNITS).filter(pl.col("origin") != "comment")))
        out.append((QUARANTINE, read(QUARANTINE).with_columns(pl.lit(None, dtype=pl.String).alias("raw"))))
        # A profile keeps its counts (followers...) under the same anonym as its videos: the marts still join.
        creators = read(CREATORS)
        out.append(
            (
                CREATORS,
                creators.with_columns(
                    pl.Series("creator", [pseudonym(c, anonym_key, ANONYM_PREFIX) for c in creators["creator"]]),
                    *(
                        pl.lit(None, dtype=pl.String).alias(c)
                        for c in ("display_name", "bio_description", "avatar_url")
                    ),
                ),
            )
        )
    if media:
        videos = videos.with_columns(
            pl.when(pl.col("media_uri").is_not_null())
            .then(pl.lit(MEDIA_DELETED))
            .otherwise(pl.col("media_error"))
            .alias("media_error"),
            pl.lit(None, dtype=pl.String).alias("media_uri"),
        )
        out.append((MEDIA, read(MEDIA).with_columns(pl.lit(None, dtype=pl.String).alias("audio_uri"))))
        out.append((FRAMES, read(FRAMES).clear()))
        out.append(
            (BRAND_MENTIONS, read(BRAND_MENTIONS).with_columns(pl.lit(None, dtype=pl.String).alias("thumbnail_uri")))
        )
    if personal or media:
        out.append((VIDEOS, videos))
    return out
