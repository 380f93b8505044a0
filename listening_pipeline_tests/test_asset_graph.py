"""The asset graph users depend on (keys, partitions, groups, kinds, checks) changes only on purpose.

A renamed asset silently breaks users' backfills, selections and BI queries, so the graph is
pinned in snapshots/asset_graph.json. To change it deliberately:
`LP_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest listening_pipeline_tests/test_asset_graph.py`
(that also rewrites the stage diagram in docs/architecture.md), then review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "asset_graph.json"
ARCHITECTURE_DOC = REPO / "docs" / "architecture.md"
DIAGRAM = re.compile(r"(```mermaid\n)(.*?)(```)", re.S)
UPDATE = os.environ.get("LP_UPDATE_SNAPSHOTS") == "1"


@pytest.fixture(scope="module")
def definitions():
    from listening_pipeline.definitions import defs

    return defs()


def test_asset_keys_partitions_groups_and_kinds_match_the_snapshot(definitions):
    from listening_pipeline.defs.graph import asset_summary

    actual = asset_summary(definitions)
    if UPDATE:
        SNAPSHOT.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert sorted(actual) == sorted(expected), "asset keys changed: a rename breaks users' backfills and BI"
    assert actual == expected


def test_every_raw_table_the_project_writes_is_an_asset(definitions):
    from listening_pipeline.defs.graph import asset_summary
    from listening_pipeline.warehouse.tables import ALL_TABLES

    keys = set(asset_summary(definitions))
    assert set(ALL_TABLES) <= keys, sorted(set(ALL_TABLES) - keys)


def test_the_architecture_doc_shows_the_current_stage_diagram(definitions):
    from listening_pipeline.defs.graph import stage_mermaid

    diagram = stage_mermaid(definitions)
    text = ARCHITECTURE_DOC.read_text(encoding="utf-8")
    if UPDATE:
        text = DIAGRAM.sub(lambda m: m.group(1) + diagram + m.group(3), text, count=1)
        ARCHITECTURE_DOC.write_text(text, encoding="utf-8")
    found = DIAGRAM.search(text)
    assert found and found.group(2) == diagram, "regenerate with LP_UPDATE_SNAPSHOTS=1 (see this module's docstring)"


def test_every_mart_with_a_trailing_window_rebuilds_the_later_days_it_feeds():
    """A mart whose day D reads earlier days must be known to the automation, or late data on an
    earlier day would leave its later days stale (reliability/test_late_data.py runs the story)."""
    from listening_pipeline.defs.marts.assets import TRAILING_WINDOWS, trailing_window_days

    marts = REPO / "dbt" / "models" / "marts"
    with_lookback = {p.stem for p in marts.glob("*.sql") if "partition_window_with_lookback" in p.read_text()}
    assert with_lookback == set(TRAILING_WINDOWS)
    assert all(trailing_window_days(mart) > 0 for mart in with_lookback)
