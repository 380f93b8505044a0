"""After a catalog edit changes what matches, the automation re-matches recent stored days, and only those."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from dagster import AssetKey, AssetMaterialization, DagsterInstance, evaluate_automation_conditions

from listening_pipeline.catalog import load_catalog
from listening_pipeline.definitions import defs
from listening_pipeline.partitions import HASHTAG_DIMENSION, partition_key
from listening_pipeline.settings import REMATCH_DAYS

MENTIONS = AssetKey("brand_mentions")
NOW = dt.datetime.now(dt.UTC)
TODAY = NOW.date()


def copy_catalog(folder: Path) -> Path:
    """The bundled catalog and its logo files, copied where a test may edit them."""
    bundled = load_catalog().path
    shutil.copytree(bundled.parent / "logos", folder / "logos")
    return Path(shutil.copy(bundled, folder / "brands.yaml"))


@pytest.fixture
def automation(tmp_path, monkeypatch):
    """An instance with stored brand_mentions partitions, a copied catalog the code location reads,
    and a function that loads the catalog's matching fields and evaluates the automation once."""
    catalog = copy_catalog(tmp_path)
    monkeypatch.setenv("LISTENING_PIPELINE_CATALOG", str(catalog))
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(HASHTAG_DIMENSION, ["stored", "never_collected"])
        for day in (TODAY - dt.timedelta(days=3), TODAY - dt.timedelta(days=REMATCH_DAYS + 20)):
            instance.report_runless_asset_event(AssetMaterialization(MENTIONS, partition=partition_key("stored", day)))
        definitions = defs()
        cursor = None

        def load_catalog_then_evaluate() -> set[str]:
            nonlocal cursor
            result = definitions.resolve_job_def("catalog_job").execute_in_process(
                instance=instance, asset_selection=[AssetKey("brand_matching")]
            )
            assert result.success
            evaluated = evaluate_automation_conditions(
                definitions, instance, asset_selection=None, evaluation_time=NOW, cursor=cursor
            )
            cursor = evaluated.cursor
            return {str(key) for key in evaluated.get_requested_partitions(MENTIONS)}

        yield catalog, load_catalog_then_evaluate


def test_an_alias_change_rematches_stored_partitions_in_the_window_only(automation):
    catalog, load_then_evaluate = automation
    load_then_evaluate()  # the first version the automation sees
    assert load_then_evaluate() == set(), "an unchanged catalog re-matches nothing"

    catalog.write_text(
        catalog.read_text(encoding="utf-8").replace("competitor_group: coffee", "competitor_group: hot_drinks"),
        encoding="utf-8",
    )
    assert load_then_evaluate() == set(), "a field the matcher does not read re-matches nothing"

    catalog.write_text(
        catalog.read_text(encoding="utf-8").replace("aliases: [MokkaMia]", "aliases: [MokkaMia, Mokka]"),
        encoding="utf-8",
    )
    in_window = str(partition_key("stored", TODAY - dt.timedelta(days=3)))
    assert load_then_evaluate() == {in_window}
    assert load_then_evaluate() == set(), "once re-matched, nothing more until the next change"


def test_the_fingerprint_follows_what_matches_and_nothing_else():
    from dataclasses import replace

    from listening_pipeline.defs.catalog.matching import matching_fingerprint

    brands = load_catalog().brands
    same = matching_fingerprint(brands)
    assert matching_fingerprint(tuple(reversed(brands))) == same, "listing order is not matching"
    assert matching_fingerprint([replace(b, logos=()) for b in brands]) == same, "logos are the detector's"
    moved = [replace(b, aliases=(*b.aliases, "Mokka")) if b.name == "Mokka Mia" else b for b in brands]
    assert matching_fingerprint(moved) != same
    assert matching_fingerprint(brands, 0.8) != matching_fingerprint(brands, 0.9), "the tolerant-match threshold"
