"""The retention purge as an asset, the check that nothing past the window remains, its job and schedule,
and the sensor that has dbt rebuild the days a purge rewrote.

The logic is lib/retention.py; here it is run and reported. The schedule ships stopped: deleting data
is a decision a deployment takes by setting the windows and starting it. The marts and the
intermediate tables dbt builds per day copy handles, comment quotes and thumbnails from the raw
tables; the days a purge rewrote are built again from the erased rows by ``dbt_day_job``, one run
over them that the sensor requests (running by default: it acts only after a purge).
"""

import datetime as dt

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    EventLogEntry,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    asset,
    asset_check,
    asset_sensor,
    define_asset_job,
)

from listening_pipeline.defs.marts.assets import dbt_day_job
from listening_pipeline.defs.resources import MediaStoreResource, RetentionResource
from listening_pipeline.lib import retention as rt
from listening_pipeline.partitions import day_range_tags
from listening_pipeline.warehouse.io_manager import WarehouseResource

RETENTION_CRON = "30 5 * * *"  # daily, before the collection schedule's default 06:00 UTC
# The purge's materialization metadata that the rebuild sensor reads (absent: no day was rewritten).
FIRST_DAY_REWRITTEN = "first_day_rewritten"
LAST_DAY_REWRITTEN = "last_day_rewritten"
REBUILD_REASON_TAG = "listening_pipeline/rebuild_reason"


def _cutoffs(settings: RetentionResource) -> rt.Cutoffs:
    # Retention counts back from the day the purge runs, not from a partition: it is unpartitioned on purpose.
    today = dt.datetime.now(dt.UTC).date()
    return rt.Cutoffs.of(today, settings.retention_days, settings.media_retention_days)


def _window(cutoffs: rt.Cutoffs) -> dict[str, str]:
    return {
        "personal data kept from": str(cutoffs.personal or "forever (LISTENING_PIPELINE_RETENTION_DAYS unset)"),
        "media kept from": str(cutoffs.media or "forever (LISTENING_PIPELINE_MEDIA_RETENTION_DAYS unset)"),
    }


@asset(
    group_name="retention",
    kinds={"python"},
    description="Erases comment text and creator handles, and deletes media, of partitions past the retention "
    "windows (LISTENING_PIPELINE_RETENTION_DAYS, LISTENING_PIPELINE_MEDIA_RETENTION_DAYS; unset: kept).",
)
def retention(
    context: AssetExecutionContext,
    retention: RetentionResource,
    warehouse: WarehouseResource,
    media_store: MediaStoreResource,
) -> MaterializeResult:
    cutoffs = _cutoffs(retention)
    if cutoffs.personal is None and cutoffs.media is None:
        context.log.info("no retention window is set: nothing is erased")
    done = rt.purge(warehouse.get(), media_store.get(), cutoffs)
    days = {FIRST_DAY_REWRITTEN: str(done.days[0]), LAST_DAY_REWRITTEN: str(done.days[-1])} if done.days else {}
    return MaterializeResult(
        metadata={
            **_window(cutoffs),
            "partitions_rewritten": done.partitions,
            "media_files_deleted": done.files,
            "rows_rewritten": MetadataValue.json(done.rows or {}),
            **days,
        }
    )


@asset_check(
    asset=retention,
    description="Counts what is still kept past the retention windows in the warehouse and the media store: "
    "comment text, comment text units, quarantined raw input, creator handles, media references and files.",
)
def nothing_past_retention(
    retention: RetentionResource, warehouse: WarehouseResource, media_store: MediaStoreResource
) -> AssetCheckResult:
    cutoffs = _cutoffs(retention)
    left = rt.remaining(warehouse.get(), media_store.get(), cutoffs)
    offending = {kind: n for kind, n in left.items() if n}
    return AssetCheckResult(
        passed=not offending,
        severity=AssetCheckSeverity.ERROR,
        description=(
            "nothing is kept past the retention windows"
            if not offending
            else "kept past the window: " + "; ".join(f"{n} x {kind}" for kind, n in offending.items())
        ),
        metadata={**_window(cutoffs), "still_kept": sum(offending.values()), **{k: n for k, n in left.items()}},
    )


retention_job = define_asset_job(
    "retention_job",
    selection=AssetSelection.assets(retention),
    description="Erase what is past the retention windows, then check that nothing is left.",
)
retention_audit_job = define_asset_job(
    "retention_audit_job",
    selection=AssetSelection.checks(nothing_past_retention),
    description="Only check that nothing is kept past the retention windows (erases nothing).",
)
retention_schedule = ScheduleDefinition(
    name="daily_retention",
    job=retention_job,
    cron_schedule=RETENTION_CRON,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.STOPPED,
    description=f"Daily ({RETENTION_CRON} UTC): the retention purge. Stopped until a deployment starts it.",
)


@asset_sensor(
    asset_key=retention.key,
    job=dbt_day_job,
    default_status=DefaultSensorStatus.RUNNING,
    description="After a purge that rewrote days, one dbt_day_job run over them: the marts and intermediate "
    "tables lose the handles, comment quotes and thumbnails the purge erased from the raw tables.",
)
def marts_after_retention(context: SensorEvaluationContext, asset_event: EventLogEntry) -> RunRequest | SkipReason:
    materialization = asset_event.asset_materialization
    metadata = materialization.metadata if materialization is not None else {}
    first, last = metadata.get(FIRST_DAY_REWRITTEN), metadata.get(LAST_DAY_REWRITTEN)
    if first is None or last is None:
        return SkipReason("the purge rewrote no day: nothing dbt built holds what it erased")
    first_day, last_day = dt.date.fromisoformat(str(first.value)), dt.date.fromisoformat(str(last.value))
    return RunRequest(
        run_key=f"retention-{asset_event.run_id}",  # one rebuild per purge, whatever the ticks
        tags={**day_range_tags(first_day, last_day), REBUILD_REASON_TAG: "retention"},
    )
