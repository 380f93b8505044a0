"""Follows brands.yaml: its tracked hashtags become partitions, and the brands table is reloaded when it changes.

The catalog is the truth: a hashtag removed from it is not re-added and no longer scheduled
(:func:`listening_pipeline.defs.collect.automation.daily_collection`), while its partition and
its rows stay, so its history remains queryable.
"""

import hashlib

from dagster import (
    AddDynamicPartitionsRequest,
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    sensor,
)

from listening_pipeline.catalog import CatalogError
from listening_pipeline.defs.resources import CatalogResource
from listening_pipeline.partitions import HASHTAG_DIMENSION

catalog_job = define_asset_job(
    "catalog_job", selection=AssetSelection.groups("catalog"), description="Load brands.yaml into the warehouse."
)


@sensor(
    jobs=[catalog_job],
    minimum_interval_seconds=300,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Adds the catalog's tracked hashtags, keywords and creators as partitions and reloads the brands table "
        "when brands.yaml changes. "
        "A hashtag removed from the catalog keeps its partition and history; the daily schedule no longer collects it."
    ),
)
def catalog_sensor(context: SensorEvaluationContext, catalog: CatalogResource):
    try:
        loaded = catalog.load()
    except CatalogError as exc:
        # The whole file is refused: nothing is added until it is fixed.
        context.log.error(str(exc))
        return SkipReason(f"brand catalog refused, nothing added: {exc}")
    known = set(context.instance.get_dynamic_partitions(HASHTAG_DIMENSION))
    new = [tag for tag in loaded.tracked_queries if tag not in known]
    # Partitions are never deleted here: a hashtag removed from the catalog keeps its history
    # (partitions, warehouse rows); the daily schedule stops collecting it, and nothing re-adds it.
    retired = sorted(known - set(loaded.tracked_queries))
    digest = hashlib.sha256(loaded.path.read_bytes()).hexdigest()
    run_requests = [] if digest == context.cursor else [RunRequest(run_key=digest, job_name=catalog_job.name)]
    if not new and not run_requests:
        return SkipReason("catalog unchanged")
    if new:
        context.log.info(f"adding hashtag partitions: {', '.join(new)}")
    if retired and run_requests:
        context.log.info(f"no longer in the catalog, not collected, history kept: {', '.join(retired)}")
    return SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[AddDynamicPartitionsRequest(HASHTAG_DIMENSION, new)] if new else [],
        cursor=digest,
    )
