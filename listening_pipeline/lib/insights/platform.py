"""The platform's own signals: rising sounds and effects, and how collected videos grow."""

from __future__ import annotations

from listening_pipeline.lib.insights.common import mart_rows, not_built
from listening_pipeline.warehouse import Warehouse


def sound_line(warehouse: Warehouse) -> str:
    """The latest rising sound, with the brands mentioned alongside it."""
    return _rising(warehouse, "sound_trends", "music_id", "sound")


def effect_line(warehouse: Warehouse) -> str:
    return _rising(warehouse, "effect_trends", "effect_id", "effect")


def _rising(warehouse: Warehouse, mart: str, id_column: str, noun: str) -> str:
    name = "coalesce(effect_name, effect_id)" if noun == "effect" else id_column
    rows = mart_rows(
        warehouse,
        f"select day, {name} as name, videos, growth_ratio, co_mentioned_brands,"
        f" (select count(*) from marts.{mart} where is_rising) as rising_days,"
        f" (select count(distinct {id_column}) from marts.{mart}) as distinct_ids"
        f" from marts.{mart} where is_rising order by day desc, videos desc, {id_column} limit 1",
    )
    if rows is None:
        return not_built(mart)
    if rows.height == 0:
        total = mart_rows(warehouse, f"select count(distinct {id_column}) as n from marts.{mart}")
        seen = int(total.item()) if total is not None and total.height else 0
        return f"{mart}: {seen} {noun}(s) seen, none rising"
    row = rows.row(0, named=True)
    ratio = f"{row['growth_ratio']:.1f}x its baseline" if row["growth_ratio"] is not None else "new"
    brands = f", with {row['co_mentioned_brands']}" if row["co_mentioned_brands"] else ""
    return (
        f"{mart}: {row['distinct_ids']} {noun}(s) seen, {row['rising_days']} rising {noun}-day(s); latest: {noun} "
        f"{row['name']} on {row['day']} on {row['videos']} videos ({ratio}){brands}"
    )


def growth_line(warehouse: Warehouse) -> str:
    """How many videos were observed more than once, and the biggest gain between two observations."""
    rows = mart_rows(
        warehouse,
        "select count(distinct video_id) as videos,"
        " count(distinct case when days_since_first_seen > 0 then video_id end) as seen_again,"
        " max(views_gained) as top_gain from marts.video_growth",
    )
    if rows is None:
        return not_built("video_growth")
    row = rows.row(0, named=True)
    if not row["seen_again"]:
        return (
            f"video_growth: {row['videos']} videos observed once each "
            "(growth shows once a later collection sees them again)"
        )
    return (
        f"video_growth: {row['videos']} videos, {row['seen_again']} observed on a later day; "
        f"largest gain in a day {row['top_gain']:,} views"
    )
