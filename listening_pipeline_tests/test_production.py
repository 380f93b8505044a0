"""Production mode on a real PostgreSQL, and the deployment files checked by construction.

* the instance of docker/dagster.local.yaml (PostgreSQL run, event-log and schedule storage,
  queued runs with limits) stores runs and events and reads them back;
* a backfill of 6 hashtag-day partitions goes through the queued run coordinator and a real
  ``dagster-daemon`` process, runs with the multiprocess executor, lands in the PostgreSQL
  warehouse and never exceeds the configured limits;
* docker/ (Dockerfile, compose, dagster.yaml files, Helm values) parses and validates against
  Dagster's own schemas, and the executors' run-config files validate against the jobs.

No Docker engine and no Kubernetes cluster run here: the compose, Helm, k8s and Celery files are
validated, never started.
"""

import contextlib
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from listening_pipeline.defs.execution import (
    CELERY_QUEUE_TAG,
    COMPUTE_TAG,
    GPU_MODEL_ASSETS,
    GPU_POOL,
    GPU_QUEUE,
    K8S_CONFIG_TAG,
    SOURCE_POOL,
    SOURCE_TAG,
)
from listening_pipeline.partitions import partition_key
from listening_pipeline.settings import environment_kept
from listening_pipeline_tests.postgres import instance_env, warehouse_env

REPO = Path(__file__).resolve().parents[1]
DOCKER = REPO / "docker"
BIN = Path(sys.executable).parent
HASHTAGS = ("summerdrinks", "hikinglife", "coffeetime")
DAYS = (dt.date(2026, 11, 1), dt.date(2026, 11, 2))  # 3 hashtags x 2 days: 6 partitions
BACKFILL_TIMEOUT_S = 300  # about 80 s on 2 CPU cores


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    with environment_kept(values):
        os.environ.update(values)
        yield


@dataclass
class Production:
    """A DAGSTER_HOME holding docker/dagster.local.yaml, on a fresh database of the test server."""

    home: Path
    dsn: str

    @property
    def instance_env(self) -> dict[str, str]:
        """What the local variant asks a data engineer to set (README, "One machine, no Docker")."""
        return instance_env(self.dsn)

    def process_env(self, **extra: str) -> dict[str, str]:
        """The environment of the daemon and the CLI: this instance, the warehouse on the same database."""
        return {
            **os.environ,  # the test session's LISTENING_PIPELINE_* (conftest.py): data dir, sample corpus
            **self.instance_env,
            "DAGSTER_HOME": str(self.home),
            **warehouse_env(self.dsn),
            "LISTENING_PIPELINE_MEDIA_ROOT": str(self.home.parent / "media"),
            **extra,
        }

    @contextlib.contextmanager
    def instance(self):
        from dagster import DagsterInstance

        with _environ(self.instance_env):
            with DagsterInstance.from_config(str(self.home)) as instance:
                yield instance


@pytest.fixture(scope="module")
def production(postgres_server) -> Iterator[Production]:
    root = Path(tempfile.mkdtemp(prefix="lp-prod-"))
    try:
        home = root / "dagster_home"
        home.mkdir()
        shutil.copy(DOCKER / "dagster.local.yaml", home / "dagster.yaml")
        with postgres_server.database() as dsn:
            yield Production(home=home, dsn=dsn)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --- (a) the instance on PostgreSQL -------------------------------------------------------------


