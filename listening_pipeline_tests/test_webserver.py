"""What a user sees in the Dagster UI is what the README promises.

`make dev` serves workspace.yaml with the Dagster webserver; here the same webserver runs on the
session's instance, after the sample was collected into it, and its GraphQL API (what the browser
reads) is asked for every asset, partition, asset check, job, schedule and sensor the README names,
and whether the sample's partitions show as materialized. The names come from the README itself
(its asset and mart tables, its automation paragraphs), the partitions from the sample corpus.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from listening_pipeline.partitions import partition_key
from listening_pipeline.webserver import Webserver, running_webserver

README = Path(__file__).resolve().parents[1] / "README.md"
# Named in the README's prose rather than its tables: the collected assets, and the automation.
PROSE_ASSETS = ("videos", "comments", "brands")
README_JOBS = ("hashtag_day_job", "models_job")
README_SCHEDULES = ("daily_collection",)
README_SENSORS = ("catalog_sensor", "brand_alert_sensor", "logo_detector_sensor", "marts_after_retention")

ASSET_NODES = """
query {
  assetNodes {
    assetKey { path }
    partitionDefinition { type dimensionTypes { name type dynamicPartitionsDefinitionName } }
    assetChecksOrError { ... on AssetChecks { checks { name executionForLatestMaterialization { status } } } }
  }
}
"""
REPOSITORY = """
query {
  repositoriesOrError { ... on RepositoryConnection { nodes {
    name
    location { name }
    jobs { name }
    schedules { name cronSchedule executionTimezone scheduleState { status } }
    sensors { name sensorState { status } }
  } } }
}
"""
PARTITIONS = """
query ($path: [String!]!, $keys: [String!]!) {
  assetNodeOrError(assetKey: { path: $path }) {
    ... on AssetNode {
      partitionKeysByDimension { name partitionKeys }
      latestMaterializationByPartition(partitions: $keys) { partition runId }
    }
  }
}
"""
LATEST = """
query ($path: [String!]!) { assetNodeOrError(assetKey: { path: $path }) {
  ... on AssetNode { assetMaterializations(limit: 1) { runId } } } }
"""


def _readme_table(first_cell: str) -> dict[str, str]:
    """The backticked names in the first column of the README table whose header starts with
    ``first_cell``, each with its row (the row says which raw table the asset writes)."""
    names: dict[str, str] = {}
    in_table = False
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if not cells:
            in_table = False
        elif cells[0].startswith(first_cell):
            in_table = True
        elif in_table and not set(cells[0]) <= set("-: "):
            names.update({name: line for name in re.findall(r"`([a-z_]+)`", cells[0])})
    assert names, f"README.md has no table headed {first_cell!r}"
    return names


def _readme_assets() -> dict[str, str]:
    """Every asset the README names -> the README text that names it."""
    text = README.read_text(encoding="utf-8")
    for name in (*PROSE_ASSETS, *README_JOBS, *README_SCHEDULES, *README_SENSORS):
        assert re.search(rf"\b{name}\b", text), f"README.md no longer mentions {name}: update this test"
    stages = _readme_table("asset")
    marts = {f"marts/{name}": row for name, row in _readme_table("mart (schema").items()}
    return {**{name: f"collected {name}" for name in PROSE_ASSETS}, **stages, **marts}


@pytest.fixture(scope="module")
def webserver(collected_sample) -> Iterator[Webserver]:
    """The webserver `make dev` runs, on the session's instance (DAGSTER_HOME and data dir from conftest).
    It must serve the code location within STARTUP_TIMEOUT_S, or the test fails with its output's tail."""
    with running_webserver() as server:
        yield server
    assert server.process.poll() is not None, "the webserver outlived the test"


def _nodes(webserver: Webserver) -> dict[str, dict]:
    return {"/".join(n["assetKey"]["path"]): n for n in webserver.graphql(ASSET_NODES)["assetNodes"]}


