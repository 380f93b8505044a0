"""Every Dagster resource, and the one place they are built from settings.

The classes are thin: each hands out a framework-free object from :mod:`listening_pipeline.lib`
or :mod:`listening_pipeline.warehouse`. :func:`resources` builds them from
:class:`~listening_pipeline.settings.Settings` when the code location loads (never at import),
and secrets go through ``EnvVar`` so the UI never shows them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
from dagster_dbt import DbtCliResource
from pydantic import Field

from listening_pipeline.catalog import Catalog, load_catalog
from listening_pipeline.defs.execution import executor_def
from listening_pipeline.lib import weights
from listening_pipeline.lib.alerts import Delivery, DeliveryReport, deliver_pending
from listening_pipeline.lib.media.store import MediaStore
from listening_pipeline.lib.sources.base import VideoSource
from listening_pipeline.lib.sources.recollection import DEFAULT_MIN_SHARE
from listening_pipeline.settings import (
    ALERT_WEBHOOK_ENV,
    BUNDLED_LOGO_WEIGHTS,
    DBT_EXECUTABLE,
    DBT_PROJECT_DIR,
    FUZZY_MATCH_THRESHOLD,
    HANDLE_HASH_KEY_ENV,
    Settings,
)
from listening_pipeline.warehouse import Warehouse
from listening_pipeline.warehouse.io_manager import WarehouseIOManager, WarehouseResource

if TYPE_CHECKING:
    from listening_pipeline.lib.logos.registry import DetectorRecord, TrainingPlan

# ---------------------------------------------------------------------------------------------
# Collection: where videos come from, and the brand catalog
# ---------------------------------------------------------------------------------------------


class SourceResource(dg.ConfigurableResource):
    """``kind`` 'folder' reads ``folder``; 'research_api' calls the TikTok Research API.

    Secrets (``client_key``, ``client_secret``) should be set with ``EnvVar`` so they never
    appear in run configuration.
    """

    kind: str = "folder"
    folder: str = "var/sample"
    api_base_url: str = "https://open.tiktokapis.com"
    client_key: str = ""
    client_secret: str = ""
    media_url_template: str = ""
    wait_for_quota_reset: bool = False
    recollect_min_share: float = Field(
        default=DEFAULT_MIN_SHARE,
        description="A re-collection returning less than this share of the stored videos is refused (0: never).",
    )
    max_comments_per_video: int = Field(
        default=1000,
        description="research_api: comment pages read per video stop at this many comments (1..1000, the API's "
        "reachable top 1,000); a video that reaches it is logged and listed in the comments asset's metadata.",
    )
    # Set (with EnvVar) only when LISTENING_PIPELINE_HASH_CREATOR_HANDLES is on: handles are stored keyed-hashed.
    handle_hash_key: str = ""

    def get(self) -> VideoSource:
        if self.kind == "folder":
            from listening_pipeline.lib.sources.folder import FolderSource

            return FolderSource(self.folder)
        if self.kind == "research_api":
            from listening_pipeline.lib.sources import research_api

            if not (self.client_key and self.client_secret):
                raise ValueError("the research_api source needs client_key and client_secret")
            client = research_api.ResearchApiClient(
                self.api_base_url,
                self.client_key,
                self.client_secret,
                wait_for_quota_reset=self.wait_for_quota_reset,
            )
            downloader = (
                research_api.UrlTemplateDownloader(self.media_url_template)
                if self.media_url_template
                else research_api.NoMediaDownloader()
            )
            return research_api.ResearchApiSource(
                client, media=downloader, max_comments_per_video=self.max_comments_per_video
            )
        raise ValueError(f"unknown source kind {self.kind!r}")


class CatalogResource(dg.ConfigurableResource):
    """The brand catalog file; empty means the bundled sample catalog."""

    path: str = ""
    # Tolerant speech matches of an alias count from this score up (LISTENING_PIPELINE_FUZZY_MATCH_THRESHOLD).
    fuzzy_match_threshold: float = FUZZY_MATCH_THRESHOLD

    def load(self) -> Catalog:
        return load_catalog(self.path or None)


class RetentionResource(dg.ConfigurableResource):
    """How many days partitions keep personal data and media (lib/retention.py); None keeps them forever."""

    retention_days: int | None = None
    media_retention_days: int | None = None


class MediaStoreResource(dg.ConfigurableResource):
    """``root``: a local folder or an fsspec URL; credentials come from fsspec's usual environment."""

    root: str = "var/media"

    def get(self) -> MediaStore:
        return MediaStore(self.root)


# ---------------------------------------------------------------------------------------------
# Machine-learning models: each loads once per process, on the best device
# ---------------------------------------------------------------------------------------------


@cache
def _speech(model_dir: str, name: str, device: str) -> Any:
    from listening_pipeline.lib.speech import SpeechModel

    return SpeechModel(model_dir, name=name, device=device)


