"""What a brand is talked about with, in a line: its top topics on its busiest recent day."""

from __future__ import annotations

from listening_pipeline.lib.insights.common import mart_rows, not_built
from listening_pipeline.warehouse import Warehouse


def summary_line(warehouse: Warehouse) -> str:
    busiest = mart_rows(
        warehouse,
        "select brand, day, max(mentioning_videos) as videos from marts.brand_topics group by brand, day"
        " order by day desc, videos desc, brand limit 1",
    )
    if busiest is None:
        return not_built("brand_topics")
    if busiest.height == 0:
        return "brand_topics: no topics yet"
    brand, day, _ = busiest.row(0)
    top = mart_rows(
        warehouse,
        f"select topic_kind, topic from marts.brand_topics where brand = {warehouse.param} and day = {warehouse.param}"
        " and topic_rank <= 2"
        " order by topic_kind, topic_rank",
        [brand, day],
    )
    kinds: dict[str, list[str]] = {}
    for kind, topic in top.rows() if top is not None else []:
        kinds.setdefault(kind, []).append(f"#{topic}" if kind == "hashtag" else f'"{topic}"')
    said = "; ".join(f"{kind}: {', '.join(topics)}" for kind, topics in kinds.items())
    return f"brand_topics: {brand} on {day} is talked about with {said}"
