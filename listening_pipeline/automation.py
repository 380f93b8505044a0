"""Schedules and sensors: new catalog hashtags become partitions; each day collects the late days again.

New videos reach the Research API about two days after they are posted, so the daily run
collects the last complete day and re-collects the two days before it. dbt models follow
on their own (eager automation conditions in :mod:`listening_pipeline.assets.dbt`). New rows
of ``marts.brand_alerts`` go to the alert webhook once each (:func:`brand_alert_sensor`).
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

from listening_pipeline.alerts import Delivery, webhook_host
from listening_pipeline.catalog import CatalogError
from listening_pipeline.execution import collect_run_tags, model_run_tags
from listening_pipeline.partitions import hashtag_partitions, partition_key
from listening_pipeline.resources.alerts import AlertWebhookResource
from listening_pipeline.resources.sources import CatalogResource
from listening_pipeline.resources.warehouse import WarehouseResource
from listening_pipeline.settings import ALERT_WEBHOOK_ENV, Settings

RECOLLECT_DAYS = 2
HASHTAG_DAY_GROUPS = ("collect", "enrich")
# Run tags that dagster.yaml's `concurrency.runs.tag_concurrency_limits` count (docs/scaling.md).
# Set as job `tags` (which also tag every run), not `run_tags`: job backfills (`dagster job
# backfill`, the UI's job backfills) copy only the job's definition tags onto their runs.
COLLECT_RUN_TAGS = collect_run_tags(Settings.from_env().source)
HASHTAG_DAY_RUN_TAGS = {**COLLECT_RUN_TAGS, **model_run_tags()}

hashtag_day_job = define_asset_job(
    "hashtag_day_job",
    selection=AssetSelection.groups(*HASHTAG_DAY_GROUPS),
    description="Collect and enrich one hashtag x day.",
    tags=HASHTAG_DAY_RUN_TAGS,
)
collect_job = define_asset_job(
    "collect_job",
    selection=AssetSelection.groups("collect"),
    description="Only collect one hashtag x day: videos, comments and media, no enrichment.",
    tags=COLLECT_RUN_TAGS,
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
    tags=model_run_tags(),
)


def days_to_collect(scheduled_for: dt.datetime) -> list[dt.date]:
    """The last complete UTC day before ``scheduled_for`` and the RECOLLECT_DAYS days before it."""
    last_complete = scheduled_for.astimezone(dt.UTC).date() - dt.timedelta(days=1)
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
                tags={"listening_pipeline/trigger": "daily_collection", **HASHTAG_DAY_RUN_TAGS},
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


@sensor(
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        f"Posts each new row of marts.brand_alerts once to the alert webhook ({ALERT_WEBHOOK_ENV}) as Slack JSON; "
        "raw.alert_deliveries is the ledger."
    ),
)
def brand_alert_sensor(
    context: SensorEvaluationContext, alert_webhook: AlertWebhookResource, warehouse: WarehouseResource
):
    if not alert_webhook.configured:
        return SkipReason(
            f"no alert webhook configured: set {ALERT_WEBHOOK_ENV} to a Slack-compatible incoming-webhook URL "
            "where the code server runs (docker/.env), then reload the code location"
        )
    host = webhook_host(alert_webhook.url.strip())

    def log(delivery: Delivery) -> None:
        alert, outcome = delivery.alert, delivery.outcome
        what = f"brand alert {alert.brand} {alert.day.isoformat()} ({', '.join(alert.reasons) or 'no reason'}; id {alert.alert_id})"
        if outcome.ok:
            context.log.info(f"{what} delivered to {host} after {outcome.attempts} attempt(s)")
        elif outcome.refused:
            context.log.warning(f"{what} refused by {host}, tried again next tick: {outcome.error}")
        else:
            context.log.warning(
                f"{what} not delivered to {host} after {outcome.attempts} attempt(s), pending: {outcome.error}"
            )

    report = alert_webhook.deliver(warehouse.get(), on_delivery=log)
    old = (
        f"; {report.too_old} undelivered alert(s) older than {alert_webhook.max_age_days} days not sent"
        if report.too_old
        else ""
    )
    if not report.delivered and not report.failed:
        return SkipReason(f"no new brand alerts{old}")
    if report.stopped:
        (context.log.warning if report.failed else context.log.info)(f"alert batch stopped early: {report.stopped}")
    return SkipReason(
        f"{len(report.delivered)} brand alert(s) delivered to {host}, {len(report.failed)} failed, "
        f"{report.left} pending{old}"
    )
