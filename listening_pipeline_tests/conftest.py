"""Shared test setup: offline switches, a throwaway data folder and Dagster instance, PostgreSQL.

Settings are read when the code location loads, so the environment is pointed at a temporary
folder here, before any test module imports the project.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from pathlib import Path

# Safe before the settings below: lib.offline reads nothing when imported.
from listening_pipeline.lib.offline import use_offline_environment

use_offline_environment()

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="lp-tests-"))
os.environ["LISTENING_PIPELINE_DATA_DIR"] = str(_SESSION_DIR / "var")
os.environ["LISTENING_PIPELINE_WAREHOUSE"] = "duckdb"
os.environ["LISTENING_PIPELINE_SOURCE"] = "folder"
os.environ["DAGSTER_HOME"] = str(_SESSION_DIR / "dagster_home")
# A tiny logo detector when the pipeline has to train one (custom catalogs); the sample catalog ships its own.
os.environ["LISTENING_PIPELINE_LOGO_TRAINING_IMAGES"] = "48"
os.environ["LISTENING_PIPELINE_LOGO_TRAINING_EPOCHS"] = "2"
for _name in (
    "LISTENING_PIPELINE_LOGO_WEIGHTS",
    "LISTENING_PIPELINE_DUCKDB_PATH",
    "LISTENING_PIPELINE_SOURCE_FOLDER",
    "LISTENING_PIPELINE_CATALOG",
    "LISTENING_PIPELINE_MEDIA_ROOT",
):
    os.environ.pop(_name, None)

import pytest  # noqa: E402


def _dagster_sqlite_without_fsync() -> None:
    """SQLite connections of this process skip fsync (``PRAGMA synchronous=OFF``).

    Dagster's embedded storage opens, commits and closes its SQLite files once per event, and each
    commit and close waits for the disk: about a third of a Dagster-run dbt build (some 10 of 35 s
    on a 2-core CI machine). The tests' instances are thrown away after the session, and no test
    asserts on what survives an operating-system crash or a power cut, the only faults this setting
    gives up: a killed process still leaves every committed row, since the writes reach the
    operating system before a commit returns. Locking, WAL mode and every query are unchanged.
    """
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _no_fsync(dbapi_connection, _record) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute("PRAGMA synchronous=OFF")


_dagster_sqlite_without_fsync()

from listening_pipeline_tests.postgres import PostgresServer  # noqa: E402


@pytest.fixture(scope="session")
def settings():
    from listening_pipeline.runs import ensure_dagster_home
    from listening_pipeline.settings import Settings

    current = Settings.from_env()
    ensure_dagster_home(current)
    return current


@pytest.fixture(scope="session")
def warehouse_resource(settings):
    """The warehouse resource the code location builds from the session's settings."""
    from listening_pipeline.defs.resources import warehouse_resource as build

    return build(settings)


@pytest.fixture(scope="session")
def warehouse(warehouse_resource):
    """The session's warehouse, as the tests read it: the rows a BI tool would read."""
    return warehouse_resource.get()


@pytest.fixture(scope="session")
def instance(settings):
    from dagster import DagsterInstance

    with DagsterInstance.get() as inst:
        yield inst


def _forget_definitions_state() -> None:
    """Dagster loads definitions against the state storage of the instance entered last, kept in a
    context variable. A short-lived instance left there (its weakref dead once collected) makes every
    later load fail with "undefined DagsterInstance weakref", so each fixture and test starts without
    one, as a plain script does. (A private Dagster name: the leak's exact source is not pinned down.)"""
    from dagster._core.storage.defs_state.base import _current_storage

    _current_storage.set(None)


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    _forget_definitions_state()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    _forget_definitions_state()
    yield


@pytest.fixture(scope="session")
def sample_corpus(settings) -> Path:
    """The bundled sample corpus, generated once per session where the pipeline reads it."""
    from listening_pipeline.lib.sample_data import generate_sample_corpus

    if not (settings.source_folder / "ground_truth.json").exists():
        generate_sample_corpus(settings.source_folder)
    return settings.source_folder


@pytest.fixture(scope="session")
def sample_partitions(sample_corpus):
    from listening_pipeline.catalog import load_catalog
    from listening_pipeline.lib.sources.folder import partitions_in_folder

    partitions = partitions_in_folder(sample_corpus, load_catalog().tracked_hashtags)
    assert len({h for h, _ in partitions}) >= 3 and len({d for _, d in partitions}) >= 3
    return partitions


@pytest.fixture(scope="session")
def collected_sample(instance, sample_partitions):
    """Every sample partition collected (videos, comments) and every sample day built by dbt."""
    from listening_pipeline.definitions import defs
    from listening_pipeline.partitions import hashtag_partitions, partition_key

    def run(job_name, key):
        result = defs().resolve_job_def(job_name).execute_in_process(instance=instance, partition_key=key)
        assert result.success

    instance.add_dynamic_partitions(hashtag_partitions.name, sorted({h for h, _ in sample_partitions}))
    run("catalog_job", None)
    for hashtag, day in sample_partitions:
        run("collect_job", partition_key(hashtag, day))
    from listening_pipeline.runs import run_dbt_days

    days = sorted({d for _, d in sample_partitions})
    assert run_dbt_days(instance, days[0], days[-1]).success
    return sample_partitions


@pytest.fixture(scope="session")
def history_template(tmp_path_factory, sample_corpus) -> Path:
    """The sample's history days run and built once, in a folder of their own; tests use copies of it.

    Under pytest-xdist the workers share one build (about three minutes): the first to need it builds it
    in the run's common temporary folder while the others wait on a lock, then each uses copies.
    """
    from listening_pipeline_tests.history import build_history

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    template = shared / "history-template"
    with (shared / "history-template.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (template / ".built").exists():
            shutil.rmtree(template, ignore_errors=True)  # a worker that failed half-way
            build_history(template, sample_corpus)
            (template / ".built").touch()
    return template


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server on 127.0.0.1, run as the postgres user when we are root."""
    # Its own folder outside the session folder: the server may run as another user.
    root = Path(tempfile.mkdtemp(prefix="lp-pg-"))
    try:
        with PostgresServer.start(root) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_db(postgres_server):
    """A fresh, empty database on the session's server."""
    with postgres_server.database() as dsn:
        yield dsn


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)