def test_instance_storage_round_trip_on_postgres(production):
    import psycopg2
    from dagster import DagsterEventType, RunsFilter, job, op

    from listening_pipeline.partitions import hashtag_partitions

    @op
    def say_hello(context):
        context.log.info("hello from production storage")
        return 1

    @job
    def storage_probe():
        say_hello()

    with production.instance() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert type(instance.run_launcher).__name__ == "DefaultRunLauncher"
        result = storage_probe.execute_in_process(instance=instance, tags={"probe": "yes"})
        assert result.success
        instance.add_dynamic_partitions(hashtag_partitions.name, ["roundtriptag"])
        run_id = result.run_id

    # Tables exist in the database itself.
    with contextlib.closing(psycopg2.connect(production.dsn)) as con, con.cursor() as cur:
        cur.execute("select table_name from information_schema.tables where table_schema = 'public'")
        tables = {row[0] for row in cur.fetchall()}
    assert {
        "runs",
        "event_logs",
        "jobs",
        "job_ticks",
        "instigators",
        "dynamic_partitions",
        "concurrency_limits",
    } <= tables

    # A second instance (nothing cached) reads the run, its tags and its events back.
    with production.instance() as instance:
        run = instance.get_run_by_id(run_id)
        assert run.job_name == "storage_probe" and run.is_success and run.tags["probe"] == "yes"
        assert run_id in {r.run_id for r in instance.get_runs(RunsFilter(tags={"probe": "yes"}))}
        logs = instance.all_logs(run_id)
        kinds = {e.dagster_event.event_type for e in logs if e.is_dagster_event}
        assert {DagsterEventType.RUN_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.RUN_SUCCESS} <= kinds
        assert any(e.user_message == "hello from production storage" for e in logs)
        assert "roundtriptag" in instance.get_dynamic_partitions(hashtag_partitions.name)


