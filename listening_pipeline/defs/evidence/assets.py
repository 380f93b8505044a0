"""The evidence report of every alert: one HTML page per alerting brand and day, written after the marts.

The page itself is framework-free (:mod:`listening_pipeline.lib.evidence_report`); ``listening-pipeline
report --brand X --day D`` writes the same page for any brand and day.
"""

import datetime as dt

import dagster as dg
import polars as pl

from listening_pipeline.defs.marts.assets import REBUILD_CHANGED_DAYS
from listening_pipeline.defs.resources import MediaStoreResource
from listening_pipeline.lib.evidence_report import alerting_brands, write_evidence_report
from listening_pipeline.lib.reports import markdown_preview
from listening_pipeline.partitions import day_partitions
from listening_pipeline.settings import Settings
from listening_pipeline.warehouse.io_manager import WarehouseResource

MARTS_READ = ("brand_alerts", "mention_evidence", "brand_daily_metrics", "visual_share_of_voice")


@dg.asset(
    partitions_def=day_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[dg.AssetKey(["marts", mart]) for mart in MARTS_READ],
    group_name="evidence",
    kinds={"python", "html"},
    automation_condition=REBUILD_CHANGED_DAYS,
    description=(
        "One self-contained HTML page per brand alert (<data dir>/reports/evidence_<brand>_<day>.html): the day's "
        "metrics, the alert and its mentions as a contact sheet (frames with the logo or caption boxed, quotes with "
        "their time in the video, sentiment colours, links). Rewritten when the marts of its days are."
    ),
)
def evidence_reports(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, media_store: MediaStoreResource
) -> dg.MaterializeResult:
    window = context.partition_time_window
    first, last = window.start.date(), window.end.date() - dt.timedelta(days=1)
    store = warehouse.get(log=context.log.warning)
    out_dir = Settings.from_env().data_dir / "reports"
    written = [
        write_evidence_report(store, media_store.get(), brand, day, out_dir)
        for brand, day in alerting_brands(store, first, last)
    ]
    for report in written:
        context.log.info(f"evidence report for {report.brand} on {report.day}: {report.path}")
    metadata: dict[str, dg.RawMetadataValue] = {"reports": len(written)}
    if written:
        metadata["report"] = dg.MetadataValue.path(str(written[-1].path))
        metadata["reports_written"] = dg.MetadataValue.md(
            "\n".join(f"- {r.brand} {r.day}: [{r.path.name}](file://{r.path}) ({r.mentions} mentions)" for r in written)
        )
        rows = [{"brand": r.brand, "day": r.day, "quote": q} for r in written for q in r.quotes[:3]]
        metadata["preview"] = dg.MetadataValue.md(markdown_preview(pl.DataFrame(rows)) if rows else "_no quotes_")
    return dg.MaterializeResult(metadata=metadata)
