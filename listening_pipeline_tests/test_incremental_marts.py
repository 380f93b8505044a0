"""Marts built a day at a time hold what a full refresh of the same history holds.

User story: the daily run lands a new day's raw rows and Dagster builds dbt for that day alone
(``--vars {min_date, max_date}``); weeks later an analytics engineer runs a full refresh. Every
mart must come out the same, including the trailing-window ones (alerts, co-hashtag trends)
whose day reads earlier days. The history is test_brand_marts' synthetic days up to its planted
spike, which lands on the day built alone, and a catalog whose campaigns change before that day.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from listening_pipeline.warehouse import DuckDBWarehouse
from listening_pipeline.warehouse.tables import ALL_TABLES, BRANDS, CAMPAIGNS, VIDEO_STATS_SNAPSHOTS
from listening_pipeline_tests.marts import MART_KEYS
from listening_pipeline_tests.test_brand_marts import SPIKE, TREND_DAYS, Dbt, day, read_mart, synthetic_raw_tables


def _land_day(store: DuckDBWarehouse, raw: dict[str, pl.DataFrame], when: dt.date) -> None:
    """The day's rows as the daily run writes them: one partition write per tracked hashtag and table."""
    videos_of_the_day = raw[VIDEO_STATS_SNAPSHOTS.name].filter(
        pl.col("video_id").is_in(raw["videos"].filter(pl.col("day") == when)["video_id"].to_list())
    )
    store.upsert_rows(VIDEO_STATS_SNAPSHOTS, videos_of_the_day)  # each collection observes its videos' counts
    for name, frame in raw.items():
        if not ALL_TABLES[name].partitioned:
            continue  # the catalog's tables (brands, campaigns) are written before the days; snapshots above
        rows = frame.filter(pl.col("day") == when)
        for hashtag in rows["hashtag"].unique():
            store.replace_partition(
                ALL_TABLES[name], rows.filter(pl.col("hashtag") == hashtag), hashtag=hashtag, day=when
            )


@pytest.mark.timeout(600)
def test_marts_built_day_by_day_equal_a_full_refresh(tmp_path):
    store = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    raw = synthetic_raw_tables()
    store.ensure_tables(ALL_TABLES.values())
    for catalog_table in (BRANDS, CAMPAIGNS):
        store.replace_table(catalog_table, raw[catalog_table.name])
    dbt = Dbt(store.path, tmp_path)
    dbt("seed")  # `dbt run` builds no seeds; the pipeline's `dbt build` does (the first-party sample)

    # The first backfill: every day up to the one before the spike, in one window; then the spike's day alone.
    # (`dbt run`: the marts' rows are the point here; the asset's `dbt build` adds the data tests.)
    for index in range(SPIKE):
        _land_day(store, raw, day(index))
    dbt("run", window=(day(0), day(SPIKE)))
    # Before the next day the catalog changes: Alpha's campaign now starts on day 11 (after its day-10
    # video), and a new campaign on the same hashtag started on day 0. The next day's build alone must
    # count both over their past days, as a full refresh does.
    store.replace_table(CAMPAIGNS, _campaigns_changed(raw[CAMPAIGNS.name]))
    _land_day(store, raw, day(SPIKE))
    dbt("run", window=(day(SPIKE), day(SPIKE + 1)))
    incremental = {mart: read_mart(store, mart) for mart in MART_KEYS}

    dbt("run", "--full-refresh")
    for mart, built in incremental.items():
        assert_frame_equal(built, read_mart(store, mart), abs_tol=1e-9, check_exact=False)
    # Not an empty match: the day built alone has the planted alert, and every day has metrics.
    assert incremental["brand_alerts"].select("day", "brand").rows() == [(day(SPIKE), "Alpha")]
    assert incremental["hashtag_daily_metrics"]["day"].n_unique() == SPIKE + 1
    campaign_videos = dict(incremental["campaign_performance"].group_by("campaign").agg(pl.col("videos").sum()).rows())
    moved = incremental["campaign_performance"].filter(pl.col("campaign") == "Alpha Pumpkin")
    assert moved["day"].min() == day(11) and campaign_videos["Alpha Pumpkin"] == TREND_DAYS[12] + TREND_DAYS[SPIKE]
    # Days 10 and 12 were built before the campaign existed.
    assert campaign_videos["Alpha Early"] == TREND_DAYS[10] + TREND_DAYS[12]


def _campaigns_changed(campaigns: pl.DataFrame) -> pl.DataFrame:
    alpha = campaigns.filter(pl.col("campaign") == "Alpha Pumpkin")
    early = alpha.with_columns(campaign=pl.lit("Alpha Early"), start_day=pl.lit(day(0)), end_day=pl.lit(day(12)))
    return pl.concat(
        [
            campaigns.with_columns(
                start_day=pl.when(pl.col("campaign") == "Alpha Pumpkin")
                .then(pl.lit(day(11)))
                .otherwise(pl.col("start_day"))
            ),
            early,
        ]
    )