def test_the_ui_lists_every_asset_and_check_the_readme_describes(webserver):
    nodes = _nodes(webserver)
    readme = _readme_assets()
    missing = sorted(set(readme) - set(nodes))
    assert not missing, f"README names assets the UI does not show: {missing}"

    def checks(name: str) -> dict[str, dict]:
        return {c["name"]: c for c in nodes[name]["assetChecksOrError"]["checks"]}

    # "Each asset validates the rows it writes with a Great Expectations suite ..., shown as an asset check":
    # every asset writing a raw table of its own name, per hashtag x day.
    writers = [name for name, row in readme.items() if f"raw.{name}" in row or name in ("videos", "comments")]
    assert {"videos", "comments", "media", "transcripts", "brand_mentions"} <= set(writers)
    for name in writers:
        assert "great_expectations" in checks(name), f"{name}: no Great Expectations check in the UI"
        dims = nodes[name]["partitionDefinition"]["dimensionTypes"]
        assert {(d["name"], d["type"]) for d in dims} == {("day", "TIME_WINDOW"), ("hashtag", "DYNAMIC")}, name
    # "`videos` and `media` also report their quarantine rate".
    assert "quarantine_rate" in checks("videos") and "quarantine_rate" in checks("media")
    # "the dbt tests show as asset checks in Dagster": every mart the README lists has its tests there.
    for name in (n for n in readme if n.startswith("marts/")):
        assert any(check.startswith(("not_null_", "unique", "between_")) for check in checks(name)), name
    # The collected assets' checks ran with their latest materialization and have an outcome.
    for name in ("videos", "comments"):
        execution = checks(name)["great_expectations"]["executionForLatestMaterialization"]
        assert execution and execution["status"] in {"SUCCEEDED", "FAILED"}, f"{name}: {execution}"


def test_the_ui_shows_the_jobs_schedule_and_sensors_switched_on(webserver, settings):
    (repository,) = webserver.graphql(REPOSITORY)["repositoriesOrError"]["nodes"]
    assert repository["location"]["name"] == "listening_pipeline.definitions"  # workspace.yaml's module
    assert set(README_JOBS) <= {job["name"] for job in repository["jobs"]}

    schedules = {s["name"]: s for s in repository["schedules"]}
    assert set(README_SCHEDULES) <= set(schedules)
    daily = schedules["daily_collection"]
    # "The daily schedule (`daily_collection`, 06:00 UTC)", "on from the start".
    assert (daily["cronSchedule"], daily["executionTimezone"]) == (settings.daily_cron, "UTC")
    assert daily["scheduleState"]["status"] == "RUNNING"

    sensors = {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]}
    assert {name: sensors.get(name) for name in README_SENSORS} == dict.fromkeys(README_SENSORS, "RUNNING")


def test_every_collected_sample_partition_shows_as_materialized(webserver, collected_sample):
    keys = sorted(str(partition_key(hashtag, day)) for hashtag, day in collected_sample)
    hashtags = {hashtag for hashtag, _ in collected_sample}
    days = sorted({day.isoformat() for _, day in collected_sample})
    for asset in ("videos", "comments"):
        node = webserver.graphql(PARTITIONS, {"path": [asset], "keys": keys})["assetNodeOrError"]
        dims = {d["name"]: set(d["partitionKeys"]) for d in node["partitionKeysByDimension"]}
        assert hashtags <= dims["hashtag"], f"{asset}: hashtag partitions {sorted(dims['hashtag'])}"
        assert set(days) <= dims["day"], f"{asset}: the sample's days are not all day partitions"
        latest = dict(zip(keys, node["latestMaterializationByPartition"]))
        unmaterialized = sorted(key for key, event in latest.items() if event is None)
        assert not unmaterialized, f"{asset}: the UI shows these sample partitions unmaterialized: {unmaterialized}"
        assert all(event["partition"] == key for key, event in latest.items())

    # dbt built every sample day: each mart the README lists shows each of those days materialized.
    for mart in (name for name in _readme_assets() if name.startswith("marts/")):
        node = webserver.graphql(PARTITIONS, {"path": mart.split("/"), "keys": days})["assetNodeOrError"]
        unmaterialized = [day for day, event in zip(days, node["latestMaterializationByPartition"]) if event is None]
        assert not unmaterialized, f"{mart}: the UI shows these sample days unmaterialized: {unmaterialized}"

    # The catalog job loaded the brands table (unpartitioned).
    brands = webserver.graphql(LATEST, {"path": ["brands"]})["assetNodeOrError"]["assetMaterializations"]
    assert brands, "brands: never materialized according to the UI"
