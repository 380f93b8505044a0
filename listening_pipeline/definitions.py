"""The one Definitions object: assets, checks, jobs, schedules, sensors and resources.

Configuration comes from the environment through :class:`listening_pipeline.settings.Settings`;
secrets go through ``EnvVar`` so the UI never shows them.
"""

from __future__ import annotations

from dagster import Definitions, EnvVar, load_assets_from_modules
from dagster_dbt import DbtCliResource

from listening_pipeline.assets import collect, dbt, enrich
from listening_pipeline.automation import (
    brand_alert_sensor,
    catalog_job,
    catalog_sensor,
    collect_job,
    daily_collection,
    dbt_day_job,
    hashtag_day_job,
    models_job,
)
from listening_pipeline.execution import executor_def
from listening_pipeline.resources.alerts import AlertWebhookResource
from listening_pipeline.resources.media_store import MediaStoreResource
from listening_pipeline.resources.models import ModelsResource
from listening_pipeline.resources.sources import CatalogResource, SourceResource
from listening_pipeline.resources.warehouse import WarehouseIOManager, WarehouseResource
from listening_pipeline.settings import ALERT_WEBHOOK_ENV, Settings

settings = Settings.from_env()
settings.export_for_dbt()


def _warehouse(settings: Settings) -> WarehouseResource:
    if settings.warehouse == "postgres":
        return WarehouseResource(
            kind="postgres",
            pg_host=settings.pg_host,
            pg_port=settings.pg_port,
            pg_user=settings.pg_user,
            pg_password=EnvVar("LISTENING_PIPELINE_PG_PASSWORD"),
            pg_database=settings.pg_database,
        )
    return WarehouseResource(kind="duckdb", duckdb_path=str(settings.duckdb_path))


def _source(settings: Settings) -> SourceResource:
    if settings.source == "research_api":
        return SourceResource(
            kind="research_api",
            client_key=EnvVar("TIKTOK_CLIENT_KEY"),
            client_secret=EnvVar("TIKTOK_CLIENT_SECRET"),
        )
    return SourceResource(kind="folder", folder=str(settings.source_folder))


def _alert_webhook(settings: Settings) -> AlertWebhookResource:
    # EnvVar of an unset variable fails at resolution: without a URL the sensor skips, saying how to set one.
    if settings.alert_webhook_configured:
        return AlertWebhookResource(url=EnvVar(ALERT_WEBHOOK_ENV))
    return AlertWebhookResource()


warehouse = _warehouse(settings)

defs = Definitions(
    assets=load_assets_from_modules([collect, enrich, dbt]),
    jobs=[hashtag_day_job, collect_job, dbt_day_job, catalog_job, models_job],
    # multiprocess by default; k8s or celery with LISTENING_PIPELINE_EXECUTOR (docs/scaling.md).
    executor=executor_def(settings.executor, settings.executor_config),
    schedules=[daily_collection],
    sensors=[catalog_sensor, brand_alert_sensor],
    resources={
        "warehouse": warehouse,
        "warehouse_io": WarehouseIOManager(warehouse=warehouse),
        "media_store": MediaStoreResource(root=settings.media_root),
        "source": _source(settings),
        "catalog": CatalogResource(path=str(settings.catalog_path or "")),
        "alert_webhook": _alert_webhook(settings),
        "models": ModelsResource(
            logo_dir=str(settings.logo_dir),
            logo_weights=settings.logo_weights or "",
            logo_training_images=settings.logo_training_images,
            logo_training_epochs=settings.logo_training_epochs,
        ),
        "dbt": DbtCliResource(
            project_dir=dbt.dbt_project,
            dbt_executable=str(dbt.DBT_EXECUTABLE),
        ),
    },
)
