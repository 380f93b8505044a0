"""`listening-pipeline rematch`: brand mentions found again in the stored text after a catalog edit.

Only ``brand_mentions`` runs, per stored partition: it reads the stored text_units, sentiment,
logo_hits, ocr_text and transcripts, so no speech recognition, OCR or logo detection runs again. The brands
table is reloaded first and dbt rebuilds the marts of the affected days after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import polars as pl

from listening_pipeline.warehouse.tables import BRAND_MENTIONS, LOGO_HITS, RAW_SCHEMA, TEXT_UNITS

REMATCHED_ASSETS = ("brand_mentions",)
CHANGES_SCHEMA = {
    "brand": pl.String(),
    "before": pl.Int64(),
    "after": pl.Int64(),
    "added": pl.Int64(),
    "removed": pl.Int64(),
}


def _where(store: Any, since: dt.date, until: dt.date, hashtags: Sequence[str]) -> tuple[str, list[Any]]:
    p = store.param
    sql = f"day >= {p} and day <= {p}"
    if hashtags:
        sql += f" and hashtag in ({', '.join([p] * len(hashtags))})"
    return sql, [since, until, *hashtags]


def stored_partitions(
    store: Any, since: dt.date, until: dt.date, hashtags: Sequence[str] = ()
) -> list[tuple[str, dt.date]]:
    """The (hashtag, day) partitions in the window with stored text units or logo hits, by day then hashtag."""
    where, params = _where(store, since, until, hashtags)
    found: set[tuple[str, dt.date]] = set()
    for table in (TEXT_UNITS, LOGO_HITS):
        frame = store.query(
            f'select distinct hashtag, day from {RAW_SCHEMA}."{table.name}" where {where}', params, missing_ok=True
        )
        found.update(frame.iter_rows() if frame.height else ())
    return sorted(found, key=lambda p: (p[1], p[0]))


def stored_mentions(store: Any, since: dt.date, until: dt.date, hashtags: Sequence[str] = ()) -> pl.DataFrame:
    """brand and a key unique over the window for every stored mention in it."""
    where, params = _where(store, since, until, hashtags)
    frame = store.query(
        f'select brand, hashtag, day, mention_id from {RAW_SCHEMA}."{BRAND_MENTIONS.name}" where {where}',
        params,
        missing_ok=True,
    )
    if not frame.height:
        return pl.DataFrame(schema={"brand": pl.String(), "key": pl.String()})
    return frame.select(
        "brand",
        pl.concat_str([pl.col("hashtag"), pl.col("day").cast(pl.String), pl.col("mention_id")], separator="|").alias(
            "key"
        ),
    )


def mention_changes(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """Per brand: mentions before and after, and how many were added and removed (by mention id)."""
    rows = []
    for brand in sorted(set(before["brand"]) | set(after["brand"])):
        old = set(before.filter(pl.col("brand") == brand)["key"])
        new = set(after.filter(pl.col("brand") == brand)["key"])
        rows.append(
            {"brand": brand, "before": len(old), "after": len(new), "added": len(new - old), "removed": len(old - new)}
        )
    return pl.DataFrame(rows, schema=CHANGES_SCHEMA)


def changes_report(changes: pl.DataFrame) -> list[str]:
    """Lines for the user: the brands whose mentions changed, then how many did not."""
    changed = changes.filter((pl.col("added") > 0) | (pl.col("removed") > 0))
    width = max([len(b) for b in changes["brand"]] + [5])
    lines = [
        f"  {brand:<{width}}  {before:>6} -> {after:<6} (+{added} -{removed})"
        for brand, before, after, added, removed in changed.iter_rows()
    ]
    unchanged = changes.height - changed.height
    if not changed.height:
        lines.append("  no brand's mentions changed")
    elif unchanged:
        lines.append(f"  {unchanged} other brand(s) unchanged")
    return lines
