"""Deployment settings, read from the environment in this one place.

The Python resources and the dbt profile must point at the same warehouse, so both read
the same variables: :func:`Settings.from_env` fills in defaults, and the dbt asset hands the
warehouse resource's values to the dbt subprocess (``WarehouseResource.dbt_environment``).
Nothing here changes the process environment.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from listening_pipeline.lib import weights

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
# dbt from this interpreter's environment, not whatever `dbt` is first on PATH.
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
# The detector the logo_detector asset trained for the bundled sample catalog (see bench/train_logo_detector.py).
BUNDLED_LOGO_WEIGHTS = Path(__file__).resolve().parent / "data" / "models" / "logo_detector.pt"
# Where brand alerts are posted (a Slack-compatible incoming webhook). A secret: resources take it with EnvVar.
ALERT_WEBHOOK_ENV = "LISTENING_PIPELINE_ALERT_WEBHOOK_URL"
# Writers that wait (defaults of the settings below). How long a DuckDB writer (an asset write or a
# dbt build) waits for the file another process holds before failing.
DUCKDB_LOCK_TIMEOUT_S = 600.0
# PostgreSQL warehouse: seconds to establish a connection, and the longest one statement may run (0: no limit).
PG_CONNECT_TIMEOUT_S = 10
PG_STATEMENT_TIMEOUT_S = 600
# Run monitoring ends a run that has run longer than this (the daemon enforces it; docker/dagster*.yaml
# repeat the default, since Dagster reads that field as a literal).
MAX_RUN_SECONDS = 14400
# The daily partitions start on this day (history before it cannot be imported); the daily schedule's cron
# (UTC); how many days before the last complete one each daily run collects again (late-arriving videos).
FIRST_DAY_ENV = "LISTENING_PIPELINE_FIRST_DAY"
FIRST_DAY = dt.date(2025, 1, 1)
DAILY_CRON = "0 6 * * *"
RECOLLECT_DAYS = 2
# The lowest score a tolerant (misheard) speech match of a brand alias may have to count (lib/text/tolerant.py);
# 1 turns tolerant matching off (its scores stay under 1).
FUZZY_MATCH_THRESHOLD_ENV = "LISTENING_PIPELINE_FUZZY_MATCH_THRESHOLD"
FUZZY_MATCH_THRESHOLD = 0.8


def _fuzzy_threshold(value: str) -> float:
    try:
        threshold = float(value)
    except ValueError:
        threshold = -1.0
    if not 0.5 <= threshold <= 1.0:
        raise ValueError(f"{FUZZY_MATCH_THRESHOLD_ENV} must be a number from 0.5 to 1 (1: off), not {value!r}")
    return threshold


# After a catalog edit changes names, aliases or hashtags, the automation re-matches brand_mentions this many days back.
REMATCH_DAYS_ENV = "LISTENING_PIPELINE_REMATCH_DAYS"
REMATCH_DAYS = 35


# Retention (lib/retention.py): days after which partitions lose comment text and creator handles, and their
# media; unset keeps them forever. Hashed handles: a keyed hash at collection, its key a secret (EnvVar).
RETENTION_DAYS_ENV = "LISTENING_PIPELINE_RETENTION_DAYS"
MEDIA_RETENTION_DAYS_ENV = "LISTENING_PIPELINE_MEDIA_RETENTION_DAYS"
HASH_HANDLES_ENV = "LISTENING_PIPELINE_HASH_CREATOR_HANDLES"
HANDLE_HASH_KEY_ENV = "LISTENING_PIPELINE_HANDLE_HASH_KEY"


def _retention_days(value: str, name: str) -> int | None:
    if not value.strip():
        return None
    return _recollect_days(value.strip(), name)


def _hash_handles(env: Mapping[str, str]) -> bool:
    value = env.get(HASH_HANDLES_ENV, "").strip().lower()
    if value not in ("", "true", "false", "1", "0"):
        raise ValueError(f"{HASH_HANDLES_ENV} must be 'true' or 'false', not {value!r}")
    on = value in ("true", "1")
    if on and len(env.get(HANDLE_HASH_KEY_ENV, "").strip()) < 16:
        raise ValueError(
            f"{HASH_HANDLES_ENV}=true needs {HANDLE_HASH_KEY_ENV}: a secret of at least 16 characters, kept"
            " (a new key gives every creator a new pseudonym)"
        )
    return on


def _owners(value: str) -> tuple[str, ...]:
    owners = tuple(o.strip() for o in value.split(",") if o.strip())
    bad = [o for o in owners if "@" not in o and not (o.startswith("team:") and len(o) > 5)]
    if bad:
        raise ValueError(f"LISTENING_PIPELINE_OWNERS takes emails or team:<name>, comma-separated; not {bad}")
    return owners


def first_day_from_env(env: Mapping[str, str] | None = None) -> dt.date:
    """The first day of the daily partitions; partitions.py reads it at import, before any resource exists."""
    value = (os.environ if env is None else env).get(FIRST_DAY_ENV, "").strip()
    if not value:
        return FIRST_DAY
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or len(value) != 10:
        raise ValueError(f"{FIRST_DAY_ENV} must be a date written YYYY-MM-DD (e.g. 2024-01-01), not {value!r}")
    return day


def _daily_cron(value: str) -> str:
    # Five fields (minute hour day-of-month month day-of-week); Dagster checks the fields themselves.
    if len(value.split()) != 5:
        raise ValueError(
            f"LISTENING_PIPELINE_DAILY_CRON must be a cron expression of five fields (e.g. '0 6 * * *'), not {value!r}"
        )
    return " ".join(value.split())


def _recollect_days(value: str, name: str = "LISTENING_PIPELINE_RECOLLECT_DAYS") -> int:
    try:
        days = int(value)
    except ValueError:
        days = -1
    if days < 0:
        raise ValueError(f"{name} must be a whole number of days >= 0, not {value!r}")
    return days


def _alert_payload(value: str) -> str:
    payload = value.strip().lower() or "slack"
    if payload not in ("slack", "json"):
        raise ValueError(f"LISTENING_PIPELINE_ALERT_PAYLOAD must be 'slack' or 'json', not {value!r}")
    return payload


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    warehouse: str  # "duckdb" | "postgres"
    duckdb_path: Path
    catalog_path: Path | None
    source: str  # "folder" | "research_api"
    source_folder: Path
    media_root: str  # local folder or any fsspec URL (s3://bucket/prefix)
    pg_host: str
    pg_port: int
    pg_user: str
    pg_database: str
    # The logo detector the project trains itself; tests make it tiny.
    logo_training_images: int
    logo_training_epochs: int
    logo_weights: str | None  # a YOLO weights file; the bundled catalog comes with its own detector
    # A faster-whisper model folder or a Hugging Face repository id in the cache; None: weights.resolve_whisper_model's
    # choice (the largest model found, multilingual first).
    whisper_model: str | None = None
    # How a run executes its steps: "multiprocess" (default) | "k8s" | "celery" (listening_pipeline/defs/execution.py).
    executor: str = "multiprocess"
    executor_config: str | None = None  # a run-config YAML whose `execution: config:` every run uses
    # Whether ALERT_WEBHOOK_ENV is set; its value, a secret, is not kept here.
    alert_webhook_configured: bool = False
    # What is posted: "slack" (blocks with the quotes behind the alert) | "json" (the alert and its evidence).
    alert_payload: str = "slack"
    # A re-collection returning less than this share of a stored day's videos is refused (0: never).
    recollect_min_share: float = 0.5
    duckdb_lock_timeout_s: float = DUCKDB_LOCK_TIMEOUT_S
    pg_connect_timeout_s: int = PG_CONNECT_TIMEOUT_S
    pg_statement_timeout_s: int = PG_STATEMENT_TIMEOUT_S
    max_run_seconds: int = MAX_RUN_SECONDS
    first_day: dt.date = FIRST_DAY
    daily_cron: str = DAILY_CRON
    recollect_days: int = RECOLLECT_DAYS
    fuzzy_match_threshold: float = FUZZY_MATCH_THRESHOLD
    # Asset owners in the UI (emails, team:<name>); code references link to this repository when set.
    owners: tuple[str, ...] = ()
    git_url: str | None = None
    git_branch: str = "main"
    rematch_days: int = REMATCH_DAYS
    retention_days: int | None = None
    media_retention_days: int | None = None
    # Whether creator handles are stored keyed-hashed; the key (HANDLE_HASH_KEY_ENV), a secret, is not kept here.
    hash_creator_handles: bool = False

    @property
    def logo_dir(self) -> Path:
        """Where the logo_detector asset writes the detector it trains."""
        return self.data_dir / "models" / "logo_detector"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        data_dir = Path(env.get("LISTENING_PIPELINE_DATA_DIR", PROJECT_ROOT / "var")).resolve()
        warehouse = env.get("LISTENING_PIPELINE_WAREHOUSE", "duckdb")
        if warehouse not in ("duckdb", "postgres"):
            raise ValueError(f"LISTENING_PIPELINE_WAREHOUSE must be 'duckdb' or 'postgres', not {warehouse!r}")
        source = env.get("LISTENING_PIPELINE_SOURCE", "folder")
        if source not in ("folder", "research_api"):
            raise ValueError(f"LISTENING_PIPELINE_SOURCE must be 'folder' or 'research_api', not {source!r}")
        catalog = env.get("LISTENING_PIPELINE_CATALOG")
        executor = env.get("LISTENING_PIPELINE_EXECUTOR", "multiprocess")
        if executor not in ("multiprocess", "k8s", "celery"):
            raise ValueError(f"LISTENING_PIPELINE_EXECUTOR must be 'multiprocess', 'k8s' or 'celery', not {executor!r}")
        return cls(
            data_dir=data_dir,
            warehouse=warehouse,
            duckdb_path=Path(env.get("LISTENING_PIPELINE_DUCKDB_PATH", data_dir / "warehouse.duckdb")).resolve(),
            catalog_path=Path(catalog).resolve() if catalog else None,
            source=source,
            source_folder=Path(env.get("LISTENING_PIPELINE_SOURCE_FOLDER", data_dir / "sample")).resolve(),
            media_root=env.get("LISTENING_PIPELINE_MEDIA_ROOT", str(data_dir / "media")),
            # The password is not kept here: resources take it with EnvVar("LISTENING_PIPELINE_PG_PASSWORD").
            pg_host=env.get("LISTENING_PIPELINE_PG_HOST", "127.0.0.1"),
            pg_port=int(env.get("LISTENING_PIPELINE_PG_PORT", "5432")),
            pg_user=env.get("LISTENING_PIPELINE_PG_USER", "listening"),
            pg_database=env.get("LISTENING_PIPELINE_PG_DATABASE", "listening"),
            logo_training_images=int(env.get("LISTENING_PIPELINE_LOGO_TRAINING_IMAGES", weights.LOGO_TRAINING_IMAGES)),
            logo_training_epochs=int(env.get("LISTENING_PIPELINE_LOGO_TRAINING_EPOCHS", weights.LOGO_TRAINING_EPOCHS)),
            logo_weights=env.get("LISTENING_PIPELINE_LOGO_WEIGHTS")
            or (str(BUNDLED_LOGO_WEIGHTS) if not catalog and BUNDLED_LOGO_WEIGHTS.is_file() else None),
            whisper_model=env.get("LISTENING_PIPELINE_WHISPER_MODEL", "").strip() or None,
            executor=executor,
            executor_config=env.get("LISTENING_PIPELINE_EXECUTOR_CONFIG") or None,
            alert_webhook_configured=bool(env.get(ALERT_WEBHOOK_ENV, "").strip()),
            alert_payload=_alert_payload(env.get("LISTENING_PIPELINE_ALERT_PAYLOAD", "slack")),
            recollect_min_share=float(env.get("LISTENING_PIPELINE_RECOLLECT_MIN_SHARE", "0.5")),
            duckdb_lock_timeout_s=float(env.get("LISTENING_PIPELINE_DUCKDB_LOCK_TIMEOUT_S", DUCKDB_LOCK_TIMEOUT_S)),
            pg_connect_timeout_s=int(env.get("LISTENING_PIPELINE_PG_CONNECT_TIMEOUT_S", PG_CONNECT_TIMEOUT_S)),
            pg_statement_timeout_s=int(env.get("LISTENING_PIPELINE_PG_STATEMENT_TIMEOUT_S", PG_STATEMENT_TIMEOUT_S)),
            max_run_seconds=int(env.get("LISTENING_PIPELINE_MAX_RUN_SECONDS", MAX_RUN_SECONDS)),
            first_day=first_day_from_env(env),
            daily_cron=_daily_cron(env.get("LISTENING_PIPELINE_DAILY_CRON", DAILY_CRON)),
            recollect_days=_recollect_days(env.get("LISTENING_PIPELINE_RECOLLECT_DAYS", str(RECOLLECT_DAYS))),
            fuzzy_match_threshold=_fuzzy_threshold(env.get(FUZZY_MATCH_THRESHOLD_ENV, str(FUZZY_MATCH_THRESHOLD))),
            owners=_owners(env.get("LISTENING_PIPELINE_OWNERS", "")),
            git_url=env.get("LISTENING_PIPELINE_GIT_URL", "").strip() or None,
            git_branch=env.get("LISTENING_PIPELINE_GIT_BRANCH", "").strip() or "main",
            rematch_days=_recollect_days(env.get(REMATCH_DAYS_ENV, str(REMATCH_DAYS)), REMATCH_DAYS_ENV),
            retention_days=_retention_days(env.get(RETENTION_DAYS_ENV, ""), RETENTION_DAYS_ENV),
            media_retention_days=_retention_days(env.get(MEDIA_RETENTION_DAYS_ENV, ""), MEDIA_RETENTION_DAYS_ENV),
            hash_creator_handles=_hash_handles(env),
        )

    @property
    def dagster_home(self) -> Path:
        return Path(os.environ.get("DAGSTER_HOME") or self.data_dir / "dagster_home").resolve()


@contextmanager
def environment_kept(names: Iterable[str]) -> Iterator[None]:
    """Put these environment variables back as they were on exit (unset ones unset again)."""
    saved = {name: os.environ.get(name) for name in names}
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
