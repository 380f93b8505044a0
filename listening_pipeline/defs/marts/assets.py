"""The dbt project as Dagster assets, partitioned by day: brand metrics aggregate across hashtags.

Each run passes its partition window to dbt (``min_date``/``max_date``, see
:mod:`listening_pipeline.warehouse.dbt_build`), which the incremental models use to delete and rebuild
exactly that window.
"""

import datetime as dt
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import yaml
from dagster import (
    AssetExecutionContext,
    AssetSelection,
    AssetSpec,
    AutomationCondition,
    BackfillPolicy,
    Config,
    Failure,
    MetadataValue,
    Output,
    PartitionMapping,
    TimeWindowPartitionMapping,
    define_asset_job,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from pydantic import Field

from listening_pipeline.defs.stage import MART_FRESHNESS, WAREHOUSE_RETRY
from listening_pipeline.lib.reports import MART_VIEWS, mart_metadata
from listening_pipeline.partitions import day_partitions
from listening_pipeline.settings import DBT_PROJECT_DIR
from listening_pipeline.warehouse.dbt_build import DbtBuild, window_build
from listening_pipeline.warehouse.io_manager import WarehouseResource
from listening_pipeline.warehouse.store import DuckDBWarehouse
from listening_pipeline.warehouse.tables import ALL_TABLES
from listening_pipeline.warehouse.waits import is_transient, retry_while_locked

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


# Marts whose day D reads a trailing window of earlier days, and the dbt var (dbt_project.yml) holding
# its length in days. test_asset_graph.py checks that every mart using partition_window_with_lookback is here.
TRAILING_WINDOWS = {"brand_alerts": "alert_baseline_days", "hashtag_trends": "trend_baseline_days"}
# How far back the automation looks for changed days: the longest trailing window plus the re-collected days.
AUTOMATION_LOOKBACK_DAYS = 35


def trailing_window_days(model: str) -> int:
    """Days before day D that a mart's day D reads (0 for marts built from day D alone)."""
    var = TRAILING_WINDOWS.get(model)
    return int(_project_vars()[var]) if var else 0


@cache
def _project_vars() -> dict[str, Any]:
    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


def longest_trailing_window() -> int:
    return max(trailing_window_days(model) for model in TRAILING_WINDOWS)


@cache
def _lookback_by_parent() -> dict[str, int]:
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    names = {uid: node.get("name", "") for uid, node in {**manifest["nodes"], **manifest["sources"]}.items()}
    lookback: dict[str, int] = {}
    for parent, children in manifest["child_map"].items():
        windows = [trailing_window_days(names.get(child, "")) for child in children]
        if any(windows):
            lookback[parent] = max(windows)
    return lookback


def parent_lookback_days(parent_unique_id: str) -> int:
    """The longest trailing window of the marts that read ``parent_unique_id`` (0: none does)."""
    return _lookback_by_parent().get(parent_unique_id, 0)


# A day is rebuilt when anything it reads changed (a re-collected day, late comments, a rewritten
# record) and nothing it reads is still running. Unlike `eager()`, days other than the latest are
# considered (the daily run re-collects late days; a trailing window reaches 28 days forward) and a
# hashtag partition that was never collected for a day does not block the day forever.
REBUILD_CHANGED_DAYS = (
    AutomationCondition.in_latest_time_window(lookback_delta=dt.timedelta(days=AUTOMATION_LOOKBACK_DAYS))
    & AutomationCondition.any_deps_updated().since_last_handled()
    & ~AutomationCondition.any_deps_in_progress()
    & ~AutomationCondition.in_progress()
).with_label("rebuild_changed_days")


class ListeningDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return f"dbt_{fqn[1]}" if len(fqn) > 2 else "dbt"

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        # schema.table as BI tools name it on every target (dagster-dbt's default adds the database,
        # which is the DuckDB file's name on one target and the PostgreSQL database on the other).
        name = f"{props['schema']}.{props.get('alias') or props['name']}"
        spec = spec.merge_attributes(metadata={"dagster/table_name": name})
        # The marts BI tools read must be rebuilt every morning after the daily run.
        is_mart = "marts" in props.get("fqn", [])[1:2]
        return spec.replace_attributes(freshness_policy=MART_FRESHNESS) if is_mart else spec

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> AutomationCondition | None:
        return REBUILD_CHANGED_DAYS

    def get_partition_mapping(
        self, dbt_resource_props: Mapping[str, Any], dbt_parent_resource_props: Mapping[str, Any]
    ) -> PartitionMapping | None:
        # Day D of a trailing-window mart reads its parents' days D-N..D: a change to any of them makes
        # day D stale, so late data on day D rebuilds every later day whose window holds D. Dagster
        # allows one mapping per parent within the dbt assets, so a parent read by several trailing
        # marts gets the longest window (its other children are rebuilt a little more often than needed).
        window = parent_lookback_days(dbt_parent_resource_props.get("unique_id", ""))
        return TimeWindowPartitionMapping(start_offset=-window) if window else None


# Daily builds run the data tests on the rebuilt days only (dbt/macros/test_window.sql); this run tag, or
# the op config below, tests the whole history.
FULL_TESTS_TAG = "listening_pipeline/full_tests"


class DbtBuildConfig(Config):
    full_tests: bool = Field(
        default=False, description="Run the dbt data tests over every day, not only the rebuilt window."
    )


def partition_build(context: AssetExecutionContext, full_tests: bool = False) -> DbtBuild:
    window = context.partition_time_window
    full = full_tests or context.run.tags.get(FULL_TESTS_TAG, "").lower() == "true"
    return window_build(window.start.date(), window.end.date(), full_tests=full)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    partitions_def=day_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    retry_policy=WAREHOUSE_RETRY,
    dagster_dbt_translator=ListeningDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_code_references=True)
    ),
)
def dbt_models(
    context: AssetExecutionContext, config: DbtBuildConfig, dbt: DbtCliResource, warehouse: WarehouseResource
):
    store = warehouse.get(log=context.log.warning)
    window = context.partition_time_window
    first, last = window.start.date(), window.end.date() - dt.timedelta(days=1)
    command = partition_build(context, config.full_tests)

    def build() -> tuple[list[Any], BaseException | None]:
        store.ensure_tables(ALL_TABLES.values())  # waits for the DuckDB lock like every writer
        # The events are collected before the marts are read for metadata: DuckDB has one writer and
        # dbt holds the file until it exits, while dbt blocks once its stdout pipe is full; reading
        # between events would wait on the lock forever (a deadlock once dbt prints over 64 KiB).
        with warehouse.dbt_environment(command.env):
            invocation = dbt.cli(command.args, context=context, raise_on_error=False)
            # Column types and column lineage, read through dbt's adapter once dbt has exited (DuckDB's
            # lock); a failure to read them is logged and leaves the materialization without them.
            stream = invocation.stream()
            try:
                events = list(stream)  # blocks on dbt's output until dbt exits
                if _manifest_fits(warehouse.kind):
                    # Attached once dbt has exited: dagster-dbt's attaching thread pool polls without sleeping
                    # while it waits for events, and a build it waits on runs with one CPU core fewer.
                    events = list(type(stream)(iter(events), invocation).fetch_column_metadata())
            finally:
                _close_adapter(invocation.adapter)
        if invocation.is_successful():
            return events, None
        return events, invocation.get_error() or RuntimeError("dbt build failed")

    # dbt fails at once ("Could not set lock on file") while another process holds the DuckDB file:
    # the build is repeated with the writers' backoff up to the lock timeout, logging who holds it.
    # A locked build wrote nothing, and every model rebuilds exactly its window, so nothing doubles.
    lock_wait = store.lock_wait(context.log.warning) if isinstance(store, DuckDBWarehouse) else None
    events, error = retry_while_locked(build, lock_wait)
    for event in events:
        if isinstance(event, Output):
            mart = context.asset_key_for_output(event.output_name).path[-1]
            if mart in MART_VIEWS:
                event = event.with_metadata({**event.metadata, **_ui_metadata(mart_metadata(store, mart, first, last))})
        yield event
    if error is not None and not is_transient(error):
        # A failing dbt test or SQL error fails the same way again: no RetryPolicy retries.
        raise Failure(description=str(error), allow_retries=False) from error
    if error is not None:
        raise error


