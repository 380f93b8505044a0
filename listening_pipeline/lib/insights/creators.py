"""The creator marts in one line: how many creators have a profile, and who switched brands."""

from __future__ import annotations

from typing import Any


def summary_line(warehouse: Any) -> str:
    """'creators: N profiled (M verified), top reach X; brand switchers: a (A -> B, last A day -> first B day)'."""
    profiles = warehouse.query(
        "select count(distinct creator) as creators,"
        " count(distinct creator) filter (where is_verified) as verified,"
        " count(distinct creator) filter (where display_name is not null) as profiled"
        " from marts.creator_profiles",
        missing_ok=True,
    )
    top = warehouse.query(
        "select creator, sum(reach) as reach from marts.creator_profiles group by creator"
        " order by reach desc, creator limit 1",
        missing_ok=True,
    )
    switches = warehouse.query(
        "select creator, from_brand, to_brand, last_positive_day_on_from, first_positive_day_on_to"
        " from marts.creator_brand_switches order by first_positive_day_on_to, creator, from_brand, to_brand",
        missing_ok=True,
    )
    if not profiles.height or not profiles["creators"][0]:
        return "creators: none yet (run the collect job and dbt)"
    row = profiles.row(0, named=True)
    line = f"creators: {row['creators']} ({row['profiled']} with a profile, {row['verified']} verified)"
    if top.height:
        line += f", top reach {top['creator'][0]} ({int(top['reach'][0]):,} views)"
    shown = [
        f"{s['creator']} ({s['from_brand']} -> {s['to_brand']}, {s['last_positive_day_on_from']} -> "
        f"{s['first_positive_day_on_to']})"
        for s in switches.head(3).iter_rows(named=True)
    ]
    more = f" and {switches.height - 3} more" if switches.height > 3 else ""
    return line + "; brand switchers: " + ("; ".join(shown) + more if shown else "none")
