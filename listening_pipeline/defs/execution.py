"""Where steps run and how many run at once: the executor, concurrency pools, run tags, GPU placement.

Everything here is selected by configuration, never by editing code (docs/scaling.md):

* the executor: ``LISTENING_PIPELINE_EXECUTOR`` = ``multiprocess`` (default) | ``k8s`` | ``celery``,
  tuned with run config (``docker/k8s/run_config.yaml``, ``docker/celery/run_config.yaml``);
* step-level limits: the **pools** below, on the assets themselves, so they hold for every job,
  backfill and automation run and for every executor. A pool's limit is stored in the instance
  (``dagster instance concurrency set POOL N``); a pool without one gets
  ``concurrency.pools.default_limit`` from dagster.yaml;
* run-level limits: the **run tags** below, on the jobs and the schedule's run requests, limited
  by ``concurrency.runs.tag_concurrency_limits`` in dagster.yaml (QueuedRunCoordinator);
* GPU placement: op tags on exactly the model assets, read by the Kubernetes executor (node
  selector, toleration, ``nvidia.com/gpu: 1``) and the Celery executor (the ``gpu`` queue).
"""

from pathlib import Path
from typing import Any

import yaml
from dagster import ExecutorDefinition, multi_or_in_process_executor

EXECUTORS = ("multiprocess", "k8s", "celery")

# Pools: at most N steps at once across the whole deployment.
SOURCE_POOL = "video_source"  # videos, comments: Research API calls (rate limits and quota are per client)
GPU_POOL = "gpu"  # the model-heavy steps: one model set in (GPU) memory per step

# Run tags: at most N runs at once with a given tag value (dagster.yaml, concurrency.runs).
SOURCE_TAG = "listening_pipeline/source"  # value: the configured source, "folder" or "research_api"
COMPUTE_TAG = "listening_pipeline/compute"  # value: "gpu" on runs that load models
GPU_TAG_VALUE = "gpu"

# The assets that load a model (whisperx, easyocr, YOLO, transformers; YOLO training).
GPU_MODEL_ASSETS = ("transcripts", "ocr_text", "logo_hits", "sentiment", "logo_detector")

K8S_CONFIG_TAG = "dagster-k8s/config"  # dagster_k8s.job.USER_DEFINED_K8S_CONFIG_KEY
CELERY_QUEUE_TAG = "dagster-celery/queue"  # dagster_celery.tags.DAGSTER_CELERY_QUEUE_TAG
GPU_QUEUE = "gpu"