@cache
def _manifest_fits(warehouse_kind: str) -> bool:
    """Whether dagster-dbt can read columns with this manifest: it addresses each relation by the database
    recorded when the manifest was parsed, so a manifest parsed for DuckDB (the default) names a database
    PostgreSQL refuses ("cross-database references are not implemented"). Parse for PostgreSQL there."""
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    return bool(manifest.get("metadata", {}).get("adapter_type") == warehouse_kind)


def _close_adapter(adapter: Any) -> None:
    """Close the connection the column metadata was read through. dbt-duckdb keeps its DuckDB file open
    for the life of the process (``keep_open``), and any later open of the file from this process (the
    mart metadata below, a retry, the next in-process run) would fail on "a different configuration"."""
    if adapter is None:
        return
    adapter.cleanup_connections()
    if adapter.type() == "duckdb":
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        try:
            DuckDBConnectionManager.env().close()
        except Exception:  # no environment was created: nothing is open
            pass
        DuckDBConnectionManager.close_all_connections()


# Dagster's standard keys for a partitioned table: rows of the materialized days, rows of the whole table.
STANDARD_KEYS = {"rows_in_window": "dagster/partition_row_count", "rows_total": "dagster/row_count"}


def _ui_metadata(plain: dict[str, Any]) -> dict[str, MetadataValue]:
    """Row counts as numbers under Dagster's keys, the preview and the chart as Markdown the UI renders."""
    typed: dict[str, MetadataValue] = {}
    for name, value in plain.items():
        if isinstance(value, int):
            typed[STANDARD_KEYS.get(name, name)] = MetadataValue.int(value)
        else:  # the preview and the chart: Markdown the UI renders
            typed[name] = MetadataValue.md(value)
    return typed


dbt_day_job = define_asset_job(
    "dbt_day_job",
    selection=AssetSelection.assets(dbt_models) | AssetSelection.keys("evidence_reports"),
    description="Build the dbt models for a day (or a range, in one run), then the evidence report of each alert.",
)
