"""How the catalog's campaigns stand: the latest collected day of each, against its target."""

from __future__ import annotations

from listening_pipeline.lib.insights.common import mart_rows, not_built
from listening_pipeline.warehouse import Warehouse


def summary_line(warehouse: Warehouse) -> str:
    rows = mart_rows(
        warehouse,
        "select campaign, hashtag, day, campaign_day, campaign_days, cumulative_videos, cumulative_creators,"
        " target_metric, target_value, target_cumulative, progress, on_track"
        " from marts.campaign_performance order by campaign, day desc",
    )
    if rows is None:
        return not_built("campaign_performance")
    if rows.height == 0:
        return "campaign_performance: no campaign of the catalog has a collected day yet"
    latest = rows.unique("campaign", keep="first", maintain_order=True)
    row = latest.row(0, named=True)
    text = (
        f"campaign_performance: {row['campaign']} (#{row['hashtag']}), day {row['campaign_day']} of "
        f"{row['campaign_days']} ({row['day']}): {row['cumulative_videos']} videos by "
        f"{row['cumulative_creators']} creators"
    )
    if row["target_metric"] is not None:
        pace = "on track" if row["on_track"] else "behind pace"
        text += (
            f", {row['target_cumulative']} of {row['target_value']} {row['target_metric']}"
            f" ({row['progress']:.0%}, {pace})"
        )
    return text + (f"; {latest.height - 1} more campaign(s)" if latest.height > 1 else "")
