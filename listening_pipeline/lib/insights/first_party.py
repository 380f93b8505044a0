"""Whether the talk leads the brand's own numbers: the strongest lagged correlation found."""

from __future__ import annotations

from listening_pipeline.lib.insights.common import mart_rows, not_built
from listening_pipeline.warehouse import Warehouse


def summary_line(warehouse: Warehouse) -> str:
    rows = mart_rows(
        warehouse,
        "select brand, region, metric, social_series, lag_days, correlation, day_pairs"
        " from marts.social_vs_first_party where is_best_lag and correlation is not null"
        " order by correlation desc, brand, metric, social_series limit 1",
    )
    if rows is None:
        return not_built("social_vs_first_party")
    if rows.height == 0:
        return "social_vs_first_party: no brand has enough days of first-party numbers to correlate yet"
    row = rows.row(0, named=True)
    series = row["social_series"].replace("_", " ")
    return (
        f"social_vs_first_party: {row['brand']}'s {series} lead its {row['metric']} ({row['region']}) by "
        f"{row['lag_days']} day(s), correlation {row['correlation']:.2f} over {row['day_pairs']} days"
    )
