"""Late data: a past day that changes rebuilds exactly the later days that read it, a re-collection
that suddenly returns far less is refused, and removed videos take their mentions with them.

Each test works on its own copy of the sample corpus's metadata-only history (two quiet coffee weeks,
then the planted Mokka Mia complaint wave on 2026-10-31), its own warehouse and its own Dagster
instance, so rewriting the export does not touch the session's corpus: the history is run once per
session and copied (export, warehouse file, instance folder) for each test (listening_pipeline_tests/history.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from dagster import evaluate_automation_conditions

from listening_pipeline_tests.history import MARTS, copied_history, record_day

pytestmark = pytest.mark.slow


@pytest.fixture
def history(tmp_path, history_template, sample_corpus, monkeypatch):
    with copied_history(history_template, tmp_path / "history", sample_corpus, monkeypatch) as copy:
        yield copy


def _requested_days(result, key: tuple[str, ...]) -> set[dt.date]:
    requested = set()
    for asset_result in result.results:
        if asset_result.key.path == list(key):
            requested |= {
                dt.date.fromisoformat(k) for k in asset_result.true_subset.expensively_compute_partition_keys()
            }
    return requested


def test_late_rewrite_of_a_past_day_equals_a_full_rebuild(history):
    """Day D gains Mokka Mia mentions after the fact: the automation rebuilds day D and every later
    day whose alert or trend window holds D, and the marts then equal a full rebuild."""
    from listening_pipeline.defs.marts.assets import longest_trailing_window

    late_day = history.days[3]
    evening = dt.datetime.combine(history.days[-1] + dt.timedelta(days=2), dt.time(6), dt.UTC)
    cursor = evaluate_automation_conditions(history.defs, history.instance, evaluation_time=evening).cursor
    target = history.records(late_day)[0]["id"]

    def add_complaint(record: dict) -> dict:
        if record["id"] == target:
            record["video_description"] = "Mokka Mia again, Mokka Mia cold and bitter, never Mokka Mia"
        return record

    history.rewrite(add_complaint)
    assert history.run("hashtag_day_job", late_day)

    result = evaluate_automation_conditions(history.defs, history.instance, evaluation_time=evening, cursor=cursor)
    alert_days = _requested_days(result, ("marts", "brand_alerts"))
    later = {d for d in history.days if late_day <= d <= late_day + dt.timedelta(days=longest_trailing_window())}
    assert later <= alert_days, sorted(later - alert_days)
    assert _requested_days(result, ("staging", "stg_brand_mentions")) == {late_day}
    assert _requested_days(result, ("marts", "brand_daily_metrics")) == {late_day}

    # The days the automation asked for, rebuilt, equal a full rebuild. (Rebuilding only the changed day would
    # not: the alert's baseline on 2026-10-31 reads it, which is why those later days are asked for, above.)
    before = history.marts()
    history.dbt(min(alert_days), max(alert_days))
    incremental = history.marts()
    assert not incremental["brand_alerts"].equals(before["brand_alerts"]), "the late complaint moves the alerts"
    history.dbt(history.days[0], history.days[-1])
    full = history.marts()
    for mart in MARTS:
        differing = [
            c
            for c in full[mart].columns
            if incremental[mart].height != full[mart].height or not incremental[mart][c].equals(full[mart][c])
        ]
        assert not differing, (mart, {c: (incremental[mart][c].to_list(), full[mart][c].to_list()) for c in differing})


def test_a_recollection_returning_far_fewer_videos_is_refused_unless_forced(history):
    day = history.days[5]
    stored = history.warehouse.query(f"select count(*) as n from raw.videos where day = '{day}'")["n"][0]
    keep = {history.records(day)[0]["id"]}
    history.rewrite(lambda r: r if record_day(r) != day or r["id"] in keep else None)

    assert not history.run("collect_job", day)  # refused: the stored day stays
    after = history.warehouse.query(f"select count(*) as n from raw.videos where day = '{day}'")["n"][0]
    assert stored >= 3 and after == stored

    forced = {"ops": {"videos": {"config": {"allow_shrink": True}}}}
    assert history.run("collect_job", day, forced)
    assert history.warehouse.query(f"select video_id from raw.videos where day = '{day}'")["video_id"].to_list() == [
        str(v) for v in keep
    ]


def test_removed_videos_take_their_mentions_with_them(history):
    day = next(d for d in history.days if len(history.records(d)) >= 3)
    mentions = history.warehouse.query(
        f"select video_id, count(*) as n from raw.brand_mentions where day = '{day}' group by video_id order by n desc"
    )
    assert mentions.height, "the history day has brand mentions"
    removed, removed_mentions = str(mentions["video_id"][0]), int(mentions["n"][0])
    before = history.warehouse.query(f"select sum(mentions) as n from marts.brand_daily_metrics where day = '{day}'")

    history.rewrite(lambda r: None if str(r["id"]) == removed else r)
    assert history.run("collect_job", day)  # collection only: the enrichment tables still hold the video
    history.dbt(day, day)

    assert history.warehouse.query(f"select count(*) as n from raw.brand_mentions where video_id = '{removed}'")["n"][
        0
    ], "raw mentions are only replaced when the partition is enriched again"
    staged = history.warehouse.query(f"select * from staging.stg_brand_mentions where video_id = '{removed}'")
    assert staged.height == 0
    after = history.warehouse.query(f"select sum(mentions) as n from marts.brand_daily_metrics where day = '{day}'")
    assert int(before["n"][0]) - int(after["n"][0] or 0) == removed_mentions
