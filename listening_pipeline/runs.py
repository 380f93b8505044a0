"""Runs in this process on the real Dagster instance: hashtag x day partitions, then dbt over their days.

What `listening-pipeline backfill` and `demo` do, and what the tests and benches reuse; the daemon,
the UI and `dagster job backfill` run the same jobs through the instance's run coordinator.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from listening_pipeline.progress import StepProgress, progress_line
from listening_pipeline.queries import parse_query
from listening_pipeline.settings import Settings

__all__ = ["progress_line", "run_partitions", "run_dbt_days", "dbt_days_for", "open_instance", "open_warehouse"]

DAGSTER_YAML_HEADER = "# Written by listening-pipeline for the embedded default (SQLite storage under this folder)."
DAGSTER_YAML = f"""\
{DAGSTER_YAML_HEADER}
# Delete the header line above to keep your own edits; otherwise this file follows the settings.
# Run monitoring (`dagster dev` runs the daemon that applies it): a run still going after
# max_runtime_seconds (LISTENING_PIPELINE_MAX_RUN_SECONDS) is ended and its concurrency slots freed;
# a run sets its own limit with the tag dagster/max_runtime.
run_monitoring:
  enabled: true
  start_timeout_seconds: 300
  cancel_timeout_seconds: 180
  max_runtime_seconds: {{max_run_seconds}}
  free_slots_after_run_end_seconds: 300
telemetry:
  enabled: false
"""


def dagster_yaml(settings: Settings) -> str:
    """The embedded instance's dagster.yaml for these settings."""
    return DAGSTER_YAML.format(max_run_seconds=int(settings.max_run_seconds))


def ensure_dagster_home(settings: Settings) -> Path:
    """Point DAGSTER_HOME at a folder with a dagster.yaml, creating both when missing; a dagster.yaml
    we wrote earlier (its first line is our header) is brought up to date with the settings."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = dagster_yaml(settings)
    ours = not config.exists() or config.read_text(encoding="utf-8").startswith(DAGSTER_YAML_HEADER)
    if ours and (not config.exists() or config.read_text(encoding="utf-8") != wanted):
        config.write_text(wanted, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def open_instance(settings: Settings) -> Any:
    from dagster import DagsterInstance

    ensure_dagster_home(settings)
    return DagsterInstance.get()


def open_warehouse(settings: Settings, log: Callable[[str], None] | None = None) -> Any:
    """The warehouse ``LISTENING_PIPELINE_WAREHOUSE`` names, outside any Dagster run (CLI, backfills).

    The resource takes the PostgreSQL password through ``EnvVar``, which resolves only inside a run:
    here it is read from the environment (unset: libpq's own PGPASSWORD or ~/.pgpass apply).
    ``log`` receives "waiting for the DuckDB lock held by ..." while a connection waits.
    """
    from listening_pipeline.defs.resources import warehouse_resource

    resource = warehouse_resource(settings)
    if resource.kind == "postgres":
        resource = resource.model_copy(update={"pg_password": os.environ.get("LISTENING_PIPELINE_PG_PASSWORD", "")})
    return resource.get(log=log)


def _lock_notice(message: str) -> None:
    print(f"note: {message}", file=sys.stderr, flush=True)


def run_partitions(
    settings: Settings,
    partitions: Sequence[tuple[str, dt.date]],
    *,
    with_dbt: bool = True,
    collect_only: bool = False,
    assets: Sequence[str] | None = None,
    title: str = "backfill",
) -> bool:
    """Materialize hashtag x day partitions in this process, then dbt for their days; True if all succeeded.

    ``assets`` limits each partition's run to these assets of the hashtag x day job (the rest of the
    partition is read from the warehouse as stored): ``["brand_mentions"]`` re-matches without any model.
    Progress (n/N, elapsed, ETA) is a bar on a terminal and one line per step otherwise.
    """
    from dagster import AssetKey

    from listening_pipeline.definitions import defs
    from listening_pipeline.partitions import partition_key

    instance = open_instance(settings)
    # Warnings and errors on the console (quarantined items, failures); the full log is in the UI.
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    add_hashtag_partitions(instance, sorted({h for h, _ in partitions}))
    definitions = defs()
    # What is loaded now lives as long as the process: out of the collector's sight, a full collection no
    # longer walks it (0.3 s, once or twice a partition, about a tenth of a re-run of an unchanged day).
    gc.freeze()
    setup = ["catalog_job"] + ([] if collect_only or assets is not None else ["models_job"])
    labels = {"catalog_job": "brand catalog", "models_job": "models (logo detector)"}
    selection = [AssetKey(name) for name in assets] if assets is not None else None
    ok = True
    with StepProgress(len(setup) + len(partitions) + (1 if with_dbt and partitions else 0), title) as progress:
        for name in setup:
            progress.upcoming(labels[name])
            success = (
                definitions.resolve_job_def(name)
                .execute_in_process(instance=instance, run_config=quiet, raise_on_error=False)
                .success
            )
            progress.step(labels[name], success)
            ok &= success
        job = definitions.resolve_job_def("collect_job" if collect_only else "hashtag_day_job")
        for hashtag, day in partitions:
            label = f"{day} {parse_query(hashtag).label}"
            progress.upcoming(label)
            result = job.execute_in_process(
                instance=instance,
                partition_key=partition_key(hashtag, day),
                run_config=quiet,
                raise_on_error=False,
                asset_selection=selection,
            )
            progress.step(label, result.success)
            ok &= result.success
        if with_dbt and partitions:
            first, last = dbt_days_for(sorted({d for _, d in partitions}), last_collected_day(settings))
            progress.upcoming(f"dbt {first}..{last}")
            result = run_dbt_days(instance, first, last, run_config=quiet)
            progress.step(f"dbt {first}..{last}", result.success)
            ok &= result.success
    return ok


def dbt_days_for(days: Sequence[dt.date], last_collected: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The days dbt must rebuild after ``days`` changed: those days and every later day whose
    trailing window (alerts, trends) reads one of them, up to the last collected day (later days
    have no rows to change) and the last daily partition."""
    from listening_pipeline.defs.marts.assets import longest_trailing_window
    from listening_pipeline.partitions import day_partitions

    last = max(days) + dt.timedelta(days=longest_trailing_window())
    latest = day_partitions.get_last_partition_key()
    for bound in (last_collected, dt.date.fromisoformat(latest) if latest else None):
        if bound is not None:
            last = min(last, max(max(days), bound))
    return min(days), last


