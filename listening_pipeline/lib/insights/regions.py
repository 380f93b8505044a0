"""Where and in which language brands are talked about: the split of brand_region_metrics in a line."""

from __future__ import annotations

from listening_pipeline.lib.insights.common import mart_rows, not_built
from listening_pipeline.warehouse import Warehouse


def summary_line(warehouse: Warehouse) -> str:
    """Regions and languages seen, and the brand that leads the busiest region on the latest day."""
    spread = mart_rows(
        warehouse,
        "select count(distinct region) as regions, count(distinct language) as languages,"
        " string_agg(distinct language, ', ' order by language) as codes, max(day) as latest"
        " from marts.brand_region_metrics",
    )
    if spread is None:
        return not_built("brand_region_metrics")
    row = spread.row(0, named=True)
    if not row["regions"]:
        return "brand_region_metrics: no mentions yet"
    leader = mart_rows(
        warehouse,
        "select region, brand, region_share_of_voice, region_mentions from marts.brand_region_metrics"
        f" where day = {warehouse.param}"
        " order by group_region_mentions desc, region_share_of_voice desc, brand, region limit 1",
        [row["latest"]],
    )
    line = f"brand_region_metrics: {row['regions']} region(s), languages {row['codes']}"
    if leader is not None and leader.height:
        top = leader.row(0, named=True)
        line += (
            f"; on {row['latest']} {top['brand']} leads {top['region']} with "
            f"{top['region_share_of_voice']:.0%} of its group's mentions there ({top['region_mentions']})"
        )
    return line
