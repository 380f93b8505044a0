"""Runs in this process on the real Dagster instance: hashtag x day partitions, then dbt over their days.

What `listening-pipeline backfill` and `demo` do, and what the tests and benches reuse; the daemon,
the UI and `dagster job backfill` run the same jobs through the instance's run coordinator.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from listening_pipeline.settings import Settings

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


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return (
        f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        if seconds >= 3600
        else (f"{seconds // 60}:{seconds % 60:02d}")
    )


def progress_line(done: int, total: int, started: float, label: str, ok: bool) -> str:
    """One line per finished step: n/N, its label and outcome, time elapsed and the estimate of what is left."""
    elapsed = time.monotonic() - started
    eta = elapsed / done * (total - done) if done else 0.0
    width = len(str(total))
    return (
        f"  [{done:>{width}}/{total}] {label}: {'ok' if ok else 'FAILED'}"
        f"  (elapsed {_clock(elapsed)}, ETA {_clock(eta) if done < total else '0:00'})"
    )


def _lock_notice(message: str) -> None:
    print(f"note: {message}", file=sys.stderr, flush=True)


def run_partitions(
    settings: Settings, partitions: Sequence[tuple[str, dt.date]], *, with_dbt: bool = True, collect_only: bool = False
) -> bool:
    """Materialize hashtag x day partitions in this process, then dbt for their days; True if all succeeded."""
    from listening_pipeline.definitions import defs
    from listening_pipeline.partitions import hashtag_partitions, partition_key

    instance = open_instance(settings)
    # Warnings and errors on the console (quarantined items, failures); the full log is in the UI.
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    known = set(instance.get_dynamic_partitions(hashtag_partitions.name))
    missing = sorted({h for h, _ in partitions} - known)
    if missing:
        instance.add_dynamic_partitions(hashtag_partitions.name, missing)
    definitions = defs()
    # Progress: one line per step (readable in CI logs), n/N with elapsed time and the ETA.
    setup = ["catalog_job"] + ([] if collect_only else ["models_job"])
    labels = {"catalog_job": "brand catalog", "models_job": "models (logo detector)"}
    total = len(setup) + len(partitions) + (1 if with_dbt else 0)
    started, done, ok = time.monotonic(), 0, True
    for name in setup:
        success = (
            definitions.resolve_job_def(name)
            .execute_in_process(instance=instance, run_config=quiet, raise_on_error=False)
            .success
        )
        done += 1
        print(progress_line(done, total, started, labels[name], success), flush=True)
        ok &= success
    job = definitions.resolve_job_def("collect_job" if collect_only else "hashtag_day_job")
    for hashtag, day in partitions:
        result = job.execute_in_process(
            instance=instance, partition_key=partition_key(hashtag, day), run_config=quiet, raise_on_error=False
        )
        done += 1
        print(progress_line(done, total, started, f"{day} #{hashtag}", result.success), flush=True)
        ok &= result.success
    if with_dbt:
        first, last = dbt_days_for(sorted({d for _, d in partitions}), last_collected_day(settings))
        result = run_dbt_days(instance, first, last, run_config=quiet)
        done += 1
        print(progress_line(done, total, started, f"dbt {first}..{last}", result.success), flush=True)
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

    # Dagster's partition-range run tags (dagster._core.storage.tags, not exported publicly).
    tags = {
        "dagster/asset_partition_range_start": first.isoformat(),
        "dagster/asset_partition_range_end": last.isoformat(),
    }
    return (
        defs()
        .resolve_job_def("dbt_day_job")
        .execute_in_process(instance=instance, tags=tags, raise_on_error=False, **kwargs)
    )