def last_collected_day(settings: Settings) -> dt.date | None:
    """The latest day with any collected video in the warehouse, or None for an empty one."""
    from listening_pipeline.warehouse.tables import RAW_SCHEMA, VIDEOS

    frame = open_warehouse(settings, _lock_notice).query(
        f"select max(day) as day from {RAW_SCHEMA}.{VIDEOS.name}", missing_ok=True
    )
    return frame["day"][0] if frame.height and frame["day"][0] is not None else None


def run_dbt_days(instance, first: dt.date, last: dt.date, **kwargs):
    """One dbt run over a range of days (the dbt assets have a single-run backfill policy):
    one `dbt build` for a month costs what one day costs, and trailing-window marts see the
    whole range."""
    from listening_pipeline.definitions import defs
    from listening_pipeline.partitions import day_range_tags

    tags = day_range_tags(first, last)
    return (
        defs()
        .resolve_job_def("dbt_day_job")
        .execute_in_process(instance=instance, tags=tags, raise_on_error=False, **kwargs)
    )


def add_hashtag_partitions(instance: Any, tags: Sequence[str]) -> list[str]:
    """Add the hashtags that are not partitions yet; return those this call added.

    Two backfills started together both find a hashtag missing and both insert it: the loser's
    insert fails on the instance's unique key, which is fine when the partition now exists.
    """
    from listening_pipeline.partitions import hashtag_partitions

    known = set(instance.get_dynamic_partitions(hashtag_partitions.name))
    missing = [tag for tag in dict.fromkeys(tags) if tag not in known]
    if missing:
        try:
            instance.add_dynamic_partitions(hashtag_partitions.name, missing)
        except Exception:
            if set(missing) - set(instance.get_dynamic_partitions(hashtag_partitions.name)):
                raise
    return missing