@cache
def _reader(model_dir: str, device: str) -> Any:
    from listening_pipeline.lib.captions import TextReader

    return TextReader(("en",), model_dir, gpu=device == "cuda")


@cache
def _scorer(explicit: str, device: str) -> Any:
    from listening_pipeline.lib.text.sentiment import load_scorer

    return load_scorer(explicit or None, device=device)


@cache
def _detector(weights_file: str, device: str, references: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> Any:
    from listening_pipeline.lib.logos import LogoDetector

    verify = {brand: [Path(p) for p in paths] for brand, paths in references} or None
    return LogoDetector(Path(weights_file), device=device, references=verify)


class MLModelsResource(dg.ConfigurableResource):
    """Which weights each stage uses; empty fields mean "find them" (:mod:`listening_pipeline.lib.weights`).

    Nothing here downloads. ``logo_weights``: a YOLO weights file of your own; empty means the
    detector trained for the catalog's logos, kept in ``logo_dir`` per catalog fingerprint
    (:mod:`listening_pipeline.lib.logos.registry`) and trained on first need.
    """

    whisper_model: str = ""
    easyocr_models: str = ""
    sentiment_model: str = ""
    logo_weights: str = ""
    logo_dir: str = "var/models/logo_detector"
    logo_training_images: int = weights.LOGO_TRAINING_IMAGES
    logo_training_epochs: int = weights.LOGO_TRAINING_EPOCHS
    logo_image_size: int = weights.LOGO_IMAGE_SIZE
    device: str = ""

    def _device(self) -> str:
        return self.device or weights.best_device()

    def speech(self) -> Any:
        resolved = weights.resolve_whisper_model(self.whisper_model or None)
        return _speech(str(resolved.path), resolved.name, self._device())

    def text_reader(self) -> Any:
        return _reader(str(weights.resolve_easyocr_models(self.easyocr_models or None).path), self._device())

    def sentiment(self) -> Any:
        return _scorer(self.sentiment_model, self._device())

    def logo_training_plan(self, catalog: Catalog) -> TrainingPlan:
        from listening_pipeline.lib.logos.registry import TrainingPlan

        # Fine-tuned from the bundled detector (same architecture, logos already learned): far fewer steps.
        return TrainingPlan.of(
            catalog.brands,
            images=self.logo_training_images,
            epochs=self.logo_training_epochs,
            size=self.logo_image_size,
            init_weights=BUNDLED_LOGO_WEIGHTS if BUNDLED_LOGO_WEIGHTS.is_file() else None,
        )

    def ensure_logo_detector(
        self, catalog: Catalog, notify: Callable[[str], None] | None = None
    ) -> DetectorRecord | None:
        """The detector trained for ``catalog``'s logos, trained now (once, under a file lock) if missing;
        None when no brand has a logo."""
        from listening_pipeline.lib.logos.registry import ensure_detector

        return ensure_detector(self.logo_training_plan(catalog), Path(self.logo_dir), notify=notify)

    def logo_detector(self, catalog: Catalog | None = None, notify: Callable[[str], None] | None = None) -> Any:
        """A loaded detector, or None when ``catalog`` has no logos to detect.

        ``logo_weights`` wins (used as they are); else the detector for ``catalog``'s logos (trained on
        first need, so a run never fails for missing weights), whose boxes are verified against the
        catalog's logo files; with no catalog, the newest in ``logo_dir``.
        """
        if self.logo_weights or catalog is None:
            resolved = weights.resolve_yolo_weights(self.logo_weights or None, search_dirs=(Path(self.logo_dir),))
            return _detector(str(resolved.path), self._device())
        record = self.ensure_logo_detector(catalog, notify)
        if record is None:
            return None
        return _detector(str(record.weights), self._device(), self.verification_references(catalog))

    def verification_references(self, catalog: Catalog) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The logo files that re-check every box the detector proposes (lib.logos.verification): the
        catalog's own, for the detector trained from them; none for weights a user set explicitly."""
        if self.logo_weights:
            return ()
        return tuple((b.name, tuple(str(p) for p in b.logos)) for b in catalog.brands if b.logos)


# ---------------------------------------------------------------------------------------------
# Alerts: a Slack-compatible incoming webhook (delivery itself: listening_pipeline.lib.alerts)
# ---------------------------------------------------------------------------------------------


class AlertWebhookResource(dg.ConfigurableResource):
    """The webhook brand alerts are posted to, and how hard to try.

    Set ``url`` with ``EnvVar("LISTENING_PIPELINE_ALERT_WEBHOOK_URL")``: a Slack webhook URL
    carries its token, so it must never show in the UI. Empty: alerts stay in the mart.
    """

    url: str = Field(default="", description=f"Webhook URL; set it with EnvVar({ALERT_WEBHOOK_ENV!r}).")
    timeout_s: float = Field(default=10.0, description="Timeout of one HTTP attempt, seconds.")
    max_attempts: int = Field(default=4, description="Attempts per alert on connection errors, 5xx and 429.")
    backoff_s: float = Field(default=1.0, description="First wait between attempts; doubles each time.")
    max_backoff_s: float = Field(default=30.0, description="Longest wait (Retry-After included) within a tick.")
    max_per_tick: int = Field(default=20, description="Alerts posted per sensor tick at most.")
    time_budget_s: float = Field(default=40.0, description="Seconds a tick may spend posting.")
    max_age_days: int = Field(default=7, description="Alerts for days older than this are never sent (0: any age).")
    payload_format: str = Field(
        default="slack",
        description="'slack': Slack blocks with the quotes behind the alert; 'json': the alert and its evidence.",
    )

    @property
    def configured(self) -> bool:
        return bool(self.url.strip())

    def deliver(
        self,
        store: Warehouse,
        *,
        today: dt.date | None = None,
        on_delivery: Callable[[Delivery], None] | None = None,
    ) -> DeliveryReport:
        return deliver_pending(
            store,
            self.url.strip(),
            timeout_s=self.timeout_s,
            max_attempts=self.max_attempts,
            backoff_s=self.backoff_s,
            max_backoff_s=self.max_backoff_s,
            max_per_call=self.max_per_tick,
            time_budget_s=self.time_budget_s,
            max_age_days=self.max_age_days,
            today=today,
            on_delivery=on_delivery,
            payload_format="json" if self.payload_format == "json" else "slack",
        )


# ---------------------------------------------------------------------------------------------
# Built from settings when the code location loads
# ---------------------------------------------------------------------------------------------


def warehouse_resource(settings: Settings) -> WarehouseResource:
    """The warehouse the settings name; the PostgreSQL password only through ``EnvVar``."""
    if settings.warehouse == "postgres":
        return WarehouseResource(
            kind="postgres",
            pg_host=settings.pg_host,
            pg_port=settings.pg_port,
            pg_user=settings.pg_user,
            pg_password=dg.EnvVar("LISTENING_PIPELINE_PG_PASSWORD"),
            pg_database=settings.pg_database,
            pg_connect_timeout_s=settings.pg_connect_timeout_s,
            pg_statement_timeout_s=settings.pg_statement_timeout_s,
        )
    return WarehouseResource(
        kind="duckdb", duckdb_path=str(settings.duckdb_path), duckdb_lock_timeout_s=settings.duckdb_lock_timeout_s
    )


def _source(settings: Settings) -> SourceResource:
    common: dict[str, Any] = {"recollect_min_share": settings.recollect_min_share}
    if settings.hash_creator_handles:
        common["handle_hash_key"] = dg.EnvVar(HANDLE_HASH_KEY_ENV)
    if settings.source == "research_api":
        return SourceResource(
            kind="research_api",
            client_key=dg.EnvVar("TIKTOK_CLIENT_KEY"),
            client_secret=dg.EnvVar("TIKTOK_CLIENT_SECRET"),
            **common,
        )
    return SourceResource(kind="folder", folder=str(settings.source_folder), **common)


def _alert_webhook(settings: Settings) -> AlertWebhookResource:
    # EnvVar of an unset variable fails at resolution: without a URL the sensor skips, saying how to set one.
    if settings.alert_webhook_configured:
        return AlertWebhookResource(url=dg.EnvVar(ALERT_WEBHOOK_ENV), payload_format=settings.alert_payload)
    return AlertWebhookResource(payload_format=settings.alert_payload)


def build_resources(settings: Settings) -> dict[str, Any]:
    warehouse = warehouse_resource(settings)
    return {
        "warehouse": warehouse,
        "warehouse_io": WarehouseIOManager(warehouse=warehouse),
        "media_store": MediaStoreResource(root=settings.media_root),
        "retention": RetentionResource(
            retention_days=settings.retention_days, media_retention_days=settings.media_retention_days
        ),
        "source": _source(settings),
        "catalog": CatalogResource(
            path=str(settings.catalog_path or ""), fuzzy_match_threshold=settings.fuzzy_match_threshold
        ),
        "alert_webhook": _alert_webhook(settings),
        "ml_models": MLModelsResource(
            logo_dir=str(settings.logo_dir),
            logo_weights=settings.logo_weights or "",
            logo_training_images=settings.logo_training_images,
            logo_training_epochs=settings.logo_training_epochs,
            whisper_model=settings.whisper_model or "",
        ),
        # dbt's profile reads the same warehouse as the Python side: see Settings.dbt_env.
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            target=settings.warehouse,
            dbt_executable=str(DBT_EXECUTABLE),
        ),
    }


@dg.definitions
def resources() -> dg.Definitions:
    """Resources and the executor, from the environment as it is when the code location loads."""
    settings = Settings.from_env()
    return dg.Definitions(
        resources=build_resources(settings),
        # multiprocess by default; k8s or celery with LISTENING_PIPELINE_EXECUTOR (docs/scaling.md).
        executor=executor_def(settings.executor, settings.executor_config),
    )