def test_pool_limits_are_set_the_way_the_compose_daemon_sets_them(production):
    result = subprocess.run(
        [str(BIN / "dagster"), "instance", "concurrency", "set", GPU_POOL, "1"],
        env=production.process_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with production.instance() as instance:
        assert instance.event_log_storage.get_concurrency_info(GPU_POOL).slot_count == 1
        config = instance.get_concurrency_config()
        local = yaml.safe_load((DOCKER / "dagster.local.yaml").read_text())["concurrency"]
        assert config.run_queue_config.max_concurrent_runs == local["runs"]["max_concurrent_runs"]
        assert config.pool_config.default_pool_limit == local["pools"]["default_limit"]


# --- (b) a backfill through the queued run coordinator and a real daemon -------------------------


def _peak_overlap(intervals: list[tuple[float, float]]) -> int:
    """Most intervals open at once; an interval that ends when another starts does not overlap it."""
    edges = sorted(
        [(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals], key=lambda e: (e[0], e[1])
    )
    peak = current = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak


def _stop(process: subprocess.Popen) -> None:
    """Stop the daemon and everything it started (code server, run workers, step processes)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever is left of the group
    process.wait(timeout=10)


def test_backfill_of_six_partitions_runs_through_the_queue_and_the_daemon(production, sample_corpus):
    from dagster import DagsterEventType, DagsterRunStatus, RunsFilter

    from listening_pipeline.partitions import hashtag_partitions
    from listening_pipeline.warehouse import PostgresWarehouse

    keys = [str(partition_key(h, d)) for d in DAYS for h in HASHTAGS]
    assert len(keys) >= 6
    workspace = production.home / "workspace.yaml"
    workspace.write_text(
        yaml.safe_dump(
            {
                "load_from": [
                    {
                        "python_module": {
                            "module_name": "listening_pipeline.definitions",
                            "working_directory": str(REPO),
                            "location_name": "listening_pipeline",
                        }
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    with production.instance() as instance:
        instance.add_dynamic_partitions(hashtag_partitions.name, list(HASHTAGS))
    # The documented multiprocess run config for every run: steps fork from a preloaded server.
    env = production.process_env(LISTENING_PIPELINE_EXECUTOR_CONFIG=str(DOCKER / "multiprocess" / "run_config.yaml"))
    log_path = production.home / "daemon.log"
    started = time.monotonic()
    with log_path.open("wb") as log:
        daemon = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
            env=env,
            cwd=str(production.home),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            backfill = subprocess.run(
                [
                    str(BIN / "dagster"),
                    "job",
                    "backfill",
                    "-w",
                    str(workspace),
                    "-j",
                    "collect_job",
                    "--partitions",
                    ",".join(keys),
                    "--noprompt",
                ],
                env=env,
                cwd=str(production.home),
                capture_output=True,
                text=True,
                timeout=180,
            )
            assert backfill.returncode == 0, backfill.stdout + backfill.stderr
            backfill_id = re.search(r"Launched backfill job `(\w+)`", backfill.stdout).group(1)
            with production.instance() as instance:
                filters = RunsFilter(tags={"dagster/backfill": backfill_id})
                while True:
                    runs = instance.get_runs(filters)
                    if len(runs) == len(keys) and all(r.is_finished for r in runs):
                        break
                    assert daemon.poll() is None, f"the daemon exited: {log_path.read_text()[-3000:]}"
                    assert time.monotonic() - started < BACKFILL_TIMEOUT_S, (
                        f"backfill not done in {BACKFILL_TIMEOUT_S}s: "
                        f"{[(r.tags.get('dagster/partition'), r.status) for r in runs]}"
                    )
                    time.sleep(1)
        finally:
            _stop(daemon)
    print(f"backfill of {len(keys)} partitions: {time.monotonic() - started:.1f}s with the daemon")

    with production.instance() as instance:
        runs = instance.get_runs(RunsFilter(tags={"dagster/backfill": backfill_id}))
        assert sorted(r.tags["dagster/partition"] for r in runs) == sorted(keys)
        assert all(r.status == DagsterRunStatus.SUCCESS for r in runs), [(r.run_id, r.status) for r in runs]
        config = instance.get_concurrency_config()
        run_limit = config.run_queue_config.max_concurrent_runs
        pool_limit = instance.event_log_storage.get_concurrency_info(SOURCE_POOL).slot_count

        run_intervals, step_intervals = [], []
        for run in instance.get_runs():  # every run the daemon launched counts against the limit
            events = [e for e in instance.all_logs(run.run_id) if e.is_dagster_event]
            first = {}
            for event in events:
                first.setdefault(event.dagster_event.event_type, event.timestamp)
            if run.run_id in {r.run_id for r in runs}:
                # Queued by the coordinator, then launched by the daemon (RUN_STARTING: dagster 1.13 no
                # longer writes RUN_DEQUEUED), then started by the run worker, in that order.
                assert run.tags[SOURCE_TAG] == "folder" and COMPUTE_TAG not in run.tags
                order = [
                    DagsterEventType.RUN_ENQUEUED,
                    DagsterEventType.RUN_STARTING,
                    DagsterEventType.RUN_START,
                    DagsterEventType.RUN_SUCCESS,
                ]
                assert all(kind in first for kind in order), (run.run_id, sorted(k.value for k in first))
                assert [first[k] for k in order] == sorted(first[k] for k in order)
                # The multiprocess executor: each step in a worker process of its own.
                assert DagsterEventType.STEP_WORKER_STARTED in first
                assert any(
                    "multiprocess executor" in (e.message or "").lower()
                    for e in events
                    if e.dagster_event.event_type == DagsterEventType.ENGINE_EVENT
                )
            end = next(
                (
                    first[k]
                    for k in (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_CANCELED)
                    if k in first
                ),
                None,
            )
            if DagsterEventType.RUN_STARTING in first and end is not None:
                run_intervals.append((first[DagsterEventType.RUN_STARTING], end))
            starts = {
                e.step_key: e.timestamp for e in events if e.dagster_event.event_type == DagsterEventType.STEP_START
            }
            for event in events:
                if event.dagster_event.event_type in (
                    DagsterEventType.STEP_SUCCESS,
                    DagsterEventType.STEP_FAILURE,
                ) and event.step_key in ("videos", "comments"):
                    step_intervals.append((starts[event.step_key], event.timestamp))

    # The limits held: runs in progress (launched until done) and collecting steps (pool video_source).
    assert 2 <= _peak_overlap(run_intervals) <= run_limit, run_intervals
    assert pool_limit and _peak_overlap(step_intervals) <= pool_limit, step_intervals
    assert len(step_intervals) == 2 * len(keys)

    # The warehouse on the same PostgreSQL has every partition's videos and comments.
    warehouse = PostgresWarehouse(production.dsn)
    videos = warehouse.query("select hashtag, day, count(*) as n from raw.videos group by 1, 2")
    landed = {(r["hashtag"], r["day"]): r["n"] for r in videos.iter_rows(named=True)}
    assert {(h, d) for h in HASHTAGS for d in DAYS} <= {k for k, n in landed.items() if n > 0}, landed
    comments = warehouse.query("select count(*) as n from raw.comments")
    assert comments["n"][0] > 0


# --- (c) the docker files, checked by construction ----------------------------------------------


def _yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _validate_instance_yaml(path: Path) -> dict:
    """Dagster's own validation of a dagster.yaml (the same code that loads an instance)."""
    from dagster._core.instance.config import dagster_instance_config

    with tempfile.TemporaryDirectory() as home:
        shutil.copy(path, Path(home) / "dagster.yaml")
        env = {
            "DAGSTER_PG_HOST": "db",
            "DAGSTER_PG_PORT": "5432",
            "DAGSTER_PG_USER": "u",
            "DAGSTER_PG_PASSWORD": "p",
            "DAGSTER_PG_DB": "d",
        }
        with _environ(env):
            config, _ = dagster_instance_config(home)
    return config


@pytest.mark.parametrize("name", ["dagster.yaml", "dagster.local.yaml"])
def test_dagster_yaml_validates_and_its_limits_name_what_the_code_tags(name):
    raw = _yaml(DOCKER / name)
    config = _validate_instance_yaml(DOCKER / name)
    # Storage on PostgreSQL, every secret from the environment.
    pg = raw["storage"]["postgres"]["postgres_db"]
    for field in ("hostname", "port", "username", "password", "db_name"):
        assert set(pg[field]) == {"env"}, f"{name}: storage {field} must come from an env var"
    # SQLAlchemy 2.1 would pick psycopg 3 (not installed) for a plain postgresql:// URL.
    assert pg["scheme"] == "postgresql+psycopg2"
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["run_launcher"]["class"] == "DefaultRunLauncher"
    # The run-tag limits count tags the jobs actually carry.
    from listening_pipeline.definitions import defs

    tagged = {}
    for job_name in ("hashtag_day_job", "collect_job", "models_job"):
        for key, value in defs().resolve_job_def(job_name).run_tags.items():
            tagged.setdefault(key, set()).add(value)
    limits = config["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {(limit["key"], limit["value"]) for limit in limits} == {
        (SOURCE_TAG, "research_api"),
        (COMPUTE_TAG, GPU_QUEUE),
    }
    for limit in limits:
        assert limit["key"] in tagged and 0 < limit["limit"] <= config["concurrency"]["runs"]["max_concurrent_runs"]
    assert tagged[COMPUTE_TAG] == {GPU_QUEUE}
    # The pools have a default limit and the assets use exactly the two documented pools.
    assert config["concurrency"]["pools"]["default_limit"] >= 1
    from dagster._core.execution.api import create_execution_plan

    pools = {}
    for job_name in ("hashtag_day_job", "models_job"):
        for step in create_execution_plan(defs().resolve_job_def(job_name)).steps:
            if step.pool:
                pools.setdefault(step.pool, set()).add(step.key)
    assert pools == {SOURCE_POOL: {"videos", "comments", "creators"}, GPU_POOL: set(GPU_MODEL_ASSETS)}
    assert SOURCE_POOL in (DOCKER / name).read_text() and GPU_POOL in (DOCKER / name).read_text()


def test_compose_file_wires_postgres_code_server_webserver_and_daemon():
    compose = _yaml(DOCKER / "docker-compose.yml")
    services = compose["services"]
    assert {"postgres", "code", "webserver", "daemon"} <= set(services)
    assert "healthcheck" in services["postgres"] and "pg_isready" in str(services["postgres"]["healthcheck"]["test"])
    # The code location: a gRPC server on 4000 with a health check; the workspace points at it.
    code = services["code"]
    assert (
        "code-server" in code["command"]
        and "4000" in code["command"]
        and "listening_pipeline.definitions" in code["command"]
    )
    assert "grpc-health-check" in code["healthcheck"]["test"]
    workspace = _yaml(DOCKER / "workspace.yaml")["load_from"][0]["grpc_server"]
    assert workspace["host"] == "code" and workspace["port"] == 4000
    for name in ("webserver", "daemon"):
        service = services[name]
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name
        assert service["depends_on"]["code"]["condition"] == "service_healthy", name
        assert "/opt/dagster/home/workspace.yaml" in " ".join(service["command"]), name
    assert "dagster-webserver" in services["webserver"]["command"]
    daemon_command = " ".join(services["daemon"]["command"])
    assert "dagster-daemon run" in daemon_command
    # The daemon stores the limits of exactly the pools the code uses.
    assert set(re.findall(r"concurrency set (\w+)", daemon_command)) == {SOURCE_POOL, GPU_POOL}
    # Secrets only as ${VAR} references: no literal password anywhere.
    for name, service in services.items():
        env = service.get("environment", {})
        for key, value in env.items():
            if any(word in key for word in ("PASSWORD", "SECRET", "KEY")):
                assert re.fullmatch(r"\$\{[A-Z_]+(:[-?][^}]*)?\}", str(value)), f"{name}.{key} must be an env reference"
    runtime = services["code"]["environment"]
    for var in ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"):
        assert var in runtime, var  # everything docker/dagster.yaml reads
    assert runtime["LISTENING_PIPELINE_WAREHOUSE"] == "postgres"
    # .env.example names every variable the compose file reads without a default.
    required = set(re.findall(r"\$\{(\w+):\?", (DOCKER / "docker-compose.yml").read_text()))
    example = {
        line.split("=", 1)[0]
        for line in (DOCKER / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert required <= example


def test_dockerfile_is_pinned_non_root_and_can_bake_models():
    text = (DOCKER / "Dockerfile").read_text()
    base = re.search(r"^FROM\s+(\S+)", text, re.M).group(1)
    assert "@sha256:" in base or re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*", base), f"base image not pinned: {base}"
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^ARG BAKE_MODELS=false", text, re.M) and '"$BAKE_MODELS" = "true"' in text
    # The instance and workspace files of the compose deployment are baked into DAGSTER_HOME.
    assert re.search(r"^COPY docker/dagster.yaml docker/workspace.yaml \"\$DAGSTER_HOME\"/", text, re.M)
    for folder in ("multiprocess", "k8s", "celery"):
        assert f"COPY docker/{folder} " in text
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".venv", "var", "docker/.env"} <= set(ignored)


def test_helm_values_sketch_has_the_deployment_essentials():
    values = _yaml(DOCKER / "k8s" / "values.yaml")
    deployment = values["dagster-user-deployments"]["deployments"][0]
    assert values["dagster-user-deployments"]["enabled"] is True
    assert deployment["image"]["repository"] and deployment["image"]["tag"] != "latest"
    assert "listening_pipeline.definitions" in deployment["codeServerArgs"]
    env = {e["name"]: e["value"] for e in deployment["env"]}
    assert env["LISTENING_PIPELINE_EXECUTOR"] == "k8s" and env["LISTENING_PIPELINE_WAREHOUSE"] == "postgres"
    assert env["LISTENING_PIPELINE_EXECUTOR_CONFIG"].endswith("docker/k8s/run_config.yaml")
    assert not any("PASSWORD" in name or "SECRET" in name for name in env)  # secrets only through envSecrets
    assert deployment["envSecrets"] and values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"]
    assert values["postgresql"]["enabled"] is False and values["postgresql"]["postgresqlHost"]
    assert values["global"]["postgresqlSecretName"] and values["generatePostgresqlPasswordSecret"] is False
    assert "postgresqlPassword" not in values["postgresql"]
    assert values["postgresql"]["postgresqlScheme"] == "postgresql+psycopg2"
    assert values["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"
    limits = {(limit["key"], limit["value"]) for limit in values["concurrency"]["runs"]["tagConcurrencyLimits"]}
    assert limits == {(SOURCE_TAG, "research_api"), (COMPUTE_TAG, GPU_QUEUE)}


# --- executors, by construction --------------------------------------------------------------------


def _definitions_with(executor: str, config_file: str | None = None):
    """The code location as a deployment with these settings would load it (settings are read at load)."""
    from listening_pipeline.definitions import defs

    values = {"LISTENING_PIPELINE_EXECUTOR": executor, "LISTENING_PIPELINE_EXECUTOR_CONFIG": config_file or ""}
    with _environ(values):
        return defs()


RUN_CONFIGS = {
    "multiprocess": "multiprocess/run_config.yaml",
    "k8s": "k8s/run_config.yaml",
    "celery": "celery/run_config.yaml",
}
EXECUTOR_NAMES = {"multiprocess": "multi_or_in_process_executor", "k8s": "k8s", "celery": "celery"}


@pytest.mark.parametrize("executor", sorted(RUN_CONFIGS))
def test_each_executor_builds_and_its_run_config_file_validates(executor):
    from dagster import validate_run_config

    config_file = str(DOCKER / RUN_CONFIGS[executor])
    with _environ({"CELERY_BROKER_URL": "pyamqp://guest@rabbitmq:5672//"}):
        # As run config of each run ...
        defs = _definitions_with(executor)
        for job_name in ("hashtag_day_job", "collect_job", "models_job", "dbt_day_job"):
            job = defs.resolve_job_def(job_name)
            assert job.executor_def.name == EXECUTOR_NAMES[executor]
            validate_run_config(job, _yaml(Path(config_file)))
        # ... or configured once for every run (LISTENING_PIPELINE_EXECUTOR_CONFIG).
        configured = _definitions_with(executor, config_file).resolve_job_def("hashtag_day_job")
        validate_run_config(configured, {})
    if executor == "k8s":
        from dagster_k8s.job import UserDefinedDagsterK8sConfig

        execution = _yaml(Path(config_file))["execution"]["config"]
        UserDefinedDagsterK8sConfig.from_dict(execution["step_k8s_config"])  # keys checked against the k8s models
        for step_config in execution["per_step_k8s_config"].values():
            UserDefinedDagsterK8sConfig.from_dict(step_config)


def test_gpu_placement_is_on_exactly_the_model_steps():
    from dagster._core.execution.api import create_execution_plan
    from dagster_k8s.job import get_user_defined_k8s_config

    defs = _definitions_with("k8s")
    gpu_steps, steps = set(), set()
    for job_name in ("hashtag_day_job", "models_job", "collect_job", "dbt_day_job", "catalog_job"):
        for step in create_execution_plan(defs.resolve_job_def(job_name)).steps:
            steps.add(step.key)
            k8s = get_user_defined_k8s_config(step.tags)  # what the k8s executor applies to the step's pod
            has_gpu = k8s.container_config.get("resources", {}).get("limits", {}).get("nvidia.com/gpu") == "1"
            if has_gpu:
                gpu_steps.add(step.key)
                assert k8s.pod_spec_config["node_selector"] and k8s.pod_spec_config["tolerations"], step.key
                assert step.tags[CELERY_QUEUE_TAG] == GPU_QUEUE and step.pool == GPU_POOL, step.key
            else:
                assert K8S_CONFIG_TAG not in step.tags and CELERY_QUEUE_TAG not in step.tags, step.key
    assert gpu_steps == set(GPU_MODEL_ASSETS)
    assert len(steps) > len(gpu_steps)


def test_scheduled_and_backfilled_runs_carry_the_limited_run_tags(instance, tmp_path):
    from dagster import build_schedule_context

    from listening_pipeline.definitions import defs
    from listening_pipeline.defs.collect.automation import daily_collection
    from listening_pipeline.defs.resources import CatalogResource
    from listening_pipeline.partitions import hashtag_partitions

    instance.add_dynamic_partitions(hashtag_partitions.name, ["tagcheck"])
    catalog = tmp_path / "brands.yaml"  # the schedule collects the catalog's hashtags only
    catalog.write_text("hashtags: [tagcheck]\nbrands: [{name: Acme}]\n", encoding="utf-8")
    context = build_schedule_context(
        instance=instance,
        scheduled_execution_time=dt.datetime(2026, 11, 22, 6, tzinfo=dt.UTC),
        resources={"catalog": CatalogResource(path=str(catalog))},
    )
    requests = list(daily_collection(context))
    assert requests and all(r.tags[SOURCE_TAG] == "folder" and r.tags[COMPUTE_TAG] == GPU_QUEUE for r in requests)
    # Definition tags, which job backfills copy onto their runs (run_tags alone would be skipped).
    assert defs().resolve_job_def("hashtag_day_job").tags == {SOURCE_TAG: "folder", COMPUTE_TAG: GPU_QUEUE}
    assert defs().resolve_job_def("collect_job").tags == {SOURCE_TAG: "folder"}
    assert defs().resolve_job_def("models_job").tags == {COMPUTE_TAG: GPU_QUEUE}
    assert not defs().resolve_job_def("dbt_day_job").tags.get(SOURCE_TAG)
