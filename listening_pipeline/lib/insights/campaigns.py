"""How the catalog's campaigns stand: the latest day of each, against its target."""

from __future__ import annotations

from listening_pipeline.lib.insights.common import mart_rows, not_built
from listening_pipeline.warehouse import Warehouse


def summary_line(warehouse: Warehouse) -> str:
    rows = mart_rows(
        warehouse,
        "select campaign, hashtag, day, campaign_day, campaign_days, cumulative_videos, cumulative_creators,"
        " target_metric, target_value, target_cumulative, progress, on_track, net_sentiment"
        " from marts.campaign_performance order by campaign, day desc",
    )
    if rows is None:
        return not_built("campaign_performance")
    if rows.height == 0:
        return "campaign_performance: no campaign in the catalog has a collected day yet"
    latest = rows.unique("campaign", keep="first", maintain_order=True)
    parts = []
    for row in latest.iter_rows(named=True):
        text = (
            f"{row['campaign']} (#{row['hashtag']}) day {row['campaign_day']}/{row['campaign_days']} "
            f"({row['day']}): {row['cumulative_videos']} videos by {row['cumulative_creators']} creators"
        )
        if row["target_metric"] is not None:
            pace = "on track" if row["on_track"] else "behind"
            text += (
                f", {row['target_cumulative']}/{row['target_value']} {row['target_metric']}"
                f" ({row['progress']:.0%}, {pace})"
            )
        parts.append(text)
    more = f" (+{len(parts) - 1} more)" if len(parts) > 1 else ""
    return f"campaign_performance: {parts[0]}{more}"
