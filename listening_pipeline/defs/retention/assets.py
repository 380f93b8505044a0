"""The retention purge as an asset, the check that nothing past the window remains, its job and schedule.

The logic is lib/retention.py; here it is run and reported. The schedule ships stopped: deleting data
is a decision a deployment takes by setting the windows and starting it.
"""

import datetime as dt

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetSelection,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    asset_check,
    define_asset_job,
)

from listening_pipeline.defs.resources import MediaStoreResource, RetentionResource
from listening_pipeline.lib import retention as rt
from listening_pipeline.warehouse.io_manager import WarehouseResource

RETENTION_CRON = "30 5 * * *"  # daily, before the collection schedule's default 06:00 UTC


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
    return MaterializeResult(
        metadata={
            **_window(cutoffs),
            "partitions_rewritten": done.partitions,
            "media_files_deleted": done.files,
            "rows_rewritten": MetadataValue.json(done.rows or {}),
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
