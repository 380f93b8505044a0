"""audience_reaction in one line, for ``make demo``: the brand-day whose comments most disagree with its videos."""

from __future__ import annotations

from typing import Any

SUMMARY_SQL = """
select day, brand, total_comments, disagree_share, purchase_intent_comments, complaint_comments
from marts.audience_reaction
where scored_comments > 0
order by disagree_share desc, total_comments desc, day desc, brand
limit 1
"""


def summary_line(warehouse: Any) -> str:
    """``warehouse``: anything with ``query(sql, missing_ok=True) -> polars.DataFrame``."""
    rows = warehouse.query(SUMMARY_SQL, missing_ok=True)
    if rows.is_empty():
        return "audience_reaction: no scored comments on videos that mention a brand yet"
    top = rows.row(0, named=True)
    return (
        f"audience_reaction: {top['brand']} on {top['day']}: {top['disagree_share']:.0%} of "
        f"{top['total_comments']} comments disagree with the video; "
        f"{top['purchase_intent_comments']} purchase intent, {top['complaint_comments']} complaints"
    )