# One GPU per model step, on a GPU node; CPU and memory requests are starting points, not measurements.
# `nvidia.com/gpu.present` is the label NVIDIA's GPU
# feature discovery (GPU operator) puts on GPU nodes, and GPU node pools are usually tainted
# `nvidia.com/gpu:NoSchedule`. Other labels (GKE's `cloud.google.com/gke-accelerator`, ...):
# override per step with `per_step_k8s_config` in the run config (docker/k8s/run_config.yaml).
GPU_K8S_CONFIG: dict[str, Any] = {
    "container_config": {
        "resources": {
            "requests": {"cpu": "2", "memory": "8Gi"},
            "limits": {"nvidia.com/gpu": "1", "memory": "16Gi"},
        },
    },
    "pod_spec_config": {
        "node_selector": {"nvidia.com/gpu.present": "true"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    },
}

# Op tags of the model assets: inert under the multiprocess executor.
GPU_OP_TAGS: dict[str, Any] = {K8S_CONFIG_TAG: GPU_K8S_CONFIG, CELERY_QUEUE_TAG: GPU_QUEUE}


def collect_run_tags(source: str) -> dict[str, str]:
    """Run tags of runs that collect from ``source``."""
    return {SOURCE_TAG: source}


def model_run_tags() -> dict[str, str]:
    """Run tags of runs that load models."""
    return {COMPUTE_TAG: GPU_TAG_VALUE}


def executor_def(name: str, config_file: str | None = None) -> ExecutorDefinition:
    """The executor named by LISTENING_PIPELINE_EXECUTOR, configured for every run by the
    ``execution: config:`` of the run-config file LISTENING_PIPELINE_EXECUTOR_CONFIG when set
    (otherwise each run may pass its own ``execution`` run config)."""
    executor = _executor(name)
    return executor.configured(executor_config(config_file)) if config_file else executor


def executor_config(config_file: str | Path) -> dict[str, Any]:
    """The ``execution: config:`` section of a run-config YAML file (docker/*/run_config.yaml)."""
    document = yaml.safe_load(Path(config_file).read_text(encoding="utf-8")) or {}
    config = (document.get("execution") or {}).get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise ValueError(f"{config_file}: expected a run-config file with an `execution: config:` mapping")
    return config


def _executor(name: str) -> ExecutorDefinition:
    if name == "multiprocess":
        # Dagster's default: a process per step, `execution: config: multiprocess: max_concurrent: N`.
        return multi_or_in_process_executor
    if name == "k8s":
        try:
            from dagster_k8s import k8s_job_executor
        except ImportError as exc:  # pragma: no cover - dagster-k8s is a pinned dependency
            raise ImportError("LISTENING_PIPELINE_EXECUTOR=k8s needs dagster-k8s (pip install dagster-k8s)") from exc
        return k8s_job_executor
    if name == "celery":
        try:
            import dagster_celery  # noqa: F401
        except ImportError as exc:  # pragma: no cover
            raise ImportError(
                "LISTENING_PIPELINE_EXECUTOR=celery needs dagster-celery (pip install dagster-celery)"
            ) from exc
        return _celery_executor()
    raise ValueError(f"LISTENING_PIPELINE_EXECUTOR must be one of {', '.join(EXECUTORS)}, not {name!r}")


def _celery_executor() -> ExecutorDefinition:
    """dagster-celery's executor, except that a step whose Celery task is lost (its worker killed,
    its machine gone) fails like any failed step.

    dagster-celery records such a task as an error of the run and then submits no further step
    while it waits for the plan to complete, so a run with another branch still to start (logo_hits
    after ocr_text, when transcripts is lost) waits forever. As a step failure, the steps after it are
    skipped, the other branches finish, the run fails naming the step, and the step's pool slot is
    freed at once. The task is not sent again: a video that kills its worker would kill the next one."""
    from dagster import executor, multiple_process_executor_requirements
    from dagster._core.execution.retries import RetryMode
    from dagster_celery.core_execution_loop import core_celery_execution_loop
    from dagster_celery.executor import CELERY_CONFIG, CeleryExecutor
    from dagster_celery.executor import _submit_task as submit_task

    def submit(app: Any, plan_context: Any, step: Any, queue: str, priority: int, known_state: Any) -> Any:
        task = submit_task(app, plan_context, step, queue, priority, known_state)
        return _LostTaskFailsStep(task, plan_context.for_step(step), queue)

    class StepFailingCeleryExecutor(CeleryExecutor):
        def execute(self, plan_context: Any, execution_plan: Any) -> Any:
            return core_celery_execution_loop(plan_context, execution_plan, step_execution_fn=submit)

    @executor(name="celery", config_schema=CELERY_CONFIG, requirements=multiple_process_executor_requirements())
    def celery_executor(init_context: Any) -> CeleryExecutor:
        config = init_context.executor_config
        return StepFailingCeleryExecutor(
            broker=config.get("broker"),
            backend=config.get("backend"),
            config_source=config.get("config_source"),
            include=config.get("include"),
            retries=RetryMode.from_config(config["retries"]),
        )

    return celery_executor


class _LostTaskFailsStep:
    """A step's Celery ``AsyncResult`` whose ``get()`` turns a task that raised outside the step
    (``WorkerLostError``, a result that cannot be read) into the step's STEP_FAILURE event."""

    def __init__(self, task: Any, step_context: Any, queue: str) -> None:
        self._task = task
        self._step_context = step_context
        self._queue = queue

    def ready(self) -> bool:
        return bool(self._task.ready())

    def revoke(self) -> None:
        self._task.revoke()

    def get(self) -> list[str]:
        import sys

        from celery.exceptions import TaskRevokedError
        from dagster import DagsterEvent
        from dagster._core.execution.plan.objects import StepFailureData
        from dagster._serdes import serialize_value
        from dagster._utils.error import serializable_error_info_from_exc_info

        try:
            return list(self._task.get())
        except TaskRevokedError:
            raise  # the executor reports a revoked task itself
        except Exception as exc:
            error = serializable_error_info_from_exc_info(sys.exc_info())
            key = self._step_context.step.key
            failure = DagsterEvent.step_failure_event(
                self._step_context,
                StepFailureData(error=error, user_failure_data=None),
                message=(
                    f'Step "{key}" was lost with its Celery task {self._task.id} on queue "{self._queue}" '
                    f"({type(exc).__name__}: {str(exc).rstrip('.')}); the steps after it are skipped. The "
                    "worker that ran it is named in the step's engine event from its Celery worker."
                ),
            )
            return [serialize_value(failure)]
