"""The daily schedule and the jobs that collect and enrich hashtag x day partitions.

New videos reach the Research API about two days after they are posted, so the daily run
collects the last complete day and re-collects the two days before it (``LISTENING_PIPELINE_RECOLLECT_DAYS``;
the cron is ``LISTENING_PIPELINE_DAILY_CRON``). dbt models follow on
their own (eager automation conditions in :mod:`listening_pipeline.defs.marts.assets`).
"""

import datetime as dt

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
)

from listening_pipeline.catalog import CatalogError
from listening_pipeline.defs.execution import collect_run_tags, model_run_tags
from listening_pipeline.defs.resources import CatalogResource
from listening_pipeline.defs.stage import DAILY_RUN_CRON, HASHTAG_DAY_GROUPS
from listening_pipeline.partitions import HASHTAG_DIMENSION, partition_key
from listening_pipeline.settings import Settings

SETTINGS = Settings.from_env()
RECOLLECT_DAYS = SETTINGS.recollect_days  # LISTENING_PIPELINE_RECOLLECT_DAYS, default 2
# Run tags that dagster.yaml's `concurrency.runs.tag_concurrency_limits` count (docs/scaling.md).
# Set as job `tags` (which also tag every run), not `run_tags`: job backfills (`dagster job
# backfill`, the UI's job backfills) copy only the job's definition tags onto their runs.
# Job tags are fixed when the job is defined, so the source is read from the environment here.
COLLECT_RUN_TAGS = collect_run_tags(SETTINGS.source)
HASHTAG_DAY_RUN_TAGS = {**COLLECT_RUN_TAGS, **model_run_tags()}

hashtag_day_job = define_asset_job(
    "hashtag_day_job",
    # Every hashtag x day asset; the logo detector (unpartitioned) is trained by models_job.
    selection=AssetSelection.groups(*HASHTAG_DAY_GROUPS) - AssetSelection.assets("logo_detector"),
    description="Collect and enrich one hashtag x day.",
    tags=HASHTAG_DAY_RUN_TAGS,
)
collect_job = define_asset_job(
    "collect_job",
    selection=AssetSelection.groups("collect"),
    description="Only collect one hashtag x day: videos, comments and media, no enrichment.",
    tags=COLLECT_RUN_TAGS,
)


def days_to_collect(scheduled_for: dt.datetime) -> list[dt.date]:
    """The last complete UTC day before ``scheduled_for`` and the RECOLLECT_DAYS days before it."""
    last_complete = scheduled_for.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    return [last_complete - dt.timedelta(days=n) for n in range(RECOLLECT_DAYS + 1)]


@schedule(
    job=hashtag_day_job,
    cron_schedule=DAILY_RUN_CRON,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description=(
        f"Daily ({DAILY_RUN_CRON} UTC): every hashtag, keyword and creator the brand catalog tracks now, last "
        f"complete day plus the {RECOLLECT_DAYS} before it. "
        "A hashtag removed from brands.yaml is no longer collected; its partitions and rows stay for history."
    ),
)
def daily_collection(context: ScheduleEvaluationContext, catalog: CatalogResource) -> SkipReason | list[RunRequest]:
    try:
        tracked = catalog.load().tracked_queries
    except CatalogError as exc:
        context.log.error(str(exc))
        return SkipReason(f"brand catalog refused, nothing collected until it is fixed: {exc}")
    partitions = set(context.instance.get_dynamic_partitions(HASHTAG_DIMENSION))
    # The catalog is the truth: a partition whose hashtag left the catalog keeps its history but is not collected.
    hashtags = [tag for tag in tracked if tag in partitions]
    retired = sorted(partitions - set(tracked))
    if retired:
        context.log.info(f"not in the brand catalog, not collected (history kept): {', '.join(retired)}")
    waiting = [tag for tag in tracked if tag not in partitions]
    if waiting:
        context.log.info(f"in the catalog but not partitions yet (catalog_sensor adds them): {', '.join(waiting)}")
    if not hashtags:
        return SkipReason("no tracked hashtags yet: add them to brands.yaml (catalog_sensor makes them partitions)")
    scheduled_for = context.scheduled_execution_time
    return [
        RunRequest(
            run_key=f"{scheduled_for.date().isoformat()}:{partition_key(hashtag, day)}",
            partition_key=partition_key(hashtag, day),
            tags={"listening_pipeline/trigger": "daily_collection", **HASHTAG_DAY_RUN_TAGS},
        )
        for day in days_to_collect(scheduled_for)
        for hashtag in hashtags
    ]
