"""Schedules and sensors: new catalog hashtags become partitions; each day collects the late days again.

New videos reach the Research API about two days after they are posted, so the daily run
collects the last complete day and re-collects the two days before it. dbt models follow
on their own (eager automation conditions in :mod:`listening_pipeline.assets.dbt`).
"""

import datetime as dt
import hashlib

from dagster import (
    AddDynamicPartitionsRequest,
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from listening_pipeline.catalog import CatalogError
from listening_pipeline.partitions import hashtag_partitions, partition_key
from listening_pipeline.resources.sources import CatalogResource

RECOLLECT_DAYS = 2
HASHTAG_DAY_GROUPS = ("collect", "enrich")

hashtag_day_job = define_asset_job(
    "hashtag_day_job",
    selection=AssetSelection.groups(*HASHTAG_DAY_GROUPS),
    description="Collect and enrich one hashtag x day.",
)
collect_job = define_asset_job(
    "collect_job",
    selection=AssetSelection.groups("collect"),
    description="Only collect one hashtag x day: videos, comments and media, no enrichment.",
)
dbt_day_job = define_asset_job(
    "dbt_day_job",
    selection=AssetSelection.groups("dbt", "dbt_staging", "dbt_marts"),
    description="Build the dbt models for a day (or a range, in one run).",
)
catalog_job = define_asset_job(
    "catalog_job", selection=AssetSelection.groups("catalog"), description="Load brands.yaml into the warehouse."
)
models_job = define_asset_job(
    "models_job",
    selection=AssetSelection.groups("models"),
    description="Train the models the project builds itself (the logo detector).",
)


def days_to_collect(scheduled_for: dt.datetime) -> list[dt.date]:
    """The last complete UTC day before ``scheduled_for`` and the RECOLLECT_DAYS days before it."""
    last_complete = scheduled_for.astimezone(dt.timezone.utc).date() - dt.timedelta(days=1)
    return [last_complete - dt.timedelta(days=n) for n in range(RECOLLECT_DAYS + 1)]


@schedule(
    job=hashtag_day_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Daily at 06:00 UTC: every tracked hashtag, last complete day plus the two before it.",
)
def daily_collection(context: ScheduleEvaluationContext):
    hashtags = context.instance.get_dynamic_partitions(hashtag_partitions.name)
    if not hashtags:
        return SkipReason("no tracked hashtags yet: add them to brands.yaml or `listening-pipeline hashtags add`")
    scheduled_for = context.scheduled_execution_time
    for day in days_to_collect(scheduled_for):
        for hashtag in hashtags:
            key = partition_key(hashtag, day)
            yield RunRequest(
                run_key=f"{scheduled_for.date().isoformat()}:{key}",
                partition_key=key,
                tags={"listening_pipeline/trigger": "daily_collection"},
            )


@sensor(
    jobs=[catalog_job],
    minimum_interval_seconds=300,
    default_status=DefaultSensorStatus.RUNNING,
    description="Adds the catalog's tracked hashtags as partitions and reloads the brands table when brands.yaml changes.",
)
def catalog_sensor(context: SensorEvaluationContext, catalog: CatalogResource):
    try:
        loaded = catalog.load()
    except CatalogError as exc:
        # The whole file is refused: nothing is added until it is fixed.
        context.log.error(str(exc))
        return SkipReason(f"brand catalog refused, nothing added: {exc}")
    known = set(context.instance.get_dynamic_partitions(hashtag_partitions.name))
    new = [tag for tag in loaded.tracked_hashtags if tag not in known]
    digest = hashlib.sha256(loaded.path.read_bytes()).hexdigest()
    run_requests = [] if digest == context.cursor else [RunRequest(run_key=digest, job_name=catalog_job.name)]
    if not new and not run_requests:
        return SkipReason("catalog unchanged")
    if new:
        context.log.info(f"adding hashtag partitions: {', '.join(new)}")
    return SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[AddDynamicPartitionsRequest(hashtag_partitions.name, new)] if new else [],
        cursor=digest,
    )
