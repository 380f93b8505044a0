"""hashtag x day: how every Python asset is partitioned, and the day-only partitions of dbt.

Multi-partition keys read ``<day>|<hashtag>`` (dimensions in name order). The dimension keeps its
name ``hashtag`` (and the tables their ``hashtag`` column) though a tracked query may also be a
keyword or a creator (``keyword:oat_milk``, ``creator:brand.hopper``): renaming it would orphan every
stored partition and break every BI query. Values reach it only through
:func:`listening_pipeline.queries.normalize_query`.
"""

from __future__ import annotations

import datetime as dt

from dagster import (
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
)

from listening_pipeline.queries import normalize_query
from listening_pipeline.settings import first_day_from_env

# LISTENING_PIPELINE_FIRST_DAY (default 2025-01-01): partitions are built at import, so it is read here.
FIRST_DAY = first_day_from_env().isoformat()
HASHTAG_DIMENSION = "hashtag"  # the dynamic partitions' name: tracked hashtags, keywords and creators

day_partitions = DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC")
hashtag_partitions = DynamicPartitionsDefinition(name=HASHTAG_DIMENSION)
hashtag_day_partitions = MultiPartitionsDefinition({"day": day_partitions, "hashtag": hashtag_partitions})


def partition_key(hashtag: str, day: dt.date) -> MultiPartitionKey:
    return MultiPartitionKey({"day": day.isoformat(), "hashtag": normalize_query(hashtag)})


def day_range_tags(first: dt.date, last: dt.date) -> dict[str, str]:
    """Run tags of one run over the day partitions ``first``..``last`` (the dbt assets' single-run
    backfill policy): Dagster's partition-range tags (dagster._core.storage.tags, not exported)."""
    return {
        "dagster/asset_partition_range_start": first.isoformat(),
        "dagster/asset_partition_range_end": last.isoformat(),
    }


def split_partition_key(key: str | MultiPartitionKey) -> tuple[str, dt.date]:
    """(hashtag, day) of a hashtag x day partition key, validated again on the way out."""
    dims = key.keys_by_dimension if isinstance(key, MultiPartitionKey) else _parse(key)
    return normalize_query(dims["hashtag"]), dt.date.fromisoformat(dims["day"])


def _parse(key: str) -> dict[str, str]:
    day, sep, hashtag = key.partition("|")
    if not sep:
        raise ValueError(f"{key!r} is not a hashtag x day partition key (expected 'YYYY-MM-DD|hashtag')")
    return {"day": day, "hashtag": hashtag}
