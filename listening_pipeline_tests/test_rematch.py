"""A user edits a brand's aliases: `listening-pipeline rematch` applies the edit to stored days, with no model rerun.

Its own data dir and Dagster instance (the catalog is edited), over one sample partition whose
videos, comments, text units and sentiment are stored by the pipeline itself (no speech or OCR:
this partition's text units come from descriptions, hashtags and comments).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from dagster import AssetKey

from listening_pipeline.cli import main as cli
from listening_pipeline.runs import open_instance, open_warehouse, run_partitions
from listening_pipeline.settings import BUNDLED_LOGO_WEIGHTS, Settings
from listening_pipeline_tests.test_rematch_automation import copy_catalog

DAY = dt.date(2026, 11, 2)
PARTITION = ("coffeetime", DAY)
STORED = ["videos", "comments", "text_units", "sentiment", "brand_mentions"]


def mentions(store) -> pl.DataFrame:
    return store.query(
        "select brand, lower(matched_text) as matched, mention_id from raw.brand_mentions"
        " where hashtag = ? and day = ?",
        list(PARTITION),
    )


def mart_mentions(store) -> dict[str, int]:
    frame = store.query(
        "select brand, sum(mentions) as n from marts.brand_daily_metrics where day = ? group by brand", [DAY]
    )
    return {brand: int(n) for brand, n in frame.iter_rows()}


def materializations(instance, asset: str) -> list[int]:
    """Storage ids of every materialization of ``asset``."""
    return [r.storage_id for r in instance.fetch_materializations(AssetKey(asset), limit=1000).records]


@pytest.fixture(scope="module")
def stored_partition(tmp_path_factory, sample_corpus):
    """A copied catalog where Mokka Mia is also called "Barista", and the sample partition stored with it."""
    tmp_path = tmp_path_factory.mktemp("rematch")
    catalog = copy_catalog(tmp_path)
    catalog.write_text(
        catalog.read_text(encoding="utf-8").replace("aliases: [MokkaMia]", "aliases: [MokkaMia, Barista]"),
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from _stored(tmp_path, catalog, sample_corpus, monkeypatch)


def _stored(tmp_path, catalog, sample_corpus, monkeypatch):
    for name, value in {
        "LISTENING_PIPELINE_DATA_DIR": tmp_path / "var",
        "DAGSTER_HOME": tmp_path / "dagster_home",
        "LISTENING_PIPELINE_CATALOG": catalog,
        "LISTENING_PIPELINE_SOURCE_FOLDER": sample_corpus,
        "LISTENING_PIPELINE_LOGO_WEIGHTS": BUNDLED_LOGO_WEIGHTS,
    }.items():
        monkeypatch.setenv(name, str(value))
    settings = Settings.from_env()
    assert run_partitions(settings, [PARTITION], assets=STORED, title="store")
    yield catalog, settings


def test_rematch_applies_an_alias_edit_to_stored_days(stored_partition, capsys):
    catalog, settings = stored_partition
    store = open_warehouse(settings)
    before = mentions(store)
    mart_before = mart_mentions(store)
    assert before.filter(pl.col("matched") == "barista").height > 0, "the old alias matched '#barista'"
    assert before.filter(pl.col("matched") == "pumpkinspice").height == 0
    instance = open_instance(settings)
    text_units_stored = materializations(instance, "text_units")
    mentions_stored = materializations(instance, "brand_mentions")

    # The user moves an alias: Mokka Mia is no longer "Barista"; Café Brisa is also "Pumpkin Spice".
    catalog.write_text(
        catalog.read_text(encoding="utf-8")
        .replace("aliases: [MokkaMia, Barista]", "aliases: [MokkaMia]")
        .replace("aliases: [Cafe Brisa, CafeBrisa]", "aliases: [Cafe Brisa, CafeBrisa, Pumpkin Spice]"),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert cli(["rematch", "--since", "2026-11-01", "--until", "2026-11-03"]) == 0
    out = capsys.readouterr().out

    after = mentions(store)
    gained = after.filter(pl.col("matched") == "pumpkinspice")
    lost = before.filter(pl.col("matched") == "barista")
    assert gained.height > 0 and set(gained["brand"]) == {"Café Brisa"}
    assert after.filter(pl.col("matched") == "barista").height == 0, "rows of the removed alias are gone"
    # Everything else was found again with the same ids.
    kept = before.filter(pl.col("matched") != "barista")
    assert set(kept["mention_id"]) == set(after.filter(pl.col("matched") != "pumpkinspice")["mention_id"])

    mart_after = mart_mentions(store)
    assert mart_after["Café Brisa"] - mart_before["Café Brisa"] == gained.height
    assert mart_before["Mokka Mia"] - mart_after["Mokka Mia"] == lost.height

    assert "re-matching 1 stored hashtag-day partition(s) from 2026-11-01 to 2026-11-03" in out
    assert f"(+{gained.height} -0)" in next(line for line in out.splitlines() if "Café Brisa" in line)
    assert f"(+0 -{lost.height})" in next(line for line in out.splitlines() if "Mokka Mia" in line)
    assert "[1/3] brand catalog: ok" in out and f"[2/3] {DAY} #coffeetime: ok" in out and "FAILED" not in out

    # Only brand_mentions ran: the stored text was read, not made again.
    assert materializations(instance, "text_units") == text_units_stored
    assert len(materializations(instance, "brand_mentions")) == len(mentions_stored) + 1


def test_rematch_of_a_window_with_nothing_stored_changes_nothing(stored_partition, capsys):
    assert cli(["rematch", "--since", "2026-10-01", "--until", "2026-10-05"]) == 0
    assert "no stored partitions from 2026-10-01 to 2026-10-05" in capsys.readouterr().out
