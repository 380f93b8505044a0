"""A Celery deployment on one machine, every part real: a Redis broker, a Dagster instance on
PostgreSQL (docker/dagster.local.yaml), the PostgreSQL warehouse, ``dagster-celery`` workers on the
project's queues, the daemon that launches a backfill's runs. Used by the scale-out tests and
``bench/scale_out.py``; nothing here is specific to pytest.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from listening_pipeline_tests.postgres import free_port, instance_env, warehouse_env

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CELERY_RUN_CONFIG = REPO / "docker" / "celery" / "run_config.yaml"
STEP_ON_WORKER = re.compile(r"Executing steps (\S+) in celery worker")
SUBMITTED = re.compile(r'Submitting celery task for step "([^"]+)" to queue "([^"]+)"')


def stop_group(process: subprocess.Popen, grace_s: float = 20) -> None:
    """SIGTERM a process group started with ``start_new_session``, then SIGKILL what is left."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@dataclass
class RedisServer:
    """A throwaway ``redis-server`` on 127.0.0.1, nothing persisted (a restart empties it, as a crash would)."""

    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found: install the 'redis-server' package (make system-deps)")
        self.root.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.root,
            stdout=(self.root / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server did not answer on port {self.port}: {(self.root / 'redis.log').read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process, grace_s=5)
            self.process = None


@dataclass
class Cluster:
    """One DAGSTER_HOME on PostgreSQL, a broker, workers and a daemon sharing one environment."""

    home: Path
    dsn: str
    broker: RedisServer
    media_root: str
    extra_env: dict[str, str] = field(default_factory=dict)
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)

    @classmethod
    def create(cls, root: Path, dsn: str, broker: RedisServer, media_root: str | None = None) -> Cluster:
        home = root / "dagster_home"
        home.mkdir(parents=True)
        shutil.copy(REPO / "docker" / "dagster.local.yaml", home / "dagster.yaml")
        workspace = {
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
        (home / "workspace.yaml").write_text(yaml.safe_dump(workspace), encoding="utf-8")
        (root / "logs").mkdir()
        return cls(home=home, dsn=dsn, broker=broker, media_root=media_root or str(root / "media"))

    @property
    def logs(self) -> Path:
        return self.home.parent / "logs"

    def env(self, **extra: str) -> dict[str, str]:
        """What every process of the deployment sees: instance, warehouse, executor, broker, media."""
        return {
            **os.environ,  # the session's LISTENING_PIPELINE_* (data dir and sample corpus), offline switches
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # dagster-celery starts `celery`
            "DAGSTER_HOME": str(self.home),
            **instance_env(self.dsn),
            **warehouse_env(self.dsn),
            "LISTENING_PIPELINE_EXECUTOR": "celery",
            "LISTENING_PIPELINE_EXECUTOR_CONFIG": str(CELERY_RUN_CONFIG),
            "CELERY_BROKER_URL": self.broker.url,
            "LISTENING_PIPELINE_MEDIA_ROOT": self.media_root,
            **self.extra_env,
            **extra,
        }

    def prepare(self, *args: str, timeout: float = 600) -> None:
        """``listening_pipeline_tests.scale_out.prepare`` in a process with this deployment's environment."""
        result = subprocess.run(
            [sys.executable, "-m", "listening_pipeline_tests.scale_out.prepare", *args],
            env=self.env(),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"prepare {' '.join(args)} failed:\n{(result.stdout + result.stderr)[-4000:]}")

    def set_pool_limits(self, limits: dict[str, int]) -> None:
        """``dagster instance concurrency set POOL N``, as the compose daemon does at every start.

        Not optional on PostgreSQL: runs that find a pool without a stored limit each insert its
        default, and the loser of that race fails on the unique key (seen with two runs starting together).
        """
        for pool, limit in limits.items():
            result = subprocess.run(
                [str(BIN / "dagster"), "instance", "concurrency", "set", pool, str(limit)],
                env=self.env(),
                capture_output=True,
                text=True,
                timeout=120,
            )
            if result.returncode != 0:
                raise RuntimeError(f"concurrency set {pool} {limit} failed: {result.stdout}{result.stderr}")

    def start_worker(self, name: str, queues: str | Sequence[str], concurrency: int = 1) -> subprocess.Popen:
        """``dagster-celery worker start`` on ``queues``, as docs/scaling.md tells an operator; waits until ready."""
        log = self.logs / f"worker-{name}.log"
        command = [
            str(BIN / "dagster-celery"),
            "worker",
            "start",
            "-A",
            "dagster_celery.app",
            "-y",
            str(CELERY_RUN_CONFIG),
            # One comma-separated -q: dagster-celery turns each -q into a -Q, and celery 5.7 keeps only the last -Q.
            "-q",
            queues if isinstance(queues, str) else ",".join(queues),
            "-n",
            name,
            "--",
            f"--concurrency={concurrency}",
            f"--logfile={log}",
            "--without-gossip",
            "--without-mingle",
        ]
        process = subprocess.Popen(
            command,
            env=self.env(),
            cwd=REPO,
            stdout=(self.logs / f"worker-{name}.out").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers[name] = process
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if log.exists() and " ready." in log.read_text(errors="replace"):
                return process
            if process.poll() is not None:
                break
            time.sleep(0.5)
        out = (self.logs / f"worker-{name}.out").read_text(errors="replace")
        raise RuntimeError(f"celery worker {name} did not start: {out[-3000:]}")

    def kill_pool_when_step_starts(self, name: str, tags: dict[str, str], step_key: str, timeout_s: float) -> str:
        """SIGKILL worker ``name``'s pool process once ``step_key`` has started in the run with ``tags``:
        the step dies in the middle, as on a machine that is lost. The run's id.

        The pool process is the child of celery's main process (``dagster-celery worker start`` ->
        ``celery worker`` -> pool), not a leaf: a step may start helpers of its own."""
        import psutil
        from dagster import DagsterEventType, RunsFilter

        deadline = time.monotonic() + timeout_s
        with self.instance() as instance:
            while True:
                runs = instance.get_runs(RunsFilter(tags=tags))
                if runs:
                    started = instance.get_records_for_run(runs[0].run_id, of_type=DagsterEventType.STEP_START).records
                    if any(r.event_log_entry.step_key == step_key for r in started):
                        break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"step {step_key} of run {tags} did not start in {timeout_s:.0f}s")
                time.sleep(0.2)
        [celery_main] = psutil.Process(self.workers[name].pid).children()
        pool = celery_main.children()
        assert pool, f"no pool process under worker {name}"
        for process in pool:
            process.kill()
        return runs[0].run_id

    def stop_workers(self) -> None:
        for process in self.workers.values():
            stop_group(process)
        self.workers.clear()

    @contextlib.contextmanager
    def daemon(self) -> Iterator[subprocess.Popen]:
        """``dagster-daemon run``: dequeues the backfill's runs and launches them (DefaultRunLauncher)."""
        process = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-w", str(self.home / "workspace.yaml")],
            env=self.env(),
            cwd=self.home,
            stdout=(self.logs / "daemon.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            stop_group(process, grace_s=30)

    def launch_backfill(self, job: str, keys: Sequence[str]) -> str:
        """``dagster job backfill``: one run per partition key, queued for the daemon; the backfill's id."""
        result = subprocess.run(
            [
                str(BIN / "dagster"),
                "job",
                "backfill",
                "-w",
                str(self.home / "workspace.yaml"),
                "-j",
                job,
                "--partitions",
                ",".join(keys),
                "--noprompt",
            ],
            env=self.env(),
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=300,
        )
        found = re.search(r"Launched backfill job `(\w+)`", result.stdout)
        if result.returncode != 0 or found is None:
            raise RuntimeError(f"dagster job backfill failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
        return found.group(1)

    @contextlib.contextmanager
    def instance(self):
        """This deployment's instance, opened in this process (environment restored afterwards)."""
        from dagster import DagsterInstance

        from listening_pipeline.settings import environment_kept

        values = {k: v for k, v in self.env().items() if k.startswith("DAGSTER_")}
        with environment_kept(values):
            os.environ.update(values)
            with DagsterInstance.from_config(str(self.home)) as instance:
                yield instance

    def wait_for_runs(self, tags: dict[str, str], count: int, timeout_s: float, daemon: subprocess.Popen) -> list:
        """The runs with ``tags`` once ``count`` of them exist and all have finished."""
        from dagster import RunsFilter

        started = time.monotonic()
        with self.instance() as instance:
            while True:
                runs = instance.get_runs(RunsFilter(tags=tags))
                if len(runs) >= count and all(r.is_finished for r in runs):
                    return runs
                if daemon.poll() is not None:
                    raise RuntimeError(f"the daemon exited: {(self.logs / 'daemon.log').read_text()[-3000:]}")
                if time.monotonic() - started > timeout_s:
                    states = [(r.tags.get("dagster/partition"), r.status.value) for r in runs]
                    raise TimeoutError(f"runs {tags} not finished in {timeout_s:.0f}s: {states}")
                time.sleep(1)


@dataclass(frozen=True)
class StepPlacement:
    """Where one step of one run went: the queue it was submitted to and the worker that ran it."""

    run_id: str
    step_key: str
    queue: str
    worker: str


def step_placements(instance, run_ids: Sequence[str]) -> list[StepPlacement]:
    """From the event log: the executor's "Submitting ... to queue" and the worker's "Executing steps ...
    in celery worker" engine events (the latter carries the worker's Celery hostname, ``name@host``)."""
    placements: list[StepPlacement] = []
    for run_id in run_ids:
        queues: dict[str, str] = {}
        workers: dict[str, str] = {}
        for record in instance.all_logs(run_id):
            message = record.message or ""
            if submitted := SUBMITTED.search(message):
                queues[submitted.group(1)] = submitted.group(2)
            elif STEP_ON_WORKER.search(message) and record.dagster_event is not None:
                metadata = record.dagster_event.engine_event_data.metadata
                workers[record.step_key or ""] = str(metadata["Celery worker"].value)
        placements.extend(
            StepPlacement(run_id=run_id, step_key=key, queue=queue, worker=workers.get(key, ""))
            for key, queue in queues.items()
        )
    return placements
