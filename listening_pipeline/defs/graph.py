"""The asset graph described for people: a stable summary (for the snapshot test) and a Mermaid
diagram of the stages (for docs/architecture.md). Both come from the loaded definitions, so a
rename or a new asset shows up in the diff of the snapshot and the docs."""

from __future__ import annotations

from typing import Any

import dagster as dg

# The stages in the order a video flows through them; groups not listed go last, alphabetically.
STAGE_ORDER = (
    "catalog",
    "collect",
    "quality",
    "media",
    "speech",
    "captions",
    "logos",
    "text",
    "mentions",
    "dbt_staging",
    "dbt_intermediate",
    "dbt_marts",
    "alerts",
)


def describe_partitions(partitions: dg.PartitionsDefinition | None) -> str | None:
    """'day(2025-01-01) x hashtag(dynamic)' and the like; None for an unpartitioned asset."""
    if partitions is None:
        return None
    if isinstance(partitions, dg.MultiPartitionsDefinition):
        return " x ".join(f"{d.name}:{describe_partitions(d.partitions_def)}" for d in partitions.partitions_defs)
    if isinstance(partitions, dg.DynamicPartitionsDefinition):
        return f"dynamic({partitions.name})"
    if isinstance(partitions, dg.TimeWindowPartitionsDefinition):
        return f"daily(from {partitions.start.date().isoformat()}, {partitions.timezone})"
    return type(partitions).__name__


def asset_summary(defs: dg.Definitions) -> dict[str, dict[str, Any]]:
    """Key -> group, kinds, partitions, upstream keys, checks (which block downstream) and table name: what
    users' backfills, selections and BI rely on."""
    graph = defs.resolve_asset_graph()
    summary: dict[str, dict[str, Any]] = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        summary[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "partitions": describe_partitions(node.partitions_def),
            "upstream": sorted(k.to_user_string() for k in node.parent_keys),
            "checks": sorted(c.name for c in node.check_keys),
            "blocking_checks": sorted(c.name for c in node.check_keys if graph.get_check_spec(c).blocking),
            "table": node.metadata.get("dagster/table_name"),
            "freshness": type(node.freshness_policy).__name__ if node.freshness_policy else None,
        }
    return summary


def stage_mermaid(defs: dg.Definitions) -> str:
    """A left-to-right Mermaid flowchart: one box per stage (asset group) listing its assets."""
    summary = asset_summary(defs)
    groups: dict[str, list[str]] = {}
    for key, item in summary.items():
        groups.setdefault(item["group"], []).append(key)
    order = [g for g in STAGE_ORDER if g in groups] + sorted(g for g in groups if g not in STAGE_ORDER)
    lines = ["flowchart LR"]
    for group in order:
        names = "<br/>".join(k.split("/")[-1] for k in groups[group])
        lines.append(f'    {group}["<b>{group}</b><br/>{names}"]')
    edges = sorted(
        {
            (summary[parent]["group"], item["group"])
            for item in summary.values()
            for parent in item["upstream"]
            if parent in summary and summary[parent]["group"] != item["group"]
        },
        key=lambda edge: (order.index(edge[0]), order.index(edge[1])),
    )
    lines.extend(f"    {a} --> {b}" for a, b in edges)
    return "\n".join(lines) + "\n"
