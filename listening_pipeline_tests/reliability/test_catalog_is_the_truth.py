"""The catalog is the truth: what brands.yaml says now is what is collected, and a file it cannot mean is refused.

* A hashtag removed from the catalog stops being scheduled and is not re-added, while its
  partition and its warehouse rows stay (history remains queryable); put back, it is collected again.
* A key written twice in any mapping, an unknown key (top level or brand) and a string where a
  list belongs are errors naming the file, the line and the key; the sensor and the schedule
  refuse such a file whole.
* The compose file and docker/.env.example define each key once (compose refuses duplicates).

(A brand's first days not alerting before its baseline has enough days is a dbt unit test:
``brand_alerts_waits_for_a_new_brands_baseline`` in dbt/models/marts/_marts__unit_tests.yml.)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dagster import SensorResult, SkipReason, build_schedule_context, build_sensor_context

from listening_pipeline.catalog import CatalogError, load_catalog, load_yaml_strict
from listening_pipeline.defs.catalog.automation import catalog_sensor
from listening_pipeline.defs.collect.automation import daily_collection
from listening_pipeline.defs.resources import CatalogResource
from listening_pipeline.partitions import HASHTAG_DIMENSION, split_partition_key
from listening_pipeline.warehouse import DuckDBWarehouse
from listening_pipeline.warehouse.tables import VIDEOS

DOCKER = Path(__file__).resolve().parents[2] / "docker"
SCHEDULED = dt.datetime(2026, 11, 22, 6, 0, tzinfo=dt.UTC)


def write_catalog(path: Path, hashtags: list[str]) -> Path:
    path.write_text(
        "hashtags: [" + ", ".join(hashtags) + "]\nbrands:\n  - name: Acme\n    competitor_group: g\n", encoding="utf-8"
    )
    return path


def sensor_tick(instance, path: Path, cursor: str | None = None):
    """One catalog_sensor evaluation whose partition requests are applied, as the daemon would."""
    context = build_sensor_context(
        instance=instance, cursor=cursor, resources={"catalog": CatalogResource(path=str(path))}
    )
    result = catalog_sensor(context)
    if isinstance(result, SensorResult):
        for request in result.dynamic_partitions_requests or []:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def scheduled_hashtags(instance, path: Path) -> set[str]:
    context = build_schedule_context(
        instance=instance, scheduled_execution_time=SCHEDULED, resources={"catalog": CatalogResource(path=str(path))}
    )
    result = daily_collection(context)
    assert not isinstance(result, SkipReason), result.skip_message
    return {split_partition_key(r.partition_key)[0] for r in result}


# --------------------------------------------------------------------------- removal


def test_a_hashtag_removed_from_the_catalog_stops_being_scheduled_and_keeps_its_history(instance, tmp_path):
    catalog = write_catalog(tmp_path / "brands.yaml", ["truthkeep", "truthdrop"])
    store = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    day = dt.date(2026, 11, 20)
    video = dict.fromkeys(VIDEOS.schema) | {
        "hashtag": "truthdrop",
        "day": day,
        "video_id": "1",
        "source": "folder",
        "created_at": dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC),
    }
    store.replace_partition(VIDEOS, VIDEOS.frame([video]), hashtag="truthdrop", day=day)
    # The session's instance (a schedule needs a persistent one): other tests' partitions are there too.
    first = sensor_tick(instance, catalog)
    assert isinstance(first, SensorResult)
    assert {"truthkeep", "truthdrop"} <= set(instance.get_dynamic_partitions(HASHTAG_DIMENSION))
    assert scheduled_hashtags(instance, catalog) == {"truthkeep", "truthdrop"}

    write_catalog(catalog, ["truthkeep"])  # the team stops tracking #truthdrop
    again = sensor_tick(instance, catalog, cursor=first.cursor)
    # The brands table is reloaded (the file changed), but nothing is added back...
    assert isinstance(again, SensorResult) and not again.dynamic_partitions_requests
    # ...the partition stays, so its runs and assets stay browsable...
    assert {"truthkeep", "truthdrop"} <= set(instance.get_dynamic_partitions(HASHTAG_DIMENSION))
    # ...and the daily schedule collects only what the catalog tracks now.
    assert scheduled_hashtags(instance, catalog) == {"truthkeep"}
    assert isinstance(sensor_tick(instance, catalog, cursor=again.cursor), SkipReason)

    # Deleting the partition too (`listening-pipeline hashtags remove truthdrop`) is honoured: nothing re-adds it.
    instance.delete_dynamic_partition(HASHTAG_DIMENSION, "truthdrop")
    assert isinstance(sensor_tick(instance, catalog, cursor=again.cursor), SkipReason)
    assert "truthdrop" not in instance.get_dynamic_partitions(HASHTAG_DIMENSION)

    # Put back in the catalog, it is a partition and collected again.
    write_catalog(catalog, ["truthkeep", "truthdrop"])
    sensor_tick(instance, catalog, cursor=again.cursor)
    assert scheduled_hashtags(instance, catalog) == {"truthkeep", "truthdrop"}

    # Its history was never touched: still queryable in the warehouse.
    assert store.read_partition(VIDEOS, hashtag="truthdrop", day=day)["video_id"].to_list() == ["1"]


# --------------------------------------------------------------------------- duplicate and unknown keys


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("hashtags: [a]\nbrands: []\nhashtags: [b]\n", 3, "duplicate key 'hashtags' (first on line 1)"),
        (
            "hashtags: [a]\nbrands:\n  - name: Fizzly\n    aliases: [Fizz]\n    competitor_group: soda\n"
            "    aliases: [Fizzly Soda]\n",
            6,
            "duplicate key 'aliases' (first on line 4)",
        ),
        ("brands:\n  - {name: Acme, name: Acme Corp}\n", 2, "duplicate key 'name'"),
        ("hashtags: [a]\nbrand: []\nbrands: []\n", 2, "unknown key 'brand' at the top level"),
        (
            "brands:\n  - name: Fizzly\n    competitor_group: soda\n    alias: [Fizz]\n",
            4,
            "unknown key 'alias' in brand 'Fizzly'",
        ),
        (
            "brands:\n  - name: Fizzly\n    aliases: Fizzly Soda\n",
            3,
            "'aliases' must be a list, not str 'Fizzly Soda' (write [Fizzly Soda])",
        ),
        ("brands:\n  - name: Fizzly\n    hashtags: fizzly\n", 3, "'hashtags' must be a list"),
        ("hashtags: summer\nbrands: []\n", 1, "'hashtags' must be a list"),
    ],
)
def test_duplicate_unknown_and_mistyped_keys_are_errors_naming_file_line_and_key(tmp_path, text, line, needle):
    path = tmp_path / "brands.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert f"{path}:{line}: " in str(caught.value)
    assert needle in str(caught.value)


def test_the_sensor_and_the_schedule_refuse_a_catalog_with_a_duplicate_key(instance, tmp_path):
    path = tmp_path / "brands.yaml"
    path.write_text("hashtags: [dupone]\nbrands:\n  - name: Acme\nhashtags: [duptwo]\n", encoding="utf-8")
    result = sensor_tick(instance, path)
    assert isinstance(result, SkipReason) and f"{path}:4: duplicate key 'hashtags'" in result.skip_message
    assert "dupone" not in instance.get_dynamic_partitions(HASHTAG_DIMENSION)
    context = build_schedule_context(
        instance=instance,
        scheduled_execution_time=SCHEDULED,
        resources={"catalog": CatalogResource(path=str(path))},
    )
    refused = daily_collection(context)
    assert isinstance(refused, SkipReason) and "duplicate key 'hashtags'" in refused.skip_message


def test_the_bundled_catalog_is_strictly_valid():
    catalog = load_catalog()
    assert catalog.brands and catalog.tracked_hashtags


def test_merge_keys_still_override_as_yaml_says():
    assert load_yaml_strict("base: &b {x: 1, y: 2}\nthis:\n  <<: *b\n  y: 3\n")["this"] == {"x": 1, "y": 3}


# --------------------------------------------------------------------------- docker


def test_the_compose_file_defines_each_key_once():
    compose = DOCKER / "docker-compose.yml"
    doc = load_yaml_strict(compose.read_text(encoding="utf-8"), str(compose))
    assert "LISTENING_PIPELINE_ALERT_WEBHOOK_URL" in doc["x-pipeline-env"]
    # The check itself: the file as it was (the key twice) is refused, naming the line.
    text = compose.read_text(encoding="utf-8")
    key = "  LISTENING_PIPELINE_ALERT_WEBHOOK_URL: ${LISTENING_PIPELINE_ALERT_WEBHOOK_URL:-}\n"
    assert text.count(key) == 1
    doubled = text.replace(key, key + key)
    line = doubled.splitlines().index(key.rstrip("\n")) + 2
    with pytest.raises(ValueError, match=rf"compose:{line}: duplicate key 'LISTENING_PIPELINE_ALERT_WEBHOOK_URL'"):
        load_yaml_strict(doubled, "compose")


def test_the_env_example_defines_each_key_once():
    keys = [
        line.split("=", 1)[0].strip()
        for line in (DOCKER / ".env.example").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#") and "=" in line
    ]
    assert keys and sorted({k for k in keys if keys.count(k) > 1}) == []
