"""Creator profiles: the Research API's user info (or a folder export's ``creators.jsonl``) checked
field by field like videos, and read at most once per creator per day.

A profile is a record with the API's user-info field names plus ``username``. Each field is checked
against the CREATORS table (:func:`.records.parse_fields`): a hostile profile (a follower count of
2**70, a list for a name) becomes a quarantine row naming the field, and the rest of the partition lands.

Why once per day: the daily schedule re-collects recent days and a creator posts under several
hashtags; the user-info endpoint costs one request of the 1,000 a day each time. A profile stored for
the same day under any hashtag is copied into the partition instead of being fetched again
(:func:`collect_creators`), so a re-run or a second hashtag calls the API only for creators new that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import polars as pl

from listening_pipeline.lib.sources.base import Collected, Problem
from listening_pipeline.lib.sources.records import parse_fields
from listening_pipeline.warehouse.tables import CREATORS

# Column <- user-info field; types, ranges and required-ness come from the CREATORS table.
CREATOR_FIELDS: dict[str, str] = {
    "creator": "username",
    "display_name": "display_name",
    "bio_description": "bio_description",
    "avatar_url": "avatar_url",
    "is_verified": "is_verified",
    "follower_count": "follower_count",
    "following_count": "following_count",
    "likes_count": "likes_count",
    "video_count": "video_count",
}


class CreatorSource(Protocol):
    name: str

    def creators(self, usernames: Sequence[str], hashtag: str, day: dt.date) -> Collected:
        """CREATORS rows for ``usernames`` (those the source knows), and problems for the rest that failed."""


def creator_row(record: Any, *, hashtag: str, day: dt.date, fetched_at: dt.datetime) -> dict[str, Any]:
    """One CREATORS row from a user-info record, or :class:`RecordError` naming every bad field."""
    row = parse_fields(CREATORS, CREATOR_FIELDS, record)
    return {"hashtag": hashtag, "day": day, **row, "fetched_at": fetched_at.astimezone(dt.UTC).replace(microsecond=0)}


def creators_frame(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """CREATORS frame, one row per creator (the last record of a repeated username wins)."""
    by_name = {row["creator"]: row for row in rows}
    return CREATORS.frame(list(by_name.values())).sort("creator")


def partition_creators(videos: pl.DataFrame) -> list[str]:
    """The distinct, known creators of a partition's videos, sorted."""
    return sorted({c for c in videos["creator"].to_list() if c})


@dataclass(frozen=True)
class CreatorsCollected:
    rows: pl.DataFrame
    problems: list[Problem]
    fetched: int  # profiles asked of the source now
    reused: int  # profiles copied from the same day's stored rows


def collect_creators(
    source: CreatorSource, usernames: Sequence[str], stored: pl.DataFrame, hashtag: str, day: dt.date
) -> CreatorsCollected:
    """The profiles of ``usernames`` for (hashtag, day): those in ``stored`` (CREATORS rows of ``day``
    under any hashtag) copied, the others read from ``source``."""
    wanted = sorted(set(usernames))
    known = stored.filter(pl.col("day") == day, pl.col("creator").is_in(wanted)).sort("creator", "hashtag")
    reused = known.unique("creator", keep="first").with_columns(hashtag=pl.lit(hashtag))
    missing = [u for u in wanted if u not in set(reused["creator"].to_list())]
    fresh = source.creators(missing, hashtag, day) if missing else Collected(rows=CREATORS.empty())
    rows = pl.concat([CREATORS.frame(reused), CREATORS.frame(fresh.rows)]).sort("creator")
    return CreatorsCollected(rows=rows, problems=fresh.problems, fetched=len(missing), reused=reused.height)
