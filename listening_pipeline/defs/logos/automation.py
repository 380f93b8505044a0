"""The sensor that keeps the logo detector in step with the catalog's logos, before any run needs it.

Why a sensor and not an automation condition: a logo file can change while brands.yaml does
not, so something must look at the files; this sensor hashes them in its own tick (no run
per look) and asks for ``models_job`` only when the fingerprint changed or its weights are
missing. Should a partition run first, ``logo_hits`` trains the same weights itself under the
same lock (:mod:`listening_pipeline.lib.logos.registry`), so the order never makes a run fail.
"""

import json
import time
from pathlib import Path

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from listening_pipeline.catalog import CatalogError
from listening_pipeline.defs.logos.jobs import models_job
from listening_pipeline.defs.resources import CatalogResource, MLModelsResource
from listening_pipeline.lib.logos.registry import NO_LOGOS, find_detector

# A training that failed (or whose weights were deleted) is asked for again after this long, not every tick.
RETRY_MISSING_S = 3600


def _cursor(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@sensor(
    job=models_job,
    minimum_interval_seconds=300,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Trains the logo detector (models_job) when the catalog's logos or the training settings change, "
        "or when the weights for them are missing; LISTENING_PIPELINE_LOGO_WEIGHTS turns it off."
    ),
)
def logo_detector_sensor(context: SensorEvaluationContext, catalog: CatalogResource, ml_models: MLModelsResource):
    if ml_models.logo_weights:
        return SkipReason("LISTENING_PIPELINE_LOGO_WEIGHTS names the logo detector: nothing to train")
    try:
        loaded = catalog.load()
    except CatalogError as exc:
        return SkipReason(f"brand catalog refused, the detector is not retrained until it is fixed: {exc}")
    fingerprint = ml_models.logo_training_plan(loaded).fingerprint()
    ready = fingerprint == NO_LOGOS or find_detector(Path(ml_models.logo_dir), fingerprint) is not None
    last = _cursor(context.cursor)
    now = time.time()
    if last.get("fingerprint") == fingerprint and (ready or now - float(last.get("at", 0)) < RETRY_MISSING_S):
        return SkipReason(
            f"catalog logos unchanged (fingerprint {fingerprint}); "
            + ("their detector is trained" if ready else "its training was asked for recently")
        )
    why = (
        "the catalog's logos changed"
        if last.get("fingerprint") != fingerprint
        else "the detector's weights are missing"
    )
    context.log.info(f"{why} (fingerprint {fingerprint}): asking models_job to train the logo detector")
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=f"logo_detector:{fingerprint}:{int(now)}",
                tags={"listening_pipeline/trigger": "logo_detector_sensor", "listening_pipeline/logos": fingerprint},
            )
        ],
        cursor=json.dumps({"fingerprint": fingerprint, "at": now}),
    )
